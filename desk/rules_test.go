package desk

import (
	"context"
	"errors"
	"io"
	"mime/quotedprintable"
	"strconv"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

func day(s string) *time.Time {
	d, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return &d
}

func TestRuleConditions(t *testing.T) {
	f := newFixture(t) // clock 2026-11-25
	auto := &models.Vendor{Name: "Refurbo AB", AutoForward: true}
	manual := &models.Vendor{Name: "Atea"}
	t14 := &models.Asset{Serial: "PF3KX2A1", Model: "ThinkPad T14", Vendor: auto, DeliveredOn: day("2025-06-01")}
	expired := &models.Asset{Serial: "PC1M8QWE", Model: "ThinkPad T480", Vendor: manual, WarrantyEndsOn: day("2025-01-09")}
	undated := &models.Asset{Serial: "X1", Model: "Latitude", Vendor: auto}
	base := routingInput{category: models.CategoryHardware, sender: "eva@skola.kommun.se", language: "sv",
		text: fold("Skärmen är sprucken\nHej, skärmen på min dator är trasig."), asset: t14}
	with := func(mod func(*routingInput)) routingInput {
		in := base
		mod(&in)
		return in
	}
	tests := []struct {
		name  string
		cond  models.RuleConditions
		in    routingInput
		match bool
		got   string // Got of the first condition, when set
	}{
		{"no conditions match everything", models.RuleConditions{}, base, true, ""},
		{"category", models.RuleConditions{Categories: []string{"software", "hardware"}}, base, true, "hardware"},
		{"other category", models.RuleConditions{Categories: []string{"account"}}, base, false, "hardware"},
		{"keyword with diacritics finds text with them", models.RuleConditions{Keywords: []string{"skärm"}}, base, true, "skärm"},
		{"keyword without diacritics finds text with them", models.RuleConditions{Keywords: []string{"SKARM"}}, base, true, "SKARM"},
		{"keyword with diacritics finds text typed without", models.RuleConditions{Keywords: []string{"Sprucken", "skärm"}},
			with(func(in *routingInput) { in.text = fold("skarmen ar SPRUCKEN") }), true, "Sprucken"},
		{"any keyword is enough", models.RuleConditions{Keywords: []string{"batteri", "trasig"}}, base, true, "trasig"},
		{"no keyword", models.RuleConditions{Keywords: []string{"batteri", "laddare"}}, base, false, ""},
		{"domain exact", models.RuleConditions{SenderDomains: []string{"skola.kommun.se"}}, base, true, "skola.kommun.se"},
		{"domain covers subdomains", models.RuleConditions{SenderDomains: []string{"kommun.se"}}, base, true, "skola.kommun.se"},
		{"look-alike domain is not a subdomain", models.RuleConditions{SenderDomains: []string{"kommun.se"}},
			with(func(in *routingInput) { in.sender = "eva@evilkommun.se" }), false, "evilkommun.se"},
		{"model contains, any case", models.RuleConditions{ModelContains: "t14"}, base, true, "ThinkPad T14"},
		{"model of no asset", models.RuleConditions{ModelContains: "t14"}, with(func(in *routingInput) { in.asset = nil }), false, ""},
		{"under warranty", models.RuleConditions{UnderWarranty: models.WarrantyYes}, base, true, "yes"},
		{"expired is not under warranty", models.RuleConditions{UnderWarranty: models.WarrantyYes},
			with(func(in *routingInput) { in.asset = expired }), false, "no"},
		{"expired matches warranty=no", models.RuleConditions{UnderWarranty: models.WarrantyNo},
			with(func(in *routingInput) { in.asset = expired }), true, "no"},
		{"unknown warranty is neither yes", models.RuleConditions{UnderWarranty: models.WarrantyYes},
			with(func(in *routingInput) { in.asset = undated }), false, "unknown"},
		{"unknown warranty is neither no", models.RuleConditions{UnderWarranty: models.WarrantyNo},
			with(func(in *routingInput) { in.asset = undated }), false, "unknown"},
		{"vendor by name, any case", models.RuleConditions{Vendors: []string{"refurbo ab"}}, base, true, "Refurbo AB"},
		{"other vendor", models.RuleConditions{Vendors: []string{"Refurbo AB"}}, with(func(in *routingInput) { in.asset = expired }), false, "Atea"},
		{"vendor takes automatic cases", models.RuleConditions{VendorAutoForward: true}, base, true, "Refurbo AB"},
		{"vendor without automatic cases", models.RuleConditions{VendorAutoForward: true}, with(func(in *routingInput) { in.asset = expired }), false, "Atea"},
		{"language", models.RuleConditions{Language: "en"}, base, false, "sv"},
		{"all must hold", models.RuleConditions{Categories: []string{"hardware"}, Keywords: []string{"batteri"}}, base, false, "hardware"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			conds, ok := f.desk.evalConditions(tt.cond, &in)
			if ok != tt.match {
				t.Errorf("match = %v, want %v (%+v)", ok, tt.match, conds)
			}
			if tt.got != "" && (len(conds) == 0 || conds[0].Got != tt.got) {
				t.Errorf("recorded %+v, want got %q", conds, tt.got)
			}
		})
	}
}

