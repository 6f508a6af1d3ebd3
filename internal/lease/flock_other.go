//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package lease

import (
	"errors"
	"os"
)

// tryFlock is not available here: several serve processes on one SQLite
// database need flock(2).
func tryFlock(*os.File) (bool, error) {
	return false, errors.New("the SQLite leader lock needs flock(2), which this system lacks")
}
