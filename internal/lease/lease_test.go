package lease

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"warrantydesk/internal/testenv"
)

// kinds are the lock kinds under test; each makes a fresh lock on one shared
// database per test, so two calls give two competing processes' locks.
var kinds = []struct {
	name   string
	shared func(t *testing.T) (newLock func() Lock, dsn string)
}{
	{"sqlite flock", func(t *testing.T) (func() Lock, string) {
		dsn := filepath.Join(t.TempDir(), "wd.db")
		return func() Lock { l, _ := New("sqlite", dsn); return l }, dsn
	}},
	{"postgres advisory lock", func(t *testing.T) (func() Lock, string) {
		dsn := testenv.PostgresDatabase(t)
		return func() Lock { l, _ := New("postgres", dsn); return l }, dsn
	}},
}

func TestOneHolderAtATime(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			ctx := context.Background()
			newLock, _ := kind.shared(t)
			first, second := newLock(), newLock()
			defer first.Release()
			defer second.Release()
			if ok, err := first.TryAcquire(ctx); !ok || err != nil {
				t.Fatalf("first TryAcquire = %v, %v; want the free lock", ok, err)
			}
			if err := first.Check(ctx); err != nil {
				t.Errorf("Check of the held lock: %v", err)
			}
			for range 3 { // a standby retries; each try must fail while the first holds
				if ok, err := second.TryAcquire(ctx); ok || err != nil {
					t.Fatalf("second TryAcquire while the first holds = %v, %v; want false, nil", ok, err)
				}
			}
			err := TryOnce(ctx, second)
			var held *HeldElsewhereError
			if !errors.As(err, &held) || !errors.Is(err, ErrHeldElsewhere) || held.Holder == "" {
				t.Errorf("TryOnce while held = %v; want a HeldElsewhereError naming the holder", err)
			}
			t.Logf("refusal: %v", err)
			if err := first.Release(); err != nil {
				t.Fatal(err)
			}
			if ok, err := second.TryAcquire(ctx); !ok || err != nil {
				t.Fatalf("second TryAcquire after the first released = %v, %v", ok, err)
			}
			if ok, err := first.TryAcquire(ctx); ok || err != nil {
				t.Errorf("first TryAcquire while the second holds = %v, %v", ok, err)
			}
		})
	}
}

// elector runs an Elector in the background and records its terms.
type elector struct {
	e      *Elector
	cancel context.CancelFunc
	done   chan struct{}

	mu     sync.Mutex
	terms  int  // leadership terms begun
	ended  int  // leader contexts cancelled
	active bool // inside lead
}

func startElector(t *testing.T, lock Lock) *elector {
	t.Helper()
	return startElectorRetrying(t, lock, 100*time.Millisecond)
}

