package app

import (
	"database/sql"
	"testing"

	"warrantydesk/internal/teststore"
	"warrantydesk/models"
)

// testServerSecret is server.secret of test desks on PostgreSQL, where it
// is required.
const testServerSecret = "test-server-secret-0123456789"

// useTestDatabase points cfg at a fresh database for t: a SQLite file, or
// a PostgreSQL database when the suite runs with WARRANTYDESK_TEST_DB=postgres
// (with the server secret PostgreSQL requires, unless cfg has one).
func useTestDatabase(t testing.TB, cfg *Config) {
	t.Helper()
	cfg.Database.Driver, cfg.Database.DSN = teststore.Database(t)
	if cfg.Database.Driver == models.DriverPostgres && cfg.Server.Secret == "" {
		cfg.Server.Secret = testServerSecret
	}
}

// rawDB opens cfg's database with database/sql, as another program would
// (models registers both drivers: gorm's sqlite imports go-sqlite3, and
// models imports pgx's stdlib).
func rawDB(t testing.TB, cfg Config) *sql.DB {
	t.Helper()
	driver := "sqlite3"
	if cfg.Database.Driver == models.DriverPostgres {
		driver = "pgx"
	}
	db, err := sql.Open(driver, cfg.Database.DSN)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
