package desk

import (
	"context"
	"fmt"
	"net/mail"
	"regexp"
	"strings"
	"testing"
	"time"
	"warrantydesk/internal/teststore"

	"warrantydesk/mailin"
	"warrantydesk/mailout"
	"warrantydesk/models"
	"warrantydesk/templates"
)

// fixture is a desk on a fresh SQLite file, with one vendor and two devices.
type fixture struct {
	t     testing.TB
	store *models.Store
	db    models.Options // the database, for opening it again (as another process would)
	desk  *Service
	now   time.Time
	uid   uint32
	// hook and skip: the webhook endpoint under test and how many of its
	// deliveries were queued before the change under test (skipAll).
	hook uint
	skip int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	driver, dsn := teststore.Database(t)
	db := models.Options{Driver: driver, DSN: dsn}
	store := teststore.OpenAt(t, db)
	cat, err := templates.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	mails, err := templates.LoadMailTemplates()
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: store, db: db, now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	f.desk = New(store, mailout.NewIDSigner([]byte("test-secret-test-secret"), "kommun.test"), mails, cat, Options{
		Address: mail.Address{Name: "IT", Address: "helpdesk@kommun.test"}, AckLimitPerHour: 2,
		Now: func() time.Time { return f.now },
	}, nil, nil)
	if err := store.UpsertVendor(ctx, &models.Vendor{Name: "Refurbo AB", Email: "garanti@refurbo.test",
		CasePattern: `RMA-\d{4}-\d{4}`, WarrantyMonths: 36, AutoForward: true}); err != nil {
		t.Fatal(err)
	}
	csv := "serial,asset_tag,model,vendor,delivered_on,warranty_ends_on,assigned_to\n" +
		"PF3KX2A1,KOM-00017,ThinkPad T14,Refurbo AB,2025-06-01,,anna@kommun.test\n" +
		"PC1M8QWE,,ThinkPad T480,Refurbo AB,2022-01-10,,\n" +
		"5CG2341XYZ,,EliteBook 840,Refurbo AB,2020-01-01,2027-01-31,\n"
	if sum, err := f.desk.ImportAssets(ctx, strings.NewReader(csv), nil); err != nil || sum.Failed > 0 {
		t.Fatalf("import: %v %v", err, sum.Errors)
	}
	return f
}

// deliver runs one raw mail through the real pipeline stages (store raw,
// parse, classify, thread, apply) and returns its intake record.
func (f *fixture) deliver(raw string) models.IntakeRecord {
	f.t.Helper()
	ctx := context.Background()
	f.uid++
	data := []byte(strings.ReplaceAll(raw, "\n", "\r\n"))
	ids, err := f.store.RecordFetched(ctx, "INBOX", 1, []models.FetchedMail{{UID: f.uid, Raw: data}})
	if err != nil || len(ids) != 1 {
		f.t.Fatalf("record: %v %v", ids, err)
	}
	p := mailin.NewProcessor(f.store, f.desk, mailin.ClassifyOptions{AssetTagPattern: regexp.MustCompile(`(?i)\bKOM-?\d{5}\b`)}, nil)
	if _, err := p.ProcessPending(ctx); err != nil {
		f.t.Fatal(err)
	}
	rec, err := f.store.IntakeByID(ctx, ids[0])
	if err != nil {
		f.t.Fatal(err)
	}
	return *rec
}

// deliverBatch runs several raw mails through the pipeline in one batch (one
// write transaction) and returns their intake records, in order.
func (f *fixture) deliverBatch(raws ...string) []models.IntakeRecord {
	f.t.Helper()
	ctx := context.Background()
	var mails []models.FetchedMail
	for _, raw := range raws {
		f.uid++
		mails = append(mails, models.FetchedMail{UID: f.uid, Raw: []byte(strings.ReplaceAll(raw, "\n", "\r\n"))})
	}
	ids, err := f.store.RecordFetched(ctx, "INBOX", 1, mails)
	if err != nil || len(ids) != len(raws) {
		f.t.Fatalf("record: %v %v", ids, err)
	}
	p := mailin.NewProcessor(f.store, f.desk, mailin.ClassifyOptions{AssetTagPattern: regexp.MustCompile(`(?i)\bKOM-?\d{5}\b`)}, nil)
	if n, err := p.ProcessPending(ctx); err != nil || n != len(raws) {
		f.t.Fatalf("processed %d of %d: %v", n, len(raws), err)
	}
	out := make([]models.IntakeRecord, len(ids))
	for i, id := range ids {
		rec, err := f.store.IntakeByID(ctx, id)
		if err != nil {
			f.t.Fatal(err)
		}
		out[i] = *rec
	}
	return out
}

