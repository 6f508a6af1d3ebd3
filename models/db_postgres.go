package models

// PostgreSQL as the alternative database: opening it, and the small
// dialect helpers that let one set of queries and migrations run on both.
// Everything SQLite-specific stays SQLite's; the PostgreSQL branch of each
// helper says what it does instead.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
)

// Advisory lock keys of this package (PostgreSQL only). Other packages'
// locks (leader election) use other keys.
const (
	// writeLockKey serialises write transactions (Store.Tx).
	writeLockKey int64 = 0x7764_0001
	// migrateLockKey keeps two desks starting at once from migrating together.
	migrateLockKey int64 = 0x7764_0002
)

// Pool sizes on PostgreSQL. Writers and readers have pools of their own,
// as on SQLite: write transactions queue for the write lock (lockWrites)
// holding a writer connection each, and a transaction that reads through
// the store meanwhile must still find a reader. Together they fit several
// desks (and psql) in the server's default max_connections of 100.
const (
	pgWriterConns = 4
	pgReaderConns = 12
)

// openPostgres connects to the PostgreSQL server of opt.DSN. Every session
// runs in UTC, so that times read back are the UTC instants stored.
func openPostgres(ctx context.Context, opt Options) (*Store, error) {
	cfg, err := pgx.ParseConfig(opt.DSN)
	if err != nil {
		// pgx's parse errors already hide the password.
		return nil, fmt.Errorf("database dsn: %w", err)
	}
	redacted := RedactDSN(opt.DSN)
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	open := func(conns int) (*gorm.DB, error) {
		sqlDB := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(_ context.Context, conn *pgx.Conn) error {
			// Times come back in UTC, as SQLite's driver returns them, whatever
			// the process's local zone: code that takes a date from a stored
			// midnight (delivered_on) must not see the day before.
			conn.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
				Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
			return nil
		}))
		sqlDB.SetMaxOpenConns(conns)
		sqlDB.SetMaxIdleConns(min(conns, 4))
		sqlDB.SetConnMaxLifetime(30 * time.Minute)
		sqlDB.SetConnMaxIdleTime(5 * time.Minute)
		g, err := gorm.Open(postgres.New(postgres.Config{Conn: &cleanPool{sqlDB}}), gormConfig())
		if err != nil {
			_ = sqlDB.Close()
			return nil, fmt.Errorf("open database %s: %w", redacted, redactErr(err, opt.DSN))
		}
		return g, nil
	}
	w, err := open(pgWriterConns)
	if err != nil {
		return nil, err
	}
	r, err := open(pgReaderConns)
	if err != nil {
		if db, derr := w.DB(); derr == nil {
			_ = db.Close()
		}
		return nil, err
	}
	s := newStore(w, r, opt)
	if err := s.Ping(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("connect to database %s: %w", redacted, redactErr(err, opt.DSN))
	}
	if s.version, err = openVersionWatch("pgx", opt.DSN, pgDataVersion); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// pgDataVersion is DataVersion's query on PostgreSQL: 40 bits of a hash of
// the current snapshot ("xmin:xmax:running transactions"), which changes
// when a transaction that writes starts (it takes an id) and again when it
// ends (it leaves the running list), on this database or another of the
// server (a needless change costs a cache a reload, never a stale value).
const pgDataVersion = "SELECT hashtextextended(pg_current_snapshot()::text, 0) & 1099511627775"

// RedactDSN returns dsn fit for a log line or an error: the password of a
// URL or of a key=value string replaced by "xxxxx".
func RedactDSN(dsn string) string {
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			return u.Redacted()
		}
		// Unparseable: cut everything between the scheme and the host.
		if i, j := strings.Index(dsn, "://"), strings.LastIndex(dsn, "@"); j > i {
			return dsn[:i+3] + "xxxxx" + dsn[j:]
		}
		return dsn
	}
	return kvPassword.ReplaceAllString(dsn, "${1}xxxxx")
}

