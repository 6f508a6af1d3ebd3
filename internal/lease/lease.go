// Package lease decides which of several warrantydesk processes sharing one
// database is the leader: the one that fetches mail, processes intake and
// drains the outbox. Every process serves the web UI and the API; only the
// leader runs those workers, so two processes never fetch the same mailbox or
// send the same queued mail at once.
//
// A Lock is held by at most one process at a time and is released by the
// operating system or the database server when its holder dies:
//
//   - SQLite: an exclusive, non-blocking flock(2) on "<database file>.leader";
//     the kernel drops it the moment the holding process exits, however it
//     exits. The processes must share the host (as they must for SQLite).
//   - PostgreSQL: the session-level advisory lock AdvisoryKey, taken with
//     pg_try_advisory_lock on a connection of its own; the server drops it
//     when that session ends (process killed, connection lost, backend
//     terminated).
//
// An Elector tries the lock every RetryEvery while it stands by, and while it
// leads it checks every CheckEvery that the lock is still held; the moment a
// check fails it cancels the leader context and stands by again.
package lease

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"
)

// Lock is an exclusive lock over one database, shared by every process using
// that database. Its methods are called from one goroutine at a time.
type Lock interface {
	// TryAcquire takes the lock when it is free and reports whether it now
	// holds it. (false, nil) means another holder has it; an error means the
	// attempt itself failed (database unreachable, lock file not writable).
	TryAcquire(ctx context.Context) (bool, error)
	// Check returns an error when the held lock may have been lost.
	Check(ctx context.Context) error
	// Release gives up the lock (and any connection or file it keeps).
	Release() error
	// String names the lock for logs ("flock /data/wd.db.leader").
	String() string
}

// ErrHeldElsewhere is returned by TryOnce when another process holds the lock.
var ErrHeldElsewhere = errors.New("another warrantydesk process holds the leader lock")

// HeldElsewhereError says which lock is held by another process, and by whom
// when the lock records it.
type HeldElsewhereError struct {
	Lock   string // the Lock's String
	Holder string // "pid 1234 on host x", or "" when unknown
}

func (e *HeldElsewhereError) Error() string {
	msg := ErrHeldElsewhere.Error() + " (" + e.Lock
	if e.Holder != "" {
		msg += ", held by " + e.Holder
	}
	return msg + ")"
}

// Is makes errors.Is(err, ErrHeldElsewhere) true.
func (e *HeldElsewhereError) Is(target error) bool { return target == ErrHeldElsewhere }

// holderDescriber is implemented by locks that know who holds them.
type holderDescriber interface{ holder() string }

// New returns the Lock for a database: driver is "sqlite" (or "") or
// "postgres", dsn as in the [database] config section.
func New(driver, dsn string) (Lock, error) {
	switch driver {
	case "", "sqlite":
		if dsn == "" {
			return nil, errors.New("leader lock: database dsn is empty")
		}
		return NewFileLock(dsn + ".leader"), nil
	case "postgres":
		return NewPostgresLock(dsn, AdvisoryKey), nil
	default:
		return nil, fmt.Errorf("leader lock: unknown database driver %q", driver)
	}
}

// TryOnce takes lock for a one-shot command. It returns a *HeldElsewhereError
// when another process is the leader; the caller releases the lock when done.
func TryOnce(ctx context.Context, lock Lock) error {
	ok, err := lock.TryAcquire(ctx)
	if err != nil {
		return fmt.Errorf("take the leader lock (%s): %w", lock, err)
	}
	if !ok {
		e := &HeldElsewhereError{Lock: lock.String()}
		if h, isH := lock.(holderDescriber); isH {
			e.Holder = h.holder()
		}
		return e
	}
	return nil
}

// Default timing of an Elector.
const (
	DefaultRetryEvery = time.Second
	DefaultCheckEvery = time.Second
)

// ElectorOptions tune an Elector; the zero value is usable.
type ElectorOptions struct {
	RetryEvery time.Duration // how often a standby tries the lock; default DefaultRetryEvery
	CheckEvery time.Duration // how often the leader checks it still holds it; default DefaultCheckEvery
	Logger     *slog.Logger  // default: discard
	// OnChange is called with true when this process becomes the leader and
	// with false when it stops being the leader (after the leader work ended).
	OnChange func(leading bool)
}

