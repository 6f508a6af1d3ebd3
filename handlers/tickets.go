package handlers

import (
	"context"
	"errors"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/mailin"
	"warrantydesk/models"
)

// home sends agents to the ticket list.
func (h *handler) home(c echo.Context) error { return redirect(c, "/tickets") }

type ticketRow struct {
	Number                   int64
	URL, Subject             string
	Requester, RequesterMail string
	Status, Category         badge
	Priority                 badge
	Assignee, Serial         string
	Updated                  time.Time
}

func (h *handler) ticketRow(lang string, t *models.Ticket) ticketRow {
	r := ticketRow{
		Number: t.Number, URL: ticketURL(t.Number), Subject: t.Subject,
		Requester: t.Requester.Name, RequesterMail: t.Requester.Email,
		Status:   h.badgeOf(lang, "status", t.Status),
		Category: h.badgeOf(lang, "category", t.Category),
		Priority: h.badgeOf(lang, "priority", t.Priority),
		Updated:  t.UpdatedAt,
	}
	if r.Requester == "" {
		r.Requester = t.Requester.Email
	}
	if t.Assignee != nil {
		r.Assignee = t.Assignee.Name
	}
	if t.Asset != nil {
		r.Serial = t.Asset.Serial
	}
	return r
}

// ticketPageData is the ticket page.
type ticketPageData struct {
	ticketRow
	RequesterDept string
	FaultMatches  string
	Created       time.Time
	SLADue        *time.Time
	Messages      []messageItem
	Asset         *assetCard
	Suggestions   []assetCard
	Audit         []auditItem
	// The selects' options, rendered (optionsHTML): status change with the
	// current status selected, status after a reply with "pending"
	// selected, and assignee ("" = nobody).
	StatusOptions, ReplyStatuses, AgentOptions template.HTML
	Errors                                     []string // translated problems of the form just sent
	ReplyText                                  string   // what was typed, kept when the form was refused
	NoteText                                   string
	SerialText                                 string // the asset form's serial, kept when refused
	// OtherSerials, AssetURL and SwapURL are the asset registry's part of
	// the device card (ticketAssetExtras).
	OtherSerials      []serialChoice
	AssetURL, SwapURL string
	// Routing says why the rules routed the ticket as they did (rules.go).
	Routing *routingCard
	// Related is the related-tickets card with the link and merge forms (admin_merge.go).
	Related *relatedCard
	// Vendor is the reseller case card and Canned the reply form's canned
	// replies (vendor_case.go, canned.go).
	Vendor vendorPanel
	Canned cannedPicker
}

// messageItem is one entry of the conversation. Class tells the kinds apart
// visually: requester, agent, vendor, system, note and automatic mail.
type messageItem struct {
	Class, Kind       string
	From, To, Subject string
	Text              string // what the sender wrote: an incoming mail without its quoted history
	FullText          string // the whole text, only when it differs from Text
	HTMLURL           string // the formatted (HTML) view, "" when the mail has no HTML
	At                time.Time
	Auto              string // label of automatic mail (out-of-office, bounce…), "" when personal
	Delivery          *deliveryItem
	Attachments       []attachmentItem
}

// attachmentItem is a file of a message, as the ticket page lists it.
type attachmentItem struct {
	Name, Type, Size, URL string
}

// deliveryItem is the delivery state of an outgoing mail.
type deliveryItem struct {
	State     badge
	Attempts  int
	LastError string
	SentAt    *time.Time
}

type auditItem struct {
	At                     time.Time
	Actor, Field, Old, New string
}

// ticketForm is what an agent typed into a refused form, shown again.
type ticketForm struct {
	errors              []string
	reply, note, serial string
	vendorCase          caseFormInput
}

// ticketPage shows one ticket with its conversation and actions.
func (h *handler) ticketPage(c echo.Context) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	return h.renderTicket(c, http.StatusOK, number, ticketForm{})
}

