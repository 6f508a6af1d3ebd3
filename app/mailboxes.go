package app

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"warrantydesk/mailin"
	"warrantydesk/oauth"
)

// OAuthConfig is where the access tokens of XOAUTH2 mailboxes come from. Off while Provider is empty.
type OAuthConfig struct {
	// Provider is "microsoft" (client credentials of an app registration) or "google" (a refresh token).
	Provider     string `toml:"provider"`
	TenantID     string `toml:"tenant_id"`
	ClientID     string `toml:"client_id"`
	ClientSecret string `toml:"client_secret"`
	RefreshToken string `toml:"refresh_token"`
	// Scope is space-separated; empty = the provider's mail scope.
	Scope string `toml:"scope"`
	// TokenURL overrides the provider's token endpoint (tests, national clouds).
	TokenURL string `toml:"token_url"`
}

// MailboxConfig is one more intake mailbox, e.g. a separate address for resellers' replies.
// Empty keys take their value from [imap]; Name keeps its cursor and health apart.
type MailboxConfig struct {
	Name             string   `toml:"name"`
	Host             string   `toml:"host"`
	Port             int      `toml:"port"`
	TLS              string   `toml:"tls"`
	Username         string   `toml:"username"`
	Password         string   `toml:"password"`
	Auth             string   `toml:"auth"`
	Mailbox          string   `toml:"mailbox"`
	ProcessedMailbox string   `toml:"processed_mailbox"`
	Idle             *bool    `toml:"idle"`
	PollInterval     Duration `toml:"poll_interval"`
}

// oauthConfig converts [oauth] for package oauth.
func (c OAuthConfig) oauthConfig() oauth.Config {
	return oauth.Config{Provider: c.Provider, TenantID: c.TenantID, ClientID: c.ClientID,
		ClientSecret: c.ClientSecret, RefreshToken: c.RefreshToken, Scope: c.Scope, TokenURL: c.TokenURL}
}

// authModes are the values of the auth keys; empty means "password" (a Config built in code).
var authModes = map[string]bool{"": true, "password": true, "xoauth2": true}

