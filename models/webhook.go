package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Webhook delivery states.
const (
	WebhookQueued    = "queued"    // waiting for its (next) attempt
	WebhookDelivered = "delivered" // the endpoint answered 2xx
	WebhookFailed    = "failed"    // given up after the last retry
)

// WebhookStatuses lists every delivery state.
var WebhookStatuses = []string{WebhookQueued, WebhookDelivered, WebhookFailed}

// WebhookEndpoint is an address that receives signed event notifications.
// Endpoints live in the database (added by an admin through the API), so
// every instance sharing the database sends the same events.
type WebhookEndpoint struct {
	ID  uint   `gorm:"primaryKey"`
	URL string `gorm:"size:2000;not null"`
	// Secret is the HMAC-SHA256 key of the signature header. It is stored in
	// clear (it must sign) and never shown again after it was created.
	Secret string `gorm:"size:200;not null"`
	// Events are the subscribed event names, comma separated.
	Events      string `gorm:"size:500;not null"`
	Description string `gorm:"size:200"`
	Active      bool   `gorm:"not null;default:true"`
	CreatedBy   string `gorm:"size:320"`
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Subscribed reports whether the endpoint wants event.
func (e *WebhookEndpoint) Subscribed(event string) bool {
	for _, ev := range strings.Split(e.Events, ",") {
		if strings.TrimSpace(ev) == event {
			return true
		}
	}
	return false
}

// WebhookDelivery is one event on its way to one endpoint: the durable
// queue entry and, once done, its delivery log.
type WebhookDelivery struct {
	ID         uint            `gorm:"primaryKey"`
	EndpointID uint            `gorm:"not null"`
	Endpoint   WebhookEndpoint `gorm:"constraint:OnDelete:CASCADE"`
	// EventID is the event's id, the same for every endpoint (receivers
	// deduplicate on it: delivery is at least once).
	EventID  string `gorm:"size:64;not null"`
	Event    string `gorm:"size:32;not null"`
	TicketID *uint
	// Payload is the exact body that is signed and sent.
	Payload        string    `gorm:"not null"`
	Status         string    `gorm:"size:16;not null"`
	Attempts       int       `gorm:"not null;default:0"`
	NextAttemptAt  time.Time `gorm:"not null"`
	LastStatusCode int       `gorm:"not null;default:0"`
	LastError      string    `gorm:"size:1000"`
	LastAttemptAt  *time.Time
	DeliveredAt    *time.Time
	CreatedAt      time.Time
}

// CreateWebhookEndpoint stores a new endpoint.
func (s *Store) CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint) error {
	if err := s.w.WithContext(ctx).Create(e).Error; err != nil {
		return fmt.Errorf("create webhook endpoint %q: %w", e.URL, err)
	}
	return nil
}

// WebhookEndpoints lists every endpoint, oldest first.
func (s *Store) WebhookEndpoints(ctx context.Context) ([]WebhookEndpoint, error) {
	return cachedList(ctx, "webhook_endpoints", func() ([]WebhookEndpoint, error) {
		var out []WebhookEndpoint
		err := s.r.WithContext(ctx).Order("id").Find(&out).Error
		return out, err
	})
}

