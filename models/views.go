package models

// The ticket list's queries: filters, sorting, pages, ranked full-text search
// with snippets, and the cheap grouped counts behind the list's views.

import (
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"gorm.io/gorm"
)

// Sort keys of the ticket list.
const (
	SortUpdated   = "updated"
	SortCreated   = "created"
	SortNumber    = "number"
	SortPriority  = "priority"
	SortSLA       = "sla"
	SortRelevance = "relevance" // only with a search; the best match first
)

// SortKeys lists the sort keys the list offers (relevance only with a search).
var SortKeys = []string{SortUpdated, SortCreated, SortNumber, SortPriority, SortSLA, SortRelevance}

// Snippet markers: FTS5 wraps every matched term of a snippet in these
// private-use characters, which the web layer turns into <mark> after
// escaping the text (see TicketHit.Snippet).
const (
	SnippetStart = "\ue000"
	SnippetEnd   = "\ue001"
)

// priorityRankSQL orders priorities (urgent highest). It is written exactly
// as idx_tickets_priority_rank indexes it, so that sorting by priority reads
// the index rather than sorting every ticket.
const priorityRankSQL = "(CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END)"

// bm25Weights weigh the ticket_fts columns (subject, body, requester,
// serial) for ranking: a word in the subject counts ten times one in the body.
const bm25Weights = "10.0, 1.0, 4.0, 6.0"

// SLARule selects the tickets whose SLA is breached at Now: due before Now,
// the clock running (not paused, not in one of PausedStatuses) and not
// resolved or closed. The desk owns the rule's statuses (desk.Overdue).
type SLARule struct {
	Now            time.Time
	PausedStatuses []string
}

// runningStatuses are the statuses in which the SLA clock of r runs.
func (r *SLARule) runningStatuses() []string {
	var out []string
	for _, st := range Statuses {
		if st == StatusResolved || st == StatusClosed {
			continue
		}
		paused := false
		for _, p := range r.PausedStatuses {
			paused = paused || p == st
		}
		if !paused {
			out = append(out, st)
		}
	}
	return out
}

// where narrows q to the breached tickets. The status list is positive (IN,
// not NOT IN) so that idx_tickets_status_sla answers it.
func (r *SLARule) where(q *gorm.DB) *gorm.DB {
	return q.Where("tickets.status IN ? AND tickets.sla_due_at IS NOT NULL AND tickets.sla_due_at < ? AND tickets.sla_paused_at IS NULL",
		r.runningStatuses(), r.Now.UTC())
}

// TicketFilter selects tickets for a list. Zero fields do not filter.
type TicketFilter struct {
	Status   string   // "" = every status
	Statuses []string // any of these (a view); combined with Status
	Category string
	Priority string
	Q        string // full-text query; a bare number (or #number) also matches the ticket number
	Serial   string // normalised serial of the linked asset
	// AssigneeID keeps the tickets of one agent; Unassigned those of nobody.
	AssigneeID *uint
	Unassigned bool
	// VendorID keeps tickets whose device is that vendor's or that have a case at it.
	VendorID *uint
	// Department keeps tickets whose requester or device belongs to it.
	Department string
	// Warranty is WarrantyUnder, WarrantyExpired or WarrantyUnknown (no
	// device, or a device whose warranty end is unknown), judged on Today.
	Warranty string
	Today    time.Time
	// CreatedFrom (inclusive) and CreatedBefore (exclusive) bound created_at.
	CreatedFrom, CreatedBefore *time.Time
	// Overdue, when set, keeps only the tickets whose SLA it finds breached.
	Overdue *SLARule
	// Sort is one of SortKeys ("" = relevance with a search, else updated);
	// Asc reverses the key's natural order (newest, highest, soonest due first).
	Sort string
	Asc  bool
	// Limit (1–500, default 50) and Offset page the list.
	Limit, Offset int
	// CountCap, when > 0, stops counting at CountCap matches: TicketPage.Total
	// is then at most CountCap and TotalCapped says there are more.
	CountCap int64
	// SkipCount leaves TicketPage.Total 0: the caller knows it (a view count).
	SkipCount bool
}

