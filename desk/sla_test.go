package desk

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

func overdueNumbers(t *testing.T, f *fixture, at time.Time) []int64 {
	t.Helper()
	list, err := f.desk.Overdue(context.Background(), at)
	if err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, tk := range list {
		out = append(out, tk.Number)
	}
	return out
}

func TestSLAPausesWhileAtTheVendor(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t0 := f.now
	f.deliver(mailFrom("bo@kommun.test", "Teams kraschar", "Teams kraschar hela tiden.")) // #1001, clock runs
	f.deliver(hardwareMail("Skärmen är sprucken"))                                        // #1002, forwarded: paused
	hw := f.ticket(1002)
	if !sameTime(hw.SLADueAt, t0.Add(24*time.Hour)) || !sameTime(hw.SLAPausedAt, t0) {
		t.Fatalf("due %v paused %v", hw.SLADueAt, hw.SLAPausedAt)
	}
	if got := overdueNumbers(t, f, t0.Add(25*time.Hour)); !slices.Equal(got, []int64{1001}) {
		t.Errorf("overdue after 25 h: %v, want only the ticket not at the vendor", got)
	}

	// Three days at the vendor, then back: the due time moves three days on.
	f.now = t0.Add(72 * time.Hour)
	if err := f.desk.SetCaseState(ctx, f.agent(models.RoleAgent), 1002, models.CaseShippedBack, "", ""); err != nil {
		t.Fatal(err)
	}
	hw = f.ticket(1002)
	wantDue := t0.Add(24*time.Hour + 72*time.Hour)
	if hw.Status != models.StatusOpen || hw.SLAPausedAt != nil || !sameTime(hw.SLADueAt, wantDue) {
		t.Fatalf("after 3 days at the vendor: status %s paused %v due %v, want due %s", hw.Status, hw.SLAPausedAt, hw.SLADueAt, wantDue)
	}
	if got := overdueNumbers(t, f, wantDue.Add(-time.Minute)); !slices.Equal(got, []int64{1001}) {
		t.Errorf("just before the extended due time: %v", got)
	}
	if got := overdueNumbers(t, f, wantDue.Add(time.Minute)); !slices.Equal(got, []int64{1001, 1002}) {
		t.Errorf("after the extended due time: %v", got)
	}
	// Resolved tickets are never overdue.
	if err := f.desk.SetStatus(ctx, f.agent(models.RoleAdmin), 1001, models.StatusResolved); err != nil {
		t.Fatal(err)
	}
	if got := overdueNumbers(t, f, wantDue.Add(time.Minute)); !slices.Equal(got, []int64{1002}) {
		t.Errorf("after resolving #1001: %v", got)
	}
}

