package desk

import (
	"context"
	"errors"

	"warrantydesk/models"
)

// maxMergeHops bounds how far threading follows merges (a into b into c…);
// Merge refuses cycles, so this only guards against a damaged database.
const maxMergeHops = 10

// Merge moves ticket from into ticket into: its conversation (messages
// with their attachments), vendor cases and outgoing mail move over, from
// is closed with a system note ("Sammanslaget med #N"), into gets a note
// too, both get an audit entry, and the merge is recorded so that later
// mail threaded to from (its Message-IDs, plus address or subject tag)
// lands on into. When into has no device and from has one, into takes it.
// Both tickets report ticket.updated to webhooks.
func (s *Service) Merge(ctx context.Context, actor *models.Agent, from, into int64) error {
	if actor == nil {
		return ErrForbidden
	}
	if into <= 0 {
		return invalid("into", "error.merge_target_required")
	}
	if from == into {
		return invalid("into", "error.merge_self")
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		src, err := tx.TicketByNumber(ctx, from)
		if err != nil {
			return err
		}
		dst, err := tx.TicketByNumber(ctx, into)
		if errors.Is(err, models.ErrNotFound) {
			return invalid("into", "error.merge_unknown_target")
		} else if err != nil {
			return err
		}
		if _, err := tx.MergedInto(ctx, src.ID); err == nil {
			return &ConflictError{Key: "error.merge_already_merged"}
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if _, err := tx.MergedInto(ctx, dst.ID); err == nil {
			return invalid("into", "error.merge_target_merged")
		} else if !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if err := tx.MoveTicketContent(ctx, src.ID, dst.ID); err != nil {
			return err
		}
		if err := tx.RecordMerge(ctx, src.ID, dst.ID, actor.Email, s.now()); err != nil {
			return err
		}
		if dst.AssetID == nil && src.AssetID != nil {
			if err := tx.UpdateTicket(ctx, dst.ID, map[string]any{"asset_id": *src.AssetID}); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, actor.Email, "ticket", dst.ID, "asset", "", src.Asset.Serial); err != nil {
				return err
			}
		}
		if err := s.systemNote(ctx, tx, src.ID, s.sysText("sys.merged_into", dst.Number)); err != nil {
			return err
		}
		if err := s.systemNote(ctx, tx, dst.ID, s.sysText("sys.merged_from", src.Number)); err != nil {
			return err
		}
		if err := s.changeStatus(ctx, tx, src, models.StatusClosed, actor.Email); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor.Email, "ticket", src.ID, "merged_into", "", "#"+itoa(dst.Number)); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor.Email, "ticket", dst.ID, "merged_from", "", "#"+itoa(src.Number)); err != nil {
			return err
		}
		for _, id := range []uint{src.ID, dst.ID} {
			if err := tx.TouchTicket(ctx, id); err != nil {
				return err
			}
			if err := tx.IndexTicket(ctx, id); err != nil {
				return err
			}
			if err := s.emitTicket(ctx, tx, EventTicketUpdated, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// followMerges returns the ticket that mail for t belongs to now: t itself,
// or the ticket it was merged into (following a chain of merges).
func (s *Service) followMerges(ctx context.Context, tx *models.Store, t *models.Ticket) (*models.Ticket, error) {
	for range maxMergeHops {
		into, err := tx.MergedInto(ctx, t.ID)
		if errors.Is(err, models.ErrNotFound) {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		if t, err = tx.TicketByID(ctx, into); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// Related is the "related tickets" card of a ticket: the tickets linked to
// it (either way round), the ticket it was merged into and those merged
// into it.
type Related struct {
	Links      []models.Ticket
	MergedInto *models.Ticket
	MergedFrom []models.Ticket
}

// RelatedTickets loads the related-tickets card of ticket id.
func (s *Service) RelatedTickets(ctx context.Context, id uint) (*Related, error) {
	r := &Related{}
	ids, err := s.store.RelatedTicketIDs(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.Links, err = s.store.TicketsInOrder(ctx, ids); err != nil {
		return nil, err
	}
	if into, err := s.store.MergedInto(ctx, id); err == nil {
		if r.MergedInto, err = s.store.TicketByID(ctx, into); err != nil {
			return nil, err
		}
	} else if !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	from, err := s.store.MergedFrom(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.MergedFrom, err = s.store.TicketsInOrder(ctx, from); err != nil {
		return nil, err
	}
	return r, nil
}

// LinkTickets marks tickets number and other as related (shown on both),
// with an audit entry on each.
func (s *Service) LinkTickets(ctx context.Context, actor *models.Agent, number, other int64) error {
	return s.changeLink(ctx, actor, number, other, true)
}

// UnlinkTickets removes the relation between tickets number and other.
func (s *Service) UnlinkTickets(ctx context.Context, actor *models.Agent, number, other int64) error {
	return s.changeLink(ctx, actor, number, other, false)
}

func (s *Service) changeLink(ctx context.Context, actor *models.Agent, number, other int64, link bool) error {
	if actor == nil {
		return ErrForbidden
	}
	if other <= 0 {
		return invalid("related", "error.link_target_required")
	}
	if other == number {
		return invalid("related", "error.link_self")
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		a, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		b, err := tx.TicketByNumber(ctx, other)
		if errors.Is(err, models.ErrNotFound) {
			return invalid("related", "error.link_unknown_target")
		} else if err != nil {
			return err
		}
		var changed bool
		if link {
			changed, err = tx.LinkTickets(ctx, a.ID, b.ID, actor.Email, s.now())
		} else {
			changed, err = tx.UnlinkTickets(ctx, a.ID, b.ID)
		}
		if err != nil || !changed {
			return err
		}
		for _, p := range [][2]*models.Ticket{{a, b}, {b, a}} {
			old, new := "", "#"+itoa(p[1].Number)
			if !link {
				old, new = new, ""
			}
			if err := s.audit(ctx, tx, actor.Email, "ticket", p[0].ID, "related", old, new); err != nil {
				return err
			}
			if err := s.emitTicket(ctx, tx, EventTicketUpdated, p[0].ID); err != nil {
				return err
			}
		}
		return nil
	})
}
