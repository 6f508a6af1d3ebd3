package models

import (
	"context"
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
