package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
)

// Postgres returns the DSN of the test PostgreSQL server started by
// scripts/postgres.sh (a superuser connection to its "postgres" database),
// skipping t when there is none (failing it in strict mode).
func Postgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("WARRANTYDESK_TEST_POSTGRES")
	SkipUnless(t, dsn != "", "WARRANTYDESK_TEST_POSTGRES not set (scripts/postgres.sh start sets it)")
	return dsn
}

// PostgresDatabase creates a fresh, empty database on the test PostgreSQL
// server for t, drops it when t ends, and returns its DSN.
func PostgresDatabase(t testing.TB) string {
	t.Helper()
	return PostgresDatabaseFrom(t, "")
}

// PostgresDatabaseFrom is PostgresDatabase with the new database a copy of
// the database template ("" = an empty one), which nobody may be connected to.
func PostgresDatabaseFrom(t testing.TB, template string) string {
	t.Helper()
	base := Postgres(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("WARRANTYDESK_TEST_POSTGRES: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "wd_test_" + hex.EncodeToString(b[:])
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	create := `CREATE DATABASE ` + name
	if template != "" {
		create += ` TEMPLATE ` + template
	}
	if _, err := admin.ExecContext(ctx, create); err != nil {
		_ = admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// FORCE ends connections a test left open (e.g. a killed server's pool).
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		_ = admin.Close()
	})
	u.Path = "/" + name
	return u.String()
}

// Database drivers the test suite runs on.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// DatabaseDriver is the database this test run uses: DriverPostgres when
// WARRANTYDESK_TEST_DB=postgres (scripts/test.sh's second pass), else
// DriverSQLite.
func DatabaseDriver() string {
	if os.Getenv("WARRANTYDESK_TEST_DB") == DriverPostgres {
		return DriverPostgres
	}
	return DriverSQLite
}

// OnPostgres reports whether this test run uses PostgreSQL.
func OnPostgres() bool { return DatabaseDriver() == DriverPostgres }

// Database returns the driver and DSN of a fresh, empty database for t: a
// file in a new temporary directory (SQLite) or a new database on the test
// PostgreSQL server, dropped when t ends.
func Database(t testing.TB) (driver, dsn string) {
	t.Helper()
	if !OnPostgres() {
		return DriverSQLite, filepath.Join(t.TempDir(), "wd.db")
	}
	if os.Getenv("WARRANTYDESK_TEST_POSTGRES") == "" {
		t.Fatal("WARRANTYDESK_TEST_DB=postgres needs WARRANTYDESK_TEST_POSTGRES (scripts/postgres.sh start prints it)")
	}
	return DriverPostgres, PostgresDatabase(t)
}

// SkipOnPostgres skips t when this run uses PostgreSQL, for tests of what
// only SQLite has (its file, its pragmas). It skips even in strict mode:
// the SQLite pass runs the test.
func SkipOnPostgres(t testing.TB, reason string) {
	t.Helper()
	if OnPostgres() {
		t.Skip("SQLite only: " + reason)
	}
}
