package mailout

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"strconv"
	"strings"
)

// Message-ID layout: "wd.<ticket>.<random>.<signature>@<domain>". The
// signature lets threading trust an In-Reply-To/References entry as ours
// without a database lookup, and stops a sender from attaching mail to an
// arbitrary ticket by guessing an id (DESIGN.md, "Threading order").
const (
	idPrefix  = "wd."
	randomLen = 10 // base32 characters, 50 bits
	sigLen    = 12 // base32 characters, 60 bits of HMAC-SHA256
)

// idEncoding is lowercase RFC 4648 base32 without padding. Base32 is
// case-insensitive, so a relay that changes case cannot break verification.
var idEncoding = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// IDSigner makes and verifies our Message-IDs.
type IDSigner struct {
	key    []byte
	domain string
}

// NewIDSigner returns a signer using secret as the HMAC key and domain as the
// right-hand side of every Message-ID. It panics if secret or domain is empty:
// an unkeyed signer would let anyone forge thread references, which is a
// wiring bug to catch at start, not at the first mail.
func NewIDSigner(secret []byte, domain string) *IDSigner {
	if len(secret) == 0 {
		panic("mailout: NewIDSigner needs a non-empty secret")
	}
	domain = strings.ToLower(strings.TrimSpace(domain))
	if domain == "" || strings.ContainsAny(domain, "@<> \t\r\n") {
		panic("mailout: NewIDSigner needs a plain domain name, got " + strconv.Quote(domain))
	}
	return &IDSigner{key: append([]byte(nil), secret...), domain: domain}
}

// New returns a fresh Message-ID (without <>) for the given ticket number, of the form
// "wd.<ticket>.<random base32 10 chars>.<hmac base32 first 12 chars>@<domain>" — HMAC-SHA256 over "<ticket>.<random>".
func (s *IDSigner) New(ticket int64) string {
	var rnd [7]byte // 56 bits, encoded to 12 chars, cut to 10 (50 bits)
	_, _ = rand.Read(rnd[:])
	random := idEncoding.EncodeToString(rnd[:])[:randomLen]
	payload := strconv.FormatInt(ticket, 10) + "." + random
	return idPrefix + payload + "." + s.sign(payload) + "@" + s.domain
}

// Ticket returns the ticket number a Message-ID (with or without <>) was made for, and whether it is ours and its signature is valid (constant-time compare).
func (s *IDSigner) Ticket(messageID string) (int64, bool) {
	id := strings.TrimSpace(messageID)
	id = strings.TrimSuffix(strings.TrimPrefix(id, "<"), ">")
	local, domain, ok := strings.Cut(id, "@")
	if !ok || !strings.EqualFold(domain, s.domain) {
		return 0, false
	}
	local = strings.ToLower(local)
	if !strings.HasPrefix(local, idPrefix) {
		return 0, false
	}
	parts := strings.Split(local[len(idPrefix):], ".")
	if len(parts) != 3 || !isDigits(parts[0]) || len(parts[1]) != randomLen || len(parts[2]) != sigLen {
		return 0, false
	}
	n, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return 0, false
	}
	want := s.sign(parts[0] + "." + parts[1])
	if !hmac.Equal([]byte(want), []byte(parts[2])) {
		return 0, false
	}
	return n, true
}

func (s *IDSigner) sign(payload string) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(payload))
	return idEncoding.EncodeToString(mac.Sum(nil))[:sigLen]
}

func isDigits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// signLabel separates signatures made by Sign from Message-ID signatures
// made with the same key.
const signLabel = "sign\x00"

// Sign returns a URL-safe signature (26 lowercase base32 characters, 130
// bits of HMAC-SHA256 under the signer's key) over payload. Callers put what
// the payload is for into it (e.g. "status:1001"), so that a signature made
// for one purpose is never accepted for another.
func (s *IDSigner) Sign(payload string) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(signLabel + payload))
	return idEncoding.EncodeToString(mac.Sum(nil))[:26]
}

// Verify reports whether sig is Sign(payload), in constant time.
func (s *IDSigner) Verify(payload, sig string) bool {
	return hmac.Equal([]byte(s.Sign(payload)), []byte(strings.ToLower(sig)))
}
