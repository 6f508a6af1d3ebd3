package app

import (
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"warrantydesk/models"
	"warrantydesk/reports"
)

// Config is the whole configuration. Every key is documented in config.example.toml.
type Config struct {
	Server   ServerConfig   `toml:"server"`
	Database DatabaseConfig `toml:"database"`
	IMAP     IMAPConfig     `toml:"imap"`
	SMTP     SMTPConfig     `toml:"smtp"`
	Desk     DeskConfig     `toml:"desk"`
	Vendors  []VendorConfig `toml:"vendors"`
	Reports  reports.Config `toml:"reports"`
	// OAuth supplies the tokens of mailboxes with auth = "xoauth2" (mailboxes.go).
	OAuth OAuthConfig `toml:"oauth"`
	// Mailboxes are intake mailboxes read besides [imap] (mailboxes.go).
	Mailboxes []MailboxConfig `toml:"mailboxes"`
}

// ServerConfig is the web server.
type ServerConfig struct {
	Listen  string `toml:"listen"`
	BaseURL string `toml:"base_url"`
	// Secret signs Message-IDs and status links; generated and stored in the data directory when empty.
	Secret string `toml:"secret"`
	// GCPercent is the garbage collector's target (GOGC): 0 = DefaultGCPercent, -1 = off (TuneGC).
	GCPercent int `toml:"gc_percent"`
	// MemoryLimitMB is the Go runtime's soft memory limit (GOMEMLIMIT) in MiB; 0 = none.
	MemoryLimitMB int `toml:"memory_limit_mb"`
	// MaxInFlight is how many page and API reads are worked on at once; the rest
	// queue in arrival order: 0 = two per CPU core, -1 = no limit (handlers/admission.go).
	MaxInFlight int `toml:"max_inflight"`
}

// DatabaseConfig selects the database.
type DatabaseConfig struct {
	Driver string `toml:"driver"`
	DSN    string `toml:"dsn"`
}

// IMAPConfig is the intake mailbox. Intake is off while Host is empty.
type IMAPConfig struct {
	Host             string   `toml:"host"`
	Port             int      `toml:"port"`
	TLS              string   `toml:"tls"`
	Username         string   `toml:"username"`
	Password         string   `toml:"password"`
	Mailbox          string   `toml:"mailbox"`
	ProcessedMailbox string   `toml:"processed_mailbox"`
	Idle             bool     `toml:"idle"`
	PollInterval     Duration `toml:"poll_interval"`
	MaxSize          int64    `toml:"max_size"`
	// Auth is "password" or "xoauth2" (a token from [oauth]).
	Auth string `toml:"auth"`
}

// SMTPConfig is outgoing mail. Delivery is off while Host is empty (mail stays queued).
type SMTPConfig struct {
	Host     string `toml:"host"`
	Port     int    `toml:"port"`
	TLS      string `toml:"tls"`
	Username string `toml:"username"`
	Password string `toml:"password"`
	From     string `toml:"from"`
	// Auth is "password" or "xoauth2" (a token from [oauth]).
	Auth string `toml:"auth"`
}

// DeskConfig is the helpdesk itself.
type DeskConfig struct {
	Address  string `toml:"address"`
	Name     string `toml:"name"`
	Language string `toml:"language"`
	Timezone string `toml:"timezone"`
	// AssetTagPattern is a regular expression for the municipality's asset tags.
	AssetTagPattern string `toml:"asset_tag_pattern"`
	// AckLimitPerHour caps acknowledgements to one sender per hour (loop protection).
	AckLimitPerHour int `toml:"ack_limit_per_hour"`
	// VendorShareRequester sends the requester's name and address to the vendor with a case.
	VendorShareRequester bool `toml:"vendor_share_requester"`
	// RetentionMonths erases personal data of tickets closed longer ago than this; 0 = keep.
	RetentionMonths int `toml:"retention_months"`
	// SearchOptimizeHour is the hour of the night (local time) at which the search index is merged into
	// one piece, once a day; -1 = never.
	SearchOptimizeHour int `toml:"search_optimize_hour"`
}

