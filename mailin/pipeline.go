package mailin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
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
	// Thread finds the ticket a mail belongs to, reading through tx so that
	// it sees tickets created earlier in the same batch.
	Thread(ctx context.Context, tx *models.Store, p *Parsed) (Thread, error)
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

// processBatch is how many mails are applied in one write transaction: one
// commit per batch instead of per mail.
const processBatch = 200

// ProcessPending processes every pending intake record and returns how many
// it finished. Parsing the next batch overlaps with applying the current one
// (the single SQLite writer); once the writer is done it helps parse.
func (p *Processor) ProcessPending(ctx context.Context) (int, error) {
	done := 0
	var afterID uint
	load := func() (*preparation, error) {
		recs, err := p.store.PendingIntakeAfter(ctx, afterID, processBatch)
		if err != nil {
			return nil, fmt.Errorf("list pending intake: %w", err)
		}
		if len(recs) > 0 {
			afterID = recs[len(recs)-1].ID
		}
		return p.prepare(ctx, recs), nil
	}
	cur, err := load()
	if err != nil {
		return 0, err
	}
	for items := cur.finish(ctx); len(items) > 0; items = cur.finish(ctx) {
		if cur, err = load(); err != nil {
			return done, err
		}
		if err := p.applyBatch(ctx, items); err != nil {
			cur.finish(ctx) // let its parsers end
			return done, err
		}
		done += len(items)
		p.desk.AfterCommit()
	}
	return done, nil
}

// pending is one intake record on its way through the stages.
type pending struct {
	rec     *models.IntakeRecord
	parsed  *Parsed
	loadErr error // the raw mail could not be read (a database problem: retry later)
	bad     error // the mail itself could not be parsed (quarantine it)
}

// preparation is a batch being loaded, parsed and classified in the background.
type preparation struct {
	p     *Processor
	recs  []models.IntakeRecord
	items []pending
	next  atomic.Int64 // the next item to take
	wg    sync.WaitGroup
}

// prepare starts loading, parsing and classifying a batch in parallel: these
// stages need no database writes, and parsing is where the CPU goes.
//
// It leaves one core to the writer, which applies the previous batch
// meanwhile and is the pipeline's critical path: a long SQLite (cgo) call
// can lose the writer its core, and with a parser on every core it then
// waited for a parser's time slice to end before going on. The writer joins
// in when it is done (finish).
func (p *Processor) prepare(ctx context.Context, recs []models.IntakeRecord) *preparation {
	b := &preparation{p: p, recs: recs, items: make([]pending, len(recs))}
	for range min(max(runtime.GOMAXPROCS(0)-1, 1), len(recs)) {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.work(ctx)
		}()
	}
	return b
}

// work prepares items until none is left to take.
func (b *preparation) work(ctx context.Context) {
	for {
		i := int(b.next.Add(1) - 1)
		if i >= len(b.recs) {
			return
		}
		it := &b.items[i]
		it.rec = &b.recs[i]
		raw, err := b.p.store.Blob(ctx, it.rec.SHA256)
		if err != nil {
			it.loadErr = fmt.Errorf("load raw mail of intake #%d: %w", it.rec.ID, err)
			continue
		}
		it.parsed, it.bad = b.p.parse(raw)
	}
}

// finish helps prepare what is left and returns the prepared batch.
func (b *preparation) finish(ctx context.Context) []pending {
	b.work(ctx)
	b.wg.Wait()
	return b.items
}

// applyBatch applies a batch of mails in one write transaction.
//
// The first attempt applies them one after the other without a savepoint
// each: a savepoint makes SQLite copy every database page a mail touches into
// a statement journal, which costs more than the mail's own writes. When a
// mail fails, that attempt is rolled back whole and the batch is applied again
// with a savepoint per mail, so that only the failing mail is quarantined and
// the others land.
func (p *Processor) applyBatch(ctx context.Context, items []pending) error {
	err := p.store.Tx(ctx, func(tx *models.Store) error {
		// Intake never changes vendors, rules or webhook endpoints: read them once per batch.
		ctx := models.WithBatchCache(ctx)
		// Rows nobody reads back during the batch are written at its end.
		ctx, deferred := models.WithDeferredWrites(ctx)
		// The acknowledgement limit counts what each sender was sent in the
		// last hour: one query for the whole batch instead of one per sender.
		if err := deferred.PreloadAcks(ctx, tx, batchSenders(items), time.Now().Add(-time.Hour)); err != nil {
			return err
		}
		// Likewise the duplicate check: one query for the batch's stored twins.
		if err := deferred.PreloadTwins(ctx, tx, batchMailKeys(items)); err != nil {
			return err
		}
		for i := range items {
			if err := p.applyOne(ctx, tx, &items[i], false); err != nil {
				return err
			}
		}
		if err := deferred.Flush(ctx, tx); err != nil {
			// Whatever row broke it, applying mail by mail finds its mail.
			return &mailFailure{err: err}
		}
		return nil
	})
	var failed *mailFailure
	if !errors.As(err, &failed) {
		return err
	}
	p.log.Warn("a batch could not be applied at once; applying it again mail by mail",
		"intake_id", failed.intakeID, "err", failed.err, "batch", len(items))
	return p.store.Tx(ctx, func(tx *models.Store) error {
		ctx := models.WithBatchCache(ctx)
		for i := range items {
			if err := p.applyOne(ctx, tx, &items[i], true); err != nil {
				return err
			}
		}
		return nil
	})
}

