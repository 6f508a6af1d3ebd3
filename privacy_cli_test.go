package main

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"warrantydesk/devmail"
	"warrantydesk/internal/testenv"
	"warrantydesk/models"
)

// TestPrivacyAndTokenCommands drives the GDPR, retention, token and search
// optimize commands of the real binary on a database filled by
// `mail fetch -once`.
func TestPrivacyAndTokenCommands(t *testing.T) {
	imapSrv, err := devmail.StartIMAPServer("127.0.0.1:0", "desk", "imap-Pw-Cli-8f3e", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer imapSrv.Close()
	for _, raw := range []string{
		"From: Anna Lindqvist <anna@kommun.test>\r\nTo: helpdesk@kommun.test\r\nSubject: Skärmen är sprucken\r\nMessage-ID: <c1@kommun.test>\r\n\r\nRing mig på 070-1234567.\r\n",
		"From: Lars Nilsson <lars@kommun.test>\r\nTo: helpdesk@kommun.test\r\nSubject: Skrivaren\r\nMessage-ID: <c2@kommun.test>\r\n\r\nSkrivaren är trasig.\r\n",
	} {
		if err := imapSrv.Append("INBOX", []byte(raw)); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "wd.toml"), fmt.Sprintf(`
[database]
dsn = "wd.db"
[imap]
host = %q
port = %d
tls = "none"
username = "desk"
[desk]
address = "helpdesk@kommun.test"
`, imapSrv.Host(), imapSrv.Port()))
	db := useTestDatabase(t, dir, filepath.Join(dir, "wd.db"))

	// A wrong password: a one-line reason that does not repeat it.
	r := wd(t, dir, []string{"WARRANTYDESK_IMAP_PASSWORD=wrong-Pw-Cli-2a7c"}, "", "mail", "fetch", "-once", "-config", "wd.toml")
	if r.code == 0 || strings.Contains(r.stdout+r.stderr, "wrong-Pw-Cli-2a7c") || !strings.HasPrefix(lastLine(r.stderr), "warrantydesk mail fetch: ") {
		t.Errorf("fetch with a wrong password: %+v", r)
	}
	pw := []string{"WARRANTYDESK_IMAP_PASSWORD=imap-Pw-Cli-8f3e"}
	if r := wd(t, dir, pw, "", "mail", "fetch", "-once", "-config", "wd.toml"); r.code != 0 || !strings.Contains(r.stdout, "fetched 2") {
		t.Fatalf("fetch: %+v", r)
	}

	// Export: JSON with her data, flags after the command words.
	r = wd(t, dir, nil, "", "requester", "export", "-config", "wd.toml", "-email", "Anna@kommun.test")
	var ex struct {
		Requester struct{ Name string }
		Messages  []struct{ Text string }
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &ex) != nil || ex.Requester.Name != "Anna Lindqvist" ||
		len(ex.Messages) == 0 || !strings.Contains(r.stdout, "070-1234567") {
		t.Fatalf("export: %+v", r)
	}
	if r := wd(t, dir, nil, "", "requester", "export", "-config", "wd.toml"); r.code != 2 {
		t.Errorf("export without -email: %+v", r)
	}

	// Erase asks first; a wrong answer erases nothing.
	r = wd(t, dir, nil, "no\n", "requester", "erase", "-email", "anna@kommun.test", "-config", "wd.toml")
	if r.code != 1 || !strings.Contains(lastLine(r.stderr), "not confirmed") {
		t.Errorf("unconfirmed erase: %+v", r)
	}
	if r := wd(t, dir, nil, "", "requester", "export", "-email", "anna@kommun.test", "-config", "wd.toml"); !strings.Contains(r.stdout, "070-1234567") {
		t.Fatalf("an unconfirmed erase changed data")
	}
	r = wd(t, dir, nil, "anna@kommun.test\n", "requester", "erase", "-email", "anna@kommun.test", "-config", "wd.toml")
	if r.code != 0 || !strings.Contains(r.stdout, "erased anna@kommun.test (now erased-") {
		t.Fatalf("erase: %+v", r)
	}
	if r := wd(t, dir, nil, "", "requester", "erase", "-yes", "-email", "anna@kommun.test", "-config", "wd.toml"); r.code != 0 ||
		!strings.Contains(r.stdout, ": 0 tickets, 0 messages") {
		t.Errorf("second erase: %+v", r)
	}
	r = wd(t, dir, nil, "", "requester", "export", "-email", "anna@kommun.test", "-config", "wd.toml")
	if r.code != 0 || strings.Contains(r.stdout, "070-1234567") || strings.Contains(r.stdout, "Lindqvist") {
		t.Errorf("export after erase: %+v", r)
	}

	// Retention: needs a period; nothing is closed, so nothing happens.
	if r := wd(t, dir, nil, "", "retention", "run", "-config", "wd.toml"); r.code != 2 {
		t.Errorf("retention without -months: %+v", r)
	}
	if r := wd(t, dir, nil, "", "retention", "run", "-months", "12", "-config", "wd.toml"); r.code != 0 || !strings.Contains(r.stdout, "erased 0 tickets") {
		t.Errorf("retention: %+v", r)
	}
	if r := wd(t, dir, nil, "", "requester", "export", "-email", "lars@kommun.test", "-config", "wd.toml"); !strings.Contains(r.stdout, "Skrivaren är trasig") {
		t.Errorf("retention touched an open ticket: %+v", r)
	}

	// The search index merged by hand: one piece on SQLite (PostgreSQL's
	// index has none to merge); the tickets are still found.
	want := "into 1 in"
	if testenv.OnPostgres() {
		want = "from 0 pieces into 0"
	}
	if r := wd(t, dir, nil, "", "search", "optimize", "-config", "wd.toml"); r.code != 0 || !strings.Contains(r.stdout, want) {
		t.Errorf("search optimize: %+v, want %q", r, want)
	}
	if r := wd(t, dir, nil, "", "search", "optimize", "now", "-config", "wd.toml"); r.code != 2 {
		t.Errorf("search optimize with an argument: %+v", r)
	}

	// Tokens: list never shows a token; revoke stops them.
	if r := wd(t, dir, []string{"WARRANTYDESK_PASSWORD=correct horse battery"}, "", "user", "add", "-email", "eva@kommun.test", "-name", "Eva", "-config", "wd.toml"); r.code != 0 {
		t.Fatalf("user add: %+v", r)
	}
	var tokens []string
	for range 2 {
		r := wd(t, dir, nil, "", "token", "create", "-email", "eva@kommun.test", "-config", "wd.toml")
		if r.code != 0 {
			t.Fatalf("token create: %+v", r)
		}
		tokens = append(tokens, strings.TrimSpace(r.stdout))
	}
	ctx := context.Background()
	store, err := models.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.AgentByAPIToken(ctx, tokens[0]); err != nil { // what the API does on each request
		t.Fatal(err)
	}
	store.Close()
	r = wd(t, dir, nil, "", "token", "list", "-email", "eva@kommun.test", "-config", "wd.toml")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if r.code != 0 || len(lines) != 3 || !strings.Contains(lines[0], "LAST USED") {
		t.Fatalf("token list: %+v", r)
	}
	if f := strings.Fields(lines[1]); len(f) != 5 || f[3] == "-" || f[4] != "-" {
		t.Errorf("used token: last used and revoked columns %v", f)
	}
	if f := strings.Fields(lines[2]); len(f) != 5 || f[3] != "-" {
		t.Errorf("unused token: %v", f)
	}
	for _, tok := range tokens {
		if strings.Contains(r.stdout, tok) || strings.Contains(r.stdout, models.HashToken(tok)) {
			t.Errorf("token list shows a token or its hash")
		}
	}
	if r := wd(t, dir, nil, "", "token", "revoke", "-email", "eva@kommun.test", "-config", "wd.toml"); r.code != 0 || !strings.Contains(r.stdout, "revoked 2 token(s)") {
		t.Errorf("token revoke: %+v", r)
	}
	if r := wd(t, dir, nil, "", "token", "revoke", "-email", "eva@kommun.test", "-config", "wd.toml"); r.code != 0 || !strings.Contains(r.stdout, "revoked 0 token(s)") {
		t.Errorf("second revoke: %+v", r)
	}
	store, err = models.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for _, tok := range tokens {
		if _, err := store.AgentByAPIToken(ctx, tok); err == nil {
			t.Errorf("a revoked token still works")
		}
	}
	if r := wd(t, dir, nil, "", "token", "list", "-email", "nobody@kommun.test", "-config", "wd.toml"); r.code != 1 || !strings.Contains(r.stderr, "not found") {
		t.Errorf("token list for an unknown user: %+v", r)
	}
}
