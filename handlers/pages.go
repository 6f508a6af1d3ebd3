package handlers

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/models"
)

// outboxStatuses are the outbox filter tabs.
var outboxStatuses = []string{models.OutboxQueued, models.OutboxSent, models.OutboxFailed}

// outboxData is the outbox page.
type outboxData struct {
	Tabs  []tab
	Rows  []outboxRow
	Pager pager
}

type outboxRow struct {
	ID                           uint
	Created                      time.Time
	Purpose, Recipients, Subject string
	State                        badge
	Attempts                     int
	NextAttempt                  *time.Time
	SentAt                       *time.Time
	LastError                    string
	TicketNumber                 int64
	TicketURL                    string
	RetryURL                     string // "" unless the mail failed for good
}

// outboxPage lists every outgoing mail with its delivery state.
func (h *handler) outboxPage(c echo.Context) error {
	lang, status := h.lang(c), c.QueryParam("status")
	if err := oneOf(status, outboxStatuses); err != nil {
		return err
	}
	page, offset, err := pageParams(c, pageSize)
	if err != nil {
		return err
	}
	mails, total, err := h.Store.ListOutbox(c.Request().Context(), status, pageSize, offset)
	if err != nil {
		return err
	}
	q := c.Request().URL.Query()
	d := outboxData{Tabs: h.tabs(lang, "/outbox", q, "status", "delivery.", outboxStatuses, status)}
	numbers := h.ticketNumbers(c)
	for _, m := range mails {
		row := outboxRow{
			ID: m.ID, Created: m.CreatedAt, Purpose: h.label(lang, "purpose.", m.Purpose),
			Recipients: strings.ReplaceAll(m.Recipients, ",", ", "), Subject: m.Subject,
			State:    badge{Class: "delivery-" + m.Status, Text: h.label(lang, "delivery.", m.Status)},
			Attempts: m.Attempts, SentAt: m.SentAt, LastError: m.LastError,
		}
		if m.Status == models.OutboxQueued {
			next := m.NextAttemptAt
			row.NextAttempt = &next
		}
		if m.Status == models.OutboxFailed {
			row.RetryURL = "/outbox/" + strconv.FormatUint(uint64(m.ID), 10) + "/retry"
		}
		if row.TicketNumber, err = numbers.of(m.TicketID); err != nil {
			return err
		}
		if row.TicketNumber != 0 {
			row.TicketURL = ticketURL(row.TicketNumber)
		}
		d.Rows = append(d.Rows, row)
	}
	d.Pager = makePager(c.Request().URL, page, pageSize, len(mails), total)
	return h.render(c, http.StatusOK, "outbox", "outbox", "outbox.title", d)
}

// retryOutbox queues a failed mail for another delivery attempt.
func (h *handler) retryOutbox(c echo.Context) error {
	id, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || id == 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "bad outbox id")
	}
	if err := h.Desk.RetryOutbox(c.Request().Context(), agentOf(c), uint(id)); err != nil {
		return err
	}
	h.setFlash(c, "ok", "flash.retry_queued")
	return redirect(c, "/outbox")
}

// tabs builds filter tabs "all" + values, without counts.
func (h *handler) tabs(lang, path string, q map[string][]string, key, prefix string, values []string, current string) []tab {
	out := []tab{{URL: withQuery(path, q, key, ""), Label: h.Catalog.T(lang, "filter.all"), Count: -1, Current: current == ""}}
	for _, v := range values {
		out = append(out, tab{URL: withQuery(path, q, key, v), Label: h.label(lang, prefix, v), Count: -1, Current: current == v})
	}
	return out
}

// intakeOutcomes are the intake filter tabs.
var intakeOutcomes = []string{models.OutcomeCreated, models.OutcomeAppended, models.OutcomeIgnored,
	models.OutcomeQuarantined, models.OutcomePending}

// intakeData is the intake log page.
type intakeData struct {
	Tabs    []tab
	Rows    []intakeRow
	Pager   pager
	Cursors []cursorRow
}

type intakeRow struct {
	ID                   uint
	Fetched              time.Time
	From, Subject, Class string
	Outcome              badge
	Reason               string
	Mailbox              string
	UID                  uint32
	TicketNumber         int64
	TicketURL            string
	DuplicateOf          string
	Size                 string // of the raw mail
	ReprocessURL         string // "" unless the mail is quarantined
}

