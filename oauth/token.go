package oauth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Providers of Config.Provider.
const (
	ProviderMicrosoft = "microsoft" // Microsoft 365: client credentials grant (an app registration)
	ProviderGoogle    = "google"    // Google Workspace / Gmail: a refresh token of the mailbox's user
)

// Defaults of Config.
const (
	// DefaultMicrosoftScope is the scope of IMAP and SMTP for an app with client credentials.
	DefaultMicrosoftScope = "https://outlook.office365.com/.default"
	// DefaultGoogleTokenURL is Google's token endpoint.
	DefaultGoogleTokenURL = "https://oauth2.googleapis.com/token"
	// DefaultGoogleScope is the scope Google requires for IMAP and SMTP.
	DefaultGoogleScope = "https://mail.google.com/"
	// DefaultEarlyRefresh is how long before its expiry a token is replaced: a token must
	// outlive the longest login it is used for, and a renewal that fails has time to be retried.
	DefaultEarlyRefresh = 5 * time.Minute
	tokenRequestTimeout = 30 * time.Second
	maxDetail           = 300 // characters of a provider's error text kept for health
)

// Config says where tokens come from.
type Config struct {
	Provider     string // ProviderMicrosoft or ProviderGoogle
	TenantID     string // Microsoft: the directory (tenant) ID or domain
	ClientID     string
	ClientSecret string
	RefreshToken string // Google
	// Scope is space-separated; default DefaultMicrosoftScope for Microsoft. Google takes the
	// scopes granted with the refresh token, so it is usually left empty there.
	Scope string
	// TokenURL overrides the provider's token endpoint (tests, sovereign clouds).
	TokenURL string
	// EarlyRefresh is how long before expiry a token is renewed; default DefaultEarlyRefresh.
	EarlyRefresh time.Duration
	// HTTPClient makes the token requests; default a client with a 30 s timeout.
	HTTPClient *http.Client
}

// Check reports the first missing or invalid setting, naming the key as in [oauth].
func (cfg Config) Check() error {
	switch cfg.Provider {
	case ProviderMicrosoft:
		if cfg.TenantID == "" && cfg.TokenURL == "" {
			return errors.New("oauth.tenant_id is empty (needed for provider \"microsoft\")")
		}
	case ProviderGoogle:
		if cfg.RefreshToken == "" {
			return errors.New("oauth.refresh_token is empty (needed for provider \"google\")")
		}
	default:
		return fmt.Errorf("oauth.provider %q is not one of microsoft, google", cfg.Provider)
	}
	if cfg.ClientID == "" {
		return errors.New("oauth.client_id is empty")
	}
	if cfg.ClientSecret == "" {
		return errors.New("oauth.client_secret is empty")
	}
	if cfg.TokenURL != "" {
		if u, err := url.Parse(cfg.TokenURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("oauth.token_url %q is not an http(s) URL", cfg.TokenURL)
		}
	}
	return nil
}

// Status is the state of token renewal, for health checks and alerts.
type Status struct {
	OK          bool      // no renewal has failed since the last success
	Detail      string    // the provider's reason for the last failure, secrets removed
	LastSuccess time.Time // zero before the first token
	LastFailure time.Time
	Refreshes   int // tokens obtained so far
}

// TokenSource hands out access tokens, renewing each EarlyRefresh before it expires.
// It is safe for concurrent use by every mailbox and the SMTP sender.
type TokenSource struct {
	fetch   func(ctx context.Context) (*oauth2.Token, error) // always asks the provider
	early   time.Duration
	secrets []string // replaced in every error text

	mu        sync.Mutex
	cached    *oauth2.Token
	status    Status
	onFailure []func(Status)
}

// New returns a TokenSource for cfg; it does not contact the provider until the first token is needed.
func New(cfg Config) (*TokenSource, error) {
	if err := cfg.Check(); err != nil {
		return nil, err
	}
	early := cfg.EarlyRefresh
	if early <= 0 {
		early = DefaultEarlyRefresh
	}
	httpClient := cfg.HTTPClient
	if httpClient == nil {
		httpClient = &http.Client{Timeout: tokenRequestTimeout}
	}
	ts := &TokenSource{early: early, status: Status{OK: true}}
	for _, s := range []string{cfg.ClientSecret, cfg.RefreshToken} {
		if len(s) >= 4 {
			ts.secrets = append(ts.secrets, s)
		}
	}
	withClient := func(ctx context.Context) context.Context {
		return context.WithValue(ctx, oauth2.HTTPClient, httpClient)
	}
	var scopes []string
	if cfg.Scope != "" {
		scopes = strings.Fields(cfg.Scope)
	}
	switch cfg.Provider {
	case ProviderMicrosoft:
		tokenURL := cfg.TokenURL
		if tokenURL == "" {
			tokenURL = "https://login.microsoftonline.com/" + url.PathEscape(cfg.TenantID) + "/oauth2/v2.0/token"
		}
		if scopes == nil {
			scopes = []string{DefaultMicrosoftScope}
		}
		cc := &clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
			TokenURL: tokenURL, Scopes: scopes, AuthStyle: oauth2.AuthStyleInParams}
		// Config.Token always asks the endpoint; caching is ours (see Token).
		ts.fetch = func(ctx context.Context) (*oauth2.Token, error) { return cc.Token(withClient(ctx)) }
	case ProviderGoogle:
		tokenURL := cfg.TokenURL
		if tokenURL == "" {
			tokenURL = DefaultGoogleTokenURL
		}
		oc := &oauth2.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, Scopes: scopes,
			Endpoint: oauth2.Endpoint{TokenURL: tokenURL, AuthStyle: oauth2.AuthStyleInParams}}
		refresh := cfg.RefreshToken
		var refreshMu sync.Mutex
		ts.fetch = func(ctx context.Context) (*oauth2.Token, error) {
			refreshMu.Lock()
			defer refreshMu.Unlock()
			// A token without an access token makes the package refresh at once.
			tok, err := oc.TokenSource(withClient(ctx), &oauth2.Token{RefreshToken: refresh}).Token()
			if err != nil {
				return nil, err
			}
			if tok.RefreshToken != "" && tok.RefreshToken != refresh {
				refresh = tok.RefreshToken // the provider rotated it
				ts.addSecret(refresh)
			}
			return tok, nil
		}
	}
	return ts, nil
}

