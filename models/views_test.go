package models

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"

	"warrantydesk/internal/testenv"
)

// TestViewMigrationIdempotent runs migration 50 again on a migrated database:
// an upgrade that stopped half-way must be able to run it once more.
func TestViewMigrationIdempotent(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	if err := s.w.Transaction(migrateTicketViews); err != nil {
		t.Fatalf("second run of migration 50: %v", err)
	}
}

// TestSearchPrefixMigrationKeepsTheIndex rebuilds ticket_fts (migration 53)
// on a database whose tickets are already indexed, as on an upgrade: every
// ticket is still found, by whole words and by the prefixes that now have an
// index of their own, and the table carries the new prefix lengths.
func TestSearchPrefixMigrationKeepsTheIndex(t *testing.T) {
	testenv.SkipOnPostgres(t, "migration 53 rebuilds the FTS5 table; PostgreSQL's GIN index needs no prefix indexes")
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv")
	if err != nil {
		t.Fatal(err)
	}
	screen := &Ticket{Subject: "Skärmen flimrar", RequesterID: r.ID, Requester: *r, Status: StatusNew, Priority: "normal", Category: CategoryOther}
	keyboard := &Ticket{Subject: "Fråga", RequesterID: r.ID, Requester: *r, Status: StatusNew, Priority: "normal", Category: CategoryOther}
	for tk, body := range map[*Ticket]string{screen: "Den blinkar.", keyboard: "Tangentbordet saknar tangenter."} {
		if err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		if err := s.IndexNewTicket(ctx, tk, []string{body}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.w.Transaction(migrateSearchPrefixes); err != nil {
		t.Fatalf("migration 53 on an indexed database: %v", err)
	}
	var ddl string
	if err := s.r.Raw("SELECT sql FROM sqlite_master WHERE name = 'ticket_fts'").Scan(&ddl).Error; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ddl, "prefix = '"+searchPrefixes+"'") {
		t.Errorf("ticket_fts after the migration: %s", ddl)
	}
	for q, want := range map[string]*Ticket{"skarm": screen, "skärmen": screen, "flimrar": screen, "tangentbord": keyboard, "tangentbordet": keyboard, "ta": keyboard} {
		p, err := s.TicketPage(ctx, TicketFilter{Q: q})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 1 || p.Items[0].ID != want.ID {
			t.Errorf("q=%q after the migration: %d items, want ticket #%d alone", q, len(p.Items), want.Number)
		}
	}
}

// TestTicketListPlans checks that the list's hot queries read an index in
// the wanted order instead of sorting every ticket: at 100 000 tickets a
// "USE TEMP B-TREE FOR ORDER BY" is the difference between 1 ms and 100 ms.
func TestTicketListPlans(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	me := uint(1)
	rule := SLARule{Now: time.Now(), PausedStatuses: []string{StatusAtVendor}}
	cases := []struct {
		name  string
		f     TicketFilter
		index string
	}{
		{"default", TicketFilter{}, "idx_tickets_updated"},
		{"status", TicketFilter{Status: StatusOpen}, "idx_tickets_status_updated"},
		{"mine", TicketFilter{AssigneeID: &me, Statuses: []string{StatusOpen}}, "idx_tickets_assignee_status_updated"},
		// Migration 100 dropped the plain assignee index: these read the long
		// one (and sort the agent's or nobody's tickets, as they did before).
		{"mine, any status", TicketFilter{AssigneeID: &me}, "idx_tickets_assignee_status_updated"},
		{"unassigned", TicketFilter{Unassigned: true, Statuses: []string{StatusNew, StatusOpen}}, "idx_tickets_assignee_status_updated"},
		{"created", TicketFilter{Sort: SortCreated}, "idx_tickets_created"},
		{"priority", TicketFilter{Sort: SortPriority}, "idx_tickets_priority_rank"},
		{"overdue", TicketFilter{Overdue: &rule, Sort: SortSLA}, "idx_tickets_running_sla"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.f
			q, err := s.ticketQuery(ctx, &f, false)
			if err != nil {
				t.Fatal(err)
			}
			stmt := q.Session(&gorm.Session{DryRun: true}).Select("tickets.id").Order(orderBy(&f)).Limit(50).Find(&[]Ticket{}).Statement
			plan := explain(t, s, stmt.SQL.String(), stmt.Vars...)
			if !strings.Contains(plan, tc.index) {
				t.Errorf("plan does not use %s:\n%s", tc.index, plan)
			}
			sorts := tc.name == "overdue" || tc.name == "mine, any status" || tc.name == "unassigned"
			// PostgreSQL's indexes lack SQLite's implicit rowid column, so it
			// finishes the id tie-break with a sort (incremental on many rows).
			if s.sqlite() && !sorts && strings.Contains(plan, "TEMP B-TREE FOR ORDER BY") {
				t.Errorf("plan sorts every row:\n%s", plan)
			}
		})
	}
	// The unassigned count reads one covering index, never the table (it read
	// idx_tickets_status_assignee before migration 100).
	un := TicketFilter{Unassigned: true, Statuses: []string{StatusNew, StatusOpen}}
	uq, err := s.ticketQuery(ctx, &un, false)
	if err != nil {
		t.Fatal(err)
	}
	var un64 int64
	stmt0 := uq.Session(&gorm.Session{DryRun: true}).Count(&un64).Statement
	// (On PostgreSQL an index-only scan depends on the visibility map, that
	// is on VACUUM: there the plan must use the index.)
	covering := "COVERING INDEX idx_tickets_assignee_status_updated"
	if !s.sqlite() {
		covering = "idx_tickets_assignee_status_updated"
	}
	if plan := explain(t, s, stmt0.SQL.String(), stmt0.Vars...); !strings.Contains(plan, covering) {
		t.Errorf("unassigned count plan:\n%s", plan)
	}
	// The overdue count reads one covering index, never the table.
	var n int64
	stmt := rule.where(s.r.Session(&gorm.Session{DryRun: true}).Model(&Ticket{})).Count(&n).Statement
	if plan := explain(t, s, stmt.SQL.String(), stmt.Vars...); !strings.Contains(plan, "idx_tickets_running_sla") {
		t.Errorf("overdue count plan:\n%s", plan)
	}
}

