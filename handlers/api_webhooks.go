package handlers

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// apiWebhook is a webhook endpoint; Secret only in the answer that created it.
type apiWebhook struct {
	ID          uint      `json:"id"`
	URL         string    `json:"url"`
	Events      []string  `json:"events"`
	Description string    `json:"description"`
	Active      bool      `json:"active"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
	Secret      string    `json:"secret,omitempty"`
}

func webhookOf(e *models.WebhookEndpoint) apiWebhook {
	return apiWebhook{ID: e.ID, URL: e.URL, Events: strings.Split(e.Events, ","), Description: e.Description,
		Active: e.Active, CreatedBy: e.CreatedBy, CreatedAt: e.CreatedAt.UTC()}
}

// apiWebhooks lists the endpoints (admins).
func (h *handler) apiWebhooks(c echo.Context) error {
	es, err := h.Desk.Webhooks(c.Request().Context(), agentOf(c))
	if err != nil {
		return err
	}
	out := list[apiWebhook]{Items: make([]apiWebhook, 0, len(es)), Total: int64(len(es))}
	for i := range es {
		out.Items = append(out.Items, webhookOf(&es[i]))
	}
	return c.JSON(http.StatusOK, out)
}

// apiWebhookBody is the body of POST /api/v1/webhooks.
type apiWebhookBody struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Secret      string   `json:"secret"` // "" = generated, returned once
	Description string   `json:"description"`
}

// apiWebhookCreate adds an endpoint (admins): 201 with its secret, shown
// this once.
func (h *handler) apiWebhookCreate(c echo.Context) error {
	var in apiWebhookBody
	if err := bindJSON(c, &in); err != nil {
		return err
	}
	e, err := h.Desk.AddWebhook(c.Request().Context(), agentOf(c), desk.WebhookInput{URL: in.URL, Events: in.Events,
		Secret: in.Secret, Description: in.Description})
	if err != nil {
		return unprocessable(err)
	}
	out := webhookOf(e)
	out.Secret = e.Secret
	c.Response().Header().Set(echo.HeaderLocation, "/api/v1/webhooks/"+strconv.FormatUint(uint64(e.ID), 10))
	return c.JSON(http.StatusCreated, out)
}

// apiWebhookDelete removes an endpoint with its queue and log (admins): 204.
func (h *handler) apiWebhookDelete(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	if err := h.Desk.RemoveWebhook(c.Request().Context(), agentOf(c), id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiWebhookDelivery is one entry of an endpoint's delivery log.
type apiWebhookDelivery struct {
	ID             uint       `json:"id"`
	EventID        string     `json:"event_id"`
	Event          string     `json:"event"`
	Status         string     `json:"status"`
	Attempts       int        `json:"attempts"`
	LastStatusCode int        `json:"last_status_code"`
	LastError      string     `json:"last_error"`
	NextAttemptAt  *time.Time `json:"next_attempt_at"` // while queued
	LastAttemptAt  *time.Time `json:"last_attempt_at"`
	DeliveredAt    *time.Time `json:"delivered_at"`
	CreatedAt      time.Time  `json:"created_at"`
}

// apiWebhookDeliveries is an endpoint's delivery log, newest first (admins).
func (h *handler) apiWebhookDeliveries(c echo.Context) error {
	id, err := webhookID(c)
	if err != nil {
		return err
	}
	limit, offset, err := apiLimits(c)
	if err != nil {
		return err
	}
	ds, total, err := h.Desk.WebhookDeliveries(c.Request().Context(), agentOf(c), id, limit, offset)
	if err != nil {
		return err
	}
	out := list[apiWebhookDelivery]{Items: make([]apiWebhookDelivery, 0, len(ds)), Total: total}
	for _, d := range ds {
		item := apiWebhookDelivery{ID: d.ID, EventID: d.EventID, Event: d.Event, Status: d.Status, Attempts: d.Attempts,
			LastStatusCode: d.LastStatusCode, LastError: d.LastError, LastAttemptAt: utcPtr(d.LastAttemptAt),
			DeliveredAt: utcPtr(d.DeliveredAt), CreatedAt: d.CreatedAt.UTC()}
		if d.Status == models.WebhookQueued {
			next := d.NextAttemptAt.UTC()
			item.NextAttemptAt = &next
		}
		out.Items = append(out.Items, item)
	}
	return c.JSON(http.StatusOK, out)
}

// webhookID reads :id; anything but a positive number is not found.
func webhookID(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, echo.ErrNotFound
	}
	return uint(n), nil
}
