// Package teststore opens the database of a test: a fresh SQLite file, or
// a fresh PostgreSQL database when the suite runs with
// WARRANTYDESK_TEST_DB=postgres (see internal/testenv.Database).
package teststore

import (
	"testing"

	"warrantydesk/internal/testenv"
	"warrantydesk/models"
)

// Open opens a fresh store for t with opt (its Driver and DSN are chosen
// here) and closes it when t ends.
func Open(t testing.TB, opt models.Options) *models.Store {
	t.Helper()
	opt.Driver, opt.DSN = testenv.Database(t)
	store, err := models.Open(t.Context(), opt)
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
