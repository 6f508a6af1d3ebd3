package handlers

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

func TestAdminPagesAreForAdminsOnly(t *testing.T) {
	en := newEnv(t)
	pages := []string{"/admin", "/admin/agents", "/admin/vendors", "/admin/mailbox"}
	anon := en.client()
	for _, p := range pages {
		if res := anon.get(p); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("anonymous GET %s: %d %s", p, res.StatusCode, res.Header.Get("Location"))
		}
	}
	agent := en.client()
	agent.login()
	for _, p := range pages {
		if res := agent.get(p); res.StatusCode != http.StatusForbidden {
			t.Errorf("agent GET %s: %d, want 403", p, res.StatusCode)
		}
	}
	tok := agent.csrf("/tickets")
	for _, p := range []string{"/admin/agents", "/admin/agents/1/role", "/admin/agents/1/password"} {
		if res := agent.post(p, url.Values{"_csrf": {tok}, "role": {"admin"}, "email": {"x@y.test"}, "name": {"X"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("agent POST %s: %d, want 403", p, res.StatusCode)
		}
	}
	if a, _ := en.store.AgentByID(context.Background(), en.agent.ID); a.Role != models.RoleAgent {
		t.Error("an agent made themself admin")
	}
	if strings.Contains(agent.get("/tickets").body, `href="/admin/agents"`) {
		t.Error("the Admin menu is shown to an agent")
	}
	admin := en.adminClient()
	body := admin.get("/tickets").body
	for _, p := range []string{"/admin/agents", "/admin/vendors", "/admin/mailbox", "/admin/rules"} {
		if !strings.Contains(body, `href="`+p+`"`) {
			t.Errorf("admin menu lacks %s", p)
		}
	}
	for _, p := range pages[1:] {
		if res := admin.get(p); res.StatusCode != http.StatusOK {
			t.Errorf("admin GET %s: %d", p, res.StatusCode)
		}
	}
}

// oneTimeRe finds the one-time password on the agents page.
var oneTimeRe = regexp.MustCompile(`<code class="one-time">([^<]+)</code>`)

func TestAdminAddsAgentResetsPasswordChangesRole(t *testing.T) {
	en := newEnv(t)
	admin := en.adminClient()
	tok := admin.csrf("/admin/agents")

	form := url.Values{"name": {"Olle Nilsson"}, "email": {"olle@desk.test"}, "role": {"agent"}}
	if res := admin.post("/admin/agents", form); res.StatusCode != http.StatusForbidden {
		t.Errorf("add without CSRF token: %d, want 403", res.StatusCode)
	}
	form.Set("_csrf", tok)
	res := admin.post("/admin/agents", form)
	m := oneTimeRe.FindStringSubmatch(res.body)
	if res.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("add agent: %d, no one-time password shown\n%s", res.StatusCode, res.body)
	}
	password := html.UnescapeString(m[1])
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("page with a password cached: %q", cc)
	}
	// The new agent logs in with it.
	olle := en.client()
	ltok := olle.csrf("/login")
	if r := olle.post("/login", url.Values{"email": {"olle@desk.test"}, "password": {password}, "_csrf": {ltok}}); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("login with the one-time password: %d", r.StatusCode)
	}
	// The password is not shown again.
	if strings.Contains(admin.get("/admin/agents").body, password) {
		t.Error("one-time password shown a second time")
	}
	// The same address again is refused with the form kept.
	res = admin.post("/admin/agents", form)
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, en.cat.T("sv", "error.agent_exists")) ||
		!strings.Contains(res.body, `value="Olle Nilsson"`) {
		t.Errorf("duplicate: %d", res.StatusCode)
	}

	o, err := en.store.AgentByEmail(context.Background(), "olle@desk.test")
	if err != nil {
		t.Fatal(err)
	}
	id := itoa(o.ID)
	// Reset: a new password, the old session ends.
	res = admin.post("/admin/agents/"+id+"/password", url.Values{"_csrf": {tok}})
	m = oneTimeRe.FindStringSubmatch(res.body)
	if res.StatusCode != http.StatusOK || m == nil || html.UnescapeString(m[1]) == password {
		t.Fatalf("reset: %d %v", res.StatusCode, m)
	}
	if r := olle.get("/tickets"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("session after a password reset: %d, want a redirect to login", r.StatusCode)
	}
	// Role change.
	if r := admin.post("/admin/agents/"+id+"/role", url.Values{"_csrf": {tok}, "role": {"admin"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("role change: %d", r.StatusCode)
	}
	if o, _ = en.store.AgentByID(context.Background(), o.ID); o.Role != models.RoleAdmin {
		t.Errorf("role %s", o.Role)
	}
}

func TestAdminVendorsAndMailboxPages(t *testing.T) {
	en := newEnv(t)
	en.seedAsset("PF2ABC12", time.Now().AddDate(-1, 0, 0), "eva@corp.test")
	ctx := context.Background()
	if err := en.store.NoteFetchError(ctx, "INBOX", errString("login failed: bad password")); err != nil {
		t.Fatal(err)
	}
	en.health.Checks["intake"] = HealthCheck{OK: false, Detail: "intake failing: login failed"}
	admin := en.adminClient()

	body := admin.get("/admin/vendors").body
	for _, want := range []string{"Atea", "service@atea.test", "[[vendors]]", "warrantydesk.toml"} {
		if !strings.Contains(body, want) {
			t.Errorf("vendors page lacks %q", want)
		}
	}
	body = admin.get("/admin/mailbox").body
	for _, want := range []string{"INBOX", "login failed: bad password", en.cat.T("sv", "admin.mailbox.intake_failing"),
		en.cat.T("sv", "admin.mailbox.imap_off")} {
		if !strings.Contains(body, html.EscapeString(want)) {
			t.Errorf("mailbox page lacks %q", want)
		}
	}
	if !strings.Contains(body, `href="/outbox?status=failed"`) {
		t.Error("mailbox page does not link to the failed mail")
	}
}

type errString string

func (e errString) Error() string { return string(e) }
