package mailout

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/emersion/go-smtp"

	"warrantydesk/oauth"
)

// TLS modes of SMTPConfig.TLS.
const (
	TLSImplicit = "implicit" // TLS from the first byte (port 465, RFC 8314)
	TLSStartTLS = "starttls" // plain connect, then STARTTLS (port 587); required, never skipped
	TLSNone     = "none"     // plain text; only for local relays and tests
)

// SMTPConfig says how to reach the submission server.
type SMTPConfig struct {
	Host               string
	Port               int
	TLS                string // TLSImplicit, TLSStartTLS or TLSNone; empty means TLSStartTLS
	Username, Password string // AUTH PLAIN when Username is set
	// Auth is "password" (default: AUTH PLAIN when Username is set) or "xoauth2" (AUTH XOAUTH2
	// as Username with a bearer token from Tokens, for Microsoft 365 and Gmail).
	Auth     string
	Tokens   oauth.Bearer
	HeloName string // EHLO name; empty means "localhost"
	// Timeout bounds one whole delivery (connect to QUIT) when the caller's
	// context has no earlier deadline; zero means two minutes.
	Timeout            time.Duration
	InsecureSkipVerify bool // accept any server certificate (test servers only)
}

// Sender delivers one raw message.
type Sender interface {
	Send(ctx context.Context, from string, to []string, raw []byte) error
}

// SMTPSender delivers mail to one SMTP submission server, one connection per
// message. The outbox sends little mail, so a pooled connection would add
// state (and failure modes) without a measurable gain.
type SMTPSender struct {
	cfg SMTPConfig
}

var _ Sender = (*SMTPSender)(nil)

// NewSMTPSender returns a Sender for cfg.
func NewSMTPSender(cfg SMTPConfig) *SMTPSender {
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 2 * time.Minute
	}
	return &SMTPSender{cfg: cfg}
}

// SendError is a failed delivery attempt: the SMTP stage that failed and why.
// Its message never contains the password.
type SendError struct {
	Stage string // "connect", "tls", "hello", "auth", "mail", "rcpt", "data"
	Addr  string // server host:port
	Err   error
}

// Error names the stage and server; the password never appears in it.
func (e *SendError) Error() string {
	return fmt.Sprintf("smtp %s (%s): %v", e.Stage, e.Addr, e.Err)
}

// Unwrap returns the underlying error, often a *smtp.SMTPError.
func (e *SendError) Unwrap() error { return e.Err }

// IsPermanent reports whether err is a permanent SMTP failure (5xx) that should not be retried.
//
// Only replies about this message count (MAIL, RCPT, DATA): a 5xx to EHLO or
// AUTH means our configuration is wrong, which an administrator can fix, so
// queued mail keeps retrying instead of failing en masse. A 552 to RCPT is
// treated as temporary, as RFC 5321 §4.5.3.1.10 asks of clients.
func IsPermanent(err error) bool {
	var smtpErr *smtp.SMTPError
	if !errors.As(err, &smtpErr) || smtpErr.Code < 500 || smtpErr.Code > 599 {
		return false
	}
	var sendErr *SendError
	if errors.As(err, &sendErr) {
		switch sendErr.Stage {
		case "mail", "data":
			return true
		case "rcpt":
			return smtpErr.Code != 552
		default:
			return false
		}
	}
	return true
}

// Send delivers raw to the server for the envelope from → to. It returns nil
// only once the server has accepted the DATA; a failed QUIT after that is
// ignored because the mail is already the server's responsibility. Every
// recipient must be accepted, or nothing is sent.
//
// Cancelling ctx aborts the session, except while waiting for the reply to
// the end of DATA: that wait is bounded only by the deadline (ctx's or
// SMTPConfig.Timeout), because abandoning it cannot unsend the mail.
func (s *SMTPSender) Send(ctx context.Context, from string, to []string, raw []byte) (err error) {
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	fail := func(stage string, err error) error {
		ctxErr := ctx.Err()
		if deadline, ok := ctx.Deadline(); ok && ctxErr == nil && !time.Now().Before(deadline) {
			ctxErr = context.DeadlineExceeded // go-smtp's own timer fired first
		}
		if ctxErr != nil {
			// The connection was closed under us because of ctx: report
			// that, not the resulting "use of closed network connection".
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
		if isTLSError(err) {
			stage = "tls" // with STARTTLS the handshake runs lazily, under EHLO
		}
		return &SendError{Stage: stage, Addr: addr, Err: err}
	}
	if len(to) == 0 {
		return &SendError{Stage: "rcpt", Addr: addr, Err: errors.New("no recipients")}
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()

	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fail("connect", err)
	}
	// go-smtp sets its own per-command deadlines, so ctx is enforced by
	// closing the connection when it ends; every blocked read then fails.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer func() {
		if err != nil {
			_ = conn.Close()
		}
	}()

	tlsConfig := &tls.Config{
		ServerName:         s.cfg.Host,
		InsecureSkipVerify: s.cfg.InsecureSkipVerify, // opt-in, for test servers only
		MinVersion:         tls.VersionTLS12,
	}
	var c *smtp.Client
	switch s.cfg.TLS {
	case TLSImplicit:
		tlsConn := tls.Client(conn, tlsConfig)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return fail("tls", err)
		}
		c = smtp.NewClient(tlsConn)
	case TLSStartTLS:
		// The EHLO before STARTTLS introduces us as "localhost" (go-smtp
		// offers no way to name it); the one after, which counts, uses HeloName.
		c, err = smtp.NewClientStartTLS(conn, tlsConfig)
		if err != nil {
			return fail("tls", err)
		}
	case TLSNone:
		c = smtp.NewClient(conn)
	default:
		return fail("connect", fmt.Errorf("unknown TLS mode %q (want implicit, starttls or none)", s.cfg.TLS))
	}
	if deadline, ok := ctx.Deadline(); ok {
		// A backstop only: ctx closing the connection normally ends a
		// stalled command first, which gives the clearer error.
		c.CommandTimeout = time.Until(deadline) + time.Second
		c.SubmissionTimeout = c.CommandTimeout
	}

	helo := s.cfg.HeloName
	if helo == "" {
		helo = "localhost"
	}
	if err := c.Hello(helo); err != nil {
		return fail("hello", err)
	}
	if err := s.authenticate(ctx, c); err != nil {
		return fail("auth", fmt.Errorf("as %q: %w", s.cfg.Username, err))
	}
	if err := c.Mail(from, nil); err != nil {
		return fail("mail", fmt.Errorf("from <%s>: %w", from, err))
	}
	for _, rcpt := range to {
		if err := c.Rcpt(rcpt, nil); err != nil {
			return fail("rcpt", fmt.Errorf("to <%s>: %w", rcpt, err))
		}
	}
	w, err := c.Data()
	if err != nil {
		return fail("data", err)
	}
	if _, err := w.Write(raw); err != nil {
		return fail("data", err)
	}
	// The whole message is written: from here on wait for the server's
	// verdict even if ctx is cancelled (bounded by the deadline), since
	// hanging up now could only turn a delivered mail into a duplicate.
	stop()
	if err := w.Close(); err != nil {
		return fail("data", err)
	}
	// Accepted. From here on the mail must count as sent whatever happens.
	_ = c.Quit()
	return nil
}

func isTLSError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var alert tls.AlertError
	var record tls.RecordHeaderError
	return errors.As(err, &certErr) || errors.As(err, &alert) || errors.As(err, &record)
}
