package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"warrantydesk/internal/lease"
	"warrantydesk/internal/testenv"
	"warrantydesk/models"
)

// servingDesk is one App serving in-process, sharing its database with others.
type servingDesk struct {
	app    *App
	url    string
	cancel context.CancelFunc
	done   chan error
}

func (d *servingDesk) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	if err := <-d.done; err != nil {
		t.Errorf("serve: %v", err)
	}
}

// get returns the status and body of path on d.
func (d *servingDesk) get(t *testing.T, path string) (int, string) {
	t.Helper()
	res, err := http.Get(d.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(b)
}

// TestTwoDesksOnOneDatabaseHaveOneLeader serves two desks on one database
// (the suite's: SQLite or PostgreSQL): one fetches and delivers, both answer the web, each says which it
// is; a one-shot fetch is refused while a leader runs; when the leader stops,
// the other takes over and fetches the next mail, and its workers restart
// when it loses the lock and wins it again.
func TestTwoDesksOnOneDatabaseHaveOneLeader(t *testing.T) {
	imapSrv, capture := testenv.MailPeers(t)
	cfg := Defaults()
	useTestDatabase(t, &cfg)
	cfg.IMAP = IMAPConfig{Host: imapSrv.Host(), Port: imapSrv.Port(), TLS: "none", Username: "desk", Password: "pw",
		Mailbox: "INBOX", Idle: true, PollInterval: Duration{time.Second}, MaxSize: 25 << 20}
	cfg.SMTP = SMTPConfig{Host: capture.Host(), Port: capture.Port(), TLS: "none"}
	cfg.Desk.Address = "helpdesk@kommun.test"
	cfg.Server.Secret = "leader-test-secret-0123456789"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	open := func() *App {
		t.Helper()
		a, err := New(context.Background(), cfg, logger)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = a.Close() })
		return a
	}
	serve := func() *servingDesk {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		d := &servingDesk{app: open(), url: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
		go func() { d.done <- d.app.Serve(ctx, ln) }()
		return d
	}
	mailNo := 0
	deliver := func() {
		t.Helper()
		mailNo++
		raw := fmt.Sprintf("From: Staff <staff%d@kommun.test>\r\nTo: helpdesk@kommun.test\r\nSubject: Skärmen flimrar %d\r\n"+
			"Message-ID: <leader-%d@kommun.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej, skärmen flimrar.\r\n", mailNo, mailNo, mailNo)
		if err := imapSrv.Append("INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	ticketsAndAcks := func(a *App) (tickets, acks int64) {
		t.Helper()
		_, tickets, err := a.Store.ListTickets(context.Background(), models.TicketFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		return tickets, int64(len(capture.Messages()))
	}

	a, b := serve(), serve()
	defer func() {
		for _, d := range []*servingDesk{a, b} {
			if d.cancel != nil {
				d.stop(t)
			}
		}
	}()
	waitFor(t, "one leader and one standby", func() bool {
		ra, rb := a.app.Role(), b.app.Role()
		return (ra == RoleLeader && rb == RoleStandby) || (ra == RoleStandby && rb == RoleLeader)
	})
	leader, standby := a, b
	if b.app.Role() == RoleLeader {
		leader, standby = b, a
	}
	for _, d := range []*servingDesk{leader, standby} {
		code, body := d.get(t, "/healthz")
		var health struct {
			Status string `json:"status"`
			Role   string `json:"role"`
		}
		if err := json.Unmarshal([]byte(body), &health); err != nil || code != http.StatusOK || health.Status != "ok" || health.Role != d.app.Role() {
			t.Errorf("healthz of the %s: %d %s", d.app.Role(), code, body)
		}
		_, metrics := d.get(t, "/metrics")
		samples, problems := parseExposition(metrics)
		for _, p := range problems {
			t.Error(p)
		}
		want := 0.0
		if d == leader {
			want = 1
		}
		if v, ok := find(samples, "warrantydesk_leader"); !ok || v != want {
			t.Errorf("warrantydesk_leader of the %s = %v (present %v), want %v", d.app.Role(), v, ok, want)
		}
	}

	// Mail is fetched, and acknowledged exactly once, by the leader alone.
	deliver()
	waitFor(t, "the first mail's ticket and acknowledgement", func() bool { tk, acks := ticketsAndAcks(leader.app); return tk == 1 && acks == 1 })

	// A one-shot fetch would be a second fetcher and outbox: refused.
	if _, _, err := open().FetchOnce(context.Background()); !errors.Is(err, lease.ErrHeldElsewhere) {
		t.Errorf("FetchOnce while a desk leads = %v, want ErrHeldElsewhere", err)
	}

	// The leader stops; the standby takes over and fetches the next mail.
	leader.stop(t)
	leader.cancel = nil
	waitFor(t, "the standby to take over", func() bool { return standby.app.Role() == RoleLeader })
	deliver()
	waitFor(t, "the second mail's ticket and acknowledgement", func() bool { tk, acks := ticketsAndAcks(standby.app); return tk == 2 && acks == 2 })

	// A leader that loses its lock (here: its lock file is deleted, or its
	// PostgreSQL session ended) stops its workers; when it wins the lock
	// again they start afresh and fetch.
	if cfg.Database.Driver == models.DriverPostgres {
		db := rawDB(t, cfg)
		key := uint64(lease.AdvisoryKey)
		holder := func() (pid int) {
			_ = db.QueryRow(`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted
				AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
				AND classid = $1 AND objid = $2 AND objsubid = 1`,
				uint32(key>>32), uint32(key)).Scan(&pid)
			return pid
		}
		old := holder()
		if _, err := db.Exec("SELECT pg_terminate_backend($1)", old); old == 0 || err != nil {
			t.Fatalf("end the leader's session %d: %v", old, err)
		}
		waitFor(t, "a new term (the lock taken by a new session)", func() bool { pid := holder(); return pid != 0 && pid != old })
	} else {
		lockFile := cfg.Database.DSN + ".leader"
		if err := os.Remove(lockFile); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "a new term (the lock file made again)", func() bool { _, err := os.Stat(lockFile); return err == nil })
	}
	waitFor(t, "the desk to lead again", func() bool { return standby.app.Role() == RoleLeader })
	deliver()
	waitFor(t, "the third mail's ticket and acknowledgement", func() bool { tk, acks := ticketsAndAcks(standby.app); return tk == 3 && acks == 3 })
	standby.stop(t)
	standby.cancel = nil

	// With no desk serving, the one-shot fetch runs.
	deliver()
	if fetched, processed, err := open().FetchOnce(context.Background()); err != nil || fetched != 1 || processed != 1 {
		t.Errorf("FetchOnce with no desk serving = %d, %d, %v; want 1, 1, nil", fetched, processed, err)
	}
	if tk, acks := ticketsAndAcks(standby.app); tk != 4 || acks != 4 {
		t.Errorf("%d tickets, %d acknowledgements sent; want 4 and 4", tk, acks)
	}
}

// TestDesksStartingTogetherShareOneSecret: serve processes started at once on
// a new database must sign with the same generated secret, or a reply to a
// mail one of them sent would not thread in the other.
func TestDesksStartingTogetherShareOneSecret(t *testing.T) {
	cfg := Defaults()
	cfg.Database.DSN = filepath.Join(t.TempDir(), "wd.db")
	const starts = 8
	secrets := make(chan string, starts)
	errs := make(chan error, starts)
	for range starts {
		go func() {
			s, err := loadSecret(cfg)
			if err != nil {
				errs <- err
				return
			}
			secrets <- string(s)
		}()
	}
	seen := map[string]bool{}
	for range starts {
		select {
		case err := <-errs:
			t.Fatal(err)
		case s := <-secrets:
			seen[s] = true
		}
	}
	if len(seen) != 1 {
		t.Errorf("%d different secrets from %d simultaneous starts", len(seen), starts)
	}
	if again, err := loadSecret(cfg); err != nil || !seen[string(again)] {
		t.Errorf("a later start reads %q, %v; want the stored secret", again, err)
	}
}
