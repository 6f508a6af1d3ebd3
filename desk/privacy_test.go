package desk

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

// annaMail is a fault report with an HTML part and a photo attachment.
const annaMail = `From: Anna Lindqvist <anna@kommun.test>
To: helpdesk@kommun.test
Subject: Skärmen är sprucken på Lindqvists dator
Message-ID: <anna-1@kommun.test>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b1"

--b1
Content-Type: multipart/alternative; boundary="b2"

--b2
Content-Type: text/plain; charset=utf-8

Hej, skärmen är sprucken (serienr PF3KX2A1). Ring mig på 070-1234567. /Anna Lindqvist
--b2
Content-Type: text/html; charset=utf-8

<p>Hej, skärmen är sprucken. Ring mig på <b>070-1234567</b>. /Anna Lindqvist</p>
--b2--

--b1
Content-Type: image/jpeg; name="anna-skarm.jpg"
Content-Disposition: attachment; filename="anna-skarm.jpg"
Content-Transfer-Encoding: base64

QW5uYXMgc3BydWNrbmEgc2vDpHJtIChmb3RvKQ==
--b1--
`

// privacyFixture has Anna's ticket (answered by an agent, with an
// attachment), Lars's ticket with Anna in Cc and Anna's out-of-office reply.
type privacyFixture struct {
	*fixture
	agent      *models.Agent
	anna, lars int64
}

