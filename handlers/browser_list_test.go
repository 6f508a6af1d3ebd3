package handlers

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"warrantydesk/models"
)

// TestBrowserTicketList drives the ticket list in a real browser: a bulk
// close of two ticked tickets, a search without the Swedish letters that
// finds and marks "Skärmen", and a search by #number.
func TestBrowserTicketList(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	first := en.seedTicket("Skrivaren skriver inte ut", models.StatusOpen, models.CategoryOther, "bo@corp.test", "Papperet fastnar.", nil)
	second := en.seedTicket("Mus saknas", models.StatusNew, models.CategoryHardware, "kim@corp.test", "Musen är borta.", nil)
	kept := en.seedTicket("Konto låst", models.StatusNew, models.CategoryAccount, "olle@corp.test", "Lösenordet fungerar inte.", nil)
	time.Sleep(10 * time.Millisecond)
	screen := en.seedTicket("Skärmen är sprucken", models.StatusOpen, models.CategoryHardware, "eva@corp.test",
		"Hej! Skärmen fick en spricka när datorn föll i golvet.", nil)
	b := newBrowser(t, 1280, 900)
	b.login(en.srv.URL)

	t.Run("bulk close", func(t *testing.T) {
		b.t = t
		checkbox := func(n int64) string { return `input[type=checkbox][name=number][value="` + itoa(n) + `"]` }
		b.do("tick two tickets",
			chromedp.WaitVisible(chromedp.CSS(checkbox(first.Number))),
			chromedp.Click(chromedp.CSS(checkbox(first.Number))),
			chromedp.Click(chromedp.CSS(checkbox(second.Number))),
		)
		b.do("close them", chromedp.Click(chromedp.CSS(`#bulk button[name=action][value=close]`)))
		b.waitFor("back on the list with a notice", `location.pathname === "/tickets" && document.readyState === "complete" && !!document.querySelector(".flash-ok")`)
		if got := evalJS[string](b, "read notice", `document.querySelector(".flash-ok").textContent.trim()`); got != en.cat.T("sv", "flash.bulk_done") {
			t.Errorf("notice %q, want %q", got, en.cat.T("sv", "flash.bulk_done"))
		}

		// The "Lösta" tab lists both, and not the ticket left alone.
		b.do("open the resolved tab", chromedp.Click(chromedp.CSS(`a[href="/tickets?view=resolved"]`)))
		b.waitFor("resolved view", `location.search.includes("view=resolved") && document.readyState === "complete"`)
		if got := evalJS[string](b, "read tab", `document.querySelector("nav.tabs [aria-current=page]").textContent`); !strings.Contains(got, en.cat.T("sv", "view.resolved")) {
			t.Errorf("current tab %q, want %q", got, en.cat.T("sv", "view.resolved"))
		}
		rows := evalJS[[]string](b, "read rows", `[...document.querySelectorAll("table.tickets tbody tr")].map(r => r.getAttribute("data-href"))`)
		want := map[string]bool{ticketURL(first.Number): true, ticketURL(second.Number): true}
		if len(rows) != 2 || !want[rows[0]] || !want[rows[1]] {
			b.fail("resolved rows", fmt.Errorf("resolved view lists %v, want %s and %s", rows, ticketURL(first.Number), ticketURL(second.Number)))
		}
		for _, tk := range []*models.Ticket{first, second} {
			got, err := en.store.TicketByID(ctx, tk.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != models.StatusClosed {
				t.Errorf("#%d status %s, want closed", tk.Number, got.Status)
			}
			if n := statusAudits(t, en, tk.ID); n != 1 {
				t.Errorf("#%d has %d status audit entries, want 1", tk.Number, n)
			}
		}
		if got, _ := en.store.TicketByID(ctx, kept.ID); got.Status != models.StatusNew {
			t.Errorf("unticked #%d changed to %s", kept.Number, got.Status)
		}
		if n := statusAudits(t, en, kept.ID); n != 0 {
			t.Errorf("unticked #%d has %d status audit entries", kept.Number, n)
		}
	})

	t.Run("search without å, ä, ö", func(t *testing.T) {
		b.t = t
		b.do("search skarm",
			chromedp.Navigate(en.srv.URL+"/tickets"),
			chromedp.WaitVisible(chromedp.CSS(`#q`)),
			chromedp.SendKeys(chromedp.CSS(`#q`), "skarm"+kb.Enter),
		)
		b.waitFor("search results", `location.search.includes("q=skarm") && document.readyState === "complete"`)
		rows := evalJS[[]string](b, "read rows", `[...document.querySelectorAll("table.tickets tbody tr")].map(r => r.getAttribute("data-href"))`)
		if len(rows) != 1 || rows[0] != ticketURL(screen.Number) {
			b.fail("search rows", fmt.Errorf("q=skarm lists %v, want only %s", rows, ticketURL(screen.Number)))
		}
		subject := evalJS[string](b, "read subject", `document.querySelector("table.tickets tbody tr td:nth-child(3) a").textContent`)
		if subject != "Skärmen är sprucken" {
			t.Errorf("subject %q", subject)
		}
		marks := evalJS[[]string](b, "read marks", `[...document.querySelectorAll("table.tickets .snippet mark")].map(m => m.textContent)`)
		if len(marks) == 0 || !strings.HasPrefix(strings.ToLower(marks[0]), "skärm") {
			b.fail("highlighted snippet", fmt.Errorf("snippet marks %v, want the word Skärmen marked", marks))
		}
		if got := evalJS[string](b, "read search box", `document.getElementById("q").value`); got != "skarm" {
			t.Errorf("search box %q after the search, want skarm", got)
		}
	})

	t.Run("search by #number", func(t *testing.T) {
		b.t = t
		b.do("search #number",
			chromedp.Navigate(en.srv.URL+"/tickets"),
			chromedp.WaitVisible(chromedp.CSS(`#q`)),
			chromedp.SendKeys(chromedp.CSS(`#q`), "#"+itoa(kept.Number)+kb.Enter),
		)
		b.waitFor("search results", `new URLSearchParams(location.search).get("q") === "#`+itoa(kept.Number)+`" && document.readyState === "complete"`)
		rows := evalJS[[]string](b, "read rows", `[...document.querySelectorAll("table.tickets tbody tr")].map(r => r.getAttribute("data-href"))`)
		if len(rows) == 0 || rows[0] != ticketURL(kept.Number) {
			b.fail("number search", fmt.Errorf("q=#%d lists %v, want %s first", kept.Number, rows, ticketURL(kept.Number)))
		}
	})
}

// statusAudits counts the status entries of ticket id's audit trail.
func statusAudits(t *testing.T, en *env, id uint) int {
	t.Helper()
	events, err := en.store.Audit(context.Background(), "ticket", id)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Field == "status" {
			n++
		}
	}
	return n
}