// TicketHit is a listed ticket with its search snippet: raw text with every
// matched term between SnippetStart and SnippetEnd ("" without a search).
// The snippet is not HTML: escape it before showing it. The ticket carries
// its requester, assignee and device as ticketsWithParties reads them
// (what a list shows, not every column).
type TicketHit struct {
	Ticket
	Snippet string
}

// TicketPage is one page of a ticket list.
type TicketPage struct {
	Items       []TicketHit
	Total       int64
	TotalCapped bool // Total is TicketFilter.CountCap and more tickets match
}

// errNoMatch means the search cannot match anything (only punctuation, say).
var errNoMatch = errors.New("search matches nothing")

// ListTickets returns one page of tickets matching f and the total count.
func (s *Store) ListTickets(ctx context.Context, f TicketFilter) ([]Ticket, int64, error) {
	p, err := s.TicketPage(ctx, f)
	if err != nil {
		return nil, 0, err
	}
	out := make([]Ticket, len(p.Items))
	for i := range p.Items {
		out[i] = p.Items[i].Ticket
	}
	return out, p.Total, nil
}

// TicketPage returns one page of tickets matching f, sorted as f asks, with
// search snippets and the (possibly capped) total.
func (s *Store) TicketPage(ctx context.Context, f TicketFilter) (*TicketPage, error) {
	build := func() (*gorm.DB, error) { return s.ticketQuery(ctx, &f, false) }
	q, err := build()
	if errors.Is(err, errNoMatch) {
		return &TicketPage{}, nil
	} else if err != nil {
		return nil, err
	}
	page := &TicketPage{}
	if !f.SkipCount {
		key, count, err := s.ticketCount(ctx, f)
		if err != nil {
			return nil, err
		}
		if page.Total, err = s.counts.get(ctx, s, key, count); err != nil {
			return nil, err
		}
		if f.CountCap > 0 && page.Total > f.CountCap {
			page.Total, page.TotalCapped = f.CountCap, true
		}
	}
	limit := pageLimit(f.Limit)
	// The page's ids first, in the plan the list's indexes were made for;
	// then those tickets with their requester, assignee and device in one
	// query by primary key (joining them into the first query lets SQLite
	// pick a worse plan; three preloads cost twice as much CPU).
	var (
		ids  []uint
		rows []Ticket
		read bool // rows holds the page already (searchFirstPage)
	)
	if id, only, err := s.onlyTypedTicket(ctx, &f, page); err != nil {
		return nil, err
	} else if only {
		if f.Offset <= 0 {
			ids = []uint{id}
		}
	} else if rows, read, err = s.searchFirstPage(ctx, &f, limit); err != nil {
		return nil, err
	} else if !read {
		err = q.Select("tickets.id").Order(orderBy(&f)).Limit(limit).Offset(max(f.Offset, 0)).Pluck("tickets.id", &ids).Error
		if err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
	}
	if !read {
		if rows, err = s.ticketsWithParties(ctx, ids); err != nil {
			return nil, err
		}
	}
	page.Items = make([]TicketHit, len(rows))
	for i := range rows {
		page.Items[i].Ticket = rows[i]
	}
	if FTSQuery(f.Q) != "" && len(rows) > 0 {
		if err := s.addSnippets(ctx, f.Q, page.Items); err != nil {
			return nil, err
		}
	}
	return page, nil
}

