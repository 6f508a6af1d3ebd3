package mailout

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"warrantydesk/internal/teststore"

	"warrantydesk/devmail"
	"warrantydesk/models"
)

// testClock is a settable clock, so that backoff is tested by moving time
// rather than by sleeping.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	// A little ahead of the real clock: EnqueueMail stamps mail with time.Now.
	// Whole microseconds, which is what PostgreSQL stores.
	return &testClock{t: time.Now().UTC().Add(time.Second).Truncate(time.Microsecond)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// openStore opens the test database of path (from testDatabase) again.
func openStore(t *testing.T, path models.Options) *models.Store {
	t.Helper()
	return teststore.OpenAt(t, path)
}

// testDatabase is a fresh database for t, SQLite or PostgreSQL.
func testDatabase(t *testing.T) models.Options {
	t.Helper()
	driver, dsn := teststore.Database(t)
	return models.Options{Driver: driver, DSN: dsn}
}

func newStore(t *testing.T) *models.Store {
	t.Helper()
	return teststore.Open(t, models.Options{})
}

func startCapture(t *testing.T, addr string) *devmail.SMTPCapture {
	t.Helper()
	c, err := devmail.StartSMTPCapture(addr, nil)
	if err != nil {
		t.Fatalf("start smtp capture: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func senderFor(c *devmail.SMTPCapture) *SMTPSender {
	return NewSMTPSender(SMTPConfig{Host: c.Host(), Port: c.Port(), TLS: TLSNone, HeloName: "desk.example.se", Timeout: 30 * time.Second})
}

var testSigner = NewIDSigner([]byte("outbox test secret"), "desk.example.se")

// enqueue builds a mail for ticket and queues it, returning the row and the
// exact bytes that must reach the server.
func enqueue(t *testing.T, store *models.Store, ticket int64) (models.OutboxMail, []byte) {
	t.Helper()
	m := sampleMail()
	m.MessageID = testSigner.New(ticket)
	m.Subject = fmt.Sprintf("Ärende [#%d]: Skärmen är sprucken", ticket)
	raw := mustBuild(t, m)
	row := models.OutboxMail{
		MessageID: m.MessageID, FromAddr: "bounces@desk.example.se",
		Recipients: "bjorn@example.se, anna@example.se", Subject: m.Subject, Purpose: "reply", Raw: raw,
	}
	if err := store.EnqueueMail(t.Context(), &row); err != nil {
		t.Fatalf("enqueue: %v", err)
	}
	return row, raw
}

func outboxRow(t *testing.T, store *models.Store, id uint) models.OutboxMail {
	t.Helper()
	rows, err := store.OutboxByIDs(t.Context(), []uint{id})
	if err != nil {
		t.Fatalf("load outbox mail %d: %v", id, err)
	}
	row, ok := rows[id]
	if !ok {
		t.Fatalf("outbox mail %d is gone", id)
	}
	return row
}

func deliverDue(t *testing.T, w *Worker) int {
	t.Helper()
	n, err := w.DeliverDue(t.Context())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	return n
}

func TestWorkerDeliversOnceWithEnvelope(t *testing.T) {
	store := newStore(t)
	capture := startCapture(t, "127.0.0.1:0")
	w := NewWorker(store, senderFor(capture), WorkerOptions{})
	row, raw := enqueue(t, store, 1001)

	if n := deliverDue(t, w); n != 1 {
		t.Fatalf("first pass sent %d, want 1", n)
	}
	if n := deliverDue(t, w); n != 0 {
		t.Fatalf("second pass sent %d, want 0", n)
	}
	got := capture.Messages()
	if len(got) != 1 {
		t.Fatalf("capture received %d mails, want 1", len(got))
	}
	m := got[0]
	if m.From != "bounces@desk.example.se" || !slices.Equal(m.To, []string{"bjorn@example.se", "anna@example.se"}) {
		t.Errorf("envelope = %s → %v, want bounces@desk.example.se → [bjorn@example.se anna@example.se]", m.From, m.To)
	}
	if !bytes.Equal(m.Raw, raw) {
		t.Errorf("server received different bytes than were queued:\n%s", m.Raw)
	}
	if m.MessageID != row.MessageID || m.Subject != "Ärende [#1001]: Skärmen är sprucken" {
		t.Errorf("captured Message-ID %q subject %q", m.MessageID, m.Subject)
	}
	after := outboxRow(t, store, row.ID)
	if after.Status != models.OutboxSent || after.SentAt == nil || after.Attempts != 1 || after.LastError != "" {
		t.Errorf("outbox row = status %s sent_at %v attempts %d last_error %q; want sent once", after.Status, after.SentAt, after.Attempts, after.LastError)
	}
}

func TestWorkerFailures(t *testing.T) {
	backoff := []time.Duration{time.Minute, 5 * time.Minute, time.Hour}
	tests := []struct {
		name          string
		failures      int
		code          int
		wantStatus    string
		wantAttempts  int
		wantDelivered int
		wantLastError string // substring; "" means empty
	}{
		{"temporary failures are retried after the backoff", 2, 451, models.OutboxSent, 3, 1, ""},
		{"permanent failure gives up at once", 1, 550, models.OutboxFailed, 1, 0, "550"},
		{"temporary failures until the retries run out", 10, 451, models.OutboxFailed, len(backoff) + 1, 0, "451"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			store := newStore(t)
			capture := startCapture(t, "127.0.0.1:0")
			clock := newTestClock()
			w := NewWorker(store, senderFor(capture), WorkerOptions{Backoff: backoff, Now: clock.Now})
			row, _ := enqueue(t, store, 1001)
			capture.FailNext(tc.failures, tc.code)

			for pass := 0; ; pass++ {
				if pass > 20 {
					t.Fatal("mail neither sent nor failed after 20 passes")
				}
				deliverDue(t, w)
				cur := outboxRow(t, store, row.ID)
				if cur.Status != models.OutboxQueued {
					break
				}
				// Not due again before its backoff has passed.
				wait := cur.NextAttemptAt.Sub(clock.Now())
				if want := backoff[cur.Attempts-1]; wait != want {
					t.Fatalf("after attempt %d next attempt is in %v, want %v", cur.Attempts, wait, want)
				}
				clock.Advance(wait - time.Second)
				deliverDue(t, w)
				if again := outboxRow(t, store, row.ID); again.Attempts != cur.Attempts {
					t.Fatalf("mail was retried %v before its backoff ended", time.Second)
				}
				clock.Advance(time.Second)
			}

			final := outboxRow(t, store, row.ID)
			if final.Status != tc.wantStatus || final.Attempts != tc.wantAttempts {
				t.Errorf("status %s after %d attempts, want %s after %d", final.Status, final.Attempts, tc.wantStatus, tc.wantAttempts)
			}
			if got := len(capture.Messages()); got != tc.wantDelivered {
				t.Errorf("capture received %d mails, want %d", got, tc.wantDelivered)
			}
			if tc.wantLastError == "" && final.LastError != "" {
				t.Errorf("last_error = %q, want empty", final.LastError)
			}
			if tc.wantLastError != "" {
				// Visible where the UI and health look: the store's list.
				failed, total, err := store.ListOutbox(t.Context(), models.OutboxFailed, 10, 0)
				if err != nil || total != 1 || failed[0].ID != row.ID {
					t.Fatalf("ListOutbox(failed) = %v, %d, %v; want mail %d", failed, total, err, row.ID)
				}
				le := failed[0].LastError
				if !strings.Contains(le, tc.wantLastError) || !strings.Contains(le, "simulated by the capture") {
					t.Errorf("last_error = %q, want the SMTP reply (%s and its text)", le, tc.wantLastError)
				}
				st, err := w.Stats(t.Context())
				if err != nil || st.Failed != 1 || st.Queued != 0 || st.LastError == "" {
					t.Errorf("Stats = %+v, %v; want 1 failed with a last error", st, err)
				}
			}
		})
	}
}

func TestWorkerSMTPDownThenUp(t *testing.T) {
	store := newStore(t)
	capture := startCapture(t, "127.0.0.1:0")
	addr := capture.Addr()
	sender := senderFor(capture)
	if err := capture.Close(); err != nil {
		t.Fatalf("close capture: %v", err)
	}
	clock := newTestClock()
	w := NewWorker(store, sender, WorkerOptions{Backoff: []time.Duration{time.Minute}, Now: clock.Now})
	row, raw := enqueue(t, store, 1002)

	if n := deliverDue(t, w); n != 0 {
		t.Fatalf("sent %d with the server down", n)
	}
	down := outboxRow(t, store, row.ID)
	if down.Status != models.OutboxQueued || down.Attempts != 1 || !strings.Contains(down.LastError, "connect") {
		t.Fatalf("after a refused connection: status %s attempts %d last_error %q; want queued, 1, a connect error", down.Status, down.Attempts, down.LastError)
	}

	again := startCapture(t, addr)
	clock.Advance(time.Minute)
	if n := deliverDue(t, w); n != 1 {
		t.Fatalf("sent %d once the server is back, want 1", n)
	}
	got := again.Messages()
	if len(got) != 1 || !bytes.Equal(got[0].Raw, raw) {
		t.Fatalf("capture received %d mails, want the queued one", len(got))
	}
	if up := outboxRow(t, store, row.ID); up.Status != models.OutboxSent || up.Attempts != 2 {
		t.Errorf("status %s attempts %d, want sent after 2", up.Status, up.Attempts)
	}
}

func TestWorkerRestartDoesNotResend(t *testing.T) {
	path := testDatabase(t)
	capture := startCapture(t, "127.0.0.1:0")
	store := openStore(t, path)
	first := NewWorker(store, senderFor(capture), WorkerOptions{})
	sentRow, _ := enqueue(t, store, 1003)
	if n := deliverDue(t, first); n != 1 {
		t.Fatalf("first worker sent %d, want 1", n)
	}
	// A second mail fails once and is still queued at the "crash".
	capture.FailNext(1, 421)
	queuedRow, _ := enqueue(t, store, 1004)
	deliverDue(t, first)
	if err := store.Close(); err != nil {
		t.Fatalf("close store: %v", err)
	}

	store = openStore(t, path)
	clock := newTestClock()
	clock.Advance(time.Hour) // past any backoff
	second := NewWorker(store, senderFor(capture), WorkerOptions{Now: clock.Now})
	if n := deliverDue(t, second); n != 1 {
		t.Fatalf("restarted worker sent %d, want only the still-queued mail", n)
	}
	var ids []string
	for _, m := range capture.Messages() {
		ids = append(ids, m.MessageID)
	}
	if want := []string{sentRow.MessageID, queuedRow.MessageID}; !slices.Equal(ids, want) {
		t.Errorf("capture received %v, want each mail once: %v", ids, want)
	}
	st, err := second.Stats(t.Context())
	if err != nil || st.Queued != 0 || st.Failed != 0 || st.LastSentAt.IsZero() {
		t.Errorf("Stats = %+v, %v; want nothing queued and a last send", st, err)
	}
}

func TestWorkerRunRetriesAndDelivers(t *testing.T) {
	store := newStore(t)
	capture := startCapture(t, "127.0.0.1:0")
	capture.FailNext(2, 451)
	w := NewWorker(store, senderFor(capture), WorkerOptions{Backoff: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, time.Minute}})

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	row, _ := enqueue(t, store, 1005)
	w.Kick()
	waitCtx, stop := context.WithTimeout(t.Context(), 20*time.Second)
	defer stop()
	if _, err := capture.WaitFor(waitCtx, 1); err != nil {
		t.Fatalf("mail never arrived: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v after cancel, want nil", err)
	}
	if got := len(capture.Messages()); got != 1 {
		t.Errorf("capture received %d mails, want exactly 1", got)
	}
	if final := outboxRow(t, store, row.ID); final.Status != models.OutboxSent || final.Attempts != 3 {
		t.Errorf("status %s attempts %d, want sent on the third attempt", final.Status, final.Attempts)
	}
}

func TestSplitRecipients(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"a@example.se", []string{"a@example.se"}},
		{"a@example.se, <b@example.se> ,,", []string{"a@example.se", "b@example.se"}},
		{" , ", nil},
	}
	for _, tc := range tests {
		if got := splitRecipients(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("splitRecipients(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestWorkerFailsMailWithoutRecipients(t *testing.T) {
	store := newStore(t)
	capture := startCapture(t, "127.0.0.1:0")
	w := NewWorker(store, senderFor(capture), WorkerOptions{})
	row := models.OutboxMail{MessageID: testSigner.New(9), FromAddr: "desk@example.se", Recipients: " , ", Raw: []byte("Subject: x\r\n\r\nx\r\n")}
	if err := store.EnqueueMail(t.Context(), &row); err != nil {
		t.Fatal(err)
	}
	deliverDue(t, w)
	if got := outboxRow(t, store, row.ID); got.Status != models.OutboxFailed || !strings.Contains(got.LastError, "recipients") {
		t.Errorf("status %s last_error %q, want failed for lack of recipients", got.Status, got.LastError)
	}
}
