package desk

// Read caches of the pages every agent loads all day: the agents and
// resellers of the forms, the canned replies of every ticket page, the signed-in agent of a session, and the live
// refresh token. Each is kept until the next committed write
// (models.Versioned, models.Store.DataVersion), whoever makes it, so none is
// ever stale after a write. Callers get their own copies.

import (
	"context"
	"slices"
	"sync"
	"time"

	"warrantydesk/models"
)

// readCache holds the cached reads of one Service.
type readCache struct {
	agents   models.Versioned[[]models.Agent]
	vendors  models.Versioned[[]models.Vendor]
	changes  models.Versioned[models.TicketChanges]
	canned   models.Versioned[[]models.CannedReply]
	sessions sessionCache
}

// Agents lists the agents by name (cached until the next write).
func (s *Service) Agents(ctx context.Context) ([]models.Agent, error) {
	out, err := s.cache.agents.Get(ctx, s.store, s.store.ListAgents)
	return slices.Clone(out), err
}

// Vendors lists the resellers by name (cached until the next write).
func (s *Service) Vendors(ctx context.Context) ([]models.Vendor, error) {
	out, err := s.cache.vendors.Get(ctx, s.store, s.store.ListVendors)
	return slices.Clone(out), err
}

// TicketChangeState is the newest ticket change, for live refresh (cached
// until the next write).
func (s *Service) TicketChangeState(ctx context.Context) (models.TicketChanges, error) {
	return s.cache.changes.Get(ctx, s.store, s.store.TicketChangeState)
}

// sessionCacheSize bounds the sessions kept between two writes.
const sessionCacheSize = 10_000

// sessionCache maps token hashes to their agents, for one data version.
type sessionCache struct {
	mu  sync.Mutex
	ver uint64
	m   map[string]models.Session
}

// AgentBySession returns the agent signed in with the session token plain,
// or models.ErrNotFound when the session does not exist or has expired. A
// session is read from the database once per data version: logging out,
// expiring sessions, a role change all write, and so are seen at once;
// expiry by the clock is checked on every call.
func (s *Service) AgentBySession(ctx context.Context, plain string) (*models.Agent, error) {
	v, err := s.store.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := models.HashToken(plain)
	c := &s.cache.sessions
	c.mu.Lock()
	if c.m == nil || c.ver != v || len(c.m) >= sessionCacheSize {
		c.m, c.ver = map[string]models.Session{}, v
	}
	sess, ok := c.m[key]
	c.mu.Unlock()
	if ok && time.Now().Before(sess.ExpiresAt) {
		a := sess.Agent
		return &a, nil
	}
	got, err := s.store.SessionByToken(ctx, plain)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.ver == v {
		c.m[key] = *got
	}
	c.mu.Unlock()
	a := got.Agent
	return &a, nil
}