// searchFirstPage reads the first page of a search that nothing else
// narrows, in relevance order, in one statement on SQLite: the newest
// rankCandidates matches ranked (as ticketQuery ranks them), the best
// limit of them joined to their tickets and parties and packed as
// packedTicketsWithParties packs them, in the order orderBy gives. The
// general way reads the page's ids with one statement and the tickets with
// another (their query built by GORM); this one is a third cheaper
// (TestSearchFirstPageAsGeneral compares the two). read is false when f is
// not such a page (another filter, another order, a later page, a search
// for a number, PostgreSQL) or a text holds listSep: the caller reads the
// page the general way.
func (s *Store) searchFirstPage(ctx context.Context, f *TicketFilter, limit int) (rows []Ticket, read bool, err error) {
	qs := strings.TrimSpace(f.Q)
	if !s.sqlite() || !f.searchOnly() || f.Sort != SortRelevance || f.Asc || f.Offset > 0 || limit > rankCandidates {
		return nil, false, nil
	}
	if _, err := strconv.ParseInt(strings.TrimPrefix(qs, "#"), 10, 64); err == nil {
		return nil, false, nil // a number also finds its ticket (ticketQuery)
	}
	match := FTSQuery(qs)
	if match == "" {
		return nil, false, nil
	}
	rank, args, err := s.searchRank(ctx, qs)
	if err != nil {
		return nil, false, err
	}
	query := packedSelect("hits.hit_rank, t.updated_at DESC, t.id DESC") +
		" FROM (" + bestOfNewest(rank, searchFrom(s.r), limit) + ") AS hits JOIN tickets t ON t.id = hits.hit_id" + packedParties
	var (
		n      int
		packed *string
	)
	if err := s.readRow(ctx, query, append(args, match)...).Scan(&n, &packed); err != nil {
		return nil, false, fmt.Errorf("search tickets: %w", err)
	}
	rows, read = unpackTickets(n, packed)
	return rows, read, nil
}

// onlyTypedTicket reports whether a search for a ticket number matches that
// ticket alone, and its id: f is the search and nothing else, its count
// (page.Total: the text matches and the typed ticket) is one, and a ticket
// has the number. The page is then that ticket, without ranking the text
// matches of the number (a prefix query over the full-text index), which
// cost a quarter of the page. A number that some text also matches counts
// more than one and lists as any search does.
func (s *Store) onlyTypedTicket(ctx context.Context, f *TicketFilter, page *TicketPage) (uint, bool, error) {
	if !f.searchOnly() || f.SkipCount || page.TotalCapped || page.Total != 1 {
		return 0, false, nil
	}
	number, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(f.Q), "#"), 10, 64)
	if err != nil {
		return 0, false, nil
	}
	var id uint
	err = s.readRow(ctx, "SELECT id FROM tickets WHERE number = ?", number).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil // the one match is a text match
	} else if err != nil {
		return 0, false, fmt.Errorf("find ticket #%d: %w", number, err)
	}
	return id, true, nil
}

// listColumns are what ticketsWithParties reads: every column of the
// ticket, and of its requester, assignee and device what a list shows or
// links by. Scanned by hand: GORM's reflection over 60 joined columns of 50
// rows cost more CPU than the rest of the list page's queries together.
const listColumns = `t.id, t.number, t.subject, t.requester_id, t.status, t.priority, t.category, COALESCE(t.fault_matches, ''),
	COALESCE(t.language, ''), t.asset_id, t.assignee_id, COALESCE(t.cc, ''), t.sla_due_at, t.resolved_at, t.created_at, t.updated_at,
	t.sla_paused_at, COALESCE(r.email, ''), COALESCE(r.name, ''), COALESCE(r.department, ''), COALESCE(r.language, ''),
	a.email, a.name, a.role,
	d.serial, d.asset_tag, d.model, d.manufacturer, d.vendor_id`

// ticketCount returns how to count f's tickets (up to CountCap+1 when
// capped) and the key of that count: its exact SQL and arguments.
func (s *Store) ticketCount(ctx context.Context, f TicketFilter) (string, func(context.Context) (int64, error), error) {
	if f.searchOnly() && FTSQuery(f.Q) != "" {
		qs, limit := strings.TrimSpace(f.Q), int64(0)
		if f.CountCap > 0 {
			limit = f.CountCap + 1
		}
		return fmt.Sprintf("search %q %d", qs, limit), func(ctx context.Context) (int64, error) {
			return s.countSearch(ctx, qs, limit)
		}, nil
	}
	build := func(ctx context.Context) (*gorm.DB, error) {
		q, err := s.ticketQuery(ctx, &f, true)
		if err != nil || f.CountCap <= 0 {
			return q, err
		}
		return s.r.WithContext(ctx).Table("(?) AS capped", q.Select("1").Limit(int(f.CountCap)+1)), nil
	}
	q, err := build(ctx)
	if err != nil {
		return "", nil, err
	}
	var n int64
	stmt := q.Session(&gorm.Session{DryRun: true}).Count(&n).Statement
	key := stmt.SQL.String() + "\x00" + fmt.Sprintf("%#v", stmt.Vars)
	return key, func(ctx context.Context) (int64, error) {
		q, err := build(ctx)
		if err != nil {
			return 0, err
		}
		var n int64
		if err := q.Count(&n).Error; err != nil {
			return 0, fmt.Errorf("count tickets: %w", err)
		}
		return n, nil
	}, nil
}

