package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"warrantydesk/internal/testenv"
	"warrantydesk/internal/teststore"
	"warrantydesk/models"
)

// binary is the real warrantydesk, built once for the command tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "wd-bin-")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "warrantydesk")
	out, err := exec.Command("go", "build", "-tags", "sqlite_fts5", "-o", binary, ".").CombinedOutput()
	if err != nil {
		panic("build: " + err.Error() + "\n" + string(out))
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	code           int
	stdout, stderr string
}

// wd runs the binary in dir with args and extra environment.
func wd(t *testing.T, dir string, env []string, stdin string, args ...string) result {
	t.Helper()
	cmd := exec.CommandContext(context.Background(), binary, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), databaseEnv(dir)...), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return result{code, out.String(), errb.String()}
}

// cliDatabases holds the PostgreSQL database of each directory the CLI
// tests run commands in, when the suite runs on PostgreSQL.
var cliDatabases sync.Map

// useTestDatabase gives the commands run in dir the suite's database and
// returns its Options, for the test to open it too: on SQLite the file
// sqlitePath, which dir's config names; on PostgreSQL a fresh database,
// handed to the commands by environment overrides of database.driver and
// database.dsn (with the server.secret PostgreSQL requires).
func useTestDatabase(t *testing.T, dir, sqlitePath string) models.Options {
	t.Helper()
	if !testenv.OnPostgres() {
		return models.Options{DSN: sqlitePath}
	}
	driver, dsn := teststore.Database(t)
	cliDatabases.Store(dir, []string{"WARRANTYDESK_DATABASE_DRIVER=" + driver, "WARRANTYDESK_DATABASE_DSN=" + dsn,
		"WARRANTYDESK_SERVER_SECRET=cli-test-secret-0123456789"})
	t.Cleanup(func() { cliDatabases.Delete(dir) })
	return models.Options{Driver: driver, DSN: dsn}
}

