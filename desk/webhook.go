package desk

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"warrantydesk/models"
)

// Webhook events.
const (
	EventTicketCreated     = "ticket.created"
	EventTicketUpdated     = "ticket.updated"
	EventVendorCaseUpdated = "vendor_case.updated"
)

// WebhookEvents lists every event an endpoint can subscribe to.
var WebhookEvents = []string{EventTicketCreated, EventTicketUpdated, EventVendorCaseUpdated}

// Webhook request headers.
const (
	// HeaderWebhookSignature is "sha256=" and the hex HMAC-SHA256 of the
	// request body under the endpoint's secret.
	HeaderWebhookSignature = "X-Warrantydesk-Signature"
	// HeaderWebhookTimestamp is the Unix time (seconds) of the attempt.
	HeaderWebhookTimestamp = "X-Warrantydesk-Timestamp"
	// HeaderWebhookEvent is the event name; HeaderWebhookDelivery its id.
	HeaderWebhookEvent    = "X-Warrantydesk-Event"
	HeaderWebhookDelivery = "X-Warrantydesk-Delivery"
)

// minWebhookSecret is the shortest secret an admin may choose.
const minWebhookSecret = 16

// WebhookPayload is the JSON body of every webhook request.
type WebhookPayload struct {
	Event string `json:"event"`
	// ID identifies the event; a retried delivery carries the same id.
	ID        string        `json:"id"`
	Timestamp time.Time     `json:"timestamp"`
	Ticket    WebhookTicket `json:"ticket"`
	// VendorCase is the ticket's reseller case; absent when it has none.
	VendorCase *WebhookVendorCase `json:"vendor_case,omitempty"`
}

// WebhookPerson is a requester or agent in a payload.
type WebhookPerson struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

