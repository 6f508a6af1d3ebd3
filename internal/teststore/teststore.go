// Package teststore opens the database of a test: a fresh SQLite file, or
// a fresh PostgreSQL database when the suite runs with
// WARRANTYDESK_TEST_DB=postgres (see internal/testenv.Database).
package teststore

import (
	"context"
	"testing"

	"warrantydesk/internal/testenv"
	"warrantydesk/models"
)

// Open opens a fresh store for t with opt (its Driver and DSN are chosen
// here) and closes it when t ends.
func Open(t testing.TB, opt models.Options) *models.Store {
	t.Helper()
	opt.Driver, opt.DSN = testenv.Database(t)
	store, err := models.Open(context.Background(), opt)
	if err != nil {
		t.Fatalf("open %s test database: %v", opt.Driver, err)
	}
	t.Cleanup(func() {
		if err := store.Close(); err != nil {
			t.Errorf("close test database: %v", err)
		}
	})
	return store
}

// OpenAt opens the store of opt.Driver and opt.DSN (a database of
// testenv.Database, opened again, say after a simulated restart) and
// closes it when t ends.
func OpenAt(t testing.TB, opt models.Options) *models.Store {
	t.Helper()
	store, err := models.Open(context.Background(), opt)
	if err != nil {
		t.Fatalf("open %s test database: %v", opt.Driver, err)
	}
	t.Cleanup(func() { _ = store.Close() })
	return store
}
