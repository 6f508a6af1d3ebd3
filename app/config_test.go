package app

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"warrantydesk/reports"
)

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "wd.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// The example file documents the defaults: loading it must give exactly Defaults().
func TestExampleConfigIsTheDefaults(t *testing.T) {
	cfg, err := LoadConfig("../config.example.toml", nil)
	if err != nil {
		t.Fatalf("load example: %v", err)
	}
	if want := Defaults(); !reflect.DeepEqual(cfg, want) {
		t.Errorf("config.example.toml differs from Defaults():\n got %+v\nwant %+v", cfg, want)
	}
}

func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	walk := func(v any) {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			key := typ.Field(i).Tag.Get("toml")
			if typ.Field(i).Type.Kind() == reflect.Slice && strings.Contains(text, "."+key+"]]") {
				continue // an array of tables, documented as [[section.key]]
			}
			if !strings.Contains(text, "\n"+key+" = ") && !strings.Contains(text, "# "+key+" = ") {
				t.Errorf("key %q of %s is not in config.example.toml", key, typ.Name())
			}
		}
	}
	walk(ServerConfig{})
	walk(DatabaseConfig{})
	walk(IMAPConfig{})
	walk(SMTPConfig{})
	walk(DeskConfig{})
	walk(VendorConfig{})
	walk(OAuthConfig{})
	walk(MailboxConfig{})
	walk(reports.Config{})
	walk(reports.ModelConfig{})
}

