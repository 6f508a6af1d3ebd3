package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"warrantydesk/internal/testenv"
	"warrantydesk/internal/teststore"
	"warrantydesk/models"
)

// instance is one `warrantydesk serve` of a test (failover, backup), with its own log.
type instance struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  string
	url  string // http://host:port, read from the "listening" log line
}

var listeningRe = regexp.MustCompile(`msg="warrantydesk listening" addr=(\S+)`)

// startInstance runs `serve` in dir with the shared wd.toml, logging to
// <name>.log, and waits until it listens.
func startInstance(t *testing.T, dir, name string) *instance {
	t.Helper()
	logPath := filepath.Join(dir, name+".log")
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary, "serve", "-config", "wd.toml")
	cmd.Dir, cmd.Stdout, cmd.Stderr = dir, logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logf.Close()
	in := &instance{t: t, name: name, cmd: cmd, log: logPath}
	t.Cleanup(func() {
		if in.cmd.ProcessState == nil {
			_ = in.cmd.Process.Kill()
			_ = in.cmd.Wait()
		}
	})
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if m := listeningRe.FindStringSubmatch(in.logText()); m != nil {
			in.url = "http://" + m[1]
			return in
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not start:\n%s", name, tail(in.logText(), 20))
		}
	}
}

func (in *instance) logText() string {
	b, _ := os.ReadFile(in.log)
	return string(b)
}

// role is what the instance's /healthz says it is ("" when it does not answer).
func (in *instance) role() string {
	c := http.Client{Timeout: 5 * time.Second}
	res, err := c.Get(in.url + "/healthz")
	if err != nil {
		return ""
	}
	defer res.Body.Close()
	var h struct {
		Role string `json:"role"`
	}
	if json.NewDecoder(res.Body).Decode(&h) != nil {
		return ""
	}
	return h.Role
}

// kill ends the instance with SIGKILL: no shutdown code runs.
func (in *instance) kill() {
	in.t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		in.t.Fatal(err)
	}
	_ = in.cmd.Wait()
}

// stop ends the instance with SIGTERM and expects a clean exit.
func (in *instance) stop() {
	in.t.Helper()
	if err := in.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		in.t.Fatal(err)
	}
	if err := in.cmd.Wait(); err != nil {
		in.t.Errorf("%s did not stop cleanly: %v\n%s", in.name, err, tail(in.logText(), 20))
	}
}

// pollUntil polls cond every 20 ms until it holds or a generous deadline
// passes; it returns how long that took.
func pollUntil(t *testing.T, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for deadline := start.Add(120 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", time.Since(start).Round(time.Second), what)
		}
	}
	return time.Since(start)
}

// withDriver puts driver into the [database] section of a serveConfig.
func withDriver(config, driver string) string {
	return strings.Replace(config, "[database]\n", fmt.Sprintf("[database]\ndriver = %q\n", driver), 1)
}

// TestLeaderKilledStandbyContinuesIntake runs two `serve` processes on one
// database while mail keeps arriving, SIGKILLs the leader mid-ingest and
// checks that the standby takes over and that, in the end, every mail is
// recorded once, each distinct new mail made one ticket, each ticket got one
// acknowledgement, and no acknowledgement was sent twice by two instances.
func TestLeaderKilledStandbyContinuesIntake(t *testing.T) {
	// The suite's database: SQLite, or PostgreSQL on scripts/test.sh's second pass.
	driver, dsn := teststore.Database(t)
	t.Run(driver, func(t *testing.T) { runFailover(t, driver, dsn) })
}

