package mailout

import (
	"strings"
	"sync"
	"testing"
	"time"

	"warrantydesk/devmail"
	"warrantydesk/oauth"
)

func TestSMTPSenderXOAUTH2(t *testing.T) {
	const secret, refresh = "smtp-client-secret-never-logged", "1//refresh-token-never-logged"
	tokens := devmail.StartTokenServer("gmail-app", secret, refresh, 4*time.Minute)
	t.Cleanup(tokens.Close)
	capture := startCapture(t, "127.0.0.1:0")
	var mu sync.Mutex
	var presented []string
	capture.RequireXOAUTH2(func(user, token string) error {
		mu.Lock()
		defer mu.Unlock()
		presented = append(presented, token)
		return tokens.CheckToken(user, token)
	})
	seen := func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), presented...)
	}
	src, err := oauth.New(oauth.Config{Provider: oauth.ProviderGoogle, ClientID: "gmail-app", ClientSecret: secret,
		RefreshToken: refresh, TokenURL: tokens.URL()})
	if err != nil {
		t.Fatal(err)
	}
	send := func(s *SMTPSender) error {
		return s.Send(t.Context(), "helpdesk@kommun.example", []string{"garanti@refurbo.example"}, []byte("Subject: x\r\n\r\nbody\r\n"))
	}
	sender := NewSMTPSender(SMTPConfig{Host: capture.Host(), Port: capture.Port(), TLS: TLSNone,
		Username: "helpdesk@kommun.example", Auth: AuthXOAUTH2, Tokens: src})

	t.Run("password refused", func(t *testing.T) {
		plain := NewSMTPSender(SMTPConfig{Host: capture.Host(), Port: capture.Port(), TLS: TLSNone,
			Username: "helpdesk@kommun.example", Password: testPassword})
		if err := send(plain); err == nil || strings.Contains(err.Error(), testPassword) {
			t.Fatalf("AUTH PLAIN against an XOAUTH2-only server: %v", err)
		}
	})
	t.Run("sends with a token renewed before expiry", func(t *testing.T) {
		for range 2 {
			if err := send(sender); err != nil {
				t.Fatalf("Send: %v", err)
			}
		}
		msgs := capture.Messages()
		if len(msgs) != 2 || msgs[1].Username != "helpdesk@kommun.example" {
			t.Fatalf("capture got %d mails (%+v), want 2 from the XOAUTH2 user", len(msgs), msgs)
		}
		// 4-minute tokens are inside the 5-minute margin: each send used a new one.
		if p := seen(); tokens.Issued() != 2 || len(p) != 2 || p[0] == p[1] {
			t.Errorf("issued %d tokens, presented %d, want a fresh token per send", tokens.Issued(), len(p))
		}
	})
	t.Run("revoked refresh token", func(t *testing.T) {
		tokens.Revoke("invalid_grant", "Token has been expired or revoked.")
		// First the server refuses the cached token, then the endpoint refuses to renew it.
		for i, want := range []string{"smtp auth", "invalid_grant: Token has been expired or revoked."} {
			err := send(sender)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("attempt %d: Send = %v, want %q", i+1, err, want)
			}
			if IsPermanent(err) {
				t.Errorf("attempt %d: %v counts as permanent; queued mail must wait for the fix", i+1, err)
			}
			for _, s := range append([]string{secret, refresh}, seen()...) {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error %q contains secret %q", err, s)
				}
			}
		}
	})
}
