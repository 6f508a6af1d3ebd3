package models

import (
	"context"
	"path/filepath"
	"testing"
)

// TestReadRows: a read through the kept statements takes ? placeholders on
// both databases, and inside a transaction reads the transaction's own
// uncommitted rows.
func TestReadRows(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	if s.reads == nil {
		t.Fatal("the store keeps no read statements")
	}
	count := func(st *Store, email, name string) int {
		t.Helper()
		var n int
		if err := st.readRow(ctx, "SELECT COUNT(*) FROM requesters WHERE email = ? AND name = ?", email, name).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if _, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv"); err != nil {
		t.Fatal(err)
	}
	if n := count(s, "eva@corp.test", "Eva"); n != 1 {
		t.Errorf("count %d, want 1", n)
	}
	if n := count(s, "eva@corp.test", "Bo"); n != 0 { // the same statement, other arguments
		t.Errorf("count %d, want 0", n)
	}
	err := s.Tx(ctx, func(tx *Store) error {
		if tx.reads != nil {
			t.Error("a transaction's store reads through the pool's statements")
		}
		if _, err := tx.UpsertRequester(ctx, "bo@corp.test", "Bo", "sv"); err != nil {
			return err
		}
		if n := count(tx, "bo@corp.test", "Bo"); n != 1 {
			t.Errorf("inside the transaction: count %d, want its own row", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDollarPlaceholders(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1":                         "SELECT 1",
		"SELECT a FROM t WHERE b = ?":      "SELECT a FROM t WHERE b = $1",
		"WHERE a = ? AND (b = ? OR c = ?)": "WHERE a = $1 AND (b = $2 OR c = $3)",
	} {
		if got := dollarPlaceholders(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
