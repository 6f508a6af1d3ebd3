package mailin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"warrantydesk/oauth"
)

// Values of IMAPConfig.Auth.
const (
	AuthPassword = "password" // LOGIN, or AUTHENTICATE PLAIN when LOGIN is disabled
	AuthXOAUTH2  = "xoauth2"  // AUTHENTICATE XOAUTH2 with an OAuth 2.0 access token
)

func (cfg IMAPConfig) checkAuth() error {
	switch cfg.Auth {
	case AuthPassword:
	case AuthXOAUTH2:
		if cfg.Tokens == nil {
			return errors.New("imap: auth \"xoauth2\" needs an [oauth] section")
		}
	default:
		return fmt.Errorf("imap: auth %q is not one of password, xoauth2", cfg.Auth)
	}
	return nil
}

// loginXOAUTH2 authenticates with a bearer token (AUTHENTICATE XOAUTH2). A token the server
// rejects is dropped from the cache, so the next attempt (after Run's back-off) uses a new one
// even when the rejected token had not expired yet (revoked, or the app's rights changed).
// Neither the token nor the provider's secrets appear in the returned error.
func (f *Fetcher) loginXOAUTH2(ctx context.Context, c *imapclient.Client) error {
	if !slices.Contains(c.Caps().AuthMechanisms(), oauth.XOAUTH2) {
		// Microsoft 365 and Gmail both advertise it; a server that does not cannot take tokens.
		return errors.New("server does not offer AUTHENTICATE XOAUTH2")
	}
	token, err := f.cfg.Tokens.AccessToken(ctx)
	if err != nil {
		return err // a *oauth.RenewError: the provider's reason, secrets removed
	}
	if err := c.Authenticate(oauth.NewXOAUTH2Client(f.cfg.Username, token)); err != nil {
		f.cfg.Tokens.Invalidate(token)
		var imapErr *imap.Error
		if errors.As(err, &imapErr) {
			return fmt.Errorf("XOAUTH2 token refused: %s", imapErr.Text)
		}
		return fmt.Errorf("XOAUTH2: %w", err)
	}
	return nil
}
