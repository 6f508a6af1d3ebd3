package handlers

import (
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"warrantydesk/internal/testenv"
	"warrantydesk/internal/teststore"
	"warrantydesk/models"
)

// TestSearchSameOnSQLiteAndPostgreSQL runs one set of searches through the
// real router on a SQLite desk and on a PostgreSQL desk, whichever database
// the suite runs on: diacritics and prefixes match both ways ("skarm" finds
// "skärmen"), a subject match outranks a body match, a mail's <script> is
// escaped in the snippet and only the matched word is marked, punctuation is
// never query syntax, and both databases answer the same tickets in the
// same order with the same snippets. (One known difference is not asked:
// PostgreSQL leaves Swedish stop words such as "och" out of a search, where
// SQLite requires them.)
func TestSearchSameOnSQLiteAndPostgreSQL(t *testing.T) {
	type answer struct {
		Numbers  []float64
		Snippets []string
	}
	answers := map[string]map[string]answer{}
	for _, driver := range []string{models.DriverSQLite, models.DriverPostgres} {
		t.Run(driver, func(t *testing.T) {
			dsn := filepath.Join(t.TempDir(), "wd.db")
			if driver == models.DriverPostgres {
				dsn = testenv.PostgresDatabase(t)
			}
			en := newEnvOn(t, teststore.OpenAt(t, models.Options{Driver: driver, DSN: dsn}))
			body := en.seedTicket("Fråga om datorn", models.StatusNew, models.CategoryOther, "eva@corp.test",
				"Hej, skärmen på min dator är svart sedan i morse. <script>alert(1)</script> Mvh Eva", nil)
			subject := en.seedTicket("Skärmen flimrar", models.StatusNew, models.CategoryHardware, "olle@corp.test",
				"Den blinkar hela tiden.", nil)
			keyboard := en.seedTicket("Tangentbordet", models.StatusOpen, models.CategoryHardware, "lars@corp.test",
				"Tangentbordet saknar tangenter efter kaffet.", nil)
			answers[driver] = map[string]answer{}
			for _, q := range []string{"skarm", "skärm", "SKÄRMEN", "skarmen", "tangentb", "kaffet tangentbordet", "svart dator",
				"eva@corp.test", "\"", "'); DROP TABLE tickets;--", "<script>", "NEAR(a b)", "-"} {
				l := en.apiList("/api/v1/tickets?q=" + url.QueryEscape(q))
				var a answer
				for _, it := range l.Items {
					a.Numbers = append(a.Numbers, it["number"].(float64))
					snip, _ := it["snippet"].(string)
					a.Snippets = append(a.Snippets, snip)
				}
				answers[driver][q] = a
			}
			for _, q := range []string{"skarm", "skärm", "SKÄRMEN", "skarmen"} {
				got := answers[driver][q]
				if len(got.Numbers) != 2 || int64(got.Numbers[0]) != subject.Number || int64(got.Numbers[1]) != body.Number {
					t.Errorf("q=%s: %v, want subject match #%d first, then #%d", q, got.Numbers, subject.Number, body.Number)
					continue
				}
				snip := got.Snippets[1]
				if !strings.Contains(snip, "<mark>skärmen</mark>") || !strings.Contains(snip, "&lt;script&gt;alert(1)") ||
					strings.Contains(snip, "<script") || strings.Count(snip, "<mark>") != 1 {
					t.Errorf("q=%s: body snippet %q, want the matched word marked and the <script> escaped", q, snip)
				}
			}
			for q, want := range map[string][]int64{"tangentb": {keyboard.Number}, "kaffet tangentbordet": {keyboard.Number},
				"svart dator": {body.Number}, "eva@corp.test": {body.Number}, "<script>": {body.Number}} {
				var got []int64
				for _, n := range answers[driver][q].Numbers {
					got = append(got, int64(n))
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("q=%q: %v, want %v", q, got, want)
				}
			}
			c := en.client()
			c.login()
			res := c.get("/tickets?q=skarm")
			if strings.Contains(res.body, "<script>alert") || !strings.Contains(res.body, "<mark>skärmen</mark>") {
				t.Errorf("list page: snippet not escaped and marked:\n%s", between(res.body, `class="snippet"`, "</p>"))
			}
		})
	}
	if len(answers) == 2 && !reflect.DeepEqual(answers[models.DriverSQLite], answers[models.DriverPostgres]) {
		for q, a := range answers[models.DriverSQLite] {
			if b := answers[models.DriverPostgres][q]; !reflect.DeepEqual(a, b) {
				t.Errorf("q=%q: SQLite answers %+v, PostgreSQL %+v", q, a, b)
			}
		}
	}
}
