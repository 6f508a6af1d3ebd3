package handlers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"warrantydesk/models"
)

// browser is a headless Chromium session for one test, with helpers that
// save a screenshot when a step fails.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string
}

// newBrowser starts Chromium with a window of w×h CSS pixels (skipped, or
// failed in CI, without Chromium).
func newBrowser(t *testing.T, w, h int) *browser {
	t.Helper()
	ctx := chromiumContext(t, 120*time.Second, w, h)
	b := &browser{t: t, ctx: ctx, shots: t.TempDir()}
	if w < 800 { // a phone: emulate its viewport exactly
		b.do("set viewport", chromedp.EmulateViewport(int64(w), int64(h), chromedp.EmulateScale(3), chromedp.EmulateMobile))
	}
	return b
}

// fail saves a screenshot of the page and stops the test.
func (b *browser) fail(step string, err error) {
	b.t.Helper()
	if shot, serr := chromedp.Run(b.ctx, chromedp.FullScreenshot(90)); serr == nil {
		p := filepath.Join(b.shots, "browser-"+strings.ReplaceAll(step, " ", "-")+".jpg")
		if werr := os.WriteFile(p, shot, 0o600); werr == nil {
			b.t.Logf("screenshot of the failed step: %s", p)
		}
	}
	b.t.Fatalf("%s: %v", step, err)
}

func (b *browser) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

// eval evaluates a JavaScript expression.
func evalJS[T any](b *browser, step, js string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		b.fail(step, err)
	}
	return v
}

