//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package lease

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// tryFlock takes an exclusive flock on f without blocking.
func tryFlock(f *os.File) (bool, error) {
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		switch {
		case err == nil:
			return true, nil
		case errors.Is(err, syscall.EWOULDBLOCK):
			return false, nil
		case errors.Is(err, syscall.EINTR):
			continue
		default:
			return false, fmt.Errorf("flock %s: %w", f.Name(), err)
		}
	}
}
