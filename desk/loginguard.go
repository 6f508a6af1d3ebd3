package desk

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"time"

	"warrantydesk/models"
)

// ErrLoginLocked is returned while an account or a client address is locked
// out after too many failed logins.
var ErrLoginLocked = errors.New("too many failed logins; try again later")

// Login throttling: after this many failures within the window, further
// attempts are refused (without checking the password) until the window has
// passed since the last failure.
const (
	maxFailuresPerAccount = 5
	maxFailuresPerClient  = 20
	loginWindow           = 15 * time.Minute
)

// loginGuard counts failed logins per account and per client address, and
// bounds how many argon2id hashes (19 MiB each) run at once, so that a flood
// of login attempts can neither guess passwords nor exhaust memory. It lives
// in memory: a restart forgets it, and several processes each keep their own.
type loginGuard struct {
	mu       sync.Mutex
	failures map[string][]time.Time // "acct:<email>" or "ip:<addr>" → recent failures
	hashing  chan struct{}
}

func newLoginGuard() *loginGuard {
	return &loginGuard{failures: map[string][]time.Time{}, hashing: make(chan struct{}, runtime.GOMAXPROCS(0))}
}

func (g *loginGuard) recent(key string, now time.Time) []time.Time {
	kept := g.failures[key][:0]
	for _, t := range g.failures[key] {
		if now.Sub(t) < loginWindow {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		delete(g.failures, key)
		return nil
	}
	g.failures[key] = kept
	return kept
}

func (g *loginGuard) locked(account, client string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.recent("acct:"+account, now)) >= maxFailuresPerAccount ||
		(client != "" && len(g.recent("ip:"+client, now)) >= maxFailuresPerClient)
}

func (g *loginGuard) fail(account, client string, now time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.failures["acct:"+account] = append(g.recent("acct:"+account, now), now)
	if client != "" {
		g.failures["ip:"+client] = append(g.recent("ip:"+client, now), now)
	}
}

func (g *loginGuard) succeed(account string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	delete(g.failures, "acct:"+account)
}

// LoginFrom checks an agent's email and password for a client address. It
// returns ErrBadLogin for a wrong email or password and ErrLoginLocked while
// the account or the address is locked out.
func (s *Service) LoginFrom(ctx context.Context, email, password, client string) (*models.Agent, error) {
	account := strings.ToLower(strings.TrimSpace(email))
	if s.guard.locked(account, client, s.now()) {
		return nil, ErrLoginLocked
	}
	select {
	case s.guard.hashing <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	a, err := s.checkLogin(ctx, account, password)
	<-s.guard.hashing
	switch {
	case errors.Is(err, ErrBadLogin):
		s.guard.fail(account, client, s.now())
		s.log.Info("login failed", "email", account, "client", client)
	case err == nil:
		s.guard.succeed(account)
	}
	return a, err
}