// kvPassword finds the value of password= in a key=value connection string,
// quoted or not.
var kvPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)`)

// redactErr keeps a driver error from repeating the DSN's password.
func redactErr(err error, dsn string) error {
	if err == nil {
		return nil
	}
	cfg, perr := pgx.ParseConfig(dsn)
	if perr != nil || cfg.Password == "" || !strings.Contains(err.Error(), cfg.Password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), cfg.Password, "xxxxx"))
}

// sqlite reports whether s is a SQLite database.
func (s *Store) sqlite() bool { return isSQLite(s.w) }

// Driver is the database's driver: DriverSQLite or DriverPostgres.
func (s *Store) Driver() string { return s.w.Dialector.Name() }

func isSQLite(db *gorm.DB) bool { return db.Dialector.Name() == DriverSQLite }

// lockWrites makes the write transaction tx wait for any other one, as
// SQLite's BEGIN IMMEDIATE does: on PostgreSQL a transaction-scoped
// advisory lock, released at COMMIT or ROLLBACK.
func lockWrites(tx *gorm.DB) error {
	if isSQLite(tx) {
		return nil
	}
	if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", writeLockKey).Error; err != nil {
		return fmt.Errorf("wait for other writers: %w", err)
	}
	return nil
}

// withMigrationLock runs fn on one connection of db; on PostgreSQL that
// connection holds a session advisory lock meanwhile, so that two desks
// starting together apply each migration once.
func withMigrationLock(db *gorm.DB, fn func(conn *gorm.DB) error) error {
	if isSQLite(db) {
		return fn(db)
	}
	return db.Connection(func(conn *gorm.DB) error {
		// A new session: Connection's handle shares one statement across calls.
		conn = conn.Session(&gorm.Session{})
		if err := conn.Exec("SELECT pg_advisory_lock(?)", migrateLockKey).Error; err != nil {
			return fmt.Errorf("wait for another desk's migrations: %w", err)
		}
		ferr := fn(conn)
		// A fresh context: the unlock must run even when ctx was cancelled.
		uerr := conn.WithContext(context.Background()).Exec("SELECT pg_advisory_unlock(?)", migrateLockKey).Error
		return errors.Join(ferr, uerr)
	})
}

// SQLite DDL phrases of the migrations and their PostgreSQL spelling. The
// migrations are written once, in SQLite's dialect (what existing
// databases were built with); pgDDL translates them.
var pgDDLRewrites = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?i)\binteger PRIMARY KEY AUTOINCREMENT\b`), "bigserial PRIMARY KEY"},
	{regexp.MustCompile(`(?i)\binteger\b`), "bigint"},
	{regexp.MustCompile(`(?i)\bdatetime\b`), "timestamptz"},
	{regexp.MustCompile(`(?i)\bnumeric( NOT NULL)? DEFAULT (true|false)\b`), "boolean$1 DEFAULT $2"},
	// SQLite does not enforce a varchar's length; neither does the desk (see textColumns).
	{regexp.MustCompile(`(?i)\bvarchar\(\d+\)`), "text"},
	// A case-insensitive unique index: on the lower-cased value.
	{regexp.MustCompile(`(?i)\((\w+) COLLATE NOCASE\)`), "(lower($1))"},
}

// ddl returns the migration statement q in tx's dialect.
func ddl(tx *gorm.DB, q string) string {
	if isSQLite(tx) {
		return q
	}
	for _, r := range pgDDLRewrites {
		q = r.re.ReplaceAllString(q, r.with)
	}
	return q
}

// containsSQL is a condition true when column contains the bound text
// (case-sensitive, no wildcards).
func containsSQL(db *gorm.DB, column string) string {
	if isSQLite(db) {
		return "instr(" + column + ", ?) > 0"
	}
	return "strpos(" + column + ", ?) > 0"
}

// greatestSQL is the larger of two values: SQLite's two-argument MAX,
// PostgreSQL's GREATEST.
func greatestSQL(db *gorm.DB, a, b string) string {
	if isSQLite(db) {
		return "MAX(" + a + ", " + b + ")"
	}
	return "GREATEST(" + a + ", " + b + ")"
}

// nocaseOrder is column in an ORDER BY, ignoring case.
func nocaseOrder(db *gorm.DB, column string) string {
	if isSQLite(db) {
		return column + " COLLATE NOCASE"
	}
	return "lower(" + column + ")"
}

