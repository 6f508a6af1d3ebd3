package desk

// Clocks: our own SLA (paused while the reseller has the case), the
// reseller's turnaround with its reminders, and the warranty deadline of
// open hardware tickets.

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"time"

	"warrantydesk/models"
)

// slaPausedStatuses are the ticket statuses in which our SLA clock stands
// still: the ticket waits on the reseller, not on us.
var slaPausedStatuses = []string{models.StatusAtVendor}

// VendorReminderInterval is the least time between two reminders to a
// reseller about the same overdue case.
const VendorReminderInterval = 72 * time.Hour

// ClaimWindow is how close to its warranty end an open hardware ticket's
// device must be for the ticket to be flagged (ClaimBefore).
const ClaimWindow = 30 // days

// slaOnStatusChange adds to fields (the ticket columns changeStatus writes)
// what the SLA clock needs: entering a paused status stops the clock;
// leaving it moves the due time on by as long as the clock stood still.
func (s *Service) slaOnStatusChange(t *models.Ticket, status string, fields map[string]any) {
	paused := slices.Contains(slaPausedStatuses, status)
	now := s.now()
	switch {
	case paused && t.SLAPausedAt == nil:
		fields["sla_paused_at"] = now
		t.SLAPausedAt = &now
	case !paused && t.SLAPausedAt != nil:
		if t.SLADueAt != nil {
			if stood := now.Sub(*t.SLAPausedAt); stood > 0 {
				due := t.SLADueAt.Add(stood)
				fields["sla_due_at"] = due
				t.SLADueAt = &due
			}
		}
		fields["sla_paused_at"] = nil
		t.SLAPausedAt = nil
	}
}

// Overdue lists the tickets whose SLA is breached at now: due before now,
// clock running (not waiting on the reseller) and not resolved or closed;
// the most overdue first.
func (s *Service) Overdue(ctx context.Context, now time.Time) ([]models.Ticket, error) {
	return s.store.SLABreached(ctx, now, slaPausedStatuses)
}

// VendorDueAt returns when the reseller should have finished case c:
// ForwardedAt plus the vendor's turnaround days (c.Vendor must be loaded).
// false when the case has no forward date or the vendor no turnaround.
func VendorDueAt(c *models.VendorCase) (time.Time, bool) {
	if c.ForwardedAt == nil || c.Vendor.TurnaroundDays <= 0 {
		return time.Time{}, false
	}
	return c.ForwardedAt.AddDate(0, 0, c.Vendor.TurnaroundDays), true
}

// OverdueCase is a vendor case past its turnaround, with its ticket.
type OverdueCase struct {
	Case   models.VendorCase
	Ticket models.Ticket
	DueAt  time.Time
	// DaysLate counts whole days since DueAt.
	DaysLate int
}

// VendorOverdueCases lists the cases the reseller has not shipped back or
// closed by their due time (VendorDueAt), with their tickets, oldest first.
func (s *Service) VendorOverdueCases(ctx context.Context, now time.Time) ([]OverdueCase, error) {
	open, err := s.store.OpenVendorCases(ctx)
	if err != nil {
		return nil, err
	}
	var out []OverdueCase
	var ids []uint
	for _, c := range open {
		if due, ok := VendorDueAt(&c); ok && now.After(due) {
			out = append(out, OverdueCase{Case: c, DueAt: due, DaysLate: int(now.Sub(due).Hours() / 24)})
			ids = append(ids, c.TicketID)
		}
	}
	tickets, err := s.store.TicketsByIDs(ctx, ids)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Ticket = tickets[out[i].Case.TicketID]
	}
	return out, nil
}

// VendorOverdue lists the vendor cases past their turnaround at now (see
// VendorOverdueCases, which also returns their tickets).
func (s *Service) VendorOverdue(ctx context.Context, now time.Time) ([]models.VendorCase, error) {
	cases, err := s.VendorOverdueCases(ctx, now)
	if err != nil {
		return nil, err
	}
	out := make([]models.VendorCase, len(cases))
	for i, c := range cases {
		out[i] = c.Case
	}
	return out, nil
}

// RemindVendors mails the reseller about every overdue case (in the desk's
// language, Swedish by default) in the thread of the forward, at most once
// per VendorReminderInterval per case, and records each reminder on the
// case and the ticket, with a vendor_case.updated webhook event. It returns
// how many reminders it queued.
func (s *Service) RemindVendors(ctx context.Context, now time.Time) (int, error) {
	cases, err := s.VendorOverdueCases(ctx, now)
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, oc := range cases {
		if !reminderDue(&oc.Case, now) {
			continue
		}
		ok, err := s.remindVendor(ctx, oc.Case.ID, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("remind vendor of #%d: %w", oc.Ticket.Number, err))
			continue
		}
		if ok {
			sent++
		}
	}
	if sent > 0 {
		s.mailQueued()
	}
	return sent, errors.Join(errs...)
}

func reminderDue(c *models.VendorCase, now time.Time) bool {
	return c.ReminderSentAt == nil || now.Sub(*c.ReminderSentAt) >= VendorReminderInterval
}

