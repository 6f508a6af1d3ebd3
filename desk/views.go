package desk

// The ticket list: views with counts, filters, sorting and pages. The
// handlers pass what the agent typed (ListQuery); the desk checks it and
// turns it into a store filter, so the list's rules live here.

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"warrantydesk/models"
)

// The list's views: each a tab with its count.
const (
	ViewMine       = "mine"       // assigned to me, not resolved or closed
	ViewUnassigned = "unassigned" // assigned to nobody, not resolved or closed
	ViewNew        = "new"
	ViewPending    = "pending" // waiting on the requester
	ViewAtVendor   = "at_vendor"
	ViewOverdue    = "overdue"  // our SLA breached (the Overdue rule)
	ViewResolved   = "resolved" // resolved or closed
	ViewAll        = "all"
)

// Views lists the views in the order the list shows them.
var Views = []string{ViewMine, ViewUnassigned, ViewNew, ViewPending, ViewAtVendor, ViewOverdue, ViewResolved, ViewAll}

// doneStatuses are the statuses of finished tickets.
var doneStatuses = []string{models.StatusResolved, models.StatusClosed}

// activeStatuses are the statuses of tickets still being worked on.
var activeStatuses = []string{models.StatusNew, models.StatusOpen, models.StatusPending, models.StatusAtVendor}

// ViewCountTTL bounds how old the overdue count may be when nothing was
// written: a ticket becomes overdue by the clock alone. Any committed write
// makes the next list count again (models.Versioned).
const ViewCountTTL = 5 * time.Second

// Warranty states of the list's warranty filter.
var ListWarrantyFilters = []string{models.WarrantyUnder, models.WarrantyExpired, models.WarrantyUnknown}

// Sort directions.
const (
	DirAsc  = "asc"
	DirDesc = "desc"
)

// ListQuery is what an agent asked the ticket list (or the API) for, as
// typed. Empty fields do not filter.
type ListQuery struct {
	View             string // one of Views; "" = all
	Status, Category string
	Priority         string
	Assignee         string // "me", "none" or an agent id
	Vendor           string // a vendor id
	Department       string
	Warranty         string // one of ListWarrantyFilters
	CreatedFrom      string // YYYY-MM-DD in the desk's time zone, inclusive
	CreatedTo        string // YYYY-MM-DD, inclusive
	Q                string
	Serial           string // normalised
	Sort             string // one of models.SortKeys; "" = relevance with a search, else the view's
	Dir              string // DirAsc, DirDesc or "" (the sort's natural order)
	Limit, Offset    int
	CountCap         int64 // see models.TicketFilter.CountCap
	ExactCount       bool  // never reuse a cached view count as the total
}

// ListResult is one page of the list.
type ListResult struct {
	models.TicketPage
	// View is the view shown; Sort and Asc the order actually used.
	View string
	Sort string
	Asc  bool
}

// viewCountCache holds the grouped counts and the department choices,
// each until the next committed write (models.Versioned).
type viewCountCache struct {
	counts      models.Versioned[viewCountData]
	departments models.Versioned[[]string]
}

// viewCountData is what the view counts are computed from, and when.
type viewCountData struct {
	groups  []models.StatusAssigneeCount
	overdue int64
	at      time.Time
}

// ListDepartments lists the departments of requesters and devices, for the
// list's department filter (reused until the next write).
func (s *Service) ListDepartments(ctx context.Context) ([]string, error) {
	return s.views.departments.Get(ctx, s.store, s.store.TicketDepartments)
}

// slaRule is the Overdue rule at now, for the store.
func (s *Service) slaRule() models.SLARule {
	return models.SLARule{Now: s.now(), PausedStatuses: slaPausedStatuses}
}

// ViewCounts returns how many tickets each view holds for actor. The
// counts come from two indexed queries shared by every agent, reused until
// the next committed write (or ViewCountTTL, for the overdue count), never
// from a scan per view.
func (s *Service) ViewCounts(ctx context.Context, actor *models.Agent) (map[string]int64, error) {
	load := func(ctx context.Context) (viewCountData, error) {
		groups, overdue, err := s.store.ViewCounts(ctx, s.slaRule())
		return viewCountData{groups: groups, overdue: overdue, at: time.Now()}, err
	}
	c, err := s.views.counts.Get(ctx, s.store, load)
	if err != nil {
		return nil, err
	}
	if time.Since(c.at) > ViewCountTTL {
		s.views.counts.Forget()
		if c, err = s.views.counts.Get(ctx, s.store, load); err != nil {
			return nil, err
		}
	}
	out := make(map[string]int64, len(Views))
	for _, v := range Views {
		out[v] = 0
	}
	out[ViewOverdue] = c.overdue
	for _, g := range c.groups {
		out[ViewAll] += g.N
		active := slices.Contains(activeStatuses, g.Status)
		switch g.Status {
		case models.StatusNew:
			out[ViewNew] += g.N
		case models.StatusPending:
			out[ViewPending] += g.N
		case models.StatusAtVendor:
			out[ViewAtVendor] += g.N
		case models.StatusResolved, models.StatusClosed:
			out[ViewResolved] += g.N
		}
		switch {
		case !active:
		case g.AssigneeID == nil:
			out[ViewUnassigned] += g.N
		case actor != nil && *g.AssigneeID == actor.ID:
			out[ViewMine] += g.N
		}
	}
	return out, nil
}

// ForgetViewCounts makes the next ViewCounts count again. Writes need not
// call it (they change the data version); tests that move the clock do.
func (s *Service) ForgetViewCounts() {
	s.views.counts.Forget()
	s.views.departments.Forget()
}

