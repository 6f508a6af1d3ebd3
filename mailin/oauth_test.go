package mailin

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"warrantydesk/devmail"
	"warrantydesk/oauth"
)

const (
	testOAuthClientID = "11111111-app"
	testOAuthSecret   = "imap-client-secret-never-logged"
)

// lockedBuffer collects log output written from several goroutines.
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

// xoauth2Fixture is an IMAP server that takes only bearer tokens from a fake Microsoft token
// endpoint, and a Fetcher configured for it.
type xoauth2Fixture struct {
	imap      *imapMemServer
	tokens    *devmail.TokenServer
	source    *oauth.TokenSource
	logs      *lockedBuffer
	fetcher   *Fetcher
	mu        sync.Mutex
	presented []string // every token a client presented
}

func startXOAUTH2Fixture(t *testing.T, lifetime time.Duration) *xoauth2Fixture {
	t.Helper()
	fx := &xoauth2Fixture{imap: startIMAPMemServer(t, "127.0.0.1:0"), logs: &lockedBuffer{}}
	fx.tokens = devmail.StartTokenServer(testOAuthClientID, testOAuthSecret, "", lifetime)
	t.Cleanup(fx.tokens.Close)
	fx.imap.srv.RequireXOAUTH2(func(user, token string) error {
		fx.mu.Lock()
		fx.presented = append(fx.presented, token)
		fx.mu.Unlock()
		return fx.tokens.CheckToken(user, token)
	})
	src, err := oauth.New(oauth.Config{Provider: oauth.ProviderMicrosoft, TenantID: "kommun.example",
		ClientID: testOAuthClientID, ClientSecret: testOAuthSecret, TokenURL: fx.tokens.URL()})
	if err != nil {
		t.Fatal(err)
	}
	fx.source = src
	cfg := fx.imap.config("INBOX")
	cfg.Password, cfg.Auth, cfg.Tokens = "", AuthXOAUTH2, src
	logger := slog.New(slog.NewTextHandler(fx.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	fx.fetcher = NewFetcher(cfg, imapTestStore(t), logger)
	return fx
}

// assertNoSecrets fails when a token or the client secret appears in text.
func (fx *xoauth2Fixture) assertNoSecrets(t *testing.T, what, text string) {
	t.Helper()
	fx.mu.Lock()
	secrets := append([]string{testOAuthSecret}, fx.presented...)
	fx.mu.Unlock()
	for _, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a secret or token %q:\n%s", what, s, text)
		}
	}
}

func TestFetchWithXOAUTH2(t *testing.T) {
	// Tokens live 4 minutes: inside the 5-minute margin, so each is replaced before its next use.
	fx := startXOAUTH2Fixture(t, 4*time.Minute)
	fx.imap.appendMail(t, "INBOX", newIMAPTestMail(t, 1, "Trasig skärm", "Trasig skärm").raw)
	n, err := fx.fetcher.FetchOnce(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("FetchOnce = %d, %v; want 1 mail", n, err)
	}
	first := fx.tokens.Current()

	fx.imap.appendMail(t, "INBOX", newIMAPTestMail(t, 2, "Tangentbord", "Tangentbord").raw)
	n, err = fx.fetcher.FetchOnce(t.Context())
	if err != nil || n != 1 {
		t.Fatalf("second FetchOnce = %d, %v; want 1 mail", n, err)
	}
	// The first token was still valid at the server, but near expiry: a new one must have been used.
	if fx.tokens.Issued() != 2 || fx.tokens.Current() == first {
		t.Errorf("token endpoint issued %d tokens, want 2 (renewed before expiry)", fx.tokens.Issued())
	}
	fx.assertNoSecrets(t, "log", fx.logs.String())
}

func TestFetchWithXOAUTH2RefusesPasswordLogin(t *testing.T) {
	fx := startXOAUTH2Fixture(t, time.Hour)
	cfg := fx.imap.config("INBOX") // auth = password
	_, err := NewFetcher(cfg, imapTestStore(t), nil).FetchOnce(t.Context())
	if err == nil {
		t.Fatal("a password login to an XOAUTH2-only server succeeded")
	}
	if strings.Contains(err.Error(), testIMAPPass) {
		t.Errorf("error %q contains the password", err)
	}
}

func TestFetchWithXOAUTH2RevokedConsent(t *testing.T) {
	fx := startXOAUTH2Fixture(t, time.Hour)
	if _, err := fx.fetcher.FetchOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The administrator withdraws consent: the endpoint refuses and the issued token stops working.
	reason := "AADSTS7000215: Invalid client secret provided. Secret: " + testOAuthSecret
	fx.tokens.Revoke("invalid_client", reason)
	_, err := fx.fetcher.FetchOnce(t.Context())
	if err == nil || !strings.Contains(err.Error(), "XOAUTH2 token refused") {
		t.Fatalf("FetchOnce with a revoked token = %v, want the server's refusal", err)
	}
	fx.assertNoSecrets(t, "error", err.Error())
	// The refused token was dropped: the next attempt asks the endpoint, which gives the reason.
	_, err = fx.fetcher.FetchOnce(t.Context())
	if err == nil || !strings.Contains(err.Error(), "invalid_client: AADSTS7000215: Invalid client secret provided") {
		t.Fatalf("FetchOnce = %v, want the provider's reason", err)
	}
	fx.assertNoSecrets(t, "error", err.Error())
	if st := fx.source.Status(); st.OK || !strings.Contains(st.Detail, "AADSTS7000215") {
		t.Errorf("token status = %+v, want failing with the provider's reason", st)
	}
	cur, cerr := fx.fetcher.store.Cursor(t.Context(), "INBOX")
	if cerr != nil || !strings.Contains(cur.LastError, "AADSTS7000215") {
		t.Errorf("cursor error = %q (%v), want the provider's reason", cur.LastError, cerr)
	}
	fx.assertNoSecrets(t, "cursor error", cur.LastError)

	// Consent restored: intake resumes without a restart.
	fx.tokens.Revoke("", "")
	fx.imap.appendMail(t, "INBOX", newIMAPTestMail(t, 3, "Laddare", "Laddare").raw)
	if n, err := fx.fetcher.FetchOnce(t.Context()); err != nil || n != 1 {
		t.Errorf("FetchOnce after recovery = %d, %v", n, err)
	}
	fx.assertNoSecrets(t, "log", fx.logs.String())
}