func (f *fixture) ticket(n int64) *models.Ticket {
	f.t.Helper()
	t, err := f.store.TicketByNumber(context.Background(), n)
	if err != nil {
		f.t.Fatalf("ticket %d: %v", n, err)
	}
	return t
}

func (f *fixture) messages(n int64) []models.Message {
	f.t.Helper()
	msgs, err := f.store.Messages(context.Background(), f.ticket(n).ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return msgs
}

func (f *fixture) outbox() []models.OutboxMail {
	f.t.Helper()
	out, _, err := f.store.ListOutbox(context.Background(), "", 500, 0)
	if err != nil {
		f.t.Fatal(err)
	}
	return out
}

func mailFrom(from, subject, body string, headers ...string) string {
	return "From: " + from + "\nTo: helpdesk@kommun.test\nSubject: " + subject +
		"\nMessage-ID: <" + strings.ReplaceAll(subject+from, " ", "") + "@test>\n" + strings.Join(headers, "\n") +
		"\nContent-Type: text/plain; charset=utf-8\n\n" + body + "\n"
}

func TestWarrantyOf(t *testing.T) {
	day := func(s string) *time.Time {
		d, _ := time.Parse("2006-01-02", s)
		return &d
	}
	vendor := &models.Vendor{WarrantyMonths: 24}
	now := time.Date(2026, 11, 25, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		asset    *models.Asset
		ends     string
		under    bool
		known    bool
		daysLeft int
	}{
		{"no asset", nil, "", false, false, 0},
		{"no dates", &models.Asset{}, "", false, false, 0},
		{"delivery + default 36 months", &models.Asset{DeliveredOn: day("2024-01-15")}, "2027-01-14", true, true, 50},
		{"asset months win over vendor", &models.Asset{DeliveredOn: day("2024-01-15"), WarrantyMonths: 12, Vendor: vendor}, "2025-01-14", false, true, -680},
		{"vendor months", &models.Asset{DeliveredOn: day("2024-01-15"), Vendor: vendor}, "2026-01-14", false, true, -315},
		{"fixed end date wins", &models.Asset{DeliveredOn: day("2020-01-01"), WarrantyEndsOn: day("2026-11-25")}, "2026-11-25", true, true, 0},
		{"expired yesterday", &models.Asset{WarrantyEndsOn: day("2026-11-24")}, "2026-11-24", false, true, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := WarrantyOf(tt.asset, now)
			if w.Known != tt.known || w.Under != tt.under || w.DaysLeft != tt.daysLeft {
				t.Errorf("got %+v, want known=%v under=%v daysLeft=%d", w, tt.known, tt.under, tt.daysLeft)
			}
			if tt.ends != "" && w.EndsOn.Format("2006-01-02") != tt.ends {
				t.Errorf("ends %s, want %s", w.EndsOn.Format("2006-01-02"), tt.ends)
			}
		})
	}
}

