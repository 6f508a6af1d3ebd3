package mailin

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"warrantydesk/internal/teststore"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"warrantydesk/devmail"
	"warrantydesk/internal/testenv"
	"warrantydesk/models"
)

const (
	testIMAPUser = "desk"
	testIMAPPass = "desk-test-pw"
)

// imapTestServer is a live IMAP server the fetch tests seed and inspect through their own
// connection, never through the Fetcher under test.
type imapTestServer interface {
	config(mailbox string) IMAPConfig
	appendMail(t *testing.T, mailbox string, raw []byte, flags ...imap.Flag)
	count(t *testing.T, mailbox string) int
	// recreate gives mailbox a new UIDVALIDITY, keeping its messages.
	recreate(t *testing.T, mailbox string)
	// newMailWithin is how long a mail may take to reach a running Fetcher.
	newMailWithin() time.Duration
}

// imapMemServer is devmail's in-process server.
type imapMemServer struct{ srv *devmail.IMAPServer }

func startIMAPMemServer(t *testing.T, addr string) *imapMemServer {
	t.Helper()
	srv, err := devmail.StartIMAPServer(addr, testIMAPUser, testIMAPPass, imapTestLogger(t))
	if err != nil {
		t.Fatalf("start IMAP server: %v", err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return &imapMemServer{srv: srv}
}

func (m *imapMemServer) config(mailbox string) IMAPConfig {
	return IMAPConfig{
		Host: m.srv.Host(), Port: m.srv.Port(), TLS: "none", Username: testIMAPUser, Password: testIMAPPass,
		Mailbox: mailbox, Idle: true, PollInterval: 200 * time.Millisecond,
	}
}

func (m *imapMemServer) appendMail(t *testing.T, mailbox string, raw []byte, flags ...imap.Flag) {
	t.Helper()
	var fs []string
	for _, f := range flags {
		fs = append(fs, string(f))
	}
	if err := m.srv.Append(mailbox, raw, fs...); err != nil {
		t.Fatalf("append: %v", err)
	}
}

func (m *imapMemServer) count(t *testing.T, mailbox string) int {
	t.Helper()
	n, err := m.srv.Count(mailbox)
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}

func (m *imapMemServer) recreate(t *testing.T, mailbox string) {
	t.Helper()
	if err := m.srv.Recreate(mailbox); err != nil {
		t.Fatalf("recreate: %v", err)
	}
}

func (m *imapMemServer) newMailWithin() time.Duration { return 10 * time.Second }

func imapTestLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func imapTestStore(t *testing.T) *models.Store {
	t.Helper()
	store := teststore.Open(t, models.Options{})
	return store
}

// imapTestMail is a staff mail with CRLF line ends, as an IMAP server hands it out, so the stored
// copy can be compared byte for byte.
type imapTestMail struct {
	id      string // Message-ID without <>
	subject string // decoded
	raw     []byte
}

func newIMAPTestMail(t *testing.T, n int, encodedSubject, subject string) imapTestMail {
	t.Helper()
	id := fmt.Sprintf("staff-%d-%d@example.se", n, time.Now().UnixNano())
	raw := strings.Join([]string{
		`From: =?utf-8?q?Anna_Svensson?= <Anna.Svensson@Example.se>`,
		"To: IT Desk <desk@example.se>",
		"Subject: " + encodedSubject,
		"Message-ID: <" + id + ">",
		"Date: Tue, 14 Oct 2025 09:12:00 +0200",
		"MIME-Version: 1.0",
		"Content-Type: text/plain; charset=utf-8",
		"Content-Transfer-Encoding: 8bit",
		"",
		fmt.Sprintf("Hej! Mail nummer %d: skärmen på min dator flimrar.", n),
		"Serienummer 5CD1234XYZ.",
		"",
	}, "\r\n")
	return imapTestMail{id: id, subject: subject, raw: []byte(raw)}
}

// imapIntake returns the intake records of mailbox, oldest first.
func imapIntake(t *testing.T, store *models.Store, mailbox string) []models.IntakeRecord {
	t.Helper()
	recs, _, err := store.ListIntake(t.Context(), models.IntakeFilter{Limit: 500})
	if err != nil {
		t.Fatalf("list intake: %v", err)
	}
	var out []models.IntakeRecord
	for i := len(recs) - 1; i >= 0; i-- {
		if recs[i].Mailbox == mailbox {
			out = append(out, recs[i])
		}
	}
	return out
}

func imapCursor(t *testing.T, store *models.Store, mailbox string) models.MailboxCursor {
	t.Helper()
	c, err := store.Cursor(t.Context(), mailbox)
	if err != nil {
		t.Fatalf("cursor: %v", err)
	}
	return c
}

// imapFlagged returns, by Message-ID, whether each mail of cfg.Mailbox carries flag, read through
// EXAMINE so looking cannot change it.
func imapFlagged(t *testing.T, cfg IMAPConfig, flag imap.Flag) map[string]bool {
	t.Helper()
	c := dialIMAPTestClient(t, cfg)
	if _, err := c.Select(cfg.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		t.Fatalf("examine %q: %v", cfg.Mailbox, err)
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{Flags: true, Envelope: true}).Collect()
	if err != nil {
		t.Fatalf("fetch flags: %v", err)
	}
	out := map[string]bool{}
	for _, m := range msgs {
		out[strings.Trim(m.Envelope.MessageID, "<>")] = imapHasFlag(m.Flags, flag)
	}
	return out
}

func imapHasFlag(flags []imap.Flag, want imap.Flag) bool {
	for _, f := range flags {
		if strings.EqualFold(string(f), string(want)) {
			return true
		}
	}
	return false
}

func dialIMAPTestClient(t *testing.T, cfg IMAPConfig) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(fmt.Sprintf("%s:%d", cfg.Host, cfg.Port), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Login(cfg.Username, cfg.Password).Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}

// imapWaitFor polls cond until it holds or the deadline passes.
func imapWaitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// testFetchCore runs the assertions every server must pass, in order: each step builds on the
// mailbox state the previous one left.
func testFetchCore(t *testing.T, srv imapTestServer, mailbox string) {
	ctx := t.Context()
	store := imapTestStore(t)
	cfg := srv.config(mailbox)
	f := NewFetcher(cfg, store, imapTestLogger(t))
	mails := []imapTestMail{
		newIMAPTestMail(t, 1, "Trasig laddare", "Trasig laddare"),
		// Windows-1252 dash (0x96) in a word labelled ISO-8859-1.
		newIMAPTestMail(t, 2, "=?iso-8859-1?q?Sk=E4rmen_flimrar_=96_hj=E4lp?=", "Skärmen flimrar – hjälp"),
		newIMAPTestMail(t, 3, "=?utf-8?b?QmF0dGVyaWV0IHN2w6RsbGVyIPCflIs=?=", "Batteriet sväller 🔋"),
		newIMAPTestMail(t, 4, "Tangentbordet\r\n fungerar inte", "Tangentbordet fungerar inte"),
	}
	byID := map[string]imapTestMail{}
	for _, m := range mails {
		byID[m.id] = m
	}

	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"first pass stores every mail, read or not", func(t *testing.T) {
			srv.appendMail(t, mailbox, mails[0].raw)
			srv.appendMail(t, mailbox, mails[1].raw, imap.FlagSeen)
			srv.appendMail(t, mailbox, mails[2].raw)
			n, err := f.FetchOnce(ctx)
			if err != nil || n != 3 {
				t.Fatalf("FetchOnce = %d, %v; want 3 stored", n, err)
			}
			recs := imapIntake(t, store, mailbox)
			if len(recs) != 3 {
				t.Fatalf("%d intake records, want 3", len(recs))
			}
			for _, rec := range recs {
				want, ok := byID[rec.MessageID]
				if !ok {
					t.Fatalf("record uid %d has Message-ID %q, not one of the mails sent", rec.UID, rec.MessageID)
				}
				if rec.Outcome != models.OutcomePending {
					t.Errorf("uid %d outcome %q, want pending", rec.UID, rec.Outcome)
				}
				if rec.Subject != want.subject || rec.FromEmail != "anna.svensson@example.se" {
					t.Errorf("uid %d subject %q from %q; want %q from anna.svensson@example.se", rec.UID, rec.Subject, rec.FromEmail, want.subject)
				}
				raw, err := store.Blob(ctx, rec.SHA256)
				if err != nil {
					t.Fatalf("blob of uid %d: %v", rec.UID, err)
				}
				if !bytes.Equal(raw, want.raw) {
					t.Errorf("uid %d: stored raw differs from the mail sent:\n%q\nwant\n%q", rec.UID, raw, want.raw)
				}
			}
		}},
		{"second pass stores nothing", func(t *testing.T) {
			if n, err := f.FetchOnce(ctx); err != nil || n != 0 {
				t.Fatalf("FetchOnce = %d, %v; want 0", n, err)
			}
			if recs := imapIntake(t, store, mailbox); len(recs) != 3 {
				t.Fatalf("%d intake records, want still 3", len(recs))
			}
		}},
		{"a new mail is stored alone", func(t *testing.T) {
			srv.appendMail(t, mailbox, mails[3].raw)
			if n, err := f.FetchOnce(ctx); err != nil || n != 1 {
				t.Fatalf("FetchOnce = %d, %v; want 1", n, err)
			}
			recs := imapIntake(t, store, mailbox)
			if last := recs[len(recs)-1]; last.MessageID != mails[3].id || last.Subject != mails[3].subject {
				t.Fatalf("newest record %q %q, want %q %q", last.MessageID, last.Subject, mails[3].id, mails[3].subject)
			}
			c := imapCursor(t, store, mailbox)
			if c.LastUID != recs[len(recs)-1].UID || c.LastFetchAt == nil || c.LastError != "" {
				t.Fatalf("cursor %+v; want last uid %d, fetched, no error", c, recs[len(recs)-1].UID)
			}
		}},
		{"the server keeps every mail and its flags", func(t *testing.T) {
			if n := srv.count(t, mailbox); n != 4 {
				t.Fatalf("server holds %d mails, want 4", n)
			}
			seen := imapFlagged(t, cfg, imap.FlagSeen)
			for i, m := range mails {
				if want := i == 1; seen[m.id] != want {
					t.Errorf("mail %d: \\Seen = %v, want %v", i+1, seen[m.id], want)
				}
			}
		}},
		{"a new UIDVALIDITY reads the mailbox again", func(t *testing.T) {
			before := imapCursor(t, store, mailbox)
			srv.recreate(t, mailbox)
			n, err := f.FetchOnce(ctx)
			if err != nil || n != 4 {
				t.Fatalf("FetchOnce = %d, %v; want all 4 stored again", n, err)
			}
			after := imapCursor(t, store, mailbox)
			if after.UIDValidity == before.UIDValidity {
				t.Fatalf("cursor UIDVALIDITY still %d after the mailbox was recreated", after.UIDValidity)
			}
			again := map[string]bool{}
			for _, rec := range imapIntake(t, store, mailbox) {
				if rec.UIDValidity == after.UIDValidity {
					again[rec.MessageID] = true
				}
			}
			for _, m := range mails {
				if !again[m.id] {
					t.Errorf("mail %q not stored again under UIDVALIDITY %d", m.id, after.UIDValidity)
				}
			}
			if n, err := f.FetchOnce(ctx); err != nil || n != 0 {
				t.Fatalf("FetchOnce after the re-read = %d, %v; want 0", n, err)
			}
		}},
		{"an oversized mail is quarantined without its body", func(t *testing.T) {
			const limit = 4096
			big := newIMAPTestMail(t, 5, "Loggfiler", "Loggfiler")
			body := strings.Repeat("BODY-MARKER 0123456789 abcdefghijklmnopqrstuvwxyz\r\n", 200)
			big.raw = append(big.raw, body...)
			srv.appendMail(t, mailbox, big.raw)
			small := cfg
			small.MaxSize = limit
			n, err := NewFetcher(small, store, imapTestLogger(t)).FetchOnce(ctx)
			if err != nil || n != 1 {
				t.Fatalf("FetchOnce = %d, %v; want 1", n, err)
			}
			recs := imapIntake(t, store, mailbox)
			rec := recs[len(recs)-1]
			wantReason := fmt.Sprintf("too large: %d bytes > limit %d bytes", len(big.raw), limit)
			if rec.Outcome != models.OutcomeQuarantined || !strings.Contains(rec.Reason, wantReason) {
				t.Fatalf("record outcome %q reason %q; want quarantined, %q", rec.Outcome, rec.Reason, wantReason)
			}
			if rec.MessageID != big.id || rec.Subject != "Loggfiler" {
				t.Errorf("record Message-ID %q subject %q; want them from the header", rec.MessageID, rec.Subject)
			}
			stored, err := store.Blob(ctx, rec.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(stored, []byte("BODY-MARKER")) || !bytes.HasPrefix(big.raw, stored) || len(stored) == 0 {
				t.Fatalf("stored %d bytes %q; want the header only", len(stored), stored)
			}
		}},
	}
	for _, step := range steps {
		if !t.Run(step.name, step.run) {
			return // later steps build on this one
		}
	}
}

// testFetchMovesProcessed checks ProcessedMailbox: fetched mail leaves the inbox, nothing is lost.
func testFetchMovesProcessed(t *testing.T, srv imapTestServer, mailbox, processed string) {
	ctx := t.Context()
	store := imapTestStore(t)
	cfg := srv.config(mailbox)
	cfg.ProcessedMailbox = processed
	f := NewFetcher(cfg, store, imapTestLogger(t))
	srv.appendMail(t, mailbox, newIMAPTestMail(t, 1, "Ett", "Ett").raw)
	srv.appendMail(t, mailbox, newIMAPTestMail(t, 2, "Två", "Två").raw, imap.FlagSeen)
	for i, want := range []int{2, 0} {
		if n, err := f.FetchOnce(ctx); err != nil || n != want {
			t.Fatalf("pass %d: FetchOnce = %d, %v; want %d", i+1, n, err, want)
		}
	}
	srv.appendMail(t, mailbox, newIMAPTestMail(t, 3, "Tre", "Tre").raw)
	if n, err := f.FetchOnce(ctx); err != nil || n != 1 {
		t.Fatalf("FetchOnce = %d, %v; want 1", n, err)
	}
	if in, out := srv.count(t, mailbox), srv.count(t, processed); in != 0 || out != 3 {
		t.Fatalf("%s holds %d and %s %d mails; want 0 and 3", mailbox, in, processed, out)
	}
	if recs := imapIntake(t, store, mailbox); len(recs) != 3 {
		t.Fatalf("%d intake records, want 3", len(recs))
	}
}

// testRunStoresNewMail starts Run and checks that a mail appended while it waits arrives.
func testRunStoresNewMail(t *testing.T, srv imapTestServer, cfg IMAPConfig) {
	store := imapTestStore(t)
	f := NewFetcher(cfg, store, imapTestLogger(t))
	ctx, cancel := context.WithCancel(t.Context())
	kicked := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, func() { kicked <- struct{}{} }) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Run returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Run did not return after cancel")
		}
	}()

	imapWaitFor(t, 10*time.Second, "the first pass", func() bool { return imapCursor(t, store, cfg.Mailbox).LastFetchAt != nil })
	m := newIMAPTestMail(t, 1, "Ny dator behövs", "Ny dator behövs")
	srv.appendMail(t, cfg.Mailbox, m.raw)
	imapWaitFor(t, srv.newMailWithin(), "the new mail in the store", func() bool {
		recs := imapIntake(t, store, cfg.Mailbox)
		return len(recs) == 1 && recs[0].MessageID == m.id
	})
	select {
	case <-kicked:
	case <-time.After(5 * time.Second):
		t.Fatal("onStored was not called after mail was stored")
	}
}

