package app

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"warrantydesk/devmail"
	"warrantydesk/models"
)

// lockedBuffer is a log sink shared by every goroutine of a desk.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// refusingSMTP is an SMTP server that offers AUTH PLAIN and refuses every
// credential, like a relay whose password was changed.
type refusingSMTP struct {
	mu       sync.Mutex
	attempts int
}

func (r *refusingSMTP) NewSession(*smtp.Conn) (smtp.Session, error) { return &refusingSession{r}, nil }

type refusingSession struct{ r *refusingSMTP }

func (s *refusingSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *refusingSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, _ string) error {
		s.r.mu.Lock()
		s.r.attempts++
		s.r.mu.Unlock()
		return &smtp.SMTPError{Code: 535, EnhancedCode: smtp.EnhancedCode{5, 7, 8}, Message: "Authentication credentials invalid"}
	}), nil
}
func (s *refusingSession) Mail(string, *smtp.MailOptions) error { return smtp.ErrAuthRequired }
func (s *refusingSession) Rcpt(string, *smtp.RcptOptions) error { return smtp.ErrAuthRequired }
func (s *refusingSession) Data(io.Reader) error                 { return smtp.ErrAuthRequired }
func (s *refusingSession) Reset()                               {}
func (s *refusingSession) Logout() error                        { return nil }

