package handlers

import (
	"context"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// sampleTicketList is the ticket list's sample for TestTemplatesRender: a
// search with a snippet, saved views and every filter filled.
func sampleTicketList(tabs []tab, row ticketRow, pg pager) ticketListData {
	one := template.HTML(`<option value="x" selected>X</option>`) // TestOptionsHTML renders lists
	nav := `<nav class="tabs" aria-label="Filter"><ul>`           // TestRenderTabs renders tabs
	for _, tb := range tabs {
		nav += `<li><a href="` + template.HTMLEscapeString(tb.URL) + `">` + template.HTMLEscapeString(tb.Label) + `</a></li>`
	}
	return ticketListData{Tabs: template.HTML(nav + `</ul></nav>`), View: "mine", Status: "new", Q: "skärm", Serial: "pf-2abc12", From: "2025-01-01", To: "2025-02-01",
		Categories: one, Statuses: one, Priorities: one, Assignees: one, Vendors: one, Departments: one, Warranties: one, Sorts: one, Dirs: one,
		MoreFilters: true, TotalCapped: true,
		Rows:  `<tr><td>` + template.HTML(template.HTMLEscapeString(row.Subject)) + `</td></tr>`, // TestTicketRowHTML renders rows
		Pager: pg, Saved: []savedViewItem{{Name: "Mina <b>", URL: "/tickets?view=mine", DeleteURL: "/tickets/views/1/delete", Current: true}},
		SaveQuery: "view=mine", BackURL: "/tickets?view=mine",
		BulkAgents: one, BulkStatuses: one, BulkCategories: one}
}

// TestTicketRowHTML renders a list row in every language: text escaped,
// the snippet's matches marked; a row kept from before is reused only for
// an equal row, so a changed ticket never shows its old row.
func TestTicketRowHTML(t *testing.T) {
	en := newEnv(t)
	h := &handler{Deps: Deps{Catalog: en.cat}, loc: time.UTC}
	var err error
	if h.tmpl, err = parseTemplates(en.cat, time.UTC); err != nil {
		t.Fatal(err)
	}
	row := listRow{Number: 1001, URL: "/tickets/1001", Subject: "Skärmen <b>flimrar</b>", Requester: "Eva", RequesterMail: "eva@corp.test",
		Status: badge{"status-new", "Ny"}, Category: badge{"category-hardware", "Maskinvara"}, Priority: badge{"priority-normal", "Normal"},
		Snippet: highlight("före " + models.SnippetStart + "skärmen" + models.SnippetEnd + " <b>"), SLADue: "2025-03-14 10:30", Updated: "2025-03-14 09:30"}
	for _, lang := range []string{"sv", "en"} {
		out, err := h.listRowHTML(lang, row)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`<a href="/tickets/1001">#1001</a>`, "Skärmen &lt;b&gt;flimrar&lt;/b&gt;", "<mark>skärmen</mark> &lt;b&gt;",
			`<span class="badge status-new">Ny</span>`, "<time>2025-03-14 10:30</time>", en.cat.T(lang, "ticket.unassigned")} {
			if !strings.Contains(string(out), want) {
				t.Errorf("%s: row lacks %q:\n%s", lang, want, out)
			}
		}
	}
	before, _ := h.listRowHTML("sv", row)
	changed := row
	changed.Status, changed.Assignee = badge{"status-open", "Öppen"}, "Bo"
	after, err := h.listRowHTML("sv", changed)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(after), "Öppen") || !strings.Contains(string(after), "Bo") || strings.Contains(string(after), ">Ny<") {
		t.Errorf("changed row shows old values:\n%s", after)
	}
	if again, _ := h.listRowHTML("sv", row); again != before {
		t.Errorf("an equal row renders differently:\n%s\n%s", before, again)
	}
}

