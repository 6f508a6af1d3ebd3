// Package worker is the loop shared by the desk's queue workers (the mail
// outbox, webhook deliveries): run a pass, sleep until the pass says the next
// item is due or until kicked, back off on errors, stop on cancel.
package worker

import (
	"context"
	"log/slog"
	"time"
)

// Loop runs pass until ctx is cancelled, then returns. pass returns how long
// to wait before the next pass; a failing pass is logged and retried after a
// pause that doubles from one second up to maxErrWait. A value on kick starts
// a pass at once.
func Loop(ctx context.Context, kick <-chan struct{}, log *slog.Logger, maxErrWait time.Duration,
	pass func(context.Context) (time.Duration, error)) {
	errWait := time.Second
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-kick:
		}
		wait, err := pass(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			log.Error("pass failed", "err", err, "retry_in", errWait)
			wait = errWait
			errWait = min(errWait*2, maxErrWait)
		} else {
			errWait = time.Second
		}
		timer.Reset(wait)
	}
}
