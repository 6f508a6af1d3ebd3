package handlers

import (
	"context"
	"html/template"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
	"warrantydesk/reports"
)

// sampleReports is the reports page's sample for TestTemplatesRender: every
// part filled, with a hostile model name in a chart and a table.
func sampleReports() reportsData {
	at := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	l := reports.Localizer{Lang: "sv", T: func(key string, args ...any) string { return key }}
	chart := reports.Chart{Title: "reports.chart.per100_model", Kind: reports.BarChart, Unit: reports.KindDec,
		Points: []reports.Point{{Label: "Evil <b>&", Value: 12.5}}}
	return reportsData{Section: "failures", SummaryURL: "/reports/summary", Generated: at,
		Tabs: []tab{{URL: "/reports", Label: "Översikt", Count: -1}, {URL: "/reports/failures", Label: "Fel", Count: -1, Current: true}},
		Body: reportBody{
			Figures: []figureView{{Label: "Fel", Value: "12,5", Sub: "60 %"}, {Label: "Öppna", Value: "3"}},
			Charts:  []template.HTML{template.HTML(chart.SVG(l))},
			Tables: []tableView{{ID: "fault_models", Title: "Fel per modell", CSVURL: "/reports/failures?format=csv&table=fault_models",
				Columns: []columnView{{Label: "Modell"}, {Label: "Fel", Num: true}},
				Rows:    [][]cellView{{{Text: "Evil <b>&", URL: "/assets/X1"}, {Text: "2", Num: true}}},
				Foot:    []cellView{{Text: "Totalt"}, {Text: "2", Num: true}}},
				{ID: "repeats", Title: "Upprepade fel"}},
			Notes: []string{"Källa: kommunen <b>"},
		}}
}

// seedReports stores a small fleet: two devices of a hostile model, one
// delivered 2024-01-10 with two hardware faults (screen, battery), the other
// without faults.
func (en *env) seedReports() {
	en.t.Helper()
	delivered := time.Date(2024, 1, 10, 0, 0, 0, 0, time.UTC)
	a := en.seedAsset("PF0REP01", delivered, "eva@corp.test")
	b := en.seedAsset("PF0REP02", delivered, "eva@corp.test")
	ctx := context.Background()
	for _, id := range []uint{a.ID, b.ID} {
		if err := en.store.UpdateAsset(ctx, id, map[string]any{"model": "Evil <b>&\"Book"}); err != nil {
			en.t.Fatal(err)
		}
	}
	for _, fault := range []string{"skärmen", "batteriet"} {
		tk := en.seedTicket("Trasig "+fault, models.StatusClosed, models.CategoryHardware, "eva@corp.test", fault, a)
		if err := en.store.UpdateTicket(ctx, tk.ID, map[string]any{"fault_matches": fault}); err != nil {
			en.t.Fatal(err)
		}
	}
}

func TestReportsNeedLogin(t *testing.T) {
	en := newEnv(t)
	c := en.client()
	for _, path := range []string{"/reports", "/reports/fleet", "/reports/summary", "/reports/failures?format=csv&table=fault_models"} {
		res := c.get(path)
		if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Errorf("GET %s logged out: %d %s, want 303 to /login", path, res.StatusCode, res.Header.Get("Location"))
		}
		if strings.Contains(res.body, "svg") || strings.Contains(res.body, "PF0") {
			t.Errorf("GET %s logged out leaks report content", path)
		}
	}
}

