package app

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"warrantydesk/devmail"
	"warrantydesk/models"
)

// TestBrokenMailBecomesATicket ingests, on the suite's database, a mail
// with NUL bytes in its subject and body and 8-bit bytes that are not the
// UTF-8 it declares: it becomes a ticket like any other (SQLite stores any
// bytes; PostgreSQL refuses NULs and broken UTF-8 in text, so the store
// cleans them there), its intake record finished, its text searchable.
func TestBrokenMailBecomesATicket(t *testing.T) {
	imapSrv, err := devmail.StartIMAPServer("127.0.0.1:0", "desk", "pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer imapSrv.Close()
	d := startDesk(t, mailServer{host: imapSrv.Host(), port: imapSrv.Port(), user: "desk", password: "pw", mailbox: "INBOX"})
	raw := "From: Lars Nilsson <lars@kommun.test>\r\nTo: helpdesk@kommun.test\r\n" +
		"Subject: =?utf-8?Q?Sk=C3=A4rmen_flimrar?=\r\nMessage-ID: <broken-1@kommun.test>\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n\r\nSk\xe4rmen p\xe5 min dator\x00 flimrar hela tiden.\r\n"
	if err := imapSrv.Append("INBOX", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	waitFor(t, "the broken mail's intake to finish", func() bool {
		recs := intakeOutcomes(t, d.app.Store)
		return len(recs) == 1 && finished(recs) == 1
	})
	if recs := intakeOutcomes(t, d.app.Store); recs[0].Outcome != models.OutcomeCreated {
		t.Fatalf("intake outcome %s (%s), want created", recs[0].Outcome, recs[0].Reason)
	}
	tk := mustTicket(t, d.app, 1001)
	if !strings.Contains(tk.Subject, "flimrar") || !utf8.ValidString(tk.Subject) && d.app.Cfg.Database.Driver == models.DriverPostgres {
		t.Errorf("subject %q", tk.Subject)
	}
	if _, n, err := d.app.Store.ListTickets(ctx, models.TicketFilter{Q: "flimrar"}); err != nil || n != 1 {
		t.Errorf("search finds %d tickets (%v), want the broken mail's", n, err)
	}
}
