package handlers

import (
	"bytes"
	"io/fs"
	"regexp"
	"slices"
	"strings"
	"testing"
	"text/template/parse"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/models"
	"warrantydesk/templates"
)

// samplePages has data for every page template; a page without an entry
// here fails TestTemplatesRender, so new pages get rendered too.
func samplePages() map[string]any {
	at := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	ok := badge{Class: "badge-ok", Text: "Garanti t.o.m. 2026-01-31"}
	card := assetCard{Serial: "PF2ABC12", AssetTag: "IT-0042", Model: "ThinkPad T14", Manufacturer: "Lenovo",
		Vendor: "Atea", AssignedTo: "eva@corp.test", Department: "Ekonomi", Delivered: "2023-02-01", State: "I bruk",
		Warranty: ok, TicketsURL: "/tickets?serial=PF2ABC12"}
	pg := pager{From: 1, To: 1, Total: 3, NextURL: "/tickets?page=2"}
	tabs := []tab{{URL: "/tickets", Label: "Alla", Count: 3, Current: true}, {URL: "/tickets?status=new", Label: "Ny", Count: 1}}
	row := ticketRow{Number: 1001, URL: "/tickets/1001", Subject: "Skärmen flimrar <b>", Requester: "Eva", RequesterMail: "eva@corp.test",
		Status: badge{"status-new", "Ny"}, Category: badge{"category-hardware", "Maskinvara"},
		Priority: badge{"priority-normal", "Normal"}, Assignee: "Anna", Serial: "PF2ABC12", Updated: at}
	return map[string]any{
		"login":   loginData{Email: "anna@desk.test", Next: "/tickets/1001", Error: "Fel e-postadress eller lösenord."},
		"error":   errorData{Status: 400, Message: "Uppgifterna var inte giltiga.", Details: []string{"Skriv en text."}},
		"tickets": sampleTicketList(tabs, row, pg), // ticketlist_test.go
		"ticket": ticketPageData{
			ticketRow: row, RequesterDept: "Ekonomi", FaultMatches: "flimrar", Created: at, SLADue: &at,
			Messages: []messageItem{
				{Class: "msg-email-in", Kind: "Från användaren", From: "Eva <eva@corp.test>", Subject: "Skärmen", Text: "Hej!\nDen flimrar.", At: at,
					FullText: "Hej!\nDen flimrar.\n\n> tidigare", HTMLURL: "/tickets/1001/messages/4/html",
					Attachments: []attachmentItem{{Name: "bild.jpg", Type: "image/jpeg", Size: "12 kB", URL: "/tickets/1001/attachments/9"}}},
				{Class: "msg-email-out", Kind: "Svar", From: "IT", To: "eva@corp.test", Text: "Vi tittar.", At: at,
					Delivery: &deliveryItem{State: badge{"delivery-failed", "Misslyckades"}, Attempts: 3, LastError: "550 no such user", SentAt: &at}},
				{Class: "msg-email-in msg-auto", Kind: "Från användaren", Auto: "Automatiskt svar", Text: "Jag är på semester.", At: at},
			},
			Asset: &card, Suggestions: []assetCard{card}, AssetURL: "/assets/PF2ABC12", SwapURL: "/assets/PF2ABC12?ticket=1001#swap",
			OtherSerials:  []serialChoice{{assetCard: card, Found: "PF2ABCI2", Near: true, URL: "/assets/PF2ABC12"}},
			Vendor:        sampleVendorPanel(at),
			Canned:        cannedPicker{ManageURL: "/canned", Options: []option{{Value: "", Label: "—"}, {Value: "3", Label: "Lånedator", Selected: true}}},
			Audit:         []auditItem{{At: at, Actor: "anna@desk.test", Field: "status", Old: "Ny", New: "Öppen"}},
			StatusOptions: `<option value="new" selected>Ny</option>`, ReplyStatuses: `<option value="pending" selected>Väntar</option>`,
			AgentOptions: `<option value="">Ingen</option><option value="1" selected>Anna</option>`,
			Errors:       []string{"Skriv en text."}, ReplyText: "utkast", NoteText: "anteckning", SerialText: "PF2ABC1",
		},
		"outbox": outboxData{Tabs: tabs, Pager: pg, Rows: []outboxRow{{ID: 7, Created: at, Purpose: "Svar", Recipients: "eva@corp.test",
			Subject: "Re: Skärmen", State: badge{"delivery-failed", "Misslyckades"}, Attempts: 5, SentAt: &at, NextAttempt: &at,
			LastError: "dial tcp: refused", TicketNumber: 1001, TicketURL: "/tickets/1001", RetryURL: "/outbox/7/retry"}}},
		"intake": intakeData{Tabs: tabs, Pager: pg, Rows: []intakeRow{{ID: 3, Fetched: at, From: "eva@corp.test", Subject: "Skärmen",
			Class: "Personligt", Outcome: badge{"outcome-created", "Nytt ärende"}, Reason: "new ticket", Mailbox: "INBOX", UID: 12,
			TicketNumber: 1001, TicketURL: "/tickets/1001", DuplicateOf: "#2", Size: "4,2 kB", ReprocessURL: "/intake/3/reprocess"}},
			Cursors: []cursorRow{{Mailbox: "INBOX", UIDValidity: 1, LastUID: 12, LastFetch: &at, LastError: "timeout", LastErrorAt: &at}}},
		"assets": assetsData{Q: "T14", State: "in_use", Department: "Ekonomi", Warranty: "expiring30", WarrantyTabs: tabs,
			States: []option{{Value: "in_use", Label: "I bruk", Selected: true}}, Departments: []option{{Value: "Ekonomi", Label: "Ekonomi"}},
			Rows: []assetRow{{assetCard: card, URL: "/assets/PF2ABC12"}}, Pager: pg, Admin: true, MaxUploadMB: 5,
			Import: &importResult{Summary: "Nya 1, uppdaterade 0, misslyckade 1.", RowErrors: []string{"Rad 3, kolumn serial: är tom"}}},
		"asset": assetPageData{assetCard: card, URL: "/assets/PF2ABC12", Basis: "leverans 2023-02-01 + 36 mån", WarrantyEnds: "2026-01-31",
			Months: "36", FixedEnd: "2026-01-31", Created: at, Updated: at,
			ReplacedBy: &assetLink{Serial: "PF9NEW01", URL: "/assets/PF9NEW01"}, Replaces: []assetLink{{Serial: "PF0OLD01", URL: "/assets/PF0OLD01"}},
			WarrantyHistory: []auditItem{{At: at, Actor: "import", Field: "leveransdatum", Old: "2023-01-01", New: "2023-02-01"}},
			StateHistory:    []auditItem{{At: at, Actor: "anna@desk.test", Field: "läge", Old: "I bruk", New: "Avvecklad"}},
			Tickets:         []assetTicket{{Number: 1001, URL: "/tickets/1001", Subject: "Skärmen <b>", Status: badge{"status-new", "Ny"}, Created: at}},
			Admin:           true, StateOptions: []option{{Value: "in_use", Label: "I bruk", Selected: true}},
			Errors: []string{"Ange antingen ett slutdatum eller ett antal månader."}, Form: assetForms{EndsOn: "2027-01-01", NewSerial: "PF9NEW02", Ticket: "1001"}},
		"reports":  sampleReports(), // reports_test.go
		"reseller": resellerData{Mails: []resellerItem{{From: "helpdesk@desk.test", To: "service@atea.test", Subject: "Garantiärende", Text: "Hej", At: at}}},

		// Reseller case, overdue, public status and canned replies: the
		// samples are in vendor_test.go.
		"forward_preview": sampleForwardPreview(), "status_public": samplePublicStatus(at), "overdue": sampleOverdue(at),
		"canned": sampleCannedList(at), "canned_form": sampleCannedForm(), "canned_delete": cannedDeleteData{Title: "Lånedator",
			Preview: "Hej {{name}}", Action: "/canned/3/delete", CancelURL: "/canned"},

		// Routing rules: the samples are in rules_test.go.
		"rules": sampleRules(), "rules_form": sampleRuleForm(), "rules_delete": sampleRuleDelete(), "rules_test": sampleRuleTest(),

		// Admin pages and help: the samples are in admin_samples_test.go.
		"admin_agents": sampleAdminAgents(), "admin_vendors": sampleAdminVendors(), "admin_mailbox": sampleAdminMailbox(), "help": sampleHelp(),
		"admin_requesters": sampleAdminRequesters(), // admin_requesters_test.go

		// Vendor portal: the samples are in portal_test.go.
		"portal": samplePortal(at), "portal_case": samplePortalCase(at),
	}
}