// VendorConfig is one reseller.
type VendorConfig struct {
	Name           string `toml:"name"`
	Email          string `toml:"email"`
	CasePattern    string `toml:"case_pattern"`
	WarrantyMonths int    `toml:"warranty_months"`
	TurnaroundDays int    `toml:"turnaround_days"`
	AutoForward    bool   `toml:"auto_forward"`
}

// Duration is a time.Duration written as "30s" or "5m" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("bad duration %q (use e.g. \"30s\", \"5m\")", string(b))
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Defaults returns the built-in configuration: safe to run with no file at all
// (web UI on localhost, SQLite in ./data, intake and delivery off).
func Defaults() Config {
	return Config{
		Server:   ServerConfig{Listen: "127.0.0.1:8080", BaseURL: "http://127.0.0.1:8080"},
		Database: DatabaseConfig{Driver: "sqlite", DSN: "data/warrantydesk.db"},
		IMAP: IMAPConfig{Port: 993, TLS: "implicit", Mailbox: "INBOX", Idle: true,
			PollInterval: Duration{time.Minute}, MaxSize: 25 << 20, Auth: "password"},
		SMTP: SMTPConfig{Port: 587, TLS: "starttls", Auth: "password"},
		Desk: DeskConfig{Address: "helpdesk@example.org", Name: "IT-helpdesk", Language: "sv",
			Timezone: "Europe/Stockholm", AckLimitPerHour: 5, SearchOptimizeHour: 2},
		Reports: reports.DefaultConfig(),
	}
}

// ConfigError is a configuration problem, naming the key.
type ConfigError struct {
	Key     string
	Problem string
}

func (e *ConfigError) Error() string { return fmt.Sprintf("config %s: %s", e.Key, e.Problem) }

// DefaultConfigFile is read when -config is not given and the file exists.
const DefaultConfigFile = "warrantydesk.toml"

// LoadConfig reads path (or DefaultConfigFile if present when path is ""),
// applies WARRANTYDESK_SECTION_KEY environment overrides and validates the result.
func LoadConfig(path string, environ []string) (Config, error) {
	cfg := Defaults()
	explicit := path != ""
	if !explicit {
		if _, err := os.Stat(DefaultConfigFile); err == nil {
			path = DefaultConfigFile
		}
	}
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return cfg, fmt.Errorf("read config: %w", err)
		}
		if err := decodeConfig(path, data, &cfg); err != nil {
			return cfg, err
		}
	}
	if err := applyEnv(&cfg, environ); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		if path != "" {
			return cfg, fmt.Errorf("%s: %w", path, err)
		}
		return cfg, err
	}
	return cfg, nil
}

func decodeConfig(path string, data []byte, cfg *Config) error {
	md, err := toml.Decode(string(data), cfg)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return fmt.Errorf("%s:%d: %s", path, perr.Position.Line, perr.Message)
		}
		return fmt.Errorf("%s: %w", path, err)
	}
	if undecoded := md.Undecoded(); len(undecoded) > 0 {
		keys := make([]string, len(undecoded))
		for i, k := range undecoded {
			keys[i] = k.String()
		}
		return fmt.Errorf("%s: unknown key %s", path, strings.Join(keys, ", "))
	}
	return nil
}

