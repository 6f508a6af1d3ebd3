package handlers

// The reseller case on the ticket page: the case panel (state, dates,
// expected back, SLA pause, paid repair, claim deadline) with its state
// form, the forward preview that comes before anything is sent, and the
// paid-repair quote request for devices outside the warranty.

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// vendorPanel is the ticket page's reseller case card.
type vendorPanel struct {
	Case *casePanel // nil while the ticket has no case
	// ClaimBefore is the device's last warranty day when the ticket should
	// go to the reseller before it ("" otherwise).
	ClaimBefore string
	// SLAPaused says since when our SLA clock stands still ("" when running).
	SLAPaused string
	// ForwardURL is the forward preview (GET); "" while a case is open.
	ForwardURL string
	// CaseURL is where the state form posts; StateOptions are the states the
	// case may move to (the current one first). Empty once the case is closed.
	CaseURL      string
	StateOptions []option
	// CaseRef and Comment are what was typed into a refused state form;
	// FormOpen shows that form unfolded.
	CaseRef, Comment string
	FormOpen         bool
}

// casePanel is an existing vendor case.
type casePanel struct {
	Vendor, CaseRef string
	State           badge
	Dates           []caseDate // every state, in order, with its date when reached
	// ExpectedBack is the day the reseller should be done ("" when unknown
	// or back already); Overdue is the translated "late" notice ("" when not).
	ExpectedBack, Overdue string
	PaidRepair            bool
}

// caseDate is one state of the case and when it was reached.
type caseDate struct {
	Label   string
	At      *time.Time
	Current bool
}

// caseFormInput is what was typed into the case state form, kept when the
// desk refuses it.
type caseFormInput struct {
	state, caseRef, comment string
}

// ticketVendorExtras fills the reseller case card and the reply form's
// canned replies of the ticket page.
func (h *handler) ticketVendorExtras(c echo.Context, v *desk.TicketView, d *ticketPageData, form ticketForm) error {
	lang, now := h.lang(c), h.Desk.Now()
	t := v.Ticket
	d.Vendor = h.vendorPanelOf(lang, t, v.VendorCase, form.vendorCase, now)
	return h.cannedPickerFor(c, t.Number, d, form)
}

func (h *handler) vendorPanelOf(lang string, t *models.Ticket, vc *models.VendorCase, in caseFormInput, now time.Time) vendorPanel {
	p := vendorPanel{CaseRef: in.caseRef, Comment: in.comment, FormOpen: in != caseFormInput{}}
	url := ticketURL(t.Number)
	if end, ok := desk.ClaimBefore(t, now); ok {
		p.ClaimBefore = h.Catalog.T(lang, "vcase.claim_before", end.Format(dayLayout))
	}
	if t.SLAPausedAt != nil {
		p.SLAPaused = h.Catalog.T(lang, "vendor.sla_paused", t.SLAPausedAt.In(h.loc).Format(dateLayout))
	}
	if vc == nil || vc.State == models.CaseClosed {
		p.ForwardURL = url + "/forward"
	}
	if vc == nil {
		return p
	}
	cp := &casePanel{Vendor: vc.Vendor.Name, CaseRef: vc.CaseRef, PaidRepair: vc.PaidRepair,
		State: badge{Class: "case-" + vc.State, Text: h.label(lang, "case_state.", vc.State)}}
	for _, s := range models.CaseStates {
		cp.Dates = append(cp.Dates, caseDate{Label: h.label(lang, "case_state.", s), At: vc.StateAt(s), Current: s == vc.State})
	}
	back := vc.State == models.CaseShippedBack || vc.State == models.CaseClosed
	if due, ok := desk.VendorDueAt(vc); ok && !back {
		dueText := due.In(h.loc).Format(dayLayout)
		cp.ExpectedBack = dueText
		if now.After(due) {
			cp.Overdue = h.Catalog.T(lang, "vendor.overdue", dueText)
		}
	}
	p.Case = cp
	if vc.State != models.CaseClosed {
		p.CaseURL = url + "/case"
		selected := vc.State
		if in.state != "" {
			selected = in.state
		}
		// The states the desk accepts: the current one (to record a case
		// number) and every later one.
		from := slices.Index(models.CaseStates, vc.State)
		p.StateOptions = h.options(lang, "case_state.", models.CaseStates[max(from, 0):], selected)
	}
	return p
}

// setCaseState moves the ticket's vendor case to the state chosen and
// records the reseller's case number and a comment.
func (h *handler) setCaseState(c echo.Context) error {
	in := caseFormInput{state: c.FormValue("state"), caseRef: c.FormValue("case_ref"), comment: c.FormValue("comment")}
	return h.ticketAction(c, "flash.case_state_saved", func(f *ticketForm) { f.vendorCase = in },
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.SetCaseState(ctx, actor, n, in.state, in.caseRef, in.comment)
		})
}

// requestPaidRepair asks the reseller for a quote on a repair outside the
// warranty.
func (h *handler) requestPaidRepair(c echo.Context) error {
	return h.ticketAction(c, "flash.paid_repair_requested", nil,
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.RequestPaidRepair(ctx, actor, n)
		})
}

// forwardPreviewData is the forward preview page.
type forwardPreviewData struct {
	Number               int64
	TicketURL, Subject   string
	To, MailSubject      string
	Body                 string
	Attachments          []string
	Notice               string // translated: warranty state and what the button does
	Privacy              string // translated: whether the requester is named
	Warranty, PaidRepair bool   // which button the page offers
	SendURL              string // POST: forward (warranty) or paid-repair
}

// forwardPreview shows the mail a forward would send, before anything is
// sent: a warranty claim for a device under warranty, otherwise the
// paid-repair quote request. A ticket that cannot be sent (no device, no
// reseller, a case already open) shows the ticket again with the reason.
func (h *handler) forwardPreview(c echo.Context) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	lang := h.lang(c)
	p, err := h.Desk.PreviewForward(c.Request().Context(), number)
	var cerr *desk.ConflictError
	switch {
	case errors.As(err, &cerr):
		c.Set(ctxPath, ticketURL(number))
		return h.renderTicket(c, http.StatusConflict, number, ticketForm{errors: []string{h.Catalog.T(lang, cerr.Key)}})
	case err != nil:
		return err
	}
	v, err := h.Desk.TicketView(c.Request().Context(), number)
	if err != nil {
		return err
	}
	d := forwardPreviewData{
		Number: p.Number, TicketURL: ticketURL(p.Number), Subject: v.Ticket.Subject,
		To: formatAddress(p.To.Name, p.To.Address), MailSubject: p.Subject, Body: p.Body, Attachments: p.Attachments,
		Warranty: p.Kind == desk.PreviewWarranty, PaidRepair: p.Kind == desk.PreviewPaidRepair,
		Privacy: h.Catalog.T(lang, "fwd.privacy_redacted"),
	}
	if p.SharesRequester {
		d.Privacy = h.Catalog.T(lang, "fwd.privacy_shared")
	}
	if p.WarrantyKnown {
		d.Notice = h.Catalog.T(lang, p.NoticeKey, p.WarrantyEndsOn.Format(dayLayout))
	} else {
		d.Notice = h.Catalog.T(lang, p.NoticeKey)
	}
	if d.Warranty {
		d.SendURL = d.TicketURL + "/forward"
	} else {
		d.SendURL = d.TicketURL + "/paid-repair"
	}
	return h.render(c, http.StatusOK, "forward_preview", "tickets", "fwd.title", d, p.Number)
}
