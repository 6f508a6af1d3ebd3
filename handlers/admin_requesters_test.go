package handlers

import (
	"context"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// TestAdminAddsVendorUser: the agents page adds a reseller's user (role
// vendor with its vendor), who then logs in to the portal; its row offers
// no role change, and the desk's rule (a vendor for that role only) shows
// as a form error.
func TestAdminAddsVendorUser(t *testing.T) {
	en := newEnv(t)
	en.seedAsset("PF2ROLE01", time.Now(), "") // vendor Atea
	admin := en.adminClient()
	tok := admin.csrf("/admin/agents")
	page := admin.get("/admin/agents").body
	if !strings.Contains(page, `<option value="vendor">`+en.cat.T("sv", "role.vendor")+`</option>`) ||
		!strings.Contains(page, `<option value="Atea">Atea</option>`) {
		t.Fatalf("add form offers no vendor role or no vendor:\n%s", between(page, `id="add-h"`, "</form>"))
	}

	refused := []struct {
		name, role, vendor, key string
	}{
		{"vendor role without vendor", models.RoleVendor, "", "error.vendor_required"},
		{"agent with a vendor", models.RoleAgent, "Atea", "error.vendor_only_for_vendor_role"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			res := admin.post("/admin/agents", url.Values{"_csrf": {tok}, "name": {"Jonas"}, "email": {"jonas@atea.test"},
				"role": {tc.role}, "vendor": {tc.vendor}})
			if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, html.EscapeString(en.cat.T("sv", tc.key))) {
				t.Errorf("status %d, want 400 with %q", res.StatusCode, en.cat.T("sv", tc.key))
			}
		})
	}
	if _, err := en.store.AgentByEmail(context.Background(), "jonas@atea.test"); err == nil {
		t.Fatal("a refused user was stored")
	}

	res := admin.post("/admin/agents", url.Values{"_csrf": {tok}, "name": {"Jonas"}, "email": {"jonas@atea.test"},
		"role": {models.RoleVendor}, "vendor": {"Atea"}})
	m := oneTimeRe.FindStringSubmatch(res.body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("add vendor user: %d, no one-time password\n%s", res.StatusCode, res.body)
	}
	u, err := en.store.AgentByEmail(context.Background(), "jonas@atea.test")
	if err != nil || u.Role != models.RoleVendor || u.VendorID == nil {
		t.Fatalf("stored user %+v (%v), want a vendor user of Atea", u, err)
	}
	jonas := en.client()
	ltok := jonas.csrf("/login")
	login := jonas.post("/login", url.Values{"email": {"jonas@atea.test"}, "password": {html.UnescapeString(m[1])}, "_csrf": {ltok}})
	if login.StatusCode != http.StatusSeeOther || login.Header.Get("Location") != "/portal" {
		t.Errorf("vendor user's login: %d to %q, want the portal", login.StatusCode, login.Header.Get("Location"))
	}

	// The vendor user's row names its reseller and has no role form; the
	// agent's row keeps its own.
	page = admin.get("/admin/agents").body
	if strings.Contains(page, `action="/admin/agents/`+itoa(u.ID)+`/role"`) {
		t.Error("the vendor user's row offers a role change")
	}
	if !strings.Contains(page, `action="/admin/agents/`+itoa(en.agent.ID)+`/role"`) {
		t.Error("the agent's row lost its role form")
	}
	if row := between(page, "jonas@atea.test", "</tr>"); !strings.Contains(row, "Atea") {
		t.Errorf("vendor user's row does not name Atea: %s", row)
	}
}