func TestRoutingOfHardwareFaults(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, body string
		status     string
		forwarded  bool
		note       string
	}{
		{"under warranty, by asset tag", "Skärmen är sprucken. Inventarienummer KOM-00017", models.StatusAtVendor, true, "Skickat till Refurbo AB"},
		{"expired", "Batteriet laddar inte. S/N pc1m8qwe", models.StatusNew, false, "garantin för PC1M8QWE gick ut 2025-01-09"},
		{"fixed end date keeps it under warranty", "Tangentbordet är trasigt, serienr 5CG 2341 XYZ", models.StatusAtVendor, true, "garanti t.o.m. 2027-01-31"},
		{"unknown serial", "Fläkten låter och datorn är trasig. S/N PF9ZZ9ZZ", models.StatusNew, false, "PF9ZZ9ZZ"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.deliver(mailFrom("Staff <staff@kommun.test>", "Fel "+tt.name, tt.body))
			if rec.Outcome != models.OutcomeCreated {
				t.Fatalf("outcome %s: %s", rec.Outcome, rec.Reason)
			}
			n := int64(1001 + i)
			tk := f.ticket(n)
			if tk.Status != tt.status || tk.Category != models.CategoryHardware {
				t.Errorf("status %s category %s", tk.Status, tk.Category)
			}
			_, err := f.store.VendorCaseForTicket(context.Background(), tk.ID)
			if (err == nil) != tt.forwarded {
				t.Errorf("vendor case exists = %v, want %v", err == nil, tt.forwarded)
			}
			found := false
			for _, m := range f.messages(n) {
				found = found || (m.Kind == models.KindSystem && strings.Contains(m.Text, tt.note))
			}
			if !found {
				t.Errorf("no system note containing %q", tt.note)
			}
		})
	}
}

func TestThreadingTrustsOnlyParties(t *testing.T) {
	f := newFixture(t)
	f.deliver(mailFrom("Anna <anna@kommun.test>", "Datorn är seg", "Allt går långsamt.", "Cc: Bosse <bosse@kommun.test>"))
	tests := []struct {
		name, raw string
		outcome   string
		ticket    int64
	}{
		{"requester by tag", mailFrom("anna@kommun.test", "SV: [#1001] Datorn är seg", "Nu är det värre."), models.OutcomeAppended, 1001},
		{"cc party by tag", mailFrom("bosse@kommun.test", "Re: [#1001] Datorn är seg", "Samma här."), models.OutcomeAppended, 1001},
		{"stranger with a copied tag", mailFrom("mallory@evil.test", "Re: [#1001] Datorn är seg", "Skicka lösenordet."), models.OutcomeCreated, 1002},
		{"tag of a missing ticket", mailFrom("anna@kommun.test", "[#9999] Hej", "Något nytt."), models.OutcomeCreated, 1003},
		{"plus address", "From: someone@else.test\nTo: helpdesk+T1001@kommun.test\nSubject: info\nMessage-ID: <plus@test>\n\nInfo.\n", models.OutcomeAppended, 1001},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.deliver(tt.raw)
			if rec.Outcome != tt.outcome || rec.TicketID == nil || *rec.TicketID != f.ticket(tt.ticket).ID {
				t.Errorf("outcome %s (%s) ticket %v, want %s on #%d", rec.Outcome, rec.Reason, rec.TicketID, tt.outcome, tt.ticket)
			}
		})
	}
	// The forged-tag ticket says why it was not appended.
	notes := f.messages(1002)
	if !strings.Contains(notes[len(notes)-1].Text+notes[1].Text, "[#1001]") {
		t.Errorf("forged-tag ticket lacks the explaining note: %+v", notes)
	}
}

