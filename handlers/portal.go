package handlers

// The vendor portal (/portal): a reseller's users see the cases sent to
// their reseller and report on them — state, case number, a comment. The
// route table lets only vendor users in (requireRole(vendorRoles...)); the
// desk (desk/portal.go) scopes every case to the user's reseller and answers
// 404 for anybody else's, so a vendor cannot probe ticket numbers.

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// portalRow is one case in the portal's list.
type portalRow struct {
	Number        int64
	URL           string
	Subject       string
	Serial, Model string
	State         badge
	CaseRef       string
	PaidRepair    bool
	Forwarded     *time.Time
	// Due is the day the reseller should be done ("" when unknown); Overdue
	// is the translated "late" notice while the case is still open.
	Due, Overdue string
}

// portalListData is the portal's start page.
type portalListData struct {
	Vendor string
	Rows   []portalRow
}

// portalMessage is one mail on a portal case page: to the reseller, or
// from it (including comments made in the portal).
type portalMessage struct {
	Class, Kind string // CSS class; translated "sent to you"/"from you"
	From, To    string
	Subject     string
	Text        string
	At          time.Time
	Attachments []attachmentItem
}

// portalCaseData is a portal case page with its update form.
type portalCaseData struct {
	portalRow
	Vendor   string
	Dates    []caseDate
	Messages []portalMessage
	// FormURL is where the update form posts; "" once the case is closed.
	FormURL      string
	StateOptions []option
	// CaseRefInput and Comment are what was typed into a refused form.
	CaseRefInput, Comment string
	Errors                []string // translated
}

// portalInput is what was typed into the update form.
type portalInput struct{ state, caseRef, comment string }

// portalURL is the portal page of the case of ticket number.
func portalURL(number int64) string { return "/portal/cases/" + strconv.FormatInt(number, 10) }

// portalList lists the cases sent to the user's reseller.
func (h *handler) portalList(c echo.Context) error {
	lang := h.lang(c)
	cases, err := h.Desk.PortalCases(c.Request().Context(), agentOf(c))
	if err != nil {
		return err
	}
	d := portalListData{}
	for i := range cases {
		d.Rows = append(d.Rows, h.portalRowOf(lang, &cases[i]))
		d.Vendor = cases[i].Case.Vendor.Name
	}
	if d.Vendor == "" {
		if v, err := h.Store.VendorByID(c.Request().Context(), *agentOf(c).VendorID); err == nil {
			d.Vendor = v.Name
		}
	}
	return h.render(c, http.StatusOK, "portal", "portal", "portal.title", d)
}

// portalRowOf shows one case.
func (h *handler) portalRowOf(lang string, pc *desk.PortalCase) portalRow {
	r := portalRow{Number: pc.Number, URL: portalURL(pc.Number), Subject: pc.Subject, Serial: pc.Serial, Model: pc.Model,
		State:   badge{Class: "case-" + pc.Case.State, Text: h.label(lang, "case_state.", pc.Case.State)},
		CaseRef: pc.Case.CaseRef, PaidRepair: pc.Case.PaidRepair, Forwarded: pc.Case.ForwardedAt}
	if pc.DueAt != nil {
		r.Due = pc.DueAt.In(h.loc).Format(dayLayout)
		back := pc.Case.State == models.CaseShippedBack || pc.Case.State == models.CaseClosed
		if !back && h.Desk.Now().After(*pc.DueAt) {
			r.Overdue = h.Catalog.T(lang, "vendor.overdue", r.Due)
		}
	}
	return r
}

// portalCase shows one case: its dates, the mails exchanged with the
// reseller and the update form.
func (h *handler) portalCase(c echo.Context) error {
	return h.renderPortalCase(c, http.StatusOK, portalInput{}, nil)
}

// renderPortalCase renders the case page of the request's ticket number,
// with what was typed and the reasons it was refused, if any.
func (h *handler) renderPortalCase(c echo.Context, status int, in portalInput, errs []string) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	lang := h.lang(c)
	v, err := h.Desk.PortalCase(c.Request().Context(), agentOf(c), number)
	if err != nil {
		return err
	}
	d := portalCaseData{portalRow: h.portalRowOf(lang, &v.PortalCase), Vendor: v.Case.Vendor.Name,
		CaseRefInput: in.caseRef, Comment: in.comment, Errors: errs}
	for _, s := range models.CaseStates {
		d.Dates = append(d.Dates, caseDate{Label: h.label(lang, "case_state.", s), At: v.Case.StateAt(s), Current: s == v.Case.State})
	}
	for _, m := range v.Messages {
		pm := portalMessage{Class: "msg-vendor-out", Kind: h.Catalog.T(lang, "portal.msg_to_you"),
			From: formatAddress(m.FromName, m.FromEmail), To: m.To, Subject: m.Subject, Text: m.Text, At: m.CreatedAt}
		if m.Kind == models.KindVendorIn {
			pm.Class, pm.Kind = "msg-vendor-in", h.Catalog.T(lang, "portal.msg_from_you")
		}
		for _, a := range m.Attachments {
			pm.Attachments = append(pm.Attachments, attachmentItem{Name: cleanFilename(a.Filename), Type: a.ContentType,
				Size: h.humanSize(lang, a.Size), URL: portalURL(number) + "/attachments/" + strconv.FormatUint(uint64(a.ID), 10)})
		}
		d.Messages = append(d.Messages, pm)
	}
	if v.Open {
		d.FormURL = portalURL(number)
		selected := v.Case.State
		if in.state != "" {
			selected = in.state
		}
		from := max(slices.Index(models.CaseStates, v.Case.State), 0)
		d.StateOptions = h.options(lang, "case_state.", models.CaseStates[from:], selected)
	}
	c.Set(ctxPath, portalURL(number))
	return h.render(c, status, "portal_case", "portal", "portal.case_title", d, number)
}

// portalUpdate records the reseller's state, case number and comment. A
// refused update shows the page again with the reasons and what was typed.
func (h *handler) portalUpdate(c echo.Context) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	in := portalInput{state: c.FormValue("state"), caseRef: c.FormValue("case_ref"), comment: c.FormValue("comment")}
	err = h.Desk.PortalUpdate(c.Request().Context(), agentOf(c), number, in.state, in.caseRef, in.comment)
	var (
		verr *desk.ValidationError
		cerr *desk.ConflictError
	)
	switch {
	case errors.As(err, &verr):
		return h.renderPortalCase(c, http.StatusBadRequest, in, h.fieldMessages(h.lang(c), err))
	case errors.As(err, &cerr):
		return h.renderPortalCase(c, http.StatusConflict, in, []string{h.Catalog.T(h.lang(c), cerr.Key)})
	case err != nil:
		return err
	}
	h.Logger.Info("portal update", "vendor_user", agentOf(c).Email, "ticket", number, "state", in.state)
	h.setFlash(c, "ok", "flash.portal_saved")
	return redirect(c, portalURL(number))
}

// portalAttachment downloads a file of a mail the reseller may read, with
// the same headers as the agents' downloads (attachments.go).
func (h *handler) portalAttachment(c echo.Context) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	a, data, err := h.Desk.PortalAttachment(c.Request().Context(), agentOf(c), number, id)
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentDisposition, contentDisposition("attachment", a.Filename))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", attachmentCSP)
	hd.Set(echo.HeaderCacheControl, "private, no-store")
	return c.Blob(http.StatusOK, servedContentType(a), data)
}