// WebhookTicket is the ticket summary in a payload (the API's list item).
type WebhookTicket struct {
	Number    int64          `json:"number"`
	Subject   string         `json:"subject"`
	Status    string         `json:"status"`
	Category  string         `json:"category"`
	Priority  string         `json:"priority"`
	Requester WebhookPerson  `json:"requester"`
	Assignee  *WebhookPerson `json:"assignee"`
	Serial    string         `json:"serial,omitempty"`
	URL       string         `json:"url,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// WebhookVendorCase is the vendor case in a vendor_case.updated payload.
type WebhookVendorCase struct {
	Vendor      string     `json:"vendor"`
	State       string     `json:"state"`
	CaseRef     string     `json:"case_ref"`
	ForwardedAt *time.Time `json:"forwarded_at"`
}

// SignWebhook returns the signature header value of body: "sha256=<hex>".
func SignWebhook(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook reports whether signature (the header value) signs body
// under secret; receivers written in Go can use it as it is.
func VerifyWebhook(secret, body []byte, signature string) bool {
	return hmac.Equal([]byte(SignWebhook(secret, body)), []byte(signature))
}

// emitTicket records event about ticket id for every active endpoint that
// subscribed to it, in tx: the notification commits (or not) with the
// change it reports (outbox pattern). Without subscribers it writes nothing.
func (s *Service) emitTicket(ctx context.Context, tx *models.Store, event string, ticketID uint) error {
	endpoints, err := tx.WebhookEndpoints(ctx)
	if err != nil {
		return fmt.Errorf("webhook endpoints: %w", err)
	}
	endpoints = slices.DeleteFunc(endpoints, func(e models.WebhookEndpoint) bool { return !e.Active || !e.Subscribed(event) })
	if len(endpoints) == 0 {
		return nil
	}
	t, err := tx.TicketByID(ctx, ticketID)
	if err != nil {
		return err
	}
	p := WebhookPayload{Event: event, ID: newEventID(), Timestamp: s.now(), Ticket: s.webhookTicket(t)}
	// Every payload carries the ticket's reseller case when it has one: the
	// events of one transaction are queued in the order of its changes (a
	// ticket forwarded at intake gives vendor_case.updated, then
	// ticket.created), so receivers should upsert by ticket number.
	c, err := tx.VendorCaseForTicket(ctx, t.ID)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if err == nil {
		p.VendorCase = &WebhookVendorCase{Vendor: c.Vendor.Name, State: c.State, CaseRef: c.CaseRef, ForwardedAt: utcTime(c.ForwardedAt)}
	}
	body, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode webhook payload: %w", err)
	}
	ds := make([]models.WebhookDelivery, 0, len(endpoints))
	for _, e := range endpoints {
		ds = append(ds, models.WebhookDelivery{EndpointID: e.ID, EventID: p.ID, Event: event, TicketID: &t.ID,
			Payload: string(body), CreatedAt: s.now()})
	}
	return tx.QueueWebhookDeliveries(ctx, ds)
}

func (s *Service) webhookTicket(t *models.Ticket) WebhookTicket {
	wt := WebhookTicket{Number: t.Number, Subject: t.Subject, Status: t.Status, Category: t.Category, Priority: t.Priority,
		Requester: WebhookPerson{Email: t.Requester.Email, Name: t.Requester.Name},
		CreatedAt: t.CreatedAt.UTC(), UpdatedAt: t.UpdatedAt.UTC()}
	if t.Assignee != nil {
		wt.Assignee = &WebhookPerson{Email: t.Assignee.Email, Name: t.Assignee.Name}
	}
	if t.Asset != nil {
		wt.Serial = t.Asset.Serial
	}
	if s.opt.BaseURL != "" {
		wt.URL = strings.TrimRight(s.opt.BaseURL, "/") + "/tickets/" + itoa(t.Number)
	}
	return wt
}

func utcTime(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

func newEventID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return "evt_" + hex.EncodeToString(b)
}

// WebhookInput is a new endpoint.
type WebhookInput struct {
	URL         string
	Events      []string
	Secret      string // "" = generate one
	Description string
}

// AddWebhook registers an endpoint (admins only; a nil actor is the command
// line). The returned endpoint carries its secret: show it once.
func (s *Service) AddWebhook(ctx context.Context, actor *models.Agent, in WebhookInput) (*models.WebhookEndpoint, error) {
	if err := requireWebhookAdmin(actor); err != nil {
		return nil, err
	}
	in.URL = strings.TrimSpace(in.URL)
	fields := map[string]string{}
	if u, err := url.Parse(in.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.URL) > 2000 {
		fields["url"] = "api.error.bad_url"
	}
	var events []string
	for _, ev := range in.Events {
		ev = strings.TrimSpace(ev)
		if !slices.Contains(WebhookEvents, ev) {
			fields["events"] = "api.error.bad_events"
		} else if !slices.Contains(events, ev) {
			events = append(events, ev)
		}
	}
	if len(events) == 0 {
		fields["events"] = "api.error.bad_events"
	}
	if in.Secret == "" {
		b := make([]byte, 32)
		_, _ = rand.Read(b)
		in.Secret = hex.EncodeToString(b)
	} else if len(in.Secret) < minWebhookSecret || len(in.Secret) > 200 {
		fields["secret"] = "api.error.bad_secret"
	}
	if len(in.Description) > 200 {
		fields["description"] = "api.error.too_long"
	}
	if len(fields) > 0 {
		return nil, &ValidationError{Fields: fields}
	}
	e := &models.WebhookEndpoint{URL: in.URL, Secret: in.Secret, Events: strings.Join(events, ","),
		Description: strings.TrimSpace(in.Description), Active: true, CreatedBy: actorEmail(actor)}
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		existing, err := tx.WebhookEndpoints(ctx)
		if err != nil {
			return err
		}
		for _, x := range existing {
			if x.URL == e.URL {
				return &ConflictError{Key: "api.error.webhook_exists"}
			}
		}
		if err := tx.CreateWebhookEndpoint(ctx, e); err != nil {
			return err
		}
		return s.audit(ctx, tx, actorEmail(actor), "webhook", e.ID, "url", "", e.URL)
	})
	if err != nil {
		return nil, err
	}
	return e, nil
}

// Webhooks lists the endpoints (admins only).
func (s *Service) Webhooks(ctx context.Context, actor *models.Agent) ([]models.WebhookEndpoint, error) {
	if err := requireWebhookAdmin(actor); err != nil {
		return nil, err
	}
	return s.store.WebhookEndpoints(ctx)
}

// RemoveWebhook deletes an endpoint with its queue and delivery log (admins only).
func (s *Service) RemoveWebhook(ctx context.Context, actor *models.Agent, id uint) error {
	if err := requireWebhookAdmin(actor); err != nil {
		return err
	}
	e, err := s.store.WebhookEndpointByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.store.DeleteWebhookEndpoint(ctx, id); err != nil {
		return err
	}
	return s.audit(ctx, s.store, actorEmail(actor), "webhook", id, "url", e.URL, "")
}

// WebhookDeliveries is one endpoint's delivery log, newest first (admins only).
func (s *Service) WebhookDeliveries(ctx context.Context, actor *models.Agent, id uint, limit, offset int) ([]models.WebhookDelivery, int64, error) {
	if err := requireWebhookAdmin(actor); err != nil {
		return nil, 0, err
	}
	if _, err := s.store.WebhookEndpointByID(ctx, id); err != nil {
		return nil, 0, err
	}
	return s.store.WebhookDeliveries(ctx, id, limit, offset)
}

// requireWebhookAdmin lets admins and the command line (nil) through.
func requireWebhookAdmin(actor *models.Agent) error {
	if actor != nil && actor.Role != models.RoleAdmin {
		return ErrForbidden
	}
	return nil
}

func actorEmail(actor *models.Agent) string {
	if actor == nil {
		return "cli"
	}
	return actor.Email
}
