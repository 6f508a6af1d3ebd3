package desk

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strings"

	"warrantydesk/models"
)

// MaxTextLength caps replies and notes.
const MaxTextLength = 100_000

// TicketView is everything the ticket page and the API show about one ticket.
type TicketView struct {
	Ticket      *models.Ticket
	Messages    []MessageView
	Warranty    Warranty
	VendorCase  *models.VendorCase
	Audit       []models.AuditEvent
	Suggestions []models.Asset
	Agents      []models.Agent
}

// MessageView is a message with the delivery state of its mail, if outgoing.
type MessageView struct {
	models.Message
	Delivery *models.OutboxMail
}

// ListTickets returns one page of tickets.
func (s *Service) ListTickets(ctx context.Context, f models.TicketFilter) ([]models.Ticket, int64, error) {
	if f.Status != "" && !slices.Contains(models.Statuses, f.Status) {
		return nil, 0, invalid("status", "error.bad_status")
	}
	if f.Category != "" && !slices.Contains(models.Categories, f.Category) {
		return nil, 0, invalid("category", "error.bad_category")
	}
	return s.store.ListTickets(ctx, f)
}

// TicketView loads one ticket with its conversation, asset, vendor case and history.
func (s *Service) TicketView(ctx context.Context, number int64) (*TicketView, error) {
	t, err := s.store.TicketByNumber(ctx, number)
	if err != nil {
		return nil, err
	}
	v := &TicketView{Ticket: t, Warranty: WarrantyOf(t.Asset, s.now())}
	msgs, err := s.store.Messages(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	var outboxIDs []uint
	for _, m := range msgs {
		if m.OutboxID != nil {
			outboxIDs = append(outboxIDs, *m.OutboxID)
		}
	}
	deliveries, err := s.store.OutboxByIDs(ctx, outboxIDs)
	if err != nil {
		return nil, err
	}
	for _, m := range msgs {
		mv := MessageView{Message: m}
		if m.OutboxID != nil {
			if d, ok := deliveries[*m.OutboxID]; ok {
				mv.Delivery = &d
			}
		}
		v.Messages = append(v.Messages, mv)
	}
	if c, err := s.store.VendorCaseForTicket(ctx, t.ID); err == nil {
		v.VendorCase = c
	} else if !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	if v.Audit, err = s.store.Audit(ctx, "ticket", t.ID); err != nil {
		return nil, err
	}
	if t.Asset == nil {
		if v.Suggestions, err = s.store.AssetsAssignedTo(ctx, t.Requester.Email); err != nil {
			return nil, err
		}
	}
	if v.Agents, err = s.Agents(ctx); err != nil {
		return nil, err
	}
	return v, nil
}

// Reply mails text to the requester (and the ticket's Cc) and sets the
// ticket's status ("" = pending: waiting on the requester).
func (s *Service) Reply(ctx context.Context, actor *models.Agent, number int64, text, status string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return invalid("text", "error.text_required")
	}
	if len(text) > MaxTextLength {
		return invalid("text", "error.text_too_long")
	}
	if status == "" {
		status = models.StatusPending
	}
	if !slices.Contains(models.Statuses, status) {
		return invalid("status", "error.bad_status")
	}
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		msgs, err := tx.Messages(ctx, t.ID)
		if err != nil {
			return err
		}
		inReplyTo, refs := threadHeaders(msgs)
		var cc []mail.Address
		for _, a := range splitAddrs(t.Cc) {
			cc = append(cc, mail.Address{Address: a})
		}
		lang := s.mailLang(firstNonEmpty(t.Language, t.Requester.Language))
		subject, body, err := s.mails.Render("reply", lang, map[string]any{
			"Number": t.Number, "Subject": t.Subject, "Text": text, "Agent": actor.Name, "Desk": s.opt.Address.Name,
		})
		if err != nil {
			return err
		}
		if _, err := s.queueMail(ctx, tx, outMail{
			ticket: t, kind: models.KindEmail, purpose: "reply", fromName: actor.Name,
			to: []mail.Address{{Name: t.Requester.Name, Address: t.Requester.Email}}, cc: cc,
			subject: subject, text: body, inReplyTo: inReplyTo, references: refs, lang: lang, agentID: &actor.ID,
		}); err != nil {
			return err
		}
		if err := s.changeStatus(ctx, tx, t, status, actor.Email); err != nil {
			return err
		}
		if err := tx.TouchTicket(ctx, t.ID); err != nil {
			return err
		}
		if err := tx.IndexTicket(ctx, t.ID); err != nil {
			return err
		}
		return s.emitTicket(ctx, tx, EventTicketUpdated, t.ID)
	})
	if err == nil {
		s.mailQueued()
	}
	return err
}

