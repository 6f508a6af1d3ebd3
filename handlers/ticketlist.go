package handlers

// The ticket list: views with counts, filters, saved filters, sorting,
// pages, search snippets and bulk actions.

import (
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// listCountCap is where the list stops counting a filtered list: "more
// than 10 000" is as useful as the exact figure and never costs more than
// 10 000 index steps. Bare views show their (cached) view count.
const listCountCap = 10_000

// A search shows searchPageSize tickets a page and counts up to
// searchCountCap matches. Each of its rows carries a snippet, which with the
// ticket's read is most of a search's cost (half the rows: 0.2 ms less CPU a
// page at 100 000 tickets), and a ranked search's best matches come first,
// so 25 a page is what an agent reads. A common word matches thousands of
// tickets and every write forgets the count; counting 1 000 rather than
// 10 000 of them takes 2 ms off the first search after each write (README,
// benchmarks).
const (
	searchPageSize = 25
	searchCountCap = 1_000
)

// listPaging returns the page size and count cap of a list: a search's
// (searchPageSize, searchCountCap) when q searches, else pageSize and
// listCountCap.
func listPaging(q desk.ListQuery) (size int, countCap int64) {
	if strings.TrimSpace(q.Q) != "" {
		return searchPageSize, searchCountCap
	}
	return pageSize, listCountCap
}

// listParams are the ticket list's own query parameters: what a saved view
// keeps and what the tabs and pager carry along.
var listParams = []string{"view", "status", "category", "priority", "assignee", "vendor", "department",
	"warranty", "from", "to", "q", "serial", "sort", "dir"}

// ticketListData is the ticket list page.
type ticketListData struct {
	Tabs      template.HTML // the views, rendered (renderTabs)
	View      string
	Status    string
	Q, Serial string
	From, To  string
	// The filter form's choices, the current one selected, as rendered
	// <option>s (optionsHTML).
	Categories, Statuses, Priorities template.HTML
	Assignees, Vendors, Departments  template.HTML
	Warranties, Sorts, Dirs          template.HTML
	// MoreFilters opens the form's extra filters (one of them is set).
	MoreFilters bool
	// Rows are the list's rows, rendered (the "ticket-row" template) and
	// joined: one action of the page's template instead of one per row.
	Rows        template.HTML
	Pager       pager
	TotalCapped bool
	// Saved are the agent's saved views; SaveQuery is the list's current
	// query, which the save form stores.
	Saved     []savedViewItem
	SaveQuery string
	// Bulk form: where to come back to and the choices of each action.
	BackURL                                  string
	BulkAgents, BulkStatuses, BulkCategories template.HTML
}

// listRow is a ticket of the list as its row shows it, every value final
// (dates formatted in the desk's zone, the search snippet escaped with the
// matched words in <mark>). It is comparable: a row's rendered HTML is kept
// under the row itself and the language (listRowHTML).
type listRow struct {
	Number                   int64
	URL, Subject             string
	Requester, RequesterMail string
	Status, Category         badge
	Priority                 badge
	Assignee, Serial         string
	Snippet                  template.HTML
	SLADue, Updated          string
}

// savedViewItem is one saved view with its link and delete form.
type savedViewItem struct {
	Name, URL, DeleteURL string
	Current              bool
}

// listQuery reads the list's filters, shared by the page and the API; the
// desk checks them.
func listQuery(c echo.Context) desk.ListQuery {
	p := func(name string) string { return strings.TrimSpace(c.QueryParam(name)) }
	return desk.ListQuery{
		View: p("view"), Status: p("status"), Category: p("category"), Priority: p("priority"),
		Assignee: p("assignee"), Vendor: p("vendor"), Department: p("department"), Warranty: p("warranty"),
		CreatedFrom: p("from"), CreatedTo: p("to"), Q: p("q"), Serial: normalizeSerial(c.QueryParam("serial")),
		Sort: p("sort"), Dir: p("dir"),
	}
}

// cleanListQuery keeps the list's own, non-empty parameters of q, in a
// stable order: what a saved view stores.
func cleanListQuery(q url.Values) string {
	out := url.Values{}
	for _, k := range listParams {
		if v := strings.TrimSpace(q.Get(k)); v != "" {
			out.Set(k, v)
		}
	}
	return out.Encode()
}

// ticketList shows one view of the tickets with counts, filters, saved
// views, search snippets, pages and the bulk form.
func (h *handler) ticketList(c echo.Context) error {
	ctx, lang, actor := c.Request().Context(), h.lang(c), agentOf(c)
	q := listQuery(c)
	perPage, countCap := listPaging(q)
	page, offset, err := pageParams(c, perPage)
	if err != nil {
		return err
	}
	q.Limit, q.Offset, q.CountCap = perPage, offset, countCap
	res, err := h.Desk.TicketList(ctx, actor, q)
	if err != nil {
		return err
	}
	counts, err := h.Desk.ViewCounts(ctx, actor)
	if err != nil {
		return err
	}
	agents, err := h.Desk.Agents(ctx)
	if err != nil {
		return err
	}
	vendors, err := h.Desk.Vendors(ctx)
	if err != nil {
		return err
	}
	departments, err := h.Desk.ListDepartments(ctx)
	if err != nil {
		return err
	}
	saved, err := h.Desk.SavedViews(ctx, actor)
	if err != nil {
		return err
	}
	u := c.Request().URL
	current := cleanListQuery(u.Query())
	d := ticketListData{
		View: res.View, Status: q.Status, Q: q.Q, Serial: c.QueryParam("serial"), From: q.CreatedFrom, To: q.CreatedTo,
		MoreFilters: q.Priority != "" || q.Assignee != "" || q.Vendor != "" || q.Department != "" || q.Warranty != "" || q.CreatedFrom != "" || q.CreatedTo != "" || q.Serial != "",
		TotalCapped: res.TotalCapped,
		SaveQuery:   current,
		BackURL:     u.RequestURI(),
	}
	assignees := []option{{Value: "me", Label: h.Catalog.T(lang, "list.assignee.me"), Selected: q.Assignee == "me"},
		{Value: "none", Label: h.Catalog.T(lang, "ticket.unassigned"), Selected: q.Assignee == "none"}}
	bulkAgents := []option{{Value: "none", Label: h.Catalog.T(lang, "ticket.unassigned")}}
	for _, a := range agents {
		id := strconv.FormatUint(uint64(a.ID), 10)
		assignees = append(assignees, option{Value: id, Label: a.Name, Selected: q.Assignee == id})
		bulkAgents = append(bulkAgents, option{Value: id, Label: a.Name, Selected: actor != nil && a.ID == actor.ID})
	}
	var vendorOpts, departmentOpts []option
	for _, v := range vendors {
		id := strconv.FormatUint(uint64(v.ID), 10)
		vendorOpts = append(vendorOpts, option{Value: id, Label: v.Name, Selected: q.Vendor == id})
	}
	for _, dep := range departments {
		departmentOpts = append(departmentOpts, option{Value: dep, Label: dep, Selected: q.Department == dep})
	}
	for _, f := range []struct {
		to   *template.HTML
		opts []option
	}{
		{&d.Categories, h.options(lang, "category.", models.Categories, q.Category)},
		{&d.Statuses, h.options(lang, "status.", models.Statuses, q.Status)},
		{&d.Priorities, h.options(lang, "priority.", models.Priorities, q.Priority)},
		{&d.Warranties, h.options(lang, "list.warranty.", desk.ListWarrantyFilters, q.Warranty)},
		{&d.Sorts, h.options(lang, "list.sort.", sortChoices(q.Q), res.Sort)},
		{&d.Dirs, h.options(lang, "list.dir.", []string{desk.DirDesc, desk.DirAsc}, map[bool]string{true: desk.DirAsc, false: desk.DirDesc}[res.Asc])},
		{&d.Assignees, assignees},
		{&d.Vendors, vendorOpts},
		{&d.Departments, departmentOpts},
		{&d.BulkAgents, bulkAgents},
		{&d.BulkStatuses, h.options(lang, "status.", models.Statuses, "")},
		{&d.BulkCategories, h.options(lang, "category.", models.Categories, "")},
	} {
		if *f.to, err = h.optionsHTML(f.opts); err != nil {
			return err
		}
	}
	keep := url.Values{}
	for _, k := range []string{"sort", "dir"} {
		if v := u.Query().Get(k); v != "" {
			keep.Set(k, v)
		}
	}
	tabs := make([]tab, 0, len(desk.Views))
	for _, v := range desk.Views {
		tabs = append(tabs, tab{URL: withQuery("/tickets", keep, "view", viewParam(v)), Label: h.label(lang, "view.", v),
			Count: counts[v], Current: res.View == v})
	}
	t, ok := h.tmpl[lang]["tickets"]
	if !ok {
		return fmt.Errorf("no page template %q", "tickets")
	}
	if d.Tabs, err = h.renderTabs(lang, t, tabs); err != nil {
		return err
	}
	for _, sv := range saved {
		d.Saved = append(d.Saved, savedViewItem{Name: sv.Name, URL: "/tickets?" + sv.Query,
			DeleteURL: "/tickets/views/" + strconv.FormatUint(uint64(sv.ID), 10) + "/delete", Current: sv.Query == current})
	}
	rows, size := make([]template.HTML, len(res.Items)), 0
	for i := range res.Items {
		if rows[i], err = h.listRowHTML(lang, h.listRow(lang, &res.Items[i])); err != nil {
			return err
		}
		size += len(rows[i])
	}
	var joined strings.Builder
	joined.Grow(size)
	for _, r := range rows {
		joined.WriteString(string(r))
	}
	d.Rows = template.HTML(joined.String()) // #nosec G203 -- rows rendered by html/template
	d.Pager = makePager(u, page, perPage, len(res.Items), res.Total)
	return h.render(c, http.StatusOK, "tickets", "tickets", "tickets.title", d)
}

// listRow is hit as the list shows it.
func (h *handler) listRow(lang string, hit *models.TicketHit) listRow {
	r := h.ticketRow(lang, &hit.Ticket)
	row := listRow{Number: r.Number, URL: r.URL, Subject: r.Subject, Requester: r.Requester, RequesterMail: r.RequesterMail,
		Status: r.Status, Category: r.Category, Priority: r.Priority, Assignee: r.Assignee, Serial: r.Serial,
		Snippet: highlight(hit.Snippet), Updated: h.formatDate(r.Updated)}
	if hit.SLADueAt != nil {
		row.SLADue = h.formatDate(*hit.SLADueAt)
	}
	return row
}

// viewParam is the view's value in a URL: the default view has none.
func viewParam(v string) string {
	if v == desk.ViewAll {
		return ""
	}
	return v
}

// sortChoices are the orders offered; relevance only with a search.
func sortChoices(q string) []string {
	out := []string{models.SortUpdated, models.SortCreated, models.SortNumber, models.SortPriority, models.SortSLA}
	if q != "" {
		out = append([]string{models.SortRelevance}, out...)
	}
	return out
}

// highlight makes a search snippet safe HTML: the text is escaped, and only
// then is each marked term wrapped in <mark>. Markers that do not pair up
// (the text itself held one) never leave an element open.
func highlight(snippet string) template.HTML {
	if snippet == "" {
		return ""
	}
	var b strings.Builder
	open := false
	for snippet != "" {
		i := strings.IndexAny(snippet, models.SnippetStart+models.SnippetEnd)
		if i < 0 {
			b.WriteString(template.HTMLEscapeString(snippet))
			break
		}
		b.WriteString(template.HTMLEscapeString(snippet[:i]))
		r, size := utf8.DecodeRuneInString(snippet[i:])
		switch {
		case string(r) == models.SnippetStart && !open:
			b.WriteString("<mark>")
			open = true
		case string(r) == models.SnippetEnd && open:
			b.WriteString("</mark>")
			open = false
		}
		snippet = snippet[i+size:]
	}
	if open {
		b.WriteString("</mark>")
	}
	return template.HTML(b.String()) // #nosec G203 -- every piece of text above was escaped
}

// saveView stores the list's current filters under a name for the agent.
func (h *handler) saveView(c echo.Context) error {
	q, err := url.ParseQuery(c.FormValue("query"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "bad query")
	}
	query := cleanListQuery(q)
	if _, err := h.Desk.SaveView(c.Request().Context(), agentOf(c), c.FormValue("name"), query); err != nil {
		var verr *desk.ValidationError
		if errors.As(err, &verr) {
			h.setFlash(c, "error", "flash.view_invalid")
			return redirect(c, listURL(query))
		}
		return err
	}
	h.setFlash(c, "ok", "flash.view_saved")
	return redirect(c, listURL(query))
}

// deleteView deletes one of the agent's saved views.
func (h *handler) deleteView(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || id == 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "bad view id")
	}
	if err := h.Desk.DeleteSavedView(c.Request().Context(), agentOf(c), uint(id)); err != nil {
		return err
	}
	h.setFlash(c, "ok", "flash.view_deleted")
	return redirect(c, "/tickets")
}

