package worker

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"
)

// A kick runs a pass at once even when the pass asked to sleep for an hour;
// cancelling the context ends the loop.
func TestLoopWakesOnKickAndStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	kick := make(chan struct{}, 1)
	passes := make(chan int, 10)
	var n atomic.Int32
	done := make(chan struct{})
	go func() {
		Loop(ctx, kick, slog.New(slog.DiscardHandler), time.Minute, func(context.Context) (time.Duration, error) {
			passes <- int(n.Add(1))
			return time.Hour, nil
		})
		close(done)
	}()
	<-passes // the first pass runs at start
	kick <- struct{}{}
	select {
	case got := <-passes:
		if got != 2 {
			t.Fatalf("pass %d", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a kick did not start a pass")
	}
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Loop did not return after cancel")
	}
}

// A failing pass is retried after a pause instead of the pass's own wait.
func TestLoopRetriesAfterAnError(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	passes := make(chan struct{}, 10)
	var n atomic.Int32
	go Loop(ctx, nil, slog.New(slog.DiscardHandler), time.Minute, func(context.Context) (time.Duration, error) {
		passes <- struct{}{}
		if n.Add(1) == 1 {
			return time.Hour, errors.New("database is locked")
		}
		return time.Hour, nil
	})
	for i := range 2 {
		select {
		case <-passes:
		case <-time.After(10 * time.Second):
			t.Fatalf("pass %d did not run: a failed pass must be retried after about a second", i+1)
		}
	}
}