// countCacheSize bounds the counts kept between two writes.
const countCacheSize = 4096

// countCache keeps the list's counts by their exact query for one data
// version (DataVersion): paging through a filtered list or a search counts
// once, not on every page, and any committed write counts again.
type countCache struct {
	mu  sync.Mutex
	ver uint64
	m   map[string]int64
}

// get returns the count kept under key for the current data version, or
// count's result (kept under the version read before counting).
func (c *countCache) get(ctx context.Context, s *Store, key string, count func(context.Context) (int64, error)) (int64, error) {
	if s.version == nil { // inside a transaction: its own writes are not committed yet
		return count(ctx)
	}
	v, err := s.DataVersion(ctx)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.m == nil || c.ver != v || len(c.m) >= countCacheSize {
		c.m, c.ver = map[string]int64{}, v
	}
	n, ok := c.m[key]
	c.mu.Unlock()
	if ok {
		return n, nil
	}
	if n, err = count(ctx); err != nil {
		return 0, err
	}
	c.mu.Lock()
	if c.ver == v {
		c.m[key] = n
	}
	c.mu.Unlock()
	return n, nil
}

// ticketsWithParties loads the tickets ids in their order, each with its
// requester (identity, department and language), assignee (identity and
// role) and device (serial, tag, model, maker and reseller).
func (s *Store) ticketsWithParties(ctx context.Context, ids []uint) ([]Ticket, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	if s.sqlite() {
		got, ok, err := s.packedTicketsWithParties(ctx, ids)
		if err != nil {
			return nil, err
		}
		if ok {
			return inOrder(ids, got), nil
		}
	}
	return s.scanTicketsWithParties(ctx, ids)
}