// waitFor polls a JavaScript condition until it is true.
func (b *browser) waitFor(step, js string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.fail(step, fmt.Errorf("timed out waiting for %s (%v)", js, err))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// keys presses keys one after the other on whatever has the focus.
func (b *browser) keys(step string, keys ...string) {
	b.t.Helper()
	for _, k := range keys {
		b.do(step+" "+k, chromedp.KeyEvent(k))
	}
}

// login logs in through the form, by keyboard, and waits for the list.
func (b *browser) login(base string) {
	b.t.Helper()
	b.do("log in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), testEmail),
		chromedp.SendKeys(chromedp.CSS(`#password`), testPassword+kb.Enter),
	)
	b.waitFor("reach the ticket list", `location.pathname === "/tickets" && document.readyState === "complete"`)
}

// focusedID is the id of the focused element.
const focusedID = `(document.activeElement ? document.activeElement.id : "")`

// TestBrowserKeyboardTriage triages a new ticket with the keyboard only:
// g i to the list, j to select it, Enter to open, a/s to assign and set the
// status, r to reply and n to add a note; ? shows the shortcut help.
func TestBrowserKeyboardTriage(t *testing.T) {
	en := newEnv(t)
	ctx := context.Background()
	olle, err := en.desk.CreateAgent(ctx, "olle@desk.test", "Olle Olsson", models.RoleAgent, testPassword)
	if err != nil {
		t.Fatal(err)
	}
	en.seedTicket("Gammalt ärende", models.StatusOpen, models.CategoryOther, "bo@corp.test", "Gammalt.", nil)
	time.Sleep(10 * time.Millisecond)
	tk := en.seedTicket("Skärmen är svart", models.StatusNew, models.CategoryHardware, "eva@corp.test", "Skärmen är svart sedan i morse.", nil)
	b := newBrowser(t, 1280, 900)
	b.login(en.srv.URL)

	// ? opens the help overlay, Esc closes it.
	b.keys("open help", "?")
	b.waitFor("help overlay shown", `document.getElementById("shortcut-help").open`)
	if got := evalJS[string](b, "read help", `document.querySelector("#shortcut-help h2").textContent`); got != en.cat.T("sv", "help.title") {
		t.Errorf("help overlay heading %q", got)
	}
	b.keys("close help", kb.Escape)
	b.waitFor("help overlay closed", `!document.getElementById("shortcut-help").open`)

	// g i: all tickets; j selects the newest; Enter opens it.
	b.keys("go to all tickets", "g", "i")
	b.waitFor("all-tickets view", `location.search.includes("view=all") && document.readyState === "complete"`)
	b.keys("select first row", "j")
	b.waitFor("row selected", `!!document.querySelector("tr.selected") && document.activeElement.closest("tr.selected") !== null`)
	if got := evalJS[string](b, "selected row", `document.querySelector("tr.selected").getAttribute("data-href")`); got != ticketURL(tk.Number) {
		t.Fatalf("j selected %q, want the newest ticket %s", got, ticketURL(tk.Number))
	}
	b.keys("open ticket", kb.Enter)
	b.waitFor("ticket page", `location.pathname === "`+ticketURL(tk.Number)+`" && document.readyState === "complete"`)

	// a: the assignee list; type the name, Tab to its button, Enter.
	b.keys("focus assignee", "a")
	b.waitFor("assignee focused", focusedID+` === "agent"`)
	b.keys("choose Olle", "O", "l", "l", "e")
	b.keys("submit assignee", kb.Tab, kb.Enter)
	b.waitFor("assigned", `document.readyState === "complete" && !!document.querySelector(".flash-ok") && location.pathname === "`+ticketURL(tk.Number)+`"`)
	if got, _ := en.store.TicketByNumber(ctx, tk.Number); got.AssigneeID == nil || *got.AssigneeID != olle.ID {
		t.Fatalf("assignee %v, want Olle (%d)", *got.AssigneeID, olle.ID)
	}

	// s: the status list; ArrowDown from "new" is "open".
	b.keys("focus status", "s")
	b.waitFor("status focused", focusedID+` === "status"`)
	b.keys("choose open", kb.ArrowDown)
	b.keys("submit status", kb.Tab, kb.Enter)
	b.waitFor("status changed", `document.readyState === "complete" && document.querySelector(".flash-ok") && document.querySelector(".flash-ok").textContent.trim() === `+
		jsString(en.cat.T("sv", "flash.status_changed")))
	if got, _ := en.store.TicketByNumber(ctx, tk.Number); got.Status != models.StatusOpen {
		t.Fatalf("status %s, want open", got.Status)
	}

	// r: the reply box; type, Tab past the status choice to Send, Enter.
	const reply = "Vi byter skärmen i morgon."
	b.keys("focus reply", "r")
	b.waitFor("reply focused", focusedID+` === "reply-text"`)
	b.do("type reply", chromedp.KeyEvent(reply))
	b.keys("send reply", kb.Tab, kb.Tab, kb.Enter)
	b.waitFor("reply sent", `document.readyState === "complete" && [...document.querySelectorAll(".msg-email-out .msg-text")].some(e => e.textContent.includes(`+jsString(reply)+`))`)

	// n: the note box; type, Tab to its button, Enter.
	const note = "Ringde Eva, hon lånar en dator så länge."
	b.keys("focus note", "n")
	b.waitFor("note focused", focusedID+` === "note-text"`)
	b.do("type note", chromedp.KeyEvent(note))
	b.keys("add note", kb.Tab, kb.Enter)
	b.waitFor("note added", `document.readyState === "complete" && [...document.querySelectorAll(".msg-note .msg-text")].some(e => e.textContent.includes(`+jsString(note)+`))`)

	// Letters typed into a field never trigger shortcuts: the note text
	// above contains "n", "r", "s" and "a", and the page never moved.
	msgs, err := en.store.Messages(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range msgs {
		kinds = append(kinds, m.Kind)
	}
	if got := strings.Join(kinds, ","); got != "email,email,note" {
		t.Errorf("messages %s, want the mail, the reply and the note", got)
	}
	// The shortcut key itself ("n") is not typed into the field it focused.
	if got := msgs[len(msgs)-1].Text; got != note {
		t.Errorf("note stored as %q, want %q", got, note)
	}
	// The focused element always shows a visible focus ring.
	b.keys("focus reply again", "r")
	if o := evalJS[string](b, "focus style", `getComputedStyle(document.activeElement).outlineStyle`); o == "none" {
		t.Error("focused field has no visible outline")
	}
}

// TestBrowserPhoneHasNoHorizontalScroll opens the ticket list and a ticket
// at 390×844 (a phone) and checks that nothing is wider than the screen.
func TestBrowserPhoneHasNoHorizontalScroll(t *testing.T) {
	en := newEnv(t)
	a := en.seedAsset("PF2ABC12", time.Now().AddDate(-1, 0, 0), "eva@corp.test")
	tk := en.seedTicket("Skärmen flimrar när locket öppnas mer än nittio grader, och ibland blir den helt svart",
		models.StatusNew, models.CategoryHardware, "eva.langnamn-svensson@forvaltningen.corp.test",
		"Hej! Det här är en lång rad utan radbrytning: "+strings.Repeat("https://intranat.corp.test/sida/", 6), a)
	b := newBrowser(t, 390, 844)
	b.login(en.srv.URL)
	for _, path := range []string{"/tickets", ticketURL(tk.Number), "/help"} {
		b.do("open "+path, chromedp.Navigate(en.srv.URL+path))
		b.waitFor("load "+path, `document.readyState === "complete"`)
		sw := evalJS[float64](b, "measure "+path, `document.documentElement.scrollWidth`)
		cw := evalJS[float64](b, "measure "+path, `document.documentElement.clientWidth`)
		if sw > cw {
			wide := evalJS[string](b, "find wide elements", `[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1).slice(0, 5).map(e => e.tagName + "." + e.className).join(", ")`)
			b.fail("no horizontal scroll on "+path, fmt.Errorf("page is %v px wide on a %v px screen; too wide: %s", sw, cw, wide))
		}
	}
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return "`" + strings.NewReplacer("`", "\\`", "\\", "\\\\", "${", "\\${").Replace(s) + "`"
}

// TestBrowserLiveRefreshKeepsWhatIsTyped: a new ticket reloads an idle
// list by itself, but while the agent has typed into the search box the
// list only shows a "1 new or updated ticket — show" banner.
func TestBrowserLiveRefreshKeepsWhatIsTyped(t *testing.T) {
	en := newEnv(t)
	en.seedTicket("Första ärendet", models.StatusNew, models.CategoryOther, "eva@corp.test", "Hej", nil)
	b := newBrowser(t, 1280, 900)
	b.login(en.srv.URL)

	// Idle list: reloads itself and shows the new ticket.
	time.Sleep(10 * time.Millisecond)
	en.seedTicket("Andra ärendet", models.StatusNew, models.CategoryOther, "eva@corp.test", "Hej", nil)
	b.waitFor("idle list reloads", `document.body.textContent.includes("Andra ärendet")`)

	// Typing: no reload, a banner instead, and the text stays.
	b.do("type a search", chromedp.SendKeys(chromedp.CSS(`#q`), "skrivare"))
	time.Sleep(10 * time.Millisecond)
	en.seedTicket("Tredje ärendet", models.StatusNew, models.CategoryOther, "eva@corp.test", "Hej", nil)
	b.waitFor("banner shown", `!document.getElementById("live-banner").hidden`)
	if got := evalJS[string](b, "read banner", `document.querySelector("#live-banner .live-text").textContent`); got != en.cat.T("sv", "live.one") {
		t.Errorf("banner %q", got)
	}
	if got := evalJS[string](b, "read search box", `document.getElementById("q").value`); got != "skrivare" {
		t.Errorf("search box %q after the change: typed text lost", got)
	}
	if evalJS[bool](b, "list unchanged", `document.body.querySelector("main").textContent.includes("Tredje ärendet")`) {
		t.Error("the list reloaded while the agent was typing")
	}
}
