package devmail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"warrantydesk/oauth"
)

// CapturedMail is one message received by the capture.
type CapturedMail struct {
	From      string   // envelope sender (MAIL FROM)
	To        []string // envelope recipients (RCPT TO)
	Raw       []byte
	At        time.Time
	Subject   string // decoded, parsed from Raw headers
	MessageID string // without <>, parsed from Raw headers
	Username  string // AUTH PLAIN user name; empty when the client did not authenticate
}

// SMTPCapture is an in-process SMTP server (go-smtp) that accepts every mail and keeps it in memory; it plays the reseller's mailbox in the demo and a real SMTP peer in tests.
//
// It speaks plain SMTP without TLS and accepts any AUTH PLAIN credentials:
// it is for 127.0.0.1 only.
type SMTPCapture struct {
	srv    *smtp.Server
	ln     net.Listener
	log    *slog.Logger
	served chan struct{} // closed when Serve has returned

	mu       sync.Mutex
	msgs     []CapturedMail
	arrived  chan struct{} // closed and replaced on every accepted mail
	onMail   []func(CapturedMail)
	failLeft int
	failCode int
	// xoauth2, when set, is the only way in (see RequireXOAUTH2).
	xoauth2 func(username, token string) error

	closeOnce sync.Once
	closeErr  error
}

// StartSMTPCapture listens on addr (e.g. "127.0.0.1:0") and serves until Close.
func StartSMTPCapture(addr string, logger *slog.Logger) (*SMTPCapture, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("smtp capture: listen on %s: %w", addr, err)
	}
	c := &SMTPCapture{
		ln:      ln,
		log:     logger.With("subsystem", "smtp-capture"),
		served:  make(chan struct{}),
		arrived: make(chan struct{}),
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(conn *smtp.Conn) (smtp.Session, error) {
		return &captureSession{capture: c}, nil
	}))
	srv.Domain = "capture.devmail.localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = 50 << 20
	srv.MaxRecipients = 100
	srv.ReadTimeout = 5 * time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = slogPrinter{c.log}
	c.srv = srv
	go func() {
		defer close(c.served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			c.log.Error("smtp capture stopped", "error", err)
		}
	}()
	c.log.Info("smtp capture listening", "addr", c.Addr())
	return c, nil
}

// Addr returns the address the capture listens on, as host:port.
func (c *SMTPCapture) Addr() string { return c.ln.Addr().String() }

// Host returns the IP address the capture listens on.
func (c *SMTPCapture) Host() string {
	if a, ok := c.ln.Addr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, _ := net.SplitHostPort(c.Addr())
	return host
}

// Port returns the TCP port the capture listens on.
func (c *SMTPCapture) Port() int {
	if a, ok := c.ln.Addr().(*net.TCPAddr); ok {
		return a.Port
	}
	return 0
}

// Messages returns a copy of every mail received so far, oldest first.
func (c *SMTPCapture) Messages() []CapturedMail {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]CapturedMail, len(c.msgs))
	for i, m := range c.msgs {
		out[i] = m.clone()
	}
	return out
}

// OnMail registers fn to be called after each accepted mail, in its own
// goroutine so a slow callback never holds up the SMTP session. Several
// callbacks may be registered; each sees every mail accepted after it was.
func (c *SMTPCapture) OnMail(fn func(CapturedMail)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onMail = append(c.onMail, fn)
}

// WaitFor blocks until at least n mails have arrived and returns them all,
// or returns ctx's error.
func (c *SMTPCapture) WaitFor(ctx context.Context, n int) ([]CapturedMail, error) {
	for {
		c.mu.Lock()
		count, arrived := len(c.msgs), c.arrived
		c.mu.Unlock()
		if count >= n {
			return c.Messages(), nil
		}
		select {
		case <-arrived:
		case <-ctx.Done():
			return nil, fmt.Errorf("smtp capture: waiting for %d mails, have %d: %w", n, count, ctx.Err())
		}
	}
}

// FailNext makes the next n DATA commands fail with the given SMTP code (e.g. 451 temporary, 550 permanent), to test retries.
func (c *SMTPCapture) FailNext(n int, code int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failLeft, c.failCode = n, code
}

// Close stops the server and drops its connections; received mail stays
// readable through Messages.
func (c *SMTPCapture) Close() error {
	c.closeOnce.Do(func() {
		err := c.srv.Close()
		// Serve registers the listener only once it runs; closing it here
		// too makes Close safe right after Start, before Serve has begun.
		if lnErr := c.ln.Close(); !errors.Is(lnErr, net.ErrClosed) {
			err = errors.Join(err, lnErr)
		}
		<-c.served
		if errors.Is(err, net.ErrClosed) {
			err = nil
		}
		c.closeErr = err
	})
	return c.closeErr
}

