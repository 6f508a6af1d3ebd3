package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"warrantydesk/api"
	"warrantydesk/desk"
)

// apiNewTicket is the body of POST /api/v1/tickets.
type apiNewTicket struct {
	Email       string `json:"email"`
	Name        string `json:"name"`
	Subject     string `json:"subject"`
	Text        string `json:"text"`
	Category    string `json:"category"`
	Serial      string `json:"serial"`
	Language    string `json:"language"`
	Acknowledge bool   `json:"acknowledge"`
}

// apiCreateTicket opens a ticket on a requester's behalf, as the token's
// user: 201 with the ticket and its Location.
func (h *handler) apiCreateTicket(c echo.Context) error {
	var in apiNewTicket
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := h.Desk.CreateTicketAs(ctx, agentOf(c), desk.NewTicket{Email: in.Email, Name: in.Name,
		Subject: in.Subject, Text: in.Text, Category: in.Category, Serial: in.Serial, Language: in.Language,
		SendAcknowledge: in.Acknowledge})
	if err != nil {
		return unprocessable(err)
	}
	d, err := h.ticketDetail(ctx, t.Number)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/tickets/"+strconv.FormatInt(t.Number, 10))
	return c.JSON(http.StatusCreated, d)
}

// apiReplyBody is the body of POST /api/v1/tickets/{number}/reply.
type apiReplyBody struct {
	Text   string `json:"text"`
	Status string `json:"status"` // "" = pending (waiting on the requester)
}

// apiReply mails a reply to the requester: 200 with the ticket.
func (h *handler) apiReply(c echo.Context) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	var in apiReplyBody
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := h.Desk.Reply(c.Request().Context(), agentOf(c), number, in.Text, in.Status); err != nil {
		return unprocessable(err)
	}
	return h.apiTicketAfter(c, number)
}

// apiNoteBody is the body of POST /api/v1/tickets/{number}/notes.
type apiNoteBody struct {
	Text string `json:"text"`
}

// apiNote adds an internal note: 200 with the ticket.
func (h *handler) apiNote(c echo.Context) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	var in apiNoteBody
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	if err := h.Desk.AddNote(c.Request().Context(), agentOf(c), number, in.Text); err != nil {
		return unprocessable(err)
	}
	return h.apiTicketAfter(c, number)
}

// apiTicketPatch is the body of PATCH /api/v1/tickets/{number}: absent (or
// null) fields stay as they are; assignee_email "" unassigns.
type apiTicketPatch struct {
	Status        *string `json:"status"`
	Priority      *string `json:"priority"`
	Category      *string `json:"category"`
	AssigneeEmail *string `json:"assignee_email"`
}

// apiUpdateTicket changes status, priority, category and assignee in one
// step: 200 with the ticket.
func (h *handler) apiUpdateTicket(c echo.Context) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	var in apiTicketPatch
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	_, err = h.Desk.UpdateTicket(c.Request().Context(), agentOf(c), number, desk.TicketPatch{
		Status: in.Status, Priority: in.Priority, Category: in.Category, AssigneeEmail: in.AssigneeEmail})
	if err != nil {
		return unprocessable(err)
	}
	return h.apiTicketAfter(c, number)
}

func (h *handler) apiTicketAfter(c echo.Context, number int64) error {
	d, err := h.ticketDetail(c.Request().Context(), number)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, d)
}

// apiSpec serves the OpenAPI description of this API.
func (h *handler) apiSpec(c echo.Context) error {
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, api.Spec())
}
