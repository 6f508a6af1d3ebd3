package app

import (
	"context"
	"fmt"
	"sync"

	"warrantydesk/internal/lease"
)

// Roles of a serving instance, as /healthz reports them.
const (
	RoleLeader  = "leader"  // fetches mail, processes intake, drains the outbox and the webhook queue
	RoleStandby = "standby" // serves the UI and the API; takes over when the leader's lock is free
)

// newLeaderLock returns the leader lock of the configured database.
func (a *App) newLeaderLock() (lease.Lock, error) {
	lock, err := lease.New(a.Cfg.Database.Driver, a.Cfg.Database.DSN)
	if err != nil {
		return nil, &ConfigError{Key: "database.driver", Problem: err.Error()}
	}
	return lock, nil
}

// runElection stands for leadership until ctx ends and, in each term of
// leadership, runs the leader-only workers under the term's context: they stop
// when the lock is lost and start afresh when it is won again.
func (a *App) runElection(ctx context.Context, wg *sync.WaitGroup, lock lease.Lock) {
	el := lease.NewElector(lock, lease.ElectorOptions{Logger: a.Log, OnChange: func(bool) {
		// A worker that failed in a past term is not running now.
		a.workersMu.Lock()
		clear(a.workerErr)
		a.workersMu.Unlock()
	}})
	a.elector.Store(el)
	wg.Add(1)
	go func() {
		defer wg.Done()
		el.Run(ctx, func(term context.Context) {
			var workers sync.WaitGroup
			a.startWorkers(term, &workers)
			workers.Wait()
		})
	}()
}

// Role is "leader" or "standby" while Serve runs, "" otherwise.
func (a *App) Role() string {
	el := a.elector.Load()
	switch {
	case el == nil:
		return ""
	case el.Leading():
		return RoleLeader
	default:
		return RoleStandby
	}
}

// holdLeaderLock takes the leader lock for a one-shot pass (FetchOnce) and
// returns its release. While a `serve` leads it refuses: that process already
// fetches and delivers, and a second fetcher would send queued mail twice.
func (a *App) holdLeaderLock(ctx context.Context) (release func(), err error) {
	lock, err := a.newLeaderLock()
	if err != nil {
		return nil, err
	}
	if err := lease.TryOnce(ctx, lock); err != nil {
		return nil, fmt.Errorf("%w: the leader (a `serve`, or another `mail fetch`) fetches mail and delivers the outbox itself, so this pass is not run", err)
	}
	return func() {
		if err := lock.Release(); err != nil {
			a.Log.Warn("release leader lock", "err", err)
		}
	}, nil
}
