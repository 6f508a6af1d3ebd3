package models

import (
	"context"
	"fmt"
	"time"
)

// EnqueueMail stores an outgoing mail for the delivery worker.
func (s *Store) EnqueueMail(ctx context.Context, m *OutboxMail) error {
	m.Status = OutboxQueued
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = time.Now().UTC()
	}
	db := s.w.WithContext(ctx)
	if m.ID != 0 {
		if err := db.Create(m).Error; err != nil {
			return fmt.Errorf("enqueue mail %q: %w", m.Subject, err)
		}
		return nil
	}
	if m.CreatedAt.IsZero() || m.UpdatedAt.IsZero() {
		now := db.NowFunc()
		if m.CreatedAt.IsZero() {
			m.CreatedAt = now
		}
		if m.UpdatedAt.IsZero() {
			m.UpdatedAt = now
		}
	}
	id, err := insertReturningID(ctx, db, "outbox_mails", outboxColumns, outboxValues(m))
	if err != nil {
		return fmt.Errorf("enqueue mail %q: %w", m.Subject, err)
	}
	m.ID = id
	return nil
}

// DueOutbox returns queued mails whose next attempt is due, oldest first.
func (s *Store) DueOutbox(ctx context.Context, now time.Time, limit int) ([]OutboxMail, error) {
	var out []OutboxMail
	err := s.r.WithContext(ctx).Where("status = ? AND next_attempt_at <= ?", OutboxQueued, now).
		Order("next_attempt_at, id").Limit(limit).Find(&out).Error
	return out, err
}

// NextOutboxAttempt returns when the earliest queued mail is due (ok=false when none is queued).
func (s *Store) NextOutboxAttempt(ctx context.Context) (at time.Time, ok bool, err error) {
	var m OutboxMail
	res := s.r.WithContext(ctx).Select("next_attempt_at").Where("status = ?", OutboxQueued).
		Order("next_attempt_at").Limit(1).Find(&m)
	if res.Error != nil || res.RowsAffected == 0 {
		return time.Time{}, false, res.Error
	}
	return m.NextAttemptAt, true, nil
}

// MarkOutboxSent records a successful delivery.
func (s *Store) MarkOutboxSent(ctx context.Context, id uint, at time.Time) error {
	return s.w.WithContext(ctx).Model(&OutboxMail{}).Where("id = ?", id).Updates(map[string]any{
		"status": OutboxSent, "sent_at": at, "last_error": "", "attempts": gormIncrement,
	}).Error
}

// MarkOutboxFailedAttempt records a failed attempt; when next is zero the mail
// is given up (status failed), otherwise it is retried at next.
func (s *Store) MarkOutboxFailedAttempt(ctx context.Context, id uint, lastErr string, next time.Time) error {
	if len(lastErr) > 1000 {
		lastErr = lastErr[:1000]
	}
	fields := map[string]any{"last_error": lastErr, "attempts": gormIncrement}
	if next.IsZero() {
		fields["status"] = OutboxFailed
	} else {
		fields["next_attempt_at"] = next
	}
	return s.w.WithContext(ctx).Model(&OutboxMail{}).Where("id = ?", id).Updates(fields).Error
}

// RequeueFailedOutbox puts a failed mail back in the queue now; ok is false
// when the mail is not in the failed state.
func (s *Store) RequeueFailedOutbox(ctx context.Context, id uint) (ok bool, err error) {
	res := s.w.WithContext(ctx).Model(&OutboxMail{}).Where("id = ? AND status = ?", id, OutboxFailed).
		Updates(map[string]any{"status": OutboxQueued, "next_attempt_at": time.Now().UTC()})
	return res.RowsAffected == 1, res.Error
}

// ListOutbox returns outgoing mails, newest first, and the total count.
func (s *Store) ListOutbox(ctx context.Context, status string, limit, offset int) ([]OutboxMail, int64, error) {
	q := s.r.WithContext(ctx).Model(&OutboxMail{}).Omit("raw")
	if status != "" {
		q = q.Where("status = ?", status)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []OutboxMail
	err := q.Order("id DESC").Limit(limit).Offset(max(offset, 0)).Find(&out).Error
	return out, total, err
}

// OutboxByIDs loads delivery records (without raw bytes) by id.
func (s *Store) OutboxByIDs(ctx context.Context, ids []uint) (map[uint]OutboxMail, error) {
	out := map[uint]OutboxMail{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []OutboxMail
	if err := s.r.WithContext(ctx).Omit("raw").Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = r
	}
	return out, nil
}

// OutboxByMessageID finds an outgoing mail by its Message-ID (for bounces).
func (s *Store) OutboxByMessageID(ctx context.Context, messageID string) (*OutboxMail, error) {
	var m OutboxMail
	if err := s.r.WithContext(ctx).Omit("raw").Where("message_id = ?", messageID).First(&m).Error; err != nil {
		return nil, notFound(err)
	}
	return &m, nil
}

var gormIncrement = gormExpr("attempts + 1")

// CountOutboxByStatus counts outgoing mails per status.
func (s *Store) CountOutboxByStatus(ctx context.Context) (map[string]int64, error) {
	return s.countBy(ctx, &OutboxMail{}, "status")
}