func TestRepliesThreadByOurSignedMessageID(t *testing.T) {
	f := newFixture(t)
	f.deliver(mailFrom("Anna <anna@kommun.test>", "Skärmen är sprucken", "Skärmen är sprucken. KOM-00017"))
	var forward, ack models.OutboxMail
	for _, m := range f.outbox() {
		switch m.Purpose {
		case "vendor_forward":
			forward = m
		case "ack":
			ack = m
		}
	}
	if forward.ID == 0 || ack.ID == 0 {
		t.Fatalf("want a forward and an acknowledgement, got %+v", f.outbox())
	}
	// The vendor replies from a personal address on its domain, without our tag.
	reply := "From: Jonas <jonas@refurbo.test>\nTo: helpdesk@kommun.test\nSubject: Ert ärende\nMessage-ID: <v1@refurbo.test>\n" +
		"In-Reply-To: <" + forward.MessageID + ">\n\nVi har registrerat RMA-2026-0412.\n"
	rec := f.deliver(reply)
	if rec.Outcome != models.OutcomeAppended {
		t.Fatalf("vendor reply: %s %s", rec.Outcome, rec.Reason)
	}
	vc, _ := f.store.VendorCaseForTicket(context.Background(), f.ticket(1001).ID)
	if vc.CaseRef != "RMA-2026-0412" || vc.State != models.CaseAcknowledged {
		t.Errorf("case %q %s", vc.CaseRef, vc.State)
	}
	// A later vendor mail with only the case number threads by it.
	rec = f.deliver("From: jonas@refurbo.test\nTo: helpdesk@kommun.test\nSubject: Reparerad: RMA-2026-0412\nMessage-ID: <v2@refurbo.test>\n\nEnheten är lagad.\n")
	if rec.Outcome != models.OutcomeAppended || !strings.Contains(rec.Reason, "case-ref") {
		t.Errorf("case number threading: %s %s", rec.Outcome, rec.Reason)
	}
	// A forged Message-ID of ours (wrong signature) threads nowhere.
	forged := strings.Replace(ack.MessageID, ".", "x", 3)
	rec = f.deliver("From: mallory@evil.test\nTo: helpdesk@kommun.test\nSubject: hej\nMessage-ID: <f@evil.test>\nIn-Reply-To: <" + forged + ">\n\nHej.\n")
	if rec.Outcome != models.OutcomeCreated {
		t.Errorf("forged Message-ID: %s %s", rec.Outcome, rec.Reason)
	}
}

func TestAutomaticMailNeverChangesATicket(t *testing.T) {
	f := newFixture(t)
	f.deliver(mailFrom("Anna <anna@kommun.test>", "Teams kraschar", "Teams kraschar efter uppdateringen."))
	if err := f.desk.SetStatus(context.Background(), &models.Agent{Email: "a@kommun.test"}, 1001, models.StatusPending); err != nil {
		t.Fatal(err)
	}
	ack := f.outbox()[0]
	before := len(f.outbox())
	oof := "From: Anna <anna@kommun.test>\nTo: helpdesk@kommun.test\nSubject: Automatiskt svar: [#1001] Teams\n" +
		"Message-ID: <oof@test>\nIn-Reply-To: <" + ack.MessageID + ">\nAuto-Submitted: auto-replied\n\nJag är ledig.\n"
	rec := f.deliver(oof)
	if rec.Outcome != models.OutcomeAppended || f.ticket(1001).Status != models.StatusPending {
		t.Errorf("out-of-office: %s (%s), status %s", rec.Outcome, rec.Reason, f.ticket(1001).Status)
	}
	stray := f.deliver(mailFrom("bob@kommun.test", "Out of Office", "Away.", "X-Autoreply: yes"))
	if stray.Outcome != models.OutcomeIgnored {
		t.Errorf("stray auto-reply: %s", stray.Outcome)
	}
	loop := f.deliver(mailFrom("IT <helpdesk@kommun.test>", "[#1001] Vi har tagit emot", "loop"))
	if loop.Outcome != models.OutcomeIgnored || !strings.Contains(loop.Reason, "own address") {
		t.Errorf("own mail: %s %s", loop.Outcome, loop.Reason)
	}
	if len(f.outbox()) != before {
		t.Errorf("automatic mail was answered: outbox %d → %d", before, len(f.outbox()))
	}
	// A real reply from the requester reopens the pending ticket.
	f.deliver(mailFrom("anna@kommun.test", "SV: [#1001] Teams kraschar", "Det kraschar fortfarande."))
	if s := f.ticket(1001).Status; s != models.StatusOpen {
		t.Errorf("requester reply: status %s, want open", s)
	}
}