// TestOptionsHTML renders a select's options, escaped, the chosen one
// selected; a list kept from before is reused only for an equal list.
func TestOptionsHTML(t *testing.T) {
	en := newEnv(t)
	h := &handler{Deps: Deps{Catalog: en.cat, DefaultLanguage: "sv"}, loc: time.UTC}
	var err error
	if h.tmpl, err = parseTemplates(en.cat, time.UTC); err != nil {
		t.Fatal(err)
	}
	opts := []option{{Value: "1", Label: "Bo <b>"}, {Value: "2\"", Label: "Eva", Selected: true}}
	got, err := h.optionsHTML(opts)
	if err != nil {
		t.Fatal(err)
	}
	want := "<option value=\"1\">Bo &lt;b&gt;</option>\n<option value=\"2&#34;\" selected>Eva</option>\n"
	if string(got) != want {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	opts[0].Selected, opts[1].Selected = true, false
	if again, _ := h.optionsHTML(opts); !strings.Contains(string(again), `<option value="1" selected>`) || strings.Contains(string(again), `2&#34;" selected`) {
		t.Errorf("another choice shows the old one: %q", again)
	}
}

// listSet is a seeded desk with known view counts.
type listSet struct {
	bo                                    *models.Agent
	vendorA, vendorB                      *models.Vendor
	newT, mineOpen, minePending, atVendor *models.Ticket
	overdue, resolved, closed             *models.Ticket
}

// update writes columns of tk directly (the desk's rules are not under test here).
func (en *env) update(tk *models.Ticket, fields map[string]any) {
	en.t.Helper()
	if err := en.store.UpdateTicket(context.Background(), tk.ID, fields); err != nil {
		en.t.Fatal(err)
	}
}

// seedListSet seeds seven tickets:
//
//	#1001 new, unassigned, hardware, device of vendor A (warranty expired), dept Ekonomi (device)
//	#1002 open, Anna, high, device of vendor B (under warranty), created 2025-01-10
//	#1003 pending, Anna, requester in dept Skola
//	#1004 at_vendor, Bo, SLA past but paused, case at vendor A
//	#1005 open, unassigned, SLA past (overdue), urgent
//	#1006 resolved, Anna, SLA past (done: not overdue)
//	#1007 closed
func (en *env) seedListSet() listSet {
	en.t.Helper()
	ctx := context.Background()
	var ls listSet
	var err error
	if ls.bo, err = en.desk.CreateAgent(ctx, "bo@desk.test", "Bo Agent", models.RoleAgent, testPassword); err != nil {
		en.t.Fatal(err)
	}
	old := en.seedAsset("PF2OLD01", time.Now().AddDate(-5, 0, 0), "eva@corp.test")
	ls.vendorA, _ = en.store.VendorByName(ctx, "Atea")
	ls.vendorB = &models.Vendor{Name: "Dustin", Email: "rma@dustin.test", WarrantyMonths: 36}
	if err := en.store.UpsertVendor(ctx, ls.vendorB); err != nil {
		en.t.Fatal(err)
	}
	ls.vendorB, _ = en.store.VendorByName(ctx, "Dustin")
	fresh := &models.Asset{Serial: "5CGNEW0001", VendorID: &ls.vendorB.ID, DeliveredOn: ptr(time.Now().AddDate(0, -3, 0))}
	if _, err := en.store.UpsertAsset(ctx, fresh); err != nil {
		en.t.Fatal(err)
	}
	old.Department = "Ekonomi"
	if _, err := en.store.UpsertAsset(ctx, old); err != nil {
		en.t.Fatal(err)
	}
	past := time.Now().UTC().Add(-48 * time.Hour)
	ls.newT = en.seedTicket("Skärmen flimrar", models.StatusNew, models.CategoryHardware, "eva@corp.test", "flimrar", old)
	ls.mineOpen = en.seedTicket("Laddaren trasig", models.StatusOpen, models.CategoryHardware, "olle@corp.test", "laddar inte", fresh)
	en.update(ls.mineOpen, map[string]any{"assignee_id": en.agent.ID, "priority": "high", "created_at": time.Date(2025, 1, 10, 12, 0, 0, 0, time.UTC)})
	ls.minePending = en.seedTicket("Konto låst", models.StatusPending, models.CategoryAccount, "kim@corp.test", "låst", nil)
	en.update(ls.minePending, map[string]any{"assignee_id": en.agent.ID})
	if err := en.store.SetRequesterDepartment(ctx, "kim@corp.test", "Skola"); err != nil {
		en.t.Fatal(err)
	}
	ls.atVendor = en.seedTicket("Tangentbord", models.StatusAtVendor, models.CategoryHardware, "eva@corp.test", "tangenter", nil)
	en.update(ls.atVendor, map[string]any{"assignee_id": ls.bo.ID, "sla_due_at": past, "sla_paused_at": past})
	if err := en.store.SaveVendorCase(ctx, &models.VendorCase{TicketID: ls.atVendor.ID, VendorID: ls.vendorA.ID, State: models.CaseForwarded}); err != nil {
		en.t.Fatal(err)
	}
	ls.overdue = en.seedTicket("Skrivaren", models.StatusOpen, models.CategoryOther, "eva@corp.test", "papper", nil)
	en.update(ls.overdue, map[string]any{"sla_due_at": past, "priority": "urgent"})
	ls.resolved = en.seedTicket("Teams", models.StatusResolved, models.CategorySoftware, "eva@corp.test", "kraschar", nil)
	en.update(ls.resolved, map[string]any{"assignee_id": en.agent.ID, "sla_due_at": past})
	ls.closed = en.seedTicket("Gammalt", models.StatusClosed, models.CategoryOther, "eva@corp.test", "klart", nil)
	return ls
}

func ptr[T any](v T) *T { return &v }

func TestViewCounts(t *testing.T) {
	en := newEnv(t)
	ls := en.seedListSet()
	want := map[string]int64{"mine": 2, "unassigned": 2, "new": 1, "pending": 1, "at_vendor": 1, "overdue": 1, "resolved": 2, "all": 7}
	got, err := en.desk.ViewCounts(context.Background(), en.agent)
	if err != nil {
		t.Fatal(err)
	}
	for v, n := range want {
		if got[v] != n {
			t.Errorf("view %s: count %d, want %d", v, got[v], n)
		}
	}
	// The overdue view is the desk's Overdue rule.
	overdue, err := en.desk.Overdue(context.Background(), time.Now())
	if err != nil || len(overdue) != 1 || overdue[0].ID != ls.overdue.ID {
		t.Errorf("desk.Overdue: %v %v", overdue, err)
	}
	// Each view lists exactly the tickets it counts.
	members := map[string][]int64{
		"mine":       {ls.mineOpen.Number, ls.minePending.Number},
		"unassigned": {ls.newT.Number, ls.overdue.Number},
		"new":        {ls.newT.Number},
		"pending":    {ls.minePending.Number},
		"at_vendor":  {ls.atVendor.Number},
		"overdue":    {ls.overdue.Number},
		"resolved":   {ls.resolved.Number, ls.closed.Number},
	}
	for v, nums := range members {
		l := en.apiList("/api/v1/tickets?sort=number&dir=asc&view=" + v)
		if !sameNumbers(numbers(l), nums) || l.Total != int64(len(nums)) {
			t.Errorf("view %s: %v (total %d), want %v", v, numbers(l), l.Total, nums)
		}
	}
	c := en.client()
	c.login()
	res := c.get("/tickets?view=mine")
	for _, w := range []string{`Mina <span class="count">2</span>`, `Försenade <span class="count">1</span>`, `Alla <span class="count">7</span>`,
		"Laddaren trasig", "Konto låst", en.cat.T("sv", "pager.showing", 1, 2, 2)} {
		if !strings.Contains(res.body, w) {
			t.Errorf("/tickets?view=mine lacks %q", w)
		}
	}
	if strings.Contains(res.body, "Skrivaren") {
		t.Error("mine view shows another's ticket")
	}
	if res := c.get("/tickets?view=bogus"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("unknown view: %d", res.StatusCode)
	}
}

func sameNumbers(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestListFilters(t *testing.T) {
	en := newEnv(t)
	ls := en.seedListSet()
	all := func(ts ...*models.Ticket) []int64 {
		var out []int64
		for _, tk := range ts {
			out = append(out, tk.Number)
		}
		return out
	}
	cases := []struct {
		name, query string
		want        []int64
	}{
		{"status", "status=open", all(ls.mineOpen, ls.overdue)},
		{"category", "category=account", all(ls.minePending)},
		{"priority", "priority=urgent", all(ls.overdue)},
		{"assignee me", "assignee=me", all(ls.mineOpen, ls.minePending, ls.resolved)},
		{"assignee none", "assignee=none", all(ls.newT, ls.overdue, ls.closed)},
		{"assignee id", "assignee=" + itoa(ls.bo.ID), all(ls.atVendor)},
		{"vendor of the device", "vendor=" + itoa(ls.vendorB.ID), all(ls.mineOpen)},
		{"vendor of the device or the case", "vendor=" + itoa(ls.vendorA.ID), all(ls.newT, ls.atVendor)},
		{"department of the device", "department=Ekonomi", all(ls.newT)},
		{"department of the requester", "department=Skola", all(ls.minePending)},
		{"warranty under", "warranty=under", all(ls.mineOpen)},
		{"warranty expired", "warranty=expired", all(ls.newT)},
		{"warranty unknown", "warranty=unknown", all(ls.minePending, ls.atVendor, ls.overdue, ls.resolved, ls.closed)},
		{"created to", "to=2025-01-10", all(ls.mineOpen)},
		{"created from", "from=2025-01-11&category=hardware", all(ls.newT, ls.atVendor)},
		{"created on one day", "from=2025-01-10&to=2025-01-10", all(ls.mineOpen)},
		{"filters combine", "status=open&assignee=none", all(ls.overdue)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := en.apiList("/api/v1/tickets?sort=number&dir=asc&" + tc.query)
			if got := numbers(l); !sameNumbers(got, tc.want) || l.Total != int64(len(tc.want)) {
				t.Errorf("%s: %v (total %d), want %v", tc.query, got, l.Total, tc.want)
			}
		})
	}
	for _, q := range []string{"priority=x", "warranty=soon", "assignee=x", "vendor=-1", "from=2025-13-01", "to=yesterday", "sort=x", "dir=up", "view=x"} {
		if res := en.api("/api/v1/tickets?" + q); res.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", q, res.StatusCode)
		}
	}
	// The page shows the same filter.
	c := en.client()
	c.login()
	res := c.get("/tickets?department=Skola")
	if res.StatusCode != http.StatusOK || !strings.Contains(res.body, "Konto låst") || strings.Contains(res.body, "Skärmen flimrar") {
		t.Errorf("page with department filter: %d", res.StatusCode)
	}
}

