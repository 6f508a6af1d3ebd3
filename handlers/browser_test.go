package handlers

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// TestBrowser drives the real router with a real browser: log in through the
// form, open a ticket, post an internal note, switch to English.
func TestBrowser(t *testing.T) {
	exe := chromiumPath()
	testenv.SkipUnless(t, exe != "", "no chromium: install it (apt-get install -y chromium) or set WARRANTYDESK_CHROMIUM")
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	en := newEnv(t)
	tk := en.seedTicket("Tangentbordet saknar tangenter", models.StatusNew, models.CategoryHardware,
		"eva@corp.test", "Flera tangenter har lossnat.", nil)

	// One deadline for the whole browser session; it also stops the browser.
	timeoutCtx, cancelTimeout := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancelTimeout()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(timeoutCtx,
		chromedp.ExecPath(exe),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
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
}
