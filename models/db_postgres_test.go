package models

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"warrantydesk/internal/testenv"
)

func TestRedactDSN(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"postgres://desk:s3cret@db:5432/wd?sslmode=require", "postgres://desk:xxxxx@db:5432/wd?sslmode=require"},
		{"postgres://desk@db/wd", "postgres://desk@db/wd"},
		{"host=db user=desk password=s3cret dbname=wd", "host=db user=desk password=xxxxx dbname=wd"},
		{"host=db password = 's3 cret' dbname=wd", "host=db password = xxxxx dbname=wd"},
		{"postgres://desk:s3cret@db:port/wd", "postgres://xxxxx@db:port/wd"},
		{"data/warrantydesk.db", "data/warrantydesk.db"},
	}
	for _, tt := range tests {
		if got := RedactDSN(tt.dsn); got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

// TestOpenPostgresFailureHidesThePassword opens a PostgreSQL DSN whose
// server does not answer: a clear error naming the database, without the
// password.
func TestOpenPostgresFailureHidesThePassword(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	for _, dsn := range []string{
		"postgres://desk:s3cret-Pw-9@" + addr + "/wd?sslmode=disable&connect_timeout=2",
		"host=127.0.0.1 port=" + addr[strings.LastIndex(addr, ":")+1:] + " user=desk password=s3cret-Pw-9 dbname=wd sslmode=disable connect_timeout=2",
		"postgres://desk:s3cret-Pw-9@" + addr + "/wd?sslmode=bogus",
	} {
		_, err := Open(context.Background(), Options{Driver: DriverPostgres, DSN: dsn})
		if err == nil {
			t.Fatalf("%s: opened a database that is not there", RedactDSN(dsn))
		}
		t.Logf("%v", err)
		if strings.Contains(err.Error(), "s3cret-Pw-9") {
			t.Errorf("the error shows the password: %v", err)
		}
		if !strings.Contains(err.Error(), "database") {
			t.Errorf("the error does not say it is the database: %v", err)
		}
	}
}

// TestPostgresSearchQueryIsAlwaysWords: whatever is typed, the text given
// to warrantydesk_query is words of letters and digits separated by spaces.
func TestPostgresSearchQueryIsAlwaysWords(t *testing.T) {
	for in, want := range map[string]string{
		"skärm":                      "skärm",
		`'); DROP TABLE tickets;--`:  "DROP TABLE tickets",
		"a:* & !b | <-> c":           "a b c",
		"pf3kx-2a1 anna@kommun.test": "pf3kx 2a1 anna kommun test",
		`"" ''`:                      "",
	} {
		if got := PGSearchQuery(in); got != want {
			t.Errorf("PGSearchQuery(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestWritesWaitForEachOtherOnPostgres: a write transaction waits while
// another holds the write lock, as on SQLite (where the single writer
// connection does it).
func TestWritesWaitForEachOtherOnPostgres(t *testing.T) {
	if !testenv.OnPostgres() {
		t.Skip("PostgreSQL pass only: on SQLite the single writer connection serialises writes")
	}
	s := openTest(t, t.TempDir()+"/wd.db")
	ctx := context.Background()
	held := make(chan struct{})
	release := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Tx(ctx, func(tx *Store) error {
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	second := make(chan error, 1)
	go func() {
		second <- s.Tx(ctx, func(tx *Store) error { return nil })
	}()
	select {
	case err := <-second:
		t.Fatalf("a second write transaction ran while the first held the lock (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := <-second; err != nil {
		t.Fatal(err)
	}
}

// TestPostgresUserWithoutRightsIsToldWhatToDo opens a database as a user
// that may connect but not create tables: the error says the user must own
// the database.
func TestPostgresUserWithoutRightsIsToldWhatToDo(t *testing.T) {
	if !testenv.OnPostgres() {
		t.Skip("PostgreSQL pass only")
	}
	dsn := testenv.PostgresDatabase(t)
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	role := fmt.Sprintf("wd_guest_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE ROLE " + role + " LOGIN"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP ROLE IF EXISTS " + role); err != nil {
			t.Errorf("drop role %s: %v", role, err)
		}
		_ = admin.Close()
	})
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.User(role)
	_, err = Open(context.Background(), Options{Driver: DriverPostgres, DSN: u.String()})
	if err == nil || !strings.Contains(err.Error(), "must own the database") {
		t.Errorf("want a permission error saying the user must own the database, got %v", err)
	}
}

// TestDesksStartingTogetherMigrateOnce opens one new PostgreSQL database
// from four desks at once: each start succeeds, and every migration is
// applied once (the migration lock makes the others wait, then find it done).
func TestDesksStartingTogetherMigrateOnce(t *testing.T) {
	if !testenv.OnPostgres() {
		t.Skip("PostgreSQL pass only: desks share a SQLite file only on one host, one serve at a time starting")
	}
	dsn := testenv.PostgresDatabase(t)
	const desks = 4
	errs := make(chan error, desks)
	stores := make(chan *Store, desks)
	for range desks {
		go func() {
			s, err := Open(context.Background(), Options{Driver: DriverPostgres, DSN: dsn})
			errs <- err
			stores <- s
		}()
	}
	for range desks {
		if err := <-errs; err != nil {
			t.Errorf("a desk starting with the others: %v", err)
		}
		if s := <-stores; s != nil {
			t.Cleanup(func() { _ = s.Close() })
		}
	}
	s := openTestDSN(t, dsn)
	applied, err := s.AppliedMigrations(context.Background())
	if err != nil || len(applied) != len(allMigrations) {
		t.Errorf("%d migrations recorded (%v), want %d, each once", len(applied), err, len(allMigrations))
	}
}

func openTestDSN(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), Options{Driver: DriverPostgres, DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