func TestListSorting(t *testing.T) {
	en := newEnv(t)
	ls := en.seedListSet()
	n := func(ts ...*models.Ticket) []int64 {
		var out []int64
		for _, tk := range ts {
			out = append(out, tk.Number)
		}
		return out
	}
	// Touch #1003 last so "updated" has a clear winner.
	en.update(ls.minePending, map[string]any{})
	cases := []struct {
		query string
		first []int64 // the list must start with these
		last  int64
	}{
		{"sort=number", n(ls.closed, ls.resolved), ls.newT.Number},
		{"sort=number&dir=asc", n(ls.newT, ls.mineOpen), ls.closed.Number},
		{"sort=updated", n(ls.minePending), 0},
		{"sort=created&dir=asc", n(ls.mineOpen), 0}, // created 2025-01-10, the others today
		{"sort=priority", n(ls.overdue, ls.mineOpen), 0},
		{"sort=sla&status=open", n(ls.overdue, ls.mineOpen), ls.mineOpen.Number}, // no SLA: last
	}
	for _, tc := range cases {
		got := numbers(en.apiList("/api/v1/tickets?" + tc.query))
		if len(got) < len(tc.first) || !sameNumbers(got[:len(tc.first)], tc.first) {
			t.Errorf("%s: %v, want it to start with %v", tc.query, got, tc.first)
		}
		if tc.last != 0 && got[len(got)-1] != tc.last {
			t.Errorf("%s: %v, want it to end with %d", tc.query, got, tc.last)
		}
	}
}