func (h *handler) renderTicket(c echo.Context, status int, number int64, form ticketForm) error {
	v, err := h.Desk.TicketView(c.Request().Context(), number)
	if err != nil {
		return err
	}
	d, err := h.ticketPageData(h.lang(c), v, time.Now())
	if err != nil {
		return err
	}
	d.Errors, d.ReplyText, d.NoteText, d.SerialText = form.errors, form.reply, form.note, form.serial
	if err := h.ticketAssetExtras(c.Request().Context(), h.lang(c), v, &d, isAdmin(c)); err != nil {
		return err
	}
	if d.Routing, err = h.routingCardOf(c, v.Ticket); err != nil {
		return err
	}
	if d.Related, err = h.relatedCardOf(c, v.Ticket); err != nil {
		return err
	}
	if err := h.ticketVendorExtras(c, v, &d, form); err != nil {
		return err
	}
	return h.render(c, status, "ticket", "tickets", "ticket.title", d, v.Ticket.Number, v.Ticket.Subject)
}

func (h *handler) ticketPageData(lang string, v *desk.TicketView, now time.Time) (ticketPageData, error) {
	t := v.Ticket
	d := ticketPageData{
		ticketRow:     h.ticketRow(lang, t),
		RequesterDept: t.Requester.Department,
		FaultMatches:  t.FaultMatches,
		Created:       t.CreatedAt,
		SLADue:        t.SLADueAt,
	}
	agents := []option{{Value: "", Label: h.Catalog.T(lang, "ticket.unassigned"), Selected: t.AssigneeID == nil}}
	for _, a := range v.Agents {
		agents = append(agents, option{
			Value: strconv.FormatUint(uint64(a.ID), 10), Label: a.Name,
			Selected: t.AssigneeID != nil && *t.AssigneeID == a.ID,
		})
	}
	var err error
	for _, f := range []struct {
		to   *template.HTML
		opts []option
	}{
		{&d.StatusOptions, h.options(lang, "status.", models.Statuses, t.Status)},
		{&d.ReplyStatuses, h.options(lang, "status.", replyStatuses, models.StatusPending)},
		{&d.AgentOptions, agents},
	} {
		if *f.to, err = h.optionsHTML(f.opts); err != nil {
			return d, err
		}
	}
	for i := range v.Messages {
		d.Messages = append(d.Messages, h.messageItem(lang, t.Number, &v.Messages[i]))
	}
	if t.Asset != nil {
		card := h.assetCard(lang, t.Asset, now)
		card.Warranty = h.warrantyBadge(lang, v.Warranty)
		d.Asset = &card
	}
	for i := range v.Suggestions {
		d.Suggestions = append(d.Suggestions, h.assetCard(lang, &v.Suggestions[i], now))
	}
	for _, e := range v.Audit {
		item := auditItem{At: e.At, Actor: e.Actor, Field: h.label(lang, "audit_field.", e.Field), Old: e.Old, New: e.New}
		if prefix, ok := auditValuePrefix[e.Field]; ok {
			item.Old, item.New = h.label(lang, prefix, e.Old), h.label(lang, prefix, e.New)
		}
		d.Audit = append(d.Audit, item)
	}
	return d, nil
}

// replyStatuses are the statuses offered with a reply; "new" makes no sense
// once the desk has answered.
var replyStatuses = []string{models.StatusPending, models.StatusOpen, models.StatusAtVendor, models.StatusResolved, models.StatusClosed}

// auditValuePrefix says which audited fields hold catalog values.
var auditValuePrefix = map[string]string{
	"status": "status.", "category": "category.", "priority": "priority.",
}

func (h *handler) messageItem(lang string, number int64, m *desk.MessageView) messageItem {
	kind := m.Kind
	if m.Kind == models.KindEmail {
		kind = "email_" + m.Direction // email_in (requester) or email_out (agent)
	}
	item := messageItem{
		Class: "msg-" + strings.ReplaceAll(kind, "_", "-"), Kind: h.label(lang, "kind.", kind),
		From: formatAddress(m.FromName, m.FromEmail), To: m.To, Subject: m.Subject, Text: m.Text, At: m.CreatedAt,
	}
	if m.Direction == models.DirIn {
		// Mail from outside usually quotes the whole thread below its news;
		// show the news and keep the rest one click away.
		if short := strings.TrimSpace(mailin.StripQuoted(m.Text)); short != "" && short != strings.TrimSpace(m.Text) {
			item.Text, item.FullText = short, m.Text
		}
	}
	if strings.TrimSpace(m.HTML) != "" {
		item.HTMLURL = messageHTMLURL(number, m.ID)
	}
	if m.AutoClass != "" && m.AutoClass != "personal" {
		item.Class += " msg-auto"
		item.Auto = h.label(lang, "autoclass.", m.AutoClass)
	}
	if ob := m.Delivery; ob != nil {
		item.Delivery = &deliveryItem{
			State:    badge{Class: "delivery-" + ob.Status, Text: h.label(lang, "delivery.", ob.Status)},
			Attempts: ob.Attempts, LastError: ob.LastError, SentAt: ob.SentAt,
		}
	}
	for _, a := range m.Attachments {
		item.Attachments = append(item.Attachments, attachmentItem{
			Name: cleanFilename(a.Filename), Type: a.ContentType, Size: h.humanSize(lang, a.Size),
			URL: attachmentURL(number, a.ID),
		})
	}
	return item
}

