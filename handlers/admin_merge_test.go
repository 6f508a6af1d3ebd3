package handlers

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"warrantydesk/models"
)

func TestMergeAndLinkFromTheTicketPage(t *testing.T) {
	en := newEnv(t)
	a := en.seedTicket("Skrivaren krånglar", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Första", nil)
	b := en.seedTicket("Skrivaren igen", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Andra", nil)
	x := en.seedTicket("Annat ärende", models.StatusOpen, models.CategoryOther, "olle@corp.test", "Tredje", nil)
	c := en.client()
	c.login()
	tok := c.csrf(ticketURL(a.Number))

	// Link #a and #x: shown on both pages.
	if res := c.post(ticketURL(a.Number)+"/links", url.Values{"_csrf": {tok}, "related": {"#" + itoa(x.Number)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("link: %d %s", res.StatusCode, res.body)
	}
	for _, pair := range [][2]*models.Ticket{{a, x}, {x, a}} {
		body := c.get(ticketURL(pair[0].Number)).body
		if !strings.Contains(body, `href="`+ticketURL(pair[1].Number)+`"`) {
			t.Errorf("#%d does not show related #%d", pair[0].Number, pair[1].Number)
		}
	}
	// A bad number is explained on the page.
	res := c.post(ticketURL(a.Number)+"/links", url.Values{"_csrf": {tok}, "related": {"9999"}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(res.body, en.cat.T("sv", "error.link_unknown_target")) {
		t.Errorf("unknown ticket: %d", res.StatusCode)
	}
	// Unlink.
	if res := c.post(ticketURL(x.Number)+"/links/"+itoa(a.Number)+"/delete", url.Values{"_csrf": {tok}}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("unlink: %d", res.StatusCode)
	}
	if strings.Contains(c.get(ticketURL(a.Number)).body, `href="`+ticketURL(x.Number)+`"`) {
		t.Error("link still shown after unlinking")
	}

	// Merge #a into #b: the text moves, #a says where it went and offers no
	// second merge.
	if res := c.post(ticketURL(a.Number)+"/merge", url.Values{"into": {itoa(b.Number)}}); res.StatusCode != http.StatusForbidden {
		t.Errorf("merge without CSRF: %d", res.StatusCode)
	}
	if res := c.post(ticketURL(a.Number)+"/merge", url.Values{"_csrf": {tok}, "into": {itoa(b.Number)}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("merge: %d %s", res.StatusCode, res.body)
	}
	into := c.get(ticketURL(b.Number)).body
	if !strings.Contains(into, "Första") || !strings.Contains(into, "Andra") {
		t.Error("merged conversation not on the target")
	}
	from := c.get(ticketURL(a.Number)).body
	if !strings.Contains(from, "Sammanslaget med #"+itoa(b.Number)) || strings.Contains(from, `action="`+ticketURL(a.Number)+`/merge"`) {
		t.Error("merged ticket lacks its note or still offers a merge")
	}
	if !strings.Contains(from, en.cat.T("sv", "status.closed")) {
		t.Error("merged ticket not shown closed")
	}
}