func TestListPagination(t *testing.T) {
	if total := 2*pageSize + 3; total <= 4*searchPageSize || total > 5*searchPageSize {
		t.Fatalf("the search cases below expect %d tickets to make 5 search pages", total)
	}
	en := newEnv(t)
	for i := range 2*pageSize + 3 {
		en.seedTicket("Ärende "+itoa(uint(i)), models.StatusOpen, models.CategoryOther, "eva@corp.test", "text", nil)
	}
	total := 2*pageSize + 3
	c := en.client()
	c.login()
	for _, tc := range []struct {
		path       string
		rows       int
		from, to   int
		prev, next bool
	}{
		{"/tickets", pageSize, 1, pageSize, false, true},
		{"/tickets?page=2", pageSize, pageSize + 1, 2 * pageSize, true, true},
		{"/tickets?page=3", 3, 2*pageSize + 1, total, true, false},
		{"/tickets?page=4", 0, 0, 0, true, false},
		{"/tickets?status=open&page=3", 3, 2*pageSize + 1, total, true, false}, // a counted (not cached) total
		// A search pages by searchPageSize.
		{"/tickets?q=%C3%A4rende", searchPageSize, 1, searchPageSize, false, true},
		{"/tickets?q=%C3%A4rende&page=2", searchPageSize, searchPageSize + 1, 2 * searchPageSize, true, true},
		{"/tickets?q=%C3%A4rende&page=5", total - 4*searchPageSize, 4*searchPageSize + 1, total, true, false},
		{"/tickets?q=%C3%A4rende&status=open&page=5", total - 4*searchPageSize, 4*searchPageSize + 1, total, true, false},
	} {
		res := c.get(tc.path)
		if got := strings.Count(res.body, `name="number"`); got != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.path, got, tc.rows)
		}
		if tc.rows > 0 && !strings.Contains(res.body, en.cat.T("sv", "pager.showing", tc.from, tc.to, total)) {
			t.Errorf("%s: pager lacks %d–%d of %d", tc.path, tc.from, tc.to, total)
		}
		if strings.Contains(res.body, `rel="prev"`) != tc.prev || strings.Contains(res.body, `rel="next"`) != tc.next {
			t.Errorf("%s: prev/next links wrong", tc.path)
		}
	}
	// Pages never overlap or skip, even when many tickets share updated_at.
	seen := map[int64]bool{}
	for off := 0; off < total; off += 7 {
		for _, n := range numbers(en.apiList("/api/v1/tickets?limit=7&offset=" + itoa(uint(off)))) {
			if seen[n] {
				t.Fatalf("ticket %d on two pages", n)
			}
			seen[n] = true
		}
	}
	if len(seen) != total {
		t.Errorf("paged through %d tickets, want %d", len(seen), total)
	}
	if l := en.apiList("/api/v1/tickets?offset=" + itoa(uint(total))); len(l.Items) != 0 || l.Total != int64(total) {
		t.Errorf("offset at the end: %d items, total %d", len(l.Items), l.Total)
	}
}

