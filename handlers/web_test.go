package handlers

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

func TestTicketActions(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	other, err := en.desk.CreateAgent(ctx, "bo@desk.test", "Bo Berg", models.RoleAgent, "another long password")
	if err != nil {
		t.Fatal(err)
	}
	tk := en.seedTicket("Skärmen flimrar <script>alert(1)</script>", models.StatusNew, models.CategoryHardware,
		"eva@corp.test", "Den flimrar.", nil)
	c := en.client()
	c.login()
	path := ticketURL(tk.Number)
	tok := c.csrf(path)

	post := func(t *testing.T, action string, form url.Values) response {
		t.Helper()
		form.Set("_csrf", tok)
		res := c.post(path+"/"+action, form)
		if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != path {
			t.Fatalf("POST %s: %d %q\n%s", action, res.StatusCode, res.Header.Get("Location"), res.body)
		}
		return c.get(path)
	}

	t.Run("page escapes mail content", func(t *testing.T) {
		res := c.get(path)
		if strings.Contains(res.body, "<script>alert(1)</script>") || !strings.Contains(res.body, "&lt;script&gt;") {
			t.Error("subject not escaped")
		}
	})
	t.Run("note", func(t *testing.T) {
		page := post(t, "note", url.Values{"text": {"Ringde Eva, hon testar en annan skärm."}})
		if !strings.Contains(page.body, "Ringde Eva, hon testar en annan skärm.") || !strings.Contains(page.body, "msg-note") {
			t.Error("note not on the ticket page")
		}
		if !strings.Contains(page.body, en.cat.T("sv", "flash.note_added")) {
			t.Error("no notice after the note")
		}
		if strings.Contains(c.get(path).body, en.cat.T("sv", "flash.note_added")) {
			t.Error("notice shown twice")
		}
	})
	t.Run("reply", func(t *testing.T) {
		page := post(t, "reply", url.Values{"text": {"Hej Eva! Prova att starta om datorn."}, "status": {"pending"}})
		if !strings.Contains(page.body, "Prova att starta om datorn.") {
			t.Error("reply not on the ticket page")
		}
		if !strings.Contains(page.body, "delivery-queued") {
			t.Error("the reply's delivery state is not shown")
		}
		if !strings.Contains(page.body, `class="badge status-pending"`) {
			t.Error("status not pending after the reply")
		}
		mails, total, err := en.store.ListOutbox(ctx, "", 10, 0)
		if err != nil || total != 1 || mails[0].Purpose != "reply" || !strings.Contains(mails[0].Recipients, "eva@corp.test") {
			t.Fatalf("outbox: %v %d %+v", err, total, mails)
		}
		ob := c.get("/outbox")
		if !strings.Contains(ob.body, "eva@corp.test") || !strings.Contains(ob.body, path) {
			t.Error("reply not on the outbox page")
		}
	})
	t.Run("failed delivery is visible", func(t *testing.T) {
		mails, _, _ := en.store.ListOutbox(ctx, "", 10, 0)
		if err := en.store.MarkOutboxFailedAttempt(ctx, mails[0].ID, "550 5.1.1 user unknown", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if page := c.get(path); !strings.Contains(page.body, "550 5.1.1 user unknown") || !strings.Contains(page.body, "delivery-failed") {
			t.Error("failed delivery not on the ticket")
		}
		ob := c.get("/outbox?status=failed")
		retry := "/outbox/" + itoa(mails[0].ID) + "/retry"
		if !strings.Contains(ob.body, retry) {
			t.Fatal("no retry button for the failed mail")
		}
		res := c.post(retry, url.Values{"_csrf": {tok}})
		if res.StatusCode != http.StatusSeeOther {
			t.Fatalf("retry: %d", res.StatusCode)
		}
		if m, _, _ := en.store.ListOutbox(ctx, models.OutboxQueued, 10, 0); len(m) != 1 {
			t.Error("mail not queued again")
		}
	})
	t.Run("status", func(t *testing.T) {
		page := post(t, "status", url.Values{"status": {"resolved"}})
		if !strings.Contains(page.body, `class="badge status-resolved"`) {
			t.Error("status not changed")
		}
		if !strings.Contains(page.body, "Väntar på användare → Löst") {
			t.Error("status change not in the audit trail")
		}
	})
	t.Run("assign", func(t *testing.T) {
		page := post(t, "assign", url.Values{"agent_id": {itoa(other.ID)}})
		if !strings.Contains(page.body, `<option value="`+itoa(other.ID)+`" selected>Bo Berg</option>`) {
			t.Error("assignee not selected")
		}
		page = post(t, "assign", url.Values{"agent_id": {""}})
		if !strings.Contains(page.body, `<option value="" selected>`) {
			t.Error("not unassigned")
		}
	})
	t.Run("empty note is refused with the text kept", func(t *testing.T) {
		res := c.post(path+"/reply", url.Values{"_csrf": {tok}, "text": {"   "}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, en.cat.T("sv", "error.text_required")) {
			t.Errorf("empty reply: %d", res.StatusCode)
		}
		res = c.post(path+"/reply", url.Values{"_csrf": {tok}, "text": {"utkast"}, "status": {"bogus"}})
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, ">utkast</textarea>") {
			t.Errorf("bad status: %d, want 400 with the draft kept", res.StatusCode)
		}
	})
	t.Run("forward without asset is a conflict", func(t *testing.T) {
		res := c.post(path+"/forward", url.Values{"_csrf": {tok}})
		if res.StatusCode != http.StatusConflict || !strings.Contains(res.body, html.EscapeString(en.cat.T("sv", "error.forward_no_asset"))) {
			t.Errorf("forward: %d", res.StatusCode)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		for _, tc := range []struct {
			path string
			form url.Values
			want int
		}{
			{"/tickets/abc/note", url.Values{"text": {"x"}}, http.StatusBadRequest},
			{"/tickets/999999/note", url.Values{"text": {"x"}}, http.StatusNotFound},
			{path + "/assign", url.Values{"agent_id": {"x"}}, http.StatusBadRequest},
			{path + "/assign", url.Values{"agent_id": {"4242"}}, http.StatusBadRequest},
		} {
			tc.form.Set("_csrf", tok)
			if res := c.post(tc.path, tc.form); res.StatusCode != tc.want {
				t.Errorf("%s %v: %d, want %d", tc.path, tc.form, res.StatusCode, tc.want)
			}
		}
		if res := c.post(path+"/note", url.Values{"text": {"x"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("note without CSRF: %d, want 403", res.StatusCode)
		}
	})
}

func TestListPages(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	asset := en.seedAsset("PF2ABC12", time.Now().AddDate(-4, 0, 0), "eva@corp.test")
	en.seedAsset("5CG1234XYZ", time.Now().AddDate(0, -2, 0), "olle@corp.test")
	en.seedTicket("Skärmen flimrar", models.StatusNew, models.CategoryHardware, "eva@corp.test", "flimrar", asset)
	en.seedTicket("Konto låst", models.StatusOpen, models.CategoryAccount, "olle@corp.test", "låst", nil)
	if _, err := en.store.RecordFetched(ctx, "INBOX", 7, []models.FetchedMail{
		{UID: 1, Raw: []byte("x"), FromEmail: "noreply@vendor.test", Subject: "Out of office", Outcome: models.OutcomeIgnored, Reason: "automatic reply"},
	}); err != nil {
		t.Fatal(err)
	}
	en.inbox = []ResellerMail{{From: "helpdesk@desk.test", To: []string{"service@atea.test"}, Subject: "Garantiärende PF2ABC12", At: time.Now(), Text: "Hej Atea"}}
	c := en.client()
	c.login()

	for _, tc := range []struct {
		path string
		want []string
		not  []string
	}{
		{"/tickets", []string{"Skärmen flimrar", "Konto låst", "Alla <span class=\"count\">2</span>", "Ny <span class=\"count\">1</span>"}, nil},
		{"/tickets?status=open", []string{"Konto låst"}, []string{"Skärmen flimrar"}},
		{"/tickets?category=hardware", []string{"Skärmen flimrar"}, []string{"Konto låst"}},
		{"/tickets?q=l%C3%A5st", []string{"Konto låst"}, []string{"Skärmen flimrar"}},
		{"/tickets?serial=pf2abc12", []string{"Skärmen flimrar"}, []string{"Konto låst"}},
		{"/tickets/1001", []string{"PF2ABC12", "Garantin gick ut", "badge-bad"}, nil},
		{"/tickets/1002", []string{"Ingen enhet är kopplad", "5CG1234XYZ", "badge-ok"}, nil},
		{"/assets", []string{"PF2ABC12", "5CG1234XYZ", "Garanti t.o.m.", "Garantin gick ut"}, nil},
		{"/assets?q=pf-2abc", []string{"PF2ABC12"}, []string{"5CG1234XYZ"}},
		{"/intake", []string{"Out of office", "automatic reply", "Ignorerat"}, nil},
		{"/intake?outcome=created", []string{en.cat.T("sv", "intake.empty")}, []string{"Out of office"}},
		{"/reseller", []string{"Garantiärende PF2ABC12", "Hej Atea"}, nil},
		{"/outbox", []string{en.cat.T("sv", "outbox.empty")}, nil},
	} {
		t.Run(tc.path, func(t *testing.T) {
			res := c.get(tc.path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("%d\n%s", res.StatusCode, res.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(res.body, n) {
					t.Errorf("page has %q", n)
				}
			}
		})
	}
	for _, p := range []string{"/tickets?status=bogus", "/tickets?page=0", "/intake?outcome=x", "/outbox?status=x", "/tickets/0"} {
		if res := c.get(p); res.StatusCode != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", p, res.StatusCode)
		}
	}
	if res := c.get("/tickets/424242"); res.StatusCode != http.StatusNotFound || !strings.Contains(res.body, en.cat.T("sv", "error.not_found")) {
		t.Errorf("unknown ticket: %d", res.StatusCode)
	}
	if res := c.get("/"); res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/tickets" {
		t.Errorf("GET /: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
}

func itoa[T ~uint | ~int64](n T) string { return strconv.FormatUint(uint64(n), 10) }
