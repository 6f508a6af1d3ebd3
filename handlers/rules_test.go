package handlers

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"warrantydesk/desk"
	"warrantydesk/mailin"
	"warrantydesk/models"
)

const rulesAdminEmail = "ada.rules@desk.test"

// rulesAdmin adds an admin and returns a client logged in as her.
func (en *env) rulesAdmin() *client {
	en.t.Helper()
	if _, err := en.desk.CreateAgent(context.Background(), rulesAdminEmail, "Ada Admin", models.RoleAdmin, testPassword); err != nil {
		en.t.Fatal(err)
	}
	c := en.client()
	tok := c.csrf("/login")
	res := c.post("/login", url.Values{"email": {rulesAdminEmail}, "password": {testPassword}, "_csrf": {tok}})
	if res.StatusCode != http.StatusSeeOther {
		en.t.Fatalf("admin login: %d", res.StatusCode)
	}
	return c
}

// rulesInOrder returns the rules in order.
func (en *env) rulesInOrder() []models.RoutingRule {
	en.t.Helper()
	rules, err := en.store.RoutingRules(context.Background())
	if err != nil {
		en.t.Fatal(err)
	}
	return rules
}

// rulesDeliver runs one raw mail through the real intake pipeline.
func (en *env) rulesDeliver(uid uint32, raw string) {
	en.t.Helper()
	ctx := context.Background()
	if _, err := en.store.RecordFetched(ctx, "INBOX", 7, []models.FetchedMail{
		{UID: uid, Raw: []byte(strings.ReplaceAll(raw, "\n", "\r\n"))}}); err != nil {
		en.t.Fatal(err)
	}
	if _, err := mailin.NewProcessor(en.store, en.desk, mailin.ClassifyOptions{}, nil).ProcessPending(ctx); err != nil {
		en.t.Fatal(err)
	}
}

func rulesExpectStatus(t *testing.T, what string, res response, want int) {
	t.Helper()
	if res.StatusCode != want {
		t.Fatalf("%s: status %d, want %d\n%.2000s", what, res.StatusCode, want, res.body)
	}
}