// threadHeaders returns In-Reply-To and References for a new mail in a
// conversation: the newest mail with a Message-ID, and the chain before it.
func threadHeaders(msgs []models.Message) (string, []string) {
	var refs []string
	last := ""
	for _, m := range msgs {
		if m.MessageID == "" || m.Kind == models.KindVendorOut || m.Kind == models.KindVendorIn {
			continue
		}
		if !containsFold(refs, m.MessageID) {
			refs = append(refs, m.MessageID)
		}
		last = m.MessageID
	}
	if len(refs) > 20 { // keep the root and the newest (RFC 5322 §3.6.4 allows trimming)
		refs = append(refs[:1], refs[len(refs)-19:]...)
	}
	return last, refs
}

// AddNote adds an internal note, never mailed to anyone.
func (s *Service) AddNote(ctx context.Context, actor *models.Agent, number int64, text string) error {
	text = strings.TrimSpace(text)
	if text == "" {
		return invalid("text", "error.text_required")
	}
	if len(text) > MaxTextLength {
		return invalid("text", "error.text_too_long")
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		if err := tx.AddMessage(ctx, &models.Message{TicketID: t.ID, Direction: models.DirOut, Kind: models.KindNote,
			FromName: actor.Name, FromEmail: actor.Email, Text: text, AgentID: &actor.ID, CreatedAt: s.now()}); err != nil {
			return err
		}
		if err := tx.TouchTicket(ctx, t.ID); err != nil {
			return err
		}
		if err := tx.IndexTicket(ctx, t.ID); err != nil {
			return err
		}
		return s.emitTicket(ctx, tx, EventTicketUpdated, t.ID)
	})
}

// SetStatus changes a ticket's status.
func (s *Service) SetStatus(ctx context.Context, actor *models.Agent, number int64, status string) error {
	if !slices.Contains(models.Statuses, status) {
		return invalid("status", "error.bad_status")
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		if t.Status == status {
			return nil
		}
		if err := s.changeStatus(ctx, tx, t, status, actor.Email); err != nil {
			return err
		}
		return s.emitTicket(ctx, tx, EventTicketUpdated, t.ID)
	})
}

// Assign gives a ticket to an agent (0 = nobody).
func (s *Service) Assign(ctx context.Context, actor *models.Agent, number int64, agentID uint) error {
	return s.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		old := ""
		if t.Assignee != nil {
			old = t.Assignee.Email
		}
		var value any
		newEmail := ""
		if agentID != 0 {
			a, err := tx.AgentByID(ctx, agentID)
			if errors.Is(err, models.ErrNotFound) {
				return invalid("assignee", "error.bad_assignee")
			} else if err != nil {
				return err
			}
			value, newEmail = a.ID, a.Email
		}
		if old == newEmail {
			return nil
		}
		if err := tx.UpdateTicket(ctx, t.ID, map[string]any{"assignee_id": value}); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor.Email, "ticket", t.ID, "assignee", old, newEmail); err != nil {
			return err
		}
		return s.emitTicket(ctx, tx, EventTicketUpdated, t.ID)
	})
}

// ForwardToVendor sends a ticket to its asset's vendor by hand, whatever the
// routing rule decided; the asset must be under warranty and have a vendor.
func (s *Service) ForwardToVendor(ctx context.Context, actor *models.Agent, number int64) error {
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		switch {
		case t.Asset == nil:
			return &ConflictError{Key: "error.forward_no_asset"}
		case t.Asset.Vendor == nil:
			return &ConflictError{Key: "error.forward_no_vendor"}
		case !WarrantyOf(t.Asset, s.now()).Under:
			return &ConflictError{Key: "error.forward_out_of_warranty"}
		}
		if c, err := tx.VendorCaseForTicket(ctx, t.ID); err == nil && c.State != models.CaseClosed {
			return &ConflictError{Key: "error.forward_open_case"}
		}
		msgs, err := tx.Messages(ctx, t.ID)
		if err != nil {
			return err
		}
		var first *models.Message
		for i := range msgs {
			if msgs[i].Direction == models.DirIn && msgs[i].Kind == models.KindEmail {
				first = &msgs[i]
				break
			}
		}
		if err := s.forward(ctx, tx, t, t.Asset, first, actor.Email); err != nil {
			return err
		}
		return s.noticeForwarded(ctx, tx, t)
	})
	if err == nil {
		s.mailQueued()
	}
	return err
}