// Elector runs work while its process holds the lock.
type Elector struct {
	lock    Lock
	opt     ElectorOptions
	log     *slog.Logger
	leading atomic.Bool
	tryErr  atomic.Pointer[error] // the last attempt's error while trying fails; nil otherwise
}

// NewElector returns an Elector for lock.
func NewElector(lock Lock, opt ElectorOptions) *Elector {
	if opt.RetryEvery <= 0 {
		opt.RetryEvery = DefaultRetryEvery
	}
	if opt.CheckEvery <= 0 {
		opt.CheckEvery = DefaultCheckEvery
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Elector{lock: lock, opt: opt, log: log.With("subsystem", "leader", "lock", lock.String())}
}

// Leading reports whether this process is the leader now.
func (e *Elector) Leading() bool { return e.leading.Load() }

// TryError is the error of the last attempt to take the lock while attempts
// fail (the database is unreachable): then this process could not take over
// from a dead leader. Nil while attempts work, whoever holds the lock.
func (e *Elector) TryError() error {
	if p := e.tryErr.Load(); p != nil {
		return *p
	}
	return nil
}

// Run takes the lock when it can and runs lead while it holds it. lead must
// return soon after its context is cancelled: that happens when the lock is
// lost and when ctx ends. After lead returns Run releases the lock (so that a
// standby takes over only after this leader's work has stopped) and stands by
// again. Run returns when ctx ends, with the lock released.
func (e *Elector) Run(ctx context.Context, lead func(ctx context.Context)) {
	defer func() {
		if err := e.lock.Release(); err != nil {
			e.log.Warn("release leader lock", "err", err)
		}
	}()
	e.log.Info("standing by for leadership")
	failing := false
	retry := time.NewTimer(0)
	defer retry.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-retry.C:
		}
		ok, err := e.lock.TryAcquire(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing {
				e.log.Error("cannot try the leader lock; retrying", "err", err)
			}
			failing = true
			e.tryErr.Store(&err)
		case ok:
			if failing {
				e.log.Info("leader lock reachable again")
			}
			failing = false
			e.tryErr.Store(nil)
			e.lead(ctx, lead)
		default:
			if failing {
				e.log.Info("leader lock reachable again; another process leads")
			}
			failing = false
			e.tryErr.Store(nil)
		}
		retry.Reset(e.opt.RetryEvery)
	}
}

// lead runs one term of leadership: until the lock is lost or ctx ends.
func (e *Elector) lead(ctx context.Context, lead func(context.Context)) {
	start := time.Now()
	e.leading.Store(true)
	e.log.Info("gained leadership: this instance fetches mail and drains the outbox")
	if e.opt.OnChange != nil {
		e.opt.OnChange(true)
	}
	leadCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		lead(leadCtx)
	}()
	check := time.NewTicker(e.opt.CheckEvery)
	reason := "shutting down"
watch:
	for {
		select {
		case <-ctx.Done():
			break watch
		case <-done:
			reason = "leader work ended"
			break watch
		case <-check.C:
			if err := e.lock.Check(ctx); err != nil && ctx.Err() == nil {
				reason = "lost the leader lock"
				e.log.Error("lost the leader lock; stopping intake and outbox", "err", err)
				break watch
			}
		}
	}
	check.Stop()
	cancel()
	<-done
	// Release before anyone may take over: a lost PostgreSQL session is
	// closed here, a held flock dropped only now that the work has stopped.
	if err := e.lock.Release(); err != nil {
		e.log.Warn("release leader lock", "err", err)
	}
	e.leading.Store(false)
	if e.opt.OnChange != nil {
		e.opt.OnChange(false)
	}
	e.log.Info("gave up leadership", "reason", reason, "led_for", time.Since(start).Round(time.Millisecond).String())
	if ctx.Err() == nil {
		e.log.Info("standing by for leadership")
	}
}