func TestTemplatesRender(t *testing.T) {
	en := newEnv(t)
	h := &handler{Deps: Deps{Catalog: en.cat}, loc: time.UTC}
	var err error
	if h.tmpl, err = parseTemplates(en.cat, time.UTC); err != nil {
		t.Fatal(err)
	}
	samples := samplePages()
	agent := &models.Agent{Name: "Anna Agent", Email: testEmail}
	for _, lang := range templates.Languages {
		for name, tmpl := range h.tmpl[lang] {
			t.Run(lang+"/"+name, func(t *testing.T) {
				data, ok := samples[name]
				if !ok {
					t.Fatalf("page %q has no sample data in samplePages", name)
				}
				p := page{Lang: lang, Title: "T", Agent: agent, CSRF: "tok", Path: "/x", IntakeAlert: "Inläsningen misslyckas",
					Flash: []flashMsg{{Kind: "ok", Text: "Sparat"}}, Data: data,
					Nav:       []navItem{{URL: "/tickets", Label: "Ärenden", Current: true}},
					LangLinks: []langLink{{URL: "/lang/en?next=%2Fx", Code: "en", Label: "English"}}}
				var err error
				if p.NavHTML, err = h.renderNav(lang, tmpl, &p); err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := tmpl.ExecuteTemplate(&buf, "layout", p); err != nil {
					t.Fatalf("render: %v", err)
				}
				out := buf.String()
				for _, bad := range []string{"%!", "<no value>", "<b>"} {
					if strings.Contains(out, bad) {
						t.Errorf("output contains %q", bad)
					}
				}
				if strings.Contains(out, " style=") || strings.Contains(out, "<script>") {
					t.Error("inline style or script: the CSP forbids them")
				}
				if posts, tokens := strings.Count(out, `method="post"`), strings.Count(out, `name="_csrf" value="tok"`); posts != tokens {
					t.Errorf("%d POST forms but %d CSRF fields", posts, tokens)
				}
			})
		}
	}
	for name := range samples {
		if _, ok := h.tmpl["sv"][name]; !ok {
			t.Errorf("sample for %q but no such page template", name)
		}
	}
}