func TestFetchMemServer(t *testing.T) {
	srv := startIMAPMemServer(t, "127.0.0.1:0")
	testFetchCore(t, srv, "INBOX")
}

func TestFetchMovesProcessedMemServer(t *testing.T) {
	srv := startIMAPMemServer(t, "127.0.0.1:0")
	testFetchMovesProcessed(t, srv, "INBOX", "Behandlat")
}

// TestFetchCopiesWithoutMove: without MOVE (RFC 6851) fetched mail is only copied, and left in
// place without \Deleted — never COPY + STORE \Deleted + EXPUNGE, which imapclient's Move falls
// back to and which would expunge other \Deleted mail along with it.
func TestFetchCopiesWithoutMove(t *testing.T) {
	ctx := t.Context()
	srv := startIMAPMemServer(t, "127.0.0.1:0")
	store := imapTestStore(t)
	cfg := srv.config("INBOX")
	cfg.ProcessedMailbox = "Behandlat"
	mails := []imapTestMail{newIMAPTestMail(t, 1, "Ett", "Ett"), newIMAPTestMail(t, 2, "Två", "Två")}
	for _, m := range mails {
		srv.appendMail(t, "INBOX", m.raw)
	}
	f := NewFetcher(cfg, store, imapTestLogger(t))
	s, err := f.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.close(ctx)
	s.caps = imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIdle: {}} // what a server without MOVE offers
	if n, err := f.pass(ctx, s); err != nil || n != 2 {
		t.Fatalf("pass = %d, %v; want 2", n, err)
	}
	if in, out := srv.count(t, "INBOX"), srv.count(t, "Behandlat"); in != 2 || out != 2 {
		t.Fatalf("INBOX holds %d and Behandlat %d mails; want 2 and 2", in, out)
	}
	for id, deleted := range imapFlagged(t, cfg, imap.FlagDeleted) {
		if deleted {
			t.Errorf("mail %q flagged \\Deleted", id)
		}
	}
	if n, err := f.pass(ctx, s); err != nil || n != 0 {
		t.Fatalf("second pass = %d, %v; want 0: the cursor, not the move, prevents a re-read", n, err)
	}
}

