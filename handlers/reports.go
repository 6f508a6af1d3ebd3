package handlers

// The reports pages (issue 7): /reports (dashboard), /reports/{section}
// (fleet, failures, vendors, impact), /reports/summary (one printable page)
// and, on every page, ?format=csv&table=ID for each table. The figures come
// from package reports; this file only picks the section, translates and
// renders.

import (
	"bytes"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/reports"
)

// reportsData is the reports page.
type reportsData struct {
	Section    string
	Tabs       []tab
	SummaryURL string
	Generated  time.Time
	Body       reportBody
}

// reportBody is one section, translated: what reports.html draws.
type reportBody struct {
	Figures []figureView
	Charts  []template.HTML // server-drawn SVG, every text escaped by reports.Chart.SVG
	Tables  []tableView
	Notes   []string
}

type figureView struct{ Label, Value, Sub string }

type tableView struct {
	ID, Title, CSVURL string
	Columns           []columnView
	Rows              [][]cellView
	Foot              []cellView
}

type columnView struct {
	Label string
	Num   bool
}

type cellView struct {
	Text, URL string
	Num       bool
}

// reportsPage answers /reports and /reports/{section}, as HTML or, with
// ?format=csv&table=ID, one table as a CSV download.
func (h *handler) reportsPage(c echo.Context) error {
	section := c.Param("section")
	if section == "" {
		section = reports.SectionDashboard
	}
	if !slices.Contains(reports.Sections, section) {
		return echo.ErrNotFound
	}
	rep, err := h.buildReport(c)
	if err != nil {
		return err
	}
	sec, _ := rep.Section(section)
	lang := h.lang(c)
	if c.QueryParam("format") == "csv" {
		return h.reportCSV(c, sec, lang)
	}
	base := reportURL(section)
	data := reportsData{Section: section, SummaryURL: "/reports/summary", Generated: rep.Now,
		Body: h.reportBody(lang, sec, base)}
	for _, s := range reports.Sections {
		data.Tabs = append(data.Tabs, tab{URL: reportURL(s), Label: h.Catalog.T(lang, "reports.tab."+s), Count: -1, Current: s == section})
	}
	return h.render(c, http.StatusOK, "reports", "reports", "reports.title."+section, data)
}

// reportsSummary answers /reports/summary: the one-page summary for
// management, without the menu, laid out for printing (?format=csv works
// here too).
func (h *handler) reportsSummary(c echo.Context) error {
	rep, err := h.buildReport(c)
	if err != nil {
		return err
	}
	sec, _ := rep.Section(reports.SectionSummary)
	lang := h.lang(c)
	if c.QueryParam("format") == "csv" {
		return h.reportCSV(c, sec, lang)
	}
	t, ok := h.tmpl[lang]["reports"]
	if !ok {
		return fmt.Errorf("no page template %q", "reports")
	}
	p := h.pageFor(c, lang, "reports")
	p.Nav, p.IntakeAlert = nil, ""
	p.Title = h.Catalog.T(lang, "reports.title.summary")
	p.Data = reportsData{Section: reports.SectionSummary, Generated: rep.Now,
		Body: h.reportBody(lang, sec, "/reports/summary")}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "reports_print", p); err != nil {
		return fmt.Errorf("render report summary: %w", err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(http.StatusOK, buf.Bytes())
}

func reportURL(section string) string {
	if section == reports.SectionDashboard {
		return "/reports"
	}
	return "/reports/" + section
}

// buildReport computes the reports now, with the intake state of the
// health checks when there are any.
func (h *handler) buildReport(c echo.Context) (*reports.Report, error) {
	ctx := c.Request().Context()
	var intake reports.IntakeHealth
	if h.Health != nil {
		if chk, ok := h.Health(ctx).Checks["intake"]; ok {
			intake = reports.IntakeHealth{Known: true, OK: chk.OK, Detail: chk.Detail, LastSuccess: chk.LastSuccess}
		}
	}
	svc := reports.New(h.Store, h.Reports.OrDefault(), h.loc, h.Desk.Overdue)
	rep, err := svc.Build(ctx, h.Desk.Now(), intake)
	if err != nil {
		return nil, fmt.Errorf("build reports: %w", err)
	}
	return rep, nil
}

func (h *handler) localizer(lang string) reports.Localizer {
	return reports.Localizer{Lang: lang, Loc: h.loc, T: func(key string, args ...any) string {
		return h.Catalog.T(lang, key, args...)
	}}
}

// reportBody translates a section; base is the page's URL (for CSV links).
func (h *handler) reportBody(lang string, sec reports.Section, base string) reportBody {
	l := h.localizer(lang)
	var out reportBody
	for _, f := range sec.Figures {
		fv := figureView{Label: l.T(f.Label), Value: l.Format(f.Value)}
		if f.Sub.Kind != reports.KindText || f.Sub.Text != "" || f.Sub.Key != "" {
			fv.Sub = l.Format(f.Sub)
		}
		out.Figures = append(out.Figures, fv)
	}
	for _, ch := range sec.Charts {
		out.Charts = append(out.Charts, template.HTML(ch.SVG(l))) //nolint:gosec // SVG escapes every text itself
	}
	for _, t := range sec.Tables {
		tv := tableView{ID: t.ID, Title: l.T(t.Title), CSVURL: base + "?format=csv&table=" + url.QueryEscape(t.ID)}
		for _, col := range t.Columns {
			tv.Columns = append(tv.Columns, columnView{Label: l.T(col.Key), Num: col.Num})
		}
		row := func(cells []reports.Cell) []cellView {
			out := make([]cellView, len(cells))
			for i, cell := range cells {
				out[i] = cellView{Text: l.Format(cell), URL: cell.URL, Num: i < len(t.Columns) && t.Columns[i].Num}
			}
			return out
		}
		for _, r := range t.Rows {
			tv.Rows = append(tv.Rows, row(r))
		}
		if t.Foot != nil {
			tv.Foot = row(t.Foot)
		}
		out.Tables = append(out.Tables, tv)
	}
	for _, n := range sec.Notes {
		args := make([]any, len(n.Args))
		for i, a := range n.Args {
			args[i] = l.Format(a)
		}
		out.Notes = append(out.Notes, l.T(n.Key, args...))
	}
	return out
}

// reportCSV sends one table of sec (?table=ID) as a CSV download.
func (h *handler) reportCSV(c echo.Context, sec reports.Section, lang string) error {
	id := c.QueryParam("table")
	t, ok := sec.Table(id)
	if !ok {
		return echo.ErrNotFound
	}
	t.Rows = t.AllRows()
	var buf bytes.Buffer
	if err := reports.WriteCSV(&buf, t, h.localizer(lang)); err != nil {
		return err
	}
	name := fmt.Sprintf("warrantydesk-%s-%s-%s.csv", sec.ID, t.ID, h.Desk.Now().In(h.loc).Format(dayLayout))
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s"`, name))
	hd.Set(echo.HeaderCacheControl, "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}
