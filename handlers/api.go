package handlers

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// list is the shape of every API list: one page of items and the total.
type list[T any] struct {
	Items []T   `json:"items"`
	Total int64 `json:"total"`
}

type apiPerson struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// apiTicketItem is a ticket in the API list (DESIGN.md: number, subject,
// status, category, priority, requester{email,name}, created_at, updated_at).
type apiTicketItem struct {
	Number    int64      `json:"number"`
	Subject   string     `json:"subject"`
	Status    string     `json:"status"`
	Category  string     `json:"category"`
	Priority  string     `json:"priority"`
	Requester apiPerson  `json:"requester"`
	Assignee  *apiPerson `json:"assignee"`
	Serial    string     `json:"serial,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	UpdatedAt time.Time  `json:"updated_at"`
}

type apiAssetRef struct {
	Serial         string  `json:"serial"`
	AssetTag       string  `json:"asset_tag"`
	Model          string  `json:"model"`
	Manufacturer   string  `json:"manufacturer"`
	Vendor         string  `json:"vendor"`
	WarrantyEndsOn *string `json:"warranty_ends_on"` // YYYY-MM-DD, null when unknown
	UnderWarranty  bool    `json:"under_warranty"`
}

type apiVendorCase struct {
	Vendor      string     `json:"vendor"`
	State       string     `json:"state"`
	CaseRef     string     `json:"case_ref"`
	ForwardedAt *time.Time `json:"forwarded_at"`
}

type apiMessage struct {
	Direction string       `json:"direction"`
	Kind      string       `json:"kind"`
	From      string       `json:"from"` // sender's address ("" for system entries)
	FromName  string       `json:"from_name,omitempty"`
	Subject   string       `json:"subject"`
	Text      string       `json:"text"`
	At        time.Time    `json:"at"`
	AutoClass string       `json:"auto_class,omitempty"`
	Delivery  *apiDelivery `json:"delivery,omitempty"`
}

type apiDelivery struct {
	Status    string `json:"status"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
}

// apiTicketDetail is one ticket with its asset, vendor case and conversation.
type apiTicketDetail struct {
	apiTicketItem
	FaultMatches string         `json:"fault_matches,omitempty"`
	Asset        *apiAssetRef   `json:"asset"`
	VendorCase   *apiVendorCase `json:"vendor_case"`
	Messages     []apiMessage   `json:"messages"`
}

// apiLimits reads limit (1–500, default 50) and offset.
func apiLimits(c echo.Context) (limit, offset int, err error) {
	limit = 50
	if v := c.QueryParam("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 500 {
			return 0, 0, echo.NewHTTPError(http.StatusBadRequest, "limit must be 1–500")
		}
	}
	if v := c.QueryParam("offset"); v != "" {
		if offset, err = strconv.Atoi(v); err != nil || offset < 0 {
			return 0, 0, echo.NewHTTPError(http.StatusBadRequest, "offset must be ≥ 0")
		}
	}
	return limit, offset, nil
}

func ticketItem(t *models.Ticket) apiTicketItem {
	it := apiTicketItem{
		Number: t.Number, Subject: t.Subject, Status: t.Status, Category: t.Category, Priority: t.Priority,
		Requester: apiPerson{Email: t.Requester.Email, Name: t.Requester.Name},
		CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC(),
	}
	if t.Assignee != nil {
		it.Assignee = &apiPerson{Email: t.Assignee.Email, Name: t.Assignee.Name}
	}
	if t.Asset != nil {
		it.Serial = t.Asset.Serial
	}
	return it
}

// apiTicketHit is a ticket in the API list, with its search snippet: HTML,
// the text escaped and the matched words in <mark> (only with q=).
type apiTicketHit struct {
	apiTicketItem
	Snippet string `json:"snippet,omitempty"`
}

// apiTickets lists tickets: ?status=&category=&q=&serial=&limit=&offset=,
// plus the list page's other filters (view, priority, assignee, vendor,
// department, warranty, from, to, sort, dir). No or an empty status means
// every status; with q the best matches come first.
func (h *handler) apiTickets(c echo.Context) error {
	q := listQuery(c)
	var err error
	if q.Limit, q.Offset, err = apiLimits(c); err != nil {
		return err
	}
	q.ExactCount = true
	res, err := h.Desk.TicketList(c.Request().Context(), agentOf(c), q)
	if err != nil {
		return err
	}
	out := list[apiTicketHit]{Items: make([]apiTicketHit, 0, len(res.Items)), Total: res.Total}
	for i := range res.Items {
		out.Items = append(out.Items, apiTicketHit{apiTicketItem: ticketItem(&res.Items[i].Ticket), Snippet: string(highlight(res.Items[i].Snippet))})
	}
	return c.JSON(http.StatusOK, out)
}