type cursorRow struct {
	Mailbox     string
	UIDValidity uint32
	LastUID     uint32
	LastFetch   *time.Time
	LastError   string
	LastErrorAt *time.Time
}

// intakePage lists every fetched mail with what became of it and why.
func (h *handler) intakePage(c echo.Context) error {
	ctx, lang, outcome := c.Request().Context(), h.lang(c), c.QueryParam("outcome")
	if err := oneOf(outcome, intakeOutcomes); err != nil {
		return err
	}
	page, offset, err := pageParams(c, pageSize)
	if err != nil {
		return err
	}
	recs, total, err := h.Store.ListIntake(ctx, models.IntakeFilter{Outcome: outcome, Limit: pageSize, Offset: offset})
	if err != nil {
		return err
	}
	cursors, err := h.Store.Cursors(ctx)
	if err != nil {
		return err
	}
	d := intakeData{Tabs: h.tabs(lang, "/intake", c.Request().URL.Query(), "outcome", "outcome.", intakeOutcomes, outcome)}
	numbers := h.ticketNumbers(c)
	for _, r := range recs {
		row := intakeRow{
			ID: r.ID, Fetched: r.FetchedAt, From: r.FromEmail, Subject: r.Subject,
			Class:   h.label(lang, "autoclass.", r.Class),
			Outcome: badge{Class: "outcome-" + r.Outcome, Text: h.label(lang, "outcome.", r.Outcome)},
			Reason:  r.Reason, Mailbox: r.Mailbox, UID: r.UID, Size: h.humanSize(lang, r.Size),
		}
		if r.Outcome == models.OutcomeQuarantined {
			row.ReprocessURL = "/intake/" + strconv.FormatUint(uint64(r.ID), 10) + "/reprocess"
		}
		if r.DuplicateOf != nil {
			row.DuplicateOf = "#" + strconv.FormatUint(uint64(*r.DuplicateOf), 10)
		}
		if row.TicketNumber, err = numbers.of(r.TicketID); err != nil {
			return err
		}
		if row.TicketNumber != 0 {
			row.TicketURL = ticketURL(row.TicketNumber)
		}
		d.Rows = append(d.Rows, row)
	}
	for _, cur := range cursors {
		d.Cursors = append(d.Cursors, cursorRow{Mailbox: cur.Mailbox, UIDValidity: cur.UIDValidity, LastUID: cur.LastUID,
			LastFetch: cur.LastFetchAt, LastError: cur.LastError, LastErrorAt: cur.LastErrorAt})
	}
	d.Pager = makePager(c.Request().URL, page, pageSize, len(recs), total)
	return h.render(c, http.StatusOK, "intake", "intake", "intake.title", d)
}

// reprocessIntake sends a quarantined mail through intake again (after the
// cause was fixed) and wakes the processor.
func (h *handler) reprocessIntake(c echo.Context) error {
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	if err := h.Desk.ReprocessIntake(c.Request().Context(), agentOf(c), id, h.OnIntakeRequeued); err != nil {
		return err
	}
	h.setFlash(c, "ok", "flash.reprocess_queued")
	return redirect(c, "/intake")
}

// resellerData is the demo reseller inbox page.
type resellerData struct {
	Mails []resellerItem
}

type resellerItem struct {
	From, To, Subject, Text string
	At                      time.Time
}

// resellerPage shows what the demo's reseller mailbox received, newest first.
func (h *handler) resellerPage(c echo.Context) error {
	if h.ResellerInbox == nil {
		return echo.ErrNotFound
	}
	mails := slices.Clone(h.ResellerInbox())
	slices.SortStableFunc(mails, func(a, b ResellerMail) int { return b.At.Compare(a.At) })
	var d resellerData
	for _, m := range mails {
		d.Mails = append(d.Mails, resellerItem{From: m.From, To: strings.Join(m.To, ", "), Subject: m.Subject, Text: m.Text, At: m.At})
	}
	return h.render(c, http.StatusOK, "reseller", "reseller", "reseller.title", d)
}
