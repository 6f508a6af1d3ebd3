package desk

// The vendor portal: a reseller's own users (role vendor) see the cases sent
// to their reseller and move them forward. Every function here takes the
// vendor user as actor and checks, in this one place, that the case is its
// reseller's: a case of another reseller answers ErrNotFound, exactly like a
// ticket that does not exist, so a vendor cannot probe ticket numbers.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"warrantydesk/models"
)

// PortalCase is one case as its reseller sees it: the case, its ticket's
// number, subject and device, and when the reseller should be done.
type PortalCase struct {
	Case   models.VendorCase // with Vendor
	Number int64
	// Subject is the ticket's subject, as in the mail the reseller received.
	Subject       string
	Serial, Model string
	// DueAt is ForwardedAt plus the vendor's turnaround (VendorDueAt); nil
	// when unknown.
	DueAt *time.Time
	// Open is false once the case is closed: the reseller can no longer
	// change it.
	Open bool
}

// PortalCaseView is a case page of the portal: the case and what the
// reseller was sent and answered on it — the ticket's mails to this reseller
// (vendor_out) and its replies (vendor_in, including comments made in the
// portal). Internal notes, system notes, the requester's own mails and other
// resellers' mails are never in Messages.
type PortalCaseView struct {
	PortalCase
	Messages []models.Message
}

// CreateUser adds a user of any role: agents and admins as CreateAgent;
// a vendor user (RoleVendor) works for the existing vendor named vendorName.
// A vendor is required for the vendor role and refused for the others.
func (s *Service) CreateUser(ctx context.Context, email, name, role, vendorName, password string) (*models.Agent, error) {
	vendorName = strings.TrimSpace(vendorName)
	if role != models.RoleVendor {
		if vendorName != "" {
			return nil, invalid("vendor", "error.vendor_only_for_vendor_role")
		}
		return s.CreateAgent(ctx, email, name, role, password)
	}
	if vendorName == "" {
		return nil, invalid("vendor", "error.vendor_required")
	}
	v, err := s.store.VendorByName(ctx, vendorName)
	if errors.Is(err, models.ErrNotFound) {
		return nil, invalid("vendor", "error.vendor_unknown")
	}
	if err != nil {
		return nil, err
	}
	// CreateAgent validates email, name and password; it knows agents and
	// admins only, so the role is set after its checks.
	email = strings.ToLower(strings.TrimSpace(email))
	fields := map[string]string{}
	if !strings.Contains(email, "@") {
		fields["email"] = "error.bad_email"
	}
	if strings.TrimSpace(name) == "" {
		fields["name"] = "error.name_required"
	}
	if len(password) < MinPasswordLength {
		fields["password"] = "error.password_short"
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	a := &models.Agent{Email: email, Name: strings.TrimSpace(name), Role: models.RoleVendor, PasswordHash: hash, VendorID: &v.ID}
	if err := s.store.CreateAgent(ctx, a); err != nil {
		return nil, err
	}
	return a, nil
}

// portalVendor returns the reseller actor works for; ErrForbidden unless
// actor is a vendor user with a vendor.
func portalVendor(actor *models.Agent) (uint, error) {
	if actor == nil || actor.Role != models.RoleVendor || actor.VendorID == nil {
		return 0, ErrForbidden
	}
	return *actor.VendorID, nil
}

// PortalCases lists the cases sent to actor's reseller, open ones first.
func (s *Service) PortalCases(ctx context.Context, actor *models.Agent) ([]PortalCase, error) {
	vendorID, err := portalVendor(actor)
	if err != nil {
		return nil, err
	}
	cases, err := s.store.VendorCasesOfVendor(ctx, vendorID)
	if err != nil {
		return nil, err
	}
	ids := make([]uint, 0, len(cases))
	for _, c := range cases {
		ids = append(ids, c.TicketID)
	}
	tickets, err := s.store.TicketsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]PortalCase, 0, len(cases))
	for _, c := range cases {
		t, ok := tickets[c.TicketID]
		if !ok {
			continue
		}
		out = append(out, s.portalCaseOf(c, &t))
	}
	return out, nil
}

// portalCaseOf fills a PortalCase from the case and its ticket (with asset).
func (s *Service) portalCaseOf(c models.VendorCase, t *models.Ticket) PortalCase {
	pc := PortalCase{Case: c, Number: t.Number, Subject: t.Subject, Open: c.State != models.CaseClosed}
	if t.Asset != nil {
		pc.Serial, pc.Model = t.Asset.Serial, t.Asset.Model
	}
	if due, ok := VendorDueAt(&c); ok {
		pc.DueAt = &due
	}
	return pc
}

// portalTicket loads ticket number and its newest case at actor's reseller;
// ErrNotFound when there is no such ticket or it has no case there.
func (s *Service) portalTicket(ctx context.Context, tx *models.Store, actor *models.Agent, number int64) (*models.Ticket, *models.VendorCase, error) {
	vendorID, err := portalVendor(actor)
	if err != nil {
		return nil, nil, err
	}
	t, err := tx.TicketByNumber(ctx, number)
	if err != nil {
		return nil, nil, err
	}
	c, err := tx.VendorCaseOfVendor(ctx, t.ID, vendorID)
	if err != nil {
		return nil, nil, err
	}
	return t, c, nil
}