// apiTicket returns one ticket with asset, vendor case and messages.
func (h *handler) apiTicket(c echo.Context) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	d, err := h.ticketDetail(c.Request().Context(), number)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// ticketDetail is ticket number as the API shows it.
func (h *handler) ticketDetail(ctx context.Context, number int64) (*apiTicketDetail, error) {
	v, err := h.Desk.TicketView(ctx, number)
	if err != nil {
		return nil, err
	}
	d := &apiTicketDetail{apiTicketItem: ticketItem(v.Ticket), FaultMatches: v.Ticket.FaultMatches,
		Messages: make([]apiMessage, 0, len(v.Messages))}
	if a := v.Ticket.Asset; a != nil {
		d.Asset = assetRef(a, v.Warranty)
	}
	if vc := v.VendorCase; vc != nil {
		d.VendorCase = &apiVendorCase{Vendor: vc.Vendor.Name, State: vc.State, CaseRef: vc.CaseRef, ForwardedAt: utcPtr(vc.ForwardedAt)}
	}
	for _, m := range v.Messages {
		am := apiMessage{Direction: m.Direction, Kind: m.Kind, From: m.FromEmail, FromName: m.FromName,
			Subject: m.Subject, Text: m.Text, At: m.CreatedAt.UTC(), AutoClass: m.AutoClass}
		if m.Delivery != nil {
			am.Delivery = &apiDelivery{Status: m.Delivery.Status, Attempts: m.Delivery.Attempts, LastError: m.Delivery.LastError}
		}
		d.Messages = append(d.Messages, am)
	}
	return d, nil
}

func assetRef(a *models.Asset, w desk.Warranty) *apiAssetRef {
	ref := &apiAssetRef{Serial: a.Serial, AssetTag: a.AssetTag, Model: a.Model, Manufacturer: a.Manufacturer,
		UnderWarranty: w.Known && w.Under}
	if a.Vendor != nil {
		ref.Vendor = a.Vendor.Name
	}
	if w.Known {
		s := w.EndsOn.Format(dayLayout)
		ref.WarrantyEndsOn = &s
	}
	return ref
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// apiIntakeRecord is one fetched mail and its outcome.
type apiIntakeRecord struct {
	ID           uint       `json:"id"`
	Mailbox      string     `json:"mailbox"`
	UIDValidity  uint32     `json:"uid_validity"`
	UID          uint32     `json:"uid"`
	MessageID    string     `json:"message_id"`
	From         string     `json:"from"`
	Subject      string     `json:"subject"`
	Class        string     `json:"class"`
	Outcome      string     `json:"outcome"`
	Reason       string     `json:"reason"`
	TicketNumber *int64     `json:"ticket_number"`
	DuplicateOf  *uint      `json:"duplicate_of,omitempty"`
	FetchedAt    time.Time  `json:"fetched_at"`
	ProcessedAt  *time.Time `json:"processed_at"`
}

// apiIntake lists intake records, newest first: ?outcome=, limit, offset.
func (h *handler) apiIntake(c echo.Context) error {
	outcome := c.QueryParam("outcome")
	if err := oneOf(outcome, intakeOutcomes); err != nil {
		return err
	}
	limit, offset, err := apiLimits(c)
	if err != nil {
		return err
	}
	recs, total, err := h.Store.ListIntake(c.Request().Context(), models.IntakeFilter{Outcome: outcome, Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	numbers := h.ticketNumbers(c)
	out := list[apiIntakeRecord]{Items: make([]apiIntakeRecord, 0, len(recs)), Total: total}
	for _, r := range recs {
		item := apiIntakeRecord{ID: r.ID, Mailbox: r.Mailbox, UIDValidity: r.UIDValidity, UID: r.UID,
			MessageID: r.MessageID, From: r.FromEmail, Subject: r.Subject, Class: r.Class, Outcome: r.Outcome,
			Reason: r.Reason, DuplicateOf: r.DuplicateOf, FetchedAt: r.FetchedAt.UTC(), ProcessedAt: utcPtr(r.ProcessedAt)}
		n, err := numbers.of(r.TicketID)
		if err != nil {
			return err
		}
		if n != 0 {
			item.TicketNumber = &n
		}
		out.Items = append(out.Items, item)
	}
	return c.JSON(http.StatusOK, out)
}