// startElectorRetrying starts an elector that tries the lock every retry while on standby.
func startElectorRetrying(t *testing.T, lock Lock, retry time.Duration) *elector {
	t.Helper()
	el := &elector{done: make(chan struct{})}
	el.e = NewElector(lock, ElectorOptions{RetryEvery: retry, CheckEvery: 100 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	el.cancel = cancel
	go func() {
		defer close(el.done)
		el.e.Run(ctx, func(ctx context.Context) {
			el.mu.Lock()
			el.terms++
			el.active = true
			el.mu.Unlock()
			<-ctx.Done()
			el.mu.Lock()
			el.ended++
			el.active = false
			el.mu.Unlock()
		})
	}()
	t.Cleanup(el.stop)
	return el
}

func (el *elector) stop() {
	el.cancel()
	<-el.done
}

func (el *elector) state() (terms, ended int, active bool) {
	el.mu.Lock()
	defer el.mu.Unlock()
	return el.terms, el.ended, el.active
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestStandbyTakesOverWhenTheLeaderStops: of two electors on one database one
// leads; when it stops, the other leads, and at no point do both lead.
func TestStandbyTakesOverWhenTheLeaderStops(t *testing.T) {
	for _, kind := range kinds {
		t.Run(kind.name, func(t *testing.T) {
			newLock, _ := kind.shared(t)
			a := startElector(t, newLock())
			waitFor(t, "the first elector to lead", func() bool { _, _, active := a.state(); return active })
			b := startElector(t, newLock())
			// b keeps trying the lock every 100 ms; let it try a few times.
			for tries := 0; tries < 5; tries++ {
				time.Sleep(100 * time.Millisecond)
				if _, _, active := b.state(); active || b.e.Leading() {
					t.Fatal("the standby leads while the leader holds the lock")
				}
			}
			if !a.e.Leading() {
				t.Error("Leading() of the leader is false")
			}
			a.stop()
			if terms, ended, active := a.state(); terms != 1 || ended != 1 || active || a.e.Leading() {
				t.Errorf("stopped leader: %d terms, %d ended, active %v", terms, ended, active)
			}
			waitFor(t, "the standby to take over", func() bool { _, _, active := b.state(); return active && b.e.Leading() })
		})
	}
}

// TestLeaderStepsDownWhenItsSessionIsKilled ends the leader's PostgreSQL
// session from outside: the leader must notice, cancel its leader context
// and stand by, and the standby must take over.
func TestLeaderStepsDownWhenItsSessionIsKilled(t *testing.T) {
	dsn := testenv.PostgresDatabase(t)
	newLock := func() Lock { return NewPostgresLock(dsn, AdvisoryKey) }
	// Once stepped down, the old leader waits long before trying again, so
	// that the lock freed by the kill goes to the standby.
	a := startElectorRetrying(t, newLock(), time.Hour)
	waitFor(t, "the first elector to lead", func() bool { _, _, active := a.state(); return active })
	b := startElector(t, newLock())

	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	ctx := context.Background()
	var pid int
	err = admin.QueryRowContext(ctx, `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`).Scan(&pid)
	if err != nil {
		t.Fatalf("find the leader's session: %v", err)
	}
	var killed bool
	if err := admin.QueryRowContext(ctx, `SELECT pg_terminate_backend($1)`, pid).Scan(&killed); err != nil || !killed {
		t.Fatalf("pg_terminate_backend(%d) = %v, %v", pid, killed, err)
	}
	start := time.Now()
	waitFor(t, "the old leader to step down", func() bool { _, ended, active := a.state(); return ended == 1 && !active })
	stepDown := time.Since(start)
	waitFor(t, "the standby to take over", func() bool { _, _, active := b.state(); return active && b.e.Leading() })
	t.Logf("leader's session killed: it stepped down after %v, the standby led after %v",
		stepDown.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	if a.e.Leading() {
		t.Error("the old leader still says it leads")
	}
}

// TestReplacedLockFileEndsLeadership: a leader whose lock file is deleted
// steps down, since a newcomer could lock a new file of the same name.
func TestReplacedLockFileEndsLeadership(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wd.db.leader")
	a := startElector(t, NewFileLock(path))
	waitFor(t, "the elector to lead", func() bool { _, _, active := a.state(); return active })
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the leader to step down", func() bool { _, ended, _ := a.state(); return ended >= 1 })
	// Standing by again, it takes the new file's lock: one leader again.
	waitFor(t, "a new term on the new file", func() bool { terms, _, active := a.state(); return terms >= 2 && active })
}

// TestElectorReportsALockItCannotTry: while the lock cannot even be tried
// (here: its directory is missing) the elector says why, and once it can,
// it leads and the error is gone.
func TestElectorReportsALockItCannotTry(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "not-yet")
	a := startElector(t, NewFileLock(filepath.Join(dir, "wd.db.leader")))
	waitFor(t, "the attempt's error", func() bool { return a.e.TryError() != nil })
	if _, _, active := a.state(); active {
		t.Fatal("leads without the lock")
	}
	t.Logf("TryError: %v", a.e.TryError())
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the elector to lead", func() bool { _, _, active := a.state(); return active })
	if err := a.e.TryError(); err != nil {
		t.Errorf("TryError while leading: %v", err)
	}
}
