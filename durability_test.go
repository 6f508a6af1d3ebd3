package main

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"warrantydesk/devmail"
	"warrantydesk/internal/testenv"
	"warrantydesk/models"
)

// syntheticMail returns mail i of a mixed staff inbox: new problems in Swedish
// and English, replies by subject tag, out-of-office replies and exact
// duplicates (the same mail delivered twice).
func syntheticMail(i int) (raw string, kind string) {
	date := time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC1123Z)
	from := fmt.Sprintf("staff%d@kommun.test", i%37)
	switch {
	case i%10 == 7:
		return fmt.Sprintf("From: %s\r\nTo: helpdesk@kommun.test\r\nSubject: Automatiskt svar: ledig\r\nDate: %s\r\nMessage-ID: <oof-%d@kommun.test>\r\nAuto-Submitted: auto-replied\r\n\r\nJag är ledig.\r\n", from, date, i), "auto"
	case i%10 == 9:
		i-- // the same bytes as mail i-1: a duplicate delivery
		date = time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Minute).Format(time.RFC1123Z)
		from = fmt.Sprintf("staff%d@kommun.test", i%37)
		fallthrough
	default:
		return fmt.Sprintf("From: Staff %d <%s>\r\nTo: helpdesk@kommun.test\r\nSubject: Problem %d: skärmen flimrar\r\nDate: %s\r\nMessage-ID: <mail-%d@kommun.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHej, skärmen på datorn flimrar hela tiden (nummer %d).\r\n", i%37, from, i, date, i, i), "new"
	}
}