// listURL is the list with query applied.
func listURL(query string) string {
	if query == "" {
		return "/tickets"
	}
	return "/tickets?" + query
}

// bulk applies one action to the ticked tickets and goes back to the list.
// Each action has its own submit button and value field, so the form works
// without JavaScript.
func (h *handler) bulk(c echo.Context) error {
	form, err := c.FormParams()
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "bad form")
	}
	back := form.Get("back")
	if !strings.HasPrefix(back, "/tickets") || strings.HasPrefix(back, "//") || strings.ContainsAny(back, "\\\r\n") {
		back = "/tickets"
	}
	var numbers []int64
	for _, v := range form["number"] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n <= 0 {
			return echo.NewHTTPError(http.StatusBadRequest, "bad ticket number")
		}
		numbers = append(numbers, n)
	}
	action := form.Get("action")
	value := form.Get(action + "_to")
	changed, err := h.Desk.Bulk(c.Request().Context(), agentOf(c), numbers, action, value)
	var verr *desk.ValidationError
	switch {
	case errors.As(err, &verr):
		key := "flash.bulk_invalid"
		if verr.Fields["number"] == "bulk.error.none" {
			key = "flash.bulk_none"
		}
		h.setFlash(c, "error", key)
		return redirect(c, back)
	case err != nil:
		return err
	}
	key := "flash.bulk_done"
	if changed == 0 {
		key = "flash.bulk_unchanged"
	}
	h.setFlash(c, "ok", key)
	return redirect(c, back)
}
