package models

import (
	"context"
	"database/sql/driver"
	"strings"

	"github.com/mattn/go-sqlite3"
)

// stmtCacheSize bounds the statements kept prepared on one connection. GORM
// writes a few dozen distinct statements; IN lists of varying length add more.
const stmtCacheSize = 256

// stmtCacheConn is the writer's SQLite connection with its statements kept
// prepared. The driver prepares (parses and plans) every statement anew and
// GORM's own statement cache re-prepares inside a transaction, where intake
// does all its writes; preparing was a tenth of intake's CPU. A statement is
// reused only when it is a single statement with positional arguments, and
// not while an earlier use's rows are still open.
type stmtCacheConn struct {
	*sqlite3.SQLiteConn
	stmts map[string]*cachedStmt
}

type cachedStmt struct {
	stmt *sqlite3.SQLiteStmt
	busy bool // rows of it are open
}

func newStmtCacheConn(c *sqlite3.SQLiteConn) *stmtCacheConn {
	return &stmtCacheConn{SQLiteConn: c, stmts: map[string]*cachedStmt{}}
}

// cached returns the prepared statement for query, preparing it on first
// use, or nil when query or args are not for the cache (the caller then
// leaves it to the driver).
func (c *stmtCacheConn) cached(ctx context.Context, query string, args []driver.NamedValue) (*cachedStmt, error) {
	// Several statements in one string (migrations) run statement by
	// statement in the driver; named arguments are bound by the driver too.
	if strings.Contains(query, ";") {
		return nil, nil
	}
	for _, a := range args {
		if a.Name != "" {
			return nil, nil
		}
	}
	cs, ok := c.stmts[query]
	if !ok {
		if len(c.stmts) >= stmtCacheSize {
			c.evictIdle()
		}
		st, err := c.SQLiteConn.PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		cs = &cachedStmt{stmt: st.(*sqlite3.SQLiteStmt)}
		c.stmts[query] = cs
	}
	// The driver reports too few arguments instead of binding NULL: let it.
	if cs.busy || len(args) != cs.stmt.NumInput() {
		return nil, nil
	}
	return cs, nil
}

// evictIdle closes every cached statement not in use.
func (c *stmtCacheConn) evictIdle() {
	for q, cs := range c.stmts {
		if !cs.busy {
			_ = cs.stmt.Close()
			delete(c.stmts, q)
		}
	}
}

// ExecContext runs query with a cached statement when it can.
func (c *stmtCacheConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	cs, err := c.cached(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.SQLiteConn.ExecContext(ctx, query, args)
	}
	return cs.stmt.ExecContext(ctx, args)
}

// QueryContext runs query with a cached statement when it can; the statement
// is busy until the rows are closed.
func (c *stmtCacheConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	cs, err := c.cached(ctx, query, args)
	if err != nil {
		return nil, err
	}
	if cs == nil {
		return c.SQLiteConn.QueryContext(ctx, query, args)
	}
	rows, err := cs.stmt.QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	cs.busy = true
	return &cachedRows{SQLiteRows: rows.(*sqlite3.SQLiteRows), stmt: cs}, nil
}

// Close closes the cached statements, then the connection.
func (c *stmtCacheConn) Close() error {
	for q, cs := range c.stmts {
		_ = cs.stmt.Close()
		delete(c.stmts, q)
	}
	return c.SQLiteConn.Close()
}

// cachedRows are the rows of a cached statement; closing them resets the
// statement (the driver does) and makes it available again.
type cachedRows struct {
	*sqlite3.SQLiteRows
	stmt *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.SQLiteRows.Close()
	r.stmt.busy = false
	return err
}
