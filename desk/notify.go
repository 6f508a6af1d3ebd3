package desk

// Keeping the requester informed while the reseller has their device:
// automatic notices in their language, threaded to their ticket.

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"warrantydesk/models"
)

// noticeForwarded tells the requester that their case went to the reseller.
// Intake's own forward says so in the acknowledgement instead; this is for
// a forward made later by hand.
func (s *Service) noticeForwarded(ctx context.Context, tx *models.Store, t *models.Ticket) error {
	return s.notifyRequester(ctx, tx, t, "notice_forwarded")
}

// noticeBack tells the requester that their device is back from repair.
func (s *Service) noticeBack(ctx context.Context, tx *models.Store, t *models.Ticket) error {
	return s.notifyRequester(ctx, tx, t, "notice_back")
}

// notifyRequester queues mail template name to ticket t's requester as an
// automatic mail (RFC 3834 Auto-Submitted) in the thread of their
// conversation. A requester whose address bounces gets nothing.
func (s *Service) notifyRequester(ctx context.Context, tx *models.Store, t *models.Ticket, name string) error {
	r := t.Requester
	if r.Email == "" || r.BouncedAt != nil {
		return nil
	}
	msgs, err := tx.Messages(ctx, t.ID)
	if err != nil {
		return fmt.Errorf("notify requester of #%d: %w", t.Number, err)
	}
	inReplyTo, refs := threadHeaders(msgs)
	data := map[string]any{"Number": t.Number, "Subject": t.Subject, "Name": r.Name, "Desk": s.opt.Address.Name,
		"StatusLink": s.StatusLink(t.Number), "Model": "", "Serial": "", "Vendor": "", "ExpectedBack": ""}
	if t.Asset != nil {
		data["Model"], data["Serial"] = t.Asset.Model, t.Asset.Serial
	}
	if c, err := tx.VendorCaseForTicket(ctx, t.ID); err == nil {
		data["Vendor"] = c.Vendor.Name
		if c.ForwardedAt != nil && c.State != models.CaseShippedBack && c.State != models.CaseClosed {
			data["ExpectedBack"] = s.expectedBackText(*c.ForwardedAt, &c.Vendor)
		}
	}
	lang := s.mailLang(firstNonEmpty(t.Language, r.Language))
	subject, body, err := s.mails.Render(name, lang, data)
	if err != nil {
		return err
	}
	_, err = s.queueMail(ctx, tx, outMail{
		ticket: t, kind: models.KindEmail, purpose: "notify",
		to:      []mail.Address{{Name: r.Name, Address: r.Email}},
		subject: subject, text: body, inReplyTo: inReplyTo, references: refs, automatic: true, lang: lang,
	})
	return err
}

// expectedBackText is the day a device forwarded at forwardedAt should be
// back (forward + the vendor's turnaround days) as written in mail, or ""
// when the vendor has no turnaround.
func (s *Service) expectedBackText(forwardedAt time.Time, v *models.Vendor) string {
	if v == nil || v.TurnaroundDays <= 0 {
		return ""
	}
	return formatDate(forwardedAt.In(s.opt.Location).AddDate(0, 0, v.TurnaroundDays))
}
