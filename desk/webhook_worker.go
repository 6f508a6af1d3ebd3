package desk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"warrantydesk/internal/worker"
	"warrantydesk/models"
)

// DefaultWebhookBackoff is the wait after each failed attempt: a receiver
// that is down is retried for about a day, then the delivery is marked
// failed (and stays in the delivery log).
var DefaultWebhookBackoff = []time.Duration{
	10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour,
}

// WebhookWorkerOptions tune a WebhookWorker; the zero value is usable.
type WebhookWorkerOptions struct {
	// Client sends the requests; default: 10 s timeout, no redirects
	// (a redirect is an answer that is not 2xx).
	Client *http.Client
	// Backoff[i] is the wait after the (i+1)-th failed attempt; a delivery
	// gets len(Backoff)+1 attempts. Default DefaultWebhookBackoff.
	Backoff []time.Duration
	// PollInterval is the longest the worker sleeps without looking at the
	// queue: events are queued by the desk's transactions (and by other
	// processes sharing the database) without waking it. Default 2 s.
	PollInterval time.Duration
	// Retention is how long delivered and failed deliveries stay in the
	// delivery log; default 30 days.
	Retention time.Duration
	BatchSize int              // deliveries per pass; default 20
	Logger    *slog.Logger     // default: discard
	Now       func() time.Time // default time.Now
}

// WebhookWorker delivers the webhook queue: a POST of the stored payload,
// signed, to each endpoint. Delivery is at least once (receivers deduplicate
// on the event id); run one worker per database.
type WebhookWorker struct {
	store   *models.Store
	client  *http.Client
	backoff []time.Duration
	poll    time.Duration
	keep    time.Duration
	batch   int
	log     *slog.Logger
	now     func() time.Time
	kick    chan struct{}

	pass       sync.Mutex
	lastPruned time.Time
}

// NewWebhookWorker returns a worker for store's webhook queue.
func NewWebhookWorker(store *models.Store, opt WebhookWorkerOptions) *WebhookWorker {
	w := &WebhookWorker{store: store, client: opt.Client, backoff: slices.Clone(opt.Backoff), poll: opt.PollInterval,
		keep: opt.Retention, batch: opt.BatchSize, log: opt.Logger, now: opt.Now, kick: make(chan struct{}, 1)}
	if w.client == nil {
		w.client = &http.Client{Timeout: 10 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if len(w.backoff) == 0 {
		w.backoff = slices.Clone(DefaultWebhookBackoff)
	}
	if w.poll <= 0 {
		w.poll = 2 * time.Second
	}
	if w.keep <= 0 {
		w.keep = 30 * 24 * time.Hour
	}
	if w.batch <= 0 {
		w.batch = 20
	}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	w.log = w.log.With("subsystem", "webhooks")
	if w.now == nil {
		w.now = time.Now
	}
	return w
}

// Kick wakes the worker now (non-blocking).
func (w *WebhookWorker) Kick() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// Run delivers due deliveries until ctx is cancelled. It wakes on Kick, when
// the next retry is due, and at least every PollInterval; database errors
// are logged and retried with a growing pause. It returns nil on cancel.
func (w *WebhookWorker) Run(ctx context.Context) error {
	w.log.Info("webhook worker started")
	defer w.log.Info("webhook worker stopped")
	worker.Loop(ctx, w.kick, w.log, time.Minute, w.runPass)
	return nil
}

func (w *WebhookWorker) runPass(ctx context.Context) (time.Duration, error) {
	n, err := w.DeliverDue(ctx)
	if err != nil {
		return 0, err
	}
	if n >= w.batch {
		return 0, nil
	}
	if now := w.now(); now.Sub(w.lastPruned) > time.Hour {
		if _, err := w.store.PruneWebhookDeliveries(ctx, now.UTC().Add(-w.keep)); err != nil {
			return 0, fmt.Errorf("prune webhook deliveries: %w", err)
		}
		w.lastPruned = now
	}
	next, ok, err := w.store.NextWebhookAttempt(ctx)
	if err != nil || !ok {
		return w.poll, err
	}
	return min(max(next.Sub(w.now()), 0), w.poll), nil
}

// DeliverDue makes one attempt at every due delivery (up to the batch size)
// and returns how many were attempted. A failing receiver does not fail the
// pass; the error is for the database and for ctx.
func (w *WebhookWorker) DeliverDue(ctx context.Context) (int, error) {
	w.pass.Lock()
	defer w.pass.Unlock()
	due, err := w.store.DueWebhookDeliveries(ctx, w.now().UTC(), w.batch)
	if err != nil {
		return 0, fmt.Errorf("load due webhook deliveries: %w", err)
	}
	for i := range due {
		if err := ctx.Err(); err != nil {
			return i, err
		}
		if err := w.deliver(ctx, &due[i]); err != nil {
			return i, err
		}
	}
	return len(due), nil
}

// deliver makes one attempt and records its outcome.
func (w *WebhookWorker) deliver(ctx context.Context, d *models.WebhookDelivery) error {
	log := w.log.With("delivery_id", d.ID, "event", d.Event, "event_id", d.EventID, "endpoint_id", d.EndpointID,
		"attempt", d.Attempts+1)
	code, sendErr := w.send(ctx, d)
	recordCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	at := w.now().UTC()
	if sendErr == nil {
		if err := w.store.MarkWebhookDelivered(recordCtx, d.ID, code, at); err != nil {
			return fmt.Errorf("mark webhook delivery %d delivered: %w", d.ID, err)
		}
		log.Info("webhook delivered", "status", code)
		return nil
	}
	if ctx.Err() != nil {
		log.Info("webhook attempt interrupted by shutdown", "err", sendErr)
		return nil // still due: the next start sends it
	}
	var next time.Time
	if attempt := d.Attempts + 1; attempt <= len(w.backoff) {
		next = at.Add(w.backoff[attempt-1])
		log.Warn("webhook delivery failed; will retry", "status", code, "err", sendErr, "next_attempt_at", next)
	} else {
		log.Warn("webhook delivery failed after its last retry; marked failed", "status", code, "err", sendErr)
	}
	if err := w.store.MarkWebhookAttemptFailed(recordCtx, d.ID, code, sendErr.Error(), at, next); err != nil {
		return fmt.Errorf("record failed attempt of webhook delivery %d: %w", d.ID, err)
	}
	return nil
}

// send POSTs the payload; code is the HTTP status (0 without an answer).
func (w *WebhookWorker) send(ctx context.Context, d *models.WebhookDelivery) (code int, err error) {
	if !d.Endpoint.Active {
		return 0, fmt.Errorf("endpoint %d is disabled", d.EndpointID)
	}
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Endpoint.URL, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "warrantydesk-webhooks/1")
	req.Header.Set(HeaderWebhookEvent, d.Event)
	req.Header.Set(HeaderWebhookDelivery, d.EventID)
	req.Header.Set(HeaderWebhookTimestamp, strconv.FormatInt(w.now().Unix(), 10))
	req.Header.Set(HeaderWebhookSignature, SignWebhook([]byte(d.Endpoint.Secret), body))
	res, err := w.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	// A little of the answer helps whoever reads the delivery log.
	snippet, _ := io.ReadAll(io.LimitReader(res.Body, 300))
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20))
	if res.StatusCode < 200 || res.StatusCode > 299 {
		msg := "HTTP " + res.Status
		if s := strings.TrimSpace(strings.ToValidUTF8(string(snippet), "")); s != "" {
			msg += ": " + s
		}
		return res.StatusCode, fmt.Errorf("%s", msg)
	}
	return res.StatusCode, nil
}