// inOrder returns the tickets of got in the order of ids. Nothing deletes
// tickets; were one gone since the ids were read, the page shows one row
// fewer rather than an empty one.
func inOrder(ids []uint, got []Ticket) []Ticket {
	at := make(map[uint]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	found := make([]Ticket, len(ids))
	ok := make([]bool, len(ids))
	for _, t := range got {
		if i, in := at[t.ID]; in {
			found[i], ok[i] = t, true
		}
	}
	out := found[:0]
	for i := range found {
		if ok[i] {
			out = append(out, found[i])
		}
	}
	return out
}

// scanTicketsWithParties is ticketsWithParties through the driver's
// reading of every column (PostgreSQL, and SQLite values the packed
// reading does not expect).
func (s *Store) scanTicketsWithParties(ctx context.Context, ids []uint) ([]Ticket, error) {
	rows, err := s.r.WithContext(ctx).Raw("SELECT "+listColumns+` FROM tickets t
		LEFT JOIN requesters r ON r.id = t.requester_id
		LEFT JOIN agents a ON a.id = t.assignee_id
		LEFT JOIN assets d ON d.id = t.asset_id
		WHERE t.id IN ?`, ids).Rows()
	if err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	defer rows.Close()
	var got []Ticket
	for rows.Next() {
		var (
			t                             Ticket
			aEmail, aName, aRole          sql.NullString
			dSerial, dTag, dModel, dMaker sql.NullString
			dVendor                       *uint
		)
		err := rows.Scan(&t.ID, &t.Number, &t.Subject, &t.RequesterID, &t.Status, &t.Priority, &t.Category, &t.FaultMatches,
			&t.Language, &t.AssetID, &t.AssigneeID, &t.Cc, &t.SLADueAt, &t.ResolvedAt, &t.CreatedAt, &t.UpdatedAt, &t.SLAPausedAt,
			&t.Requester.Email, &t.Requester.Name, &t.Requester.Department, &t.Requester.Language,
			&aEmail, &aName, &aRole, &dSerial, &dTag, &dModel, &dMaker, &dVendor)
		if err != nil {
			return nil, fmt.Errorf("list tickets: %w", err)
		}
		t.Requester.ID = t.RequesterID
		if t.AssigneeID != nil {
			t.Assignee = &Agent{ID: *t.AssigneeID, Email: aEmail.String, Name: aName.String, Role: aRole.String}
		}
		if t.AssetID != nil {
			t.Asset = &Asset{ID: *t.AssetID, Serial: dSerial.String, AssetTag: dTag.String, Model: dModel.String,
				Manufacturer: dMaker.String, VendorID: dVendor}
		}
		got = append(got, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tickets: %w", err)
	}
	return inOrder(ids, got), nil
}

// ticketQuery builds the filtered query of f; it normalises f.Sort. A
// query for counting skips the search ranking, which costs a bm25 per match.
func (s *Store) ticketQuery(ctx context.Context, f *TicketFilter, forCount bool) (*gorm.DB, error) {
	q := s.r.WithContext(ctx).Model(&Ticket{})
	if f.Status != "" {
		q = q.Where("tickets.status = ?", f.Status)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("tickets.status IN ?", f.Statuses)
	}
	if f.Category != "" {
		q = q.Where("tickets.category = ?", f.Category)
	}
	if f.Priority != "" {
		q = q.Where("tickets.priority = ?", f.Priority)
	}
	switch {
	case f.AssigneeID != nil:
		q = q.Where("tickets.assignee_id = ?", *f.AssigneeID)
	case f.Unassigned:
		q = q.Where("tickets.assignee_id IS NULL")
	}
	if f.Serial != "" {
		q = q.Where("tickets.asset_id IN (SELECT id FROM assets WHERE serial = ? OR "+normTagSQL+" = ?)", f.Serial, f.Serial)
	}
	if f.VendorID != nil {
		q = q.Where("(tickets.asset_id IN (SELECT id FROM assets WHERE vendor_id = ?) OR tickets.id IN (SELECT ticket_id FROM vendor_cases WHERE vendor_id = ?))",
			*f.VendorID, *f.VendorID)
	}
	if f.Department != "" {
		q = q.Where("(tickets.requester_id IN (SELECT id FROM requesters WHERE department = ?) OR tickets.asset_id IN (SELECT id FROM assets WHERE department = ?))",
			f.Department, f.Department)
	}
	if f.Warranty != "" {
		today := f.Today
		if today.IsZero() {
			today = time.Now().UTC()
		}
		assets, err := warrantyWhere(s.r.WithContext(ctx).Model(&Asset{}).Select("id"), f.Warranty, today)
		if err != nil {
			return nil, err
		}
		if f.Warranty == WarrantyUnknown {
			q = q.Where("(tickets.asset_id IS NULL OR tickets.asset_id IN (?))", assets)
		} else {
			q = q.Where("tickets.asset_id IN (?)", assets)
		}
	}
	if f.CreatedFrom != nil {
		q = q.Where("tickets.created_at >= ?", f.CreatedFrom.UTC())
	}
	if f.CreatedBefore != nil {
		q = q.Where("tickets.created_at < ?", f.CreatedBefore.UTC())
	}
	if f.Overdue != nil {
		q = f.Overdue.where(q)
	}
	qs := strings.TrimSpace(f.Q)
	if qs == "" {
		if f.Sort == SortRelevance || f.Sort == "" {
			f.Sort = SortUpdated
		}
		return q, nil
	}
	if f.Sort == "" {
		f.Sort = SortRelevance
	}
	// Every match carries its rank (bm25 on SQLite, ts_rank negated on
	// PostgreSQL: lower is better); the ticket whose number was typed ranks
	// above every text match.
	match := searchMatch(q, qs)
	number, numErr := strconv.ParseInt(strings.TrimPrefix(qs, "#"), 10, 64)
	rank, args := "0", []any(nil)
	if !forCount {
		var err error
		if rank, args, err = s.searchRank(ctx, qs); err != nil {
			return nil, err
		}
	}
	// The matches of the bound search: "FROM " + from (searchFrom).
	from := searchFrom(q)
	hits := "SELECT rowid AS hit_id, " + rank + " AS hit_rank FROM " + from
	args = append(args, match)
	if !forCount && f.Sort == SortRelevance && !f.Asc && f.searchOnly() {
		// Nothing but the search narrows the list: let FTS5 pick the page's
		// best matches itself instead of joining every match to tickets, and
		// rank the newest rankCandidates matches (see rankCandidates).
		want := max(f.Offset, 0) + pageLimit(f.Limit)
		if want <= rankCandidates {
			hits = "SELECT * FROM (" + bestOfNewest(rank, from, want) + ") AS best"
		} else {
			// Past the candidates every match is ranked, the candidates
			// first, so that deep pages continue the first ones.
			hits = "SELECT * FROM (SELECT rowid AS hit_id, " + rank + " - (CASE WHEN rowid >= (SELECT rowid FROM " + from +
				" ORDER BY rowid DESC LIMIT 1 OFFSET " + strconv.Itoa(rankCandidates-1) + ") THEN 1e6 ELSE 0 END) AS hit_rank " +
				"FROM " + from + " ORDER BY hit_rank LIMIT " + strconv.Itoa(want) + ") AS best"
			args = append(args, match)
		}
	}
	switch {
	case numErr == nil && match != "":
		q = q.Joins("JOIN (SELECT hit_id, MIN(hit_rank) AS hit_rank FROM ("+hits+
			" UNION ALL SELECT id, -1e300 FROM tickets WHERE number = ?) AS hit_or_number GROUP BY hit_id) AS hits ON hits.hit_id = tickets.id", append(args, number)...)
	case match != "":
		q = q.Joins("JOIN ("+hits+") AS hits ON hits.hit_id = tickets.id", args...)
	default:
		return nil, errNoMatch
	}
	return q, nil
}

// rankCandidates is how many matches a search ranks by relevance for its
// first pages: the newest ones (by ticket id), five pages' worth (the web
// list shows 25 search results a page). bm25 (wd_bm25) costs 0.3–0.6 µs
// per match (it reads each match's column sizes and positions), and a
// common word matches a fifth of 100 000 tickets; the newest matches hold
// the pages an agent looks at, and a rarer word (fewer matches) is ranked
// over every ticket. Pages past the candidates rank every match, the
// candidates first. (250 candidates cost 70 µs more per search than 125,
// and 1 000 another 0.5 ms.)
const rankCandidates = 125

// bestOfNewest selects hit_id and hit_rank of the want best-ranked of the
// newest rankCandidates matches of from (searchFrom, its search bound
// after rank's arguments), rank being searchRank's expression.
func bestOfNewest(rank, from string, want int) string {
	return "SELECT * FROM (SELECT rowid AS hit_id, " + rank + " AS hit_rank FROM " + from +
		" ORDER BY rowid DESC LIMIT " + strconv.Itoa(rankCandidates) + ") AS newest ORDER BY hit_rank LIMIT " + strconv.Itoa(want)
}

// countSearch counts the tickets a search alone matches, up to limit (0 =
// all), from the full-text index without reading tickets: every ticket_fts
// row is a ticket (tickets are never deleted), and the typed number adds
// its ticket.
func (s *Store) countSearch(ctx context.Context, qs string, limit int64) (int64, error) {
	db := s.r.WithContext(ctx)
	match := searchMatch(db, qs)
	inner, args := "SELECT rowid FROM "+searchFrom(db), []any{match}
	if number, err := strconv.ParseInt(strings.TrimPrefix(qs, "#"), 10, 64); err == nil {
		inner += " UNION SELECT id FROM tickets WHERE number = ?"
		args = append(args, number)
	}
	if limit > 0 {
		inner += " LIMIT " + strconv.FormatInt(limit, 10)
	}
	var n int64
	if err := db.Raw("SELECT COUNT(*) FROM ("+inner+") AS matches", args...).Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("count search matches: %w", err)
	}
	return n, nil
}

// pageLimit is the page size asked for: 1–500, default 50.
func pageLimit(limit int) int {
	if limit <= 0 || limit > 500 {
		return 50
	}
	return limit
}

// searchOnly reports whether f narrows the list by its search alone.
func (f *TicketFilter) searchOnly() bool {
	return f.Status == "" && len(f.Statuses) == 0 && f.Category == "" && f.Priority == "" && f.Serial == "" &&
		f.AssigneeID == nil && !f.Unassigned && f.VendorID == nil && f.Department == "" && f.Warranty == "" &&
		f.CreatedFrom == nil && f.CreatedBefore == nil && f.Overdue == nil
}

// orderBy is the ORDER BY of f's sort, each ending on the ticket id so that
// pages never overlap. The default direction of each key is the useful one:
// newest, highest priority, soonest due first.
func orderBy(f *TicketFilter) string {
	desc := "DESC"
	if f.Asc {
		desc = "ASC"
	}
	switch f.Sort {
	case SortCreated:
		return "tickets.created_at " + desc + ", tickets.id " + desc
	case SortNumber:
		return "tickets.number " + desc
	case SortPriority:
		return priorityRankSQL + " " + desc + ", tickets.updated_at " + desc + ", tickets.id " + desc
	case SortSLA:
		// Soonest due first by default; tickets without an SLA always last
		// (the overdue filter has none, and its plain order reads an index).
		asc := "ASC"
		if f.Asc {
			asc = "DESC"
		}
		if f.Overdue != nil {
			return "tickets.sla_due_at " + asc + ", tickets.id " + asc
		}
		return "tickets.sla_due_at IS NULL, tickets.sla_due_at " + asc + ", tickets.id " + asc
	case SortRelevance:
		if f.Asc {
			return "hits.hit_rank DESC, tickets.id"
		}
		return "hits.hit_rank, tickets.updated_at DESC, tickets.id DESC"
	}
	return "tickets.updated_at " + desc + ", tickets.id " + desc
}

// addSnippets fills the snippets of hits: a dozen words around the first
// match in the body (or in the subject when only it matched), every match
// marked. On SQLite, wd_snippet (fts5snippet.c) finds them with FTS5's own
// matches and tokenizer, in one scan of the search's matches between the
// page's lowest and highest ticket id: SQLite reads only the words up to
// the first match and Go gets only the snippet's words. (FTS5's snippet()
// scores every passage of every row: 20 µs a row; reading the texts and
// cutting them in Go cost a third of a search page.)
func (s *Store) addSnippets(ctx context.Context, q string, hits []TicketHit) error {
	ids := make([]uint, len(hits))
	for i := range hits {
		ids[i] = hits[i].ID
	}
	if !s.sqlite() {
		byID, err := s.pgSnippets(ctx, q, ids)
		for i := range hits {
			hits[i].Snippet = byID[hits[i].ID]
		}
		return err
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("search snippets: %w", err)
	}
	rows, err := s.readRows(ctx, snippetsSQL, FTSQuery(q), slices.Min(ids), slices.Max(ids), string(idList))
	if err != nil {
		return fmt.Errorf("search snippets: %w", err)
	}
	defer rows.Close()
	byID := make(map[uint]string, len(ids))
	for rows.Next() {
		var (
			id   uint
			blob sql.RawBytes
		)
		if err := rows.Scan(&id, &blob); err != nil {
			return fmt.Errorf("search snippets: %w", err)
		}
		byID[id] = decodeSnippet(blob)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("search snippets: %w", err)
	}
	for i := range hits {
		hits[i].Snippet = byID[hits[i].ID]
	}
	return nil
}

// snippetsSQL is the snippet of each ticket of a page (addSnippets): the
// matches between the lowest and the highest id (FTS5 reads its index from
// the one to the other), those of the page's ids only (the "+" keeps the
// list from being offered to FTS5, which would then read every match; the
// list is a JSON array so that the statement stays the same and prepared).
var snippetsSQL = "SELECT rowid, wd_snippet(ticket_fts, " + strconv.Itoa(snippetWords) + ") FROM ticket_fts " +
	"WHERE ticket_fts MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN (SELECT value FROM json_each(?))"

// decodeSnippet formats a snippet from wd_snippet's value (fts5snippet.c):
// "" for NULL (no match in the subject or body) and for a value it cannot
// read.
func decodeSnippet(blob []byte) string {
	const head = 16
	if len(blob) < head {
		return ""
	}
	u32 := func(i int) int { return int(binary.LittleEndian.Uint32(blob[i:])) }
	lead, trail, k := u32(4) != 0, u32(8) != 0, u32(12)
	if k < 1 || k > (len(blob)-head)/12 {
		return ""
	}
	text := string(blob[head+12*k:])
	var buf [snippetWords]snippetWord
	words, marked := buf[:0], uint64(0)
	for i, pos := 0, 0; i < k; i++ {
		w := snippetWord{u32(head + 12*i), u32(head + 12*i + 4)}
		if w.start < pos || w.end < w.start || w.end > len(text) {
			return ""
		}
		words, pos = append(words, w), w.end
		if u32(head+12*i+8) != 0 && i < 64 {
			marked |= 1 << i
		}
	}
	return formatSnippet(text, words, lead, trail, func(k int) bool { return k < 64 && marked>>k&1 == 1 })
}

// StatusAssigneeCount is how many tickets have one status and one assignee
// (nil = nobody).
type StatusAssigneeCount struct {
	Status     string
	AssigneeID *uint
	N          int64
}

// ViewCounts returns the ticket counts behind the list's views: the
// tickets per status and assignee from ticket_counts (kept by triggers in
// every writing transaction, see migrateTicketCounts: a few rows, whatever
// the number of tickets), and the number breached under rule (a range of
// idx_tickets_running_sla).
func (s *Store) ViewCounts(ctx context.Context, rule SLARule) ([]StatusAssigneeCount, int64, error) {
	var groups []StatusAssigneeCount
	err := s.r.WithContext(ctx).Raw("SELECT status, NULLIF(assignee_id, 0) AS assignee_id, n FROM ticket_counts WHERE n <> 0").
		Scan(&groups).Error
	if err != nil {
		return nil, 0, fmt.Errorf("count tickets by status and assignee: %w", err)
	}
	var overdue int64
	if err := rule.where(s.r.WithContext(ctx).Model(&Ticket{})).Count(&overdue).Error; err != nil {
		return nil, 0, fmt.Errorf("count overdue tickets: %w", err)
	}
	return groups, overdue, nil
}

// TicketDepartments lists the departments of requesters and devices, for
// the list's department filter.
func (s *Store) TicketDepartments(ctx context.Context) ([]string, error) {
	var out []string
	err := s.r.WithContext(ctx).Raw("SELECT department FROM requesters WHERE department <> '' " +
		"UNION SELECT department FROM assets WHERE department <> '' ORDER BY 1").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list departments: %w", err)
	}
	return out, nil
}

// TicketsByNumbers loads tickets (without associations) by number, for a
// bulk change; numbers that do not exist are left out.
func (s *Store) TicketsByNumbers(ctx context.Context, numbers []int64) ([]Ticket, error) {
	var out []Ticket
	if len(numbers) == 0 {
		return out, nil
	}
	if err := s.r.WithContext(ctx).Where("number IN ?", numbers).Order("number").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("load tickets by number: %w", err)
	}
	return out, nil
}

// SetRequesterDepartment records which department a requester belongs to
// (the list's department filter reads it).
func (s *Store) SetRequesterDepartment(ctx context.Context, email, department string) error {
	res := s.w.WithContext(ctx).Model(&Requester{}).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).
		Update("department", strings.TrimSpace(department))
	if res.Error != nil {
		return fmt.Errorf("set department of %s: %w", email, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