func TestCatalogComplete(t *testing.T) {
	cat, err := templates.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	for lang, keys := range cat.Missing() {
		if len(keys) > 0 {
			t.Errorf("catalog %s lacks %d keys: %v", lang, len(keys), keys)
		}
	}
}

// tKeyRe finds literal keys in {{T "key" ...}} calls.
var tKeyRe = regexp.MustCompile(`\bT "([^"]+)"`)

func TestTemplateKeysExist(t *testing.T) {
	cat, err := templates.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	files, err := fs.Glob(templates.FS(), "html/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	seen := 0
	for _, f := range files {
		data, err := fs.ReadFile(templates.FS(), f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range tKeyRe.FindAllStringSubmatch(string(data), -1) {
			seen++
			for _, lang := range templates.Languages {
				if !hasKey(cat, lang, m[1]) {
					t.Errorf("%s: key %q missing in %s catalog", f, m[1], lang)
				}
			}
		}
	}
	if seen < 50 {
		t.Errorf("found only %d T calls; is the regexp still right?", seen)
	}
}

// TestLabelKeysExist checks the keys built from data values in Go code.
func TestLabelKeysExist(t *testing.T) {
	cat, err := templates.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string][]string{
		"status.":      models.Statuses,
		"category.":    models.Categories,
		"priority.":    models.Priorities,
		"kind.":        {"email_in", "email_out", models.KindNote, models.KindVendorIn, models.KindVendorOut, models.KindSystem},
		"autoclass.":   {"personal", "auto_reply", "bounce", "report", "bulk"},
		"delivery.":    outboxStatuses,
		"outcome.":     intakeOutcomes,
		"purpose.":     {"ack", "reply", "vendor_forward"},
		"case_state.":  {models.CaseForwarded, models.CaseAcknowledged, models.CaseInRepair, models.CaseShippedBack, models.CaseClosed},
		"asset_state.": {models.AssetInUse, models.AssetAtVendor, models.AssetRetired},
		"lang.":        templates.Languages,
	}
	keys := []string{"tickets.all", "filter.all", "ticket.title", "ticket.unassigned", "warranty.until", "warranty.expired",
		"warranty.unknown", "error.bad_login", "login.title", "tickets.title", "outbox.title", "intake.title", "assets.title",
		"reseller.title", "error.title", "nav.tickets", "nav.outbox", "nav.intake", "nav.assets", "nav.reseller"}
	for prefix, values := range groups {
		for _, v := range values {
			keys = append(keys, prefix+v)
		}
	}
	for _, status := range []int{400, 401, 403, 404, 405, 409, 413, 500} {
		_, key := classify(httpErr(status))
		if status != 409 {
			keys = append(keys, key)
		}
	}
	keys = append(keys, "error.csrf")
	for _, k := range keys {
		for _, lang := range templates.Languages {
			if !hasKey(cat, lang, k) {
				t.Errorf("key %q missing in %s catalog", k, lang)
			}
		}
	}
	if !slices.Contains(keys, "status.at_vendor") {
		t.Error("status group not checked")
	}
}

// hasKey reports whether lang's catalog has key itself (T falls back to the
// default language, so compare against the fallback too).
func hasKey(cat *templates.Catalog, lang, key string) bool {
	return cat.T(lang, key) != key && !slices.Contains(cat.Missing()[lang], key)
}

func httpErr(status int) error { return echo.NewHTTPError(status) }

// TestFoldedTemplatesRenderTheSame: every page renders byte for byte the
// same with its escaped constants folded into text (foldEscapedConstants)
// as without, and the folding took the layout's constant actions away.
func TestFoldedTemplatesRenderTheSame(t *testing.T) {
	en := newEnv(t)
	folded, err := parsePageTemplates(en.cat, time.UTC, true)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := parsePageTemplates(en.cat, time.UTC, false)
	if err != nil {
		t.Fatal(err)
	}
	samples := samplePages()
	agent := &models.Agent{Name: "Anna <Agent> & Co", Email: testEmail, Role: models.RoleAdmin}
	for _, lang := range templates.Languages {
		for name := range plain[lang] {
			t.Run(lang+"/"+name, func(t *testing.T) {
				p := page{Lang: lang, Title: "T's \"title\" + <b>", Agent: agent, CSRF: "tok", Path: "/x?a=1&b=2", IntakeAlert: "Inläsningen misslyckas",
					Flash: []flashMsg{{Kind: "ok", Text: "Sparat"}}, Data: samples[name], Live: "v1", LiveInterval: 5000,
					Nav:       []navItem{{URL: "/tickets", Label: "Ärenden", Current: true}},
					AdminNav:  []navItem{{URL: "/admin/agents", Label: "Agenter"}},
					Shortcuts: "<dl></dl>",
					LangLinks: []langLink{{URL: "/lang/en?next=%2Fx", Code: "en", Label: "English"}, {Code: "sv", Label: "Svenska", Current: true}}}
				var err error
				if p.NavHTML, err = (&handler{}).renderNav(lang, plain[lang][name], &p); err != nil {
					t.Fatal(err)
				}
				var want, got bytes.Buffer
				if err := plain[lang][name].ExecuteTemplate(&want, "layout", p); err != nil {
					t.Fatal(err)
				}
				if err := folded[lang][name].ExecuteTemplate(&got, "layout", p); err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() {
					t.Errorf("folded page differs:\n got %s\nwant %s", got.String(), want.String())
				}
				if n, m := constantActions(folded[lang][name]), constantActions(plain[lang][name]); n != 0 || m == 0 {
					t.Errorf("constant actions: %d folded, %d plain; want 0 and some", n, m)
				}
			})
		}
	}
}

// constantActions counts the actions of t's templates that print an
// escaped constant.
func constantActions(t pageTemplate) int {
	n := 0
	var list func(l *parse.ListNode)
	list = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		for _, node := range l.Nodes {
			switch node := node.(type) {
			case *parse.ActionNode:
				if _, ok := escapedConstant(node.Pipe); ok {
					n++
				}
			case *parse.IfNode:
				list(node.List)
				list(node.ElseList)
			case *parse.RangeNode:
				list(node.List)
				list(node.ElseList)
			case *parse.WithNode:
				list(node.List)
				list(node.ElseList)
			}
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			list(tt.Tree.Root)
		}
	}
	return n
}