func TestListSearch(t *testing.T) {
	en := newEnv(t)
	body := en.seedTicket("Fråga om datorn", models.StatusOpen, models.CategoryHardware, "eva@corp.test",
		"Hej! Skärmen är svart. <script>alert('x')</script> & mer", nil)
	subject := en.seedTicket("Skärmen flimrar", models.StatusNew, models.CategoryHardware, "olle@corp.test", "Den blinkar.", nil)
	other := en.seedTicket("Konto låst", models.StatusNew, models.CategoryAccount, "kim@corp.test", "Lösenordet", nil)
	t.Run("ranked, Swedish either way", func(t *testing.T) {
		for _, q := range []string{"skarm", "sk%C3%A4rm", "SK%C3%84RMEN", "skarmen"} {
			got := numbers(en.apiList("/api/v1/tickets?q=" + q))
			if !sameNumbers(got, []int64{subject.Number, body.Number}) {
				t.Errorf("q=%s: %v, want subject match %d first, then %d", q, got, subject.Number, body.Number)
			}
		}
	})
	t.Run("number", func(t *testing.T) {
		for _, q := range []string{itoa(other.Number), "%23" + itoa(other.Number)} {
			if got := numbers(en.apiList("/api/v1/tickets?q=" + q)); len(got) != 1 || got[0] != other.Number {
				t.Errorf("q=%s: %v", q, got)
			}
		}
	})
	t.Run("snippet escaped, then marked", func(t *testing.T) {
		c := en.client()
		c.login()
		res := c.get("/tickets?q=svart")
		if strings.Contains(res.body, "<script>alert") {
			t.Fatal("raw <script> from a mail in the page")
		}
		if !strings.Contains(res.body, "<mark>svart</mark>") || !strings.Contains(res.body, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; mer") {
			t.Errorf("snippet not escaped and marked:\n%s", between(res.body, `class="snippet"`, "</p>"))
		}
		l := en.apiList("/api/v1/tickets?q=svart")
		if len(l.Items) != 1 || !strings.Contains(l.Items[0]["snippet"].(string), "<mark>svart</mark>. &lt;script&gt;") {
			t.Errorf("API snippet: %v", l.Items)
		}
	})
	t.Run("hostile input", func(t *testing.T) {
		c := en.client()
		c.login()
		for _, q := range []string{`"`, `*`, `NEAR(a b)`, `a OR`, `-`, `'); DROP TABLE tickets;--`, `<script>`, `^`, `{}`, strings.Repeat("x ", 300)} {
			if res := c.get("/tickets?q=" + url.QueryEscape(q)); res.StatusCode != http.StatusOK {
				t.Errorf("q=%q: %d", q, res.StatusCode)
			}
			en.apiList("/api/v1/tickets?q=" + url.QueryEscape(q))
		}
		if l := en.apiList("/api/v1/tickets"); l.Total != 3 {
			t.Errorf("tickets after hostile searches: %d", l.Total)
		}
	})
}