// accept stores a received mail, or returns the failure FailNext asked for.
func (c *SMTPCapture) accept(m CapturedMail) error {
	c.mu.Lock()
	if c.failLeft > 0 {
		c.failLeft--
		code := c.failCode
		c.mu.Unlock()
		c.log.Info("smtp capture refused mail as asked", "code", code, "message_id", m.MessageID)
		return simulatedFailure(code)
	}
	c.msgs = append(c.msgs, m)
	close(c.arrived)
	c.arrived = make(chan struct{})
	callbacks := append([]func(CapturedMail){}, c.onMail...)
	c.mu.Unlock()

	c.log.Info("smtp capture accepted mail", "from", m.From, "to", m.To, "subject", m.Subject, "message_id", m.MessageID)
	for _, fn := range callbacks {
		go fn(m.clone())
	}
	return nil
}

// RequireXOAUTH2 makes the capture behave like Microsoft 365 or Gmail submission without basic
// authentication: only AUTH XOAUTH2 is offered, a token is accepted when check approves it
// (e.g. TokenServer.CheckToken), and MAIL is refused before a successful AUTH.
func (c *SMTPCapture) RequireXOAUTH2(check func(username, token string) error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.xoauth2 = check
}

func (c *SMTPCapture) xoauth2Check() func(username, token string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.xoauth2
}

func simulatedFailure(code int) *smtp.SMTPError {
	class := code / 100
	msg := "Requested action not taken: simulated failure"
	switch class {
	case 4:
		msg = "Temporary local problem, try again later (simulated by the capture)"
	case 5:
		msg = "Mailbox unavailable, message rejected (simulated by the capture)"
	}
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{class, 0, 0}, Message: msg}
}

func (m CapturedMail) clone() CapturedMail {
	m.To = append([]string(nil), m.To...)
	m.Raw = append([]byte(nil), m.Raw...)
	return m
}

// captureSession is one SMTP transaction stream on one connection.
type captureSession struct {
	capture  *SMTPCapture
	username string
	from     string
	to       []string
}

var _ smtp.AuthSession = (*captureSession)(nil)

// AuthMechanisms offers PLAIN, which is what mailout's sender uses, or only XOAUTH2 in that mode.
func (s *captureSession) AuthMechanisms() []string {
	if s.capture.xoauth2Check() != nil {
		return []string{oauth.XOAUTH2}
	}
	return []string{sasl.Plain}
}

// Auth accepts any credentials and remembers only the user name; in XOAUTH2 mode it accepts
// only a token the check approves.
func (s *captureSession) Auth(mech string) (sasl.Server, error) {
	if check := s.capture.xoauth2Check(); check != nil {
		if mech != oauth.XOAUTH2 {
			return nil, smtp.ErrAuthUnknownMechanism
		}
		return oauth.NewXOAUTH2Server(func(username, token string) error {
			if check(username, token) != nil {
				return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8},
					Message: "Authentication unsuccessful: invalid or expired token"}
			}
			s.username = username
			return nil
		}), nil
	}
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		s.username = username
		return nil
	}), nil
}

func (s *captureSession) Mail(from string, _ *smtp.MailOptions) error {
	if s.capture.xoauth2Check() != nil && s.username == "" {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *captureSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *captureSession) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m := CapturedMail{
		From:     s.from,
		To:       append([]string(nil), s.to...),
		Raw:      raw,
		At:       time.Now().UTC(),
		Username: s.username,
	}
	m.Subject, m.MessageID = parseHeaders(raw)
	return s.capture.accept(m)
}

func (s *captureSession) Reset() {
	s.from, s.to = "", nil
}

func (s *captureSession) Logout() error { return nil }

// parseHeaders reads Subject (decoded) and Message-ID from raw; a mail whose
// header cannot be parsed is still captured, with both left empty.
func parseHeaders(raw []byte) (subject, messageID string) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return "", ""
	}
	dec := mime.WordDecoder{CharsetReader: charset.Reader}
	subject = msg.Header.Get("Subject")
	if decoded, err := dec.DecodeHeader(subject); err == nil {
		subject = decoded
	}
	messageID = strings.TrimSpace(msg.Header.Get("Message-Id"))
	messageID = strings.TrimSuffix(strings.TrimPrefix(messageID, "<"), ">")
	return subject, messageID
}

// slogPrinter adapts go-smtp's ErrorLog to slog.
type slogPrinter struct{ log *slog.Logger }

func (p slogPrinter) Printf(format string, v ...any) {
	p.log.Warn(strings.TrimSpace(fmt.Sprintf(format, v...)))
}

func (p slogPrinter) Println(v ...any) {
	p.log.Warn(strings.TrimSpace(fmt.Sprintln(v...)))
}