// CheckDSN reports what is wrong with dsn for driver, in words for a
// person editing the config; nil when it can be tried. A password in dsn
// never appears in the message.
func CheckDSN(driver, dsn string) error {
	dsn = strings.TrimSpace(dsn)
	looksPG := strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
	switch driver {
	case DriverPostgres:
		if dsn == "" {
			return errors.New("is empty; with driver \"postgres\" it is a connection URL like postgres://user:password@host:5432/warrantydesk?sslmode=require")
		}
		if !looksPG && !strings.Contains(dsn, "=") {
			return fmt.Errorf("%q is not a PostgreSQL connection string (postgres://user:password@host:5432/warrantydesk or \"host=… dbname=…\")", RedactDSN(dsn))
		}
		if _, err := pgx.ParseConfig(dsn); err != nil {
			return fmt.Errorf("%s", redactErr(err, dsn))
		}
	default:
		if dsn == "" {
			return errors.New("is empty; with driver \"sqlite\" it is the database file, e.g. data/warrantydesk.db")
		}
		if looksPG {
			return fmt.Errorf("%q is a PostgreSQL URL but database.driver is %q: set driver = \"postgres\"", RedactDSN(dsn), DriverSQLite)
		}
	}
	return nil
}

// likeNocase is the LIKE operator that ignores case, as SQLite's LIKE does
// (for ASCII): PostgreSQL's LIKE heeds case, its ILIKE does not.
func likeNocase(db *gorm.DB) string {
	if isSQLite(db) {
		return "LIKE"
	}
	return "ILIKE"
}

// explainDenied adds what to do to PostgreSQL's "permission denied" while
// migrating: the desk creates its tables, so its user must own the database.
func explainDenied(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42501" { // insufficient_privilege
		return fmt.Errorf("%w (the database user creates the tables, so it must own the database: "+
			"ALTER DATABASE name OWNER TO user, or createdb -O user name)", err)
	}
	return err
}

// textColumns makes every varchar column GORM created (from the structs'
// size tags) text on PostgreSQL, as SQLite, which ignores a varchar's
// length, has always stored them: a mail with a subject or Message-ID
// longer than the tag says is stored on both, not refused by one. (A
// migration that adds string columns from a struct calls it again.)
func textColumns(tx *gorm.DB) error {
	if isSQLite(tx) {
		return nil
	}
	return tx.Exec(`DO $$ DECLARE c record; BEGIN
		FOR c IN SELECT table_name, column_name FROM information_schema.columns
			WHERE table_schema = current_schema() AND data_type = 'character varying' LOOP
			EXECUTE format('ALTER TABLE %I ALTER COLUMN %I TYPE text', c.table_name, c.column_name);
		END LOOP;
	END $$`).Error
}

// cleanPool is the gorm.ConnPool of a PostgreSQL pool that sends every
// string argument as valid text (cleanText): SQLite stores any bytes in a
// text column, PostgreSQL refuses NUL bytes and invalid UTF-8, and a broken
// mail (a NUL in a subject, a body in a mislabelled charset) must not stop
// intake on one database only. A lookup's argument is cleaned alike, so a
// stored value is found by its original.
type cleanPool struct{ db *sql.DB }

func (p *cleanPool) PrepareContext(ctx context.Context, query string) (*sql.Stmt, error) {
	return p.db.PrepareContext(ctx, query)
}

func (p *cleanPool) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return p.db.ExecContext(ctx, query, cleanArgs(args)...)
}

func (p *cleanPool) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return p.db.QueryContext(ctx, query, cleanArgs(args)...)
}

func (p *cleanPool) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return p.db.QueryRowContext(ctx, query, cleanArgs(args)...)
}

// BeginTx starts a transaction whose statements are cleaned too.
func (p *cleanPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	tx, err := p.db.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &cleanTx{tx}, nil
}

// GetDBConn is the pool itself, for gorm's DB().
func (p *cleanPool) GetDBConn() (*sql.DB, error) { return p.db, nil }

// cleanTx is a transaction of cleanPool (Commit and Rollback are *sql.Tx's;
// a pointer, as gorm asks a committer whether it is nil).
type cleanTx struct{ *sql.Tx }

func (t *cleanTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, query, cleanArgs(args)...)
}

func (t *cleanTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, query, cleanArgs(args)...)
}

func (t *cleanTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, query, cleanArgs(args)...)
}

// cleanArgs returns args with every string (or string-kinded value, or
// pointer to one) cleaned; args itself when nothing needed it.
func cleanArgs(args []any) []any {
	out, cloned := args, false
	for i, a := range args {
		v := reflect.ValueOf(a)
		if v.Kind() == reflect.Pointer && !v.IsNil() {
			v = v.Elem()
		}
		if v.Kind() != reflect.String {
			continue
		}
		if c := cleanText(v.String()); c != v.String() {
			if !cloned {
				out, cloned = slices.Clone(args), true
			}
			out[i] = c
		}
	}
	return out
}

// cleanText is s without NUL bytes and with invalid UTF-8 replaced.
func cleanText(s string) string {
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s
}