var mailboxName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$`)

// validateOAuth checks [oauth] and every auth key that needs it.
func (c *Config) validateOAuth(bad func(string, string, ...any)) {
	if c.OAuth.Provider != "" {
		if err := c.OAuth.oauthConfig().Check(); err != nil {
			// Check's messages start with the key they are about.
			key, problem, _ := strings.Cut(err.Error(), " ")
			bad(key, "%s", problem)
		}
	}
	check := func(key, auth string) {
		switch {
		case !authModes[auth]:
			bad(key, "%q is not one of password, xoauth2", auth)
		case auth == "xoauth2" && c.OAuth.Provider == "":
			bad(key, "is \"xoauth2\" but oauth.provider is empty")
		}
	}
	if c.IMAP.Host != "" {
		check("imap.auth", c.IMAP.Auth)
	}
	if c.SMTP.Host != "" {
		check("smtp.auth", c.SMTP.Auth)
	}
	for i, m := range c.Mailboxes {
		if m.Auth != "" {
			check(fmt.Sprintf("mailboxes[%d].auth", i), m.Auth)
		}
	}
}

// validateMailboxes checks [[mailboxes]] after filling in the values they inherit from [imap].
func (c *Config) validateMailboxes(bad func(string, string, ...any)) {
	names := map[string]bool{}
	accounts := map[string]int{}
	if c.IMAP.Host != "" {
		accounts[accountKey(c.IMAP.Host, c.IMAP.Username, c.IMAP.Mailbox)] = -1
	}
	for i, m := range c.Mailboxes {
		key := fmt.Sprintf("mailboxes[%d]", i)
		if !mailboxName.MatchString(m.Name) {
			bad(key+".name", "%q is not 1-40 letters, digits, '.', '_' or '-'", m.Name)
		} else if names[strings.ToLower(m.Name)] {
			bad(key+".name", "%q is listed twice", m.Name)
		}
		names[strings.ToLower(m.Name)] = true
		r := c.resolveMailbox(m)
		if r.Host == "" {
			bad(key+".host", "is empty and so is imap.host")
			continue
		}
		checkPort(bad, key+".port", r.Port)
		if !tlsModes[r.TLS] {
			bad(key+".tls", "%q is not one of implicit, starttls, none", r.TLS)
		}
		if r.Username == "" {
			bad(key+".username", "is empty and so is imap.username")
		}
		if r.PollInterval < time.Second {
			bad(key+".poll_interval", "%s is shorter than 1s", r.PollInterval)
		}
		if j, dup := accounts[accountKey(r.Host, r.Username, r.Mailbox)]; dup {
			other := "imap"
			if j >= 0 {
				other = fmt.Sprintf("mailboxes[%d]", j)
			}
			bad(key+".mailbox", "%q of %s on %s is already read as %s", r.Mailbox, r.Username, r.Host, other)
		}
		accounts[accountKey(r.Host, r.Username, r.Mailbox)] = i
	}
}

func accountKey(host, username, mailbox string) string {
	return strings.ToLower(host) + "\x00" + strings.ToLower(username) + "\x00" + mailbox
}

// resolveMailbox fills the empty keys of m from [imap] and names its cursor "<name>:<mailbox>".
func (c *Config) resolveMailbox(m MailboxConfig) mailin.IMAPConfig {
	im := c.IMAP
	or := func(v, def string) string {
		if v != "" {
			return v
		}
		return def
	}
	r := mailin.IMAPConfig{
		Host: or(m.Host, im.Host), Port: m.Port, TLS: or(m.TLS, im.TLS),
		Username: or(m.Username, im.Username), Password: or(m.Password, im.Password), Auth: or(m.Auth, im.Auth),
		Mailbox: or(m.Mailbox, im.Mailbox), ProcessedMailbox: or(m.ProcessedMailbox, im.ProcessedMailbox),
		Idle: im.Idle, PollInterval: m.PollInterval.Duration, MaxSize: im.MaxSize,
	}
	if m.Password == "" && m.Username != "" && m.Username != im.Username {
		r.Password = "" // another account never borrows the first one's password
	}
	if r.Port == 0 {
		r.Port = im.Port
		if m.TLS != "" && m.TLS != im.TLS { // the [imap] port belongs to another TLS mode
			r.Port = 143
			if r.TLS == "implicit" {
				r.Port = 993
			}
		}
	}
	if m.Idle != nil {
		r.Idle = *m.Idle
	}
	if r.PollInterval == 0 {
		r.PollInterval = im.PollInterval.Duration
	}
	r.Key = m.Name + ":" + r.Mailbox
	return r
}

// intakeMailbox is one mailbox the desk reads, as wired by build.
type intakeMailbox struct {
	check   string // health check name: "intake" for [imap], "intake:<name>" for the others
	cfg     mailin.IMAPConfig
	fetcher *mailin.Fetcher
}

// intakeMailboxes lists [imap] (when set) and every [[mailboxes]] entry, resolved. The first
// keeps the cursor key it always had (the folder name), so existing databases continue.
func (c *Config) intakeMailboxes() []intakeMailbox {
	var out []intakeMailbox
	if c.IMAP.Host != "" {
		out = append(out, intakeMailbox{check: "intake", cfg: mailin.IMAPConfig{
			Key: c.IMAP.Mailbox, Host: c.IMAP.Host, Port: c.IMAP.Port, TLS: c.IMAP.TLS, Username: c.IMAP.Username,
			Password: c.IMAP.Password, Auth: c.IMAP.Auth, Mailbox: c.IMAP.Mailbox, ProcessedMailbox: c.IMAP.ProcessedMailbox,
			Idle: c.IMAP.Idle, PollInterval: c.IMAP.PollInterval.Duration, MaxSize: c.IMAP.MaxSize,
		}})
	}
	for _, m := range c.Mailboxes {
		out = append(out, intakeMailbox{check: "intake:" + m.Name, cfg: c.resolveMailbox(m)})
	}
	return out
}