func TestBounceIsLinkedAndFlagsTheAddress(t *testing.T) {
	f := newFixture(t)
	f.deliver(mailFrom("Anna <anna@kommun.test>", "Glömt lösenordet", "Jag har glömt lösenordet."))
	ack := f.outbox()[0]
	dsn := "From: MAILER-DAEMON@mx.kommun.test\nTo: helpdesk@kommun.test\nSubject: Undelivered Mail Returned to Sender\n" +
		"Message-ID: <dsn1@mx>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n" +
		"--b\nContent-Type: text/plain\n\nDelivery failed.\n--b\nContent-Type: message/delivery-status\n\n" +
		"Reporting-MTA: dns; mx.kommun.test\n\nFinal-Recipient: rfc822; anna@kommun.test\nAction: failed\nStatus: 5.1.1\n\n" +
		"--b\nContent-Type: text/rfc822-headers\n\nMessage-ID: <" + ack.MessageID + ">\nSubject: x\n\n--b--\n"
	rec := f.deliver(dsn)
	if rec.Outcome != models.OutcomeAppended || rec.TicketID == nil {
		t.Fatalf("bounce: %s %s", rec.Outcome, rec.Reason)
	}
	msgs := f.messages(1001)
	last := msgs[len(msgs)-1]
	if last.Kind != models.KindSystem || !strings.Contains(last.Text, "anna@kommun.test") || !strings.Contains(last.Text, "5.1.1") {
		t.Errorf("bounce note: %+v", last)
	}
	r, _ := f.store.UpsertRequester(context.Background(), "anna@kommun.test", "", "")
	if r.BouncedAt == nil {
		t.Error("the address is not flagged as bouncing")
	}
	// No acknowledgement to a bouncing address.
	before := len(f.outbox())
	f.deliver(mailFrom("anna@kommun.test", "Ny fråga", "Hej igen."))
	if len(f.outbox()) != before {
		t.Error("acknowledged a bouncing address")
	}
}

func TestAcknowledgementsAreRateLimited(t *testing.T) {
	f := newFixture(t)
	for i := range 4 {
		f.deliver(mailFrom("anna@kommun.test", "Fråga "+string(rune('A'+i)), "Hej, en fråga om Office."))
	}
	acks := 0
	for _, m := range f.outbox() {
		if m.Purpose == "ack" {
			acks++
		}
	}
	if acks != 2 {
		t.Errorf("%d acknowledgements in one hour, want the limit 2", acks)
	}
	f.now = f.now.Add(2 * time.Hour)
	f.deliver(mailFrom("anna@kommun.test", "Fråga E", "Hej."))
	if len(f.outbox()) != 3 {
		t.Errorf("after an hour acknowledgements resume: outbox %d", len(f.outbox()))
	}
}

// TestOneBatchActsLikeMailByMail delivers mails that depend on each other
// in one batch: the acknowledgement limit, ticket numbers, a reply to a
// ticket opened earlier in the batch, duplicates, and search must come out
// as if each mail had arrived alone.
func TestOneBatchActsLikeMailByMail(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	first := "From: Anna <anna@kommun.test>\nTo: helpdesk@kommun.test\nSubject: Tangentbordet krånglar\nMessage-ID: <a1@kommun.test>\n\nTangentbordet på min dator krånglar.\n"
	recs := f.deliverBatch(
		first,
		mailFrom("anna@kommun.test", "Fråga B", "Hej, en fråga om Office."),
		mailFrom("bo@kommun.test", "Skrivaren", "Skrivaren på plan 3 är trasig."),
		mailFrom("anna@kommun.test", "Fråga C", "Hej, en fråga om Teams."),
		first, // the same mail again, e.g. copied to a second folder
		"From: Anna <anna@kommun.test>\nTo: helpdesk@kommun.test\nSubject: Re: Tangentbordet krånglar\nMessage-ID: <a2@kommun.test>\n"+
			"In-Reply-To: <a1@kommun.test>\nReferences: <a1@kommun.test>\n\nNu fungerar inte heller musen, xylofonmusen.\n",
	)
	want := []string{models.OutcomeCreated, models.OutcomeCreated, models.OutcomeCreated, models.OutcomeCreated, models.OutcomeIgnored, models.OutcomeAppended}
	for i, rec := range recs {
		if rec.Outcome != want[i] {
			t.Errorf("mail %d: %s (%s); want %s", i+1, rec.Outcome, rec.Reason, want[i])
		}
	}
	if recs[4].DuplicateOf == nil || *recs[4].DuplicateOf != recs[0].ID {
		t.Errorf("the copy is a duplicate of %v; want intake #%d", recs[4].DuplicateOf, recs[0].ID)
	}
	for i, n := range []int64{1001, 1002, 1003, 1004} {
		if tk := f.ticket(n); tk.Subject == "" || recs[i].TicketID == nil || *recs[i].TicketID != tk.ID {
			t.Errorf("mail %d: ticket %v; want #%d", i+1, recs[i].TicketID, n)
		}
	}
	acks := map[string]int{}
	for _, m := range f.outbox() {
		if m.Purpose == "ack" {
			acks[m.Recipients]++
		}
	}
	if acks["anna@kommun.test"] != 2 || acks["bo@kommun.test"] != 1 {
		t.Errorf("acknowledgements %v; want the limit of 2 for anna, 1 for bo", acks)
	}
	// The next batch, within the hour, counts the acknowledgements stored by this one.
	// A reply in it re-indexes a ticket the index already has.
	f.deliverBatch(mailFrom("anna@kommun.test", "Fråga D", "Hej igen."),
		"From: Anna <anna@kommun.test>\nTo: helpdesk@kommun.test\nSubject: Re: Tangentbordet krånglar\nMessage-ID: <a3@kommun.test>\n"+
			"In-Reply-To: <a2@kommun.test>\nReferences: <a1@kommun.test> <a2@kommun.test>\n\nOch zebrapappret tog slut.\n")
	if n := len(f.outbox()); n != 3 {
		t.Errorf("outbox has %d mails after anna's fourth ticket; want still 3", n)
	}
	// Search sees the tickets of the batches, and the replies appended in them.
	for q, wantNumber := range map[string]int64{"skrivaren": 1003, "xylofonmusen": 1001, "tangentbordet": 1001, "zebrapappret": 1001} {
		got, total, err := f.store.ListTickets(ctx, models.TicketFilter{Q: q, Limit: 10})
		if err != nil || total != 1 || got[0].Number != wantNumber {
			t.Errorf("search %q: %d hits %v (%v); want only #%d", q, total, got, err, wantNumber)
		}
	}
}