// formatAddress shows "Name <email>", or whichever part is known.
func formatAddress(name, email string) string {
	switch {
	case name == "":
		return email
	case email == "":
		return name
	}
	return name + " <" + email + ">"
}

// ticketNumber reads :number; anything but a positive number is a 400.
func ticketNumber(c echo.Context) (int64, error) {
	n, err := strconv.ParseInt(c.Param("number"), 10, 64)
	if err != nil || n <= 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "bad ticket number")
	}
	return n, nil
}

// ticketAction runs one agent action on a ticket. On success it redirects to
// the ticket with a notice; when the desk refuses the input (validation,
// conflict) it shows the ticket again with the reasons and what was typed.
func (h *handler) ticketAction(c echo.Context, okKey string, keep func(*ticketForm),
	do func(ctx context.Context, actor *models.Agent, number int64) error) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	c.Set(ctxPath, ticketURL(number)) // the language links of a re-rendered form lead back to the ticket
	err = do(c.Request().Context(), agentOf(c), number)
	var (
		verr *desk.ValidationError
		cerr *desk.ConflictError
	)
	switch {
	case err == nil:
		h.setFlash(c, "ok", okKey)
		return redirect(c, ticketURL(number))
	case errors.As(err, &verr), errors.As(err, &cerr):
		status, key := classify(err)
		lang := h.lang(c)
		form := ticketForm{errors: h.fieldMessages(lang, err)}
		if cerr != nil {
			form.errors = []string{h.Catalog.T(lang, key)}
		}
		if keep != nil {
			keep(&form)
		}
		return h.renderTicket(c, status, number, form)
	}
	return err
}

// reply mails the requester and sets the status chosen with it.
func (h *handler) reply(c echo.Context) error {
	text, status := c.FormValue("text"), c.FormValue("status")
	return h.ticketAction(c, "flash.reply_queued", func(f *ticketForm) { f.reply = text },
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.Reply(ctx, actor, n, text, status)
		})
}

// note adds an internal note, never mailed.
func (h *handler) note(c echo.Context) error {
	text := c.FormValue("text")
	return h.ticketAction(c, "flash.note_added", func(f *ticketForm) { f.note = text },
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.AddNote(ctx, actor, n, text)
		})
}

// setStatus changes the ticket's status.
func (h *handler) setStatus(c echo.Context) error {
	status := c.FormValue("status")
	return h.ticketAction(c, "flash.status_changed", nil,
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.SetStatus(ctx, actor, n, status)
		})
}

// assign sets or clears the ticket's assignee.
func (h *handler) assign(c echo.Context) error {
	var agentID uint64
	if v := c.FormValue("agent_id"); v != "" {
		var err error
		if agentID, err = strconv.ParseUint(v, 10, 32); err != nil {
			return echo.NewHTTPError(http.StatusBadRequest, "bad agent id")
		}
	}
	return h.ticketAction(c, "flash.assigned", nil,
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.Assign(ctx, actor, n, uint(agentID))
		})
}

// forward sends the ticket to the asset's reseller for warranty repair.
func (h *handler) forward(c echo.Context) error {
	return h.ticketAction(c, "flash.forwarded", nil,
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.ForwardToVendor(ctx, actor, n)
		})
}

// linkAsset links the ticket to the device with the serial typed or picked
// from the requester's devices, or unlinks it ("unlink" button).
func (h *handler) linkAsset(c echo.Context) error {
	serial, unlink := c.FormValue("serial"), c.FormValue("unlink") != ""
	okKey := "flash.asset_linked"
	if unlink {
		okKey = "flash.asset_unlinked"
	}
	return h.ticketAction(c, okKey, func(f *ticketForm) { f.serial = serial },
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.SetTicketAsset(ctx, actor, n, serial, unlink)
		})
}
