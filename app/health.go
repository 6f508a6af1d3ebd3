package app

import (
	"context"
	"fmt"
	"time"

	"warrantydesk/handlers"
	"warrantydesk/models"
)

// Health reports whether the database answers and the workers are fine, and
// whether this instance is the leader or on standby. Intake counts as failing
// when its last error is newer than its last success and older than three
// poll intervals (a blip is not an outage). The intake and outbox checks read
// the shared database, so a standby reports the leader's intake; the workers'
// own errors and the token refresh are only checked where they run.
func (a *App) Health(ctx context.Context) handlers.Health {
	h := handlers.Health{OK: true, Checks: map[string]handlers.HealthCheck{}, Role: a.Role()}
	fail := func(name, detail string) {
		h.OK = false
		h.Checks[name] = handlers.HealthCheck{OK: false, Detail: detail}
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := a.Store.Ping(ctx); err != nil {
		fail("database", "database does not answer")
		return h
	}
	h.Checks["database"] = handlers.HealthCheck{OK: true}

	if el := a.elector.Load(); el != nil && el.TryError() != nil {
		// Without the lock this instance cannot take over from a dead leader.
		fail("leader", "cannot take the leader lock: "+el.TryError().Error())
	}
	a.workersMu.Lock()
	for name, msg := range a.workerErr {
		fail(name, msg)
	}
	a.workersMu.Unlock()

	for _, mb := range a.intakes {
		check := a.intakeHealth(ctx, mb)
		if !check.OK {
			h.OK = false
		}
		h.Checks[mb.check] = check
	}
	if a.Tokens != nil && h.Role != RoleStandby { // a standby renews no token
		check := a.oauthHealth()
		if !check.OK {
			h.OK = false
		}
		h.Checks["oauth"] = check
	}
	if _, total, err := a.Store.ListOutbox(ctx, models.OutboxFailed, 1, 0); err == nil {
		check := handlers.HealthCheck{OK: true}
		if total > 0 {
			check.Detail = fmt.Sprintf("%d mail(s) could not be delivered", total)
		}
		if a.Outbox == nil {
			check.Detail = "smtp not configured: outgoing mail stays queued"
		}
		h.Checks["outbox"] = check
	}
	return h
}

// intakeHealth is the check of one mailbox ("intake", "intake:<name>"), read from its cursor.
func (a *App) intakeHealth(ctx context.Context, mb intakeMailbox) handlers.HealthCheck {
	c, err := a.Store.Cursor(ctx, mb.cfg.Key)
	check := handlers.HealthCheck{OK: true, LastSuccess: c.LastFetchAt}
	grace := 3*mb.cfg.PollInterval + time.Minute
	switch {
	case err != nil:
		check = handlers.HealthCheck{OK: false, Detail: "cannot read intake state"}
	case c.LastErrorAt != nil && (c.LastFetchAt == nil || c.LastErrorAt.After(*c.LastFetchAt)) &&
		time.Since(a.lastGood(c)) > grace:
		check.OK, check.Detail = false, "intake failing: "+c.LastError
	case c.LastFetchAt == nil:
		check.Detail = "no fetch yet"
	}
	return check
}

// lastGood is the last successful fetch, or the start of the process.
func (a *App) lastGood(c models.MailboxCursor) time.Time {
	if c.LastFetchAt != nil {
		return *c.LastFetchAt
	}
	return a.started
}