// TestTicketCountsFollowEveryWrite: ticket_counts, kept by triggers, equals
// counting the tickets after inserts, status and assignee changes (through
// GORM and plain SQL), a no-op update and a delete.
func TestTicketCountsFollowEveryWrite(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv")
	if err != nil {
		t.Fatal(err)
	}
	bo := &Agent{Email: "bo@desk.test", Name: "Bo", Role: RoleAgent, PasswordHash: "x"}
	if err := s.w.Create(bo).Error; err != nil {
		t.Fatal(err)
	}
	check := func(step string) {
		t.Helper()
		var kept, counted []StatusAssigneeCount
		if err := s.r.Raw("SELECT status, NULLIF(assignee_id, 0) AS assignee_id, n FROM ticket_counts WHERE n <> 0 ORDER BY 1, 2").Scan(&kept).Error; err != nil {
			t.Fatal(err)
		}
		if err := s.r.Raw("SELECT status, assignee_id, COUNT(*) AS n FROM tickets GROUP BY 1, 2 ORDER BY 1, 2").Scan(&counted).Error; err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(derefCounts(kept)) != fmt.Sprint(derefCounts(counted)) {
			t.Errorf("%s: ticket_counts %v, counted %v", step, derefCounts(kept), derefCounts(counted))
		}
	}
	var ids []uint
	for _, st := range []string{StatusNew, StatusNew, StatusOpen} {
		tk := &Ticket{Subject: "x", RequesterID: r.ID, Status: st, Priority: "normal", Category: CategoryOther}
		if err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	check("inserts")
	if err := s.UpdateTicket(ctx, ids[0], map[string]any{"status": StatusPending}); err != nil {
		t.Fatal(err)
	}
	check("status")
	if err := s.UpdateTicket(ctx, ids[1], map[string]any{"assignee_id": bo.ID}); err != nil {
		t.Fatal(err)
	}
	check("assignee")
	if err := s.UpdateTicket(ctx, ids[1], map[string]any{"assignee_id": bo.ID, "status": StatusNew, "subject": "y"}); err != nil {
		t.Fatal(err)
	}
	check("no change to either")
	if err := s.w.Exec("UPDATE tickets SET status = 'closed', assignee_id = NULL").Error; err != nil {
		t.Fatal(err)
	}
	check("plain SQL, every ticket")
	var tk Ticket
	if err := s.w.First(&tk, ids[2]).Error; err != nil {
		t.Fatal(err)
	}
	tk.Status, tk.AssigneeID = StatusOpen, &bo.ID
	if err := s.w.Save(&tk).Error; err != nil {
		t.Fatal(err)
	}
	check("save")
	if err := s.w.Exec("DELETE FROM tickets WHERE id = ?", ids[0]).Error; err != nil {
		t.Fatal(err)
	}
	check("delete")
	if err := s.w.Transaction(migrateTicketCounts); err != nil {
		t.Fatalf("second run of migration 52: %v", err)
	}
	check("migration run again")
}

func derefCounts(cs []StatusAssigneeCount) []string {
	var out []string
	for _, c := range cs {
		a := "nobody"
		if c.AssigneeID != nil {
			a = fmt.Sprint(*c.AssigneeID)
		}
		out = append(out, fmt.Sprintf("%s/%s=%d", c.Status, a, c.N))
	}
	return out
}

// explain returns the query plan of sql: SQLite's EXPLAIN QUERY PLAN, or
// PostgreSQL's EXPLAIN told to avoid sequential scans (its planner reads a
// test's few rows from the table, which says nothing of 100 000 tickets).
func explain(t *testing.T, s *Store, sql string, vars ...any) string {
	t.Helper()
	var b strings.Builder
	if !s.sqlite() {
		err := s.r.Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("SET LOCAL enable_seqscan = off").Error; err != nil {
				return err
			}
			var lines []string
			if err := tx.Raw("EXPLAIN "+sql, vars...).Scan(&lines).Error; err != nil {
				return err
			}
			for _, l := range lines {
				fmt.Fprintln(&b, l)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("explain %s: %v", sql, err)
		}
		return b.String()
	}
	var rows []struct{ Detail string }
	if err := s.r.Raw("EXPLAIN QUERY PLAN "+sql, vars...).Scan(&rows).Error; err != nil {
		t.Fatalf("explain %s: %v", sql, err)
	}
	for _, r := range rows {
		fmt.Fprintln(&b, r.Detail)
	}
	return b.String()
}

// TestSearchSnippetsAndRanking: a subject match outranks a body match; the
// snippet marks the matched word and keeps the text raw (escaping is the
// web layer's job); diacritics and prefixes match both ways.
func TestSearchSnippetsAndRanking(t *testing.T) {
	ctx := context.Background()
	s, add := searchFixture(t)
	bodyOnly := add("Fråga", "Hej, skärmen på min dator är svart sedan i morse. <script>alert(1)</script>")
	subject := add("Skärmen flimrar", "Den blinkar hela tiden.")
	for _, q := range []string{"skarm", "skärm", "SKÄRMEN", "skarmen"} {
		p, err := s.TicketPage(ctx, TicketFilter{Q: q})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 2 || p.Total != 2 {
			t.Fatalf("q=%q: %d items, total %d, want 2", q, len(p.Items), p.Total)
		}
		if p.Items[0].ID != subject.ID {
			t.Errorf("q=%q: subject match #%d should rank first, got #%d", q, subject.Number, p.Items[0].Number)
		}
		var snip string
		for _, it := range p.Items {
			if it.ID == bodyOnly.ID {
				snip = it.Snippet
			}
		}
		if !strings.Contains(snip, SnippetStart+"skärmen"+SnippetEnd) || !strings.Contains(snip, "<script>") {
			t.Errorf("q=%q: snippet %q", q, snip)
		}
	}
	p, err := s.TicketPage(ctx, TicketFilter{Q: fmt.Sprint(bodyOnly.Number)})
	if err != nil || len(p.Items) != 1 || p.Items[0].ID != bodyOnly.ID {
		t.Errorf("number search: %+v %v", p, err)
	}
	capped, err := s.TicketPage(ctx, TicketFilter{Q: "skarm", CountCap: 1})
	if err != nil || capped.Total != 1 || !capped.TotalCapped || len(capped.Items) != 2 {
		t.Errorf("capped count: total %d capped %v items %d (%v)", capped.Total, capped.TotalCapped, len(capped.Items), err)
	}
}

// TestSnippets: a search's snippets through the real path (wd_snippet
// on SQLite, fts5snippet.c): a dozen words around the first match in the
// body, or in the subject when only it matched, every later match marked,
// white space collapsed, "…" where words were left out; none when only
// the requester matched. Also for a word whose match is past the words
// the tokenizer is asked to read at first, and for invalid UTF-8.
func TestSnippets(t *testing.T) {
	ctx := context.Background()
	s, add := searchFixture(t)
	if !s.sqlite() {
		t.Skip("wd_snippet cuts SQLite's snippets; PostgreSQL's come from ts_headline (cutSnippet)")
	}
	long := "ett två tre fyra fem sex sju åtta nio tio elva tolv tretton fjorton femton sexton Skärmen sjutton arton nitton tjugo tjugoett tjugotvå tjugotre"
	cases := []struct {
		name, subject, text, q, want string
	}{
		{"start", "Fråga", "Hej,\n\nskärmen är   svart.", "skarm", "Hej, \ue000skärmen\ue001 är svart."},
		{"every match marked", "Fråga", "Skärm och skärmar", "SKÄRM", "\ue000Skärm\ue001 och \ue000skärmar\ue001"},
		{"window with ellipses", "Fråga", long, "skarmen", "…elva tolv tretton fjorton femton sexton \ue000Skärmen\ue001 sjutton arton nitton tjugo tjugoett tjugotvå tjugotre"},
		{"middle", "Fråga", long + " a b c d e f g h i j", "skarmen", "…tretton fjorton femton sexton \ue000Skärmen\ue001 sjutton arton nitton tjugo tjugoett tjugotvå tjugotre a b…"},
		{"only the subject matches", "Skärmen är svart", "Den blinkar hela tiden.", "skarm", "\ue000Skärmen\ue001 är svart"},
		{"near the end", "Fråga", "a b c d e f g h i j k l m n o p q r s t Skärm u", "skarm", "…i j k l m n o p q r s t \ue000Skärm\ue001 u"},
		{"matches after the first", "Fråga", "x Skärm y skärmar z " + long, "skarm", "x \ue000Skärm\ue001 y \ue000skärmar\ue001 z ett två tre fyra fem sex sju åtta nio…"},
		{"far in, near the end", "Fråga", strings.Repeat("a b c d e f g h i j ", 9) + "Skärm u", "skarm", "…i j a b c d e f g h i j \ue000Skärm\ue001 u"},
		{"far in, mid text", "Fråga", strings.Repeat("ord ", 57) + "Ärendet gäller " + long, "arende", "…ord ord ord ord \ue000Ärendet\ue001 gäller ett två tre fyra fem sex sju åtta…"},
		{"invalid UTF-8 separates words", "Fråga", "a\xffSkärm b", "skarm", "a\ufffd\ue000Skärm\ue001 b"},
		{"upper-case ASCII", "Fråga", strings.Repeat("Ord ", 60) + "KEYBOARD broken", "keyb", "…Ord Ord Ord Ord Ord Ord Ord Ord Ord Ord Ord Ord \ue000KEYBOARD\ue001 broken"},
		{"two words, both marked", "Fråga", "Fläkten låter och skärmen flimrar, fläkten igen", "flakt skarm", "\ue000Fläkten\ue001 låter och \ue000skärmen\ue001 flimrar, \ue000fläkten\ue001 igen"},
		{"only the requester matches", "Fråga", "Inget om det här.", "eva", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tk := add(tc.subject, tc.text)
			p, err := s.TicketPage(ctx, TicketFilter{Q: tc.q})
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range p.Items {
				if it.ID == tk.ID {
					if it.Snippet != tc.want {
						t.Errorf("got  %q\nwant %q", it.Snippet, tc.want)
					}
					return
				}
			}
			t.Fatalf("ticket #%d not among the %d found", tk.Number, len(p.Items))
		})
	}
}

