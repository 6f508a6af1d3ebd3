package desk

import (
	"context"
	"errors"
	"slices"
	"strconv"

	"warrantydesk/models"
)

// Bulk actions of the ticket list.
const (
	BulkAssign   = "assign"   // value: an agent id, "me", or "" / "none" for nobody
	BulkStatus   = "status"   // value: a status
	BulkCategory = "category" // value: a category
	BulkClose    = "close"    // no value
)

// BulkActions lists the bulk actions in the order the list offers them.
var BulkActions = []string{BulkAssign, BulkStatus, BulkCategory, BulkClose}

// MaxBulk is the most tickets one bulk action changes.
const MaxBulk = 500

// Bulk applies one action to the tickets with these numbers, in one
// transaction: either every ticket changes or none does. Each ticket that
// changes gets exactly one audit entry (its status, assignee or category);
// a ticket already in the wanted state is left alone. Each change is also a
// ticket.updated webhook event. It returns how many tickets changed.
func (s *Service) Bulk(ctx context.Context, actor *models.Agent, numbers []int64, action, value string) (int, error) {
	numbers = slices.Compact(slices.Sorted(slices.Values(numbers)))
	switch {
	case len(numbers) == 0:
		return 0, invalid("number", "bulk.error.none")
	case len(numbers) > MaxBulk:
		return 0, invalid("number", "bulk.error.too_many")
	case !slices.Contains(BulkActions, action):
		return 0, invalid("action", "bulk.error.action")
	case action == BulkStatus && !slices.Contains(models.Statuses, value):
		return 0, invalid("value", "error.bad_status")
	case action == BulkCategory && !slices.Contains(models.Categories, value):
		return 0, invalid("value", "error.bad_category")
	}
	changed := 0
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		tickets, err := tx.TicketsByNumbers(ctx, numbers)
		if err != nil {
			return err
		}
		if len(tickets) != len(numbers) {
			return invalid("number", "bulk.error.unknown")
		}
		var assignee *models.Agent
		if action == BulkAssign {
			if assignee, err = s.bulkAssignee(ctx, tx, actor, value); err != nil {
				return err
			}
		}
		for i := range tickets {
			t := &tickets[i]
			ok, err := s.bulkOne(ctx, tx, actor, t, action, value, assignee)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			changed++
			if err := s.emitTicket(ctx, tx, EventTicketUpdated, t.ID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return changed, nil
}

// bulkAssignee resolves a bulk assign's value: nil for nobody.
func (s *Service) bulkAssignee(ctx context.Context, tx *models.Store, actor *models.Agent, value string) (*models.Agent, error) {
	switch value {
	case "", "none":
		return nil, nil
	case "me":
		return actor, nil
	}
	id, err := strconv.ParseUint(value, 10, 32)
	if err != nil || id == 0 {
		return nil, invalid("value", "error.bad_assignee")
	}
	a, err := tx.AgentByID(ctx, uint(id))
	if errors.Is(err, models.ErrNotFound) {
		return nil, invalid("value", "error.bad_assignee")
	}
	return a, err
}

// bulkOne applies the action to one ticket; false when it was already so.
func (s *Service) bulkOne(ctx context.Context, tx *models.Store, actor *models.Agent, t *models.Ticket, action, value string, assignee *models.Agent) (bool, error) {
	switch action {
	case BulkStatus, BulkClose:
		status := value
		if action == BulkClose {
			status = models.StatusClosed
		}
		if t.Status == status {
			return false, nil
		}
		return true, s.changeStatus(ctx, tx, t, status, actor.Email)
	case BulkCategory:
		if t.Category == value {
			return false, nil
		}
		if err := tx.UpdateTicket(ctx, t.ID, map[string]any{"category": value}); err != nil {
			return false, err
		}
		return true, s.audit(ctx, tx, actor.Email, "ticket", t.ID, "category", t.Category, value)
	case BulkAssign:
		var newID any
		newEmail := ""
		if assignee != nil {
			newID, newEmail = assignee.ID, assignee.Email
		}
		if (t.AssigneeID == nil && assignee == nil) || (t.AssigneeID != nil && assignee != nil && *t.AssigneeID == assignee.ID) {
			return false, nil
		}
		oldEmail := ""
		if t.AssigneeID != nil {
			old, err := tx.AgentByID(ctx, *t.AssigneeID)
			if err != nil && !errors.Is(err, models.ErrNotFound) {
				return false, err
			}
			if old != nil {
				oldEmail = old.Email
			}
		}
		if err := tx.UpdateTicket(ctx, t.ID, map[string]any{"assignee_id": newID}); err != nil {
			return false, err
		}
		return true, s.audit(ctx, tx, actor.Email, "ticket", t.ID, "assignee", oldEmail, newEmail)
	}
	return false, invalid("action", "bulk.error.action")
}
