package app

import (
	"context"
	"fmt"
	"math"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"warrantydesk/devmail"
	"warrantydesk/internal/mailgen"
	"warrantydesk/models"
)

// BenchmarkIngest loads N realistic mails (default 5,000; WARRANTYDESK_BENCH_MAILS)
// into a real IMAP server — Dovecot when WARRANTYDESK_TEST_DOVECOT is set, else
// the in-process server — and measures in the same run (a) a bare
// fetch-and-discard pass and (b) the full ingest: fetch, store raw, parse,
// classify, thread, create/append tickets, acknowledge, index for search.
//
//	go test -tags sqlite_fts5 -run '^$' -bench Ingest -benchtime 1x ./app/
func BenchmarkIngest(b *testing.B) {
	n := 5000
	if v, err := strconv.Atoi(os.Getenv("WARRANTYDESK_BENCH_MAILS")); err == nil && v > 0 {
		n = v
	}
	mails := mailgen.Generate(n, 7)
	total := 0
	for _, m := range mails {
		total += len(m.Raw)
	}
	srv := benchServer(b)
	mailbox := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	c := srv.dial(b)
	if err := c.Create(mailbox, nil).Wait(); err != nil {
		b.Fatal(err)
	}
	for _, m := range mails {
		cmd := c.Append(mailbox, int64(len(m.Raw)), nil)
		if _, err := cmd.Write(m.Raw); err != nil {
			b.Fatal(err)
		}
		if err := cmd.Close(); err != nil {
			b.Fatal(err)
		}
		if _, err := cmd.Wait(); err != nil {
			b.Fatal(err)
		}
	}
	c.Close()
	b.Logf("%d mails, %.1f KB average, server %s", n, float64(total)/float64(n)/1024, srv.name)
	// The process's CPU time covers the desk and, with the in-process server, the IMAP server too.
	cpuWho := "desk only; Dovecot's not counted"
	if srv.port != 0 && os.Getenv("WARRANTYDESK_TEST_DOVECOT") == "" {
		cpuWho = "desk and the in-process IMAP server"
	}
	// The garbage collector runs as under serve and `mail fetch -once` (GOGC, when set, wins).
	gcPercent := debug.SetGCPercent(100)
	TuneGC(Defaults().Server, os.Environ(), nil)
	b.Cleanup(func() { debug.SetGCPercent(gcPercent); debug.SetMemoryLimit(math.MaxInt64) })
	tuned := debug.SetGCPercent(100)
	debug.SetGCPercent(tuned)
	b.Logf("GOGC %d, GOMAXPROCS %d", tuned, runtime.GOMAXPROCS(0))
	b.ResetTimer()
	for b.Loop() {
		// (a) fetch and discard
		start := time.Now()
		fetched := srv.fetchAll(b, mailbox)
		bare := time.Since(start)
		if fetched != n {
			b.Fatalf("fetched %d of %d", fetched, n)
		}
		// (b) the full ingest into a fresh desk
		cfg := Defaults()
		useTestDatabase(b, &cfg)
		cfg.IMAP = IMAPConfig{Host: srv.host, Port: srv.port, TLS: "none", Username: srv.user, Password: srv.password,
			Mailbox: mailbox, PollInterval: Duration{time.Minute}, MaxSize: 25 << 20}
		cfg.Desk.Address = "helpdesk@kommun.example"
		cfg.Desk.AckLimitPerHour = 1000
		a, err := New(context.Background(), cfg, nil)
		if err != nil {
			b.Fatal(err)
		}
		// As `mail fetch -once` does it: each stored batch is processed while the next downloads.
		start, cpu0 := time.Now(), processCPU()
		got, processed, err := a.FetchOnce(context.Background())
		full, cpu := time.Since(start), processCPU()-cpu0
		if err != nil || got != n || processed != n {
			b.Fatalf("ingest: fetched %d processed %d: %v", got, processed, err)
		}
		counts, _ := a.Store.CountIntakeByOutcome(context.Background())
		_, tickets, _ := a.Store.ListTickets(context.Background(), models.TicketFilter{Limit: 1})
		a.Close()
		b.ReportMetric(float64(n)/bare.Seconds(), "fetch-mails/s")
		b.ReportMetric(float64(n)/full.Seconds(), "ingest-mails/s")
		b.ReportMetric(float64(cpu.Microseconds())/float64(n), "cpu-µs/mail")
		b.Logf("fetch-and-discard %d mails in %s = %.0f mails/s; full ingest in %s = %.0f mails/s (CPU %.0f µs per mail, %s); outcomes %v, %d tickets",
			n, bare.Round(time.Millisecond), float64(n)/bare.Seconds(), full.Round(time.Millisecond), float64(n)/full.Seconds(),
			float64(cpu.Microseconds())/float64(n), cpuWho, counts, tickets)
	}
}

// processCPU is the CPU time (user and system) this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type benchIMAP struct {
	name, host, user, password string
	port                       int
}

func benchServer(b *testing.B) benchIMAP {
	if addr := os.Getenv("WARRANTYDESK_TEST_DOVECOT"); addr != "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			b.Fatal(err)
		}
		p, _ := strconv.Atoi(port)
		return benchIMAP{name: "dovecot " + addr, host: host, port: p, user: "desk", password: "desk-test-pw"}
	}
	srv, err := devmail.StartIMAPServer("127.0.0.1:0", "desk", "pw", nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	return benchIMAP{name: "in-process imapmemserver", host: srv.Host(), port: srv.Port(), user: "desk", password: "pw"}
}

func (s benchIMAP) dial(b *testing.B) *imapclient.Client {
	c, err := imapclient.DialInsecure(net.JoinHostPort(s.host, strconv.Itoa(s.port)), nil)
	if err != nil {
		b.Fatal(err)
	}
	if err := c.Login(s.user, s.password).Wait(); err != nil {
		b.Fatal(err)
	}
	return c
}

// fetchAll downloads every message body of mailbox and throws it away.
func (s benchIMAP) fetchAll(b *testing.B, mailbox string) int {
	c := s.dial(b)
	defer c.Close()
	if _, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		b.Fatal(err)
	}
	var set imap.UIDSet
	set.AddRange(1, 0)
	cmd := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}}})
	n := 0
	for {
		msg := cmd.Next()
		if msg == nil {
			break
		}
		for item := msg.Next(); item != nil; item = msg.Next() {
			if body, ok := item.(imapclient.FetchItemDataBodySection); ok {
				if _, err := body.Literal.Read(make([]byte, 1<<16)); err != nil && err.Error() != "EOF" {
					b.Fatal(err)
				}
				buf := make([]byte, 1<<16)
				for {
					if _, err := body.Literal.Read(buf); err != nil {
						break
					}
				}
				n++
			}
		}
	}
	if err := cmd.Close(); err != nil {
		b.Fatal(err)
	}
	return n
}
