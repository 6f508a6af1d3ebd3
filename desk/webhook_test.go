package desk

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"warrantydesk/models"
)

// queued returns the events queued for endpoint id, oldest first.
func (f *fixture) queued(id uint) []string {
	f.t.Helper()
	ds, _, err := f.store.WebhookDeliveries(context.Background(), id, 100, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []string
	for i := len(ds) - 1; i >= 0; i-- {
		out = append(out, ds[i].Event)
	}
	return out
}

func TestWebhookEventsAreRecordedWithTheirChange(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	all, err := f.desk.AddWebhook(ctx, nil, WebhookInput{URL: "https://itsm.kommun.test/hook", Events: WebhookEvents})
	if err != nil {
		t.Fatal(err)
	}
	created, err := f.desk.AddWebhook(ctx, nil, WebhookInput{URL: "https://stats.kommun.test/hook", Events: []string{EventTicketCreated}})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := f.desk.CreateAgent(ctx, "it@kommun.test", "IT Admin", models.RoleAdmin, "a long admin password")
	if err != nil {
		t.Fatal(err)
	}

	// Intake: a fault on a device under warranty opens a ticket and a reseller case.
	f.deliver(mailFrom("Anna <anna@kommun.test>", "Skärmen är sprucken", "Inventarienummer KOM-00017, skärmen är sprucken."))
	if got := f.queued(all.ID); !slices.Equal(got, []string{EventVendorCaseUpdated, EventTicketCreated}) {
		t.Fatalf("after intake: %v", got)
	}
	if got := f.queued(created.ID); !slices.Equal(got, []string{EventTicketCreated}) {
		t.Fatalf("ticket.created-only endpoint got %v", got)
	}
	ds, _, _ := f.store.WebhookDeliveries(ctx, all.ID, 1, 0)
	var p WebhookPayload
	if err := json.Unmarshal([]byte(ds[0].Payload), &p); err != nil {
		t.Fatal(err)
	}
	if p.Ticket.Number != 1001 || p.Ticket.Status != models.StatusAtVendor || p.Ticket.Serial != "PF3KX2A1" ||
		p.Ticket.Requester.Email != "anna@kommun.test" || p.ID == "" {
		t.Errorf("payload %+v", p)
	}

	// Agent actions: each is one ticket.updated.
	if err := f.desk.Reply(ctx, admin, 1001, "Vi har skickat den.", models.StatusAtVendor); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.SetStatus(ctx, admin, 1001, models.StatusAtVendor); err != nil { // no change: no event
		t.Fatal(err)
	}
	if err := f.desk.SetCaseState(ctx, admin, 1001, models.CaseShippedBack, "RMA-2026-0001", ""); err != nil {
		t.Fatal(err)
	}
	got := f.queued(all.ID)
	if want := []string{EventVendorCaseUpdated, EventTicketCreated, EventTicketUpdated, EventVendorCaseUpdated}; !slices.Equal(got, want) {
		t.Fatalf("after reply and case: %v, want %v", got, want)
	}
	ds, _, _ = f.store.WebhookDeliveries(ctx, all.ID, 1, 0)
	if err := json.Unmarshal([]byte(ds[0].Payload), &p); err != nil {
		t.Fatal(err)
	}
	if p.VendorCase == nil || p.VendorCase.State != models.CaseShippedBack || p.VendorCase.CaseRef != "RMA-2026-0001" ||
		p.Ticket.Status != models.StatusOpen {
		t.Errorf("vendor case payload %+v %+v", p.Ticket, p.VendorCase)
	}

	// A refused change records nothing.
	if err := f.desk.AddNote(ctx, admin, 1001, "  "); err == nil {
		t.Fatal("empty note accepted")
	}
	if _, err := f.desk.UpdateTicket(ctx, admin, 1001, TicketPatch{Priority: ptr("asap")}); err == nil {
		t.Fatal("bad priority accepted")
	}
	if n := len(f.queued(all.ID)); n != 4 {
		t.Errorf("refused changes queued events: %d", n)
	}
	// Agents may not manage webhooks.
	agent, _ := f.desk.CreateAgent(ctx, "bo@kommun.test", "Bo", models.RoleAgent, "another long password")
	if _, err := f.desk.Webhooks(ctx, agent); err != ErrForbidden {
		t.Errorf("agent listed webhooks: %v", err)
	}
}

func TestCreateTicketAsRoutesLikeIntake(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	agent, err := f.desk.CreateAgent(ctx, "bo@kommun.test", "Bo Berg", models.RoleAgent, "another long password")
	if err != nil {
		t.Fatal(err)
	}
	tk, err := f.desk.CreateTicketAs(ctx, agent, NewTicket{Email: "anna@kommun.test", Name: "Anna", Subject: "Skärmen",
		Text: "Skärmen är sprucken.", Serial: "kom-00017", SendAcknowledge: true})
	if err != nil {
		t.Fatal(err)
	}
	got := f.ticket(tk.Number)
	if got.Status != models.StatusAtVendor || got.Category != models.CategoryHardware || got.Asset == nil || got.Asset.Serial != "PF3KX2A1" {
		t.Fatalf("ticket %+v", got)
	}
	var purposes []string
	for _, m := range f.outbox() {
		purposes = append(purposes, m.Purpose)
	}
	slices.Sort(purposes)
	if !slices.Contains(purposes, "vendor_forward") || !slices.Contains(purposes, "ack") {
		t.Errorf("outbox purposes %v, want the forward and the acknowledgement", purposes)
	}
	before := len(f.outbox())
	if _, err := f.desk.CreateTicketAs(ctx, agent, NewTicket{Email: "olle@kommun.test", Subject: "Lösenord",
		Text: "Jag har glömt mitt lösenord."}); err != nil {
		t.Fatal(err)
	}
	if n := len(f.outbox()); n != before {
		t.Errorf("acknowledged without being asked: %d new mails", n-before)
	}
	if got := f.ticket(tk.Number + 1); got.Category != models.CategoryAccount {
		t.Errorf("category %s, want account (from the text)", got.Category)
	}
}

func ptr[T any](v T) *T { return &v }
