package testenv

import (
	"database/sql"
	"testing"
)

func TestPostgresDatabaseIsFreshAndUsable(t *testing.T) {
	dsn := PostgresDatabase(t)
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("fresh database has %d tables, want 0", n)
	}
	if _, err := db.ExecContext(t.Context(), `CREATE EXTENSION IF NOT EXISTS unaccent`); err != nil {
		t.Fatalf("unaccent (postgresql-contrib) is needed for Swedish search: %v", err)
	}
}
