package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"time"

	"warrantydesk/models"
)

// Thread is the answer of the thread stage: which ticket a mail belongs to.
type Thread struct {
	TicketID uint   // 0 = no ticket: the mail opens a new one
	Number   int64  // the ticket's number when TicketID != 0
	By       string // how it was found: "message-id", "references", "plus-address", "subject-tag", "case-ref"
	// VendorID is set when the sender is a known vendor.
	VendorID uint
	// ForgedTag is a [#N] subject tag of an existing ticket whose parties do
	// not include the sender; the mail must not be appended to it.
	ForgedTag int64
}

// Result is the outcome of the apply stage for one mail.
type Result struct {
	Outcome  string // models.OutcomeCreated, OutcomeAppended, OutcomeIgnored, OutcomeQuarantined
	Reason   string
	TicketID *uint
}

// Desk is the domain side of the pipeline: the thread and apply stages.
type Desk interface {
	// Thread finds the ticket a mail belongs to.
	Thread(ctx context.Context, p *Parsed) (Thread, error)
	// Apply creates or appends to a ticket inside tx, the same transaction
	// that records the intake outcome, so a crash never half-applies a mail.
	Apply(ctx context.Context, tx *models.Store, rec *models.IntakeRecord, p *Parsed, th Thread) (Result, error)
	// AfterCommit runs after a batch of applied mails is committed (e.g. to wake the outbox).
	AfterCommit()
}

// Processor runs the stages after "store raw" for every pending intake
// record: parse → classify → thread → apply.
type Processor struct {
	store *models.Store
	desk  Desk
	opt   ClassifyOptions
	log   *slog.Logger
	kick  chan struct{}
}

// NewProcessor wires the processing stages.
func NewProcessor(store *models.Store, desk Desk, opt ClassifyOptions, logger *slog.Logger) *Processor {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Processor{store: store, desk: desk, opt: opt, log: logger.With("subsystem", "intake"), kick: make(chan struct{}, 1)}
}

// Kick wakes Run now (non-blocking).
func (p *Processor) Kick() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run processes pending mail whenever kicked, and at least every interval,
// until ctx is cancelled.
func (p *Processor) Run(ctx context.Context, interval time.Duration) error {
	backoff := time.Second
	for {
		if _, err := p.ProcessPending(ctx); err != nil && ctx.Err() == nil {
			p.log.Error("processing intake", "err", err, "retry_in", backoff)
			backoff = min(backoff*2, time.Minute)
		} else {
			backoff = time.Second
		}
		wait := interval
		if backoff > time.Second {
			wait = backoff
		}
		select {
		case <-ctx.Done():
			return nil
		case <-p.kick:
		case <-time.After(wait):
		}
	}
}

// ProcessPending processes every pending intake record and returns how many it finished.
func (p *Processor) ProcessPending(ctx context.Context) (int, error) {
	done := 0
	for {
		recs, err := p.store.PendingIntake(ctx, 100)
		if err != nil {
			return done, fmt.Errorf("list pending intake: %w", err)
		}
		if len(recs) == 0 {
			return done, nil
		}
		for i := range recs {
			if err := p.processOne(ctx, &recs[i]); err != nil {
				return done, err
			}
			done++
		}
		p.desk.AfterCommit()
	}
}

// processOne runs the stages for one record. Its outcome is written in the
// same transaction as the ticket changes, so processing is idempotent.
func (p *Processor) processOne(ctx context.Context, rec *models.IntakeRecord) error {
	log := p.log.With("intake_id", rec.ID, "uid", rec.UID)
	if twin, err := p.store.ProcessedTwin(ctx, rec); err == nil {
		rec.Outcome, rec.Reason, rec.DuplicateOf = models.OutcomeIgnored, fmt.Sprintf("duplicate of intake #%d (same Message-ID and content)", twin.ID), &twin.ID
		rec.TicketID = twin.TicketID
		return p.store.FinishIntake(ctx, rec)
	} else if !errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("check duplicate of intake #%d: %w", rec.ID, err)
	}
	raw, err := p.store.Blob(ctx, rec.SHA256)
	if err != nil {
		return fmt.Errorf("load raw mail of intake #%d: %w", rec.ID, err)
	}
	parsed, err := p.parse(raw)
	if err != nil {
		rec.Outcome, rec.Reason = models.OutcomeQuarantined, err.Error()
		log.Warn("mail quarantined", "reason", rec.Reason)
		return p.store.FinishIntake(ctx, rec)
	}
	rec.MessageID, rec.FromEmail, rec.Subject, rec.Class = parsed.MessageID, parsed.From.Email, clip(parsed.Subject, 500), parsed.Class
	th, err := p.desk.Thread(ctx, parsed)
	if err != nil {
		return fmt.Errorf("thread intake #%d: %w", rec.ID, err)
	}
	err = p.store.Tx(ctx, func(tx *models.Store) error {
		res, err := p.desk.Apply(ctx, tx, rec, parsed, th)
		if err != nil {
			return err
		}
		rec.Outcome, rec.Reason, rec.TicketID = res.Outcome, res.Reason, res.TicketID
		return tx.FinishIntake(ctx, rec)
	})
	if err == nil {
		log.Info("mail processed", "outcome", rec.Outcome, "reason", rec.Reason, "class", rec.Class)
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	// The mail itself is the problem (the transaction rolled back): park it
	// with the reason so an agent can look, and carry on with the next one.
	rec.Outcome, rec.Reason, rec.TicketID = models.OutcomeQuarantined, "could not apply: "+err.Error(), nil
	log.Error("mail quarantined", "err", err)
	return p.store.FinishIntake(ctx, rec)
}

// parse runs the parse and classify stages, turning a panic on hostile input
// into a quarantine reason instead of a crash.
func (p *Processor) parse(raw []byte) (parsed *Parsed, err error) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("parser panic", "panic", r, "stack", string(debug.Stack()))
			parsed, err = nil, fmt.Errorf("parser failed on this mail: %v", r)
		}
	}()
	parsed, err = Parse(raw)
	if err != nil {
		return nil, err
	}
	Classify(parsed, p.opt)
	return parsed, nil
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
