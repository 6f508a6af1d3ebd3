package mailout

import (
	"context"
	"errors"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"warrantydesk/oauth"
)

// Values of SMTPConfig.Auth.
const (
	AuthPassword = "password" // AUTH PLAIN when a user name is set
	AuthXOAUTH2  = "xoauth2"  // AUTH XOAUTH2 with an OAuth 2.0 access token
)

// authenticate logs in as the configuration asks, or not at all for a password-less relay.
// With XOAUTH2 a token the server refuses is dropped from the cache so the next attempt gets a
// fresh one; the token never appears in the error.
func (s *SMTPSender) authenticate(ctx context.Context, c *smtp.Client) error {
	if s.cfg.Auth != AuthXOAUTH2 {
		if s.cfg.Username == "" {
			return nil
		}
		return c.Auth(sasl.NewPlainClient("", s.cfg.Username, s.cfg.Password))
	}
	if s.cfg.Tokens == nil {
		return errors.New("auth \"xoauth2\" needs an [oauth] section")
	}
	token, err := s.cfg.Tokens.AccessToken(ctx)
	if err != nil {
		return err // a *oauth.RenewError: the provider's reason, secrets removed
	}
	if err := c.Auth(oauth.NewXOAUTH2Client(s.cfg.Username, token)); err != nil {
		s.cfg.Tokens.Invalidate(token)
		return err
	}
	return nil
}
