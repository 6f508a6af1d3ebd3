package desk

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strings"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// NewTicket is a ticket an integration opens on a requester's behalf.
type NewTicket struct {
	Email, Name     string
	Subject, Text   string
	Category        string // "" = decided from the text, like intake
	Serial          string // device serial or asset tag; "" = found in the text
	Language        string // sv|en; "" = detected from the text
	SendAcknowledge bool   // mail the requester a receipt (as intake would)
	ClassifyOptions mailin.ClassifyOptions
}

// CreateTicketAs opens a ticket for in.Email as actor did it through the
// API. It runs intake's stages after parsing: classification (language,
// serials, fault), the asset by serial, the routing rules and the reseller
// forward, and the acknowledgement when asked for. The ticket's first
// message is the requester's text; a system note and the audit trail name
// the actor.
func (s *Service) CreateTicketAs(ctx context.Context, actor *models.Agent, in NewTicket) (*models.Ticket, error) {
	fields := map[string]string{}
	email := strings.ToLower(strings.TrimSpace(in.Email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 320 {
		fields["email"] = "api.error.bad_email"
	} else if s.isOwnAddress(email) {
		fields["email"] = "api.error.own_address"
	}
	name := strings.TrimSpace(in.Name)
	if len(name) > 200 {
		fields["name"] = "api.error.too_long"
	}
	subject := strings.TrimSpace(in.Subject)
	switch {
	case subject == "":
		fields["subject"] = "api.error.subject_required"
	case len(subject) > 500:
		fields["subject"] = "api.error.too_long"
	}
	text := strings.TrimSpace(in.Text)
	switch {
	case text == "":
		fields["text"] = "error.text_required"
	case len(text) > MaxTextLength:
		fields["text"] = "error.text_too_long"
	}
	if in.Category != "" && !slices.Contains(models.Categories, in.Category) {
		fields["category"] = "error.bad_category"
	}
	if in.Language != "" && in.Language != "sv" && in.Language != "en" {
		fields["language"] = "api.error.bad_language"
	}
	serial := mailin.NormalizeSerial(in.Serial)
	if in.Serial != "" {
		found, err := s.store.AssetsByCandidates(ctx, []string{serial})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			fields["serial"] = "api.error.unknown_serial"
		}
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}

	p := &mailin.Parsed{From: mailin.Address{Name: name, Email: email}, Subject: subject, Text: text,
		To: []mailin.Address{}, Cc: []mailin.Address{}, References: []string{}, Headers: map[string][]string{}}
	mailin.Classify(p, in.ClassifyOptions)
	p.Class, p.ClassReason, p.Bounce = mailin.ClassPersonal, "", nil // a person asked for it, whatever the words
	if in.Serial != "" {
		p.Serials = []string{serial}
	}
	if in.Category != "" {
		p.Fault, p.FaultReason = in.Category, nil
	}
	if in.Language != "" {
		p.Language = in.Language
	}
	var t *models.Ticket
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		var err error
		if t, err = s.openTicket(ctx, tx, nil, p, mailin.Thread{}, 0, in.SendAcknowledge); err != nil {
			return err
		}
		if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys.api_created", actor.Name, actor.Email)); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, "ticket", t.ID, "created", "", "api")
	})
	if err != nil {
		return nil, err
	}
	s.mailQueued() // an acknowledgement or a forward to the reseller may be waiting
	return t, nil
}

// TicketPatch is a change of a ticket's fields; nil fields stay as they are.
type TicketPatch struct {
	Status, Priority, Category *string
	// AssigneeEmail names the agent to assign; "" unassigns.
	AssigneeEmail *string
}

// UpdateTicket applies patch to ticket number in one transaction: every
// field is checked first (all problems reported together), every change is
// audited under actor, and one ticket.updated event is recorded when
// something changed. It reports whether anything did.
func (s *Service) UpdateTicket(ctx context.Context, actor *models.Agent, number int64, patch TicketPatch) (bool, error) {
	fields := map[string]string{}
	if patch.Status == nil && patch.Priority == nil && patch.Category == nil && patch.AssigneeEmail == nil {
		return false, invalid("body", "api.error.empty_patch")
	}
	if patch.Status != nil && !slices.Contains(models.Statuses, *patch.Status) {
		fields["status"] = "error.bad_status"
	}
	if patch.Priority != nil && !slices.Contains(models.Priorities, *patch.Priority) {
		fields["priority"] = "api.error.bad_priority"
	}
	if patch.Category != nil && !slices.Contains(models.Categories, *patch.Category) {
		fields["category"] = "error.bad_category"
	}
	var assignee *models.Agent
	if patch.AssigneeEmail != nil && *patch.AssigneeEmail != "" {
		a, err := s.store.AgentByEmail(ctx, strings.ToLower(strings.TrimSpace(*patch.AssigneeEmail)))
		switch {
		case errors.Is(err, models.ErrNotFound):
			fields["assignee_email"] = "error.bad_assignee"
		case err != nil:
			return false, err
		}
		assignee = a
	}
	if len(fields) > 0 {
		return false, &ValidationError{Fields: fields}
	}
	changed := false
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		set := func(field, old, new string, value any) error {
			if old == new {
				return nil
			}
			changed = true
			if err := tx.UpdateTicket(ctx, t.ID, map[string]any{field: value}); err != nil {
				return err
			}
			return s.audit(ctx, tx, actor.Email, "ticket", t.ID, strings.TrimSuffix(field, "_id"), old, new)
		}
		if patch.Status != nil && *patch.Status != t.Status {
			changed = true
			if err := s.changeStatus(ctx, tx, t, *patch.Status, actor.Email); err != nil {
				return err
			}
		}
		if patch.Priority != nil {
			if err := set("priority", t.Priority, *patch.Priority, *patch.Priority); err != nil {
				return err
			}
		}
		if patch.Category != nil {
			if err := set("category", t.Category, *patch.Category, *patch.Category); err != nil {
				return err
			}
		}
		if patch.AssigneeEmail != nil {
			old, newEmail, value := "", "", any(nil)
			if t.Assignee != nil {
				old = t.Assignee.Email
			}
			if assignee != nil {
				newEmail, value = assignee.Email, assignee.ID
			}
			if err := set("assignee_id", old, newEmail, value); err != nil {
				return err
			}
		}
		if !changed {
			return nil
		}
		return s.emitTicket(ctx, tx, EventTicketUpdated, t.ID)
	})
	return changed, err
}

// VendorSummary is a reseller with its open and overdue case counts.
type VendorSummary struct {
	Vendor       models.Vendor
	OpenCases    int
	OverdueCases int
}

// VendorSummaries lists every reseller by name, with case counts.
func (s *Service) VendorSummaries(ctx context.Context) ([]VendorSummary, error) {
	vendors, err := s.store.ListVendors(ctx)
	if err != nil {
		return nil, err
	}
	open, err := s.store.OpenVendorCases(ctx)
	if err != nil {
		return nil, err
	}
	overdue, err := s.VendorOverdue(ctx, s.now())
	if err != nil {
		return nil, err
	}
	out := make([]VendorSummary, 0, len(vendors))
	for _, v := range vendors {
		vs := VendorSummary{Vendor: v}
		for _, c := range open {
			if c.VendorID == v.ID {
				vs.OpenCases++
			}
		}
		for _, c := range overdue {
			if c.VendorID == v.ID {
				vs.OverdueCases++
			}
		}
		out = append(out, vs)
	}
	return out, nil
}
