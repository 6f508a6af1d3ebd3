package handlers

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestReportsBrowser opens the reports in a real browser: the charts are
// drawn (the SVG has a size), the report stylesheet loads under the CSP, and
// the printable summary hides nothing it needs and shows no menu.
func TestReportsBrowser(t *testing.T) {
	requireChromium(t)
	en := newEnv(t)
	en.seedReports()
	ctx := chromiumContext(t, 90*time.Second, 1280, 900)

	if err := chromedp.Do(ctx,
		chromedp.Navigate(en.srv.URL+"/reports/failures"),
		chromedp.WaitVisible(chromedp.CSS(`#email`)),
		chromedp.SendKeys(chromedp.CSS(`#email`), testEmail),
		chromedp.SendKeys(chromedp.CSS(`#password`), testPassword),
		chromedp.Click(chromedp.CSS(`.login button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`.report-chart svg`)),
	); err != nil {
		t.Fatalf("log in and open the failure report: %v", err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector(".report-chart svg").getBoundingClientRect().width`))
	if err != nil || width < 200 {
		t.Errorf("chart width %v (%v), want it drawn", width, err)
	}
	// reports.css is applied: the figures are a grid.
	display, err := chromedp.Run(ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".report-figures")).display`))
	if err != nil || display != "grid" {
		t.Errorf("figures display %q (%v): reports.css not applied", display, err)
	}
	// The hostile model name is text in the chart, not markup.
	label, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`[...document.querySelectorAll(".report-chart svg text")].map(e => e.textContent).join("|")`))
	if err != nil || !strings.Contains(label, `Evil <b>&"Book`) {
		t.Errorf("chart labels %q (%v)", label, err)
	}
	bold, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".report-chart b").length`))
	if err != nil || bold != 0 {
		t.Errorf("%d <b> elements in the charts (%v)", bold, err)
	}

	if err := chromedp.Do(ctx,
		chromedp.Navigate(en.srv.URL+"/reports/summary"),
		chromedp.WaitVisible(chromedp.CSS(`.report-figures`)),
	); err != nil {
		t.Fatalf("open the summary: %v", err)
	}
	nav, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("nav.nav, header.top").length`))
	if err != nil || nav != 0 {
		t.Errorf("summary has %d menus (%v)", nav, err)
	}
	charts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll(".report-chart svg").length`))
	if err != nil || charts < 2 {
		t.Errorf("summary has %d charts (%v)", charts, err)
	}
}
