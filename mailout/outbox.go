package mailout

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"warrantydesk/internal/worker"
	"warrantydesk/models"
)

// DefaultBackoff is the wait after each failed attempt: a mail that keeps
// failing is retried for about ten hours, long enough to ride out a relay's
// maintenance night, then marked failed for an administrator to look at.
var DefaultBackoff = []time.Duration{
	30 * time.Second, time.Minute, 5 * time.Minute, 15 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour,
}

// maxIdle is the longest the worker sleeps without looking at the queue, so
// that mail queued by another process (a one-shot command) is not stranded.
const maxIdle = 30 * time.Second

// WorkerOptions tune a Worker; the zero value is usable.
type WorkerOptions struct {
	// Backoff[i] is the wait after the (i+1)-th failed attempt. When a mail
	// fails again after the last wait it is marked failed, so a mail gets
	// len(Backoff)+1 attempts in all. Default DefaultBackoff.
	Backoff   []time.Duration
	BatchSize int              // mails per pass; default 50
	Logger    *slog.Logger     // default: discard
	Now       func() time.Time // clock for due times; default time.Now
}

// Stats is the outbox's state for /healthz and /metrics.
type Stats struct {
	Queued      int64     // mails waiting for delivery (due or backing off)
	Failed      int64     // mails given up on
	LastError   string    // the most recent delivery error seen by this worker
	LastErrorAt time.Time // zero when there was none
	LastSentAt  time.Time // most recent successful delivery; zero when none yet
	LastPassAt  time.Time // end of the most recent pass; a stale value means a stuck worker
}

// Worker delivers the durable outbox.
//
// Delivery is at-least-once: a mail is marked sent right after the server
// accepted its DATA, so a crash between that acceptance and the database
// write sends that one mail again on restart. Nothing queued is ever lost: a
// mail leaves the queue only as sent or, after its retries, as failed.
//
// Passes are serialised within the process. Two processes sharing one
// database would each deliver the same due mail; run one worker per database
// (serve runs it only in the leader of the database: internal/lease).
type Worker struct {
	store   *models.Store
	sender  Sender
	backoff []time.Duration
	batch   int
	log     *slog.Logger
	now     func() time.Time
	kick    chan struct{}

	pass sync.Mutex // one delivery pass at a time

	mu          sync.Mutex
	lastError   string
	lastErrorAt time.Time
	lastSentAt  time.Time
	lastPassAt  time.Time
}

