package app

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"warrantydesk/devmail"
	"warrantydesk/internal/mailgen"
	"warrantydesk/models"
)

// TestFetchOnceProcessesWhileFetching checks that FetchOnce, which processes each stored batch
// while the next ones download, files every mail exactly as fetching everything first and
// processing it afterwards does: same outcome, reason, class and ticket for every UID. The
// realistic mails (internal/mailgen) include replies to mails of earlier batches, duplicates and
// automatic replies.
func TestFetchOnceProcessesWhileFetching(t *testing.T) {
	ctx := context.Background()
	srv, err := devmail.StartIMAPServer("127.0.0.1:0", "desk", "pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	const n = 650 // four batches of up to 200 (mailin's FETCH batch)
	for _, m := range mailgen.Generate(n, 11) {
		if err := srv.Append("INBOX", m.Raw); err != nil {
			t.Fatal(err)
		}
	}
	open := func() *App {
		cfg := Defaults()
		useTestDatabase(t, &cfg)
		cfg.IMAP = IMAPConfig{Host: srv.Host(), Port: srv.Port(), TLS: "none", Username: "desk", Password: "pw",
			Mailbox: "INBOX", PollInterval: Duration{time.Minute}, MaxSize: 25 << 20}
		cfg.Desk.Address = "helpdesk@kommun.example"
		cfg.Desk.AckLimitPerHour = 1000
		a, err := New(ctx, cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		return a
	}

	together := open()
	fetched, processed, err := together.FetchOnce(ctx)
	if err != nil || fetched != n || processed != n {
		t.Fatalf("FetchOnce = %d fetched, %d processed, %v; want %d, %d", fetched, processed, err, n, n)
	}
	apart := open()
	if got, err := apart.Fetcher.FetchOnce(ctx); err != nil || got != n {
		t.Fatalf("Fetcher.FetchOnce = %d, %v; want %d", got, err, n)
	}
	if got, err := apart.Processor.ProcessPending(ctx); err != nil || got != n {
		t.Fatalf("ProcessPending = %d, %v; want %d", got, err, n)
	}

	filed := func(a *App) []string {
		var recs []models.IntakeRecord
		for offset := 0; offset < n; offset += 500 {
			page, total, err := a.Store.ListIntake(ctx, models.IntakeFilter{Limit: 500, Offset: offset})
			if err != nil || total != n {
				t.Fatalf("ListIntake: %d records, %v; want %d", total, err, n)
			}
			recs = append(recs, page...)
		}
		var out []string
		for _, r := range recs {
			ticket := "-"
			if r.TicketID != nil {
				tk, err := a.Store.TicketByID(ctx, *r.TicketID)
				if err != nil {
					t.Fatal(err)
				}
				ticket = fmt.Sprintf("#%d %q", tk.Number, tk.Subject)
			}
			out = append(out, fmt.Sprintf("uid %d: %s %q class %s ticket %s", r.UID, r.Outcome, r.Reason, r.Class, ticket))
		}
		slices.Sort(out)
		return out
	}
	got, want := filed(together), filed(apart)
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("processing while fetching filed\n  %s\nprocessing after fetching filed\n  %s", got[i], want[i])
		}
	}
	counts, err := together.Store.CountIntakeByOutcome(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The mails must exercise threading and intake's other outcomes, or the comparison proves little.
	if counts[models.OutcomeAppended] == 0 || counts[models.OutcomeIgnored] == 0 || counts[models.OutcomeCreated] == 0 {
		t.Fatalf("outcomes %v: want created, appended and ignored mail among the %d", counts, n)
	}
}