// batchSenders returns the sender addresses of the parsed mails of a batch.
func batchSenders(items []pending) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		if it.parsed != nil && it.parsed.From.Email != "" {
			out = append(out, it.parsed.From.Email)
		}
	}
	return out
}

// batchMailKeys returns the duplicate-check keys of the parsed mails of a
// batch, as applyOne records them.
func batchMailKeys(items []pending) []models.MailKey {
	out := make([]models.MailKey, 0, len(items))
	for _, it := range items {
		if it.parsed != nil && it.bad == nil && it.loadErr == nil {
			out = append(out, models.MailKey{MessageID: recordedMessageID(it.parsed), SHA256: it.rec.SHA256})
		}
	}
	return out
}

// recordedMessageID is the Message-ID an intake record keeps of a mail.
func recordedMessageID(p *Parsed) string { return clip(p.MessageID, 500) }

// mailFailure is a mail the thread or apply stage failed on, in the first
// (savepoint-free) attempt at a batch; intakeID 0 when writing the batch's
// deferred rows failed.
type mailFailure struct {
	intakeID uint
	err      error
}

func (e *mailFailure) Error() string {
	if e.intakeID == 0 {
		return fmt.Sprintf("write the batch's deferred rows: %v", e.err)
	}
	return fmt.Sprintf("apply intake #%d: %v", e.intakeID, e.err)
}

func (e *mailFailure) Unwrap() error { return e.err }

// applyOne runs the thread and apply stages for one mail inside the batch
// transaction. Its outcome is written in the same transaction as the ticket
// changes, so processing is idempotent. With isolate, the mail runs in a
// savepoint and a mail that cannot be applied is rolled back to it and
// quarantined with the reason; without, such a mail fails the whole
// transaction with a *mailFailure.
func (p *Processor) applyOne(ctx context.Context, tx *models.Store, it *pending, isolate bool) error {
	rec := it.rec
	log := p.log.With("intake_id", rec.ID, "uid", rec.UID)
	if it.loadErr != nil {
		return it.loadErr
	}
	if it.bad != nil {
		rec.Outcome, rec.Reason = models.OutcomeQuarantined, it.bad.Error()
		log.Warn("mail quarantined", "reason", rec.Reason)
		return tx.FinishIntake(ctx, rec)
	}
	parsed := it.parsed
	rec.MessageID, rec.FromEmail, rec.Subject, rec.Class = recordedMessageID(parsed), clip(parsed.From.Email, 320), clip(parsed.Subject, 500), parsed.Class
	rec.Outcome, rec.Reason, rec.TicketID, rec.DuplicateOf = "", "", nil, nil
	if twin, err := tx.ProcessedTwin(ctx, rec); err == nil {
		rec.Outcome, rec.Reason, rec.DuplicateOf = models.OutcomeIgnored, fmt.Sprintf("duplicate of intake #%d (same Message-ID and content)", twin.ID), &twin.ID
		rec.TicketID = twin.TicketID
		return tx.FinishIntake(ctx, rec)
	} else if !errors.Is(err, models.ErrNotFound) {
		return fmt.Errorf("check duplicate of intake #%d: %w", rec.ID, err)
	}
	apply := func(sp *models.Store) error {
		th, err := p.desk.Thread(ctx, sp, parsed)
		if err != nil {
			return fmt.Errorf("thread: %w", err)
		}
		res, err := p.desk.Apply(ctx, sp, rec, parsed, th)
		if err != nil {
			return err
		}
		rec.Outcome, rec.Reason, rec.TicketID = res.Outcome, res.Reason, res.TicketID
		return sp.FinishIntake(ctx, rec)
	}
	var err error
	if isolate {
		err = tx.Tx(ctx, apply)
	} else {
		err = apply(tx)
	}
	if err == nil {
		log.Debug("mail processed", "outcome", rec.Outcome, "reason", rec.Reason, "class", rec.Class)
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if !isolate {
		return &mailFailure{intakeID: rec.ID, err: err}
	}
	rec.Outcome, rec.Reason, rec.TicketID = models.OutcomeQuarantined, "could not apply: "+err.Error(), nil
	log.Error("mail quarantined", "err", err)
	return tx.FinishIntake(ctx, rec)
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
	// The search index's text is computed here, on a parse worker, rather than by the writer.
	parsed.SearchText = p.store.SearchText(parsed.Text)
	parsed.searchTextSet = true
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