func TestReportsPages(t *testing.T) {
	en := newEnv(t)
	en.seedReports()
	c := en.client()
	c.login()
	tests := []struct {
		lang, path string
		want       []string
	}{
		{"sv", "/reports", []string{"Öppna ärenden per status", "<svg", `aria-current="page">Rapporter`, "/reports?format=csv&amp;table=open"}},
		{"sv", "/reports/fleet", []string{"Datorer i bruk per modell", "Evil &lt;b&gt;&amp;&#34;Book", "Leverans (månad)", "2024-01"}},
		{"sv", "/reports/failures", []string{"Maskinvarufel per 100 datorer", "Skärm", "Batteri", "PF0REP01", "100,0"}},
		{"sv", "/reports/vendors", []string{"Återförsäljarnas resultat", "Inga uppgifter ännu."}},
		{"sv", "/reports/impact", []string{"Sparat mot nyköp", "13\u00a0200\u00a0SEK", "74 300 kg CO2e"}},
		{"en", "/reports", []string{"Open tickets by status", "Mail intake"}},
		{"en", "/reports/failures", []string{"Hardware faults per 100 devices", "Screen", "100.0"}},
		{"en", "/reports/impact", []string{"Saved against buying new", "13,200\u00a0SEK", "74,300 kg CO2e"}},
	}
	for _, tc := range tests {
		t.Run(tc.lang+tc.path, func(t *testing.T) {
			c.get("/lang/" + tc.lang + "?next=/")
			res := c.get(tc.path)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("status %d\n%s", res.StatusCode, res.body)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			if strings.Contains(res.body, "<b>") || strings.Contains(res.body, " style=") || untranslatedRe.MatchString(res.body) {
				t.Error("unescaped text, inline style or an untranslated key on the page")
			}
		})
	}
	c.get("/lang/sv?next=/")
	sum := c.get("/reports/summary")
	if sum.StatusCode != http.StatusOK {
		t.Fatalf("summary: %d", sum.StatusCode)
	}
	for _, w := range []string{"Sammanfattning", "/static/reports.css", "<svg", "Återförsäljarnas resultat", "Sparat mot nyköp"} {
		if !strings.Contains(sum.body, w) {
			t.Errorf("summary lacks %q", w)
		}
	}
	if strings.Contains(sum.body, `class="nav"`) || strings.Contains(sum.body, "/logout") {
		t.Error("the printable summary shows the menu")
	}
	if res := c.get("/reports/nope"); res.StatusCode != http.StatusNotFound {
		t.Errorf("unknown section: %d, want 404", res.StatusCode)
	}
}

func TestReportsCSV(t *testing.T) {
	en := newEnv(t)
	en.seedReports()
	c := en.client()
	c.login()
	res := c.get("/reports/failures?format=csv&table=fault_models")
	if res.StatusCode != http.StatusOK {
		t.Fatalf("status %d\n%s", res.StatusCode, res.body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	cd := res.Header.Get("Content-Disposition")
	if !strings.HasPrefix(cd, `attachment; filename="warrantydesk-failures-fault_models-`) || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	want := "\ufeffModell,Datorer,Maskinvarufel,Datorer med fel,Fel per 100 datorer\r\n" +
		"\"Evil <b>&\"\"Book\",2,2,1,100.0\r\nTotalt,2,2,1,100.0\r\n"
	if res.body != want {
		t.Errorf("CSV =\n%q\nwant\n%q", res.body, want)
	}
	comp := c.get("/reports/failures?format=csv&table=components")
	if !strings.Contains(comp.body, "Skärm,1,50.0") || !strings.Contains(comp.body, "Batteri,1,50.0") {
		t.Errorf("components CSV:\n%s", comp.body)
	}
	// Every table of every page downloads.
	for _, path := range []string{"/reports", "/reports/fleet", "/reports/failures", "/reports/vendors", "/reports/impact", "/reports/summary"} {
		page := c.get(path)
		for _, m := range csvLinkRe.FindAllStringSubmatch(page.body, -1) {
			link := strings.ReplaceAll(m[1], "&amp;", "&")
			if r := c.get(link); r.StatusCode != http.StatusOK || !strings.HasPrefix(r.body, "\ufeff") {
				t.Errorf("GET %s: %d", link, r.StatusCode)
			}
		}
	}
	if r := c.get("/reports/fleet?format=csv&table=nope"); r.StatusCode != http.StatusNotFound {
		t.Errorf("unknown table: %d, want 404", r.StatusCode)
	}
}

// untranslatedRe finds a catalog key shown as text (not /static/reports.css or the config key [[reports.models]]).
var untranslatedRe = regexp.MustCompile(`[^/[]reports\.[a-z]`)

var csvLinkRe = regexp.MustCompile(`href="([^"]*format=csv[^"]*)"`)
