package oauth_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"warrantydesk/devmail"
	"warrantydesk/oauth"
)

const (
	testClientID     = "app-1234"
	testClientSecret = "client-secret-XYZ-do-not-log"
	testRefreshToken = "refresh-token-ABC-do-not-log"
)

func newSource(t *testing.T, provider string, ts *devmail.TokenServer) *oauth.TokenSource {
	t.Helper()
	src, err := oauth.New(oauth.Config{Provider: provider, TenantID: "contoso.example", ClientID: testClientID,
		ClientSecret: testClientSecret, RefreshToken: testRefreshToken, TokenURL: ts.URL()})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestTokenSourceRenewsBeforeExpiry(t *testing.T) {
	for _, provider := range []string{oauth.ProviderMicrosoft, oauth.ProviderGoogle} {
		t.Run(provider, func(t *testing.T) {
			// An hour-long token is reused: one request for three logins.
			ts := devmail.StartTokenServer(testClientID, testClientSecret, testRefreshToken, time.Hour)
			defer ts.Close()
			src := newSource(t, provider, ts)
			for range 3 {
				tok, err := src.AccessToken(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				if err := ts.CheckToken("", tok); err != nil {
					t.Fatalf("token not accepted: %v", err)
				}
			}
			if got := ts.Issued(); got != 1 {
				t.Errorf("an hour-long token was requested %d times for 3 uses, want 1", got)
			}
			// A token with 4 minutes left is inside the 5-minute margin: it is replaced before use,
			// while the server would still have taken it.
			ts.SetLifetime(4 * time.Minute)
			src.Invalidate(ts.Current())
			old, err := src.AccessToken(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			fresh, err := src.AccessToken(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if old == fresh || ts.Issued() != 3 {
				t.Errorf("a token 4 minutes from expiry was reused (issued %d, want 3)", ts.Issued())
			}
			if err := ts.CheckToken("", fresh); err != nil {
				t.Errorf("renewed token not accepted: %v", err)
			}
			if st := src.Status(); !st.OK || st.Refreshes != 3 {
				t.Errorf("status = %+v, want OK with 3 refreshes", st)
			}
		})
	}
}

func TestTokenSourceReportsFailedRenewalWithoutSecrets(t *testing.T) {
	ts := devmail.StartTokenServer(testClientID, testClientSecret, testRefreshToken, time.Minute)
	defer ts.Close()
	src := newSource(t, oauth.ProviderGoogle, ts)
	failed := make(chan oauth.Status, 1)
	src.OnFailure(func(st oauth.Status) { failed <- st })
	if _, err := src.AccessToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	// The provider echoes the refresh token in its reason, as some do: it must still not leak.
	ts.Revoke("invalid_grant", "Token has been expired or revoked: "+testRefreshToken)
	_, err := src.AccessToken(t.Context())
	var rerr *oauth.RenewError
	if !errors.As(err, &rerr) {
		t.Fatalf("err = %v, want a *RenewError", err)
	}
	for _, secret := range []string{testClientSecret, testRefreshToken} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains a secret", err)
		}
	}
	if !strings.Contains(err.Error(), "invalid_grant: Token has been expired or revoked") {
		t.Errorf("error %q does not give the provider's reason", err)
	}
	st := src.Status()
	if st.OK || st.Detail != rerr.Detail || st.LastFailure.IsZero() {
		t.Errorf("status = %+v, want failing with the reason", st)
	}
	select {
	case got := <-failed:
		if got.OK {
			t.Error("OnFailure got an OK status")
		}
	case <-time.After(5 * time.Second):
		t.Error("OnFailure was not called")
	}
	// Service restored: the next request succeeds and clears the failure.
	ts.Revoke("", "")
	if _, err := src.AccessToken(t.Context()); err != nil {
		t.Fatal(err)
	}
	if st := src.Status(); !st.OK || st.Detail != "" {
		t.Errorf("status after recovery = %+v", st)
	}
}

func TestTokenSourceWrongClientSecret(t *testing.T) {
	ts := devmail.StartTokenServer(testClientID, "another-secret", testRefreshToken, time.Minute)
	defer ts.Close()
	_, err := newSource(t, oauth.ProviderMicrosoft, ts).AccessToken(t.Context())
	if err == nil || !strings.Contains(err.Error(), "invalid_client") || strings.Contains(err.Error(), testClientSecret) {
		t.Errorf("err = %v, want invalid_client without the secret", err)
	}
}

func TestConfigCheckNamesTheKey(t *testing.T) {
	tests := []struct {
		name string
		cfg  oauth.Config
		want string
	}{
		{"unknown provider", oauth.Config{Provider: "yahoo"}, "oauth.provider"},
		{"microsoft without tenant", oauth.Config{Provider: "microsoft", ClientID: "a", ClientSecret: "b"}, "oauth.tenant_id"},
		{"google without refresh token", oauth.Config{Provider: "google", ClientID: "a", ClientSecret: "b"}, "oauth.refresh_token"},
		{"no client id", oauth.Config{Provider: "microsoft", TenantID: "t", ClientSecret: "b"}, "oauth.client_id"},
		{"bad token url", oauth.Config{Provider: "microsoft", TenantID: "t", ClientID: "a", ClientSecret: "b", TokenURL: "ftp://x"}, "oauth.token_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.cfg.Check(); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Check() = %v, want an error naming %s", err, tt.want)
			}
		})
	}
}

func TestXOAUTH2InitialResponse(t *testing.T) {
	c := oauth.NewXOAUTH2Client("helpdesk@kommun.example", "ya29.token")
	mech, ir, err := c.Start()
	if err != nil || mech != "XOAUTH2" {
		t.Fatalf("Start() = %q, %v", mech, err)
	}
	// The exact bytes of https://developers.google.com/gmail/imap/xoauth2-protocol.
	if want := []byte("user=helpdesk@kommun.example\x01auth=Bearer ya29.token\x01\x01"); !bytes.Equal(ir, want) {
		t.Errorf("initial response %q, want %q", ir, want)
	}
	user, tok, err := oauth.ParseXOAUTH2(ir)
	if err != nil || user != "helpdesk@kommun.example" || tok != "ya29.token" {
		t.Errorf("ParseXOAUTH2 = %q %q %v", user, tok, err)
	}
	if resp, err := c.Next([]byte(`{"status":"401"}`)); err != nil || len(resp) != 0 {
		t.Errorf("the answer to an error challenge must be empty, got %q %v", resp, err)
	}
}