func newPrivacyFixture(t *testing.T) *privacyFixture {
	t.Helper()
	f := &privacyFixture{fixture: newFixture(t)}
	ctx := context.Background()
	var err error
	if f.agent, err = f.desk.CreateAgent(ctx, "eva@kommun.test", "Eva Agent", models.RoleAgent, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if rec := f.deliver(annaMail); rec.TicketID == nil {
		t.Fatalf("Anna's mail made no ticket: %+v", rec)
	}
	f.anna = 1001
	if err := f.desk.Reply(ctx, f.agent, f.anna, "Hej Anna Lindqvist, vi byter skärmen.", ""); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.AddNote(ctx, f.agent, f.anna, "Anna Lindqvist sitter i rum 12."); err != nil {
		t.Fatal(err)
	}
	rec := f.deliver("From: Lars Nilsson <lars@kommun.test>\nTo: helpdesk@kommun.test\nCc: Anna Lindqvist <anna@kommun.test>\n" +
		"Subject: Skrivaren fungerar inte\nMessage-ID: <lars-1@kommun.test>\nContent-Type: text/plain; charset=utf-8\n\nSkrivaren på plan 2 är trasig.\n")
	if rec.TicketID == nil {
		t.Fatalf("Lars's mail made no ticket: %+v", rec)
	}
	f.lars = 1002
	f.deliver(mailFrom("Anna Lindqvist <anna@kommun.test>", "Automatiskt svar: ledig", "Anna Lindqvist är ledig.",
		"Auto-Submitted: auto-replied"))
	return f
}

func TestExportRequesterHoldsThePersonsData(t *testing.T) {
	f := newPrivacyFixture(t)
	ex, err := f.desk.ExportRequester(context.Background(), " Anna@Kommun.test ")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	js := string(b)
	if ex.Requester == nil || ex.Requester.Name != "Anna Lindqvist" {
		t.Errorf("requester: %+v", ex.Requester)
	}
	if len(ex.Tickets) != 1 || ex.Tickets[0].Number != f.anna {
		t.Errorf("tickets: %+v", ex.Tickets)
	}
	for _, want := range []string{"070-1234567", "vi byter skärmen", "rum 12", "anna-skarm.jpg", "Automatiskt svar: ledig", `"purpose"`} {
		if !strings.Contains(js, want) {
			t.Errorf("export lacks %q", want)
		}
	}
	if len(ex.IntakeRecords) != 2 || len(ex.OutgoingMail) == 0 || len(ex.Attachments) != 1 {
		t.Errorf("intake %d, outgoing %d, attachments %d", len(ex.IntakeRecords), len(ex.OutgoingMail), len(ex.Attachments))
	}
	if strings.Contains(js, "Skrivaren på plan 2") {
		t.Errorf("export holds Lars's mail (Anna was only in Cc)")
	}
	if _, err := f.desk.ExportRequester(context.Background(), "not an address"); err == nil {
		t.Errorf("a bad address must be refused")
	}
}

func TestEraseRequesterRemovesItEverywhereAndIsIdempotent(t *testing.T) {
	f := newPrivacyFixture(t)
	ctx := context.Background()
	before, err := f.store.CountByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	annaTicket := f.ticket(f.anna)
	msgs := f.messages(f.anna)
	var photo string
	for _, m := range msgs {
		for _, a := range m.Attachments {
			photo = a.BlobSHA256
		}
	}
	annaIntake, err := f.store.IntakeFrom(ctx, "anna@kommun.test")
	if err != nil || len(annaIntake) != 2 || photo == "" {
		t.Fatalf("setup: intake %d (%v), photo %q", len(annaIntake), err, photo)
	}

	res, err := f.desk.EraseRequester(ctx, "admin@kommun.test", "anna@kommun.test")
	if err != nil {
		t.Fatal(err)
	}
	want := "erased-" + itoa(int64(annaTicket.RequesterID)) + "@invalid"
	if res.Pseudonym != want || res.Counts.Tickets != 1 || res.Counts.Messages < 3 || res.Counts.Attachments != 1 {
		t.Errorf("result %+v", res)
	}

	// Every place that held her data.
	secrets := []string{"anna@kommun.test", "Lindqvist", "070-1234567", "rum 12", "byter skärmen", "anna-skarm", "sprucken"}
	check := func(where, s string) {
		t.Helper()
		for _, sec := range secrets {
			if strings.Contains(strings.ToLower(s), strings.ToLower(sec)) {
				t.Errorf("%s still holds %q: %.200s", where, sec, s)
			}
		}
	}
	tk := f.ticket(f.anna)
	check("ticket", tk.Subject+tk.Cc+tk.Requester.Email+tk.Requester.Name)
	if tk.Requester.Email != want || tk.Status != annaTicket.Status || tk.Category != annaTicket.Category || tk.AssetID == nil {
		t.Errorf("ticket after erasure: %+v (requester %+v)", tk, tk.Requester)
	}
	for _, m := range f.messages(f.anna) {
		check("message", m.FromName+m.FromEmail+m.To+m.Cc+m.Subject+m.Text+m.HTML)
		for _, a := range m.Attachments {
			check("attachment", a.Filename)
			if data, err := f.store.Blob(ctx, a.BlobSHA256); err != nil || len(data) != 0 {
				t.Errorf("attachment bytes after erasure: %q (%v)", data, err)
			}
		}
	}
	if _, err := f.store.Blob(ctx, photo); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("the photo's blob survived: %v", err)
	}
	for _, r := range annaIntake {
		rec, err := f.store.IntakeByID(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		check("intake record", rec.FromEmail+rec.Subject+rec.Reason)
		if _, err := f.store.Blob(ctx, rec.SHA256); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("raw mail of intake #%d survived: %v", rec.ID, err)
		}
	}
	for _, m := range f.outbox() {
		full, err := f.store.OutboxByMessageID(ctx, m.MessageID)
		if err != nil {
			t.Fatal(err)
		}
		check("outbox", full.Recipients+full.Subject)
	}
	raws, err := f.store.OutboxTo(ctx, want)
	if err != nil || len(raws) == 0 {
		t.Errorf("outgoing mail to her is no longer listed under the pseudonym: %d %v", len(raws), err)
	}
	for _, q := range []string{"Lindqvist", "sprucken", "anna", "1234567"} {
		list, n, err := f.store.ListTickets(ctx, models.TicketFilter{Q: q})
		if err != nil || n != 0 {
			t.Errorf("search %q still finds %d tickets (%v): %+v", q, n, err, list)
		}
	}
	// Lars's ticket keeps its own content; only her address in the Cc changed.
	lars := f.ticket(f.lars)
	if lars.Cc != want || lars.Subject != "Skrivaren fungerar inte" || f.messages(f.lars)[0].Text == "" {
		t.Errorf("Lars's ticket: cc %q subject %q", lars.Cc, lars.Subject)
	}
	if _, n, _ := f.store.ListTickets(ctx, models.TicketFilter{Q: "skrivaren"}); n != 1 {
		t.Errorf("search for Lars's ticket finds %d", n)
	}
	assets, err := f.store.AssetsAssignedTo(ctx, "anna@kommun.test")
	if err != nil || len(assets) != 0 {
		t.Errorf("devices still assigned to her: %d (%v)", len(assets), err)
	}
	after, err := f.store.CountByStatus(ctx)
	if err != nil || len(after) != len(before) {
		t.Fatalf("counts %v → %v (%v)", before, after, err)
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("status %s: %d tickets before, %d after", k, v, after[k])
		}
	}
	audit, err := f.store.Audit(ctx, "requester", annaTicket.RequesterID)
	if err != nil || len(audit) != 1 || audit[0].Actor != "admin@kommun.test" {
		t.Errorf("audit %+v (%v)", audit, err)
	}
	ex, err := f.desk.ExportRequester(ctx, "anna@kommun.test")
	if err != nil || ex.Requester != nil || len(ex.Messages)+len(ex.IntakeRecords)+len(ex.OutgoingMail) != 0 {
		t.Errorf("export after erasure: %+v (%v)", ex, err)
	}

	// Again: nothing more to do, no second audit entry.
	res, err = f.desk.EraseRequester(ctx, "admin@kommun.test", "ANNA@kommun.test")
	if err != nil || res.Counts != (models.ErasureCounts{}) {
		t.Errorf("second erasure: %+v (%v)", res, err)
	}
	if audit, _ := f.store.Audit(ctx, "requester", annaTicket.RequesterID); len(audit) != 1 {
		t.Errorf("second erasure audited again: %d entries", len(audit))
	}
	// New mail from her after the erasure is a fresh requester, not the pseudonym.
	rec := f.deliver(mailFrom("Anna Lindqvist <anna@kommun.test>", "Ny fråga", "Hej igen"))
	if rec.TicketID == nil || f.ticket(1003).Requester.Email != "anna@kommun.test" {
		t.Errorf("new mail after erasure: %+v", rec)
	}
}

