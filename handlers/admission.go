package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"
)

// admission lets a fixed number of reads (GET and HEAD) work at once and
// queues the rest in arrival order. Under a burst (50 agents refreshing at once on a 2-core
// machine) every request then waits its turn instead of all of them sharing
// the CPU with the scheduler picking among them: the average is the same,
// the slowest requests are much faster (README, benchmarks).
//
// Writes skip the queue: they mostly wait for the one database writer (an
// intake batch may hold it for a while), and reads must not queue behind
// them. Requests that may stream for long to a slow client — attachments,
// exports — and the health, metrics and static routes skip it too, so that
// a slow download cannot hold a slot and a health check never waits behind
// pages.
type admission struct {
	slots chan struct{}
}

func newAdmission(n int) *admission {
	if n <= 0 {
		return nil
	}
	return &admission{slots: make(chan struct{}, n)}
}

// bypassesAdmission reports whether a request skips the queue.
func bypassesAdmission(method, path string) bool {
	switch {
	case method != http.MethodGet && method != http.MethodHead:
		return true
	case path == "/healthz", path == "/metrics", strings.HasPrefix(path, "/static/"):
		return true
	case strings.Contains(path, "/attachments/"), strings.HasSuffix(path, "/export"):
		return true
	}
	return false
}

func (a *admission) middleware(next echo.HandlerFunc) echo.HandlerFunc {
	if a == nil {
		return next
	}
	return func(c echo.Context) error {
		if r := c.Request(); bypassesAdmission(r.Method, r.URL.Path) {
			return next(c)
		}
		ctx := c.Request().Context()
		// Waiting senders on a channel are served first come, first served.
		select {
		case a.slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		defer func() { <-a.slots }()
		return next(c)
	}
}
