package desk

// Canned replies: reply texts agents keep for questions that come back
// often, in Swedish and English, with placeholders the desk fills for one
// ticket in its requester's language.
//
// Who may do what: every agent (admin or not) may list, use, create and edit
// canned replies — they are shared working texts, and each change is
// audited with its author. Only admins may delete one, since a deletion
// takes a text away from everyone and cannot be undone from the UI.

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"warrantydesk/models"
)

// MaxCannedTitleLength caps a canned reply's title (the column's size).
const MaxCannedTitleLength = 200

// CannedPlaceholders are the placeholders a canned reply may use, written
// {{name}} in its body:
//
//	ticket        the ticket number (1001)
//	subject       the ticket's subject
//	name          the requester's name ("" when unknown)
//	serial, model the linked device's serial and model ("" when none)
//	warranty_end  the device's last warranty day, YYYY-MM-DD ("" when unknown)
var CannedPlaceholders = []string{"ticket", "subject", "name", "serial", "model", "warranty_end"}

// auditObjectCanned is the AuditEvent.Object of canned reply changes.
const auditObjectCanned = "canned_reply"

// CannedInput is the canned reply form.
type CannedInput struct {
	Title, BodySV, BodyEN string
}

// CannedInputOf is the form of an existing canned reply.
func CannedInputOf(r *models.CannedReply) CannedInput {
	return CannedInput{Title: r.Title, BodySV: r.BodySV, BodyEN: r.BodyEN}
}

// CanDeleteCanned reports whether actor may delete canned replies.
func CanDeleteCanned(actor *models.Agent) bool { return isAdmin(actor) }

// CannedReplies lists every canned reply by title (cached until the next
// write: every ticket page offers them).
func (s *Service) CannedReplies(ctx context.Context) ([]models.CannedReply, error) {
	out, err := s.cache.canned.Get(ctx, s.store, s.store.CannedReplies)
	return slices.Clone(out), err
}

// CannedReply loads one canned reply; ErrNotFound when there is none.
func (s *Service) CannedReply(ctx context.Context, id uint) (*models.CannedReply, error) {
	return s.store.CannedReplyByID(ctx, id)
}

// CreateCannedReply adds a canned reply. Any agent may. ValidationError
// names every wrong field at once.
func (s *Service) CreateCannedReply(ctx context.Context, actor *models.Agent, in CannedInput) (*models.CannedReply, error) {
	if actor == nil {
		return nil, ErrForbidden
	}
	in = trimCanned(in)
	r := &models.CannedReply{}
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		if err := s.checkCanned(ctx, tx, in, 0); err != nil {
			return err
		}
		now := s.now()
		r.Title, r.BodySV, r.BodyEN = in.Title, in.BodySV, in.BodyEN
		r.CreatedBy, r.UpdatedBy, r.CreatedAt, r.UpdatedAt = actor.Email, actor.Email, now, now
		if err := tx.CreateCannedReply(ctx, r); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, auditObjectCanned, r.ID, "created", "", r.Title)
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateCannedReply replaces a canned reply's title and bodies. Any agent
// may. ErrNotFound when it does not exist.
func (s *Service) UpdateCannedReply(ctx context.Context, actor *models.Agent, id uint, in CannedInput) error {
	if actor == nil {
		return ErrForbidden
	}
	in = trimCanned(in)
	return s.store.Tx(ctx, func(tx *models.Store) error {
		r, err := tx.CannedReplyByID(ctx, id)
		if err != nil {
			return err
		}
		if err := s.checkCanned(ctx, tx, in, id); err != nil {
			return err
		}
		changes := []struct{ field, old, new string }{
			{"title", r.Title, in.Title}, {"body_sv", r.BodySV, in.BodySV}, {"body_en", r.BodyEN, in.BodyEN},
		}
		changed := false
		for _, c := range changes {
			if c.old == c.new {
				continue
			}
			changed = true
			if err := s.audit(ctx, tx, actor.Email, auditObjectCanned, id, c.field, clip(c.old, 500), clip(c.new, 500)); err != nil {
				return err
			}
		}
		if !changed {
			return nil
		}
		r.Title, r.BodySV, r.BodyEN = in.Title, in.BodySV, in.BodyEN
		r.UpdatedBy, r.UpdatedAt = actor.Email, s.now()
		return tx.SaveCannedReply(ctx, r)
	})
}

