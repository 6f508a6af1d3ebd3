// Package testenv tells tests which real servers this run has, and enforces
// that CI (scripts/test.sh sets WARRANTYDESK_TEST_STRICT=1) never silently skips
// a test because a server or the browser is missing.
package testenv

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"os"
	"testing"
	"time"

	"warrantydesk/devmail"
)

// Strict reports whether missing test infrastructure is an error.
func Strict() bool { return os.Getenv("WARRANTYDESK_TEST_STRICT") == "1" }

// SkipUnless skips t with reason when ok is false, or fails it in strict mode.
func SkipUnless(t testing.TB, ok bool, reason string) {
	t.Helper()
	if ok {
		return
	}
	if Strict() {
		t.Fatalf("%s (WARRANTYDESK_TEST_STRICT=1: scripts/test.sh must provide it)", reason)
	}
	t.Skip(reason)
}

// Dovecot returns the host:port of the test Dovecot started by scripts/dovecot.sh, skipping t when there is none.
func Dovecot(t testing.TB) string {
	t.Helper()
	addr := os.Getenv("WARRANTYDESK_TEST_DOVECOT")
	SkipUnless(t, addr != "", "WARRANTYDESK_TEST_DOVECOT not set (scripts/dovecot.sh start sets it)")
	return addr
}

// SelfSignedTLS returns a server TLS config with a fresh self-signed
// certificate for 127.0.0.1, valid for an hour, for tests of TLS clients.
func SelfSignedTLS(t testing.TB) *tls.Config {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

// MailPeers starts an in-process IMAP server (user "desk", password "pw") and
// an SMTP capture on free loopback ports, both closed when t ends.
func MailPeers(t testing.TB) (*devmail.IMAPServer, *devmail.SMTPCapture) {
	t.Helper()
	imapSrv, err := devmail.StartIMAPServer("127.0.0.1:0", "desk", "pw", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = imapSrv.Close() })
	capture, err := devmail.StartSMTPCapture("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = capture.Close() })
	return imapSrv, capture
}