// TestAdminRequesters: an admin finds what the desk holds about a person,
// downloads it as JSON and erases it after typing the address again;
// agents get 403 on all of it.
func TestAdminRequesters(t *testing.T) {
	en := newEnv(t)
	const eva = "eva@corp.test"
	tk := en.seedTicket("Skärmen är sprucken", models.StatusOpen, models.CategoryHardware, eva,
		"Hej! Skärmen på min dator är sprucken.", nil)
	other := en.seedTicket("Konto låst", models.StatusNew, models.CategoryAccount, "olle@corp.test", "Lösenordet.", nil)
	search := "/admin/requesters?email=" + url.QueryEscape(eva)
	export := "/admin/requesters/export?email=" + url.QueryEscape(eva)

	t.Run("agents get 403", func(t *testing.T) {
		agent := en.client()
		agent.login()
		tok := agent.csrf("/tickets")
		for _, p := range []string{"/admin/requesters", search, export} {
			if res := agent.get(p); res.StatusCode != http.StatusForbidden {
				t.Errorf("agent GET %s: %d, want 403", p, res.StatusCode)
			}
		}
		res := agent.post("/admin/requesters/erase", url.Values{"_csrf": {tok}, "email": {eva}, "confirm": {eva}})
		if res.StatusCode != http.StatusForbidden {
			t.Errorf("agent erase: %d, want 403", res.StatusCode)
		}
		if strings.Contains(agent.get("/tickets").body, `href="/admin/requesters"`) {
			t.Error("agent's menu links to the requesters page")
		}
	})

	admin := en.adminClient()
	t.Run("search shows what the desk holds", func(t *testing.T) {
		if !strings.Contains(admin.get("/tickets").body, `href="/admin/requesters"`) {
			t.Error("admin menu lacks the requesters page")
		}
		res := admin.get(search)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("search: %d", res.StatusCode)
		}
		held := between(res.body, `id="holdings-h"`, "</section>")
		for _, want := range []string{ticketURL(tk.Number), "Skärmen är sprucken", html.EscapeString(export),
			en.cat.T("sv", "requesters.export")} {
			if !strings.Contains(held, want) {
				t.Errorf("holdings lack %q:\n%s", want, held)
			}
		}
		if strings.Contains(held, ticketURL(other.Number)) {
			t.Error("someone else's ticket listed")
		}
		if !strings.Contains(held, "<dt>"+en.cat.T("sv", "requesters.count.messages")+"</dt><dd>1</dd>") {
			t.Errorf("message count wrong:\n%s", held)
		}
		if res := admin.get("/admin/requesters?email=nobody%40corp.test"); !strings.Contains(res.body, en.cat.T("sv", "requesters.nothing")) ||
			strings.Contains(res.body, `action="/admin/requesters/erase"`) {
			t.Error("unknown address: want \"nothing held\" and no erase form")
		}
		if res := admin.get("/admin/requesters?email=inte-en-adress"); res.StatusCode != http.StatusUnprocessableEntity ||
			!strings.Contains(res.body, en.cat.T("sv", "error.bad_email")) {
			t.Errorf("bad address: %d", res.StatusCode)
		}
	})

	t.Run("export is a JSON attachment with the ticket", func(t *testing.T) {
		res := admin.get(export)
		if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
			!strings.HasPrefix(res.Header.Get("Content-Disposition"), "attachment;") {
			t.Fatalf("export: %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), res.Header.Get("Content-Disposition"))
		}
		var x desk.RequesterExport
		if err := json.Unmarshal([]byte(res.body), &x); err != nil {
			t.Fatal(err)
		}
		if x.Email != eva || len(x.Tickets) != 1 || x.Tickets[0].Number != tk.Number || x.Tickets[0].Subject != "Skärmen är sprucken" {
			t.Errorf("export %s with tickets %+v, want #%d", x.Email, x.Tickets, tk.Number)
		}
		if len(x.Messages) != 1 || !strings.Contains(x.Messages[0].Text, "sprucken") {
			t.Errorf("export messages %+v", x.Messages)
		}
	})

	t.Run("erase needs the address typed again", func(t *testing.T) {
		tok := admin.csrf(search)
		if res := admin.post("/admin/requesters/erase", url.Values{"email": {eva}, "confirm": {eva}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("erase without CSRF: %d, want 403", res.StatusCode)
		}
		for _, confirm := range []string{"", "eva@corp.tes", "olle@corp.test"} {
			res := admin.post("/admin/requesters/erase", url.Values{"_csrf": {tok}, "email": {eva}, "confirm": {confirm}})
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(res.body, en.cat.T("sv", "requesters.error.confirm")) {
				t.Errorf("confirm %q: %d, want 422 with the mismatch message", confirm, res.StatusCode)
			}
		}
		if got := requesterOf(t, en, tk.ID); got != eva {
			t.Fatalf("requester %q after refused erasures, want %s", got, eva)
		}
		// An account's address is refused, not erased.
		res := admin.post("/admin/requesters/erase", url.Values{"_csrf": {tok}, "email": {testEmail}, "confirm": {testEmail}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.body, en.cat.T("sv", "requesters.error.account")) {
			t.Errorf("erase an agent's address: %d, want 409", res.StatusCode)
		}

		res = admin.post("/admin/requesters/erase", url.Values{"_csrf": {tok}, "email": {eva}, "confirm": {" EVA@corp.test "}})
		if res.StatusCode != http.StatusOK || !strings.Contains(res.body, en.cat.T("sv", "requesters.erased")) {
			t.Fatalf("erase: %d\n%s", res.StatusCode, res.body)
		}
		got := requesterOf(t, en, tk.ID)
		if !strings.HasSuffix(got, "@invalid") || !strings.Contains(res.body, got) {
			t.Errorf("requester %q after erasure; page should name the pseudonym", got)
		}
		if requesterOf(t, en, other.ID) != "olle@corp.test" {
			t.Error("someone else's ticket was erased")
		}
		var x desk.RequesterExport
		if err := json.Unmarshal([]byte(admin.get(export).body), &x); err != nil || len(x.Tickets) != 0 || x.Requester != nil {
			t.Errorf("export after erasure: %+v (%v), want nothing", x, err)
		}
	})
}

// requesterOf is the requester address of ticket id.
func requesterOf(t *testing.T, en *env, id uint) string {
	t.Helper()
	tk, err := en.store.TicketByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk.Requester.Email
}

func sampleAdminRequesters() adminRequestersData {
	return adminRequestersData{
		Email:  "eva@corp.test",
		Errors: []string{"Adressen i bekräftelsen stämmer inte."},
		Found: &requesterHoldings{Name: "Eva <b>", Department: "Skola", Known: true,
			Tickets:  []requesterTicket{{Number: 1001, URL: "/tickets/1001", Subject: "Skärmen <b>", Status: badge{"status-open", "Öppen"}}},
			Messages: 3, Attachments: 1, Intake: 2, Outgoing: 2, Assets: 1,
			ExportURL: "/admin/requesters/export?email=eva%40corp.test", EraseAction: "/admin/requesters/erase", ConfirmValue: "eva@corp"},
		Erased: &erasedSummary{Pseudonym: "erased-4@invalid", Tickets: 1, Messages: 3},
	}
}