func TestRulesPagesAreForAdminsOnly(t *testing.T) {
	en := newEnv(t)
	id := strconv.FormatUint(uint64(en.rulesInOrder()[0].ID), 10)

	anon := en.client()
	if res := anon.get("/admin/rules"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
		t.Errorf("anonymous: %d %s", res.StatusCode, res.Header.Get("Location"))
	}

	agent := en.client()
	agent.login()
	tok := agent.csrf("/tickets")
	for _, path := range []string{"/admin/rules", "/admin/rules/new", "/admin/rules/" + id, "/admin/rules/" + id + "/delete", "/admin/rules/test?ticket=1001"} {
		if res := agent.get(path); res.StatusCode != http.StatusForbidden || !strings.Contains(res.body, "Du har inte behörighet") {
			t.Errorf("agent GET %s: %d", path, res.StatusCode)
		}
	}
	for _, path := range []string{"/admin/rules", "/admin/rules/" + id, "/admin/rules/" + id + "/enabled", "/admin/rules/" + id + "/move", "/admin/rules/" + id + "/delete"} {
		res := agent.post(path, url.Values{"_csrf": {tok}, "name": {"x"}, "act_forward": {"1"}, "enabled": {"0"}, "dir": {"down"}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("agent POST %s: %d", path, res.StatusCode)
		}
	}
	if rules := en.rulesInOrder(); len(rules) != 1 || !rules[0].Enabled || rules[0].Name != models.DefaultRuleName {
		t.Errorf("an agent changed the rules: %+v", rules)
	}
	if strings.Contains(agent.get("/tickets").body, `href="/admin/rules"`) {
		t.Error("agents see the rules menu item")
	}
	if !strings.Contains(en.rulesAdmin().get("/tickets").body, `href="/admin/rules"`) {
		t.Error("admins do not see the rules menu item")
	}
}

// ruleRowOrder returns the rule names in the order the list page shows them.
var ruleNameRe = regexp.MustCompile(`<td class="wrap"><a href="/admin/rules/\d+">([^<]+)</a></td>`)

func ruleRowOrder(body string) []string {
	var out []string
	for _, m := range ruleNameRe.FindAllStringSubmatch(body, -1) {
		out = append(out, html.UnescapeString(m[1]))
	}
	return out
}

func TestRulesCRUDThroughTheForms(t *testing.T) {
	en := newEnv(t)
	c := en.rulesAdmin()
	list := c.get("/admin/rules")
	rulesExpectStatus(t, "list", list, http.StatusOK)
	if !strings.Contains(html.UnescapeString(list.body), "Om kategori=Maskinvara och garanti=ja och återförsäljaren tar automatiska ärenden: "+
		"skicka till återförsäljaren (om garantin gäller).") {
		t.Errorf("the default rule is not summarised in words:\n%s", list.body)
	}

	tok := c.csrf("/admin/rules/new")
	form := url.Values{"name": {"Skolan"}, "enabled": {"1"}, "cond_category": {"hardware", "software"},
		"cond_domains": {"skola.kommun.se"}, "act_priority": {"high"}, "act_assignee": {strconv.FormatUint(uint64(en.agent.ID), 10)}}
	noCSRF := c.post("/admin/rules", form)
	rulesExpectStatus(t, "create without CSRF", noCSRF, http.StatusForbidden)

	bad := url.Values{"_csrf": {tok}, "name": {""}, "cond_keywords": {"skärm, display"}, "cond_domains": {"inte en domän"}}
	res := c.post("/admin/rules", bad)
	rulesExpectStatus(t, "invalid rule", res, http.StatusBadRequest)
	for _, want := range []string{"Namn: skriv ett namn på regeln.", "Åtgärder: välj minst en åtgärd.",
		"Avsändarens domän: skriv domäner", `value="skärm, display"`, `id="rule-name" name="name" value="" required maxlength="200" aria-invalid="true"`} {
		if !strings.Contains(html.UnescapeString(res.body), want) {
			t.Errorf("refused form lacks %q", want)
		}
	}
	c.get("/lang/en?next=/admin/rules")
	res = c.post("/admin/rules", bad)
	if !strings.Contains(res.body, "Name: give the rule a name.") || !strings.Contains(res.body, "Actions: choose at least one action.") {
		t.Errorf("English field messages missing:\n%.3000s", res.body)
	}
	c.get("/lang/sv?next=/admin/rules")

	form.Set("_csrf", tok)
	res = c.post("/admin/rules", form)
	rulesExpectStatus(t, "create", res, http.StatusSeeOther)
	rules := en.rulesInOrder()
	if len(rules) != 2 || rules[1].Name != "Skolan" || rules[1].Actions.SetPriority != "high" ||
		rules[1].Actions.AssigneeID == nil || *rules[1].Actions.AssigneeID != en.agent.ID ||
		strings.Join(rules[1].Conditions.Categories, ",") != "hardware,software" {
		t.Fatalf("created %+v", rules)
	}
	list = c.get("/admin/rules")
	if !strings.Contains(list.body, "Regeln är skapad.") || strings.Join(ruleRowOrder(list.body), "|") != models.DefaultRuleName+"|Skolan" {
		t.Errorf("list after create: %v", ruleRowOrder(list.body))
	}
	if !strings.Contains(html.UnescapeString(list.body), "Om kategori=Maskinvara eller Programvara och avsändardomän skola.kommun.se: "+
		"sätt prioritet Hög, tilldela Anna Agent.") {
		t.Errorf("summary of the new rule missing:\n%s", list.body)
	}

	schoolURL := "/admin/rules/" + strconv.FormatUint(uint64(rules[1].ID), 10)
	edit := c.get(schoolURL)
	rulesExpectStatus(t, "edit form", edit, http.StatusOK)
	for _, want := range []string{`value="Skolan"`, `name="cond_category" value="hardware" checked`, `name="cond_category" value="software" checked`,
		`name="cond_category" value="account">`, `<option value="high" selected>`} {
		if !strings.Contains(edit.body, want) {
			t.Errorf("edit form lacks %q", want)
		}
	}
	form.Set("name", "Skolan först")
	form.Set("stop", "1")
	rulesExpectStatus(t, "update", c.post(schoolURL, form), http.StatusSeeOther)
	rulesExpectStatus(t, "move up", c.post(schoolURL+"/move", url.Values{"_csrf": {tok}, "dir": {"up"}}), http.StatusSeeOther)
	rulesExpectStatus(t, "disable", c.post(schoolURL+"/enabled", url.Values{"_csrf": {tok}, "enabled": {"0"}}), http.StatusSeeOther)
	list = c.get("/admin/rules")
	if got := ruleRowOrder(list.body); strings.Join(got, "|") != "Skolan först|"+models.DefaultRuleName {
		t.Errorf("order after moving up: %v", got)
	}
	if rules = en.rulesInOrder(); rules[0].Enabled || !rules[0].Stop || !rules[1].Enabled {
		t.Errorf("after edit and disable: %+v", rules)
	}

	defaultURL := "/admin/rules/" + strconv.FormatUint(uint64(rules[1].ID), 10)
	confirm := c.get(defaultURL + "/delete")
	rulesExpectStatus(t, "delete confirmation", confirm, http.StatusOK)
	if !strings.Contains(confirm.body, "Det här är den enda påslagna regeln som skickar ärenden till återförsäljaren") {
		t.Errorf("no warning before deleting the only forwarding rule:\n%s", confirm.body)
	}
	if strings.Contains(c.get(schoolURL+"/delete").body, "den enda påslagna regeln") {
		t.Error("warning shown for a rule that does not forward")
	}
	rulesExpectStatus(t, "delete", c.post(defaultURL+"/delete", url.Values{"_csrf": {tok}}), http.StatusSeeOther)
	if rules = en.rulesInOrder(); len(rules) != 1 || rules[0].Name != "Skolan först" {
		t.Errorf("after delete: %+v", rules)
	}
	rulesExpectStatus(t, "deleted rule", c.get(defaultURL), http.StatusNotFound)
	rulesExpectStatus(t, "bad id", c.get("/admin/rules/abc"), http.StatusBadRequest)
}

func TestRulesDryRun(t *testing.T) {
	en := newEnv(t)
	asset := en.seedAsset("PF2ABC12", time.Now().AddDate(-1, 0, 0), "eva@corp.test") // Atea takes no automatic cases
	tk := en.seedTicket("Skärmen flimrar", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Skärmen flimrar hela tiden", asset)
	c := en.rulesAdmin()
	res := c.get("/admin/rules/test?ticket=" + strconv.FormatInt(tk.Number, 10))
	rulesExpectStatus(t, "dry run", res, http.StatusOK)
	body := html.UnescapeString(res.body)
	for _, want := range []string{"Skärmen flimrar", "matchar inte helt: skickas inte", "✓ stämmer: kategori=Maskinvara",
		"✗ stämmer inte: inte återförsäljaren tar automatiska ärenden (ärendet: Atea)",
		"inte skickad till återförsäljaren: Atea tar inte emot automatiska ärenden"} {
		if !strings.Contains(body, want) {
			t.Errorf("dry run lacks %q\n%s", want, body)
		}
	}
	after, err := en.store.TicketByNumber(context.Background(), tk.Number)
	if err != nil || after.Status != models.StatusNew {
		t.Errorf("the dry run changed the ticket: %v %v", after.Status, err)
	}
	if msgs, _ := en.store.Messages(context.Background(), tk.ID); len(msgs) != 1 {
		t.Errorf("the dry run wrote %d messages", len(msgs)-1)
	}
	rulesExpectStatus(t, "no number", c.get("/admin/rules/test"), http.StatusOK)
	rulesExpectStatus(t, "bad number", c.get("/admin/rules/test?ticket=abc"), http.StatusBadRequest)
	if res := c.get("/admin/rules/test?ticket=%239999"); res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, "Ärende #9999 finns inte.") {
		t.Errorf("unknown ticket: %d", res.StatusCode)
	}
}

func TestTicketPageShowsWhyItWasRouted(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	en.seedAsset("PF2ABC12", time.Now().AddDate(-1, 0, 0), "eva@corp.test")
	if err := en.store.UpsertVendor(ctx, &models.Vendor{Name: "Atea", Email: "service@atea.test", WarrantyMonths: 36,
		TurnaroundDays: 10, AutoForward: true}); err != nil {
		t.Fatal(err)
	}
	en.rulesDeliver(1, "From: Eva <eva@corp.test>\nTo: helpdesk@desk.test\nSubject: Skärmen är sprucken\nMessage-ID: <r1@corp.test>\n"+
		"Content-Type: text/plain; charset=utf-8\n\nSkärmen på min dator är sprucken. S/N PF2ABC12\n")
	en.rulesDeliver(2, "From: Olle <olle@corp.test>\nTo: helpdesk@desk.test\nSubject: Teams\nMessage-ID: <r2@corp.test>\n"+
		"Content-Type: text/plain; charset=utf-8\n\nTeams kraschar efter uppdateringen.\n")

	agent := en.client()
	agent.login()
	page := agent.get("/tickets/1001")
	rulesExpectStatus(t, "ticket", page, http.StatusOK)
	body := html.UnescapeString(page.body)
	want := "Regel «" + models.DefaultRuleName + "» matchade (kategori=Maskinvara, garanti=ja, återförsäljaren tar automatiska ärenden) → skickad till Atea"
	if !strings.Contains(body, `<h2 id="routing-h">Routing</h2>`) || !strings.Contains(body, want) {
		t.Errorf("ticket page lacks the routing explanation %q\n%s", want, body)
	}
	if strings.Contains(body, "/admin/rules/test?ticket=1001") {
		t.Error("agents get the dry-run link")
	}
	if body := html.UnescapeString(agent.get("/tickets/1002").body); !strings.Contains(body, "Ingen regel matchade (1 påslagna regler prövades).") {
		t.Errorf("software ticket lacks its routing line\n%s", body)
	}
	agent.get("/lang/en?next=/tickets/1001")
	if body := html.UnescapeString(agent.get("/tickets/1001").body); !strings.Contains(body,
		"Rule “"+models.DefaultRuleName+"” matched (category=Hardware, warranty=yes, the reseller takes automatic cases) → sent to Atea") {
		t.Errorf("English routing line missing\n%s", body)
	}
	if !strings.Contains(en.rulesAdmin().get("/tickets/1001").body, "/admin/rules/test?ticket=1001") {
		t.Error("admins lack the dry-run link")
	}
}

// Sample data of the rules pages for TestTemplatesRender.

func sampleRules() rulesData {
	return rulesData{TestURL: "/admin/rules/test", Rows: []ruleRow{
		{ID: 1, Position: 1, Name: "Maskinvarufel <b>", Summary: "Om kategori=Maskinvara: skicka.", State: badge{"badge-ok", "På"},
			Enabled: true, First: true, EditURL: "/admin/rules/1", DeleteURL: "/admin/rules/1/delete", EnableURL: "/admin/rules/1/enabled", MoveURL: "/admin/rules/1/move"},
		{ID: 2, Position: 2, Name: "Skolan", Summary: "Alla nya ärenden: sätt prioritet Hög.", State: badge{"badge-unknown", "Av"},
			Stop: true, Last: true, EditURL: "/admin/rules/2", DeleteURL: "/admin/rules/2/delete", EnableURL: "/admin/rules/2/enabled", MoveURL: "/admin/rules/2/move"},
	}}
}

func sampleRuleForm() ruleFormData {
	opts := []option{{Value: "", Label: "Spelar ingen roll"}, {Value: "yes", Label: "ja", Selected: true}}
	return ruleFormData{Action: "/admin/rules/2", CancelURL: "/admin/rules",
		In:         desk.RuleInput{Name: "Skolan <b>", Enabled: true, Keywords: "skärm", SenderDomains: "skola.se", Reply: true},
		Categories: []option{{Value: "hardware", Label: "Maskinvara", Selected: true}}, Warranty: opts, Languages: opts,
		Vendors: []option{{Value: "Atea", Label: "Atea", Selected: true}}, SetCategory: opts, SetPriority: opts, Assignees: opts,
		Replies:      []replyField{{Lang: "sv", Label: "Svarstext (Svenska)", Name: "act_reply_sv", Text: "Hej {{ticket}}", Invalid: true}},
		Placeholders: "{{ticket}}", Errors: []string{"Namn: skriv ett namn på regeln."}, Invalid: map[string]bool{"name": true, "actions": true}}
}

func sampleRuleDelete() ruleDeleteData {
	return ruleDeleteData{Name: "Maskinvarufel <b>", Summary: "Om kategori=Maskinvara: skicka.", Warning: "Den enda regeln som skickar.",
		Action: "/admin/rules/1/delete", CancelURL: "/admin/rules"}
}

func sampleRuleTest() ruleTestData {
	return ruleTestData{Number: "1001", TicketURL: "/tickets/1001", Subject: "Skärmen <b>", Error: "Ärende #1001 finns inte.",
		Rules: []ruleTestRow{{Position: 1, Name: "Maskinvarufel", Result: badge{"badge-bad", "matchar inte helt"},
			Conditions: []ruleTestCond{{OK: true, Text: "kategori=Maskinvara"}, {Text: "inte garanti=ja (ärendet: nej)"}},
			Actions:    []string{"inte skickad: garantin gick ut"}}}}
}