func TestRunStoresNewMailMemServer(t *testing.T) {
	for _, tc := range []struct {
		name string
		idle bool
	}{
		{"idle", true},
		{"poll", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startIMAPMemServer(t, "127.0.0.1:0")
			cfg := srv.config("INBOX")
			cfg.Idle = tc.idle
			if !tc.idle {
				// Longer than the first wait below, so the mail can only arrive by a later poll.
				cfg.PollInterval = time.Second
			}
			testRunStoresNewMail(t, srv, cfg)
		})
	}
}

// TestRunRecovers closes the server under a running Fetcher and starts it again on the same port.
func TestRunRecovers(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	srv := startIMAPMemServer(t, "127.0.0.1:0")
	addr := srv.srv.Addr()
	seed := []imapTestMail{newIMAPTestMail(t, 1, "Ett", "Ett"), newIMAPTestMail(t, 2, "Två", "Två")}
	for _, m := range seed {
		srv.appendMail(t, "INBOX", m.raw)
	}
	store := imapTestStore(t)
	f := NewFetcher(srv.config("INBOX"), store, imapTestLogger(t))
	f.backoffMax = 2 * time.Second // keep the test short; the doubling itself is the same
	var kicks atomic.Int32
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, func() { kicks.Add(1) }) }()

	imapWaitFor(t, 10*time.Second, "the seeded mail", func() bool { return len(imapIntake(t, store, "INBOX")) == 2 })
	if err := srv.srv.Close(); err != nil {
		t.Fatal(err)
	}
	imapWaitFor(t, 10*time.Second, "the fetch error on the cursor", func() bool { return imapCursor(t, store, "INBOX").LastError != "" })

	// A real server keeps its mail over a restart: the new one gets the same mail, UIDVALIDITY
	// (the first mailbox of a fresh imapmemserver) and UIDs, plus one new mail.
	again := startIMAPMemServer(t, addr)
	for _, m := range seed {
		again.appendMail(t, "INBOX", m.raw)
	}
	fresh := newIMAPTestMail(t, 3, "Efter omstart", "Efter omstart")
	again.appendMail(t, "INBOX", fresh.raw)
	imapWaitFor(t, 20*time.Second, "the mail sent after the restart", func() bool {
		recs := imapIntake(t, store, "INBOX")
		return len(recs) == 3 && recs[2].MessageID == fresh.id
	})
	imapWaitFor(t, 5*time.Second, "the error to clear", func() bool { return imapCursor(t, store, "INBOX").LastError == "" })
	if kicks.Load() < 2 {
		t.Errorf("onStored called %d times, want once per pass that stored mail (2)", kicks.Load())
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil after cancel", err)
	}
}