// remindVendor sends one reminder, re-checking in its transaction that the
// case still needs it (another desk process may have just sent one).
func (s *Service) remindVendor(ctx context.Context, caseID uint, now time.Time) (bool, error) {
	sent := false
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		c, err := tx.VendorCaseByID(ctx, caseID)
		if err != nil {
			return err
		}
		due, ok := VendorDueAt(c)
		if !ok || !now.After(due) || !reminderDue(c, now) || c.State == models.CaseShippedBack || c.State == models.CaseClosed {
			return nil
		}
		t, err := tx.TicketByID(ctx, c.TicketID)
		if err != nil {
			return err
		}
		msgs, err := tx.Messages(ctx, t.ID)
		if err != nil {
			return err
		}
		forwardID, forwardSubject := forwardOf(c, msgs)
		serial, model := "", ""
		if a := t.Asset; a != nil && c.AssetID != nil && a.ID == *c.AssetID {
			serial, model = a.Serial, a.Model
		}
		subject, body, err := s.mails.Render("vendor_reminder", s.opt.Language, map[string]any{
			"Number": t.Number, "Subject": t.Subject, "ForwardSubject": forwardSubject, "Vendor": c.Vendor.Name,
			"CaseRef": c.CaseRef, "Serial": serial, "Model": model, "ForwardedOn": formatDate(c.ForwardedAt.In(s.opt.Location)),
			"DueOn": formatDate(due.In(s.opt.Location)), "PaidRepair": c.PaidRepair, "Desk": s.opt.Address.Name,
		})
		if err != nil {
			return err
		}
		var refs []string
		if forwardID != "" {
			refs = []string{forwardID}
		}
		if _, err := s.queueMail(ctx, tx, outMail{
			ticket: t, kind: models.KindVendorOut, purpose: "vendor_reminder",
			to:      []mail.Address{{Name: c.Vendor.Name, Address: c.Vendor.Email}},
			replyTo: []mail.Address{{Name: s.opt.Address.Name, Address: s.plusAddress(t.Number)}},
			subject: subject, text: body, inReplyTo: forwardID, references: refs, lang: s.opt.Language,
		}); err != nil {
			return err
		}
		old := ""
		if c.ReminderSentAt != nil {
			old = c.ReminderSentAt.Format(time.RFC3339)
		}
		c.ReminderSentAt = &now
		if err := tx.SaveVendorCase(ctx, c); err != nil {
			return fmt.Errorf("record reminder: %w", err)
		}
		if err := s.audit(ctx, tx, "system", "vendor_case", c.ID, "reminder_sent_at", old, now.Format(time.RFC3339)); err != nil {
			return err
		}
		if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys.vendor_reminder", c.Vendor.Name, formatDate(due.In(s.opt.Location)))); err != nil {
			return err
		}
		sent = true
		if err := tx.TouchTicket(ctx, t.ID); err != nil {
			return err
		}
		return s.emitTicket(ctx, tx, EventVendorCaseUpdated, t.ID)
	})
	return sent, err
}

// forwardOf finds the mail that opened case c: its Message-ID and subject.
// Cases opened before the Message-ID was recorded fall back to the first
// mail to the reseller sent at or after the forward.
func forwardOf(c *models.VendorCase, msgs []models.Message) (messageID, subject string) {
	for _, m := range msgs {
		if m.Kind != models.KindVendorOut {
			continue
		}
		if c.ForwardMessageID != "" && m.MessageID == c.ForwardMessageID {
			return m.MessageID, m.Subject
		}
		if c.ForwardMessageID == "" && c.ForwardedAt != nil && !m.CreatedAt.Before(c.ForwardedAt.Add(-time.Minute)) {
			return m.MessageID, m.Subject
		}
	}
	return c.ForwardMessageID, ""
}

// ClaimBefore reports whether ticket t must be sent to the reseller soon: a
// hardware ticket that is new, open or pending (not yet at the reseller, not
// resolved) whose device's warranty ends within ClaimWindow days of now. It
// returns the warranty's last day. t.Asset (with its Vendor) must be loaded.
func ClaimBefore(t *models.Ticket, now time.Time) (time.Time, bool) {
	if t == nil || t.Asset == nil || t.Category != models.CategoryHardware {
		return time.Time{}, false
	}
	if t.Status != models.StatusNew && t.Status != models.StatusOpen && t.Status != models.StatusPending {
		return time.Time{}, false
	}
	w := WarrantyOf(t.Asset, now)
	if !w.Known || !w.Under || w.DaysLeft > ClaimWindow {
		return time.Time{}, false
	}
	return w.EndsOn, true
}

// ClaimsDue lists the tickets ClaimBefore flags at now, the soonest
// warranty end first.
func (s *Service) ClaimsDue(ctx context.Context, now time.Time) ([]models.Ticket, error) {
	open, err := s.store.OpenHardwareTickets(ctx)
	if err != nil {
		return nil, err
	}
	var out []models.Ticket
	ends := map[uint]time.Time{}
	for _, t := range open {
		if end, ok := ClaimBefore(&t, now); ok {
			out = append(out, t)
			ends[t.ID] = end
		}
	}
	slices.SortStableFunc(out, func(a, b models.Ticket) int { return ends[a.ID].Compare(ends[b.ID]) })
	return out, nil
}