// applyEnv applies WARRANTYDESK_SECTION_KEY overrides to scalar keys of the
// top-level sections (vendors are configured in the file only).
func applyEnv(cfg *Config, environ []string) error {
	root := reflect.ValueOf(cfg).Elem()
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, "WARRANTYDESK_") {
			continue
		}
		rest := strings.ToLower(strings.TrimPrefix(name, "WARRANTYDESK_"))
		// WARRANTYDESK_SECTION_KEY_FILE=/run/secrets/x reads the value from a
		// file (container and systemd credentials), so secrets need not sit in
		// the environment or the config file.
		if base, isFile := strings.CutSuffix(rest, "_file"); isFile {
			data, err := os.ReadFile(value)
			if err != nil {
				return &ConfigError{Key: strings.Replace(base, "_", ".", 1), Problem: fmt.Sprintf("read %s: %v", name, err)}
			}
			rest, value = base, strings.TrimRight(string(data), "\r\n")
		}
		section, key, ok := strings.Cut(rest, "_")
		if !ok || section == "vendors" {
			continue // e.g. WARRANTYDESK_PASSWORD belongs to a command, not the config
		}
		sec, found := fieldByTag(root, section)
		if !found || sec.Kind() != reflect.Struct {
			continue
		}
		field, found := fieldByTag(sec, key)
		if !found {
			return &ConfigError{Key: section + "." + key, Problem: fmt.Sprintf("unknown key (from environment %s)", name)}
		}
		if err := setFromString(field, value); err != nil {
			return &ConfigError{Key: section + "." + key, Problem: fmt.Sprintf("%v (from environment %s)", err, name)}
		}
	}
	return nil
}