// PortalCase is the case page of ticket number for actor's reseller.
func (s *Service) PortalCase(ctx context.Context, actor *models.Agent, number int64) (*PortalCaseView, error) {
	t, c, err := s.portalTicket(ctx, s.store, actor, number)
	if err != nil {
		return nil, err
	}
	msgs, err := s.portalMessages(ctx, s.store, t, &c.Vendor)
	if err != nil {
		return nil, err
	}
	v := &PortalCaseView{PortalCase: s.portalCaseOf(*c, t), Messages: msgs}
	// Only the ticket's newest case can be moved on (SetCaseState).
	if newest, err := s.store.VendorCaseForTicket(ctx, t.ID); err != nil || newest.ID != c.ID {
		v.Open = false
	}
	return v, nil
}

// portalMessages returns the messages of ticket t that vendor may read:
// the desk's mails to the vendor's address and the vendor's replies (from
// its address or domain, or written in the portal by one of its users).
func (s *Service) portalMessages(ctx context.Context, tx *models.Store, t *models.Ticket, vendor *models.Vendor) ([]models.Message, error) {
	all, err := tx.Messages(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("messages of #%d: %w", t.Number, err)
	}
	users, err := tx.VendorUserIDs(ctx, vendor.ID)
	if err != nil {
		return nil, err
	}
	vendorEmail := strings.ToLower(strings.TrimSpace(vendor.Email))
	var out []models.Message
	for _, m := range all {
		switch m.Kind {
		case models.KindVendorOut:
			if vendorEmail != "" && slices.Contains(splitAddrs(m.To), vendorEmail) {
				out = append(out, m)
			}
		case models.KindVendorIn:
			if m.AgentID != nil {
				if slices.Contains(users, *m.AgentID) {
					out = append(out, m)
				}
				continue
			}
			from, err := s.vendorBySender(ctx, tx, m.FromEmail)
			if err != nil {
				return nil, err
			}
			if from != nil && from.ID == vendor.ID {
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// PortalAttachment returns an attachment of a message the vendor may read
// on ticket number (see PortalCase); ErrNotFound for any other.
func (s *Service) PortalAttachment(ctx context.Context, actor *models.Agent, number int64, id uint) (*models.Attachment, []byte, error) {
	t, c, err := s.portalTicket(ctx, s.store, actor, number)
	if err != nil {
		return nil, nil, err
	}
	msgs, err := s.portalMessages(ctx, s.store, t, &c.Vendor)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range msgs {
		for _, a := range m.Attachments {
			if a.ID != id {
				continue
			}
			data, err := s.store.Blob(ctx, a.BlobSHA256)
			if err != nil {
				return nil, nil, fmt.Errorf("attachment %d: %w", id, err)
			}
			return &a, data, nil
		}
	}
	return nil, nil, ErrNotFound
}

// PortalUpdate records what the reseller reports on its case of ticket
// number: a new state and/or case number go through SetCaseState with the
// vendor user as actor (audit, system note, device and ticket effects); a
// comment is added to the ticket as a vendor message (vendor_in) from the
// vendor user, which agents see in the conversation. A state left as it is,
// with no new case number, changes only the comment. ValidationError when
// nothing is given, ConflictError as SetCaseState.
func (s *Service) PortalUpdate(ctx context.Context, actor *models.Agent, number int64, state, caseRef, comment string) error {
	caseRef, comment = strings.TrimSpace(caseRef), strings.TrimSpace(comment)
	if len(comment) > MaxTextLength {
		return invalid("comment", "error.text_too_long")
	}
	t, c, err := s.portalTicket(ctx, s.store, actor, number)
	if err != nil {
		return err
	}
	newest, err := s.store.VendorCaseForTicket(ctx, t.ID)
	if err != nil {
		return err
	}
	if newest.ID != c.ID || c.State == models.CaseClosed {
		return &ConflictError{Key: "error.case_closed"}
	}
	if state == "" {
		state = c.State
	}
	changes := state != c.State || (caseRef != "" && caseRef != c.CaseRef)
	if !changes && comment == "" {
		return invalid("comment", "error.portal_nothing")
	}
	if changes {
		if err := s.SetCaseState(ctx, actor, number, state, caseRef, ""); err != nil {
			return err
		}
	}
	if comment == "" {
		return nil
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		msg := &models.Message{TicketID: t.ID, Direction: models.DirIn, Kind: models.KindVendorIn,
			FromName: actor.Name + " (" + c.Vendor.Name + ")", FromEmail: actor.Email,
			Subject: s.sysText("portal.comment_subject", c.Vendor.Name), Text: comment,
			AgentID: &actor.ID, AutoClass: "personal", CreatedAt: s.now()}
		if err := tx.AddMessage(ctx, msg); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, actor.Email, "vendor_case", c.ID, "comment", "", clip(comment, 200)); err != nil {
			return err
		}
		if err := tx.TouchTicket(ctx, t.ID); err != nil {
			return err
		}
		if err := tx.IndexTicket(ctx, t.ID); err != nil {
			return err
		}
		// As a vendor's reply by mail (applyReply): both events.
		if err := s.emitTicket(ctx, tx, EventTicketUpdated, t.ID); err != nil {
			return err
		}
		return s.emitTicket(ctx, tx, EventVendorCaseUpdated, t.ID)
	})
}
