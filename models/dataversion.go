package models

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
)

// versionWatch answers DataVersion: one connection of its own that never
// writes and only ever runs its query. On SQLite that is PRAGMA
// data_version: SQLite changes that number on a connection whenever another
// connection (of this process or any other: the CLI, a second desk) has
// committed a change since it last asked, and only after the commit is
// visible to new readers. On PostgreSQL it is a hash of the server's
// current snapshot (pgDataVersion), which changes whenever a write
// transaction starts or ends.
type versionWatch struct {
	mu    sync.Mutex
	db    *sql.DB
	query string
	conn  *sql.Conn
	stmt  *sql.Stmt // query, prepared on conn once: preparing it was half a call's CPU
	// epoch counts the connections used: a new connection starts its own
	// numbering, so a version read on it must never equal an older one.
	epoch uint64
}

// openVersionWatch opens the version connection with a database/sql driver
// ("sqlite3", "pgx") and the query that reads the version (below 2^40).
func openVersionWatch(driverName, dsn, query string) (*versionWatch, error) {
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open data version connection: %w", err)
	}
	db.SetMaxOpenConns(1)
	return &versionWatch{db: db, query: query}, nil
}

// DataVersion returns a number that changes whenever a write transaction
// has committed to the database, by any path of this process or by another
// process. A cache of something read from the database reads the version
// before reading the data and keeps both; the value is current for as long
// as DataVersion returns the same number (see Versioned).
func (s *Store) DataVersion(ctx context.Context) (uint64, error) {
	memo, _ := ctx.Value(versionMemoKey{}).(*atomic.Uint64)
	if memo != nil {
		if v := memo.Load(); v != 0 {
			return v, nil
		}
	}
	v, err := s.readDataVersion(ctx)
	if err != nil || memo == nil {
		return v, err
	}
	memo.CompareAndSwap(0, v)
	return memo.Load(), nil
}

// versionMemoKey is the context key of WithDataVersionMemo.
type versionMemoKey struct{}

// WithDataVersionMemo returns ctx in which DataVersion reads the version
// once and then returns that: for one read of a page, whose parts (the
// view counts, the lists of agents, vendors, departments) each ask for it.
// The caches they read then all answer for the same moment, and the
// version's query (one connection, taken in turn by every request) runs
// once per page instead of six times. Not for work that writes and then
// reads what it wrote through a cache: it would get the value from before
// its write.
func WithDataVersionMemo(ctx context.Context) context.Context {
	return context.WithValue(ctx, versionMemoKey{}, new(atomic.Uint64))
}

// readDataVersion reads the version (DataVersion without a memo).
func (s *Store) readDataVersion(ctx context.Context) (uint64, error) {
	w := s.version
	if w == nil {
		return 0, fmt.Errorf("data version: not available inside a transaction")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	// Not cancellable: the query answers at once, and an interrupted one
	// would close the watch connection that every request shares (and
	// start a new epoch, emptying every cache).
	ctx = context.WithoutCancel(ctx)
	if w.conn == nil {
		c, err := w.db.Conn(ctx)
		if err != nil {
			return 0, fmt.Errorf("data version: %w", err)
		}
		st, err := c.PrepareContext(ctx, w.query)
		if err != nil {
			_ = c.Close()
			return 0, fmt.Errorf("data version: %w", err)
		}
		w.conn, w.stmt, w.epoch = c, st, w.epoch+1
	}
	var v uint64
	if err := w.stmt.QueryRowContext(ctx).Scan(&v); err != nil {
		w.drop() // the next call starts a new epoch on a new connection
		return 0, fmt.Errorf("data version: %w", err)
	}
	return w.epoch<<40 | v, nil
}

// drop closes the version connection; w.mu is held.
func (w *versionWatch) drop() {
	if w.conn != nil {
		_ = w.stmt.Close()
		_ = w.conn.Close()
		w.conn, w.stmt = nil, nil
	}
}

func (w *versionWatch) close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.drop()
	return w.db.Close()
}

// Versioned is one value computed from the database and reused until the
// next committed write (DataVersion): never stale after a write, whichever
// code path or process made it. Loads are serialised, so a burst of
// requests after a write computes the value once.
type Versioned[T any] struct {
	mu  sync.Mutex
	ok  bool
	ver uint64
	val T
}

// Get returns the kept value while the data version is unchanged, else
// load's result (kept under the version read before loading, so a write
// committed during the load makes the next Get load again).
func (c *Versioned[T]) Get(ctx context.Context, s *Store, load func(context.Context) (T, error)) (T, error) {
	var zero T
	v, err := s.DataVersion(ctx)
	if err != nil {
		return zero, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ok && c.ver == v {
		return c.val, nil
	}
	val, err := load(ctx)
	if err != nil {
		return zero, err
	}
	c.ok, c.ver, c.val = true, v, val
	return val, nil
}

// Forget drops the kept value.
func (c *Versioned[T]) Forget() {
	c.mu.Lock()
	c.ok = false
	c.mu.Unlock()
}