// WebhookEndpointByID loads one endpoint.
func (s *Store) WebhookEndpointByID(ctx context.Context, id uint) (*WebhookEndpoint, error) {
	var e WebhookEndpoint
	if err := s.r.WithContext(ctx).First(&e, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &e, nil
}

// DeleteWebhookEndpoint removes an endpoint with its queue and delivery log.
func (s *Store) DeleteWebhookEndpoint(ctx context.Context, id uint) error {
	return s.Tx(ctx, func(tx *Store) error {
		if err := tx.w.WithContext(ctx).Where("endpoint_id = ?", id).Delete(&WebhookDelivery{}).Error; err != nil {
			return fmt.Errorf("delete deliveries of webhook %d: %w", id, err)
		}
		res := tx.w.WithContext(ctx).Delete(&WebhookEndpoint{}, id)
		if res.Error != nil {
			return fmt.Errorf("delete webhook %d: %w", id, res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return nil
	})
}

// QueueWebhookDeliveries stores deliveries (status queued, due now unless
// NextAttemptAt is set). Call it in the transaction of the change it reports.
func (s *Store) QueueWebhookDeliveries(ctx context.Context, ds []WebhookDelivery) error {
	if len(ds) == 0 {
		return nil
	}
	now := time.Now().UTC()
	for i := range ds {
		ds[i].Status = WebhookQueued
		if ds[i].NextAttemptAt.IsZero() {
			ds[i].NextAttemptAt = now
		}
	}
	if err := s.w.WithContext(ctx).Omit("Endpoint").Create(&ds).Error; err != nil {
		return fmt.Errorf("queue webhook deliveries: %w", err)
	}
	return nil
}

// DueWebhookDeliveries returns queued deliveries due at now, oldest first,
// with their endpoint.
func (s *Store) DueWebhookDeliveries(ctx context.Context, now time.Time, limit int) ([]WebhookDelivery, error) {
	var out []WebhookDelivery
	err := s.r.WithContext(ctx).Preload("Endpoint").Where("status = ? AND next_attempt_at <= ?", WebhookQueued, now).
		Order("next_attempt_at, id").Limit(limit).Find(&out).Error
	return out, err
}

// NextWebhookAttempt returns when the earliest queued delivery is due
// (ok=false when none is queued).
func (s *Store) NextWebhookAttempt(ctx context.Context) (at time.Time, ok bool, err error) {
	var d WebhookDelivery
	res := s.r.WithContext(ctx).Select("next_attempt_at").Where("status = ?", WebhookQueued).
		Order("next_attempt_at").Limit(1).Find(&d)
	if res.Error != nil || res.RowsAffected == 0 {
		return time.Time{}, false, res.Error
	}
	return d.NextAttemptAt, true, nil
}

// MarkWebhookDelivered records a successful attempt.
func (s *Store) MarkWebhookDelivered(ctx context.Context, id uint, code int, at time.Time) error {
	return s.w.WithContext(ctx).Model(&WebhookDelivery{}).Where("id = ?", id).Updates(map[string]any{
		"status": WebhookDelivered, "last_status_code": code, "last_error": "", "last_attempt_at": at,
		"delivered_at": at, "attempts": gormIncrement,
	}).Error
}

// MarkWebhookAttemptFailed records a failed attempt (code 0 when there was
// no HTTP answer). A zero next gives the delivery up (status failed);
// otherwise it is retried at next.
func (s *Store) MarkWebhookAttemptFailed(ctx context.Context, id uint, code int, lastErr string, at, next time.Time) error {
	fields := map[string]any{"last_status_code": code, "last_error": clipString(lastErr, 1000),
		"last_attempt_at": at, "attempts": gormIncrement}
	if next.IsZero() {
		fields["status"] = WebhookFailed
	} else {
		fields["next_attempt_at"] = next
	}
	return s.w.WithContext(ctx).Model(&WebhookDelivery{}).Where("id = ?", id).Updates(fields).Error
}

// WebhookDeliveries is the delivery log of one endpoint, newest first, and
// its total length.
func (s *Store) WebhookDeliveries(ctx context.Context, endpointID uint, limit, offset int) ([]WebhookDelivery, int64, error) {
	q := s.r.WithContext(ctx).Model(&WebhookDelivery{}).Where("endpoint_id = ?", endpointID)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []WebhookDelivery
	err := q.Order("id DESC").Limit(limit).Offset(max(offset, 0)).Find(&out).Error
	return out, total, err
}

// PruneWebhookDeliveries deletes delivered and failed deliveries created
// before cutoff (their payloads hold requesters' names and addresses) and
// returns how many it deleted.
func (s *Store) PruneWebhookDeliveries(ctx context.Context, cutoff time.Time) (int64, error) {
	res := s.w.WithContext(ctx).Where("status <> ? AND created_at < ?", WebhookQueued, cutoff).Delete(&WebhookDelivery{})
	return res.RowsAffected, res.Error
}

// CountWebhookDeliveriesByStatus counts deliveries per status.
func (s *Store) CountWebhookDeliveriesByStatus(ctx context.Context) (map[string]int64, error) {
	return s.countBy(ctx, &WebhookDelivery{}, "status")
}

func clipString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