func runFailover(t *testing.T, driver, dsn string) {
	const mails = 600
	const heldBack = 150 // arrive only after the kill
	imapSrv, capture := testenv.MailPeers(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "wd.toml"), withDriver(serveConfig(dsn, imapSrv, capture, "failover-test-secret-0123456789"), driver))

	first := startInstance(t, dir, "first")
	second := startInstance(t, dir, "second")
	pollUntil(t, "one leader and one standby", func() bool {
		r1, r2 := first.role(), second.role()
		return (r1 == "leader" && r2 == "standby") || (r1 == "standby" && r2 == "leader")
	})
	leader, standby := first, second
	if second.role() == "leader" {
		leader, standby = second, first
	}
	// One store for the test's reads, opened once the desks have migrated the database.
	ctx := context.Background()
	store, err := models.Open(ctx, models.Options{Driver: driver, DSN: dsn})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	progress := func() int {
		t.Helper()
		counts, err := store.CountIntakeByOutcome(ctx)
		if err != nil {
			t.Fatal(err)
		}
		finished := 0
		for outcome, n := range counts {
			if outcome != models.OutcomePending {
				finished += int(n)
			}
		}
		return finished
	}

	// Mail arrives steadily; the last heldBack mails only once the leader is dead.
	wantTickets := 0
	for i := range mails {
		if _, kind := syntheticMail(i); kind == "new" && i%10 != 9 {
			wantTickets++
		}
	}
	killed := make(chan struct{})
	appended := make(chan error, 1)
	go func() {
		for i := range mails {
			if i == mails-heldBack {
				<-killed
			}
			raw, _ := syntheticMail(i)
			if err := imapSrv.Append("INBOX", []byte(raw)); err != nil {
				appended <- fmt.Errorf("append mail %d: %w", i, err)
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
		appended <- nil
	}()
	defer func() {
		select {
		case <-killed:
		default:
			close(killed)
		}
	}()

	pollUntil(t, "the leader to be mid-ingest", func() bool { return progress() >= 100 })
	// A one-shot fetch beside a leader would be a second fetcher and outbox.
	if r := wd(t, dir, nil, "", "mail", "fetch", "-once", "-config", "wd.toml"); r.code != 1 ||
		!strings.Contains(lastLine(r.stderr), "holds the leader lock") || strings.Contains(r.stdout, "fetched") {
		t.Errorf("mail fetch -once while a serve leads: %+v", r)
	} else {
		t.Logf("mail fetch -once while a serve leads: %s", lastLine(r.stderr))
	}
	standbyLogBefore := standby.logText()
	leader.kill()
	atKill := progress() // what the leader finished before it died
	close(killed)
	takeover := pollUntil(t, "the standby to say it leads", func() bool { return standby.role() == "leader" })
	resumed := pollUntil(t, "intake to continue", func() bool { return progress() > atKill })
	t.Logf("%s: SIGKILL of the leader with %d of %d mails finished; the standby led after %v, intake moved on %v later",
		driver, atKill, mails, takeover.Round(time.Millisecond), resumed.Round(time.Millisecond))
	if atKill >= mails-heldBack {
		t.Errorf("the kill came after %d mails: not mid-ingest", atKill)
	}
	if !strings.Contains(standbyLogBefore, "standing by for leadership") || strings.Contains(standbyLogBefore, "gained leadership") {
		t.Errorf("the standby's log before the kill:\n%s", tail(standbyLogBefore, 20))
	}

	// The killed instance comes back as the standby: still one leader.
	restarted := startInstance(t, dir, "restarted")
	pollUntil(t, "the restarted instance to stand by", func() bool { return restarted.role() == "standby" })
	if r := standby.role(); r != "leader" {
		t.Errorf("after the restart the new leader says %q", r)
	}

	if err := <-appended; err != nil {
		t.Fatal(err)
	}
	pollUntil(t, "every mail to be finished", func() bool { return progress() == mails })
	pollUntil(t, "the outbox to drain", func() bool {
		byStatus, err := store.CountOutboxByStatus(ctx)
		return err == nil && byStatus[models.OutboxQueued] == 0
	})
	standby.stop()
	restarted.stop()

	outcomes, tickets := checkIntakeExactlyOnce(t, store, mails, wantTickets)
	byStatus, err := store.CountOutboxByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if byStatus[models.OutboxSent] != tickets || len(byStatus) != 1 {
		t.Errorf("outbox %v for %d tickets: want every ticket's one acknowledgement sent", byStatus, tickets)
	}
	// Every acknowledgement reached the SMTP server. Delivery is at least
	// once, so the mail in flight when the leader died may arrive twice; two
	// instances draining the outbox together would send many twice.
	copies := map[string]int{}
	for _, m := range capture.Messages() {
		copies[m.MessageID]++
	}
	twice := 0
	for _, n := range copies {
		twice += n - 1
	}
	if int64(len(copies)) != tickets || twice > 1 {
		t.Errorf("%d distinct acknowledgements received for %d tickets, %d extra copies (at most 1 may be resent after the kill)",
			len(copies), tickets, twice)
	}
	t.Logf("%s: %d mails, outcomes %v, %d tickets, %d acknowledgements (%d resent)", driver, mails, outcomes, tickets, len(copies), twice)
}