// TestSecretsNeverInLogsOrResponses runs a full desk with distinctive
// secrets, provokes every failure that involves one (a wrong IMAP password,
// an SMTP relay refusing AUTH, failed logins, a bad API token, an internal
// error, a one-off fetch), and greps every log line and every response body
// for the secrets.
func TestSecretsNeverInLogsOrResponses(t *testing.T) {
	const (
		imapRight  = "imap-Right-Pw-7d1e0c"
		imapWrong  = "imap-Wrong-Pw-4b9a2f"
		smtpPass   = "smtp-Pw-Zq8xL2v9"
		serverKey  = "server-Secret-K3y-0f6e1d2c"
		agentPass  = "agent-Pw-horse-battery-9a"
		wrongLogin = "typed-Wrong-Pw-5c3b"
		dbPass     = "db-Pw-never-shown-8e2f"
	)
	imapSrv, err := devmail.StartIMAPServer("127.0.0.1:0", "desk", imapRight, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer imapSrv.Close()
	refuser := &refusingSMTP{}
	smtpSrv := smtp.NewServer(refuser)
	smtpSrv.AllowInsecureAuth = true
	smtpSrv.Domain = "relay.test"
	smtpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = smtpSrv.Serve(smtpLn) }()
	defer smtpSrv.Close()

	logs := &lockedBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := Defaults()
	cfg.Server.Secret = serverKey
	useTestDatabase(t, &cfg)
	if cfg.Database.Driver == models.DriverPostgres {
		// The test server trusts local connections, so a password in the
		// DSN is never checked: it is here to be looked for in the logs.
		u, err := url.Parse(cfg.Database.DSN)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(u.User.Username(), dbPass)
		cfg.Database.DSN = u.String()
	}
	cfg.IMAP = IMAPConfig{Host: imapSrv.Host(), Port: imapSrv.Port(), TLS: "none", Username: "desk", Password: imapWrong,
		Mailbox: "INBOX", Idle: true, PollInterval: Duration{time.Second}, MaxSize: 25 << 20}
	cfg.SMTP = SMTPConfig{Host: "127.0.0.1", Port: smtpLn.Addr().(*net.TCPAddr).Port, TLS: "none",
		Username: "desk@kommun.test", Password: smtpPass}
	cfg.Desk.Address = "helpdesk@kommun.test"
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := New(ctx, cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := a.Desk.CreateAgent(ctx, "eva@kommun.test", "Eva", models.RoleAdmin, agentPass)
	if err != nil {
		t.Fatal(err)
	}
	apiToken, err := a.Store.CreateAPIToken(ctx, agent.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	secrets := []string{imapRight, imapWrong, smtpPass, serverKey, agentPass, wrongLogin, apiToken, dbPass}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx, ln) }()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			if err := <-done; err != nil {
				t.Errorf("serve: %v", err)
			}
		}
	}
	defer func() { stop(); a.Close() }()

	// Intake fails: wrong IMAP password.
	if err := imapSrv.Append("INBOX", []byte("From: anna@kommun.test\r\nSubject: Hej\r\nMessage-ID: <s1@kommun.test>\r\n\r\nHej\r\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the intake error", func() bool {
		c, err := a.Store.Cursor(ctx, "INBOX")
		return err == nil && c.LastError != ""
	})
	// A one-off fetch (what `mail fetch -once` runs) fails with the same password.
	_, _, fetchErr := a.FetchOnce(ctx)
	if fetchErr == nil {
		t.Fatal("FetchOnce with a wrong password succeeded")
	}

	// The outbox fails: the relay refuses AUTH. A mail processed from the
	// store queues an acknowledgement.
	raw := []byte("From: Anna <anna@kommun.test>\r\nTo: helpdesk@kommun.test\r\nSubject: Datorn startar inte\r\n" +
		"Message-ID: <s2@kommun.test>\r\n\r\nMin dator startar inte.\r\n")
	if _, err := a.Store.RecordFetched(ctx, "manual", 1, []models.FetchedMail{{UID: 1, Raw: raw}}); err != nil {
		t.Fatal(err)
	}
	a.Processor.Kick()
	waitFor(t, "the refused SMTP login", func() bool {
		refuser.mu.Lock()
		defer refuser.mu.Unlock()
		return refuser.attempts > 0
	})
	waitFor(t, "the outbox error", func() bool {
		m, _, err := a.Store.ListOutbox(ctx, "", 10, 0)
		return err == nil && len(m) > 0 && m[0].LastError != ""
	})

	// The web: failed logins, a good one, every page, the API with good and bad tokens.
	var bodies []string
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	do := func(req *http.Request) *http.Response {
		t.Helper()
		res, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		bodies = append(bodies, req.Method+" "+req.URL.String()+"\n"+headerText(res.Header)+"\n"+string(b))
		res.Body = io.NopCloser(bytes.NewReader(b))
		return res
	}
	get := func(path string) *http.Response {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		return do(req)
	}
	csrfRe := regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	postLogin := func(email, password string) *http.Response {
		res := get("/login")
		b, _ := io.ReadAll(res.Body)
		m := csrfRe.FindSubmatch(b)
		if m == nil {
			t.Fatalf("no CSRF token on the login page")
		}
		form := url.Values{"email": {email}, "password": {password}, "_csrf": {string(m[1])}}
		req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return do(req)
	}
	if res := postLogin("eva@kommun.test", wrongLogin); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: status %d", res.StatusCode)
	}
	postLogin("nobody@kommun.test", agentPass) // someone else's password for an unknown account
	if res := postLogin("eva@kommun.test", agentPass); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("login: status %d", res.StatusCode)
	}
	for _, p := range []string{"/", "/tickets", "/tickets/1001", "/outbox", "/intake", "/healthz", "/metrics",
		"/admin/rules", "/admin", "/admin/mailbox", "/assets", "/tickets/99999999999999999999999", "/tickets/1001/messages/999/html",
		"/no/such/page", "/tickets?status=bogus"} {
		get(p)
	}
	for _, tok := range []string{apiToken, apiToken + "x", "wd_" + serverKey} {
		for _, p := range []string{"/api/v1/tickets", "/api/v1/intake", "/api/v1/tickets/1001", "/api/v1/nope"} {
			req, _ := http.NewRequest(http.MethodGet, base+p, nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			do(req)
		}
	}
	// A POST without the CSRF token, and one with a body too large.
	req, _ := http.NewRequest(http.MethodPost, base+"/tickets/1001/note", strings.NewReader("text="+url.QueryEscape(agentPass)))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	do(req)

	// An internal error: the search index disappears under the desk.
	if _, err := rawDB(t, cfg).Exec("DROP TABLE ticket_fts"); err != nil {
		t.Fatal(err)
	}
	res := get("/tickets?q=skärm")
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("search without an index: status %d, want 500", res.StatusCode)
	}
	body, _ := io.ReadAll(res.Body)
	if strings.Contains(string(body), "ticket_fts") || strings.Contains(string(body), "no such table") || strings.Contains(string(body), "does not exist") {
		t.Errorf("the 500 page shows the database error:\n%s", body)
	}
	req, _ = http.NewRequest(http.MethodGet, base+"/api/v1/tickets?q=x", nil)
	req.Header.Set("Authorization", "Bearer "+apiToken)
	if res := do(req); res.StatusCode != http.StatusInternalServerError {
		t.Errorf("API search without an index: status %d, want 500", res.StatusCode)
	}
	stop()

	logText := logs.String()
	if !strings.Contains(logText, "level=ERROR") && !strings.Contains(logText, "level=WARN") {
		t.Fatalf("no failure was logged, so the test proves nothing:\n%s", logText)
	}
	for _, want := range []string{"request failed", "SMTP error 535", "AUTHENTICATIONFAILED"} {
		if !strings.Contains(logText, want) {
			t.Errorf("log lacks %q: a provoked failure was not logged", want)
		}
	}
	places := map[string]string{"log": logText, "FetchOnce error": fetchErr.Error()}
	for i, b := range bodies {
		places["response "+strings.SplitN(b, "\n", 2)[0]+" #"+strconv.Itoa(i)] = b
	}
	cur, _ := a.Store.Cursor(context.Background(), "INBOX")
	places["stored intake error"] = cur.LastError
	if out, _, err := a.Store.ListOutbox(context.Background(), "", 10, 0); err == nil {
		for _, m := range out {
			places["stored outbox error"] += m.LastError
		}
	}
	leaks := 0
	for where, text := range places {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				leaks++
				t.Errorf("secret %.6s… appears in %s:\n%s", s, where, excerpt(text, s))
			}
		}
	}
	if testing.Verbose() {
		t.Logf("log:\n%s", logText)
	}
	t.Logf("checked %d log bytes and %d responses for %d secrets: %d leaks", len(logText), len(bodies), len(secrets), leaks)
}

func headerText(h http.Header) string {
	var b strings.Builder
	for k, v := range h {
		b.WriteString(k + ": " + strings.Join(v, ", ") + "\n")
	}
	return b.String()
}

// excerpt shows where s occurs in text.
func excerpt(text, s string) string {
	i := strings.Index(text, s)
	if i < 0 {
		return ""
	}
	return text[max(0, i-200):min(len(text), i+len(s)+100)]
}
