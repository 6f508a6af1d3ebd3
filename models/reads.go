package models

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// readStmts keeps the statements of the pages' small reads prepared on the
// reader pool and runs them through database/sql directly: for a query
// that finds a row or none by key, GORM's statement building and callbacks
// cost twice what the query does (a ticket page makes a dozen of them).
// Only for queries written as constants (readRows' callers): the map holds
// one statement per distinct query text and is never trimmed.
type readStmts struct {
	db       *sql.DB
	postgres bool // placeholders are $1, $2… instead of ?
	mu       sync.Mutex
	m        map[string]*sql.Stmt
}

// newReadStmts returns the statements of r's pool, or nil when r has no
// pool of its own (a transaction).
func newReadStmts(r *gorm.DB, postgres bool) *readStmts {
	db, err := r.DB()
	if err != nil {
		return nil
	}
	return &readStmts{db: db, postgres: postgres, m: map[string]*sql.Stmt{}}
}

// stmt returns query prepared, preparing it on first use.
func (rs *readStmts) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if st, ok := rs.m[query]; ok {
		return st, nil
	}
	text := query
	if rs.postgres {
		text = dollarPlaceholders(query)
	}
	st, err := rs.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, err
	}
	rs.m[query] = st
	return st, nil
}

func (rs *readStmts) close() {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	for _, st := range rs.m {
		_ = st.Close()
	}
	rs.m = map[string]*sql.Stmt{}
}

// dollarPlaceholders numbers the ? placeholders of query for PostgreSQL
// ($1, $2…), as GORM does. query must hold no other question mark.
func dollarPlaceholders(query string) string {
	var b strings.Builder
	n := 0
	for {
		i := strings.IndexByte(query, '?')
		if i < 0 {
			b.WriteString(query)
			return b.String()
		}
		n++
		b.WriteString(query[:i])
		b.WriteString("$" + strconv.Itoa(n))
		query = query[i+1:]
	}
}

// readRows runs query — a constant text whose arguments are single values
// (no lists), with ? placeholders — on the readers. Inside a transaction it
// runs on the transaction, through GORM.
func (s *Store) readRows(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.reads == nil {
		return s.r.WithContext(ctx).Raw(query, args...).Rows()
	}
	st, err := s.reads.stmt(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	return st.QueryContext(ctx, args...)
}

// readRow is readRows for one row: Scan of the result returns
// sql.ErrNoRows when there is none.
func (s *Store) readRow(ctx context.Context, query string, args ...any) *sql.Row {
	if s.reads == nil {
		return s.r.WithContext(ctx).Raw(query, args...).Row()
	}
	st, err := s.reads.stmt(ctx, query)
	if err != nil {
		// sql.Row has no constructor for an error: GORM's Row runs the
		// query unprepared and carries any error to Scan.
		return s.r.WithContext(ctx).Raw(query, args...).Row()
	}
	return st.QueryRowContext(ctx, args...)
}
