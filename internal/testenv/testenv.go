// Package testenv tells tests which real servers this run has, and enforces
// that CI (scripts/test.sh sets WARRANTYDESK_TEST_STRICT=1) never silently skips
// a test because a server or the browser is missing.
package testenv

import (
	"os"
	"testing"
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