// DeleteCannedReply removes a canned reply. Only admins may (ErrForbidden
// otherwise); ErrNotFound when it does not exist.
func (s *Service) DeleteCannedReply(ctx context.Context, actor *models.Agent, id uint) error {
	if !CanDeleteCanned(actor) {
		return ErrForbidden
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		r, err := tx.CannedReplyByID(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteCannedReply(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, auditObjectCanned, id, "deleted", r.Title, "")
	})
}

func trimCanned(in CannedInput) CannedInput {
	return CannedInput{Title: strings.Join(strings.Fields(in.Title), " "),
		BodySV: strings.TrimSpace(in.BodySV), BodyEN: strings.TrimSpace(in.BodyEN)}
}

// checkCanned validates a canned reply form: a title (unique, ignoring
// case), at least one body, and only known placeholders.
func (s *Service) checkCanned(ctx context.Context, tx *models.Store, in CannedInput, id uint) error {
	fields := map[string]string{}
	switch {
	case in.Title == "":
		fields["title"] = "error.canned_title_required"
	case utf8.RuneCountInString(in.Title) > MaxCannedTitleLength:
		fields["title"] = "error.canned_title_too_long"
	default:
		taken, err := tx.CannedReplyTitleTaken(ctx, in.Title, id)
		if err != nil {
			return err
		}
		if taken {
			fields["title"] = "error.canned_title_taken"
		}
	}
	if in.BodySV == "" && in.BodyEN == "" {
		fields["body_sv"] = "error.canned_body_required"
	}
	for field, body := range map[string]string{"body_sv": in.BodySV, "body_en": in.BodyEN} {
		switch {
		case len(body) > MaxTextLength:
			fields[field] = "error.text_too_long"
		case len(UnknownPlaceholders(body)) > 0:
			fields[field] = "error.canned_bad_placeholder"
		}
	}
	if len(fields) > 0 {
		return &ValidationError{Fields: fields}
	}
	return nil
}

// UnknownPlaceholders returns the {{…}} placeholders in text that are not
// CannedPlaceholders, as written.
func UnknownPlaceholders(text string) []string {
	var out []string
	for _, m := range placeholderRe.FindAllStringSubmatch(text, -1) {
		if !isCannedPlaceholder(m[1]) {
			out = append(out, m[0])
		}
	}
	return out
}

func isCannedPlaceholder(name string) bool {
	name = strings.ToLower(name)
	for _, p := range CannedPlaceholders {
		if p == name {
			return true
		}
	}
	return false
}

// RenderedReply is a canned reply filled in for one ticket.
type RenderedReply struct {
	Text string
	// Lang is the language of Text: the requester's, or the other one when
	// the reply has no body in theirs.
	Lang string
}

// RenderCannedReply fills canned reply id for ticket number, in the
// requester's language (the ticket's mail language, else the requester's,
// else the desk's), falling back to the other language's body when the
// reply has none in theirs. ErrNotFound when the reply or the ticket does
// not exist.
func (s *Service) RenderCannedReply(ctx context.Context, id uint, number int64) (*RenderedReply, error) {
	r, err := s.store.CannedReplyByID(ctx, id)
	if err != nil {
		return nil, err
	}
	t, err := s.store.TicketByNumber(ctx, number)
	if err != nil {
		return nil, err
	}
	lang := s.mailLang(firstNonEmpty(t.Language, t.Requester.Language))
	body := r.Body(lang)
	if strings.TrimSpace(body) == "" {
		other := "en"
		if lang == "en" {
			other = "sv"
		}
		if b := r.Body(other); strings.TrimSpace(b) != "" {
			body, lang = b, other
		}
	}
	return &RenderedReply{Text: fillCannedPlaceholders(body, s.cannedValues(t)), Lang: lang}, nil
}

// cannedValues are the values of CannedPlaceholders for ticket t.
func (s *Service) cannedValues(t *models.Ticket) map[string]string {
	v := map[string]string{
		"ticket": strconv.FormatInt(t.Number, 10), "subject": t.Subject, "name": t.Requester.Name,
		"serial": "", "model": "", "warranty_end": "",
	}
	if a := t.Asset; a != nil {
		v["serial"], v["model"] = a.Serial, a.Model
		if w := WarrantyOf(a, s.now()); w.Known {
			v["warranty_end"] = formatDate(w.EndsOn)
		}
	}
	return v
}

// fillCannedPlaceholders replaces every known {{name}} in text by its
// value; an unknown one stays as written, so a mistake shows.
func fillCannedPlaceholders(text string, values map[string]string) string {
	return placeholderRe.ReplaceAllStringFunc(text, func(m string) string {
		if v, ok := values[strings.ToLower(placeholderRe.FindStringSubmatch(m)[1])]; ok {
			return v
		}
		return m
	})
}