// TestSearchRanksNewestCandidates: past rankCandidates matches, the first
// pages rank the newest matches and the pages after them go on with the
// older ones, every match listed exactly once; the count is exact.
func TestSearchRanksNewestCandidates(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv")
	if err != nil {
		t.Fatal(err)
	}
	const n = rankCandidates + 30
	err = s.Tx(ctx, func(tx *Store) error {
		for i := range n {
			subject := "Fråga"
			if i == 0 {
				subject = "Skärmen" // the best match, and the oldest
			}
			tk := &Ticket{Subject: subject, RequesterID: r.ID, Requester: *r, Status: StatusNew, Priority: "normal", Category: CategoryOther}
			if err := tx.CreateTicket(ctx, tk); err != nil {
				return err
			}
			if err := tx.IndexNewTicket(ctx, tk, []string{fmt.Sprintf("skärmen är svart %d", i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Two words: wd_bm25 takes their numbers of matches as arguments, bound
	// before the search's in both forms of the query.
	for _, q := range []string{"skarm", "skarm svart"} {
		seen := map[uint]int{}
		var order []uint
		for offset := 0; offset < n; offset += 500 {
			p, err := s.TicketPage(ctx, TicketFilter{Q: q, Limit: 500, Offset: offset})
			if err != nil {
				t.Fatal(err)
			}
			if p.Total != n {
				t.Fatalf("q=%q offset %d: total %d, want %d", q, offset, p.Total, n)
			}
			for _, it := range p.Items {
				seen[it.ID]++
				order = append(order, it.ID)
			}
		}
		if len(seen) != n || len(order) != n {
			t.Fatalf("q=%q: %d distinct of %d listed, want %d", q, len(seen), len(order), n)
		}
		for i, id := range order {
			if newest := id > n-rankCandidates; newest != (i < rankCandidates) {
				t.Fatalf("q=%q: position %d holds ticket id %d: the %d newest matches should come first", q, i, id, rankCandidates)
			}
		}
		if order[rankCandidates] != 1 {
			t.Errorf("q=%q: the oldest ticket, the best match, should lead the older matches; got id %d", q, order[rankCandidates])
		}
		first, err := s.TicketPage(ctx, TicketFilter{Q: q, Limit: 50})
		if err != nil || len(first.Items) != 50 {
			t.Fatalf("q=%q: first page: %v", q, err)
		}
	}
}

// partiesFixture opens a fresh store with a requester (Eva Ek), an agent
// (Bo) and a device (PF2ABC12) for tickets to be listed with.
func partiesFixture(t *testing.T) (*Store, *Requester, *Agent, *Asset) {
	t.Helper()
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva Ek", "sv")
	if err != nil {
		t.Fatal(err)
	}
	bo := &Agent{Email: "bo@desk.test", Name: "Bo", Role: RoleAgent, PasswordHash: "x"}
	if err := s.w.Create(bo).Error; err != nil {
		t.Fatal(err)
	}
	a := &Asset{Serial: "PF2ABC12", AssetTag: "IT-1", Model: "ThinkPad T14", Manufacturer: "Lenovo"}
	if _, err := s.UpsertAsset(ctx, a); err != nil {
		t.Fatal(err)
	}
	return s, r, bo, a
}

// TestTicketPageParties: a listed ticket carries its requester, assignee
// and device, in the list's order, and nil where there is none.
func TestTicketPageParties(t *testing.T) {
	ctx := context.Background()
	s, r, bo, a := partiesFixture(t)
	plain := &Ticket{Subject: "Utan", RequesterID: r.ID, Status: StatusNew, Priority: "normal", Category: CategoryOther}
	full := &Ticket{Subject: "Med", RequesterID: r.ID, Status: StatusOpen, Priority: "high", Category: CategoryHardware,
		AssigneeID: &bo.ID, AssetID: &a.ID}
	for _, tk := range []*Ticket{plain, full} {
		if err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	// Rows written by raw SQL (an import, an older version) may hold NULL
	// where GORM writes "".
	if err := s.w.Exec("UPDATE tickets SET fault_matches = NULL, cc = NULL, language = NULL").Error; err != nil {
		t.Fatal(err)
	}
	p, err := s.TicketPage(ctx, TicketFilter{Sort: SortNumber})
	if err != nil || len(p.Items) != 2 {
		t.Fatalf("page: %+v %v", p, err)
	}
	got, none := p.Items[0].Ticket, p.Items[1].Ticket
	if got.Number != full.Number || none.Number != plain.Number {
		t.Fatalf("order: #%d, #%d; want #%d first", got.Number, none.Number, full.Number)
	}
	if got.Requester.Name != "Eva Ek" || got.Requester.Email != "eva@corp.test" || got.Assignee == nil || got.Assignee.Name != "Bo" ||
		got.Asset == nil || got.Asset.Serial != "PF2ABC12" || got.Priority != "high" || got.Status != StatusOpen || got.CreatedAt.IsZero() {
		t.Errorf("listed ticket: %+v (assignee %+v, asset %+v)", got, got.Assignee, got.Asset)
	}
	if none.Assignee != nil || none.Asset != nil || none.Requester.Email != "eva@corp.test" {
		t.Errorf("ticket without assignee and device: %+v %+v", none.Assignee, none.Asset)
	}
}

// TestTicketByNumberLoadsEveryParty compares the hand-scanned ticket with
// the one GORM's joins load, for a ticket with every party and field set,
// one with none, and one whose text columns hold NULL.
func TestTicketByNumberLoadsEveryParty(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva Ek", "sv")
	if err != nil {
		t.Fatal(err)
	}
	v := &Vendor{Name: "Atea", Email: "rma@atea.test", CasePattern: `RMA-\\d+`, WarrantyMonths: 24, TurnaroundDays: 7, AutoForward: true}
	if err := s.w.Create(v).Error; err != nil {
		t.Fatal(err)
	}
	bo := &Agent{Email: "bo@desk.test", Name: "Bo", Role: RoleAgent, PasswordHash: "hash", Language: "en", VendorID: &v.ID}
	if err := s.w.Create(bo).Error; err != nil {
		t.Fatal(err)
	}
	delivered := time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)
	a := &Asset{Serial: "PF2ABC12", AssetTag: "IT-1", Model: "ThinkPad T14", Manufacturer: "Lenovo", VendorID: &v.ID,
		DeliveredOn: &delivered, WarrantyMonths: 36, AssignedTo: "eva@corp.test", Department: "Ekonomi", State: "in_use"}
	if _, err := s.UpsertAsset(ctx, a); err != nil {
		t.Fatal(err)
	}
	due := time.Now().UTC().Add(time.Hour).Truncate(time.Second)
	full := &Ticket{Subject: "Med", RequesterID: r.ID, Status: StatusOpen, Priority: "high", Category: CategoryHardware,
		FaultMatches: "skärm", Language: "sv", Cc: "x@corp.test", AssigneeID: &bo.ID, AssetID: &a.ID, SLADueAt: &due}
	plain := &Ticket{Subject: "Utan", RequesterID: r.ID, Status: StatusNew, Priority: "normal", Category: CategoryOther}
	nulls := &Ticket{Subject: "Importerad", RequesterID: r.ID, Status: StatusNew, Priority: "normal", Category: CategoryOther}
	for _, tk := range []*Ticket{full, plain, nulls} {
		if err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.w.Exec("UPDATE tickets SET fault_matches = NULL, cc = NULL, language = NULL WHERE id = ?", nulls.ID).Error; err != nil {
		t.Fatal(err)
	}
	for _, tk := range []*Ticket{full, plain, nulls} {
		t.Run(tk.Subject, func(t *testing.T) {
			var want Ticket
			if err := s.r.Joins("Requester").Joins("Asset").Joins("Asset.Vendor").Joins("Assignee").
				Where("tickets.number = ?", tk.Number).Take(&want).Error; err != nil {
				t.Fatal(err)
			}
			got, err := s.TicketByNumber(ctx, tk.Number)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, want) {
				t.Errorf("TicketByNumber:\n got %+v\nwant %+v", *got, want)
			}
		})
	}
	if got, err := s.TicketByNumber(ctx, full.Number); err != nil || got.Asset == nil || got.Asset.Vendor == nil ||
		got.Asset.Vendor.Name != "Atea" || got.Assignee == nil || got.Assignee.Name != "Bo" {
		t.Errorf("parties of #%d: %+v, %v", full.Number, got, err)
	}
	if _, err := s.TicketByNumber(ctx, 999_999); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown number: %v, want ErrNotFound", err)
	}
}

// TestListCountsFollowWrites: a filtered list's count and a search's count
// are kept between pages, yet a new matching ticket counts at once.
func TestListCountsFollowWrites(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv")
	if err != nil {
		t.Fatal(err)
	}
	add := func(status string) {
		t.Helper()
		tk := &Ticket{Subject: "Skärmen", RequesterID: r.ID, Requester: *r, Status: status, Priority: "normal", Category: CategoryHardware}
		if err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		if err := s.IndexNewTicket(ctx, tk, []string{"skärmen är svart"}); err != nil {
			t.Fatal(err)
		}
	}
	total := func(f TicketFilter) int64 {
		t.Helper()
		f.CountCap = 100
		p, err := s.TicketPage(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		return p.Total
	}
	filters := map[string]TicketFilter{
		"status":          {Status: StatusOpen, Category: CategoryHardware},
		"search":          {Q: "skarm"},
		"search + status": {Q: "skarm", Status: StatusOpen},
		"other status":    {Status: StatusClosed},
	}
	add(StatusOpen)
	for name, f := range filters {
		want := int64(1)
		if name == "other status" {
			want = 0
		}
		if got := total(f); got != want || total(f) != want {
			t.Errorf("%s: total %d, want %d", name, got, want)
		}
	}
	add(StatusOpen)
	for name, f := range filters {
		want := int64(2)
		if name == "other status" {
			want = 0
		}
		if got := total(f); got != want {
			t.Errorf("after a new ticket, %s: total %d, want %d", name, got, want)
		}
	}
}

// BenchmarkTicketSearch searches 20 000 tickets (one word in every tenth)
// on the suite's database: one ranked page with snippets and its total,
// capped as the list counts it.
func BenchmarkTicketSearch(b *testing.B) {
	ctx := context.Background()
	s, err := Open(ctx, testOptions(b, filepath.Join(b.TempDir(), "wd.db")))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	err = s.Tx(ctx, func(tx *Store) error {
		r, err := tx.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv")
		if err != nil {
			return err
		}
		for i := range 20000 {
			subject, body := fmt.Sprintf("Ärende %d om datorn", i), "Datorn startar långsamt och fläkten låter."
			if i%10 == 0 {
				body = "Skärmen på min dator är svart sedan i morse, den flimrar ibland."
			}
			tk := &Ticket{Subject: subject, RequesterID: r.ID, Requester: *r, Status: StatusOpen, Priority: "normal", Category: CategoryOther}
			if err := tx.CreateTicket(ctx, tk); err != nil {
				return err
			}
			if err := tx.IndexNewTicket(ctx, tk, []string{body}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		p, err := s.TicketPage(ctx, TicketFilter{Q: "skärm", CountCap: 10000})
		if err != nil || len(p.Items) != 50 || p.Total != 2000 {
			b.Fatalf("%d items, total %d (%v)", len(p.Items), p.Total, err)
		}
	}
}

// TestSnippetsCutAsCutSnippet: on random texts of words, white space,
// punctuation, other scripts and invalid UTF-8, wd_snippet cuts the same
// snippets as cutSnippet (PostgreSQL's cut, and before wd_snippet also
// SQLite's) given the same matches: the words starting with "zebr", which
// no other word of the texts does. (Combining marks are left out: whether
// one joins a word is the tokenizer's to say, and wd_snippet follows it.)
func TestSnippetsCutAsCutSnippet(t *testing.T) {
	ctx := context.Background()
	s, add := searchFixture(t)
	if !s.sqlite() {
		t.Skip("wd_snippet cuts SQLite's snippets")
	}
	words := []string{"skärmen", "Skärm", "fläkten", "Ärendet", "keyboard", "Łódź", "straße", "日本語", "abc123", "42", "x",
		"Ωμέγα", "naïve", "zebra", "Zebran", "ZEBROR", "zebr"}
	seps := []string{" ", " ", " ", "  ", "\n", "\r\n\r\n", "\t", ", ", ". ", "!", "-", "@", "\u00a0", "\u2003", "\xff", "\xc3",
		"<script>", "…", "😀", " — ", "_", "'"}
	rng := rand.New(rand.NewPCG(7, 11))
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	hit := func(text string) func(int, int) bool {
		return func(start, end int) bool { return strings.HasPrefix(strings.ToLower(text[start:end]), "zebr") }
	}
	want := map[uint]string{}
	for range 200 {
		var b strings.Builder
		for range 1 + rng.IntN(80) {
			b.WriteString(pick(seps))
			b.WriteString(pick(words))
		}
		b.WriteString(pick(seps))
		text := b.String()
		snip, ok := cutSnippet(text, hit(text), snippetWords)
		if !ok {
			text += " zebra"
			snip, _ = cutSnippet(text, hit(text), snippetWords)
		}
		want[add("Fråga", text).ID] = snip
	}
	for offset, n := 0, len(want); offset < n; offset += 50 {
		p, err := s.TicketPage(ctx, TicketFilter{Q: "zebr", Offset: offset, Sort: SortCreated})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			if it.Snippet != want[it.ID] {
				t.Errorf("ticket %d:\ngot  %q\nwant %q", it.ID, it.Snippet, want[it.ID])
			}
			delete(want, it.ID)
		}
	}
	if len(want) > 0 {
		t.Errorf("%d tickets not found", len(want))
	}
}
