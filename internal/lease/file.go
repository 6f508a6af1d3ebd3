package lease

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
)

// FileLock is the SQLite leader lock: an exclusive flock(2) on a file next to
// the database. The kernel releases it when the holding process exits, so a
// killed leader is replaced on a standby's next try. The file stays in place
// (deleting a lock file lets a newcomer lock a fresh file while the old holder
// still holds the deleted one); it records the holder's pid for messages.
type FileLock struct {
	path string
	f    *os.File // open while held
}

// NewFileLock returns the lock on path; the file is created on first use.
func NewFileLock(path string) *FileLock { return &FileLock{path: path} }

// String names the lock for logs.
func (l *FileLock) String() string { return "flock " + l.path }

// TryAcquire takes the lock without waiting.
func (l *FileLock) TryAcquire(context.Context) (bool, error) {
	if l.f != nil {
		return true, nil
	}
	f, err := os.OpenFile(l.path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return false, fmt.Errorf("open lock file: %w", err)
	}
	held, err := tryFlock(f)
	if err != nil || !held {
		_ = f.Close()
		return false, err
	}
	// Who holds it, for the message of a refused one-shot command.
	host, _ := os.Hostname()
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(fmt.Sprintf("pid %d on host %s\n", os.Getpid(), host)), 0)
	}
	l.f = f
	return true, nil
}

// Check fails when the lock file was removed or replaced while held: then a
// newcomer could lock the new file, and this holder must step down.
func (l *FileLock) Check(context.Context) error {
	if l.f == nil {
		return errors.New("lock not held")
	}
	held, err := l.f.Stat()
	if err != nil {
		return fmt.Errorf("stat held lock file: %w", err)
	}
	now, err := os.Stat(l.path)
	if err != nil {
		return fmt.Errorf("lock file %s: %w", l.path, err)
	}
	if !os.SameFile(held, now) {
		return fmt.Errorf("lock file %s was replaced", l.path)
	}
	return nil
}

// Release drops the lock. Releasing a lock not held does nothing.
func (l *FileLock) Release() error {
	if l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor drops the flock
	l.f = nil
	return err
}

// holder is who holds the lock, as recorded in the file.
func (l *FileLock) holder() string {
	b, err := os.ReadFile(l.path)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}
