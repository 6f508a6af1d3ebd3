package models

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
	"gorm.io/gorm/logger"
)

// ErrNotFound is returned when a looked-up row does not exist.
var ErrNotFound = errors.New("not found")

// Store is the database. Writes and reads have pools of their own. On
// SQLite the writers' is a single connection (SQLite allows one writer;
// queueing in Go is kinder than SQLITE_BUSY); on PostgreSQL write
// transactions still run one at a time (see Tx).
type Store struct {
	w          *gorm.DB
	r          *gorm.DB
	log        *slog.Logger
	searchText func(string) string
	version    *versionWatch    // DataVersion; nil on the Store of a transaction
	counts     *countCache      // the ticket list's counts (views.go)
	ckpt       *walCheckpointer // nil on a transaction's Store
	reads      *readStmts       // readRows; nil on a transaction's Store
}

// Database drivers, as the config's database.driver and gorm's
// Dialector.Name() spell them.
const (
	DriverSQLite   = "sqlite"
	DriverPostgres = "postgres"
)

// Options configure Open.
type Options struct {
	Driver string // DriverSQLite (default) or DriverPostgres
	// DSN is, for sqlite, a file path; for postgres, a connection URL
	// (postgres://user:pass@host:5432/db?sslmode=require) or a key=value string.
	DSN    string
	Logger *slog.Logger
	// SearchText reduces a message text to what full-text search indexes
	// (e.g. without quoted history, which would index every mail many times).
	// Nil indexes the whole text.
	SearchText func(string) string
}

// Open opens (creating if needed) the database and applies pending migrations.
func Open(ctx context.Context, opt Options) (*Store, error) {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if strings.TrimSpace(opt.DSN) == "" {
		return nil, errors.New("database dsn is empty")
	}
	var (
		s   *Store
		err error
	)
	switch opt.Driver {
	case "", DriverSQLite:
		s, err = openSQLite(ctx, opt)
	case DriverPostgres:
		s, err = openPostgres(ctx, opt)
	default:
		return nil, fmt.Errorf("unknown database driver %q (use %q or %q)", opt.Driver, DriverSQLite, DriverPostgres)
	}
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	if s.sqlite() {
		// The reader connection opened before the migrations (the driver asks
		// for the SQLite version) knows the old schema, and a first "SELECT *"
		// on it misses columns a migration added. Start the readers afresh.
		if rdb, err := s.r.DB(); err == nil {
			rdb.SetMaxIdleConns(0)
			// Every reader stays open: under load a pool keeping two idle readers
			// opened and closed connections all the time, each starting with an
			// empty page cache and no prepared statements.
			rdb.SetMaxIdleConns(readerConns)
			s.ckpt = startWALCheckpointer(rdb, opt.Logger)
		}
	}
	return s, nil
}

func gormConfig() *gorm.Config {
	return &gorm.Config{Logger: logger.Discard, SkipDefaultTransaction: true, NowFunc: func() time.Time { return time.Now().UTC() }}
}

// readerConfig is gormConfig for the readers, which keep their statements
// prepared.
func readerConfig() *gorm.Config {
	c := gormConfig()
	c.PrepareStmt, c.PrepareStmtMaxSize, c.PrepareStmtTTL = true, 256, time.Hour
	return c
}

func newStore(w, r *gorm.DB, opt Options) *Store {
	s := &Store{w: w, r: r, log: opt.Logger, searchText: opt.SearchText, counts: &countCache{}, reads: newReadStmts(r, !isSQLite(r))}
	if s.searchText == nil {
		s.searchText = func(text string) string { return text }
	}
	return s
}

