package devmail

import (
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
	"github.com/emersion/go-sasl"

	"warrantydesk/oauth"
)

// RequireXOAUTH2 switches the server to bearer-token logins, like Microsoft 365 and Gmail
// without basic authentication: AUTHENTICATE XOAUTH2 succeeds when check accepts the user name
// and token (e.g. TokenServer.CheckToken), and LOGIN and AUTHENTICATE PLAIN are refused.
// It applies to connections opened afterwards.
func (s *IMAPServer) RequireXOAUTH2(check func(username, token string) error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.xoauth2 = check
}

func (s *IMAPServer) xoauth2Check() func(username, token string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.xoauth2
}

// imapSession is one connection: the memory server's session for the one user, behind our own
// login so that XOAUTH2 can be offered (imapserver.SessionSASL).
type imapSession struct {
	*imapmemserver.UserSession // nil until logged in

	server *IMAPServer
}

var _ imapserver.SessionSASL = (*imapSession)(nil)

// Login checks the password, unless the server requires XOAUTH2.
func (sess *imapSession) Login(username, password string) error {
	if sess.server.xoauth2Check() != nil {
		return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed,
			Text: "basic authentication is disabled; use XOAUTH2"}
	}
	if username != sess.server.username {
		return imapserver.ErrAuthFailed
	}
	if err := sess.server.user.Login(username, password); err != nil {
		return err
	}
	sess.UserSession = imapmemserver.NewUserSession(sess.server.user)
	return nil
}

// AuthenticateMechanisms offers XOAUTH2 in XOAUTH2 mode, else PLAIN.
func (sess *imapSession) AuthenticateMechanisms() []string {
	if sess.server.xoauth2Check() != nil {
		return []string{oauth.XOAUTH2}
	}
	return []string{sasl.Plain}
}

// Authenticate runs AUTHENTICATE PLAIN or XOAUTH2.
func (sess *imapSession) Authenticate(mech string) (sasl.Server, error) {
	check := sess.server.xoauth2Check()
	switch {
	case mech == sasl.Plain && check == nil:
		return sasl.NewPlainServer(func(identity, username, password string) error {
			if identity != "" && identity != username {
				return imapserver.ErrAuthFailed
			}
			return sess.Login(username, password)
		}), nil
	case mech == oauth.XOAUTH2 && check != nil:
		return oauth.NewXOAUTH2Server(func(username, token string) error {
			if username != sess.server.username || check(username, token) != nil {
				return &imap.Error{Type: imap.StatusResponseTypeNo, Code: imap.ResponseCodeAuthenticationFailed,
					Text: "AUTHENTICATE failed: invalid or expired token"}
			}
			sess.UserSession = imapmemserver.NewUserSession(sess.server.user)
			return nil
		}), nil
	}
	return nil, &imap.Error{Type: imap.StatusResponseTypeNo, Text: "SASL mechanism not supported"}
}
