package app

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"warrantydesk/devmail"
	"warrantydesk/internal/testenv"
	"warrantydesk/mailin"
	"warrantydesk/models"
)

// mailServer is where the test drops staff mail: the in-process server or Dovecot.
type mailServer struct {
	host, user, password, mailbox string
	port                          int
}

// appendMail delivers raw into the mailbox over IMAP APPEND, as an MTA would.
func (s mailServer) appendMail(t *testing.T, raw string) {
	t.Helper()
	c, err := imapclient.DialInsecure(net.JoinHostPort(s.host, strconv.Itoa(s.port)), nil)
	if err != nil {
		t.Fatalf("dial IMAP: %v", err)
	}
	defer c.Close()
	if err := c.Login(s.user, s.password).Wait(); err != nil {
		t.Fatalf("IMAP login: %v", err)
	}
	data := []byte(strings.ReplaceAll(raw, "\n", "\r\n"))
	cmd := c.Append(s.mailbox, int64(len(data)), nil)
	if _, err := cmd.Write(data); err != nil {
		t.Fatalf("append: %v", err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("append: %v", err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append: %v", err)
	}
}

// count returns how many mails the mailbox holds (to prove nothing is deleted).
func (s mailServer) count(t *testing.T) uint32 {
	t.Helper()
	c, err := imapclient.DialInsecure(net.JoinHostPort(s.host, strconv.Itoa(s.port)), nil)
	if err != nil {
		t.Fatalf("dial IMAP: %v", err)
	}
	defer c.Close()
	if err := c.Login(s.user, s.password).Wait(); err != nil {
		t.Fatalf("IMAP login: %v", err)
	}
	data, err := c.Status(s.mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return *data.NumMessages
}

type e2eDesk struct {
	app     *App
	capture *devmail.SMTPCapture
	cancel  context.CancelFunc
	done    chan error
}

// startDesk runs a full desk (web server, intake, outbox) against srv and a
// fresh SMTP capture playing the reseller.
func startDesk(t *testing.T, srv mailServer) *e2eDesk {
	t.Helper()
	capture, err := devmail.StartSMTPCapture("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { capture.Close() })
	cfg := Defaults()
	useTestDatabase(t, &cfg)
	cfg.IMAP = IMAPConfig{Host: srv.host, Port: srv.port, TLS: "none", Username: srv.user, Password: srv.password,
		Mailbox: srv.mailbox, Idle: true, PollInterval: Duration{time.Second}, MaxSize: 25 << 20}
	cfg.SMTP = SMTPConfig{Host: capture.Host(), Port: capture.Port(), TLS: "none"}
	cfg.Desk.Address, cfg.Desk.Name = "helpdesk@kommun.test", "IT-helpdesk"
	cfg.Vendors = []VendorConfig{{Name: "Refurbo AB", Email: "garanti@refurbo.test", CasePattern: `RMA-\d{4}-\d{4}`,
		WarrantyMonths: 36, TurnaroundDays: 10, AutoForward: true}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	a, err := New(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	delivered := time.Now().AddDate(-1, 0, 0).Format("2006-01-02")
	old := time.Now().AddDate(-4, 0, 0).Format("2006-01-02")
	fleet := "serial,model,manufacturer,vendor,delivered_on,warranty_months\n" +
		"PF3KX2A1,Lenovo ThinkPad T14 Gen 2,Lenovo,Refurbo AB," + delivered + ",36\n" +
		"PC1M8QWE,Lenovo ThinkPad T480,Lenovo,Refurbo AB," + old + ",36\n"
	if sum, err := a.Desk.ImportAssets(ctx, strings.NewReader(fleet), nil); err != nil || sum.Failed != 0 {
		t.Fatalf("import fleet: %v %v", err, sum.Errors)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &e2eDesk{app: a, capture: capture, cancel: cancel, done: make(chan error, 1)}
	go func() { d.done <- a.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-d.done; err != nil {
			t.Errorf("serve: %v", err)
		}
		a.Close()
	})
	return d
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// waitFor polls cond until it holds or the generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func intakeOutcomes(t *testing.T, s *models.Store) []models.IntakeRecord {
	t.Helper()
	recs, _, err := s.ListIntake(context.Background(), models.IntakeFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func finished(recs []models.IntakeRecord) int {
	n := 0
	for _, r := range recs {
		if r.Outcome != models.OutcomePending {
			n++
		}
	}
	return n
}

const e2eFault = `From: Anna Lindqvist <anna@skola.kommun.test>
To: IT-helpdesk <helpdesk@kommun.test>
Subject: =?iso-8859-1?Q?Sk=E4rmen_=E4r_sprucken?=
Date: Wed, 25 Nov 2026 09:12:00 +0100
Message-ID: <fault-1@skola.kommun.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Hej! Sk=E4rmen p=E5 min dator =E4r sprucken. Serienr: pf3kx-2a1

/Anna
`

const e2eOldDevice = `From: Lars Nilsson <lars@kommun.test>
To: helpdesk@kommun.test
Subject: Datorn startar inte
Date: Wed, 25 Nov 2026 09:20:00 +0100
Message-ID: <old-1@kommun.test>
Content-Type: text/plain; charset=utf-8

Min dator startar inte, skärmen förblir svart. S/N PC1M8QWE
`

const e2eOutOfOffice = `From: Anna Lindqvist <anna@skola.kommun.test>
To: helpdesk@kommun.test
Subject: Automatiskt svar: Skärmen är sprucken
Date: Wed, 25 Nov 2026 09:13:00 +0100
Message-ID: <oof-1@skola.kommun.test>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
Content-Type: text/plain; charset=utf-8

Jag är ledig till och med måndag.
`

func vendorReply(forward devmail.CapturedMail) string {
	return fmt.Sprintf(`From: Refurbo Service <service@refurbo.test>
To: helpdesk@kommun.test
Subject: SV: %s
Date: Wed, 25 Nov 2026 10:00:00 +0100
Message-ID: <vendor-reply-1@refurbo.test>
In-Reply-To: <%s>
References: <%s>
Content-Type: text/plain; charset=utf-8

Hej, vi har registrerat ärendet som RMA-2026-0412. Skicka enheten till oss.
`, forward.Subject, forward.MessageID, forward.MessageID)
}

// runWarrantyLoop is the whole loop of issue #2 on real servers: staff mail in
// over IMAP → tickets → the forward reaches the reseller over SMTP → the
// reseller's reply threads back → an out-of-office creates nothing.
func runWarrantyLoop(t *testing.T, srv mailServer) {
	d := startDesk(t, srv)
	store := d.app.Store
	ctx := context.Background()
	before := srv.count(t)

	srv.appendMail(t, e2eFault)
	srv.appendMail(t, e2eOldDevice)
	waitFor(t, "two mails processed", func() bool { return finished(intakeOutcomes(t, store)) == 2 })

	fault, err := store.TicketByNumber(ctx, 1001)
	if err != nil {
		t.Fatalf("ticket 1001: %v", err)
	}
	if fault.Status != models.StatusAtVendor || fault.Category != models.CategoryHardware || fault.Asset == nil || fault.Asset.Serial != "PF3KX2A1" {
		t.Fatalf("hardware fault under warranty: status %q category %q asset %+v", fault.Status, fault.Category, fault.Asset)
	}
	old, err := store.TicketByNumber(ctx, 1002)
	if err != nil {
		t.Fatal(err)
	}
	if old.Status != models.StatusNew || old.Category != models.CategoryHardware {
		t.Errorf("out-of-warranty fault must stay with us: status %q category %q", old.Status, old.Category)
	}

	// Forward to the reseller + one acknowledgement per requester = 3 mails.
	mails, err := d.capture.WaitFor(ctxTimeout(t), 3)
	if err != nil {
		t.Fatalf("waiting for outgoing mail: %v", err)
	}
	var forward *devmail.CapturedMail
	acks := map[string]string{}
	for i, m := range mails {
		switch {
		case len(m.To) == 1 && m.To[0] == "garanti@refurbo.test":
			forward = &mails[i]
		default:
			acks[strings.Join(m.To, ",")] = m.Subject
		}
	}
	if forward == nil {
		t.Fatalf("no forward reached the reseller; got %+v", mails)
	}
	if !strings.Contains(forward.Subject, "[#1001]") {
		t.Errorf("forward subject %q lacks the ticket number", forward.Subject)
	}
	if n, ok := d.app.IDs.Ticket(forward.MessageID); !ok || n != 1001 {
		t.Errorf("forward Message-ID %q is not our signed id for 1001", forward.MessageID)
	}
	parsed, err := mailin.Parse(forward.Raw)
	if err != nil {
		t.Fatal(err)
	}
	warrantyEnd := time.Now().AddDate(-1, 36, -1).Format("2006-01-02")
	for _, want := range []string{"PF3KX2A1", "Lenovo ThinkPad T14 Gen 2", warrantyEnd, "sprucken"} {
		if !strings.Contains(parsed.Text, want) {
			t.Errorf("forward body lacks %q:\n%s", want, parsed.Text)
		}
	}
	if ack := acks["anna@skola.kommun.test"]; !strings.Contains(ack, "[#1001]") || !strings.Contains(ack, "Vi har tagit emot") {
		t.Errorf("Swedish acknowledgement with ticket number missing, got %q", ack)
	}

	// The reseller answers; an out-of-office arrives too.
	srv.appendMail(t, vendorReply(*forward))
	srv.appendMail(t, e2eOutOfOffice)
	waitFor(t, "four mails processed", func() bool { return finished(intakeOutcomes(t, store)) == 4 })

	msgs, err := store.Messages(ctx, fault.ID)
	if err != nil {
		t.Fatal(err)
	}
	var vendorMsg *models.Message
	for i := range msgs {
		if msgs[i].Kind == models.KindVendorIn {
			vendorMsg = &msgs[i]
		}
	}
	if vendorMsg == nil {
		t.Fatal("the reseller's reply is not on ticket 1001 as a vendor message")
	}
	vc, err := store.VendorCaseForTicket(ctx, fault.ID)
	if err != nil {
		t.Fatal(err)
	}
	if vc.CaseRef != "RMA-2026-0412" || vc.State != models.CaseAcknowledged {
		t.Errorf("vendor case: ref %q state %q, want RMA-2026-0412 acknowledged", vc.CaseRef, vc.State)
	}
	var oof *models.IntakeRecord
	for _, r := range intakeOutcomes(t, store) {
		if r.Class == mailin.ClassAutoReply {
			oof = &r
		}
	}
	if oof == nil || oof.Outcome != models.OutcomeIgnored || oof.TicketID != nil {
		t.Errorf("out-of-office must be ignored without a ticket, got %+v", oof)
	}
	_, total, err := store.ListTickets(ctx, models.TicketFilter{})
	if err != nil || total != 2 {
		t.Errorf("want exactly 2 tickets, got %d (%v)", total, err)
	}
	if after := srv.count(t); after != before+4 {
		t.Errorf("mailbox holds %d mails, want %d: intake must never delete", after, before+4)
	}
	// No further mail went out because of the vendor reply or the out-of-office.
	time.Sleep(300 * time.Millisecond)
	if n := len(d.capture.Messages()); n != 3 {
		t.Errorf("%d mails sent, want 3 (no acknowledgement of automatic or vendor mail)", n)
	}

	// While the device is at the reseller our SLA clock is paused.
	fault, _ = store.TicketByNumber(ctx, 1001)
	if fault.SLAPausedAt == nil {
		t.Error("SLA clock not paused while the ticket is at the vendor")
	}
	dueBefore := *fault.SLADueAt

	// The reseller is late: the scheduled reminder goes out in the forward's thread.
	late := time.Now().AddDate(0, 0, 11)
	if n, err := d.app.Desk.RemindVendors(ctx, late); err != nil || n != 1 {
		t.Fatalf("reminders: %d %v", n, err)
	}
	d.app.Outbox.Kick()
	mails, err = d.capture.WaitFor(ctxTimeout(t), 4)
	if err != nil {
		t.Fatalf("waiting for the reminder: %v", err)
	}
	reminder := mails[3]
	rp, err := mailin.Parse(reminder.Raw)
	if err != nil {
		t.Fatal(err)
	}
	if reminder.To[0] != "garanti@refurbo.test" || rp.InReplyTo != forward.MessageID || !strings.Contains(rp.Subject+rp.Text, "RMA-2026-0412") {
		t.Errorf("reminder: to %v in-reply-to %q subject %q", reminder.To, rp.InReplyTo, rp.Subject)
	}
	if n, _ := d.app.Desk.RemindVendors(ctx, late.Add(time.Hour)); n != 0 {
		t.Errorf("a second reminder within three days: %d", n)
	}

	// The reseller ships the repaired unit back: the ticket returns to us, the
	// SLA clock resumes with the paused time added, and the requester is told.
	agent := &models.Agent{Email: "eva@kommun.test", Name: "Eva"}
	for _, state := range []string{models.CaseInRepair, models.CaseShippedBack} {
		if err := d.app.Desk.SetCaseState(ctx, agent, 1001, state, "", ""); err != nil {
			t.Fatalf("case state %s: %v", state, err)
		}
	}
	fault, _ = store.TicketByNumber(ctx, 1001)
	vc, _ = store.VendorCaseForTicket(ctx, fault.ID)
	if fault.Status != models.StatusOpen || fault.SLAPausedAt != nil || !fault.SLADueAt.After(dueBefore) || vc.State != models.CaseShippedBack || vc.ReturnedAt == nil {
		t.Errorf("back from repair: status %s paused %v due %v→%v case %s returned %v",
			fault.Status, fault.SLAPausedAt, dueBefore, fault.SLADueAt, vc.State, vc.ReturnedAt)
	}
	d.app.Outbox.Kick()
	mails, err = d.capture.WaitFor(ctxTimeout(t), 5)
	if err != nil {
		t.Fatalf("waiting for the back-from-repair notice: %v", err)
	}
	if notice := mails[4]; notice.To[0] != "anna@skola.kommun.test" || !strings.Contains(notice.Subject, "Tillbaka från reparation") {
		t.Errorf("notice to the requester: %v %q", notice.To, notice.Subject)
	}
}

func ctxTimeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestWarrantyLoopInProcessIMAP(t *testing.T) {
	srv, err := devmail.StartIMAPServer("127.0.0.1:0", "desk", "desk-pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	runWarrantyLoop(t, mailServer{host: srv.Host(), port: srv.Port(), user: "desk", password: "desk-pw", mailbox: "INBOX"})
}

// TestWarrantyLoopDovecot runs the same loop against a real Dovecot, started
// by scripts/dovecot.sh (which .ci/run calls).
func TestWarrantyLoopDovecot(t *testing.T) {
	addr := testenv.Dovecot(t)
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(portStr)
	// A fresh folder per run, so earlier runs' mail does not count.
	mailbox := fmt.Sprintf("e2e-%d", time.Now().UnixNano())
	srv := mailServer{host: host, port: port, user: "desk", password: "desk-test-pw", mailbox: mailbox}
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(srv.user, srv.password).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(mailbox, nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	runWarrantyLoop(t, srv)
}
