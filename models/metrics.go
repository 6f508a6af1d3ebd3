package models

import (
	"context"
	"time"
)

// QueueStats describes a durable queue for /metrics.
type QueueStats struct {
	// Depth counts the entries waiting for delivery (due or backing off).
	Depth int64
	// Retrying counts the waiting entries that already failed at least once.
	Retrying int64
	// Oldest is when the oldest waiting entry was queued (zero when empty).
	Oldest time.Time
}

// OldestPendingIntake returns when the oldest mail still waiting for the
// processor was fetched (ok=false when none is waiting): the intake lag.
func (s *Store) OldestPendingIntake(ctx context.Context) (at time.Time, ok bool, err error) {
	var rec IntakeRecord
	res := s.r.WithContext(ctx).Select("fetched_at").Where("outcome = ?", OutcomePending).
		Order("fetched_at").Limit(1).Find(&rec)
	if res.Error != nil || res.RowsAffected == 0 {
		return time.Time{}, false, res.Error
	}
	return rec.FetchedAt, true, nil
}

// OutboxQueueStats describes the mail outbox's queue.
func (s *Store) OutboxQueueStats(ctx context.Context) (QueueStats, error) {
	return s.queueStats(ctx, &OutboxMail{}, OutboxQueued)
}

// WebhookQueueStats describes the webhook delivery queue.
func (s *Store) WebhookQueueStats(ctx context.Context) (QueueStats, error) {
	return s.queueStats(ctx, &WebhookDelivery{}, WebhookQueued)
}

func (s *Store) queueStats(ctx context.Context, model any, queued string) (QueueStats, error) {
	var row struct {
		Depth    int64
		Retrying int64
	}
	err := s.r.WithContext(ctx).Model(model).Where("status = ?", queued).
		Select("COUNT(*) AS depth, COALESCE(SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END), 0) AS retrying").
		Scan(&row).Error
	if err != nil {
		return QueueStats{}, err
	}
	st := QueueStats{Depth: row.Depth, Retrying: row.Retrying}
	if st.Depth == 0 {
		return st, nil
	}
	var oldest struct{ CreatedAt time.Time }
	err = s.r.WithContext(ctx).Model(model).Select("created_at").Where("status = ?", queued).
		Order("created_at").Limit(1).Scan(&oldest).Error
	st.Oldest = oldest.CreatedAt
	return st, err
}
