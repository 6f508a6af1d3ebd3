package app

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"warrantydesk/devmail"
	"warrantydesk/models"
)

// TestDatabaseBusyRequestsWaitAndSucceed holds a write transaction on the
// SQLite file from another connection (another process would do the same)
// for two seconds while an agent posts a note through the real router and
// intake applies a new mail. Both must wait for the lock, then succeed, and
// leave whole results: the note, the ticket with its message, its intake
// record, its search row and its acknowledgement.
func TestDatabaseBusyRequestsWaitAndSucceed(t *testing.T) {
	const hold = 2 * time.Second
	imapSrv, err := devmail.StartIMAPServer("127.0.0.1:0", "desk", "pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer imapSrv.Close()
	d := startDesk(t, mailServer{host: imapSrv.Host(), port: imapSrv.Port(), user: "desk", password: "pw", mailbox: "INBOX"})
	a := d.app
	ctx := context.Background()
	if err := imapSrv.Append("INBOX", []byte(strings.ReplaceAll(e2eFault, "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first ticket", func() bool { _, err := a.Store.TicketByNumber(ctx, 1001); return err == nil })
	if _, err := a.Desk.CreateAgent(ctx, "eva@kommun.test", "Eva", models.RoleAgent, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	h, err := a.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrfRe := regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	csrf := func(path string) string {
		res, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		m := csrfRe.FindSubmatch(b)
		if m == nil {
			t.Fatalf("GET %s: no CSRF token (%d)", path, res.StatusCode)
		}
		return string(m[1])
	}
	res, err := hc.PostForm(srv.URL+"/login", url.Values{"email": {"eva@kommun.test"}, "password": {"correct horse battery"}, "_csrf": {csrf("/login")}})
	if err != nil || res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: %v %v", res, err)
	}
	res.Body.Close()
	noteToken := csrf("/tickets/1001")

	// Another connection takes the write lock: SQLite's database lock, or
	// on PostgreSQL an exclusive lock on the tickets table (readers pass).
	conn, err := rawDB(t, a.Cfg).Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	lock := []string{"BEGIN IMMEDIATE"}
	if a.Cfg.Database.Driver == models.DriverPostgres {
		lock = []string{"BEGIN", "LOCK TABLE tickets IN EXCLUSIVE MODE"}
	}
	for _, q := range lock {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	locked := time.Now()
	released := make(chan struct{})
	go func() {
		time.Sleep(hold)
		_, err := conn.ExecContext(ctx, "ROLLBACK")
		if err != nil {
			t.Errorf("release the lock: %v", err)
		}
		close(released)
	}()

	// While it is held: a new mail arrives, and the agent posts a note.
	mail := "From: Lars Nilsson <lars@kommun.test>\r\nTo: helpdesk@kommun.test\r\nSubject: Tangentbordet saknar tangenter\r\n" +
		"Message-ID: <busy-1@kommun.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nFlera tangenter har lossnat på min dator.\r\n"
	if err := imapSrv.Append("INBOX", []byte(mail)); err != nil {
		t.Fatal(err)
	}
	const note = "Beställt nytt tangentbord medan databasen var upptagen."
	res, err = hc.PostForm(srv.URL+"/tickets/1001/note", url.Values{"text": {note}, "_csrf": {noteToken}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	waited := time.Since(locked)
	if res.StatusCode != http.StatusSeeOther {
		t.Errorf("note while the database is busy: status %d, want 303", res.StatusCode)
	}
	if waited < hold-200*time.Millisecond {
		t.Errorf("the note returned after %v, before the lock was released: it did not wait", waited)
	}
	<-released

	msgs, err := a.Store.Messages(ctx, mustTicket(t, a, 1001).ID)
	if err != nil {
		t.Fatal(err)
	}
	notes := 0
	for _, m := range msgs {
		if m.Kind == models.KindNote && m.Text == note {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("%d copies of the note, want 1", notes)
	}
	waitFor(t, "the mail that arrived while busy", func() bool { _, err := a.Store.TicketByNumber(ctx, 1002); return err == nil })
	waitFor(t, "intake to finish", func() bool {
		recs := intakeOutcomes(t, a.Store)
		return len(recs) == 2 && finished(recs) == 2
	})
	tk := mustTicket(t, a, 1002)
	if m, err := a.Store.Messages(ctx, tk.ID); err != nil || len(m) == 0 || m[0].Kind != models.KindEmail || !strings.Contains(m[0].Text, "tangenter") {
		t.Errorf("ticket 1002 messages: %+v (%v)", m, err)
	}
	for _, r := range intakeOutcomes(t, a.Store) {
		if r.Outcome != models.OutcomeCreated || r.TicketID == nil {
			t.Errorf("intake record %d: %s (ticket %v)", r.ID, r.Outcome, r.TicketID)
		}
	}
	if _, n, err := a.Store.ListTickets(ctx, models.TicketFilter{Q: "tangenter"}); err != nil || n != 1 {
		t.Errorf("search finds %d tickets for the busy-time mail (%v)", n, err)
	}
	// Its acknowledgement went out exactly once.
	waitFor(t, "two acknowledgements", func() bool { return len(d.capture.Messages()) >= 2 })
	time.Sleep(300 * time.Millisecond)
	acks := 0
	for _, m := range d.capture.Messages() {
		if len(m.To) == 1 && m.To[0] == "lars@kommun.test" {
			acks++
		}
	}
	if acks != 1 {
		t.Errorf("%d acknowledgements to lars, want 1", acks)
	}
}

func mustTicket(t *testing.T, a *App, number int64) *models.Ticket {
	t.Helper()
	tk, err := a.Store.TicketByNumber(context.Background(), number)
	if err != nil {
		t.Fatalf("ticket %d: %v", number, err)
	}
	return tk
}
