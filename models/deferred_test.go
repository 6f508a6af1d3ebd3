package models

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"
)

// TestPreloadAcks checks that the acknowledgement counts read through a
// preloaded ledger equal the stored ones, that acknowledgements logged in the
// batch count too, and that a count further back than the preload reads again.
func TestPreloadAcks(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	now := time.Now().UTC()
	for _, a := range []AckLog{{Email: "anna@kommun.test", SentAt: now.Add(-10 * time.Minute)},
		{Email: "anna@kommun.test", SentAt: now.Add(-50 * time.Minute)}, {Email: "anna@kommun.test", SentAt: now.Add(-3 * time.Hour)},
		{Email: "bo@kommun.test", SentAt: now.Add(-5 * time.Minute)}} {
		if err := s.LogAck(ctx, a.Email, a.SentAt); err != nil {
			t.Fatal(err)
		}
	}
	err := s.Tx(ctx, func(tx *Store) error {
		ctx, d := WithDeferredWrites(ctx)
		if err := d.PreloadAcks(ctx, tx, []string{"Anna@Kommun.test", "bo@kommun.test", "cia@kommun.test", "anna@kommun.test"}, now.Add(-time.Hour)); err != nil {
			return err
		}
		if err := tx.LogAck(ctx, "cia@kommun.test", now); err != nil {
			return err
		}
		for email, want := range map[string]int64{"anna@kommun.test": 2, "bo@kommun.test": 1, "cia@kommun.test": 1, "dan@kommun.test": 0} {
			if n, err := tx.CountAcksSince(ctx, email, now.Add(-time.Hour)); err != nil || n != want {
				t.Errorf("%s: %d acknowledgements in the last hour (%v); want %d", email, n, err, want)
			}
		}
		if n, err := tx.CountAcksSince(ctx, "anna@kommun.test", now.Add(-4*time.Hour)); err != nil || n != 3 {
			t.Errorf("anna, last four hours: %d (%v); want 3 (read again past the preload)", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestPreloadTwinsAnswersAsTheQuery checks that ProcessedTwin answers the
// same from a batch's preloaded twins as from its per-mail query: the first
// processed, non-duplicate record of the same Message-ID and hash, never the
// record itself, never a pending one, and not a record that pairs one key's
// Message-ID with another key's hash.
func TestPreloadTwinsAnswersAsTheQuery(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	ticket := uint(7)
	one := uint(1)
	stored := []IntakeRecord{
		{MessageID: "<a@x>", SHA256: "aaa", Outcome: OutcomeIgnored, DuplicateOf: &one}, // 1: a duplicate itself
		{MessageID: "<a@x>", SHA256: "aaa", Outcome: OutcomeCreated, TicketID: &ticket}, // 2: a's twin
		{MessageID: "<a@x>", SHA256: "aaa", Outcome: OutcomeCreated},                    // 3: a later twin
		{MessageID: "<b@x>", SHA256: "bbb", Outcome: OutcomePending},                    // 4: not processed yet
		{MessageID: "<a@x>", SHA256: "bbb", Outcome: OutcomeCreated},                    // 5: a's ID, b's hash
		{MessageID: "<c@x>", SHA256: "ccc", Outcome: OutcomeQuarantined},                // 6: c's only record
		{MessageID: "", SHA256: "ddd", Outcome: OutcomeCreated},                         // 7: no Message-ID
		{MessageID: "<br\x00oken\xff@x>", SHA256: "fff", Outcome: OutcomeCreated},       // 8: stored cleaned on PostgreSQL
	}
	for i := range stored {
		r := &stored[i]
		r.Mailbox, r.UIDValidity, r.UID, r.FetchedAt = "INBOX", 1, uint32(i+1), time.Now().UTC()
		if err := s.w.Create(r).Error; err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name string
		rec  IntakeRecord
		want uint // 0 = no twin
	}{
		{"the first processed twin", IntakeRecord{ID: 100, MessageID: "<a@x>", SHA256: "aaa"}, 2},
		{"not the record itself", IntakeRecord{ID: 2, MessageID: "<a@x>", SHA256: "aaa"}, 3},
		{"pending records are no twins", IntakeRecord{ID: 101, MessageID: "<b@x>", SHA256: "bbb"}, 0},
		{"the same hash under another Message-ID is no twin", IntakeRecord{ID: 102, MessageID: "<b@x>", SHA256: "aaa"}, 0},
		{"a quarantined record is a twin", IntakeRecord{ID: 103, MessageID: "<c@x>", SHA256: "ccc"}, 6},
		{"nothing stored", IntakeRecord{ID: 104, MessageID: "<e@x>", SHA256: "eee"}, 0},
		{"without a Message-ID, by hash", IntakeRecord{ID: 105, SHA256: "ddd"}, 7},
		{"without a Message-ID, any record of the hash", IntakeRecord{ID: 106, SHA256: "bbb"}, 5},
		{"a broken Message-ID, by its original", IntakeRecord{ID: 107, MessageID: "<br\x00oken\xff@x>", SHA256: "fff"}, 8},
	}
	ask := func(ctx context.Context, tx *Store, rec IntakeRecord) uint {
		t.Helper()
		twin, err := tx.ProcessedTwin(ctx, &rec)
		if errors.Is(err, ErrNotFound) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		if twin.ID == 2 && (twin.TicketID == nil || *twin.TicketID != ticket) {
			t.Errorf("twin #2 has ticket %v; want %d", twin.TicketID, ticket)
		}
		return twin.ID
	}
	err := s.Tx(ctx, func(tx *Store) error {
		ctx, d := WithDeferredWrites(ctx)
		var keys []MailKey
		for _, c := range cases {
			keys = append(keys, MailKey{MessageID: c.rec.MessageID, SHA256: c.rec.SHA256})
		}
		if err := d.PreloadTwins(ctx, tx, keys); err != nil {
			return err
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				if c.rec.MessageID != "" {
					if _, loaded := d.storedTwin(&c.rec); !loaded {
						t.Errorf("not preloaded: the check would query")
					}
				}
				if got := ask(ctx, tx, c.rec); got != c.want {
					t.Errorf("preloaded: twin #%d; want #%d", got, c.want)
				}
				if got := ask(context.Background(), tx, c.rec); got != c.want {
					t.Errorf("queried: twin #%d; want #%d", got, c.want)
				}
			})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
