package devmail

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

func startTestCapture(t *testing.T) *SMTPCapture {
	t.Helper()
	c, err := StartSMTPCapture("127.0.0.1:0", nil)
	if err != nil {
		t.Fatalf("StartSMTPCapture: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// send delivers raw through a real SMTP client session, authenticating as
// user when it is not empty.
func send(t *testing.T, c *SMTPCapture, user, from string, to []string, raw string) error {
	t.Helper()
	client, err := smtp.Dial(c.Addr())
	if err != nil {
		t.Fatalf("dial capture: %v", err)
	}
	defer func() { _ = client.Close() }()
	if user != "" {
		if err := client.Auth(sasl.NewPlainClient("", user, "any password")); err != nil {
			t.Fatalf("AUTH PLAIN: %v", err)
		}
	}
	return client.SendMail(from, to, strings.NewReader(raw))
}

const testMail = "From: desk@example.se\r\n" +
	"To: reseller@example.com\r\n" +
	"Subject: =?utf-8?q?Reklamation_sk=C3=A4rm?=\r\n" +
	"Message-ID: <wd.1001.abc@desk.example.se>\r\n" +
	"\r\n" +
	"Serienummer 5CG1234XYZ\r\n" +
	".leading dot survives\r\n"

func TestSMTPCaptureKeepsMail(t *testing.T) {
	c := startTestCapture(t)
	if c.Host() != "127.0.0.1" || c.Port() == 0 || !strings.HasSuffix(c.Addr(), ":"+strconv.Itoa(c.Port())) {
		t.Fatalf("Addr %q Host %q Port %d disagree", c.Addr(), c.Host(), c.Port())
	}
	if err := send(t, c, "desk", "desk@example.se", []string{"reseller@example.com", "cc@example.com"}, testMail); err != nil {
		t.Fatalf("send: %v", err)
	}
	got := c.Messages()
	if len(got) != 1 {
		t.Fatalf("Messages() has %d mails, want 1", len(got))
	}
	m := got[0]
	if m.From != "desk@example.se" || strings.Join(m.To, ",") != "reseller@example.com,cc@example.com" {
		t.Errorf("envelope %s → %v", m.From, m.To)
	}
	if m.Subject != "Reklamation skärm" || m.MessageID != "wd.1001.abc@desk.example.se" || m.Username != "desk" {
		t.Errorf("Subject %q MessageID %q Username %q", m.Subject, m.MessageID, m.Username)
	}
	if string(m.Raw) != testMail {
		t.Errorf("Raw = %q, want the mail exactly as sent (dot-unstuffed)", m.Raw)
	}
	if m.At.IsZero() {
		t.Error("At is not set")
	}

	// Messages returns copies: changing one does not change the capture.
	got[0].Raw[0] = 'X'
	got[0].To[0] = "changed"
	if again := c.Messages()[0]; again.Raw[0] != 'F' || again.To[0] != "reseller@example.com" {
		t.Error("Messages() shares memory with the capture")
	}
}

func TestSMTPCaptureFailNext(t *testing.T) {
	tests := []struct {
		name     string
		fail     int
		code     int
		attempts int
		wantKept int
	}{
		{"temporary", 2, 451, 3, 1},
		{"permanent", 1, 550, 2, 1},
		{"none", 0, 0, 1, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := startTestCapture(t)
			c.FailNext(tc.fail, tc.code)
			var codes []int
			for range tc.attempts {
				err := send(t, c, "", "desk@example.se", []string{"reseller@example.com"}, testMail)
				var smtpErr *smtp.SMTPError
				switch {
				case err == nil:
					codes = append(codes, 250)
				case errors.As(err, &smtpErr):
					codes = append(codes, smtpErr.Code)
				default:
					t.Fatalf("send: %v", err)
				}
			}
			for i, code := range codes {
				want := 250
				if i < tc.fail {
					want = tc.code
				}
				if code != want {
					t.Errorf("attempt %d answered %d, want %d (all: %v)", i+1, code, want, codes)
				}
			}
			if got := len(c.Messages()); got != tc.wantKept {
				t.Errorf("capture kept %d mails, want %d", got, tc.wantKept)
			}
		})
	}
}

func TestSMTPCaptureWaitForAndOnMail(t *testing.T) {
	c := startTestCapture(t)
	seen := make(chan CapturedMail, 2)
	c.OnMail(func(m CapturedMail) { seen <- m })

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	waited := make(chan []CapturedMail, 1)
	go func() {
		msgs, err := c.WaitFor(ctx, 2)
		if err != nil {
			t.Errorf("WaitFor: %v", err)
		}
		waited <- msgs
	}()
	for range 2 {
		if err := send(t, c, "", "desk@example.se", []string{"reseller@example.com"}, testMail); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	if msgs := <-waited; len(msgs) != 2 {
		t.Errorf("WaitFor returned %d mails, want 2", len(msgs))
	}
	for range 2 {
		select {
		case m := <-seen:
			if m.Subject != "Reklamation skärm" {
				t.Errorf("OnMail got subject %q", m.Subject)
			}
		case <-ctx.Done():
			t.Fatal("OnMail was not called for every mail")
		}
	}

	// WaitFor gives up with ctx.
	short, cancelShort := context.WithCancel(t.Context())
	cancelShort()
	if _, err := c.WaitFor(short, 3); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestSMTPCaptureClose(t *testing.T) {
	c := startTestCapture(t)
	if err := send(t, c, "", "desk@example.se", []string{"reseller@example.com"}, testMail); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := smtp.Dial(c.Addr()); err == nil {
		t.Error("capture still accepts connections after Close")
	}
	if len(c.Messages()) != 1 {
		t.Error("mail received before Close is gone")
	}
	// The port is free again: a new capture can take over the address.
	again, err := StartSMTPCapture(c.Addr(), nil)
	if err != nil {
		t.Fatalf("restart on %s: %v", c.Addr(), err)
	}
	_ = again.Close()
}

func TestParseHeadersToleratesBrokenMail(t *testing.T) {
	tests := []struct {
		name, raw, subject, id string
	}{
		{"no header section", "just text without headers", "", ""},
		{"latin-1 subject", "Subject: =?iso-8859-1?q?Sk=E4rm?=\r\n\r\nx", "Skärm", ""},
		{"id without brackets", "Message-ID: abc@x\r\n\r\nx", "", "abc@x"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			subject, id := parseHeaders([]byte(tc.raw))
			if subject != tc.subject || id != tc.id {
				t.Errorf("parseHeaders = %q, %q; want %q, %q", subject, id, tc.subject, tc.id)
			}
		})
	}
}
