package handlers

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"warrantydesk/models"
)

// Merging and linking tickets: the "Related tickets" card of the ticket page.

// relatedCard is the "Related tickets" card: linked tickets (either way
// round), the ticket this one was merged into, those merged into it, and
// the URLs of its forms.
type relatedCard struct {
	Links      []relatedItem
	MergedInto *relatedItem
	MergedFrom []relatedItem
	LinkURL    string
	MergeURL   string // "" once merged: a merged ticket cannot be merged again
}

// relatedItem is one ticket in the card.
type relatedItem struct {
	Number    int64
	URL       string
	Subject   string
	Status    badge
	UnlinkURL string
}

// relatedCardOf loads the card of ticket t.
func (h *handler) relatedCardOf(c echo.Context, t *models.Ticket) (*relatedCard, error) {
	r, err := h.Desk.RelatedTickets(c.Request().Context(), t.ID)
	if err != nil {
		return nil, err
	}
	lang := h.lang(c)
	base := ticketURL(t.Number)
	item := func(o *models.Ticket) relatedItem {
		return relatedItem{Number: o.Number, URL: ticketURL(o.Number), Subject: o.Subject,
			Status: badge{Class: "status-" + o.Status, Text: h.label(lang, "status.", o.Status)}}
	}
	card := &relatedCard{LinkURL: base + "/links", MergeURL: base + "/merge"}
	for i := range r.Links {
		it := item(&r.Links[i])
		it.UnlinkURL = base + "/links/" + strconv.FormatInt(r.Links[i].Number, 10) + "/delete"
		card.Links = append(card.Links, it)
	}
	if r.MergedInto != nil {
		it := item(r.MergedInto)
		card.MergedInto, card.MergeURL = &it, ""
	}
	for i := range r.MergedFrom {
		card.MergedFrom = append(card.MergedFrom, item(&r.MergedFrom[i]))
	}
	return card, nil
}

// ticketRef reads a ticket number typed as "1002" or "#1002"; 0 when it is
// not one (the desk then explains that a number is needed).
func ticketRef(s string) int64 {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(s), "#"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n
}

// mergeTicket merges this ticket into the one named in the form field "into".
func (h *handler) mergeTicket(c echo.Context) error {
	into := ticketRef(c.FormValue("into"))
	return h.ticketAction(c, "flash.merged", nil,
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.Merge(ctx, actor, n, into)
		})
}

// linkTicket relates this ticket to the one named in the form field "related".
func (h *handler) linkTicket(c echo.Context) error {
	other := ticketRef(c.FormValue("related"))
	return h.ticketAction(c, "flash.linked", nil,
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.LinkTickets(ctx, actor, n, other)
		})
}

// unlinkTicket removes the relation to ticket :other.
func (h *handler) unlinkTicket(c echo.Context) error {
	other, err := strconv.ParseInt(c.Param("other"), 10, 64)
	if err != nil || other <= 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "bad ticket number")
	}
	return h.ticketAction(c, "flash.unlinked", nil,
		func(ctx context.Context, actor *models.Agent, n int64) error {
			return h.Desk.UnlinkTickets(ctx, actor, n, other)
		})
}
