package mailout

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"warrantydesk/internal/testenv"
)

// tlsServer is a go-smtp server with a self-signed certificate, in implicit
// TLS or STARTTLS mode, recording the authenticated user of each mail.
type tlsServer struct {
	mu    sync.Mutex
	users []string
	tls   []bool // whether each mail arrived over TLS
}

type tlsSession struct {
	srv  *tlsServer
	conn *smtp.Conn
	user string
}

func (s *tlsSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *tlsSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if pass != testPassword {
			return errors.New("bad password")
		}
		s.user = user
		return nil
	}), nil
}
func (s *tlsSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *tlsSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *tlsSession) Data(r io.Reader) error {
	if _, err := io.Copy(io.Discard, r); err != nil {
		return err
	}
	_, isTLS := s.conn.TLSConnectionState()
	s.srv.mu.Lock()
	defer s.srv.mu.Unlock()
	s.srv.users = append(s.srv.users, s.user)
	s.srv.tls = append(s.srv.tls, isTLS)
	return nil
}
func (s *tlsSession) Reset()        {}
func (s *tlsSession) Logout() error { return nil }

func selfSignedConfig(t *testing.T) *tls.Config { return testenv.SelfSignedTLS(t) }

func startTLSServer(t *testing.T, implicit bool) (*tlsServer, int) {
	t.Helper()
	rec := &tlsServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &tlsSession{srv: rec, conn: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = selfSignedConfig(t)
	var ln net.Listener
	var err error
	if implicit {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", srv.TLSConfig)
	} else {
		ln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); _ = ln.Close(); <-done })
	return rec, ln.Addr().(*net.TCPAddr).Port
}

func TestSMTPSenderTLS(t *testing.T) {
	tests := []struct {
		name      string
		mode      string
		insecure  bool
		wantStage string // "" = delivered
	}{
		{"implicit TLS", TLSImplicit, true, ""},
		{"STARTTLS", TLSStartTLS, true, ""},
		{"implicit TLS verifies the certificate", TLSImplicit, false, "tls"},
		{"STARTTLS verifies the certificate", TLSStartTLS, false, "tls"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, port := startTLSServer(t, tc.mode == TLSImplicit)
			s := NewSMTPSender(SMTPConfig{
				Host: "127.0.0.1", Port: port, TLS: tc.mode, Username: "desk", Password: testPassword,
				InsecureSkipVerify: tc.insecure, Timeout: 30 * time.Second,
			})
			err := s.Send(t.Context(), "desk@example.se", []string{"r@example.se"}, []byte("Subject: x\r\n\r\nx\r\n"))
			if tc.wantStage != "" {
				var sendErr *SendError
				if !errors.As(err, &sendErr) || sendErr.Stage != tc.wantStage {
					t.Fatalf("Send = %v, want a %s error", err, tc.wantStage)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			rec.mu.Lock()
			defer rec.mu.Unlock()
			if len(rec.users) != 1 || rec.users[0] != "desk" || !rec.tls[0] {
				t.Errorf("server got users %v over TLS %v; want one mail from desk over TLS", rec.users, rec.tls)
			}
		})
	}
}