// ListFilter checks q and turns it into the store's filter. It returns a
// ValidationError naming every field that is wrong.
func (s *Service) ListFilter(actor *models.Agent, q ListQuery) (models.TicketFilter, error) {
	f := models.TicketFilter{
		Status: q.Status, Category: q.Category, Priority: q.Priority, Q: strings.TrimSpace(q.Q), Serial: q.Serial,
		Department: strings.TrimSpace(q.Department), Warranty: q.Warranty, Sort: q.Sort, Asc: q.Dir == DirAsc,
		Limit: q.Limit, Offset: q.Offset, CountCap: q.CountCap,
	}
	bad := map[string]string{}
	check := func(field, value string, allowed []string, key string) {
		if value != "" && !slices.Contains(allowed, value) {
			bad[field] = key
		}
	}
	check("view", q.View, Views, "list.error.view")
	check("status", q.Status, models.Statuses, "error.bad_status")
	check("category", q.Category, models.Categories, "error.bad_category")
	check("priority", q.Priority, models.Priorities, "list.error.priority")
	check("warranty", q.Warranty, ListWarrantyFilters, "list.error.warranty")
	check("sort", q.Sort, models.SortKeys, "list.error.sort")
	check("dir", q.Dir, []string{DirAsc, DirDesc}, "list.error.sort")
	switch q.Assignee {
	case "":
	case "me":
		if actor != nil {
			f.AssigneeID = &actor.ID
		}
	case "none":
		f.Unassigned = true
	default:
		id, err := strconv.ParseUint(q.Assignee, 10, 32)
		if err != nil || id == 0 {
			bad["assignee"] = "error.bad_assignee"
		}
		agentID := uint(id)
		f.AssigneeID = &agentID
	}
	if q.Vendor != "" {
		id, err := strconv.ParseUint(q.Vendor, 10, 32)
		if err != nil || id == 0 {
			bad["vendor"] = "list.error.vendor"
		}
		vendorID := uint(id)
		f.VendorID = &vendorID
	}
	if from, ok := s.parseDay(q.CreatedFrom); !ok {
		bad["created_from"] = "list.error.date"
	} else if from != nil {
		f.CreatedFrom = from
	}
	if to, ok := s.parseDay(q.CreatedTo); !ok {
		bad["created_to"] = "list.error.date"
	} else if to != nil {
		next := to.AddDate(0, 0, 1)
		f.CreatedBefore = &next
	}
	if len(bad) > 0 {
		return f, &ValidationError{Fields: bad}
	}
	local := s.now().In(s.opt.Location)
	f.Today = time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC)
	s.applyView(actor, q.View, &f)
	return f, nil
}

// applyView narrows f to view; the overdue view sorts the most overdue first
// unless the agent chose another order.
func (s *Service) applyView(actor *models.Agent, view string, f *models.TicketFilter) {
	switch view {
	case ViewMine:
		id := uint(0) // no agent (an API token is always an agent): nothing is "mine"
		if actor != nil {
			id = actor.ID
		}
		f.AssigneeID, f.Unassigned = &id, false
		f.Statuses = activeStatuses
	case ViewUnassigned:
		f.AssigneeID, f.Unassigned = nil, true
		f.Statuses = activeStatuses
	case ViewNew, ViewPending, ViewAtVendor:
		f.Statuses = []string{view}
	case ViewOverdue:
		rule := s.slaRule()
		f.Overdue = &rule
		if f.Sort == "" && f.Q == "" {
			f.Sort, f.Asc = models.SortSLA, false
		}
	case ViewResolved:
		f.Statuses = doneStatuses
	}
}

// parseDay reads a YYYY-MM-DD day as its start in the desk's time zone; ""
// gives nil. false when the text is not a date.
func (s *Service) parseDay(v string) (*time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, true
	}
	t, err := time.ParseInLocation("2006-01-02", v, s.opt.Location)
	if err != nil {
		return nil, false
	}
	return &t, true
}

// onlyView reports whether q asks for nothing but a view (and an order and
// a page): its total is then the view's count.
func onlyView(q ListQuery) bool {
	return q.Status == "" && q.Category == "" && q.Priority == "" && q.Assignee == "" && q.Vendor == "" &&
		q.Department == "" && q.Warranty == "" && q.CreatedFrom == "" && q.CreatedTo == "" &&
		strings.TrimSpace(q.Q) == "" && q.Serial == ""
}

// TicketList returns one page of the list for actor. A bare view takes its
// total from the view counts (cached), so paging through a view of 100 000
// tickets never counts them again; other filters count, up to q.CountCap.
func (s *Service) TicketList(ctx context.Context, actor *models.Agent, q ListQuery) (*ListResult, error) {
	f, err := s.ListFilter(actor, q)
	if err != nil {
		return nil, err
	}
	view := q.View
	if view == "" {
		view = ViewAll
	}
	var known int64 = -1
	if onlyView(q) && !q.ExactCount {
		counts, err := s.ViewCounts(ctx, actor)
		if err != nil {
			return nil, err
		}
		known = counts[view]
		f.SkipCount = true
	}
	page, err := s.store.TicketPage(ctx, f)
	if err != nil {
		return nil, err
	}
	if known >= 0 {
		page.Total = known
		// The cached count may lag a new ticket; never claim fewer than shown.
		page.Total = max(page.Total, int64(max(f.Offset, 0)+len(page.Items)))
	}
	return &ListResult{TicketPage: *page, View: view, Sort: effectiveSort(f), Asc: f.Asc}, nil
}

// effectiveSort is the order the store uses for f.
func effectiveSort(f models.TicketFilter) string {
	switch {
	case f.Sort == models.SortRelevance && strings.TrimSpace(f.Q) == "":
		return models.SortUpdated
	case f.Sort != "":
		return f.Sort
	case strings.TrimSpace(f.Q) != "":
		return models.SortRelevance
	}
	return models.SortUpdated
}
