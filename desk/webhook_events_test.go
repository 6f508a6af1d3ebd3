package desk

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"warrantydesk/models"
)

// webhookEvent is one queued delivery: its event and the ticket it names.
type webhookEvent struct {
	Event  string
	Number int64
}

// events returns what was queued for endpoint id after the first skip
// deliveries, oldest first, each with the ticket number of its payload.
func (f *fixture) events(id uint, skip int) []webhookEvent {
	f.t.Helper()
	ds, _, err := f.store.WebhookDeliveries(context.Background(), id, 1000, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	slices.Reverse(ds)
	var out []webhookEvent
	for _, d := range ds[min(skip, len(ds)):] {
		var p WebhookPayload
		if err := json.Unmarshal([]byte(d.Payload), &p); err != nil {
			f.t.Fatalf("delivery %d: %v", d.ID, err)
		}
		if d.Event != p.Event {
			f.t.Errorf("delivery %d: event %s, payload says %s", d.ID, d.Event, p.Event)
		}
		out = append(out, webhookEvent{d.Event, p.Ticket.Number})
	}
	return out
}

// TestEveryTicketChangeIsAWebhookEvent: each change to a ticket, made by an
// agent, an admin, a vendor user or the desk itself, queues its event in the
// same transaction (one per ticket that changed); a change that changes
// nothing queues nothing.
func TestEveryTicketChangeIsAWebhookEvent(t *testing.T) {
	ctx := context.Background()
	up := func(n int64) webhookEvent { return webhookEvent{EventTicketUpdated, n} }
	vc := func(n int64) webhookEvent { return webhookEvent{EventVendorCaseUpdated, n} }
	tests := []struct {
		name string
		// setup prepares the tickets; its events are not counted.
		setup func(f *fixture)
		// change is the change under test.
		change func(f *fixture) error
		want   []webhookEvent
	}{
		{
			name:  "bulk close: one per ticket that changed",
			setup: threeTickets,
			change: func(f *fixture) error {
				if err := f.desk.SetStatus(ctx, f.agent(models.RoleAgent), 1003, models.StatusClosed); err != nil {
					return err
				}
				f.skipAll()
				_, err := f.desk.Bulk(ctx, f.agent(models.RoleAdmin), []int64{1001, 1002, 1003}, BulkClose, "")
				return err
			},
			want: []webhookEvent{up(1001), up(1002)},
		},
		{
			name:  "bulk assign",
			setup: threeTickets,
			change: func(f *fixture) error {
				_, err := f.desk.Bulk(ctx, f.agent(models.RoleAgent), []int64{1002, 1003}, BulkAssign, "me")
				return err
			},
			want: []webhookEvent{up(1002), up(1003)},
		},
		{
			name:  "bulk category",
			setup: threeTickets,
			change: func(f *fixture) error {
				_, err := f.desk.Bulk(ctx, f.agent(models.RoleAgent), []int64{1001}, BulkCategory, models.CategorySoftware)
				return err
			},
			want: []webhookEvent{up(1001)},
		},
		{
			name:  "refused bulk action: nothing",
			setup: threeTickets,
			change: func(f *fixture) error {
				if _, err := f.desk.Bulk(ctx, f.agent(models.RoleAgent), []int64{1001, 4711}, BulkClose, ""); err == nil {
					t.Error("bulk close of an unknown ticket accepted")
				}
				return nil
			},
		},
		{
			name:   "merge: both tickets",
			setup:  threeTickets,
			change: func(f *fixture) error { return f.desk.Merge(ctx, f.agent(models.RoleAgent), 1001, 1002) },
			want:   []webhookEvent{up(1001), up(1002)},
		},
		{
			name:   "related tickets: both tickets",
			setup:  threeTickets,
			change: func(f *fixture) error { return f.desk.LinkTickets(ctx, f.agent(models.RoleAgent), 1003, 1001) },
			want:   []webhookEvent{up(1003), up(1001)},
		},
		{
			name:   "link asset",
			setup:  threeTickets,
			change: func(f *fixture) error { return f.desk.LinkAsset(ctx, f.agent(models.RoleAgent), 1002, "pc1m8qwe") },
			want:   []webhookEvent{up(1002)},
		},
		{
			name:  "link the asset already linked: nothing",
			setup: threeTickets,
			change: func(f *fixture) error {
				if err := f.desk.LinkAsset(ctx, f.agent(models.RoleAgent), 1002, "PC1M8QWE"); err != nil {
					return err
				}
				f.skipAll()
				return f.desk.LinkAsset(ctx, f.agent(models.RoleAdmin), 1002, "PC1M8QWE")
			},
		},
		{
			name: "swap the ticket's device",
			setup: func(f *fixture) {
				f.deliver(mailFrom("anna@kommun.test", "Trasig", "Datorn startar inte. S/N: 5CG2341XYZ"))
			},
			change: func(f *fixture) error {
				_, err := f.desk.SwapAsset(ctx, f.admin(), "5CG2341XYZ", "PF9NEW77", "", 1001)
				return err
			},
			want: []webhookEvent{up(1001)},
		},
		{
			name: "swap without a ticket: nothing",
			setup: func(f *fixture) {
				f.deliver(mailFrom("anna@kommun.test", "Trasig", "Datorn startar inte. S/N: 5CG2341XYZ"))
			},
			change: func(f *fixture) error {
				_, err := f.desk.SwapAsset(ctx, f.admin(), "5CG2341XYZ", "PF9NEW77", "", 0)
				return err
			},
		},
		{
			name:  "vendor reminder",
			setup: func(f *fixture) { f.deliver(hardwareMail("Skärmen är sprucken")) },
			change: func(f *fixture) error {
				f.now = f.now.Add(11 * 24 * time.Hour)
				n, err := f.desk.RemindVendors(ctx, f.now)
				if n != 1 {
					t.Errorf("%d reminders, want 1", n)
				}
				return err
			},
			want: []webhookEvent{vc(1001)},
		},
		{
			name: "paid repair request",
			setup: func(f *fixture) {
				f.deliver(mailFrom("Bo <bo@kommun.test>", "Batteriet", "Batteriet laddar inte, datorn är trasig. S/N pc1m8qwe"))
			},
			change: func(f *fixture) error { return f.desk.RequestPaidRepair(ctx, f.agent(models.RoleAgent), 1001) },
			want:   []webhookEvent{vc(1001)},
		},
		{
			name:  "vendor user's comment in the portal",
			setup: func(f *fixture) { f.deliver(hardwareMail("Skärmen är sprucken")) },
			change: func(f *fixture) error {
				u, err := f.desk.CreateUser(ctx, "jonas@refurbo.test", "Jonas", models.RoleVendor, "Refurbo AB", "long enough password")
				if err != nil {
					return err
				}
				return f.desk.PortalUpdate(ctx, u, 1001, "", "", "Vi har fått enheten.")
			},
			want: []webhookEvent{up(1001), vc(1001)},
		},
		{
			name: "bounce of a mail about the ticket",
			setup: func(f *fixture) {
				f.deliver(mailFrom("Anna <anna@kommun.test>", "Glömt lösenordet", "Jag har glömt lösenordet."))
			},
			change: func(f *fixture) error {
				ack := f.outbox()[0]
				f.deliver("From: MAILER-DAEMON@mx.kommun.test\nTo: helpdesk@kommun.test\nSubject: Undelivered Mail Returned to Sender\n" +
					"Message-ID: <dsn1@mx>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n" +
					"--b\nContent-Type: text/plain\n\nDelivery failed.\n--b\nContent-Type: message/delivery-status\n\n" +
					"Reporting-MTA: dns; mx.kommun.test\n\nFinal-Recipient: rfc822; anna@kommun.test\nAction: failed\nStatus: 5.1.1\n\n" +
					"--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <" + ack.MessageID + ">\nSubject: x\n\n--b--\n")
				return nil
			},
			want: []webhookEvent{up(1001)},
		},
		{
			// A rule's canned reply goes out while intake opens the ticket:
			// it is part of ticket.created, not an event of its own.
			name: "canned reply of a routing rule",
			setup: func(f *fixture) {
				in := RuleInput{Name: "Lösenord", Enabled: true, Keywords: "lösenord", Reply: true, ReplyText: map[string]string{
					"sv": "Byt lösenord på https://konto.kommun.test", "en": "Change it at https://konto.kommun.test"}}
				if _, err := f.desk.CreateRule(ctx, f.admin(), in); err != nil {
					f.t.Fatal(err)
				}
			},
			change: func(f *fixture) error {
				f.deliver(mailFrom("Anna <anna@kommun.test>", "Lösenord", "Jag har glömt mitt lösenord."))
				if got := f.sent("rule_reply"); len(got) != 1 {
					t.Errorf("%d canned replies queued, want 1", len(got))
				}
				return nil
			},
			want: []webhookEvent{{EventTicketCreated, 1001}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			hook, err := f.desk.AddWebhook(ctx, nil, WebhookInput{URL: "https://itsm.kommun.test/hook", Events: WebhookEvents})
			if err != nil {
				t.Fatal(err)
			}
			f.hook = hook.ID
			tt.setup(f)
			f.skipAll()
			if err := tt.change(f); err != nil {
				t.Fatal(err)
			}
			if got := f.events(hook.ID, f.skip); !slices.Equal(got, tt.want) {
				t.Errorf("events %v, want %v", got, tt.want)
			}
		})
	}
}

// threeTickets opens #1001–#1003 (new, unassigned, no device).
func threeTickets(f *fixture) {
	for _, subject := range []string{"Skrivaren", "Wifi", "Projektorn"} {
		f.deliver(mailFrom("Bo <bo@kommun.test>", subject, subject+" fungerar inte."))
	}
}

// skipAll marks every event queued so far as seen.
func (f *fixture) skipAll() {
	f.t.Helper()
	_, n, err := f.store.WebhookDeliveries(context.Background(), f.hook, 1, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	f.skip = int(n)
}
