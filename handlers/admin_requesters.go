package handlers

// The requesters page (admins): what the desk holds about one person, a
// JSON export of it (GDPR Art. 15) and its erasure (Art. 17). The desk does
// the work (desk/privacy.go); these handlers only ask and confirm.

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
)

// adminRequestersData is the requesters page.
type adminRequestersData struct {
	// Email is the address searched for ("" before a search).
	Email  string
	Errors []string
	// Found is what the desk holds about Email; nil before a search.
	Found *requesterHoldings
	// Erased is the outcome of an erasure just made; nil otherwise.
	Erased *erasedSummary
}

// requesterHoldings is what the desk holds about one address, as counts.
type requesterHoldings struct {
	Name, Department              string
	Known                         bool // the address is a requester
	Tickets                       []requesterTicket
	Messages, Attachments, Intake int
	Outgoing, Assets              int
	Empty                         bool // nothing at all: no export or erasure to offer
	ExportURL                     string
	EraseAction                   string
	// ConfirmValue is what was typed into the confirmation, kept when refused.
	ConfirmValue string
}

// requesterTicket is one of the person's tickets on the page.
type requesterTicket struct {
	Number  int64
	URL     string
	Subject string
	Status  badge
}

// erasedSummary is an erasure's outcome on the page.
type erasedSummary struct {
	Pseudonym                                      string
	Tickets, Messages, Attachments, Intake, Outbox int64
}

// The privacy functions of the desk take no actor: that only admins reach
// them is the route table's rule (admin middleware).

// adminRequesters searches for a person by email and shows what the desk
// holds about them, with the export link and the erase form.
func (h *handler) adminRequesters(c echo.Context) error {
	email := strings.TrimSpace(c.QueryParam("email"))
	d := adminRequestersData{Email: email}
	status := http.StatusOK
	if email != "" {
		var err error
		if d.Found, err = h.requesterHoldings(c, email); err != nil {
			if status, err = h.requestersRefused(c, err, &d); err != nil {
				return err
			}
		}
	}
	return h.renderRequesters(c, status, d)
}

// requesterHoldings asks the desk what it holds about email.
func (h *handler) requesterHoldings(c echo.Context, email string) (*requesterHoldings, error) {
	x, err := h.Desk.ExportRequester(c.Request().Context(), email)
	if err != nil {
		return nil, err
	}
	lang := h.lang(c)
	f := &requesterHoldings{Messages: len(x.Messages), Attachments: len(x.Attachments), Intake: len(x.IntakeRecords),
		Outgoing: len(x.OutgoingMail), Assets: len(x.Assets),
		ExportURL:   "/admin/requesters/export?" + url.Values{"email": {x.Email}}.Encode(),
		EraseAction: "/admin/requesters/erase"}
	if x.Requester != nil {
		f.Known, f.Name, f.Department = true, x.Requester.Name, x.Requester.Department
	}
	for _, t := range x.Tickets {
		f.Tickets = append(f.Tickets, requesterTicket{Number: t.Number, URL: ticketURL(t.Number), Subject: t.Subject,
			Status: badge{Class: "status-" + t.Status, Text: h.label(lang, "status.", t.Status)}})
	}
	f.Empty = !f.Known && len(f.Tickets) == 0 && f.Messages == 0 && f.Attachments == 0 && f.Intake == 0 &&
		f.Outgoing == 0 && f.Assets == 0
	return f, nil
}

// adminRequesterExport sends everything the desk holds about ?email= as a
// JSON attachment.
func (h *handler) adminRequesterExport(c echo.Context) error {
	x, err := h.Desk.ExportRequester(c.Request().Context(), c.QueryParam("email"))
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(x, "", "  ")
	if err != nil {
		return fmt.Errorf("encode export: %w", err)
	}
	// The address stays out of logs and file names: it is what is exported.
	h.Logger.Info("requester data exported", "by", agentOf(c).Email)
	name := "warrantydesk-export-" + x.ExportedAt.Format("2006-01-02") + ".json"
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSONCharsetUTF8, body)
}

// adminRequesterErase erases a person's data once the admin has typed the
// address a second time, exactly (case and surrounding space aside).
func (h *handler) adminRequesterErase(c echo.Context) error {
	email, confirm := strings.TrimSpace(c.FormValue("email")), strings.TrimSpace(c.FormValue("confirm"))
	d := adminRequestersData{Email: email}
	found, err := h.requesterHoldings(c, email)
	if err != nil {
		status, err := h.requestersRefused(c, err, &d)
		if err != nil {
			return err
		}
		return h.renderRequesters(c, status, d)
	}
	d.Found = found
	if !strings.EqualFold(confirm, email) {
		found.ConfirmValue = confirm
		d.Errors = []string{h.Catalog.T(h.lang(c), "requesters.error.confirm")}
		return h.renderRequesters(c, http.StatusUnprocessableEntity, d)
	}
	res, err := h.Desk.EraseRequester(c.Request().Context(), agentOf(c).Email, email)
	if errors.Is(err, desk.ErrForbidden) {
		// An agent's, a vendor's or the desk's own address: an account, not a person to erase.
		d.Errors = []string{h.Catalog.T(h.lang(c), "requesters.error.account")}
		return h.renderRequesters(c, http.StatusConflict, d)
	}
	if err != nil {
		return err
	}
	n := res.Counts
	return h.renderRequesters(c, http.StatusOK, adminRequestersData{Erased: &erasedSummary{Pseudonym: res.Pseudonym,
		Tickets: n.Tickets, Messages: n.Messages, Attachments: n.Attachments, Intake: n.IntakeRecords, Outbox: n.OutboxMails}})
}

// requestersRefused puts a validation error on the page (status 422); any
// other error is returned.
func (h *handler) requestersRefused(c echo.Context, err error, d *adminRequestersData) (int, error) {
	var verr *desk.ValidationError
	if !errors.As(err, &verr) {
		return 0, err
	}
	d.Errors = h.fieldMessages(h.lang(c), err)
	d.Found = nil
	return http.StatusUnprocessableEntity, nil
}

func (h *handler) renderRequesters(c echo.Context, status int, d adminRequestersData) error {
	c.Set(ctxPath, "/admin/requesters")
	return h.render(c, status, "admin_requesters", "admin_requesters", "requesters.title", d)
}