// between returns the text of s from the first start to the next end.
func between(s, start, end string) string {
	i := strings.Index(s, start)
	if i < 0 {
		return ""
	}
	j := strings.Index(s[i:], end)
	if j < 0 {
		return s[i:]
	}
	return s[i : i+j]
}

func TestSavedViews(t *testing.T) {
	en := newEnv(t)
	en.seedListSet()
	c := en.client()
	c.login()
	tok := c.csrf("/tickets")
	res := c.post("/tickets/views", url.Values{"_csrf": {tok}, "name": {"Mina <b>hårdvara</b>"},
		"query": {"category=hardware&view=mine&page=3&_csrf=x&evil=1"}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tickets?category=hardware&view=mine" {
		t.Fatalf("save: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	page := c.get("/tickets")
	link := `<a href="/tickets?category=hardware&amp;view=mine">Mina &lt;b&gt;hårdvara&lt;/b&gt;</a>`
	if !strings.Contains(page.body, link) {
		t.Fatalf("saved view not listed:\n%s", between(page.body, `class="saved-views"`, "</nav>"))
	}
	// Saving the same name replaces its query.
	c.post("/tickets/views", url.Values{"_csrf": {tok}, "name": {"Mina <b>hårdvara</b>"}, "query": {"category=account"}})
	views, err := en.store.SavedViews(context.Background(), en.agent.ID)
	if err != nil || len(views) != 1 || views[0].Query != "category=account" {
		t.Fatalf("after replace: %+v %v", views, err)
	}
	if res := c.post("/tickets/views", url.Values{"name": {"x"}, "query": {""}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("save without CSRF: %d", res.StatusCode)
	}
	if res := c.post("/tickets/views", url.Values{"_csrf": {tok}, "name": {"  "}, "query": {"view=new"}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("empty name: %d", res.StatusCode)
	}
	if v, _ := en.store.SavedViews(context.Background(), en.agent.ID); len(v) != 1 {
		t.Errorf("an empty name was saved: %+v", v)
	}
	// Another agent neither sees nor deletes it.
	bo, err := en.store.AgentByEmail(context.Background(), "bo@desk.test")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := en.desk.SavedViews(context.Background(), bo); len(v) != 0 {
		t.Errorf("Bo sees Anna's views: %+v", v)
	}
	del := "/tickets/views/" + itoa(views[0].ID) + "/delete"
	if err := en.desk.DeleteSavedView(context.Background(), bo, views[0].ID); err == nil {
		t.Error("Bo deleted Anna's view")
	}
	if res := c.post(del, url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Errorf("delete without CSRF: %d", res.StatusCode)
	}
	if res := c.post(del, url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", res.StatusCode)
	}
	if res := c.post(del, url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusNotFound {
		t.Errorf("delete twice: %d", res.StatusCode)
	}
	if v, _ := en.store.SavedViews(context.Background(), en.agent.ID); len(v) != 0 {
		t.Errorf("after delete: %+v", v)
	}
}

func TestBulkActions(t *testing.T) {
	en := newEnv(t)
	ls := en.seedListSet()
	ctx := context.Background()
	c := en.client()
	c.login()
	tok := c.csrf("/tickets")
	picked := []*models.Ticket{ls.newT, ls.overdue, ls.closed}
	form := func(action string, extra ...string) url.Values {
		v := url.Values{"_csrf": {tok}, "action": {action}, "back": {"/tickets?view=unassigned"}}
		for _, tk := range picked {
			v.Add("number", itoa(tk.Number))
		}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	auditCount := func(tk *models.Ticket, field string) int {
		events, err := en.store.Audit(ctx, "ticket", tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, e := range events {
			if e.Field == field {
				n++
			}
		}
		return n
	}
	t.Run("CSRF required", func(t *testing.T) {
		v := form("close")
		v.Del("_csrf")
		if res := c.post("/tickets/bulk", v); res.StatusCode != http.StatusForbidden {
			t.Errorf("bulk without CSRF: %d", res.StatusCode)
		}
		if tk, _ := en.store.TicketByID(ctx, ls.newT.ID); tk.Status != models.StatusNew {
			t.Error("changed without CSRF")
		}
	})
	t.Run("assign", func(t *testing.T) {
		res := c.post("/tickets/bulk", form("assign", "assign_to", itoa(ls.bo.ID)))
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tickets?view=unassigned" {
			t.Fatalf("%d %q", res.StatusCode, res.Header.Get("Location"))
		}
		for _, tk := range picked {
			got, _ := en.store.TicketByID(ctx, tk.ID)
			if got.AssigneeID == nil || *got.AssigneeID != ls.bo.ID || auditCount(tk, "assignee") != 1 {
				t.Errorf("#%d: assignee %v, %d audit entries", tk.Number, got.AssigneeID, auditCount(tk, "assignee"))
			}
		}
		// The counts follow at once (the bulk action forgets the cache).
		if counts, _ := en.desk.ViewCounts(ctx, en.agent); counts["unassigned"] != 0 {
			t.Errorf("unassigned after bulk assign: %d", counts["unassigned"])
		}
	})
	t.Run("status", func(t *testing.T) {
		c.post("/tickets/bulk", form("status", "status_to", models.StatusPending))
		for _, tk := range picked {
			got, _ := en.store.TicketByID(ctx, tk.ID)
			if got.Status != models.StatusPending || auditCount(tk, "status") != 1 {
				t.Errorf("#%d: status %s, %d audit entries", tk.Number, got.Status, auditCount(tk, "status"))
			}
		}
	})
	t.Run("category", func(t *testing.T) {
		c.post("/tickets/bulk", form("category", "category_to", models.CategorySoftware))
		for _, tk := range picked {
			got, _ := en.store.TicketByID(ctx, tk.ID)
			if got.Category != models.CategorySoftware || auditCount(tk, "category") != 1 {
				t.Errorf("#%d: category %s, %d audit entries", tk.Number, got.Category, auditCount(tk, "category"))
			}
		}
	})
	t.Run("close, once", func(t *testing.T) {
		c.post("/tickets/bulk", form("close"))
		c.post("/tickets/bulk", form("close")) // already closed: no second entry
		for _, tk := range picked {
			got, _ := en.store.TicketByID(ctx, tk.ID)
			if got.Status != models.StatusClosed || auditCount(tk, "status") != 2 {
				t.Errorf("#%d: status %s, %d status audit entries, want 2", tk.Number, got.Status, auditCount(tk, "status"))
			}
		}
	})
	t.Run("all or nothing", func(t *testing.T) {
		v := form("status", "status_to", models.StatusOpen)
		v.Add("number", "999999")
		res := c.post("/tickets/bulk", v)
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%d", res.StatusCode)
		}
		for _, tk := range picked {
			if got, _ := en.store.TicketByID(ctx, tk.ID); got.Status != models.StatusClosed {
				t.Errorf("#%d changed although the bulk action failed", tk.Number)
			}
		}
		page := c.get("/tickets?view=unassigned")
		if !strings.Contains(page.body, en.cat.T("sv", "flash.bulk_invalid")) {
			t.Error("no notice of the refused bulk action")
		}
	})
	t.Run("nothing ticked", func(t *testing.T) {
		c.post("/tickets/bulk", url.Values{"_csrf": {tok}, "action": {"close"}})
		if page := c.get("/tickets"); !strings.Contains(page.body, en.cat.T("sv", "flash.bulk_none")) {
			t.Error("no notice that nothing was ticked")
		}
	})
	t.Run("open redirect refused", func(t *testing.T) {
		v := form("close")
		v.Set("back", "//evil.test/tickets")
		if res := c.post("/tickets/bulk", v); res.Header.Get("Location") != "/tickets" {
			t.Errorf("back to %q", res.Header.Get("Location"))
		}
	})
}

// TestAPITicketsShape: the list answers exactly {items, total}; a search
// adds only the snippet.
func TestAPITicketsShape(t *testing.T) {
	en := newEnv(t)
	en.seedTicket("Skärmen flimrar", models.StatusNew, models.CategoryHardware, "eva@corp.test", "flimrar hela tiden", nil)
	for _, path := range []string{"/api/v1/tickets", "/api/v1/tickets?q=flimrar"} {
		l := en.apiList(path) // fails unless exactly {items, total}
		if len(l.Items) != 1 {
			t.Fatalf("%s: %v", path, l.Items)
		}
		keys := map[string]bool{}
		for k := range l.Items[0] {
			keys[k] = true
		}
		for _, k := range []string{"number", "subject", "status", "category", "priority", "requester", "created_at", "updated_at"} {
			if !keys[k] {
				t.Errorf("%s: item lacks %q", path, k)
			}
		}
		_, hasSnippet := keys["snippet"]
		if hasSnippet != strings.Contains(path, "q=") {
			t.Errorf("%s: snippet present = %v", path, hasSnippet)
		}
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(en.api("/api/v1/tickets?status=").body), &raw); err != nil || len(raw) != 2 {
		t.Errorf("shape: %v %v", raw, err)
	}
}

func TestListPaging(t *testing.T) {
	for _, tc := range []struct {
		q        desk.ListQuery
		size     int
		countCap int64
	}{
		{desk.ListQuery{}, pageSize, listCountCap},
		{desk.ListQuery{View: "mine", Status: models.StatusOpen}, pageSize, listCountCap},
		{desk.ListQuery{Q: "  "}, pageSize, listCountCap},
		{desk.ListQuery{Q: "skärm"}, searchPageSize, searchCountCap},
		{desk.ListQuery{Q: "#1042", Status: models.StatusOpen}, searchPageSize, searchCountCap},
	} {
		if size, countCap := listPaging(tc.q); size != tc.size || countCap != tc.countCap {
			t.Errorf("%+v: %d a page, counted to %d; want %d, %d", tc.q, size, countCap, tc.size, tc.countCap)
		}
	}
}