func TestFetchOnceErrors(t *testing.T) {
	srv := startIMAPMemServer(t, "127.0.0.1:0")
	for _, tc := range []struct {
		name    string
		mutate  func(*IMAPConfig)
		wantErr string
	}{
		{"wrong password", func(c *IMAPConfig) { c.Password = "not-the-password" }, "log in to"},
		{"missing mailbox", func(c *IMAPConfig) { c.Mailbox = "Saknas" }, `select mailbox "Saknas"`},
		{"nothing listening", func(c *IMAPConfig) { c.Port = imapClosedPort(t) }, "connect to IMAP server"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			store := imapTestStore(t)
			cfg := srv.config("INBOX")
			tc.mutate(&cfg)
			_, err := NewFetcher(cfg, store, imapTestLogger(t)).FetchOnce(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("FetchOnce error %v, want one containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), "not-the-password") {
				t.Fatalf("error %q reveals the password", err)
			}
			if c := imapCursor(t, store, cfg.Mailbox); c.LastError == "" || c.LastErrorAt == nil {
				t.Fatalf("cursor %+v: error not noted", c)
			}
		})
	}
}

// imapClosedPort returns a local port nothing listens on.
func imapClosedPort(t *testing.T) int {
	t.Helper()
	srv, err := devmail.StartIMAPServer("127.0.0.1:0", "x", "y", nil)
	if err != nil {
		t.Fatal(err)
	}
	port := srv.Port()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

func TestIMAPConfigCheck(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      IMAPConfig
		wantErr  string
		wantPort int
	}{
		{"implicit TLS by default", IMAPConfig{Host: "imap.example.se"}, "", 993},
		{"starttls", IMAPConfig{Host: "imap.example.se", TLS: "STARTTLS"}, "", 143},
		{"explicit port", IMAPConfig{Host: "imap.example.se", TLS: "none", Port: 1143}, "", 1143},
		{"no host", IMAPConfig{}, "host is empty", 0},
		{"unknown tls", IMAPConfig{Host: "h", TLS: "ssl"}, `tls "ssl"`, 0},
		{"processed is the inbox", IMAPConfig{Host: "h", ProcessedMailbox: "INBOX"}, "is the mailbox being read", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg.withDefaults()
			err := cfg.check()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("check() = %v, want error containing %q", err, tc.wantErr)
				}
				// Run refuses a configuration that can never work instead of retrying forever.
				if err := NewFetcher(tc.cfg, nil, nil).Run(t.Context(), nil); err == nil {
					t.Fatal("Run accepted an unusable configuration")
				}
				return
			}
			if err != nil || cfg.Port != tc.wantPort || cfg.Mailbox != "INBOX" || cfg.MaxSize != 25<<20 || cfg.BatchSize != 200 {
				t.Fatalf("check() = %v, config %+v; want port %d and defaults", err, cfg, tc.wantPort)
			}
		})
	}
}

