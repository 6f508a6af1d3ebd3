package testenv

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
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
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name); err != nil {
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