func fieldByTag(v reflect.Value, tag string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("toml") == tag {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func setFromString(f reflect.Value, s string) error {
	if f.Type() == reflect.TypeFor[Duration]() {
		var d Duration
		if err := d.UnmarshalText([]byte(s)); err != nil {
			return err
		}
		f.Set(reflect.ValueOf(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("not a boolean: %q", s)
		}
		f.SetBool(b)
	case reflect.Float64:
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return fmt.Errorf("not a number: %q", s)
		}
		f.SetFloat(x)
	case reflect.Int, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return fmt.Errorf("not a whole number: %q", s)
		}
		f.SetInt(n)
	default:
		return fmt.Errorf("cannot be set from the environment")
	}
	return nil
}

var tlsModes = map[string]bool{"implicit": true, "starttls": true, "none": true}

// Validate checks every key and reports all problems at once.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, &ConfigError{Key: key, Problem: fmt.Sprintf(format, args...)})
	}
	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		bad("server.listen", "%q is not host:port", c.Server.Listen)
	}
	if c.Server.MaxInFlight < -1 {
		bad("server.max_inflight", "%d is not -1 (no limit), 0 (two per CPU core) or a number of requests", c.Server.MaxInFlight)
	}
	if c.Server.GCPercent < -1 {
		bad("server.gc_percent", "%d is not -1 (off), 0 (default) or a percentage", c.Server.GCPercent)
	}
	if c.Server.MemoryLimitMB < 0 {
		bad("server.memory_limit_mb", "%d is negative", c.Server.MemoryLimitMB)
	}
	if u, err := url.Parse(c.Server.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("server.base_url", "%q is not an http(s) URL", c.Server.BaseURL)
	}
	switch c.Database.Driver {
	case models.DriverSQLite, models.DriverPostgres:
		if err := models.CheckDSN(c.Database.Driver, c.Database.DSN); err != nil {
			bad("database.dsn", "%v", err)
		}
	default:
		bad("database.driver", "%q is not one of sqlite, postgres", c.Database.Driver)
	}
	if c.Database.Driver == models.DriverPostgres && c.Server.Secret == "" {
		// Without a data directory there is no place for a generated secret,
		// and desks sharing one database must sign alike.
		bad("server.secret", "is required with database.driver = \"postgres\" (every desk on the database signs Message-IDs and links with it)")
	}
	if c.IMAP.Host != "" {
		checkPort(bad, "imap.port", c.IMAP.Port)
		if !tlsModes[c.IMAP.TLS] {
			bad("imap.tls", "%q is not one of implicit, starttls, none", c.IMAP.TLS)
		}
		if c.IMAP.Username == "" {
			bad("imap.username", "is empty but imap.host is set")
		}
		if c.IMAP.Mailbox == "" {
			bad("imap.mailbox", "is empty")
		}
		if c.IMAP.PollInterval.Duration < time.Second {
			bad("imap.poll_interval", "%s is shorter than 1s", c.IMAP.PollInterval.Duration)
		}
		if c.IMAP.MaxSize < 1024 {
			bad("imap.max_size", "%d bytes is too small", c.IMAP.MaxSize)
		}
	} else if c.IMAP.Username != "" || c.IMAP.Password != "" {
		bad("imap.host", "is empty but imap.username/password are set: intake needs a host")
	}
	c.validateOAuth(bad)
	c.validateMailboxes(bad)
	if c.SMTP.Host != "" {
		checkPort(bad, "smtp.port", c.SMTP.Port)
		if !tlsModes[c.SMTP.TLS] {
			bad("smtp.tls", "%q is not one of implicit, starttls, none", c.SMTP.TLS)
		}
	}
	if c.SMTP.From != "" {
		if _, err := mail.ParseAddress(c.SMTP.From); err != nil {
			bad("smtp.from", "%q is not an email address", c.SMTP.From)
		}
	}
	if _, err := mail.ParseAddress(c.Desk.Address); err != nil {
		bad("desk.address", "%q is not an email address", c.Desk.Address)
	}
	if c.Desk.Language != "sv" && c.Desk.Language != "en" {
		bad("desk.language", "%q is not one of sv, en", c.Desk.Language)
	}
	if _, err := time.LoadLocation(c.Desk.Timezone); err != nil {
		bad("desk.timezone", "%q is not a known time zone", c.Desk.Timezone)
	}
	if c.Desk.AssetTagPattern != "" {
		if _, err := regexp.Compile(c.Desk.AssetTagPattern); err != nil {
			bad("desk.asset_tag_pattern", "not a regular expression: %v", err)
		}
	}
	if c.Desk.RetentionMonths < 0 || c.Desk.RetentionMonths > 600 {
		bad("desk.retention_months", "%d is outside 0..600", c.Desk.RetentionMonths)
	}
	if c.Desk.SearchOptimizeHour < -1 || c.Desk.SearchOptimizeHour > 23 {
		bad("desk.search_optimize_hour", "%d is not -1 (never) or an hour 0..23", c.Desk.SearchOptimizeHour)
	}
	if c.Desk.AckLimitPerHour < 0 {
		bad("desk.ack_limit_per_hour", "is negative")
	}
	names := map[string]bool{}
	for i, v := range c.Vendors {
		key := fmt.Sprintf("vendors[%d]", i)
		if strings.TrimSpace(v.Name) == "" {
			bad(key+".name", "is empty")
		} else if names[strings.ToLower(v.Name)] {
			bad(key+".name", "%q is listed twice", v.Name)
		}
		names[strings.ToLower(v.Name)] = true
		if _, err := mail.ParseAddress(v.Email); err != nil {
			bad(key+".email", "%q is not an email address", v.Email)
		}
		if v.CasePattern != "" {
			if _, err := regexp.Compile(v.CasePattern); err != nil {
				bad(key+".case_pattern", "not a regular expression: %v", err)
			}
		}
		if v.WarrantyMonths < 0 || v.WarrantyMonths > 240 {
			bad(key+".warranty_months", "%d is outside 0..240", v.WarrantyMonths)
		}
		if v.TurnaroundDays < 0 || v.TurnaroundDays > 365 {
			bad(key+".turnaround_days", "%d is outside 0..365", v.TurnaroundDays)
		}
	}
	errs = append(errs, c.Reports.Validate())
	return errors.Join(errs...)
}

func checkPort(bad func(string, string, ...any), key string, port int) {
	if port < 1 || port > 65535 {
		bad(key, "%d is not a port (1-65535)", port)
	}
}