func TestVendorReminderIsSentOnceInThread(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	t0 := f.now
	f.deliver(hardwareMail("Skärmen är sprucken"))
	fwd := f.vendorCase(1001).ForwardMessageID
	f.deliver("From: jonas@refurbo.test\nTo: helpdesk@kommun.test\nSubject: Ert ärende\nMessage-ID: <v1@refurbo.test>\n" +
		"In-Reply-To: <" + fwd + ">\n\nVi har registrerat RMA-2026-0412.\n")

	if late, err := f.desk.VendorOverdue(ctx, t0.Add(9*24*time.Hour)); err != nil || len(late) != 0 {
		t.Fatalf("overdue within the turnaround: %v %v", late, err)
	}
	due := t0.AddDate(0, 0, 10)
	cases, err := f.desk.VendorOverdueCases(ctx, due.Add(time.Hour))
	if err != nil || len(cases) != 1 || cases[0].Ticket.Number != 1001 || !cases[0].DueAt.Equal(due) {
		t.Fatalf("overdue after the turnaround: %+v %v", cases, err)
	}

	runs := []struct {
		after time.Duration
		want  int
	}{
		{10*24*time.Hour + time.Hour, 1},   // overdue: remind
		{10*24*time.Hour + 2*time.Hour, 0}, // again the same day: no
		{12 * 24 * time.Hour, 0},           // two days later: no
		{13*24*time.Hour + 2*time.Hour, 1}, // three days after the first: again
	}
	for _, r := range runs {
		f.now = t0.Add(r.after)
		n, err := f.desk.RemindVendors(ctx, f.now)
		if err != nil || n != r.want {
			t.Fatalf("at +%s: %d reminders (%v), want %d", r.after, n, err, r.want)
		}
	}
	reminders := f.sent("vendor_reminder")
	if len(reminders) != 2 {
		t.Fatalf("%d reminders queued", len(reminders))
	}
	r := reminders[0].parsed
	if reminders[0].Recipients != "garanti@refurbo.test" || r.InReplyTo != fwd || !slices.Contains(r.References, fwd) {
		t.Errorf("reminder to %s in-reply-to %q refs %v, want the forward %s", reminders[0].Recipients, r.InReplyTo, r.References, fwd)
	}
	if !strings.HasPrefix(r.Subject, "Påminnelse: [#1001] Garantiärende") || !strings.Contains(r.Text, "RMA-2026-0412") ||
		!strings.Contains(r.Text, due.Format("2006-01-02")) {
		t.Errorf("reminder %q\n%s", r.Subject, r.Text)
	}
	if c := f.vendorCase(1001); !sameTime(c.ReminderSentAt, t0.Add(13*24*time.Hour+2*time.Hour)) {
		t.Errorf("reminder_sent_at %v", c.ReminderSentAt)
	}
	if !f.hasNote(1001, "Påminnelse skickad till Refurbo AB") {
		t.Error("no reminder note on the ticket")
	}
	// The vendor's answer to the reminder threads to the ticket.
	rec := f.deliver("From: jonas@refurbo.test\nTo: helpdesk@kommun.test\nSubject: SV: " + r.Subject +
		"\nMessage-ID: <v2@refurbo.test>\nIn-Reply-To: <" + reminders[1].MessageID + ">\n\nUrsäkta, den är på väg.\n")
	if rec.Outcome != models.OutcomeAppended || rec.TicketID == nil || *rec.TicketID != f.ticket(1001).ID {
		t.Errorf("answer to the reminder: %s %s", rec.Outcome, rec.Reason)
	}
	// A case shipped back is never reminded.
	if err := f.desk.SetCaseState(ctx, f.agent(models.RoleAgent), 1001, models.CaseShippedBack, "", ""); err != nil {
		t.Fatal(err)
	}
	f.now = t0.Add(30 * 24 * time.Hour)
	if n, err := f.desk.RemindVendors(ctx, f.now); err != nil || n != 0 {
		t.Errorf("reminded a shipped-back case: %d %v", n, err)
	}
}

func TestClaimBefore(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	ends := func(days int) *models.Asset {
		d := now.AddDate(0, 0, days)
		return &models.Asset{WarrantyEndsOn: &d}
	}
	tests := []struct {
		name   string
		ticket *models.Ticket
		want   bool
	}{
		{"open hardware, 10 days left", &models.Ticket{Status: models.StatusOpen, Category: models.CategoryHardware, Asset: ends(10)}, true},
		{"new hardware, ends today", &models.Ticket{Status: models.StatusNew, Category: models.CategoryHardware, Asset: ends(0)}, true},
		{"30 days left", &models.Ticket{Status: models.StatusPending, Category: models.CategoryHardware, Asset: ends(30)}, true},
		{"31 days left", &models.Ticket{Status: models.StatusOpen, Category: models.CategoryHardware, Asset: ends(31)}, false},
		{"expired", &models.Ticket{Status: models.StatusOpen, Category: models.CategoryHardware, Asset: ends(-1)}, false},
		{"already at the vendor", &models.Ticket{Status: models.StatusAtVendor, Category: models.CategoryHardware, Asset: ends(5)}, false},
		{"resolved", &models.Ticket{Status: models.StatusResolved, Category: models.CategoryHardware, Asset: ends(5)}, false},
		{"software", &models.Ticket{Status: models.StatusOpen, Category: models.CategorySoftware, Asset: ends(5)}, false},
		{"no device", &models.Ticket{Status: models.StatusOpen, Category: models.CategoryHardware}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			end, ok := ClaimBefore(tt.ticket, now)
			if ok != tt.want {
				t.Errorf("flagged %v, want %v", ok, tt.want)
			}
			if ok && !end.Equal(dateOnly(*tt.ticket.Asset.WarrantyEndsOn)) {
				t.Errorf("claim before %s", end)
			}
		})
	}
}