func TestConfigErrorsNameTheKey(t *testing.T) {
	tests := []struct {
		name string
		toml string
		env  []string
		want string
	}{
		{"unknown key", "[imap]\nhots = \"x\"\n", nil, `unknown key imap.hots`},
		{"unknown section", "[smpt]\nhost = \"x\"\n", nil, `unknown key smpt`},
		{"bad duration", "[imap]\nhost = \"mail\"\nusername = \"u\"\npoll_interval = \"often\"\n", nil, `bad duration "often"`},
		{"bad port", "[imap]\nhost = \"mail\"\nusername = \"u\"\nport = 99999\n", nil, "config imap.port: 99999 is not a port"},
		{"imap without host", "[imap]\nusername = \"desk\"\npassword = \"pw\"\n", nil, "config imap.host: is empty but imap.username/password are set"},
		{"bad tls", "[smtp]\nhost = \"mail\"\ntls = \"yes\"\n", nil, `config smtp.tls: "yes" is not one of`},
		{"bad language", "[desk]\nlanguage = \"de\"\n", nil, `config desk.language: "de"`},
		{"bad timezone", "[desk]\ntimezone = \"Mars/Olympus\"\n", nil, "config desk.timezone"},
		{"bad search optimize hour", "[desk]\nsearch_optimize_hour = 24\n", nil, "config desk.search_optimize_hour: 24 is not -1 (never) or an hour 0..23"},
		{"bad vendor pattern", "[[vendors]]\nname = \"R\"\nemail = \"r@r.example\"\ncase_pattern = \"RMA-(\"\n", nil, "config vendors[0].case_pattern"},
		{"duplicate vendor", "[[vendors]]\nname = \"R\"\nemail = \"r@r.example\"\n[[vendors]]\nname = \"r\"\nemail = \"s@r.example\"\n", nil, `config vendors[1].name: "r" is listed twice`},
		{"syntax error with line", "[server]\nlisten = \n", nil, "wd.toml:2"},
		{"env bad number", "", []string{"WARRANTYDESK_IMAP_PORT=imap"}, `config imap.port: not a whole number: "imap" (from environment WARRANTYDESK_IMAP_PORT)`},
		{"env unknown key", "", []string{"WARRANTYDESK_SMTP_HOTS=x"}, "config smtp.hots: unknown key (from environment WARRANTYDESK_SMTP_HOTS)"},
		{"postgres empty dsn", "[server]\nsecret = \"0123456789abcdef\"\n[database]\ndriver = \"postgres\"\ndsn = \"\"\n", nil,
			`config database.dsn: is empty; with driver "postgres" it is a connection URL`},
		{"postgres file dsn", "[server]\nsecret = \"0123456789abcdef\"\n[database]\ndriver = \"postgres\"\n", nil,
			`config database.dsn: "data/warrantydesk.db" is not a PostgreSQL connection string`},
		{"postgres bad url", "[server]\nsecret = \"0123456789abcdef\"\n[database]\ndriver = \"postgres\"\ndsn = \"postgres://desk@db:port/x\"\n", nil,
			`config database.dsn: cannot parse`},
		{"postgres without secret", "[database]\ndriver = \"postgres\"\ndsn = \"postgres://desk@db/wd\"\n", nil,
			`config server.secret: is required with database.driver = "postgres"`},
		{"postgres url with sqlite", "[database]\ndsn = \"postgres://desk:hunter2@db/wd\"\n", nil,
			`config database.dsn: "postgres://desk:xxxxx@db/wd" is a PostgreSQL URL but database.driver is "sqlite"`},
		{"bad driver", "[database]\ndriver = \"mysql\"\n", nil, `config database.driver: "mysql" is not one of sqlite, postgres`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadConfig(writeConfig(t, tt.toml), tt.env)
			if err == nil {
				t.Fatalf("want an error containing %q, got none", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

// TestDatabaseDSNPasswordNeverShown: a DSN with a password that is wrong
// in some way is reported without the password, in URL and key=value form.
func TestDatabaseDSNPasswordNeverShown(t *testing.T) {
	for _, dsn := range []string{
		"postgres://desk:s3cret-pw@db:notaport/wd",
		"postgres://desk:s3cret-pw@db/wd?sslmode=bogus",
		"host=db password=s3cret-pw sslmode=bogus",
		"host=db password='s3cret-pw' port=x",
	} {
		_, err := LoadConfig("", []string{"WARRANTYDESK_DATABASE_DRIVER=postgres", "WARRANTYDESK_DATABASE_DSN=" + dsn,
			"WARRANTYDESK_SERVER_SECRET=0123456789abcdef"})
		if err == nil || !strings.Contains(err.Error(), "database.dsn") {
			t.Errorf("%s: want a database.dsn error, got %v", dsn, err)
			continue
		}
		if strings.Contains(err.Error(), "s3cret-pw") {
			t.Errorf("the error shows the password: %v", err)
		}
	}
}

func TestEnvironmentOverridesFile(t *testing.T) {
	path := writeConfig(t, "[imap]\nhost = \"mail.example\"\nusername = \"desk\"\npoll_interval = \"30s\"\n")
	cfg, err := LoadConfig(path, []string{
		"WARRANTYDESK_IMAP_PASSWORD=s3cret", "WARRANTYDESK_IMAP_POLL_INTERVAL=2m", "WARRANTYDESK_IMAP_IDLE=false",
		"WARRANTYDESK_SERVER_LISTEN=0.0.0.0:9000", "WARRANTYDESK_PASSWORD=not-config", "PATH=/bin",
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IMAP.Password != "s3cret" || cfg.IMAP.PollInterval.Duration != 2*time.Minute || cfg.IMAP.Idle || cfg.Server.Listen != "0.0.0.0:9000" {
		t.Errorf("overrides not applied: %+v %+v", cfg.IMAP, cfg.Server)
	}
	if cfg.IMAP.Host != "mail.example" {
		t.Errorf("file value lost: host = %q", cfg.IMAP.Host)
	}
}

func TestNoConfigFileUsesDefaults(t *testing.T) {
	t.Chdir(t.TempDir())
	cfg, err := LoadConfig("", nil)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IMAP.Host != "" || cfg.SMTP.Host != "" || cfg.Server.Listen != "127.0.0.1:8080" {
		t.Errorf("defaults must be safe (localhost, no mail): %+v", cfg)
	}
	if _, err := LoadConfig("missing.toml", nil); err == nil || !strings.Contains(err.Error(), "missing.toml") {
		t.Errorf("an explicit missing file must fail naming it, got %v", err)
	}
}

// Secrets can come from a file named by WARRANTYDESK_SECTION_KEY_FILE.
func TestSecretsFromFiles(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "imap-password")
	if err := os.WriteFile(secret, []byte("fr\u00e5n-fil\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, "[imap]\nhost = \"mail\"\nusername = \"desk\"\n")
	cfg, err := LoadConfig(path, []string{"WARRANTYDESK_IMAP_PASSWORD_FILE=" + secret})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IMAP.Password != "fr\u00e5n-fil" {
		t.Errorf("password %q", cfg.IMAP.Password)
	}
	_, err = LoadConfig(path, []string{"WARRANTYDESK_SMTP_PASSWORD_FILE=" + filepath.Join(dir, "missing")})
	if err == nil || !strings.Contains(err.Error(), "config smtp.password: read WARRANTYDESK_SMTP_PASSWORD_FILE") {
		t.Errorf("missing secret file: %v", err)
	}
}
