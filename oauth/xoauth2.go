package oauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"
)

// XOAUTH2 is the SASL mechanism name of Google's and Microsoft's bearer-token login
// (https://developers.google.com/gmail/imap/xoauth2-protocol).
const XOAUTH2 = "XOAUTH2"

// xoauth2Client is the client side of XOAUTH2: one initial response carrying the bearer token.
type xoauth2Client struct {
	username, token string
	serverError     []byte // the JSON error challenge, when the server rejected the token
}

// NewXOAUTH2Client returns a SASL client that logs username in with an OAuth 2.0 access token.
func NewXOAUTH2Client(username, accessToken string) sasl.Client {
	return &xoauth2Client{username: username, token: accessToken}
}

// Start sends "user=<u>^Aauth=Bearer <token>^A^A" as the initial response.
func (c *xoauth2Client) Start() (string, []byte, error) {
	return XOAUTH2, []byte("user=" + c.username + "\x01auth=Bearer " + c.token + "\x01\x01"), nil
}

// Next answers the server's only possible challenge — a JSON error report sent before the final
// NO/535 — with an empty response, as the protocol asks, so the server finishes the exchange.
func (c *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	c.serverError = challenge
	return []byte{}, nil
}

// XOAUTH2Error is the JSON error report an XOAUTH2 server sends before rejecting a token.
type XOAUTH2Error struct {
	Status  string `json:"status"`
	Schemes string `json:"schemes"`
	Scope   string `json:"scope"`
}

// ErrXOAUTH2Malformed is returned by the server side for a response that is not XOAUTH2.
var ErrXOAUTH2Malformed = errors.New("malformed XOAUTH2 response")

// ParseXOAUTH2 splits an XOAUTH2 initial response into the user name and the bearer token.
func ParseXOAUTH2(resp []byte) (username, token string, err error) {
	for _, field := range bytes.Split(resp, []byte{1}) {
		k, v, ok := strings.Cut(string(field), "=")
		if !ok {
			continue
		}
		switch k {
		case "user":
			username = v
		case "auth":
			scheme, tok, ok := strings.Cut(v, " ")
			if !ok || !strings.EqualFold(scheme, "Bearer") {
				return "", "", ErrXOAUTH2Malformed
			}
			token = tok
		}
	}
	if username == "" || token == "" {
		return "", "", ErrXOAUTH2Malformed
	}
	return username, token, nil
}

// xoauth2Server is the server side, for the in-process test servers of package devmail.
type xoauth2Server struct {
	check    func(username, token string) error
	rejected error // set after the error challenge went out; the next response ends the exchange
}

// NewXOAUTH2Server returns a SASL server that accepts a bearer token when check returns nil.
// A rejected token gets the JSON error challenge real servers send, then check's error.
func NewXOAUTH2Server(check func(username, token string) error) sasl.Server {
	return &xoauth2Server{check: check}
}

// Next implements sasl.Server.
func (s *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if s.rejected != nil {
		return nil, true, s.rejected
	}
	if resp == nil {
		return []byte{}, false, nil // ask for the initial response
	}
	username, token, err := ParseXOAUTH2(resp)
	if err != nil {
		return nil, true, err
	}
	if err := s.check(username, token); err != nil {
		s.rejected = err
		challenge, _ := json.Marshal(XOAUTH2Error{Status: "401", Schemes: "bearer", Scope: "https://mail.example/"})
		return challenge, false, nil
	}
	return nil, true, nil
}