// databaseEnv is the environment that points commands run in dir at its
// test database (none on SQLite).
func databaseEnv(dir string) []string {
	env, _ := cliDatabases.Load(dir)
	e, _ := env.([]string)
	return e
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// lastLine is the one-line reason a failing command prints.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func TestCommandsOnARealDatabase(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "prod.toml"), `
[database]
dsn = "db/desk.db"
[desk]
address = "helpdesk@kommun.test"
[[vendors]]
name = "Refurbo AB"
email = "garanti@refurbo.test"
auto_forward = true
`)
	useTestDatabase(t, dir, filepath.Join(dir, "db", "desk.db"))
	if r := wd(t, dir, nil, "", "migrate", "-config", "prod.toml"); r.code != 0 || !strings.Contains(r.stdout, "schema at version") {
		t.Fatalf("migrate: %+v", r)
	}
	// Password from the environment, flags in any order.
	r := wd(t, dir, []string{"WARRANTYDESK_PASSWORD=correct horse battery"}, "", "user", "add", "-config", "prod.toml", "-email", "Eva@Kommun.test", "-name", "Eva Admin", "-role", "admin")
	if r.code != 0 || !strings.Contains(r.stdout, "eva@kommun.test") {
		t.Fatalf("user add: %+v", r)
	}
	// Password from standard input when there is no terminal.
	r = wd(t, dir, nil, "another long password\n", "user", "add", "-email", "olle@kommun.test", "-name", "Olle", "-config", "prod.toml")
	if r.code != 0 {
		t.Fatalf("user add with stdin password: %+v", r)
	}
	r = wd(t, dir, []string{"WARRANTYDESK_PASSWORD=correct horse battery"}, "", "user", "add", "-config", "prod.toml", "-email", "eva@kommun.test", "-name", "Eva")
	if r.code == 0 || !strings.Contains(lastLine(r.stderr), "already exists") {
		t.Errorf("duplicate user must fail with a reason: %+v", r)
	}
	r = wd(t, dir, []string{"WARRANTYDESK_PASSWORD=short"}, "", "user", "add", "-config", "prod.toml", "-email", "x@kommun.test", "-name", "X")
	if r.code == 0 || !strings.Contains(r.stderr, "password") {
		t.Errorf("short password must be refused: %+v", r)
	}
	r = wd(t, dir, nil, "", "token", "create", "-email", "eva@kommun.test", "-config", "prod.toml")
	if r.code != 0 || !strings.HasPrefix(strings.TrimSpace(r.stdout), "wd_") {
		t.Fatalf("token create: %+v", r)
	}
	if r := wd(t, dir, nil, "", "token", "create", "-email", "nobody@kommun.test", "-config", "prod.toml"); r.code == 0 {
		t.Errorf("token for an unknown user must fail: %+v", r)
	}

	// Asset import: the positional file before the flag; bad rows named, good rows kept.
	writeFile(t, filepath.Join(dir, "fleet.csv"), "serial,model,vendor,delivered_on,warranty_months\n"+
		"pf3-kx2a1,ThinkPad T14,Refurbo AB,2025-11-01,36\n"+
		"5CG2341XYZ,EliteBook 840,Refurbo AB,2025-13-01,36\n"+
		",Nameless,Refurbo AB,2025-01-01,36\n"+
		"PF3KX2A1,ThinkPad T14 duplicate,Refurbo AB,2025-11-01,36\n"+
		"7XK9P13,Latitude 5420,Unknown Reseller,2025-01-01,36\n")
	r = wd(t, dir, nil, "", "assets", "import", "fleet.csv", "-config", "prod.toml")
	if r.code == 0 {
		t.Errorf("import with failed rows must exit non-zero")
	}
	if !strings.Contains(r.stdout, "imported 1, updated 0, failed 4") {
		t.Errorf("summary line: %q", r.stdout)
	}
	for _, want := range []string{`row 3 column "delivered_on"`, `row 4 column "serial": is empty`, `row 5 column "serial": serial PF3KX2A1 is already on row 2`, `row 6 column "vendor"`} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("import errors lack %q:\n%s", want, r.stderr)
		}
	}
	writeFile(t, filepath.Join(dir, "fleet2.csv"), "Serial;Model;Vendor;Delivered_On\nPF3KX2A1;ThinkPad T14 Gen 2;Refurbo AB;2025-11-01\n5CG2341XYZ;EliteBook 840 G8;Refurbo AB;2025-10-01\n")
	r = wd(t, dir, nil, "", "assets", "import", "-config", "prod.toml", "fleet2.csv")
	if r.code != 0 || !strings.Contains(r.stdout, "imported 1, updated 1, failed 0") {
		t.Errorf("re-import (semicolons, upsert): %+v", r)
	}

	// A reseller's list with columns the registry does not use still imports.
	writeFile(t, filepath.Join(dir, "fleet3.csv"), "serial,model,price_sek,order_no\n7XK9P13,Latitude 5420,5400,PO-77\n")
	r = wd(t, dir, nil, "", "assets", "import", "fleet3.csv", "-config", "prod.toml")
	if r.code != 0 || !strings.Contains(r.stdout, "imported 1, updated 0, failed 0") ||
		!strings.Contains(r.stderr, "ignoring unknown column(s) order_no, price_sek") {
		t.Errorf("extra columns: %+v", r)
	}

	r = wd(t, dir, nil, "", "backup", filepath.Join(dir, "copy.db"), "-config", "prod.toml")
	if testenv.OnPostgres() {
		// backup copies a SQLite file; PostgreSQL has pg_dump.
		if r.code == 0 || !strings.Contains(lastLine(r.stderr), "pg_dump") {
			t.Errorf("backup on PostgreSQL must fail pointing to pg_dump: %+v", r)
		}
		return
	}
	if r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	if r := wd(t, dir, nil, "", "backup", filepath.Join(dir, "copy.db"), "-config", "prod.toml"); r.code == 0 {
		t.Errorf("backup must not overwrite an existing file")
	}
	// The copy is a working database with the same data.
	writeFile(t, filepath.Join(dir, "copy.toml"), "[database]\ndsn = \"copy.db\"\n")
	r = wd(t, dir, nil, "", "token", "create", "-email", "eva@kommun.test", "-config", "copy.toml")
	if r.code != 0 {
		t.Errorf("the backup copy lacks the users: %+v", r)
	}
}

func TestCommandErrorsAreOneLine(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "bad.toml"), "[imap]\nhots = \"mail\"\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown config key", []string{"migrate", "-config", "bad.toml"}, 1, "unknown key imap.hots"},
		{"missing config file", []string{"migrate", "-config", "nope.toml"}, 1, "nope.toml"},
		{"missing csv", []string{"assets", "import", "none.csv"}, 1, "none.csv"},
		{"fetch without imap", []string{"mail", "fetch", "-once", "-config", "ok.toml"}, 1, "imap.host"},
		{"import without file", []string{"assets", "import"}, 2, "give exactly one CSV file"},
	}
	writeFile(t, filepath.Join(dir, "ok.toml"), "[database]\ndsn = \"x.db\"\n")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := wd(t, dir, nil, "", tt.args...)
			if r.code != tt.code {
				t.Errorf("exit %d, want %d (%+v)", r.code, tt.code, r)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.want)
			}
			if tt.code == 1 && strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && !strings.HasPrefix(lastLine(r.stderr), "warrantydesk ") {
				t.Errorf("the reason must be one line:\n%s", r.stderr)
			}
		})
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"demo", "-h"}, {"assets", "import", "-h"}, {"mail", "parse", "-h"}} {
		r := wd(t, t.TempDir(), nil, "", args...)
		if r.code != 0 || !strings.Contains(r.stdout+r.stderr, "usage: warrantydesk") {
			t.Errorf("%v: %+v", args, r)
		}
	}
}

func TestMailParsePrintsJSONForAnyFile(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "ok.eml"), "From: Anna <anna@kommun.test>\r\nTo: helpdesk@kommun.test\r\nSubject: =?utf-8?q?Sk=C3=A4rmen_=C3=A4r_sprucken?=\r\nMessage-ID: <a1@kommun.test>\r\n\r\nSkärmen är sprucken. S/N PF3KX2A1\r\n")
	writeFile(t, filepath.Join(dir, "garbage.eml"), "\x00\xff\xfe not a mail at all\n\n\n--")
	for _, name := range []string{"ok.eml", "garbage.eml"} {
		r := wd(t, dir, nil, "", "mail", "parse", name)
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", name, r.code, r.stderr)
		}
		var out map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
			t.Fatalf("%s: not JSON: %v\n%s", name, err, r.stdout)
		}
		for _, key := range []string{"message_id", "from", "to", "cc", "subject", "date", "in_reply_to", "references", "text", "html", "attachments", "class", "language", "serials", "fault", "problems"} {
			if _, ok := out[key]; !ok {
				t.Errorf("%s: key %q missing", name, key)
			}
		}
		if name == "ok.eml" {
			if out["subject"] != "Skärmen är sprucken" || out["class"] != "personal" || out["fault"] != "hardware" || out["language"] != "sv" {
				t.Errorf("parsed: %v", out)
			}
			if serials, _ := out["serials"].([]any); len(serials) != 1 || serials[0] != "PF3KX2A1" {
				t.Errorf("serials: %v", out["serials"])
			}
		}
	}
	if r := wd(t, dir, nil, "", "mail", "parse", "missing.eml"); r.code == 0 {
		t.Errorf("an unreadable file must fail")
	}
}