func TestRulesRunInOrderAndStop(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	in := routingInput{category: models.CategoryOther, priority: "normal", text: fold("Skrivaren på plan 3 krånglar")}
	rule := func(id uint, name string, stop bool, c models.RuleConditions, a models.RuleActions) models.RoutingRule {
		return models.RoutingRule{ID: id, Name: name, Enabled: true, Stop: stop, Conditions: c, Actions: a}
	}
	printer := models.RuleConditions{Keywords: []string{"skrivare"}}
	tests := []struct {
		name     string
		rules    []models.RoutingRule
		results  []string
		priority string // the last priority action done
	}{
		{"later rules overrule earlier ones", []models.RoutingRule{
			rule(1, "high", false, printer, models.RuleActions{SetPriority: "high"}),
			rule(2, "low", false, printer, models.RuleActions{SetPriority: "low"}),
		}, []string{models.TraceMatched, models.TraceMatched}, "low"},
		{"a stop rule ends the evaluation", []models.RoutingRule{
			rule(1, "high", true, printer, models.RuleActions{SetPriority: "high"}),
			rule(2, "low", false, printer, models.RuleActions{SetPriority: "low"}),
		}, []string{models.TraceMatched, RuleNotReached}, "high"},
		{"a stop rule that does not match does not stop", []models.RoutingRule{
			rule(1, "battery", true, models.RuleConditions{Keywords: []string{"batteri"}}, models.RuleActions{SetPriority: "urgent"}),
			rule(2, "low", false, printer, models.RuleActions{SetPriority: "low"}),
		}, []string{RuleNoMatch, models.TraceMatched}, "low"},
		{"disabled rules are skipped", []models.RoutingRule{
			{ID: 1, Name: "off", Enabled: false, Actions: models.RuleActions{SetPriority: "urgent"}},
			rule(2, "low", false, printer, models.RuleActions{SetPriority: "low"}),
		}, []string{RuleDisabled, models.TraceMatched}, "low"},
		{"a category set by a rule is what later rules see", []models.RoutingRule{
			rule(1, "printers are hardware", false, printer, models.RuleActions{SetCategory: "hardware"}),
			rule(2, "hardware is high", false, models.RuleConditions{Categories: []string{"hardware"}}, models.RuleActions{SetPriority: "high"}),
		}, []string{models.TraceMatched, models.TraceMatched}, "high"},
		{"order decides which category later rules see", []models.RoutingRule{
			rule(2, "hardware is high", false, models.RuleConditions{Categories: []string{"hardware"}}, models.RuleActions{SetPriority: "high"}),
			rule(1, "printers are hardware", false, printer, models.RuleActions{SetCategory: "hardware"}),
		}, []string{RuleNoMatch, models.TraceMatched}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := f.desk.planRules(ctx, f.store, tt.rules, in)
			if err != nil {
				t.Fatal(err)
			}
			priority := ""
			for i, o := range out {
				if o.Result != tt.results[i] {
					t.Errorf("rule %q: %s, want %s", o.Rule.Name, o.Result, tt.results[i])
				}
				for _, a := range o.Actions {
					if a.Kind == actPriority && a.Done {
						priority = a.Value
					}
				}
			}
			if priority != tt.priority {
				t.Errorf("priority %q, want %q", priority, tt.priority)
			}
		})
	}
}