func TestReplyToClosedTicketOpensAFollowUp(t *testing.T) {
	f := newFixture(t)
	f.deliver(mailFrom("anna@kommun.test", "Skrivaren", "Skrivaren skriver inte ut."))
	agent := &models.Agent{ID: 0, Email: "agent@kommun.test", Name: "Agent"}
	if err := f.desk.SetStatus(context.Background(), agent, 1001, models.StatusClosed); err != nil {
		t.Fatal(err)
	}
	rec := f.deliver(mailFrom("anna@kommun.test", "SV: [#1001] Skrivaren", "Nu igen!"))
	if rec.Outcome != models.OutcomeCreated || !strings.Contains(rec.Reason, "follow-up of closed #1001") {
		t.Errorf("%s %s", rec.Outcome, rec.Reason)
	}
	if f.ticket(1001).Status != models.StatusClosed {
		t.Error("the closed ticket changed")
	}
}

func TestAgentReplyIsMailedInTheRequestersLanguage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.deliver(mailFrom("Sarah <sarah@kommun.test>", "Password reset", "Hello, I forgot my password and cannot log in to my account."))
	agent, err := f.desk.CreateAgent(ctx, "eva@kommun.test", "Eva", models.RoleAgent, "long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if err := f.desk.Reply(ctx, agent, 1001, "I have reset it, please try again.", ""); err != nil {
		t.Fatal(err)
	}
	tk := f.ticket(1001)
	if tk.Status != models.StatusPending || tk.Category != models.CategoryAccount {
		t.Errorf("status %s category %s", tk.Status, tk.Category)
	}
	var reply models.OutboxMail
	for _, m := range f.outbox() {
		if m.Purpose == "reply" {
			reply = m
		}
	}
	full, err := f.store.OutboxByMessageID(ctx, reply.MessageID)
	if err != nil || full.Recipients != "sarah@kommun.test" || !strings.Contains(full.Subject, "[#1001]") {
		t.Fatalf("reply mail: %+v %v", full, err)
	}
	if err := f.desk.Reply(ctx, agent, 1001, "   ", ""); err == nil {
		t.Error("an empty reply must be refused")
	}
	if err := f.desk.Reply(ctx, agent, 4242, "hi", ""); err != ErrNotFound {
		t.Errorf("unknown ticket: %v", err)
	}
}

