package handlers

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
	"warrantydesk/reports"
	"warrantydesk/templates"
)

// Deps are what the HTTP side needs from the rest of the program.
type Deps struct {
	Desk    *desk.Service
	Store   *models.Store
	Catalog *templates.Catalog
	Logger  *slog.Logger
	// Health reports the state of the database and the workers for /healthz,
	// and a failing intake as a banner on every page an agent sees. When nil,
	// /healthz only pings the database and no banner is shown.
	Health func(ctx context.Context) Health
	// Metrics writes the Prometheus text exposition for /metrics.
	Metrics func(w io.Writer)
	// HTTPMetrics observes every request's latency by route; the app writes
	// it in /metrics. Nil: a private one nobody reads.
	HTTPMetrics *HTTPMetrics
	// OnIntakeRequeued wakes the intake processor after an agent sent a
	// quarantined mail through intake again (may be nil: the processor then
	// finds it on its next pass).
	OnIntakeRequeued func()
	// ResellerInbox lists what the in-process reseller mailbox received (demo
	// only). When nil the reseller page answers 404 and is not in the menu.
	ResellerInbox func() []ResellerMail
	// URLSigningKey signs the short-lived picture URLs of a mail's formatted
	// view (see signedInlineURL). When empty, a random key is made at start:
	// fine for one process; give every instance the same key when several
	// serve the same desk.
	URLSigningKey []byte
	// SecureCookies sets the Secure flag on cookies (base_url is https).
	SecureCookies bool
	// DefaultLanguage is the UI language before a user picks one ("sv").
	DefaultLanguage string
	// Mailbox is the mail configuration shown on the admin mailbox page.
	Mailbox MailboxSettings
	// LivePollInterval is how often an open ticket list asks whether tickets
	// changed (live refresh); 0 = every 10 seconds.
	LivePollInterval time.Duration
	// MaxInFlight is how many requests are worked on at once; the rest wait
	// in arrival order (admission.go). 0 = two per CPU core; -1 = no limit.
	MaxInFlight int
	// Reports are the prices and climate factors of the reports ([reports]);
	// the zero value means reports.DefaultConfig().
	Reports reports.Config
}

// Health is the answer of /healthz.
type Health struct {
	OK     bool
	Checks map[string]HealthCheck
	// Role is "leader" (this instance fetches mail and drains the outbox) or
	// "standby" (another instance does) while serving; "" when not known.
	Role string
}

// HealthCheck is the state of one component in Health.
type HealthCheck struct {
	OK          bool       `json:"ok"`
	Detail      string     `json:"detail,omitempty"`
	LastSuccess *time.Time `json:"last_success,omitempty"`
}

// ResellerMail is one mail the demo reseller mailbox received.
type ResellerMail struct {
	From    string
	To      []string
	Subject string
	At      time.Time
	Text    string
}

// handler holds the dependencies of every route.
type handler struct {
	Deps
	tmpl          map[string]map[string]pageTemplate // lang → page name → template
	staticVersion string                             // cache-busting query of static URLs
	loc           *time.Location
	urlKey        []byte        // Deps.URLSigningKey or a random one
	rows          rowCache      // rendered rows of the ticket list (fragments.go)
	fragments     fragmentCache // rendered option lists, navigations and tabs (fragments.go)
	// shortcutHTML is the ? overlay of every agent page, per language.
	shortcutHTML map[string]template.HTML
	badges       map[badgeKey]badge // badgeOf: the badges of every known status, category and priority
	admission    *admission         // requests worked on at once (admission.go)
}

// New parses the page templates once and builds the router.
func New(d Deps) (*echo.Echo, error) {
	if d.Desk == nil || d.Store == nil || d.Catalog == nil {
		return nil, errors.New("handlers: Desk, Store and Catalog are required")
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.Logger = d.Logger.With("subsystem", "http")
	if d.HTTPMetrics == nil {
		d.HTTPMetrics = NewHTTPMetrics()
	}
	d.DefaultLanguage = d.Catalog.Lang(d.DefaultLanguage)
	h := &handler{Deps: d, loc: d.Desk.Location()}
	inflight := d.MaxInFlight
	if inflight == 0 {
		inflight = 2 * runtime.GOMAXPROCS(0)
	}
	h.admission = newAdmission(inflight)
	if h.loc == nil {
		h.loc = time.UTC
	}
	h.urlKey = d.URLSigningKey
	if len(h.urlKey) == 0 {
		h.urlKey = make([]byte, 32)
		if _, err := rand.Read(h.urlKey); err != nil {
			return nil, fmt.Errorf("make URL signing key: %w", err)
		}
	}
	var err error
	if h.tmpl, err = parseTemplates(d.Catalog, h.loc); err != nil {
		return nil, err
	}
	if h.shortcutHTML, err = h.renderShortcuts(); err != nil {
		return nil, err
	}
	h.badges = h.makeBadges()
	if h.staticVersion, err = hashFS(templates.Static()); err != nil {
		return nil, fmt.Errorf("hash static files: %w", err)
	}
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = h.handleError
	h.routes(e)
	return e, nil
}

// hashFS returns a short hash over every file in fsys, so static URLs change
// whenever a file does and can be cached for long.
func hashFS(fsys fs.FS) (string, error) {
	sum := sha256.New()
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		_, _ = io.WriteString(sum, p+"\x00")
		_, _ = sum.Write(data)
		return nil
	})
	return hex.EncodeToString(sum.Sum(nil))[:12], err
}