func TestHeaderSummary(t *testing.T) {
	for _, tc := range []struct {
		name                    string
		raw                     string
		wantID, wantFrom, wantS string
	}{
		{"plain", "From: Anna <anna@example.se>\r\nSubject: Hej\r\nMessage-ID: <a1@example.se>\r\n\r\nbody",
			"a1@example.se", "anna@example.se", "Hej"},
		{"latin-1 word read as windows-1252", "Subject: =?ISO-8859-1?Q?Sk=E4rm_=96_trasig?=\n\n",
			"", "", "Skärm – trasig"},
		{"windows-1252 word", "Subject: =?windows-1252?Q?=93Bl=E5sk=E4rm=94?=\n\n", "", "", "“Blåskärm”"},
		{"folded subject and lower-case names", "subject: Lång\r\n\trad\r\nmessage-id:\r\n <x@y>\r\n\r\n",
			"x@y", "", "Lång rad"},
		{"raw 8-bit latin-1 subject", "Subject: Sk\xe4rm\n\n", "", "", "Skärm"},
		{"encoded display name", "From: =?utf-8?q?=C3=85sa_Ek?= <ASA.EK@example.se>\n\n", "", "asa.ek@example.se", ""},
		{"unparsable From keeps the address", "From: Åsa Ek <asa@example.se> (IT\n\n", "", "asa@example.se", ""},
		{"malformed line skipped", "X-Broken line without colon\nSubject: Ok\n\n", "", "", "Ok"},
		{"body lines are not header", "Subject: Ok\n\nSubject: no\nMessage-ID: <no@x>\n", "", "", "Ok"},
		{"first of repeated fields", "Subject: first\nSubject: second\n\n", "", "", "first"},
		{"no header at all", "", "", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := imapHeaderSummary([]byte(tc.raw))
			if got.MessageID != tc.wantID || got.FromEmail != tc.wantFrom || got.Subject != tc.wantS {
				t.Fatalf("headerSummary = id %q from %q subject %q; want %q %q %q",
					got.MessageID, got.FromEmail, got.Subject, tc.wantID, tc.wantFrom, tc.wantS)
			}
		})
	}
}