func TestLoginLockout(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.desk.CreateAgent(ctx, "eva@kommun.test", "Eva", models.RoleAgent, "the right password"); err != nil {
		t.Fatal(err)
	}
	for i := range maxFailuresPerAccount {
		if _, err := f.desk.LoginFrom(ctx, "eva@kommun.test", "wrong", "10.0.0.1"); err != ErrBadLogin {
			t.Fatalf("attempt %d: %v", i+1, err)
		}
	}
	// Locked: even the right password is refused, without a hash being computed.
	if _, err := f.desk.LoginFrom(ctx, "EVA@kommun.test", "the right password", "10.0.0.2"); err != ErrLoginLocked {
		t.Errorf("after %d failures: %v, want locked", maxFailuresPerAccount, err)
	}
	// Another account is not affected.
	if _, err := f.desk.CreateAgent(ctx, "olle@kommun.test", "Olle", models.RoleAgent, "olles password"); err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.LoginFrom(ctx, "olle@kommun.test", "olles password", "10.0.0.1"); err != nil {
		t.Errorf("other account: %v", err)
	}
	// The window passes.
	f.now = f.now.Add(loginWindow + time.Second)
	if a, err := f.desk.LoginFrom(ctx, "eva@kommun.test", "the right password", "10.0.0.1"); err != nil || a.Email != "eva@kommun.test" {
		t.Errorf("after the window: %v", err)
	}
	// One address guessing across many accounts is locked too.
	for i := range maxFailuresPerClient {
		_, _ = f.desk.LoginFrom(ctx, fmt.Sprintf("user%d@kommun.test", i), "guess", "10.9.9.9")
	}
	if _, err := f.desk.LoginFrom(ctx, "olle@kommun.test", "olles password", "10.9.9.9"); err != ErrLoginLocked {
		t.Errorf("spraying address: %v, want locked", err)
	}
}

// TestMailThreadsByReferencesToTheTicketsNumber checks the references step
// of threading: a mail whose References name a mail already on a ticket
// lands on that ticket, and its reason names the ticket's number — for a
// person's reply and for an automatic mail alike — while a reference nobody
// knows opens a new ticket.
func TestMailThreadsByReferencesToTheTicketsNumber(t *testing.T) {
	f := newFixture(t)
	first := f.deliver(mailFrom("Anna <anna@kommun.test>", "Teams kraschar", "Teams kraschar efter uppdateringen."))
	second := f.deliver(mailFrom("Bo <bo@kommun.test>", "Skrivaren", "Skrivaren matar inte papper."))
	if first.TicketID == nil || second.TicketID == nil {
		t.Fatalf("fixture: %s, %s", first.Reason, second.Reason)
	}
	cases := []struct {
		name, raw  string
		ticket     *uint // nil: a new ticket
		wantReason string
	}{
		{"reply", "From: Bo <bo@kommun.test>\nTo: helpdesk@kommun.test\nSubject: Ny fråga\nMessage-ID: <r1@test>\n" +
			"References: <unknown@test> <" + second.MessageID + ">\n\nNu fungerar den.\n",
			second.TicketID, "reply added to #1002 (threaded by references)"},
		{"automatic mail", "From: Anna <anna@kommun.test>\nTo: helpdesk@kommun.test\nSubject: Frånvaro\nMessage-ID: <oof2@test>\n" +
			"In-Reply-To: <" + first.MessageID + ">\nAuto-Submitted: auto-replied\n\nJag är ledig.\n",
			first.TicketID, "added to #1001 without changing its status"},
		{"unknown reference", "From: Cia <cia@kommun.test>\nTo: helpdesk@kommun.test\nSubject: Mus\nMessage-ID: <r2@test>\n" +
			"References: <unknown@test>\n\nMusen är trasig.\n",
			nil, "new ticket #1003"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := f.deliver(c.raw)
			if !strings.Contains(rec.Reason, c.wantReason) {
				t.Errorf("reason %q; want it to say %q", rec.Reason, c.wantReason)
			}
			if c.ticket != nil && (rec.TicketID == nil || *rec.TicketID != *c.ticket) {
				t.Errorf("on ticket %v; want %d", rec.TicketID, *c.ticket)
			}
		})
	}
}
