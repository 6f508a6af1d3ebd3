package mailout

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

const testPassword = "hunter2-very-secret"

func TestSMTPSenderAuthenticatesWhenConfigured(t *testing.T) {
	capture := startCapture(t, "127.0.0.1:0")
	tests := []struct {
		name, username string
	}{
		{"with credentials", "desk@example.se"},
		{"without credentials", ""},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSMTPSender(SMTPConfig{Host: capture.Host(), Port: capture.Port(), TLS: TLSNone, Username: tc.username, Password: testPassword})
			if err := s.Send(t.Context(), "desk@example.se", []string{"r@example.se"}, []byte("Subject: x\r\n\r\nbody\r\n")); err != nil {
				t.Fatalf("Send: %v", err)
			}
			got := capture.Messages()[i]
			if got.Username != tc.username {
				t.Errorf("server saw AUTH user %q, want %q", got.Username, tc.username)
			}
		})
	}
}

func TestSMTPSenderErrors(t *testing.T) {
	capture := startCapture(t, "127.0.0.1:0")
	closedPort := func() int {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := ln.Addr().(*net.TCPAddr).Port
		_ = ln.Close()
		return port
	}()
	tests := []struct {
		name          string
		cfg           SMTPConfig
		failNext      int // SMTP code for the capture to answer DATA with; 0: none
		wantStage     string
		wantPermanent bool
	}{
		{"server down", SMTPConfig{Host: "127.0.0.1", Port: closedPort, TLS: TLSNone}, 0, "connect", false},
		{"temporary DATA failure", SMTPConfig{TLS: TLSNone}, 451, "data", false},
		{"permanent DATA failure", SMTPConfig{TLS: TLSNone}, 550, "data", true},
		{"STARTTLS required but not offered", SMTPConfig{TLS: TLSStartTLS}, 0, "tls", false},
		{"unknown TLS mode", SMTPConfig{TLS: "sometimes"}, 0, "connect", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			if cfg.Host == "" {
				cfg.Host, cfg.Port = capture.Host(), capture.Port()
			}
			cfg.Username, cfg.Password = "desk", testPassword
			if tc.failNext != 0 {
				capture.FailNext(1, tc.failNext)
			}
			before := len(capture.Messages())
			err := NewSMTPSender(cfg).Send(t.Context(), "desk@example.se", []string{"r@example.se"}, []byte("Subject: x\r\n\r\nbody\r\n"))
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			var sendErr *SendError
			if !errors.As(err, &sendErr) || sendErr.Stage != tc.wantStage {
				t.Errorf("error %q, want stage %q", err, tc.wantStage)
			}
			if got := IsPermanent(err); got != tc.wantPermanent {
				t.Errorf("IsPermanent(%q) = %v, want %v", err, got, tc.wantPermanent)
			}
			if strings.Contains(err.Error(), testPassword) {
				t.Errorf("error reveals the password: %q", err)
			}
			if after := len(capture.Messages()); after != before {
				t.Errorf("capture accepted a mail although Send failed")
			}
		})
	}
}

// silentServer accepts connections and never says anything, like a
// firewall that swallows packets or a hung relay.
func silentServer(t *testing.T) (host string, port int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var conns []net.Conn
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c)
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
		for _, c := range conns {
			_ = c.Close()
		}
	})
	a := ln.Addr().(*net.TCPAddr)
	return a.IP.String(), a.Port
}

func TestSMTPSenderHonoursDeadlines(t *testing.T) {
	host, port := silentServer(t)
	tests := []struct {
		name    string
		timeout time.Duration // SMTPConfig.Timeout
		ctx     func(t *testing.T) (context.Context, context.CancelFunc)
	}{
		{"context deadline", time.Hour, func(t *testing.T) (context.Context, context.CancelFunc) {
			return context.WithTimeout(t.Context(), 100*time.Millisecond)
		}},
		{"configured timeout", 100 * time.Millisecond, func(t *testing.T) (context.Context, context.CancelFunc) {
			return context.WithCancel(t.Context())
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := tc.ctx(t)
			defer cancel()
			s := NewSMTPSender(SMTPConfig{Host: host, Port: port, TLS: TLSNone, Timeout: tc.timeout})
			err := s.Send(ctx, "desk@example.se", []string{"r@example.se"}, []byte("Subject: x\r\n\r\nx\r\n"))
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Send to a silent server = %v, want a deadline error", err)
			}
		})
	}
}

func TestIsPermanent(t *testing.T) {
	smtpErr := func(code int) error { return &smtp.SMTPError{Code: code, Message: "text"} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"plain error", errors.New("connection reset"), false},
		{"bare 5xx", smtpErr(554), true},
		{"bare 4xx", smtpErr(421), false},
		{"5xx to DATA", &SendError{Stage: "data", Err: smtpErr(550)}, true},
		{"5xx to MAIL", &SendError{Stage: "mail", Err: smtpErr(553)}, true},
		{"5xx to RCPT", &SendError{Stage: "rcpt", Err: smtpErr(550)}, true},
		{"552 to RCPT is temporary (RFC 5321 §4.5.3.1.10)", &SendError{Stage: "rcpt", Err: smtpErr(552)}, false},
		{"4xx to DATA", &SendError{Stage: "data", Err: smtpErr(451)}, false},
		{"auth rejected is configuration, not the mail", &SendError{Stage: "auth", Err: smtpErr(535)}, false},
		{"EHLO rejected", &SendError{Stage: "hello", Err: smtpErr(554)}, false},
		{"wrapped", fmt.Errorf("deliver: %w", &SendError{Stage: "data", Err: smtpErr(550)}), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := IsPermanent(tc.err); got != tc.want {
				t.Errorf("IsPermanent(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}
