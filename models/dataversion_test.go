package models

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"
)

// TestDataVersion: the version changes after every committed write, made
// through any path of this store, another store on the same file (another
// process) or a plain SQL connection, and only then: reads and a rolled
// back transaction leave it alone (on SQLite; see the step on PostgreSQL).
func TestDataVersion(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wd.db")
	s := openTest(t, path)
	other := openTest(t, path)
	rawDriver, rawDSN := "sqlite3", "file:"+path+"?_busy_timeout=10000"
	if opt := testOptions(t, path); opt.Driver == DriverPostgres {
		rawDriver, rawDSN = "pgx", opt.DSN
	}
	raw, err := sql.Open(rawDriver, rawDSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = raw.Close() })
	last, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	step := func(name string, changes bool, do func() error) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		v, err := s.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// On PostgreSQL the version also changes when a transaction
		// without effect ends (rolled back, or on another database of the
		// server, as other tests run): a needless reload, never a stale
		// value. Only the changes it must show are checked there.
		if changed := v != last; changed != changes && (changes || s.sqlite()) {
			t.Errorf("%s: version changed %v, want %v", name, changed, changes)
		}
		last = v
	}
	step("nothing", false, func() error { return nil })
	step("store write", true, func() error {
		_, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv")
		return err
	})
	step("read", false, func() error {
		_, err := s.TicketPage(ctx, TicketFilter{Q: "eva"})
		return err
	})
	step("transaction", true, func() error {
		return s.Tx(ctx, func(tx *Store) error {
			return tx.CreateTicket(ctx, &Ticket{Subject: "Skärm", RequesterID: 1, Status: StatusNew, Priority: "normal", Category: CategoryOther})
		})
	})
	step("rolled back", false, func() error {
		err := s.Tx(ctx, func(tx *Store) error {
			if err := tx.CreateTicket(ctx, &Ticket{Subject: "Nej", RequesterID: 1, Status: StatusNew, Priority: "normal", Category: CategoryOther}); err != nil {
				return err
			}
			return errors.New("undo")
		})
		if err == nil {
			return errors.New("transaction should have failed")
		}
		return nil
	})
	step("another store", true, func() error {
		return other.UpdateTicket(ctx, 1, map[string]any{"status": StatusOpen})
	})
	step("plain SQL", true, func() error {
		_, err := raw.ExecContext(ctx, "UPDATE tickets SET assignee_id = NULL WHERE id = 1")
		return err
	})
}

// TestVersionedReloadsAfterWrite: a kept value is reused until a write
// commits, then loaded again.
func TestVersionedReloadsAfterWrite(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	var c Versioned[int64]
	loads := 0
	count := func(ctx context.Context) (int64, error) {
		loads++
		var n int64
		return n, s.r.WithContext(ctx).Model(&Requester{}).Count(&n).Error
	}
	get := func() int64 {
		t.Helper()
		n, err := c.Get(ctx, s, count)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// On PostgreSQL the version also moves when any transaction of the
	// server ends (other tests' databases too): a needless reload, never a
	// stale value, so only SQLite is held to exactly one load.
	if n := get(); n != 0 || get() != 0 || loads != 1 && s.sqlite() {
		t.Fatalf("first: n=%d loads=%d, want 0 and one load", n, loads)
	}
	before := loads
	if _, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv"); err != nil {
		t.Fatal(err)
	}
	if n := get(); n != 1 || loads != before+1 {
		t.Fatalf("after a write: n=%d loads=%d, want 1 and one more load than %d", n, loads, before)
	}
}

// TestDataVersionAfterAFailure: when the version query fails (here its
// prepared statement is gone), the next call reads on a new connection,
// whose versions never equal the old connection's.
func TestDataVersionAfterAFailure(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	before, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.version.mu.Lock()
	_ = s.version.stmt.Close()
	s.version.mu.Unlock()
	if _, err := s.DataVersion(ctx); err == nil {
		t.Fatal("a closed version statement answered")
	}
	after, err := s.DataVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after == before {
		t.Errorf("version %d on the new connection equals the old one's", after)
	}
	// (On PostgreSQL other tests' transactions on the server move it too.)
	again, err := s.DataVersion(ctx)
	if err != nil || again != after && s.sqlite() {
		t.Errorf("version without a write: %d, %v; want %d", again, err, after)
	}
}

// TestDataVersionMemo: within WithDataVersionMemo the version is read once
// and stays, writes or not; outside it (and in another memo) a write
// still changes it.
func TestDataVersionMemo(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	page := WithDataVersionMemo(ctx)
	first, err := s.DataVersion(page)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv"); err != nil {
		t.Fatal(err)
	}
	if again, err := s.DataVersion(page); err != nil || again != first {
		t.Errorf("in the memo after a write: %d (%v), want %d", again, err, first)
	}
	if now, err := s.DataVersion(ctx); err != nil || now == first {
		t.Errorf("without the memo after a write: %d (%v), want a new version", now, err)
	}
	if next, err := s.DataVersion(WithDataVersionMemo(ctx)); err != nil || next == first {
		t.Errorf("in a new memo after a write: %d (%v), want a new version", next, err)
	}
}