// TestNavHTML: the site navigation, rendered apart and reused, marks the
// current page and follows every change of its items.
func TestNavHTML(t *testing.T) {
	en := newEnv(t)
	h := &handler{Deps: Deps{Catalog: en.cat}, loc: time.UTC}
	var err error
	if h.tmpl, err = parseTemplates(en.cat, time.UTC); err != nil {
		t.Fatal(err)
	}
	tmpl := h.tmpl["sv"]["tickets"]
	nav := func(p page) string {
		t.Helper()
		html, err := h.renderNav("sv", tmpl, &p)
		if err != nil {
			t.Fatal(err)
		}
		return string(html)
	}
	items := func(current string) []navItem {
		return []navItem{{URL: "/tickets", Label: "Ärenden", Current: current == "tickets"}, {URL: "/assets", Label: "Enheter", Current: current == "assets"}}
	}
	for _, tc := range []struct {
		name      string
		p         page
		has, lack []string
	}{
		{"tickets", page{Path: "/tickets?view=mine", Nav: items("tickets")},
			[]string{`<a href="/tickets" aria-current="page">Ärenden</a>`, `<a href="/assets">Enheter</a>`, `<a href="/reports">`},
			[]string{`nav-admin`}},
		{"assets, again", page{Path: "/assets", Nav: items("assets")},
			[]string{`<a href="/tickets">Ärenden</a>`, `<a href="/assets" aria-current="page">Enheter</a>`}, nil},
		{"reports", page{Path: "/reports/summary", Nav: items("")},
			[]string{`<a href="/reports" aria-current="page">`}, []string{`aria-current="page">Ärenden`}},
		{"admin", page{Path: "/admin/agents", Nav: items(""), AdminNav: []navItem{{URL: "/admin/agents", Label: "Agenter", Current: true}}},
			[]string{`nav-admin`, `<a href="/admin/agents" aria-current="page">Agenter</a>`}, nil},
		{"portal", page{Path: "/portal", Portal: true, Nav: []navItem{{URL: "/portal", Label: "Portal", Current: true}}},
			[]string{`<a href="/portal" aria-current="page">Portal</a>`}, []string{`/reports`}},
		{"nobody", page{Path: "/login"}, nil, []string{`<nav`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := nav(tc.p)
			for _, s := range tc.has {
				if !strings.Contains(got, s) {
					t.Errorf("navigation lacks %s:\n%s", s, got)
				}
			}
			for _, s := range tc.lack {
				if strings.Contains(got, s) {
					t.Errorf("navigation has %s:\n%s", s, got)
				}
			}
		})
	}
	if a, b := nav(page{Path: "/tickets", Nav: items("tickets")}), nav(page{Path: "/tickets", Nav: items("tickets")}); a != b {
		t.Errorf("the same navigation rendered twice differs:\n%s\n%s", a, b)
	}
	p := page{Path: "/tickets", Nav: items("tickets")}
	english, err := h.renderNav("en", h.tmpl["en"]["tickets"], &p)
	if err != nil || !strings.Contains(string(english), `aria-label="Main menu"`) || !strings.Contains(string(english), `>Reports</a>`) {
		t.Errorf("English navigation after the Swedish one: %s (%v)", english, err)
	}
}