// routing returns the routing trace of ticket n.
func (f *fixture) routing(n int64) []models.RoutingTrace {
	f.t.Helper()
	tr, err := f.store.RoutingTraces(context.Background(), f.ticket(n).ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return tr
}

func TestDefaultRuleReproducesTodaysForwarding(t *testing.T) {
	f := newFixture(t)
	rules, err := f.store.RoutingRules(context.Background())
	if err != nil || len(rules) != 1 || rules[0].Name != models.DefaultRuleName || !rules[0].Actions.Forward {
		t.Fatalf("after migration: %+v %v", rules, err)
	}
	f.deliver(mailFrom("Anna <anna@kommun.test>", "Skärmen är sprucken", "Skärmen är sprucken. KOM-00017"))
	f.deliver(mailFrom("Bo <bo@kommun.test>", "Batteriet", "Batteriet laddar inte. S/N pc1m8qwe"))
	f.deliver(mailFrom("Cia <cia@kommun.test>", "Teams", "Teams kraschar efter uppdateringen."))

	under := f.routing(1001)
	if len(under) != 1 || under[0].Outcome != models.TraceMatched || len(under[0].Actions) != 1 ||
		!under[0].Actions[0].Done || under[0].Actions[0].Value != "Refurbo AB" {
		t.Errorf("under warranty: trace %+v", under)
	}
	if got := f.desk.TraceText("sv", under[0]); got != "Regel «"+models.DefaultRuleName+"» matchade (kategori=Maskinvara, garanti=ja, "+
		"återförsäljaren tar automatiska ärenden) → skickad till Refurbo AB" {
		t.Errorf("trace text: %s", got)
	}
	if f.ticket(1001).Status != models.StatusAtVendor {
		t.Errorf("not forwarded: %s", f.ticket(1001).Status)
	}

	expired := f.routing(1002)
	if len(expired) != 1 || expired[0].Outcome != models.TraceRefused {
		t.Fatalf("expired: trace %+v", expired)
	}
	if got := f.desk.TraceText("en", expired[0]); !strings.Contains(got, "not warranty=yes (ticket: no)") ||
		!strings.Contains(got, "not sent to the reseller: the warranty of PC1M8QWE ended on 2025-01-09") {
		t.Errorf("trace text: %s", got)
	}
	notes := 0
	for _, m := range f.messages(1002) {
		if m.Kind == models.KindSystem && strings.Contains(m.Text, "garantin för PC1M8QWE gick ut 2025-01-09") {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("%d notes explaining the expired warranty, want 1", notes)
	}

	none := f.routing(1003)
	if len(none) != 1 || none[0].Outcome != models.TraceNone || none[0].RulesEvaluated != 1 {
		t.Errorf("software fault: trace %+v", none)
	}
	for _, m := range f.messages(1003) {
		if m.Kind == models.KindSystem {
			t.Errorf("software fault got a routing note: %q", m.Text)
		}
	}
}

func TestRuleSetsPriorityAndAssigneeForASenderDomain(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin, err := f.desk.CreateAgent(ctx, "admin@kommun.test", "Admin", models.RoleAdmin, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	eva, err := f.desk.CreateAgent(ctx, "eva@kommun.test", "Eva", models.RoleAgent, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.CreateRule(ctx, admin, RuleInput{Name: "Skolan först", Enabled: true,
		SenderDomains: "@skola.kommun.test", SetPriority: "high", Assignee: strconv.Itoa(int(eva.ID))}); err != nil {
		t.Fatal(err)
	}
	f.deliver(mailFrom("Lärare <larare@skola.kommun.test>", "Projektorn", "Projektorn i sal 4 startar inte."))
	f.deliver(mailFrom("Anna <anna@kommun.test>", "Projektorn", "Projektorn i sal 5 startar inte."))

	school := f.ticket(1001)
	if school.Priority != "high" || school.AssigneeID == nil || *school.AssigneeID != eva.ID {
		t.Errorf("school ticket: priority %s assignee %v", school.Priority, school.AssigneeID)
	}
	audit, err := f.store.Audit(ctx, "ticket", school.ID)
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, e := range audit {
		if e.Actor == "routing" {
			changes = append(changes, e.Field+":"+e.Old+"→"+e.New)
		}
	}
	if strings.Join(changes, " ") != "priority:normal→high assignee:→eva@kommun.test" {
		t.Errorf("audit by routing: %v", changes)
	}
	var trace string
	for _, tr := range f.routing(1001) {
		trace += f.desk.TraceText("sv", tr) + "\n"
	}
	if !strings.Contains(trace, "Regel «Skolan först» matchade (avsändardomän skola.kommun.test) → prioritet → Hög; tilldelad Eva") {
		t.Errorf("trace:\n%s", trace)
	}
	other := f.ticket(1002)
	if other.Priority != "normal" || other.AssigneeID != nil {
		t.Errorf("other domain: priority %s assignee %v", other.Priority, other.AssigneeID)
	}
}

func TestCannedReplyIsSentOnceInTheRequestersLanguage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := &models.Agent{Email: "admin@kommun.test", Role: models.RoleAdmin}
	reply := RuleInput{Name: "Lösenord", Enabled: true, Keywords: "lösenord, password", Reply: true, ReplyText: map[string]string{
		"sv": "Hej! Ärende {{ticket}} ({{subject}}): byt lösenord på https://konto.kommun.test.",
		"en": "Hello! Ticket {{ ticket }} ({{subject}}): reset it at https://account.kommun.test.",
	}}
	if _, err := f.desk.CreateRule(ctx, admin, reply); err != nil {
		t.Fatal(err)
	}
	// A second matching rule with a reply: still one reply per ticket.
	reply.Name = "Lösenord igen"
	if _, err := f.desk.CreateRule(ctx, admin, reply); err != nil {
		t.Fatal(err)
	}
	f.deliver(mailFrom("Sarah <sarah@kommun.test>", "Password reset", "Hello, I forgot my password and cannot log in to my account."))
	f.deliver(mailFrom("Olle <olle@kommun.test>", "Glömt lösenordet", "Hej, jag har glömt mitt lösenord och kommer inte in."))

	for _, tt := range []struct {
		to, lang, text string
	}{
		{"sarah@kommun.test", "en", "Hello! Ticket 1001 (Password reset): reset it at https://account.kommun.test."},
		{"olle@kommun.test", "sv", "Ärende 1002 (Glömt lösenordet): byt lösenord"},
	} {
		var replies, acks []models.OutboxMail
		for _, m := range f.outbox() {
			if m.Recipients != tt.to {
				continue
			}
			switch m.Purpose {
			case "rule_reply":
				replies = append(replies, m)
			case "ack":
				acks = append(acks, m)
			}
		}
		if len(replies) != 1 || len(acks) != 1 {
			t.Fatalf("%s: %d canned replies and %d acknowledgements, want 1 and 1", tt.to, len(replies), len(acks))
		}
		due, err := f.store.DueOutbox(ctx, time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC), 100)
		if err != nil {
			t.Fatal(err)
		}
		raw := ""
		for _, m := range due {
			if m.ID == replies[0].ID {
				raw = decodedMail(t, m.Raw)
			}
		}
		if !strings.Contains(raw, "Content-Language: "+tt.lang) || !strings.Contains(raw, tt.text) ||
			!strings.Contains(raw, "Auto-Submitted: auto-replied") {
			t.Errorf("%s: canned reply\n%s", tt.to, raw)
		}
	}
	trace := f.routing(1001)
	if len(trace) != 2 || !trace[0].Actions[0].Done || trace[1].Actions[0].Reason != "routing.reason.already_replied" {
		t.Errorf("trace %+v", trace)
	}
}

func TestRuleEditingIsForAdminsAndValidated(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent := &models.Agent{Email: "eva@kommun.test", Role: models.RoleAgent}
	admin := &models.Agent{Email: "admin@kommun.test", Role: models.RoleAdmin}
	if _, err := f.desk.CreateRule(ctx, agent, RuleInput{Name: "x", Forward: true}); !errors.Is(err, ErrForbidden) {
		t.Errorf("agent created a rule: %v", err)
	}
	if _, err := f.desk.DryRunRules(ctx, agent, 1001); !errors.Is(err, ErrForbidden) {
		t.Errorf("agent ran a dry run: %v", err)
	}
	_, err := f.desk.CreateRule(ctx, admin, RuleInput{Name: " ", Categories: []string{"toys"}, SenderDomains: "not a domain",
		UnderWarranty: "maybe", Vendors: []string{"Nobody AB"}, Reply: true, ReplyText: map[string]string{"sv": "Hej {{namn}}"}})
	var verr *ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("want a validation error, got %v", err)
	}
	want := map[string]string{"name": "rules.error.name_required", "cond_category": "rules.error.bad_category",
		"cond_domains": "rules.error.domains", "cond_warranty": "rules.error.bad_warranty", "cond_vendor": "rules.error.bad_vendor",
		"act_reply_sv": "rules.error.reply_placeholder_sv", "act_reply_en": "rules.error.reply_required_en"}
	for field, key := range want {
		if verr.Fields[field] != key {
			t.Errorf("field %s: %q, want %q", field, verr.Fields[field], key)
		}
	}
	if _, err := f.desk.CreateRule(ctx, admin, RuleInput{Name: "nothing to do"}); !errors.As(err, &verr) || verr.Fields["actions"] == "" {
		t.Errorf("a rule without actions: %v", err)
	}

	// Order, and the warning before deleting the only forwarding rule.
	second, err := f.desk.CreateRule(ctx, admin, RuleInput{Name: "Andra", Enabled: true, SetPriority: "high", Categories: []string{"account"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.desk.MoveRule(ctx, admin, second.ID, true); err != nil {
		t.Fatal(err)
	}
	rules, _ := f.store.RoutingRules(ctx)
	if len(rules) != 2 || rules[0].ID != second.ID || rules[1].Name != models.DefaultRuleName {
		t.Errorf("after moving up: %v", rules)
	}
	if w, err := f.desk.DeleteWarning(ctx, admin, rules[1].ID); err != nil || w != "rules.delete_warning_last_forward" {
		t.Errorf("deleting the default rule: warning %q %v", w, err)
	}
	if w, err := f.desk.DeleteWarning(ctx, admin, second.ID); err != nil || w != "" {
		t.Errorf("deleting another rule: warning %q %v", w, err)
	}
	if err := f.desk.DeleteRule(ctx, admin, rules[1].ID); err != nil {
		t.Fatal(err)
	}
	// Without a forwarding rule a hardware fault stays at the desk, and says so.
	f.deliver(mailFrom("Anna <anna@kommun.test>", "Skärmen är sprucken", "Skärmen är sprucken. KOM-00017"))
	if tk := f.ticket(1001); tk.Status != models.StatusNew {
		t.Errorf("forwarded without a rule: %s", tk.Status)
	}
	if tr := f.routing(1001); len(tr) != 1 || tr[0].Outcome != models.TraceNone {
		t.Errorf("trace %+v", tr)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	admin := &models.Agent{Email: "admin@kommun.test", Role: models.RoleAdmin}
	f.deliver(mailFrom("Bo <bo@kommun.test>", "Batteriet", "Batteriet laddar inte. S/N pc1m8qwe"))
	before := len(f.outbox())
	if _, err := f.desk.CreateRule(ctx, admin, RuleInput{Name: "Batterier brådskar", Enabled: true, Keywords: "batteri",
		SetPriority: "urgent"}); err != nil {
		t.Fatal(err)
	}
	run, err := f.desk.DryRunRules(ctx, admin, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if len(run.Outcomes) != 2 || run.Outcomes[0].Result != models.TraceRefused || run.Outcomes[1].Result != models.TraceMatched {
		t.Fatalf("outcomes %+v", run.Outcomes)
	}
	if got := f.desk.ActionText("sv", run.Outcomes[1].Actions[0]); got != "prioritet → Brådskande" {
		t.Errorf("action: %s", got)
	}
	if tk := f.ticket(1001); tk.Priority != "normal" || len(f.outbox()) != before {
		t.Errorf("the dry run changed the ticket (%s) or mailed (%d → %d)", tk.Priority, before, len(f.outbox()))
	}
	if _, err := f.desk.DryRunRules(ctx, admin, 4242); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown ticket: %v", err)
	}
}

// decodedMail returns a single-part mail's header and its quoted-printable
// body decoded, so tests can look for the text as written.
func decodedMail(t *testing.T, raw []byte) string {
	t.Helper()
	head, body, ok := strings.Cut(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n\n")
	if !ok {
		t.Fatalf("no header/body separator in\n%s", raw)
	}
	if strings.Contains(head, "quoted-printable") {
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	return head + "\n\n" + body
}