// TestSIGKILLDuringIngestLosesAndDuplicatesNothing kills `warrantydesk serve`
// with SIGKILL ten times while it ingests a large mailbox — at random moments
// and just after a batch was applied — restarts it, and checks that every mail
// is accounted for exactly once.
func TestSIGKILLDuringIngestLosesAndDuplicatesNothing(t *testing.T) {
	const mails = 3000
	const kills = 10
	imapSrv, capture := testenv.MailPeers(t)
	wantTickets, wantDup := 0, 0
	for i := range mails {
		raw, kind := syntheticMail(i)
		if i%10 == 9 {
			wantDup++
		} else if kind == "new" {
			wantTickets++
		}
		if err := imapSrv.Append("INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "wd.toml"), serveConfig(filepath.Join(dir, "wd.db"), imapSrv, capture, ""))
	db := useTestDatabase(t, dir, filepath.Join(dir, "wd.db"))

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	start := func() *exec.Cmd {
		cmd := exec.Command(binary, "serve", "-config", "wd.toml")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), databaseEnv(dir)...)
		logf, err := os.OpenFile(filepath.Join(dir, "serve.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		cmd.Stdout, cmd.Stderr = logf, logf
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	rounds, progressed, lastFinished := 0, 0, 0
	// Every other run is killed just after it finished a batch, while it
	// applies the next: a kill mid-apply, however fast the desk ingests. The
	// others are killed at a random moment before the first batch usually
	// lands (start-up, the IMAP fetch, the first batch's writes).
	untilProgress := 300 * time.Millisecond // how long a run took to finish its first batch
	for attempt := 0; attempt < 4*kills && (rounds < kills || progressed < 3); attempt++ {
		started := time.Now()
		cmd := start()
		if rounds%2 == 1 {
			for deadline := started.Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
				if n, _ := ingestProgress(db); n > lastFinished {
					untilProgress = time.Since(started)
					break
				}
			}
			time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
		} else {
			time.Sleep(time.Duration(rng.Int64N(int64(untilProgress))))
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		finished, _ := ingestProgress(db)
		t.Logf("round %d: SIGKILL after %s with %d of %d mails finished", rounds+1, time.Since(started).Round(time.Millisecond), finished, mails)
		if finished == mails {
			break
		}
		rounds++
		if finished > lastFinished {
			progressed++
		}
		lastFinished = finished
	}
	if rounds < kills || progressed < 3 {
		t.Errorf("%d kills before the ingest finished (%d mid-apply): want %d, at least 3 mid-apply", rounds, progressed, kills)
	}
	// A last, clean run finishes the backlog and stops on SIGTERM.
	logPath := filepath.Join(dir, "serve.log")
	before, _ := os.ReadFile(logPath)
	cmd := start()
	deadline := time.Now().Add(60 * time.Second)
	// SIGTERM is only graceful once serve has installed its signal handler.
	for {
		log, _ := os.ReadFile(logPath)
		if strings.Contains(string(log[len(before):]), "warrantydesk listening") {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("serve did not start; log tail:\n%s", tail(string(log), 30))
		}
		time.Sleep(20 * time.Millisecond)
	}
	for {
		if finished, _ := ingestProgress(db); finished == mails {
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			log, _ := os.ReadFile(filepath.Join(dir, "serve.log"))
			t.Fatalf("ingest did not finish; log tail:\n%s", tail(string(log), 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve did not stop cleanly on SIGTERM: %v", err)
	}

	store, err := models.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	outcomes, tickets := checkIntakeExactlyOnce(t, store, mails, wantTickets)
	// Exactly one acknowledgement per ticket is queued or sent: reprocessing
	// after a kill never queues a second one.
	byStatus, err := store.CountOutboxByStatus(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if acks := byStatus[models.OutboxQueued] + byStatus[models.OutboxSent]; acks != tickets {
		t.Errorf("%d acknowledgements in the outbox for %d tickets (%v)", acks, tickets, byStatus)
	}
	t.Logf("%d mails, %d SIGKILLs: outcomes %v, %d tickets, %d duplicates recognised, %d mails sent",
		mails, rounds, outcomes, tickets, wantDup, len(capture.Messages()))
}

// ingestProgress counts the mails with a finished intake record.
func ingestProgress(db models.Options) (int, error) {
	// A plain read-only connection: opening the desk's store here (its
	// migrations, its writer) every few milliseconds while a killed serve
	// restarts made that serve fail at times with "database is locked".
	driver, dsn := "sqlite3", "file:"+db.DSN+"?mode=ro&_busy_timeout=10000"
	if db.Driver == models.DriverPostgres {
		driver, dsn = "pgx", db.DSN
	}
	conn, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	var finished int
	err = conn.QueryRow("SELECT COUNT(*) FROM intake_records WHERE outcome <> $1", models.OutcomePending).Scan(&finished)
	return finished, err
}

func tail(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// serveConfig is the config of a `serve` process reading imapSrv and
// delivering to capture, with its database at dsn.
func serveConfig(dsn string, imapSrv *devmail.IMAPServer, capture *devmail.SMTPCapture, secret string) string {
	serverSecret := ""
	if secret != "" {
		serverSecret = fmt.Sprintf("secret = %q\n", secret)
	}
	return fmt.Sprintf(`
[server]
listen = "127.0.0.1:0"
%s[database]
dsn = %q
[imap]
host = %q
port = %d
tls = "none"
username = "desk"
password = "pw"
poll_interval = "1s"
[smtp]
host = %q
port = %d
tls = "none"
[desk]
address = "helpdesk@kommun.test"
ack_limit_per_hour = 1000
`, serverSecret, dsn, imapSrv.Host(), imapSrv.Port(), capture.Host(), capture.Port())
}

// checkIntakeExactlyOnce checks that store recorded each of the UIDs 1..mails
// once and finished every record (none pending or quarantined), and that it
// holds wantTickets tickets. It returns the outcomes and the ticket count.
func checkIntakeExactlyOnce(t *testing.T, store *models.Store, mails, wantTickets int) (map[string]int, int64) {
	t.Helper()
	ctx := context.Background()
	var all []models.IntakeRecord
	for off := 0; ; off += 500 {
		recs, total, err := store.ListIntake(ctx, models.IntakeFilter{Limit: 500, Offset: off})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, recs...)
		if int64(len(all)) >= total || len(recs) == 0 {
			break
		}
	}
	seenUID := map[uint32]int{}
	outcomes := map[string]int{}
	for _, r := range all {
		seenUID[r.UID]++
		outcomes[r.Outcome]++
	}
	for uid := uint32(1); uid <= uint32(mails); uid++ {
		if seenUID[uid] != 1 {
			t.Errorf("UID %d recorded %d times", uid, seenUID[uid])
		}
	}
	if len(all) != mails || outcomes[models.OutcomePending] != 0 || outcomes[models.OutcomeQuarantined] != 0 {
		t.Errorf("%d intake records for %d mails, outcomes %v", len(all), mails, outcomes)
	}
	_, tickets, err := store.ListTickets(ctx, models.TicketFilter{Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if int(tickets) != wantTickets {
		t.Errorf("%d tickets, want %d (one per distinct new mail)", tickets, wantTickets)
	}
	return outcomes, tickets
}