// TestRenderTabs: tabs rendered apart show each view's link, label and
// count and mark the current one; a changed count is new HTML, never the
// kept one.
func TestRenderTabs(t *testing.T) {
	en := newEnv(t)
	h := &handler{Deps: Deps{Catalog: en.cat}, loc: time.UTC}
	var err error
	if h.tmpl, err = parseTemplates(en.cat, time.UTC); err != nil {
		t.Fatal(err)
	}
	render := func(lang string, tabs []tab) string {
		t.Helper()
		html, err := h.renderTabs(lang, h.tmpl[lang]["tickets"], tabs)
		if err != nil {
			t.Fatal(err)
		}
		return string(html)
	}
	tabs := []tab{{URL: "/tickets?sort=number", Label: "Alla", Count: 7, Current: true}, {URL: "/tickets?view=mine&sort=number", Label: "Mina <b>", Count: 2},
		{URL: "/tickets?view=x", Label: "Utan antal", Count: -1}}
	got := render("sv", tabs)
	for _, want := range []string{`aria-label="Filter"`, `<a href="/tickets?sort=number" aria-current="page">Alla <span class="count">7</span></a>`,
		`<a href="/tickets?view=mine&amp;sort=number">Mina &lt;b&gt; <span class="count">2</span></a>`, `<a href="/tickets?view=x">Utan antal</a>`} {
		if !strings.Contains(got, want) {
			t.Errorf("tabs lack %s:\n%s", want, got)
		}
	}
	tabs[1].Count = 3
	if again := render("sv", tabs); !strings.Contains(again, `Mina &lt;b&gt; <span class="count">3</span>`) {
		t.Errorf("a changed count kept the old tabs:\n%s", again)
	}
}

