package lease

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// AdvisoryKey is the PostgreSQL advisory lock key of the warrantydesk leader:
// the ASCII bytes of "wdleader". Advisory locks are per database, so desks in
// different databases of one server do not compete. Fixed: processes of
// different versions sharing a database must agree on it.
const AdvisoryKey int64 = 0x77646c6561646572

// pgTimeout bounds connecting, trying the lock and each check. A check that
// takes longer counts as a lost connection: a leader that cannot tell whether
// it still holds the lock must stop.
const pgTimeout = 3 * time.Second

// PostgresLock is the PostgreSQL leader lock: a session-level advisory lock on
// a connection kept only for it (never a pooled one, which could hand the
// session to other work or close it while idle). The server releases the
// lock when the session ends.
type PostgresLock struct {
	dsn  string
	key  int64
	conn *pgx.Conn // open while standing by or holding; nil after a failure
	held bool
}

// NewPostgresLock returns the advisory lock key on the database at dsn.
func NewPostgresLock(dsn string, key int64) *PostgresLock {
	return &PostgresLock{dsn: dsn, key: key}
}

// String names the lock for logs (without the DSN, which may hold a password).
func (l *PostgresLock) String() string { return fmt.Sprintf("pg_advisory_lock %d", l.key) }

// TryAcquire takes the advisory lock without waiting, connecting first when needed.
func (l *PostgresLock) TryAcquire(ctx context.Context) (bool, error) {
	if l.held {
		return true, nil
	}
	ctx, cancel := context.WithTimeout(ctx, pgTimeout)
	defer cancel()
	if l.conn == nil {
		cfg, err := pgx.ParseConfig(l.dsn)
		if err != nil {
			return false, fmt.Errorf("leader lock: database dsn: %w", err)
		}
		if cfg.RuntimeParams["application_name"] == "" {
			// Lets an administrator find the lock's session in pg_stat_activity.
			cfg.RuntimeParams["application_name"] = "warrantydesk leader lock"
		}
		conn, err := pgx.ConnectConfig(ctx, cfg)
		if err != nil {
			return false, fmt.Errorf("connect for the leader lock: %w", err)
		}
		l.conn = conn
	}
	var ok bool
	if err := l.conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", l.key).Scan(&ok); err != nil {
		l.closeConn()
		return false, fmt.Errorf("pg_try_advisory_lock: %w", err)
	}
	l.held = ok
	return ok, nil
}

// Check pings the lock's session: if it fails the session (and so the lock)
// may be gone, and the connection is dropped.
func (l *PostgresLock) Check(ctx context.Context) error {
	if !l.held || l.conn == nil {
		return errors.New("lock not held")
	}
	ctx, cancel := context.WithTimeout(ctx, pgTimeout)
	defer cancel()
	if err := l.conn.Ping(ctx); err != nil {
		l.closeConn()
		return fmt.Errorf("leader lock session: %w", err)
	}
	return nil
}

// Release unlocks and ends the session. The explicit unlock returns once
// the lock is free; the end of a session alone frees it only when the
// server has noticed, a moment later, so a standby trying at once could
// still find it held.
func (l *PostgresLock) Release() error {
	if l.conn == nil {
		l.held = false
		return nil
	}
	if l.held {
		ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
		_, _ = l.conn.Exec(ctx, "SELECT pg_advisory_unlock($1)", l.key) // best effort: closing frees it anyway
		cancel()
	}
	return l.closeConn()
}

func (l *PostgresLock) closeConn() error {
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	err := l.conn.Close(ctx)
	l.conn, l.held = nil, false
	return err
}

// holder names the session holding the lock, when it can be found.
func (l *PostgresLock) holder() string {
	if l.conn == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), pgTimeout)
	defer cancel()
	var pid int32
	var addr *string
	err := l.conn.QueryRow(ctx, `SELECT a.pid, host(a.client_addr)
		FROM pg_locks k JOIN pg_stat_activity a ON a.pid = k.pid
		WHERE k.locktype = 'advisory' AND k.granted AND k.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND k.classid = $1 AND k.objid = $2 AND k.objsubid = 1`,
		uint32(uint64(l.key)>>32), uint32(uint64(l.key))).Scan(&pid, &addr)
	if err != nil {
		return ""
	}
	s := fmt.Sprintf("backend pid %d", pid)
	if addr != nil {
		s += " from " + *addr
	}
	return s
}
