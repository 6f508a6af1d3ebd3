// Package teststore opens the database of a test: a fresh SQLite file, or
// a fresh PostgreSQL database when the suite runs with
// WARRANTYDESK_TEST_DB=postgres (see internal/testenv.Database).
package teststore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"warrantydesk/internal/testenv"
	"warrantydesk/models"
)

// Open opens a fresh store for t with opt (its Driver and DSN are chosen
// here) and closes it when t ends.
func Open(t testing.TB, opt models.Options) *models.Store {
	t.Helper()
	opt.Driver, opt.DSN = Database(t)
	return OpenAt(t, opt)
}

// Database is testenv.Database, faster on PostgreSQL: the new database is
// a copy of one migrated once per test binary, which saves each test the
// migrations (about half a second).
func Database(t testing.TB) (driver, dsn string) {
	t.Helper()
	if !testenv.OnPostgres() {
		return testenv.Database(t)
	}
	template, err := migratedTemplate(testenv.Postgres(t))
	if err != nil {
		t.Fatalf("migrated template database: %v", err)
	}
	return models.DriverPostgres, testenv.PostgresDatabaseFrom(t, template)
}

// OpenAt opens the store of opt.Driver and opt.DSN (a database of
// Database, opened again, say after a simulated restart) and closes it when
// t ends.
func OpenAt(t testing.TB, opt models.Options) *models.Store {
	t.Helper()
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

// templatePrefix names the template databases: wd_tmpl_<unix time>_<random>.
const templatePrefix = "wd_tmpl_"

var template struct {
	once sync.Once
	name string
	err  error
}

// migratedTemplate creates, once per test binary, a database on the server
// of base with every migration applied, and returns its name. It stays on
// the server when the binary ends (nothing runs then); templates older than
// a day are dropped here, so a long-lived test server does not fill up.
func migratedTemplate(base string) (string, error) {
	template.once.Do(func() { template.name, template.err = createTemplate(base) })
	return template.name, template.err
}

func createTemplate(base string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	dropStaleTemplates(ctx, admin)
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := templatePrefix + strconv.FormatInt(time.Now().Unix(), 10) + "_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	store, err := models.Open(ctx, models.Options{Driver: models.DriverPostgres, DSN: u.String()})
	if err != nil {
		return "", fmt.Errorf("migrate %s: %w", name, err)
	}
	if err := store.Close(); err != nil {
		return "", err
	}
	return name, nil
}

func dropStaleTemplates(ctx context.Context, admin *sql.DB) {
	rows, err := admin.QueryContext(ctx, "SELECT datname FROM pg_database WHERE datname LIKE '"+templatePrefix+"%'")
	if err != nil {
		return
	}
	var stale []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) != nil {
			continue
		}
		stamp, _, _ := strings.Cut(strings.TrimPrefix(name, templatePrefix), "_")
		if sec, err := strconv.ParseInt(stamp, 10, 64); err == nil && time.Since(time.Unix(sec, 0)) > 24*time.Hour {
			stale = append(stale, name)
		}
	}
	_ = rows.Close()
	for _, name := range stale {
		_, _ = admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	}
}
