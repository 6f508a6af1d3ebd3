package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

var liveSinceRe = regexp.MustCompile(`data-live-since="([^"]+)"`)

func TestLiveChangesCountsNewAndUpdatedTickets(t *testing.T) {
	en := newEnv(t)
	a := en.seedTicket("Första", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Hej", nil)
	en.seedTicket("Andra", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Hej", nil)
	c := en.client()
	c.login()
	page := c.get("/tickets")
	m := liveSinceRe.FindStringSubmatch(page.body)
	if m == nil || !strings.Contains(page.body, `id="live-banner"`) {
		t.Fatal("ticket list has no live-refresh token or banner")
	}
	since := m[1]
	changes := func() (int64, string) {
		t.Helper()
		res := c.get("/api/ui/changes?since=" + url.QueryEscape(since))
		if res.StatusCode != http.StatusOK {
			t.Fatalf("changes: %d %s", res.StatusCode, res.body)
		}
		var body struct {
			Changed int64  `json:"changed"`
			Token   string `json:"token"`
		}
		if err := json.Unmarshal([]byte(res.body), &body); err != nil {
			t.Fatal(err)
		}
		return body.Changed, body.Token
	}
	if n, tok := changes(); n != 0 || tok != since {
		t.Errorf("nothing changed: %d %q (since %q)", n, tok, since)
	}
	time.Sleep(5 * time.Millisecond) // updated_at must move past the token
	en.seedTicket("Tredje", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Ny", nil)
	if err := en.store.TouchTicket(context.Background(), a.ID); err != nil {
		t.Fatal(err)
	}
	if n, tok := changes(); n != 2 || tok == since {
		t.Errorf("after a new and an updated ticket: %d %q", n, tok)
	}
	// Only agents ask; a bad token is a 400.
	if res := en.client().get("/api/ui/changes?since=" + url.QueryEscape(since)); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous: %d", res.StatusCode)
	}
	if res := c.get("/api/ui/changes?since=x"); res.StatusCode != http.StatusBadRequest {
		t.Errorf("bad token: %d", res.StatusCode)
	}
	// Pages other than lists do not refresh themselves.
	if liveSinceRe.MatchString(c.get(ticketURL(a.Number)).body) {
		t.Error("the ticket page refreshes itself")
	}
}

func TestChangeTokenRoundTrip(t *testing.T) {
	for _, st := range []models.TicketChanges{{}, {Latest: time.Date(2026, 3, 1, 9, 0, 0, 123456789, time.UTC), MaxID: 42}} {
		got, err := parseChangeToken(changeToken(st))
		if err != nil || !got.Latest.Equal(st.Latest) || got.MaxID != st.MaxID {
			t.Errorf("%+v → %q → %+v %v", st, changeToken(st), got, err)
		}
	}
	for _, bad := range []string{"", "1", "a.b", "-5.1", "1.-1"} {
		if _, err := parseChangeToken(bad); err == nil {
			t.Errorf("token %q accepted", bad)
		}
	}
}

func TestHelpPageListsShortcutsWithoutJavaScript(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	c.login()
	res := c.get("/help")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("help: %d", res.StatusCode)
	}
	for _, g := range gotoTargets {
		if !strings.Contains(res.body, `data-goto="`+g.key+`"`) {
			t.Errorf("help lacks g %s", g.key)
		}
	}
	for _, k := range []string{"<kbd>j</kbd>", "<kbd>r</kbd>", "<kbd>?</kbd>", en.cat.T("sv", "shortcut.reply")} {
		if !strings.Contains(res.body, k) {
			t.Errorf("help lacks %s", k)
		}
	}
	// Every page an agent sees carries the ? overlay and a link to /help.
	body := c.get("/tickets").body
	if !strings.Contains(body, `id="shortcut-help"`) || !strings.Contains(body, `href="/help"`) {
		t.Error("ticket list lacks the shortcut overlay or the help link")
	}
}
