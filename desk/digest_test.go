package desk

import (
	"context"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

func TestWarrantyDigestBucketsAndDailyMail(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The fixture's clock is 2026-11-25. 5CG2341XYZ (fixture) ends 2027-01-31: 67 days.
	csv := "serial,model,vendor,warranty_ends_on,department\n" +
		"SOON0001,Latitude 5420,Refurbo AB,2026-12-05,Skola Norr\n" + // 10 days
		"TODAY001,Latitude 5420,Refurbo AB,2026-11-25,Skola Norr\n" + // 0 days
		"MID00001,ThinkPad X1,Refurbo AB,2027-01-09,Vård Syd\n" + // 45 days
		"LATER001,ThinkPad X1,Refurbo AB,2027-03-05,Vård Syd\n" + // 100 days: not listed
		"GONE0001,ThinkPad X1,Refurbo AB,2026-11-24,Vård Syd\n" // expired: not listed
	if sum, err := f.desk.ImportAssets(ctx, strings.NewReader(csv), nil); err != nil || sum.Failed > 0 {
		t.Fatalf("import: %v %v", err, sum.Errors)
	}
	subject, body, n, err := f.desk.WarrantyDigest(ctx, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 || !strings.Contains(subject, "4 enheter") {
		t.Errorf("%d devices, subject %q", n, subject)
	}
	sections := map[string][]string{
		"Går ut om 0–30 dagar (2)":  {"TODAY001", "SOON0001"},
		"Går ut om 31–60 dagar (1)": {"MID00001"},
		"Går ut om 61–90 dagar (1)": {"5CG2341XYZ"},
	}
	heads := []string{"Går ut om 0–30 dagar (2)", "Går ut om 31–60 dagar (1)", "Går ut om 61–90 dagar (1)"}
	for i, h := range heads {
		start := strings.Index(body, h)
		end := len(body)
		if i+1 < len(heads) {
			end = strings.Index(body, heads[i+1])
		}
		if start < 0 || end < start {
			t.Fatalf("section %q missing or out of order:\n%s", h, body)
		}
		section := body[start:end]
		for _, serial := range sections[h] {
			if !strings.Contains(section, serial) {
				t.Errorf("%s not under %q:\n%s", serial, h, body)
			}
		}
	}
	if !strings.Contains(body, "Skola Norr") || !strings.Contains(body, "2026-12-05") || !strings.Contains(body, "Latitude 5420") {
		t.Errorf("lines lack department, end date or model:\n%s", body)
	}
	if strings.Index(body, "TODAY001") > strings.Index(body, "SOON0001") {
		t.Error("soonest end is not first")
	}
	for _, absent := range []string{"LATER001", "GONE0001", "PC1M8QWE"} {
		if strings.Contains(body, absent) {
			t.Errorf("%s listed", absent)
		}
	}

	f.agent(models.RoleAdmin)
	f.agent(models.RoleAgent)
	if _, err := f.desk.CreateAgent(ctx, "boss@kommun.test", "Boss", models.RoleAdmin, "long enough password"); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the schedule runs many times a day
		if err := f.desk.ScheduleOnce(ctx, f.now); err != nil {
			t.Fatal(err)
		}
	}
	digests := f.sent("digest")
	if len(digests) != 2 {
		t.Fatalf("%d digests on day one, want one per admin", len(digests))
	}
	to := digests[0].Recipients + "," + digests[1].Recipients
	if !strings.Contains(to, "admin@kommun.test") || !strings.Contains(to, "boss@kommun.test") || strings.Contains(to, "agent@") {
		t.Errorf("digest went to %s", to)
	}
	if !strings.Contains(digests[0].parsed.Text, "MID00001") {
		t.Errorf("digest body:\n%s", digests[0].parsed.Text)
	}
	f.now = f.now.Add(24 * time.Hour)
	if err := f.desk.SendWarrantyDigest(ctx, f.now); err != nil {
		t.Fatal(err)
	}
	if got := len(f.sent("digest")); got != 4 {
		t.Errorf("%d digests after day two, want 4", got)
	}
}

// TestOptimizeSearchNightly: the search index is merged once a local day,
// from SearchOptimizeHour for three hours and not outside them, not at all
// with -1; on SQLite the index is then one piece and finds what it found.
func TestOptimizeSearchNightly(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent, err := f.desk.CreateAgent(ctx, "olle@kommun.test", "Olle", models.RoleAgent, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		if _, err := f.desk.CreateTicketAs(ctx, agent, NewTicket{Email: "eva@kommun.test", Subject: "Skärmen flimrar " + strings.Repeat("x", i),
			Text: "Skärmen flimrar på morgonen."}); err != nil {
			t.Fatal(err)
		}
	}
	found := func() int64 {
		t.Helper()
		p, err := f.store.TicketPage(ctx, models.TicketFilter{Q: "skarm"})
		if err != nil {
			t.Fatal(err)
		}
		return p.Total
	}
	before := found()
	sqlite := f.store.Driver() == models.DriverSQLite
	if n, err := f.store.SearchSegments(ctx); err != nil || sqlite && n < 2 {
		t.Fatalf("%d segments before the merge (%v): the test needs several", n, err)
	}
	loc := time.FixedZone("CET", 3600)
	f.desk.opt.Location = loc
	f.desk.opt.SearchOptimizeHour = 2
	day := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, loc) }
	for _, step := range []struct {
		at   time.Time
		want bool
	}{
		{day(25, 1, 59), false}, // before the hour
		{day(25, 2, 0), true},
		{day(25, 2, 15), false}, // once a day
		{day(26, 5, 0), false},  // past the window: the next night
		{day(26, 4, 59), true},
		{day(27, 13, 0), false},
	} {
		ran, err := f.desk.OptimizeSearchNightly(ctx, step.at)
		if err != nil || ran != step.want {
			t.Errorf("at %s: ran %v (%v), want %v", step.at, ran, err, step.want)
		}
	}
	if n, err := f.store.SearchSegments(ctx); err != nil || sqlite && n != 1 {
		t.Errorf("%d segments after the merge (%v), want 1", n, err)
	}
	if after := found(); after != before || after < 12 {
		t.Errorf("search found %d before the merge and %d after", before, after)
	}
	f.desk.opt.SearchOptimizeHour = -1
	if ran, err := f.desk.OptimizeSearchNightly(ctx, day(28, 2, 30)); ran || err != nil {
		t.Errorf("with -1: ran %v (%v)", ran, err)
	}
}
