package models

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SHA256Hex returns the hex SHA-256 of b, the key of a Blob.
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// PutBlob stores bytes by content hash (a no-op when already present) and returns the hash.
func (s *Store) PutBlob(ctx context.Context, data []byte) (string, error) {
	sum := SHA256Hex(data)
	return sum, s.PutBlobSum(ctx, sum, data)
}

// PutBlobSum is PutBlob for data whose SHA256Hex the caller computed already
// (intake hashes attachments while parsing, off the writer).
func (s *Store) PutBlobSum(ctx context.Context, sum string, data []byte) error {
	b := Blob{SHA256: sum, Data: data, Size: int64(len(data)), CreatedAt: time.Now().UTC()}
	if err := insertNew(ctx, s.w.WithContext(ctx), "blobs", blobColumns, blobValues(&b)); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	return nil
}

// Blob loads bytes by content hash. It reads the one column by primary key
// (intake reads every raw mail through it; the generic First cost a fifth
// of the parse stage).
func (s *Store) Blob(ctx context.Context, sum string) ([]byte, error) {
	var data []byte
	if err := s.r.WithContext(ctx).Raw("SELECT data FROM blobs WHERE sha256 = ?", sum).Row().Scan(&data); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, ErrNotFound
		}
		return nil, fmt.Errorf("read blob %s: %w", sum, err)
	}
	return data, nil
}

// Cursor returns how far intake has read a mailbox (zero values when never read).
func (s *Store) Cursor(ctx context.Context, mailbox string) (MailboxCursor, error) {
	var c MailboxCursor
	err := s.r.WithContext(ctx).First(&c, "mailbox = ?", mailbox).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return MailboxCursor{Mailbox: mailbox}, nil
	}
	return c, err
}

// Cursors returns every mailbox cursor.
func (s *Store) Cursors(ctx context.Context) ([]MailboxCursor, error) {
	var out []MailboxCursor
	err := s.r.WithContext(ctx).Order("mailbox").Find(&out).Error
	return out, err
}

// ResetCursor starts a mailbox over under a new UIDVALIDITY (RFC 3501 §2.3.1.1):
// every UID is re-read, and duplicates are caught by Message-ID and content hash.
func (s *Store) ResetCursor(ctx context.Context, mailbox string, uidValidity uint32) error {
	c := MailboxCursor{Mailbox: mailbox, UIDValidity: uidValidity, LastUID: 0}
	return s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "mailbox"}},
		DoUpdates: clause.AssignmentColumns([]string{"uid_validity", "last_uid", "updated_at"}),
	}).Create(&c).Error
}

// FetchedMail is one raw mail just read from a mailbox.
type FetchedMail struct {
	UID       uint32
	Raw       []byte
	MessageID string // from a quick header read; may be empty
	FromEmail string
	Subject   string
	// Outcome and Reason pre-decide the record (e.g. quarantined: too large); empty = pending.
	Outcome string
	Reason  string
}

