package handlers

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
)

// TestAdmissionLimitsReadsOnly holds requests inside a handler and checks
// that at most the limit of GET requests are worked on at once, that the
// next one waits (and gives up when its client does, without a slot), and
// that writes, health checks and attachment downloads never wait.
func TestAdmissionLimitsReadsOnly(t *testing.T) {
	const limit = 2
	a := newAdmission(limit)
	var inside atomic.Int32
	entered := make(chan string, 16)
	release := make(chan struct{})
	e := echo.New()
	hold := func(c echo.Context) error {
		inside.Add(1)
		entered <- c.Request().Method + " " + c.Request().URL.Path
		<-release
		inside.Add(-1)
		return c.NoContent(http.StatusNoContent)
	}
	e.Use(a.middleware)
	e.GET("/tickets", hold)
	e.POST("/tickets/bulk", hold)
	e.GET("/healthz", hold)
	e.GET("/tickets/:n/attachments/:id", hold)

	var wg sync.WaitGroup
	do := func(ctx context.Context, method, path string) <-chan struct{} {
		done := make(chan struct{})
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done)
			req := httptest.NewRequest(method, path, nil).WithContext(ctx)
			e.ServeHTTP(httptest.NewRecorder(), req)
		}()
		return done
	}
	for range limit {
		do(context.Background(), http.MethodGet, "/tickets")
	}
	for range limit {
		<-entered
	}
	// The slots are taken: a third read waits outside the handler.
	waiting, giveUp := context.WithCancel(context.Background())
	gaveUp := do(waiting, http.MethodGet, "/tickets")
	// Writes, health and downloads are not held up by the full queue.
	for _, r := range [][2]string{{http.MethodPost, "/tickets/bulk"}, {http.MethodGet, "/healthz"},
		{http.MethodGet, "/tickets/1001/attachments/7"}} {
		do(context.Background(), r[0], r[1])
		if got := <-entered; got != r[0]+" "+r[1] {
			t.Fatalf("entered %q while the reads were held, want %q", got, r[0]+" "+r[1])
		}
	}
	if n := inside.Load(); n != limit+3 {
		t.Fatalf("%d requests inside, want %d", n, limit+3)
	}
	// The waiting read's client gives up: it returns without entering.
	giveUp()
	<-gaveUp
	// A fourth read waits too; when one slot frees, it (and only it) enters.
	do(context.Background(), http.MethodGet, "/tickets")
	release <- struct{}{} // one of the held requests finishes
	got := <-entered
	if got != "GET /tickets" {
		t.Fatalf("after a slot freed, %q entered", got)
	}
	close(release)
	wg.Wait()
	select {
	case extra := <-entered:
		t.Fatalf("the read whose client gave up was worked on anyway: %q", extra)
	default:
	}
}

func TestAdmissionOff(t *testing.T) {
	if newAdmission(-1) != nil || newAdmission(0) != nil {
		t.Fatal("a limit of 0 or -1 should mean no admission queue")
	}
	var a *admission
	called := false
	h := a.middleware(func(echo.Context) error { called = true; return nil })
	e := echo.New()
	if err := h(e.NewContext(httptest.NewRequest(http.MethodGet, "/tickets", nil), httptest.NewRecorder())); err != nil || !called {
		t.Fatalf("no limit: handler called %v, err %v", called, err)
	}
}