// OnFailure registers fn to be called (in its own goroutine) after every failed renewal.
func (ts *TokenSource) OnFailure(fn func(Status)) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.onFailure = append(ts.onFailure, fn)
}

// AccessToken returns a token valid for at least EarlyRefresh more, renewing it first when needed.
// The reuse rule is oauth2.ReuseTokenSourceWithExpiry's: a token is reused while it is not within
// EarlyRefresh of its expiry. A failed renewal is recorded in Status and returned as a *RenewError
// that holds no secret.
func (ts *TokenSource) AccessToken(ctx context.Context) (string, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cached != nil {
		// Asking a reuse source built on the cached token applies the package's expiry test
		// without ever calling through to the provider while the token is good.
		reuse := oauth2.ReuseTokenSourceWithExpiry(ts.cached, failingSource{}, ts.early)
		if tok, err := reuse.Token(); err == nil {
			return tok.AccessToken, nil
		}
	}
	ctx, cancel := context.WithTimeout(ctx, tokenRequestTimeout)
	defer cancel()
	tok, err := ts.fetch(ctx)
	now := time.Now()
	if err == nil && tok.AccessToken == "" {
		err = errors.New("the token endpoint answered without an access token")
	}
	if err != nil {
		rerr := &RenewError{Detail: ts.sanitize(describe(err))}
		ts.status.OK, ts.status.Detail, ts.status.LastFailure = false, rerr.Detail, now
		st := ts.status
		for _, fn := range ts.onFailure {
			go fn(st)
		}
		return "", rerr
	}
	ts.cached = tok
	ts.status.OK, ts.status.Detail, ts.status.LastSuccess = true, "", now
	ts.status.Refreshes++
	return tok.AccessToken, nil
}

// Invalidate drops token from the cache, so the next AccessToken asks the provider: a server
// that rejects a token not yet expired (revoked, or permissions changed) gets a fresh one next time.
func (ts *TokenSource) Invalidate(token string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.cached != nil && ts.cached.AccessToken == token {
		ts.cached = nil
	}
}

// Status returns the state of renewal.
func (ts *TokenSource) Status() Status {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.status
}

func (ts *TokenSource) addSecret(s string) {
	// Called from fetch, with ts.mu held by AccessToken.
	if len(s) >= 4 {
		ts.secrets = append(ts.secrets, s)
	}
}

// sanitize removes every secret and control character from a provider's error text and shortens it.
func (ts *TokenSource) sanitize(s string) string {
	for _, secret := range ts.secrets {
		s = strings.ReplaceAll(s, secret, "[redacted]")
	}
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > maxDetail {
		s = string(r[:maxDetail]) + "…"
	}
	return s
}

// describe turns a token request error into the provider's own words, without the response body
// (which may echo request fields) unless the provider gave no error code.
func describe(err error) string {
	var rerr *oauth2.RetrieveError
	if errors.As(err, &rerr) {
		status := ""
		if rerr.Response != nil {
			status = rerr.Response.Status + ": "
		}
		switch {
		case rerr.ErrorCode != "" && rerr.ErrorDescription != "":
			return status + rerr.ErrorCode + ": " + rerr.ErrorDescription
		case rerr.ErrorCode != "":
			return status + rerr.ErrorCode
		default:
			return strings.TrimSuffix(status, ": ")
		}
	}
	var uerr *url.Error
	if errors.As(err, &uerr) {
		return "token endpoint unreachable: " + uerr.Err.Error()
	}
	return err.Error()
}

// RenewError is a failed token renewal; Detail is the provider's reason with secrets removed.
type RenewError struct{ Detail string }

func (e *RenewError) Error() string { return "oauth token renewal failed: " + e.Detail }

// failingSource backs the reuse test in AccessToken: reaching it means "renew".
type failingSource struct{}

func (failingSource) Token() (*oauth2.Token, error) { return nil, errors.New("renew") }

// Bearer is what an IMAP or SMTP client needs of a TokenSource.
type Bearer interface {
	AccessToken(ctx context.Context) (string, error)
	Invalidate(token string)
}

var _ Bearer = (*TokenSource)(nil)