// RecordFetched stores a batch of raw mails and their pending intake records,
// and advances the mailbox cursor, in one transaction: after it returns, the
// mails are safe whatever happens next. A UID already recorded is skipped.
// It returns the IDs of the records created.
func (s *Store) RecordFetched(ctx context.Context, mailbox string, uidValidity uint32, mails []FetchedMail) ([]uint, error) {
	var ids []uint
	// Hashed before the write transaction: the one writer is intake's bottleneck.
	sums := make([]string, len(mails))
	for i, m := range mails {
		sums[i] = SHA256Hex(m.Raw)
	}
	err := s.w.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := lockWrites(tx); err != nil {
			return err
		}
		now := time.Now().UTC()
		var lastUID uint32
		for i, m := range mails {
			lastUID = max(lastUID, m.UID)
			sum := sums[i]
			blob := Blob{SHA256: sum, Data: m.Raw, Size: int64(len(m.Raw)), CreatedAt: now}
			if err := insertNew(ctx, tx, "blobs", blobColumns, blobValues(&blob)); err != nil {
				return fmt.Errorf("store raw mail uid %d: %w", m.UID, err)
			}
			outcome := m.Outcome
			if outcome == "" {
				outcome = OutcomePending
			}
			rec := IntakeRecord{
				Mailbox: mailbox, UIDValidity: uidValidity, UID: m.UID, MessageID: m.MessageID, SHA256: sum,
				Size: int64(len(m.Raw)), FromEmail: m.FromEmail, Subject: m.Subject, Outcome: outcome,
				Reason: m.Reason, FetchedAt: now,
			}
			if outcome != OutcomePending {
				rec.ProcessedAt = &now
			}
			id, inserted, err := insertNewReturningID(ctx, tx, "intake_records", intakeColumns, intakeValues(&rec))
			if err != nil {
				return fmt.Errorf("record mail uid %d: %w", m.UID, err)
			}
			if inserted {
				ids = append(ids, id)
			}
		}
		c := MailboxCursor{Mailbox: mailbox, UIDValidity: uidValidity, LastUID: lastUID, LastFetchAt: &now}
		return tx.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "mailbox"}},
			DoUpdates: clause.Assignments(map[string]any{
				"uid_validity":  uidValidity,
				"last_uid":      gorm.Expr(greatestSQL(tx, "mailbox_cursors.last_uid", "?"), lastUID),
				"last_fetch_at": now,
				"updated_at":    now,
			}),
		}).Create(&c).Error
	})
	if err == nil {
		s.ckpt.written()
	}
	return ids, err
}

// NoteFetchOK records a successful pass over a mailbox and clears its error.
func (s *Store) NoteFetchOK(ctx context.Context, mailbox string, uidValidity uint32) error {
	now := time.Now().UTC()
	c := MailboxCursor{Mailbox: mailbox, UIDValidity: uidValidity, LastFetchAt: &now}
	return s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "mailbox"}},
		DoUpdates: clause.Assignments(map[string]any{"last_fetch_at": now, "last_error": "", "updated_at": now}),
	}).Create(&c).Error
}

// NoteFetchError records the last intake error of a mailbox.
func (s *Store) NoteFetchError(ctx context.Context, mailbox string, fetchErr error) error {
	now := time.Now().UTC()
	msg := fetchErr.Error()
	if len(msg) > 1000 {
		msg = msg[:1000]
	}
	c := MailboxCursor{Mailbox: mailbox, LastError: msg, LastErrorAt: &now}
	return s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "mailbox"}},
		DoUpdates: clause.Assignments(map[string]any{"last_error": msg, "last_error_at": now, "updated_at": now}),
	}).Create(&c).Error
}

// PendingIntake returns up to limit records still waiting to be processed, oldest first.
func (s *Store) PendingIntake(ctx context.Context, limit int) ([]IntakeRecord, error) {
	var out []IntakeRecord
	err := s.r.WithContext(ctx).Where("outcome = ?", OutcomePending).Order("id").Limit(limit).Find(&out).Error
	return out, err
}

// ProcessedTwin returns an earlier, already processed record of the same mail
// (same Message-ID and content hash), or ErrNotFound. Only the twin's ID and
// TicketID are loaded when it comes from the database. Intake asks this for
// every mail, hence the plain query — or none, when the batch's
// DeferredWrites preloaded the mail's twins (PreloadTwins).
func (s *Store) ProcessedTwin(ctx context.Context, rec *IntakeRecord) (*IntakeRecord, error) {
	var twin IntakeRecord
	var err error
	d := deferredOf(ctx)
	if stored, loaded := d.storedTwin(rec); loaded {
		if stored == nil {
			err = ErrNotFound
		} else {
			twin = IntakeRecord{ID: stored.ID, TicketID: stored.TicketID}
		}
	} else {
		query := "SELECT id, ticket_id FROM intake_records WHERE sha256 = ? AND id <> ? AND outcome <> ? AND duplicate_of IS NULL"
		args := []any{rec.SHA256, rec.ID, OutcomePending}
		if rec.MessageID != "" {
			query += " AND message_id = ?"
			args = append(args, rec.MessageID)
		}
		err = queryRow(ctx, s.w, query+" ORDER BY id LIMIT 1", args...).Scan(&twin.ID, &twin.TicketID)
		if errors.Is(err, sql.ErrNoRows) {
			err = ErrNotFound
		}
	}
	if d != nil {
		// Records finished earlier in this batch are not written yet.
		for i := range d.finished {
			f := &d.finished[i]
			if f.SHA256 == rec.SHA256 && f.ID != rec.ID && f.DuplicateOf == nil && (rec.MessageID == "" || f.MessageID == rec.MessageID) &&
				(err != nil || f.ID < twin.ID) {
				twin, err = *f, nil
			}
		}
	}
	if err != nil {
		return nil, notFound(err)
	}
	return &twin, nil
}

