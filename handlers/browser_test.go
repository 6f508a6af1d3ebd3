package handlers

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"warrantydesk/internal/testenv"
	"warrantydesk/models"
)

// chromiumPath finds a Chromium for the browser test: $WARRANTYDESK_CHROMIUM,
// else Debian's /usr/bin/chromium.
func chromiumPath() string {
	for _, p := range []string{os.Getenv("WARRANTYDESK_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser"} {
		if p == "" {
			continue
		}
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// requireChromium skips t (fails it in strict mode) when there is no
// Chromium to drive, and in -short mode.
func requireChromium(t *testing.T) {
	t.Helper()
	testenv.SkipUnless(t, chromiumPath() != "", "no chromium: install it (apt-get install -y chromium) or set WARRANTYDESK_CHROMIUM")
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
}

// chromiumContext starts a headless Chromium of w×h for t with the flags this
// closed network needs (no background connections) and returns the context
// of its tab. The browser stops when t ends or when timeout has passed,
// which is the deadline of the whole browser session.
func chromiumContext(t *testing.T, timeout time.Duration, w, h int) context.Context {
	t.Helper()
	requireChromium(t)
	timeoutCtx, cancelTimeout := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancelTimeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeoutCtx,
		chromedp.ExecPath(chromiumPath()), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(w, h),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	return ctx
}

// TestBrowser drives the real router with a real browser: log in through the
// form, open a ticket, post an internal note, switch to English.
func TestBrowser(t *testing.T) {
	requireChromium(t)
	en := newEnv(t)
	tk := en.seedTicket("Tangentbordet saknar tangenter", models.StatusNew, models.CategoryHardware,
		"eva@corp.test", "Flera tangenter har lossnat.", nil)
	// A mail whose stored HTML slipped past the intake sanitiser: a script,
	// an event handler, and an inline (cid:) picture that must still show.
	htmlTk := en.seedTicket("Formaterat mejl", models.StatusNew, models.CategoryHardware,
		"eva@corp.test", "Hej IT", nil)
	const payload = `<p title="greeting">Hej <b>IT</b></p><script>window.__xss=1;alert("script")</script>` +
		`<img src=x onerror="window.__xss=1;alert('onerror')"><img alt="logga" src="cid:logo@eva">`
	htmlMsg := en.seedMail(htmlTk, "Hej IT", payload,
		testFile{name: "logo.png", contentType: "image/png", contentID: "logo@eva", data: testPNG(t, 5, 3)})

	// One deadline for the whole browser session; it also stops the browser.
	ctx := chromiumContext(t, 90*time.Second, 1280, 900)
	shots := t.TempDir()

	// fail saves a screenshot of the page and stops the test.
	fail := func(step string, err error) {
		t.Helper()
		if shot, serr := chromedp.Run(ctx, chromedp.FullScreenshot(90)); serr == nil {
			p := filepath.Join(shots, "browser-"+strings.ReplaceAll(step, " ", "-")+".jpg")
			if werr := os.WriteFile(p, shot, 0o600); werr == nil {
				t.Logf("screenshot of the failed step: %s", p)
			}
		}
		t.Fatalf("%s: %v", step, err)
	}
	do := func(step string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			fail(step, err)
		}
	}
	text := func(step, css string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
		if err != nil {
			fail(step, err)
		}
		return strings.TrimSpace(s)
	}

	do("log in",
		chromedp.Navigate(en.srv.URL+"/tickets/"+itoa(tk.Number)),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), testEmail),
		chromedp.SendKeys(chromedp.CSS(`#password`), testPassword),
		chromedp.Click(chromedp.CSS(`.login button[type=submit]`)),
		// The login form brings the agent back to the ticket asked for.
		chromedp.WaitVisible(chromedp.CSS(`#note-text`)),
	)
	// The stylesheet and script load under the Content-Security-Policy.
	bg, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".top")).backgroundColor`))
	if err != nil || bg != "rgb(31, 42, 55)" {
		t.Errorf("header background %q (%v): app.css not applied", bg, err)
	}
	if h := text("read heading", "h1"); !strings.Contains(h, "Tangentbordet saknar tangenter") {
		t.Fatalf("ticket heading %q", h)
	}

	const note = "Beställt nytt tangentbord, levereras på torsdag."
	do("post note",
		chromedp.SendKeys(chromedp.CSS(`#note-text`), note),
		chromedp.Click(chromedp.CSS(`.note-form button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg-note .msg-text`)),
	)
	if got := text("read note", ".msg-note .msg-text"); got != note {
		t.Errorf("note on page %q, want %q", got, note)
	}
	if got := text("read notice", ".flash-ok"); got != en.cat.T("sv", "flash.note_added") {
		t.Errorf("notice %q", got)
	}
	if got := text("read Swedish label", ".msg-note .kind"); got != "Intern anteckning" {
		t.Errorf("note label %q, want Intern anteckning", got)
	}

	do("switch to English",
		chromedp.Click(chromedp.CSS(`a[hreflang=en]`)),
		chromedp.WaitVisible(chromedp.CSS(`html[lang=en] #conv-h`)),
	)
	if got := text("read heading", "#conv-h"); got != "Conversation" {
		t.Errorf("heading after switching language %q, want Conversation", got)
	}
	if got := text("read English label", ".msg-note .kind"); got != "Internal note" {
		t.Errorf("note label %q, want Internal note", got)
	}

	// The formatted view of a hostile mail: nothing runs, the picture shows.
	// A dialog would block the frame, so each is counted and dismissed.
	var dialogs atomic.Int32
	countDialogs := func(ctx context.Context) func(ev any) {
		return func(ev any) {
			if _, ok := ev.(*cdppage.EventJavascriptDialogOpening); ok {
				dialogs.Add(1)
				go func() { // not from the listener: it must not send commands
					_, _ = chromedp.Call(ctx, cdppage.HandleJavaScriptDialog, cdppage.HandleJavaScriptDialogParams{})
				}()
			}
		}
	}
	if err := chromedp.Listen(ctx, countDialogs(ctx)); err != nil {
		t.Fatal(err)
	}
	do("open formatted view",
		chromedp.Navigate(en.srv.URL+ticketURL(htmlTk.Number)),
		chromedp.WaitVisible(chromedp.CSS(`.msg-html summary`)),
		chromedp.Click(chromedp.CSS(`.msg-html summary`)),
		chromedp.WaitVisible(chromedp.CSS(`.msg-html iframe`)),
	)
	// A frame with an opaque origin (sandbox without allow-same-origin) has
	// a contentDocument of null to the page, once its document has loaded.
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		opaque, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
			`(() => { const f = document.querySelector(".msg-html iframe"); return f.contentDocument === null; })()`))
		if err != nil {
			fail("check the frame's origin", err)
		}
		if opaque {
			break
		}
		if time.Now().After(deadline) {
			fail("check the frame's origin", fmt.Errorf("the page can reach into the formatted view: not sandboxed"))
		}
	}
	frameCtx := mailFrame(t, ctx, htmlTk.Number, fail)
	if err := chromedp.Listen(frameCtx, countDialogs(frameCtx)); err != nil {
		t.Fatal(err)
	}
	// The picture comes from the inline-attachment route, so the frame has
	// loaded completely once it has a size.
	// (Polled from Go: the frame runs no script, so no timers either.)
	var width float64
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		width, err = chromedp.Run(frameCtx, chromedp.Evaluate[float64](
			`(() => { const i = document.querySelector("img[alt=logga]"); return i && i.complete ? i.naturalWidth : -1; })()`))
		if (err == nil && width >= 0) || time.Now().After(deadline) {
			break
		}
	}
	if err != nil || width != 5 {
		fail("cid: picture", fmt.Errorf("naturalWidth %v (%v), want 5", width, err))
	}
	src, err := chromedp.Run(frameCtx, chromedp.Evaluate[string](`document.querySelector("img[alt=logga]").src`))
	if u, perr := url.Parse(src); err != nil || perr != nil || u.Path != inlineURL(htmlTk.Number, htmlMsg.Attachments[0].ID) {
		t.Errorf("picture loaded from %q (%v), want the inline-attachment route", src, err)
	}
	for name, c := range map[string]context.Context{"page": ctx, "frame": frameCtx} {
		got, err := chromedp.Run(c, chromedp.Evaluate[string](`typeof window.__xss`))
		if err != nil || got != "undefined" {
			t.Errorf("window.__xss in the %s: %q (%v): the payload ran", name, got, err)
		}
	}
	if got := text("read formatted view", ".msg-html summary"); got != "Show formatted" {
		t.Errorf("summary %q", got)
	}
	if n := dialogs.Load(); n != 0 {
		t.Errorf("%d JavaScript dialogs opened: the payload ran", n)
	}
}

// mailFrame attaches to the iframe of the formatted view of a mail of ticket
// number. Chrome runs a sandboxed frame in a process (and target) of its own,
// so the page's context cannot query it.
func mailFrame(t *testing.T, ctx context.Context, number int64, fail func(string, error)) context.Context {
	t.Helper()
	want := ticketURL(number) + "/messages/"
	deadline := time.Now().Add(20 * time.Second)
	for {
		infos, err := chromedp.Targets(ctx)
		if err != nil {
			fail("list targets", err)
		}
		for _, info := range infos {
			if info.Type == "iframe" && strings.Contains(info.URL, want) {
				frameCtx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(info.TargetID))
				t.Cleanup(cancel)
				return frameCtx
			}
		}
		if time.Now().After(deadline) {
			var seen []string
			for _, info := range infos {
				seen = append(seen, info.Type+" "+info.URL)
			}
			fail("find the mail frame", fmt.Errorf("no iframe target for %s among %v", want, seen))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