// TestBadgeOf: the badges kept for the known statuses, categories and
// priorities are those the catalog gives, in each language; an unknown
// value is labelled by itself; a handler without kept badges gives the same.
func TestBadgeOf(t *testing.T) {
	en := newEnv(t)
	plain := &handler{Deps: Deps{Catalog: en.cat}}
	kept := &handler{Deps: Deps{Catalog: en.cat}}
	kept.badges = kept.makeBadges()
	if len(kept.badges) != len(templates.Languages)*(len(models.Statuses)+len(models.Categories)+len(models.Priorities)) {
		t.Errorf("%d badges kept", len(kept.badges))
	}
	for _, lang := range templates.Languages {
		for kind, values := range badgeKinds {
			for _, v := range append(slices.Clone(values), "okänd") {
				want := badge{Class: kind + "-" + v, Text: en.cat.T(lang, kind+"."+v)}
				if v == "okänd" {
					want.Text = v
				}
				if got := kept.badgeOf(lang, kind, v); got != want {
					t.Errorf("%s %s %s: %+v, want %+v", lang, kind, v, got, want)
				}
				if got := plain.badgeOf(lang, kind, v); got != want {
					t.Errorf("%s %s %s without kept badges: %+v, want %+v", lang, kind, v, got, want)
				}
				if got := kept.label(lang, kind+".", v); got != want.Text {
					t.Errorf("label %s %s %s: %q, want %q", lang, kind, v, got, want.Text)
				}
			}
		}
	}
	if got := kept.badgeOf("en", "status", models.StatusOpen); got.Text == kept.badgeOf("sv", "status", models.StatusOpen).Text {
		t.Errorf("English status label is the Swedish one: %q", got.Text)
	}
}