func TestJitterStaysNearTheBackoff(t *testing.T) {
	for _, d := range []time.Duration{time.Second, time.Minute} {
		for range 100 {
			if got := imapJitter(d); got < d*3/4 || got > d*5/4 {
				t.Fatalf("jitter(%v) = %v, want within ±25%%", d, got)
			}
		}
	}
}

// startIMAPTLSServer runs an imapmemserver that only accepts logins over TLS, with a self-signed
// certificate for 127.0.0.1: implicit TLS on a TLS listener, else STARTTLS on a plain one.
func startIMAPTLSServer(t *testing.T, implicit bool, raw []byte) (host string, port int) {
	t.Helper()
	tlsCfg := testenv.SelfSignedTLS(t)

	mem := imapmemserver.New()
	user := imapmemserver.NewUser(testIMAPUser, testIMAPPass)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{}); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:      imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		TLSConfig: tlsCfg, // enables STARTTLS; InsecureAuth stays off, so LOGIN needs TLS
	})
	var ln net.Listener
	var err error
	if implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", tlsCfg)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); _ = ln.Close() })
	addr := ln.Addr().(*net.TCPAddr)
	return addr.IP.String(), addr.Port
}

func TestFetchOverTLS(t *testing.T) {
	for _, tc := range []struct {
		name       string
		mode       string
		skipVerify bool
		wantErr    string
	}{
		{"implicit", "implicit", true, ""},
		{"starttls", "starttls", true, ""},
		{"implicit checks the certificate", "implicit", false, "certificate"},
		{"starttls checks the certificate", "starttls", false, "certificate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := newIMAPTestMail(t, 1, "Krypterat", "Krypterat")
			host, port := startIMAPTLSServer(t, tc.mode == "implicit", m.raw)
			store := imapTestStore(t)
			f := NewFetcher(IMAPConfig{
				Host: host, Port: port, TLS: tc.mode, Username: testIMAPUser, Password: testIMAPPass,
				InsecureSkipVerify: tc.skipVerify,
			}, store, imapTestLogger(t))
			n, err := f.FetchOnce(t.Context())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("FetchOnce = %d, %v; want an error containing %q", n, err, tc.wantErr)
				}
				return
			}
			if err != nil || n != 1 {
				t.Fatalf("FetchOnce = %d, %v; want 1", n, err)
			}
			if recs := imapIntake(t, store, "INBOX"); len(recs) != 1 || recs[0].MessageID != m.id {
				t.Fatalf("intake %+v; want the one mail", recs)
			}
		})
	}
}
