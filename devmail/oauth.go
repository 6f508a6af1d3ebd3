package devmail

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"
)

// TokenServer is a fake OAuth 2.0 token endpoint (RFC 6749 §4.4 client credentials and §6
// refresh token grants) on 127.0.0.1, for tests of XOAUTH2 mailboxes. Only the token it issued
// last is valid: issuing a new one revokes the previous, so a client that keeps using an old
// token is caught by the IMAP and SMTP servers' XOAUTH2 check.
type TokenServer struct {
	srv *httptest.Server

	ClientID, ClientSecret, RefreshToken string

	mu        sync.Mutex
	lifetime  time.Duration
	current   string
	expiresAt time.Time
	issued    int
	failWith  string // OAuth error code to answer with instead of a token
	failDesc  string
}

// StartTokenServer starts a token endpoint that accepts clientID/clientSecret and, for the
// refresh token grant, refreshToken. Tokens live for lifetime (expires_in).
func StartTokenServer(clientID, clientSecret, refreshToken string, lifetime time.Duration) *TokenServer {
	ts := &TokenServer{ClientID: clientID, ClientSecret: clientSecret, RefreshToken: refreshToken, lifetime: lifetime}
	ts.srv = httptest.NewServer(http.HandlerFunc(ts.serveToken))
	return ts
}

// URL is the token endpoint's address.
func (ts *TokenServer) URL() string { return ts.srv.URL + "/token" }

// Close stops the endpoint.
func (ts *TokenServer) Close() { ts.srv.Close() }

// Issued returns how many tokens the endpoint has handed out.
func (ts *TokenServer) Issued() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.issued
}

// Current returns the only access token accepted now ("" before the first).
func (ts *TokenServer) Current() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.current
}

// SetLifetime changes the expires_in of tokens issued from now on.
func (ts *TokenServer) SetLifetime(d time.Duration) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.lifetime = d
}

// Revoke makes every following token request fail with the given OAuth error (e.g.
// "invalid_grant", "AADSTS700082: The refresh token has expired") and invalidates the current
// token, as when an administrator revokes the app's consent. Revoke("", "") restores service.
func (ts *TokenServer) Revoke(code, description string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.failWith, ts.failDesc = code, description
	if code != "" {
		ts.current = ""
	}
}

// CheckToken returns nil when token is the current, unexpired token; IMAP and SMTP servers in
// XOAUTH2 mode call it.
func (ts *TokenServer) CheckToken(_, token string) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	switch {
	case token == "" || token != ts.current:
		return errors.New("invalid or revoked access token")
	case time.Now().After(ts.expiresAt):
		return errors.New("access token expired")
	}
	return nil
}

func (ts *TokenServer) serveToken(w http.ResponseWriter, r *http.Request) {
	fail := func(status int, code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	if r.Method != http.MethodPost || r.ParseForm() != nil {
		fail(http.StatusBadRequest, "invalid_request", "POST a form")
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if id != ts.ClientID || secret != ts.ClientSecret {
		fail(http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "refresh_token":
		if r.PostForm.Get("refresh_token") != ts.RefreshToken {
			fail(http.StatusBadRequest, "invalid_grant", "unknown refresh token")
			return
		}
	default:
		fail(http.StatusBadRequest, "unsupported_grant_type", "grant type not supported")
		return
	}
	if ts.failWith != "" {
		fail(http.StatusBadRequest, ts.failWith, ts.failDesc)
		return
	}
	buf := make([]byte, 12)
	_, _ = rand.Read(buf)
	ts.current = "at-" + hex.EncodeToString(buf)
	ts.expiresAt = time.Now().Add(ts.lifetime)
	ts.issued++
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"access_token": ts.current, "token_type": "Bearer", "expires_in": int(ts.lifetime / time.Second),
	})
}
