package app

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"warrantydesk/devmail"
	"warrantydesk/models"
)

const (
	oauthTestSecret = "entra-client-secret-never-logged"
	oauthTestUser   = "helpdesk@kommun.test"
)

// staffMail is a plain staff mail with CRLF line ends.
func staffMail(n int, from, subject string) []byte {
	return []byte(strings.ReplaceAll(fmt.Sprintf("From: Anna Svensson <%s>\n"+
		"To: IT-helpdesk <helpdesk@kommun.test>\nSubject: %s\nMessage-ID: <staff-%d-%d@kommun.test>\n"+
		"Date: Tue, 14 Oct 2025 09:12:00 +0200\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"+
		"Hej! Datorn startar inte sedan i morse.\n", from, subject, n, time.Now().UnixNano()), "\n", "\r\n"))
}

func startTestIMAP(t *testing.T, user, password string) *devmail.IMAPServer {
	t.Helper()
	srv, err := devmail.StartIMAPServer("127.0.0.1:0", user, password, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func newTestDesk(t *testing.T, cfg Config, logs *lockedBuffer) *App {
	t.Helper()
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	a, err := New(t.Context(), cfg, slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Close() })
	return a
}

// A Microsoft 365 style desk: IMAP and SMTP take only tokens from the (fake) Entra ID endpoint.
func TestXOAUTH2DeskReportsRevokedToken(t *testing.T) {
	tokens := devmail.StartTokenServer("app-id", oauthTestSecret, "", time.Hour)
	t.Cleanup(tokens.Close)
	var mu sync.Mutex
	var presented []string
	check := func(user, token string) error {
		mu.Lock()
		presented = append(presented, token)
		mu.Unlock()
		if user != oauthTestUser {
			return fmt.Errorf("wrong user %q", user)
		}
		return tokens.CheckToken(user, token)
	}
	imapSrv := startTestIMAP(t, oauthTestUser, "unused")
	imapSrv.RequireXOAUTH2(check)
	capture, err := devmail.StartSMTPCapture("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = capture.Close() })
	capture.RequireXOAUTH2(check)

	cfg := Defaults()
	useTestDatabase(t, &cfg)
	cfg.Desk.Address = oauthTestUser
	cfg.IMAP = IMAPConfig{Host: imapSrv.Host(), Port: imapSrv.Port(), TLS: "none", Username: oauthTestUser,
		Auth: "xoauth2", Mailbox: "INBOX", PollInterval: Duration{time.Second}, MaxSize: 25 << 20}
	cfg.SMTP = SMTPConfig{Host: capture.Host(), Port: capture.Port(), TLS: "none", Username: oauthTestUser, Auth: "xoauth2"}
	cfg.OAuth = OAuthConfig{Provider: "microsoft", TenantID: "kommun.test", ClientID: "app-id",
		ClientSecret: oauthTestSecret, TokenURL: tokens.URL()}
	logs := &lockedBuffer{}
	a := newTestDesk(t, cfg, logs)
	ctx := t.Context()
	if _, err := a.Desk.CreateAgent(ctx, "eva@kommun.test", "Eva", models.RoleAdmin, "correct horse battery"); err != nil {
		t.Fatal(err)
	}

	if err := imapSrv.Append("INBOX", staffMail(1, "anna.svensson@kommun.test", "Datorn startar inte")); err != nil {
		t.Fatal(err)
	}
	fetched, processed, err := a.FetchOnce(ctx)
	if err != nil || fetched != 1 || processed != 1 {
		t.Fatalf("FetchOnce = %d fetched, %d processed, %v", fetched, processed, err)
	}
	// The acknowledgement went out over SMTP with the same token (one token request in all).
	if msgs := capture.Messages(); len(msgs) != 1 || msgs[0].Username != oauthTestUser {
		t.Fatalf("SMTP capture got %+v, want the acknowledgement sent as %s", msgs, oauthTestUser)
	}
	if tokens.Issued() != 1 {
		t.Errorf("token endpoint asked %d times, want 1 (the token is reused while valid)", tokens.Issued())
	}
	if h := a.Health(ctx); !h.OK || !h.Checks["oauth"].OK {
		t.Fatalf("health = %+v, want OK", h)
	}

	// The app's consent is withdrawn in Entra ID.
	const reason = "AADSTS7000112: Application is disabled."
	tokens.Revoke("unauthorized_client", reason)
	for range 3 { // the token the server now refuses, then the failed renewals
		if _, _, err := a.FetchOnce(ctx); err == nil {
			t.Fatal("FetchOnce succeeded with a revoked app")
		}
	}
	h := a.Health(ctx)
	if h.OK || h.Checks["oauth"].OK || !strings.Contains(h.Checks["oauth"].Detail, reason) {
		t.Errorf("health = %+v, want the oauth check failing with %q", h, reason)
	}
	rec := httptest.NewRecorder()
	handler, err := a.Handler()
	if err != nil {
		t.Fatal(err)
	}
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "AADSTS7000112") {
		t.Errorf("/healthz = %d %s, want 503 naming the provider's reason", rec.Code, rec.Body)
	}
	// One alert to the admin, however many passes failed; it waits in the outbox (SMTP needs the token too).
	mails, _, err := a.Store.ListOutbox(ctx, "", 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, m := range mails {
		if m.Purpose == "alert" {
			alerts++
			if m.Recipients != "eva@kommun.test" {
				t.Errorf("alert went to %q", m.Recipients)
			}
		}
	}
	if alerts != 1 {
		t.Errorf("%d alert mails queued, want exactly 1 a day", alerts)
	}

	// Consent restored: intake and delivery resume, health clears.
	tokens.Revoke("", "")
	if _, _, err := a.FetchOnce(ctx); err != nil {
		t.Fatalf("FetchOnce after recovery: %v", err)
	}
	if h := a.Health(ctx); !h.Checks["oauth"].OK {
		t.Errorf("oauth check still failing after recovery: %+v", h.Checks["oauth"])
	}

	mu.Lock()
	secrets := append([]string{oauthTestSecret}, presented...)
	mu.Unlock()
	for _, s := range secrets {
		if s != "" && (strings.Contains(logs.String(), s) || strings.Contains(rec.Body.String(), s)) {
			t.Errorf("secret or token %q leaked into the log or /healthz", s)
		}
	}
}

// The helpdesk address and a separate address for reseller replies, on two servers, feed one desk.
func TestSeveralMailboxesFeedOneDesk(t *testing.T) {
	desk := startTestIMAP(t, "helpdesk@kommun.test", "pw-desk")
	reseller := startTestIMAP(t, "garantisvar@kommun.test", "pw-reseller")

	cfg := Defaults()
	useTestDatabase(t, &cfg)
	cfg.Desk.Address = "helpdesk@kommun.test"
	cfg.IMAP = IMAPConfig{Host: desk.Host(), Port: desk.Port(), TLS: "none", Username: "helpdesk@kommun.test",
		Password: "pw-desk", Auth: "password", Mailbox: "INBOX", PollInterval: Duration{time.Second}, MaxSize: 25 << 20}
	// Only what differs is set: tls, mailbox, poll_interval and max_size come from [imap].
	cfg.Mailboxes = []MailboxConfig{{Name: "reseller", Host: reseller.Host(), Port: reseller.Port(),
		Username: "garantisvar@kommun.test", Password: "pw-reseller"}}
	a := newTestDesk(t, cfg, &lockedBuffer{})
	ctx := t.Context()

	if err := desk.Append("INBOX", staffMail(1, "anna@kommun.test", "Skärmen flimrar")); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := reseller.Append("INBOX", staffMail(10+i, "bo@kommun.test", fmt.Sprintf("Tangentbord %d", i))); err != nil {
			t.Fatal(err)
		}
	}
	fetched, processed, err := a.FetchOnce(ctx)
	if err != nil || fetched != 3 || processed != 3 {
		t.Fatalf("FetchOnce = %d fetched, %d processed, %v; want 3 from two mailboxes", fetched, processed, err)
	}
	// Each account keeps its own cursor; the first keeps the key existing databases have.
	for key, want := range map[string]uint32{"INBOX": 1, "reseller:INBOX": 2} {
		cur, err := a.Store.Cursor(ctx, key)
		if err != nil || cur.LastUID != want {
			t.Errorf("cursor %q: last UID %d (%v), want %d", key, cur.LastUID, err, want)
		}
	}
	perMailbox := map[string]int{}
	for _, r := range intakeOutcomes(t, a.Store) {
		perMailbox[r.Mailbox]++
	}
	if perMailbox["INBOX"] != 1 || perMailbox["reseller:INBOX"] != 2 {
		t.Errorf("intake records per mailbox = %v", perMailbox)
	}
	h := a.Health(ctx)
	if _, ok := h.Checks["intake"]; !ok {
		t.Errorf("no health check \"intake\": %+v", h.Checks)
	}
	if c, ok := h.Checks["intake:reseller"]; !ok || !c.OK || c.LastSuccess == nil {
		t.Errorf("health check \"intake:reseller\" = %+v (present %v), want OK with a last success", c, ok)
	}

	// The reseller mailbox's server goes away: the helpdesk mailbox is still read, and the
	// failure names the mailbox and is noted on its own cursor only.
	_ = reseller.Close()
	if err := desk.Append("INBOX", staffMail(2, "anna@kommun.test", "Laddaren")); err != nil {
		t.Fatal(err)
	}
	fetched, _, err = a.FetchOnce(ctx)
	if fetched != 1 || err == nil || !strings.Contains(err.Error(), "mailbox reseller:INBOX") {
		t.Errorf("FetchOnce with one server down = %d, %v; want 1 and an error naming reseller:INBOX", fetched, err)
	}
	if cur, _ := a.Store.Cursor(ctx, "reseller:INBOX"); cur.LastError == "" {
		t.Error("the reseller cursor has no error noted")
	}
	if cur, _ := a.Store.Cursor(ctx, "INBOX"); cur.LastError != "" {
		t.Errorf("the helpdesk cursor got the other mailbox's error %q", cur.LastError)
	}
}

func TestMailboxConfigErrors(t *testing.T) {
	base := "[imap]\nhost = \"mail\"\nusername = \"u\"\n"
	tests := []struct{ name, toml, want string }{
		{"xoauth2 without oauth", base + "auth = \"xoauth2\"\n", `config imap.auth: is "xoauth2" but oauth.provider is empty`},
		{"bad auth", "[smtp]\nhost = \"mail\"\nauth = \"ntlm\"\n", `config smtp.auth: "ntlm" is not one of password, xoauth2`},
		{"microsoft without tenant", "[oauth]\nprovider = \"microsoft\"\nclient_id = \"a\"\nclient_secret = \"b\"\n", "config oauth.tenant_id: is empty"},
		{"unknown provider", "[oauth]\nprovider = \"yahoo\"\n", `config oauth.provider: "yahoo" is not one of microsoft, google`},
		{"mailbox without name", base + "[[mailboxes]]\nusername = \"v\"\n", "config mailboxes[0].name"},
		{"duplicate name", base + "[[mailboxes]]\nname = \"r\"\nusername = \"v\"\n[[mailboxes]]\nname = \"R\"\nusername = \"w\"\n", `config mailboxes[1].name: "R" is listed twice`},
		{"same folder twice", base + "[[mailboxes]]\nname = \"again\"\n", `config mailboxes[0].mailbox: "INBOX" of u on mail is already read as imap`},
		{"no host anywhere", "[[mailboxes]]\nname = \"r\"\nusername = \"v\"\n", "config mailboxes[0].host: is empty and so is imap.host"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tt.toml), nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v does not contain %q", err, tt.want)
			}
		})
	}
}

func TestOAuthSecretFromEnvironment(t *testing.T) {
	path := writeConfig(t, "[oauth]\nprovider = \"google\"\nclient_id = \"c\"\n")
	cfg, err := LoadConfig(path, []string{"WARRANTYDESK_OAUTH_CLIENT_SECRET=s3cret", "WARRANTYDESK_OAUTH_REFRESH_TOKEN=1//rt"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.OAuth.ClientSecret != "s3cret" || cfg.OAuth.RefreshToken != "1//rt" {
		t.Errorf("oauth from environment = %+v", cfg.OAuth)
	}
}
