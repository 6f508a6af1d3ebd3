package desk

import (
	"context"
	"errors"
	"fmt"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// LinkAsset links a ticket to the asset with this serial (normalised), or
// unlinks it when serial is empty, and records the change (audit entry and
// a ticket.updated webhook event).
func (s *Service) LinkAsset(ctx context.Context, actor *models.Agent, number int64, serial string) error {
	serial = mailin.NormalizeSerial(serial)
	return s.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		old := ""
		if t.Asset != nil {
			old = t.Asset.Serial
		}
		if old == serial {
			return nil
		}
		var value any
		if serial != "" {
			a, err := tx.AssetBySerial(ctx, serial)
			if errors.Is(err, models.ErrNotFound) {
				return invalid("serial", "error.unknown_serial")
			} else if err != nil {
				return err
			}
			value = a.ID
		}
		if err := tx.UpdateTicket(ctx, t.ID, map[string]any{"asset_id": value}); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor.Email, "ticket", t.ID, "asset", old, serial); err != nil {
			return err
		}
		if err := tx.IndexTicket(ctx, t.ID); err != nil {
			return err
		}
		return s.emitTicket(ctx, tx, EventTicketUpdated, t.ID)
	})
}

// RetryOutbox puts a failed outgoing mail back in the queue and wakes the worker.
func (s *Service) RetryOutbox(ctx context.Context, actor *models.Agent, id uint) error {
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		ok, err := tx.RequeueFailedOutbox(ctx, id)
		if err != nil {
			return err
		}
		if !ok {
			return &ConflictError{Key: "error.not_failed"}
		}
		return s.audit(ctx, tx, actor.Email, "outbox", id, "status", models.OutboxFailed, models.OutboxQueued)
	})
	if err == nil {
		s.mailQueued()
	}
	return err
}

// ReprocessIntake sends a quarantined mail through intake again (after a fix),
// and wakes the processor through onRequeue.
func (s *Service) ReprocessIntake(ctx context.Context, actor *models.Agent, id uint, onRequeue func()) error {
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		rec, err := tx.IntakeByID(ctx, id)
		if err != nil {
			return err
		}
		if rec.Outcome != models.OutcomeQuarantined {
			return &ConflictError{Key: "error.not_quarantined"}
		}
		if err := tx.RequeueIntake(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, "intake", id, "outcome", rec.Outcome, models.OutcomePending)
	})
	if err == nil && onRequeue != nil {
		onRequeue()
	}
	return err
}

// Attachment returns an attachment's metadata and bytes, checking that it
// belongs to ticket number (so a guessed id from another ticket is not served).
func (s *Service) Attachment(ctx context.Context, number int64, id uint) (*models.Attachment, []byte, error) {
	t, err := s.store.TicketByNumber(ctx, number)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.store.AttachmentOfTicket(ctx, t.ID, id)
	if err != nil {
		return nil, nil, err
	}
	data, err := s.store.Blob(ctx, a.BlobSHA256)
	if err != nil {
		return nil, nil, fmt.Errorf("attachment %d: %w", id, err)
	}
	return a, data, nil
}
