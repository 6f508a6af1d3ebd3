package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"warrantydesk/internal/testenv"
	"warrantydesk/models"
)

// backupMail is staff mail i; every third carries a photo whose bytes are unique.
func backupMail(i int) string {
	head := fmt.Sprintf("From: Staff %d <staff%d@kommun.test>\r\nTo: helpdesk@kommun.test\r\nSubject: Fel %d: skärmen är sprucken\r\n"+
		"Message-ID: <backup-%d@kommun.test>\r\nMIME-Version: 1.0\r\n", i, i%23, i, i)
	text := fmt.Sprintf("Hej, skärmen på dator %d är sprucken.", i)
	if i%3 != 0 {
		return head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
	}
	photo := base64.StdEncoding.EncodeToString([]byte(strings.Repeat(fmt.Sprintf("foto %d ", i), 50)))
	return head + "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text +
		"\r\n--b\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename=\"skarm-" + fmt.Sprint(i) + ".jpg\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + photo + "\r\n--b--\r\n"
}

func waitIngest(t *testing.T, dbPath string, want int) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if n, _ := ingestProgress(models.Options{DSN: dbPath}); n >= want {
			return
		}
		if time.Now().After(deadline) {
			n, _ := ingestProgress(models.Options{DSN: dbPath})
			t.Fatalf("ingest stuck at %d of %d", n, want)
		}
	}
}

// deskSnapshot is what a restore must bring back: per ticket, its fields and
// its incoming messages with their attachments' bytes.
func deskSnapshot(t *testing.T, dbPath string) map[int64]string {
	t.Helper()
	ctx := context.Background()
	store, err := models.Open(ctx, models.Options{DSN: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	out := map[int64]string{}
	for n := int64(1001); ; n++ {
		tk, err := store.TicketByNumber(ctx, n)
		if err != nil {
			break
		}
		msgs, err := store.Messages(ctx, tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s|%s|%s|%s|%s\n", tk.Subject, tk.Status, tk.Category, tk.Requester.Email, tk.Requester.Name)
		for _, m := range msgs {
			if m.Direction != models.DirIn || m.Kind != models.KindEmail {
				continue // our own mail carries fresh random Message-IDs
			}
			fmt.Fprintf(&b, "%s|%s|%s|%q\n", m.FromEmail, m.Subject, m.MessageID, m.Text)
			for _, a := range m.Attachments {
				data, err := store.Blob(ctx, a.BlobSHA256)
				if err != nil {
					t.Fatalf("ticket %d: attachment %s: %v", n, a.Filename, err)
				}
				fmt.Fprintf(&b, "  %s %s %d %x\n", a.Filename, a.ContentType, len(data), sha256.Sum256(data))
			}
		}
		out[n] = b.String()
	}
	return out
}

// TestBackupWhileServingAndRestore runs `warrantydesk backup` while `serve`
// ingests a mailbox, checks that the copy is a whole database, restores it
// the way the README says into a fresh directory, and lets the restored desk
// finish the mailbox: it must end with exactly the tickets, messages and
// attachment bytes of the desk that never stopped.
func TestBackupWhileServingAndRestore(t *testing.T) {
	testenv.SkipOnPostgres(t, "backup copies the SQLite file (PostgreSQL is backed up with pg_dump)")
	const mails = 400
	imapSrv, capture := testenv.MailPeers(t)
	// The mailbox fills in three waves, so that each backup is taken while
	// mail is still arriving, however fast the desk ingests.
	appended := 0
	appendUpTo := func(n int) {
		for ; appended < n; appended++ {
			if err := imapSrv.Append("INBOX", []byte(backupMail(appended))); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendUpTo(100)
	config := func(dsn string) string {
		return serveConfig(dsn, imapSrv, capture, "backup-test-secret-0123456789")
	}
	live := t.TempDir()
	writeFile(t, filepath.Join(live, "wd.toml"), config("data/wd.db"))
	liveDB := filepath.Join(live, "data", "wd.db")
	srv := startInstance(t, live, "serve")

	// Back up twice while mail is being ingested.
	var copies []string
	var progress []int
	for i, next := range []int{250, mails} {
		waitIngest(t, liveDB, 60+i*120)
		appendUpTo(next)
		out := filepath.Join(t.TempDir(), "backup.db")
		r := wd(t, live, nil, "", "backup", out, "-config", "wd.toml")
		if r.code != 0 {
			t.Fatalf("backup while serving: %+v", r)
		}
		n, _ := ingestProgress(models.Options{DSN: liveDB})
		copies, progress = append(copies, out), append(progress, n)
	}
	waitIngest(t, liveDB, mails)
	srv.stop()
	t.Logf("backups taken with %v of %d mails ingested", progress, mails)
	if progress[0] >= mails {
		t.Errorf("the first backup came after the ingest had finished: it proves nothing about a running desk")
	}
	want := deskSnapshot(t, liveDB)
	if len(want) == 0 {
		t.Fatal("no tickets")
	}

	for i, backup := range copies {
		// The copy is a whole database: intact, and nothing half-applied.
		db, err := sql.Open("sqlite3", backup)
		if err != nil {
			t.Fatal(err)
		}
		var check string
		if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
			t.Errorf("backup %d: integrity_check %q (%v)", i, check, err)
		}
		var orphans int
		if err := db.QueryRow(`SELECT count(*) FROM intake_records r WHERE r.outcome = 'created'
			AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.intake_record_id = r.id)`).Scan(&orphans); err != nil || orphans != 0 {
			t.Errorf("backup %d: %d created intake records without their message (%v)", i, orphans, err)
		}
		if err := db.QueryRow(`SELECT count(*) FROM tickets t WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.ticket_id = t.id)`).Scan(&orphans); err != nil || orphans != 0 {
			t.Errorf("backup %d: %d tickets without messages (%v)", i, orphans, err)
		}
		db.Close()

		// Restore as the README says: the copy becomes the database file of
		// a desk (here a fresh one), with no -wal/-shm beside it.
		restored := t.TempDir()
		if err := os.MkdirAll(filepath.Join(restored, "data"), 0o750); err != nil {
			t.Fatal(err)
		}
		copyFile(t, backup, filepath.Join(restored, "data", "wd.db"))
		writeFile(t, filepath.Join(restored, "wd.toml"), config("data/wd.db"))
		before := deskSnapshot(t, filepath.Join(restored, "data", "wd.db"))
		for n, snap := range before {
			if want[n] != snap {
				t.Errorf("backup %d: ticket %d differs from the live desk's:\n%s\nwant\n%s", i, n, snap, want[n])
			}
		}
		// The restored desk picks up where the copy was taken.
		srv := startInstance(t, restored, "serve")
		waitIngest(t, filepath.Join(restored, "data", "wd.db"), mails)
		srv.stop()
		got := deskSnapshot(t, filepath.Join(restored, "data", "wd.db"))
		if len(got) != len(want) {
			t.Errorf("restored desk %d has %d tickets, the live one %d", i, len(got), len(want))
		}
		diffs := 0
		for n, snap := range want {
			if got[n] != snap && diffs < 3 {
				diffs++
				t.Errorf("restored desk %d: ticket %d:\n%s\nwant\n%s", i, n, got[n], snap)
			}
		}
		t.Logf("backup %d: %d tickets in the copy, %d after the restored desk finished the mailbox", i, len(before), len(got))
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