// NewWorker returns a worker that delivers store's outbox through sender.
func NewWorker(store *models.Store, sender Sender, opt WorkerOptions) *Worker {
	w := &Worker{
		store:   store,
		sender:  sender,
		backoff: opt.Backoff,
		batch:   opt.BatchSize,
		log:     opt.Logger,
		now:     opt.Now,
		kick:    make(chan struct{}, 1),
	}
	if len(w.backoff) == 0 {
		w.backoff = DefaultBackoff
	}
	w.backoff = slices.Clone(w.backoff)
	if w.batch <= 0 {
		w.batch = 50
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("subsystem", "outbox")
	if w.now == nil {
		w.now = time.Now
	}
	return w
}

// Kick wakes the worker now (non-blocking).
func (w *Worker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// Run delivers due mail until ctx is cancelled: wakes on a timer (the next due time, at most every 30s) or on Kick. Backs off per mail on failure; a 5xx permanent error marks the mail failed at once (with the SMTP text as last_error).
// It returns nil once ctx is cancelled; database errors are logged and retried.
func (w *Worker) Run(ctx context.Context) error {
	w.log.Info("outbox worker started")
	defer w.log.Info("outbox worker stopped")
	worker.Loop(ctx, w.kick, w.log, maxIdle, w.runPass)
	return nil
}

// runPass delivers what is due and returns how long to sleep before the next
// pass: zero when a full batch suggests more is due, else until the next
// queued mail is due, capped at maxIdle.
func (w *Worker) runPass(ctx context.Context) (time.Duration, error) {
	n, err := w.DeliverDue(ctx)
	if err != nil {
		return 0, err
	}
	if n >= w.batch {
		return 0, nil
	}
	next, ok, err := w.store.NextOutboxAttempt(ctx)
	if err != nil {
		return 0, fmt.Errorf("next outbox attempt: %w", err)
	}
	if !ok {
		return maxIdle, nil
	}
	return min(max(next.Sub(w.now()), 0), maxIdle), nil
}

// DeliverDue makes one pass over due mail and returns how many were sent (used by Run, tests and one-shot commands).
// A mail that fails is rescheduled or marked failed and does not make the
// pass fail; the error is for the database and for ctx.
func (w *Worker) DeliverDue(ctx context.Context) (int, error) {
	w.pass.Lock()
	defer w.pass.Unlock()
	defer func() {
		w.mu.Lock()
		w.lastPassAt = w.now()
		w.mu.Unlock()
	}()

	due, err := w.store.DueOutbox(ctx, w.now().UTC(), w.batch)
	if err != nil {
		return 0, fmt.Errorf("load due outbox: %w", err)
	}
	sent := 0
	for i := range due {
		if err := ctx.Err(); err != nil {
			return sent, err
		}
		ok, err := w.deliver(ctx, &due[i])
		if err != nil {
			return sent, err
		}
		if ok {
			sent++
		}
	}
	return sent, nil
}

// deliver makes one attempt at m and records the outcome. It reports whether
// m was sent; the error is only for failing to record the outcome.
func (w *Worker) deliver(ctx context.Context, m *models.OutboxMail) (bool, error) {
	log := w.log.With("outbox_id", m.ID, "message_id", m.MessageID, "attempt", m.Attempts+1)
	rcpts := splitRecipients(m.Recipients)
	var sendErr error
	if len(rcpts) == 0 {
		sendErr = errors.New("mail has no envelope recipients")
	} else {
		sendErr = w.sender.Send(ctx, m.FromAddr, rcpts, m.Raw)
	}
	// The outcome must be recorded even when ctx ended meanwhile: a mail the
	// server accepted and we forgot would be sent again.
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()

	if sendErr == nil {
		at := w.now().UTC()
		if err := w.store.MarkOutboxSent(recordCtx, m.ID, at); err != nil {
			// The server has the mail; this one will be sent again.
			log.Error("mail was delivered but could not be marked sent; it will be sent again", "error", err)
			return true, fmt.Errorf("mark outbox mail %d sent: %w", m.ID, err)
		}
		w.mu.Lock()
		w.lastSentAt = at
		w.mu.Unlock()
		log.Info("mail delivered", "recipients", len(rcpts))
		return true, nil
	}
	if ctx.Err() != nil {
		// Interrupted by shutdown, not refused: leave the mail due and its
		// attempts untouched so the next start sends it at once.
		log.Info("delivery interrupted by shutdown", "error", sendErr)
		return false, nil
	}

	w.mu.Lock()
	w.lastError = sendErr.Error()
	w.lastErrorAt = w.now()
	w.mu.Unlock()

	attempt := m.Attempts + 1
	var next time.Time // zero: give up
	switch {
	case len(rcpts) == 0 || IsPermanent(sendErr):
		log.Warn("mail refused permanently; marked failed", "error", sendErr)
	case attempt > len(w.backoff):
		log.Warn("mail failed after its last retry; marked failed", "error", sendErr, "attempts", attempt)
	default:
		next = w.now().UTC().Add(w.backoff[attempt-1])
		log.Warn("mail delivery failed; will retry", "error", sendErr, "next_attempt_at", next)
	}
	if err := w.store.MarkOutboxFailedAttempt(recordCtx, m.ID, sendErr.Error(), next); err != nil {
		return false, fmt.Errorf("record failed attempt of outbox mail %d: %w", m.ID, err)
	}
	return false, nil
}

// Stats for health: queued count, failed count, last error, last successful send.
func (w *Worker) Stats(ctx context.Context) (Stats, error) {
	w.mu.Lock()
	st := Stats{LastError: w.lastError, LastErrorAt: w.lastErrorAt, LastSentAt: w.lastSentAt, LastPassAt: w.lastPassAt}
	w.mu.Unlock()
	var err error
	if _, st.Queued, err = w.store.ListOutbox(ctx, models.OutboxQueued, 1, 0); err != nil {
		return st, fmt.Errorf("count queued mail: %w", err)
	}
	if _, st.Failed, err = w.store.ListOutbox(ctx, models.OutboxFailed, 1, 0); err != nil {
		return st, fmt.Errorf("count failed mail: %w", err)
	}
	if st.LastSentAt.IsZero() {
		// Nothing sent since start: fall back to the newest sent mail.
		sent, _, err := w.store.ListOutbox(ctx, models.OutboxSent, 1, 0)
		if err != nil {
			return st, fmt.Errorf("find last sent mail: %w", err)
		}
		if len(sent) > 0 && sent[0].SentAt != nil {
			st.LastSentAt = *sent[0].SentAt
		}
	}
	return st, nil
}

// splitRecipients parses OutboxMail.Recipients: comma separated addresses,
// tolerating spaces and <> around them.
func splitRecipients(s string) []string {
	var out []string
	for r := range strings.SplitSeq(s, ",") {
		r = strings.TrimSpace(r)
		r = strings.TrimSuffix(strings.TrimPrefix(r, "<"), ">")
		if r != "" {
			out = append(out, r)
		}
	}
	return out
}