func TestEraseRefusesAgentsAndVendors(t *testing.T) {
	f := newPrivacyFixture(t)
	for _, addr := range []string{"eva@kommun.test", "garanti@refurbo.test", "helpdesk@kommun.test"} {
		if _, err := f.desk.EraseRequester(context.Background(), "admin", addr); !errors.Is(err, ErrForbidden) {
			t.Errorf("%s: %v, want ErrForbidden", addr, err)
		}
	}
}

func TestRetentionTouchesOnlyOldClosedTickets(t *testing.T) {
	f := newPrivacyFixture(t)
	ctx := context.Background()
	// Ticket 1001 (Anna) is closed first; 1002 (Lars) is closed after the
	// cutoff; Bo's ticket 1003 stays open.
	if err := f.desk.SetStatus(ctx, f.agent, f.anna, models.StatusClosed); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	cutoff := time.Now().UTC()
	time.Sleep(20 * time.Millisecond)
	if err := f.desk.SetStatus(ctx, f.agent, f.lars, models.StatusClosed); err != nil {
		t.Fatal(err)
	}
	f.deliver(mailFrom("Bo Ek <bo@kommun.test>", "Tangentbordet", "Tangentbordet är trasigt, Bo Ek"))
	now := cutoff.AddDate(0, 12, 0)

	if res, err := f.desk.ApplyRetention(ctx, now, 0); err != nil || res.Counts != (models.ErasureCounts{}) {
		t.Fatalf("months 0 must do nothing: %+v %v", res, err)
	}
	res, err := f.desk.ApplyRetention(ctx, now, 12)
	if err != nil {
		t.Fatal(err)
	}
	anna := f.ticket(f.anna)
	if anna.Subject != models.ErasedSubject || anna.Status != models.StatusClosed {
		t.Errorf("old closed ticket: %q %s", anna.Subject, anna.Status)
	}
	for _, m := range f.messages(f.anna) {
		if m.Text != "" || m.HTML != "" || strings.Contains(m.FromEmail, "anna") {
			t.Errorf("old closed ticket's message kept: %+v", m)
		}
	}
	if !strings.HasPrefix(anna.Requester.Email, "erased-") || anna.Requester.Name != "" {
		t.Errorf("a requester with no live ticket keeps her name: %+v", anna.Requester)
	}
	if res.Counts.Tickets != 1 || res.Requesters != 1 {
		t.Errorf("result %+v", res)
	}
	lars := f.ticket(f.lars)
	if lars.Subject != "Skrivaren fungerar inte" || lars.Requester.Email != "lars@kommun.test" || f.messages(f.lars)[0].Text == "" {
		t.Errorf("recently closed ticket touched: %+v", lars)
	}
	bo := f.ticket(1003)
	if bo.Subject != "Tangentbordet" || !strings.Contains(f.messages(1003)[0].Text, "Bo Ek") {
		t.Errorf("open ticket touched: %+v", bo)
	}
	if _, n, _ := f.store.ListTickets(ctx, models.TicketFilter{Q: "sprucken"}); n != 0 {
		t.Errorf("search still finds the erased ticket")
	}
	// Idempotent.
	again, err := f.desk.ApplyRetention(ctx, now, 12)
	if err != nil || again.Counts != (models.ErasureCounts{}) || again.Requesters != 0 {
		t.Errorf("second run: %+v (%v)", again, err)
	}
}