// FinishIntake records the outcome of one processed mail.
func (s *Store) FinishIntake(ctx context.Context, rec *IntakeRecord) error {
	now := time.Now().UTC()
	rec.ProcessedAt = &now
	if len(rec.Reason) > 1000 {
		rec.Reason = rec.Reason[:1000]
	}
	if d := deferredOf(ctx); d != nil {
		d.finished = append(d.finished, *rec)
		return nil
	}
	return s.w.WithContext(ctx).Model(&IntakeRecord{}).Where("id = ?", rec.ID).Updates(map[string]any{
		"outcome": rec.Outcome, "reason": rec.Reason, "class": rec.Class, "ticket_id": rec.TicketID,
		"duplicate_of": rec.DuplicateOf, "from_email": rec.FromEmail, "subject": rec.Subject,
		"message_id": rec.MessageID, "processed_at": now,
	}).Error
}

// finishIntakes records the outcomes of processed mails, a hundred per
// statement; recs are whole records as loaded, with their outcome set.
func (s *Store) finishIntakes(ctx context.Context, recs []IntakeRecord) error {
	if len(recs) == 0 {
		return nil
	}
	err := s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns: []clause.Column{{Name: "id"}},
		DoUpdates: clause.AssignmentColumns([]string{"outcome", "reason", "class", "ticket_id", "duplicate_of",
			"from_email", "subject", "message_id", "processed_at"}),
	}).CreateInBatches(&recs, 100).Error
	if err != nil {
		return fmt.Errorf("record the outcome of %d mails: %w", len(recs), err)
	}
	return nil
}

// IntakeFilter selects intake records.
type IntakeFilter struct {
	Outcome string
	Limit   int
	Offset  int
}

// ListIntake returns intake records, newest first, and the total count.
func (s *Store) ListIntake(ctx context.Context, f IntakeFilter) ([]IntakeRecord, int64, error) {
	q := s.r.WithContext(ctx).Model(&IntakeRecord{})
	if f.Outcome != "" {
		q = q.Where("outcome = ?", f.Outcome)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []IntakeRecord
	err := q.Order("id DESC").Limit(limit).Offset(max(f.Offset, 0)).Find(&out).Error
	return out, total, err
}

// IntakeByID loads one intake record.
func (s *Store) IntakeByID(ctx context.Context, id uint) (*IntakeRecord, error) {
	var r IntakeRecord
	if err := s.r.WithContext(ctx).First(&r, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// CountIntakeByOutcome counts intake records per outcome.
func (s *Store) CountIntakeByOutcome(ctx context.Context) (map[string]int64, error) {
	return s.countBy(ctx, &IntakeRecord{}, "outcome")
}

// RequeueIntake marks a record pending again so the processor runs it anew.
func (s *Store) RequeueIntake(ctx context.Context, id uint) error {
	return s.w.WithContext(ctx).Model(&IntakeRecord{}).Where("id = ?", id).
		Updates(map[string]any{"outcome": OutcomePending, "reason": "", "processed_at": nil, "ticket_id": nil}).Error
}

// PendingIntakeAfter returns up to limit pending records with an id above afterID, oldest first.
func (s *Store) PendingIntakeAfter(ctx context.Context, afterID uint, limit int) ([]IntakeRecord, error) {
	var out []IntakeRecord
	err := s.r.WithContext(ctx).Where("outcome = ? AND id > ?", OutcomePending, afterID).Order("id").Limit(limit).Find(&out).Error
	return out, err
}
