package handlers

// The overdue page (/overdue): what is late at the desk's clock, in three
// sections — our own SLA breached, the reseller past its turnaround, and
// warranty claims that must go out before the warranty ends.

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
)

// overdueData is the overdue page.
type overdueData struct {
	SLA    []overdueTicketRow
	Vendor []overdueCaseRow
	Claims []claimDueRow
}

// overdueTicketRow is a ticket whose SLA is breached.
type overdueTicketRow struct {
	Number       int64
	URL, Subject string
	Status       badge
	Assignee     string
	Due          time.Time
	Late         string // translated, e.g. "5 h" or "3 dagar"
}

// overdueCaseRow is a vendor case past the reseller's turnaround.
type overdueCaseRow struct {
	Number                 int64
	URL, Subject           string
	Vendor, CaseRef, State string
	PaidRepair             bool
	Forwarded              *time.Time
	Due                    string // day
	Late                   string // translated days late
}

// claimDueRow is an open hardware ticket whose device's warranty ends soon.
type claimDueRow struct {
	Number                int64
	URL, Subject          string
	Serial, Model, Status string
	ClaimBefore           string // the warranty's last day
	DaysLeft              string // translated
}

// overduePage shows the three overdue lists.
func (h *handler) overduePage(c echo.Context) error {
	ctx, lang, now := c.Request().Context(), h.lang(c), h.Desk.Now()
	d := overdueData{}
	breached, err := h.Desk.Overdue(ctx, now)
	if err != nil {
		return err
	}
	for i := range breached {
		t := &breached[i]
		row := overdueTicketRow{Number: t.Number, URL: ticketURL(t.Number), Subject: t.Subject,
			Status: badge{Class: "status-" + t.Status, Text: h.label(lang, "status.", t.Status)}}
		if t.Assignee != nil {
			row.Assignee = t.Assignee.Name
		}
		if t.SLADueAt != nil {
			row.Due = *t.SLADueAt
			row.Late = h.lateText(lang, now.Sub(*t.SLADueAt))
		}
		d.SLA = append(d.SLA, row)
	}
	cases, err := h.Desk.VendorOverdueCases(ctx, now)
	if err != nil {
		return err
	}
	for _, oc := range cases {
		d.Vendor = append(d.Vendor, overdueCaseRow{Number: oc.Ticket.Number, URL: ticketURL(oc.Ticket.Number),
			Subject: oc.Ticket.Subject, Vendor: oc.Case.Vendor.Name, CaseRef: oc.Case.CaseRef,
			State: h.label(lang, "case_state.", oc.Case.State), PaidRepair: oc.Case.PaidRepair,
			Forwarded: oc.Case.ForwardedAt, Due: oc.DueAt.In(h.loc).Format(dayLayout), Late: h.daysText(lang, "overdue.days_late", oc.DaysLate)})
	}
	claims, err := h.Desk.ClaimsDue(ctx, now)
	if err != nil {
		return err
	}
	for i := range claims {
		t := &claims[i]
		end, ok := desk.ClaimBefore(t, now)
		if !ok {
			continue
		}
		w := desk.WarrantyOf(t.Asset, now)
		d.Claims = append(d.Claims, claimDueRow{Number: t.Number, URL: ticketURL(t.Number), Subject: t.Subject,
			Serial: t.Asset.Serial, Model: t.Asset.Model, Status: h.label(lang, "status.", t.Status),
			ClaimBefore: end.Format(dayLayout), DaysLeft: h.daysText(lang, "overdue.days_left", w.DaysLeft)})
	}
	return h.render(c, http.StatusOK, "overdue", "overdue", "overdue.title", d)
}

// lateText says how late something is: hours under two days, else days.
func (h *handler) lateText(lang string, late time.Duration) string {
	if late < 48*time.Hour {
		return h.Catalog.T(lang, "overdue.hours_late", max(int(late.Hours()), 0))
	}
	return h.daysText(lang, "overdue.days_late", int(late.Hours()/24))
}

// daysText formats n days with key (a %d text), or key+"_one" for one day.
func (h *handler) daysText(lang, key string, n int) string {
	if n == 1 {
		return h.Catalog.T(lang, key+"_one")
	}
	return h.Catalog.T(lang, key, n)
}