func openSQLite(ctx context.Context, opt Options) (*Store, error) {
	path := opt.DSN
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory %q: %w", dir, err)
		}
	}
	// Every connection of the process gets the search's rank function.
	if err := registerSearchRank(); err != nil {
		return nil, err
	}
	w, err := gorm.Open(sqlite.New(sqlite.Config{Conn: sql.OpenDB(writerConnector(sqliteDSN(path, true)))}), gormConfig())
	if err != nil {
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	// Readers keep their prepared statements: preparing the list's and the
	// ticket page's joins cost a third of their SQL time. (Bounded: a list
	// of ids of every length is a statement of its own.)
	r, err := gorm.Open(sqlite.Open(sqliteDSN(path, false)), readerConfig())
	if err != nil {
		return nil, fmt.Errorf("open database %q for reading: %w", path, err)
	}
	wdb, err := w.DB()
	if err != nil {
		return nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetConnMaxIdleTime(0)
	rdb, err := r.DB()
	if err != nil {
		return nil, err
	}
	rdb.SetMaxOpenConns(readerConns)
	s := newStore(w, r, opt)
	if s.version, err = openVersionWatch("sqlite3", sqliteDSN(path, false), "PRAGMA data_version"); err != nil {
		_ = s.Close()
		return nil, err
	}
	if err := wdb.PingContext(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open database %q: %w", path, err)
	}
	if err := s.checkFTS5(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// readerConns is the size of the reader pool.
const readerConns = 8

func sqliteDSN(path string, writer bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "10000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	// database/sql never uses a connection from two goroutines at once, so
	// SQLite's own lock around every call on a connection (its default,
	// "serialized" mode) is pure cost: a mutex lock and unlock per step,
	// bind and column read.
	q.Set("_mutex", "no")
	if writer {
		q.Set("_txlock", "immediate")
	} else {
		q.Set("mode", "rw")
		// 16 MB of page cache per reader (SQLite's default is 2 MB): the
		// list's indexes and the hot tickets stay in the connection instead
		// of being read again from the OS on every page.
		q.Set("_cache_size", "-16000")
	}
	return "file:" + path + "?" + q.Encode()
}

// writerPragmas tune the one writer connection for intake's large write
// transactions. Durability is unchanged (WAL, synchronous=NORMAL, set in the DSN).
var writerPragmas = []string{
	// A statement that may abort halfway (an INSERT checking foreign keys,
	// an FTS5 insert) copies every existing page it changes into a statement
	// journal; in memory that is a copy, in a temporary file (the default)
	// it was a write() per page — most of intake's system time.
	"PRAGMA temp_store = MEMORY",
	// 32 MiB instead of 2 MiB: a batch of 200 new tickets dirties more pages
	// than the default cache holds, and spilling them mid-transaction writes
	// them to the WAL twice.
	"PRAGMA cache_size = -32768",
	// The WAL is checkpointed beside the writer (walCheckpointer) at most
	// once a second; the writer itself only checkpoints past 64 MiB, should
	// that fall behind. Checkpointing every 32 MiB instead of every 4 MiB
	// had halved intake's commit time (the index pages every batch touches
	// are copied once per few batches); moving it off the writer removed
	// most of the rest.
	"PRAGMA wal_autocheckpoint = 16384",
}

// writerConnector opens SQLite connections that run writerPragmas first, on
// every (re)connect — a pragma is per connection and would be lost with it.
func writerConnector(dsn string) driver.Connector {
	return &sqliteConnector{dsn: dsn, driver: &sqlite3.SQLiteDriver{ConnectHook: func(c *sqlite3.SQLiteConn) error {
		for _, q := range writerPragmas {
			if _, err := c.Exec(q, nil); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
		return nil
	}}}
}

// sqliteConnector is a driver.Connector for one DSN of a configured driver
// (database/sql needs one to use a driver that is not registered by name).
type sqliteConnector struct {
	dsn    string
	driver *sqlite3.SQLiteDriver
}

// Connect opens a connection that keeps its statements prepared (stmtCacheConn).
func (c *sqliteConnector) Connect(context.Context) (driver.Conn, error) {
	conn, err := c.driver.Open(c.dsn)
	if err != nil {
		return nil, err
	}
	return newStmtCacheConn(conn.(*sqlite3.SQLiteConn)), nil
}

func (c *sqliteConnector) Driver() driver.Driver { return c.driver }

// checkFTS5 fails with a clear message when the binary was built without the
// sqlite_fts5 build tag.
func (s *Store) checkFTS5(ctx context.Context) error {
	err := s.w.WithContext(ctx).Exec("CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts5_probe USING fts5(x)").Error
	if err != nil {
		if strings.Contains(err.Error(), "no such module") {
			return errors.New("this binary was built without SQLite FTS5: rebuild with `go build -tags sqlite_fts5 -o warrantydesk .`")
		}
		return fmt.Errorf("probe FTS5: %w", err)
	}
	return s.w.WithContext(ctx).Exec("DROP TABLE IF EXISTS temp.fts5_probe").Error
}

// Close closes the connection pools.
func (s *Store) Close() error {
	s.ckpt.close()
	if s.reads != nil {
		s.reads.close()
	}
	var errs []error
	for i, g := range []*gorm.DB{s.w, s.r} {
		if g == nil || i == 1 && s.r == s.w {
			continue
		}
		if db, err := g.DB(); err == nil {
			errs = append(errs, db.Close())
		}
	}
	if s.version != nil {
		errs = append(errs, s.version.close())
	}
	return errors.Join(errs...)
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	db, err := s.r.DB()
	if err != nil {
		return err
	}
	return db.PingContext(ctx)
}

// Tx runs fn in one write transaction. Write transactions run one at a
// time on either database (on PostgreSQL by lockWrites), so that a
// transaction that reads and then writes (the next ticket number, an upsert)
// sees no other writer in between, as on SQLite.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	err := s.w.WithContext(ctx).Transaction(func(g *gorm.DB) error {
		if err := lockWrites(g); err != nil {
			return err
		}
		return fn(&Store{w: g, r: g, log: s.log, searchText: s.searchText, counts: &countCache{}})
	})
	if err == nil {
		s.ckpt.written()
	}
	return err
}

// Backup writes a consistent copy of the database to path (SQLite VACUUM INTO),
// safe while the desk runs. A PostgreSQL database is backed up with its own
// tools (pg_dump), which know its roles and extensions.
func (s *Store) Backup(ctx context.Context, path string) error {
	if !s.sqlite() {
		return errors.New("backup copies a SQLite database; back up PostgreSQL with pg_dump")
	}
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("backup target %q already exists", path)
	}
	if err := s.r.WithContext(ctx).Exec("VACUUM INTO ?", path).Error; err != nil {
		return fmt.Errorf("backup to %q: %w", path, err)
	}
	return nil
}

func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

func gormExpr(sql string) clause.Expr { return gorm.Expr(sql) }

// countBy counts the rows of model grouped by one column.
func (s *Store) countBy(ctx context.Context, model any, column string) (map[string]int64, error) {
	var rows []struct {
		K string
		N int64
	}
	err := s.r.WithContext(ctx).Model(model).Select(column + " AS k, COUNT(*) AS n").Group(column).Scan(&rows).Error
	out := map[string]int64{}
	for _, r := range rows {
		out[r.K] = r.N
	}
	return out, err
}
