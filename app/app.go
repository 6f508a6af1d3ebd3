package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"warrantydesk/desk"
	"warrantydesk/handlers"
	"warrantydesk/internal/lease"
	"warrantydesk/mailin"
	"warrantydesk/mailout"
	"warrantydesk/models"
	"warrantydesk/oauth"
	"warrantydesk/templates"
)

// App is one running desk: every component, built from one Config.
type App struct {
	Cfg       Config
	Log       *slog.Logger
	Store     *models.Store
	Desk      *desk.Service
	Catalog   *templates.Catalog
	IDs       *mailout.IDSigner
	Outbox    *mailout.Worker     // nil when SMTP is not configured: mail stays queued
	Fetcher   *mailin.Fetcher     // the first intake mailbox; nil when no mailbox is configured
	Tokens    *oauth.TokenSource  // nil without [oauth]
	Processor *mailin.Processor   // always: it also finishes mail fetched before a crash
	Webhooks  *desk.WebhookWorker // delivers the webhook queue

	// resellerInbox is set by the demo to show what the reseller received.
	resellerInbox func() []handlers.ResellerMail
	started       time.Time
	secret        []byte
	workersMu     sync.Mutex
	workerErr     map[string]string
	// intakes are every mailbox read: [imap] first, then [[mailboxes]] (mailboxes.go).
	intakes []intakeMailbox

	// httpMetrics is the request latency histogram of /metrics (metrics.go).
	httpMetrics *handlers.HTTPMetrics
	// elector decides whether this instance runs the workers (leader.go); nil outside Serve.
	elector atomic.Pointer[lease.Elector]
}

// New opens the database (applying migrations) and builds every component.
func New(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	store, err := models.Open(ctx, models.Options{Driver: cfg.Database.Driver, DSN: cfg.Database.DSN, Logger: logger,
		SearchText: mailin.StripQuoted})
	if err != nil {
		return nil, err
	}
	a := &App{Cfg: cfg, Log: logger, Store: store, started: time.Now(), workerErr: map[string]string{},
		httpMetrics: handlers.NewHTTPMetrics()}
	if err := a.build(ctx); err != nil {
		_ = store.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	cfg := a.Cfg
	secret, err := loadSecret(cfg)
	if err != nil {
		return err
	}
	a.secret = secret
	if a.Catalog, err = templates.LoadCatalog(); err != nil {
		return err
	}
	mails, err := templates.LoadMailTemplates()
	if err != nil {
		return err
	}
	_, domain, _ := strings.Cut(cfg.Desk.Address, "@")
	a.IDs = mailout.NewIDSigner(secret, domain)
	loc, err := time.LoadLocation(cfg.Desk.Timezone)
	if err != nil {
		return &ConfigError{Key: "desk.timezone", Problem: err.Error()}
	}
	if err := a.syncVendors(ctx); err != nil {
		return err
	}
	if cfg.OAuth.Provider != "" {
		if a.Tokens, err = oauth.New(cfg.OAuth.oauthConfig()); err != nil {
			return &ConfigError{Key: "oauth", Problem: err.Error()}
		}
	}
	if cfg.SMTP.Host != "" {
		sender := mailout.NewSMTPSender(mailout.SMTPConfig{
			Host: cfg.SMTP.Host, Port: cfg.SMTP.Port, TLS: cfg.SMTP.TLS,
			Username: cfg.SMTP.Username, Password: cfg.SMTP.Password, Timeout: 30 * time.Second,
			Auth: cfg.SMTP.Auth, Tokens: a.bearer(),
		})
		a.Outbox = mailout.NewWorker(a.Store, sender, mailout.WorkerOptions{Logger: a.Log})
	}
	kick := func() {
		if a.Outbox != nil {
			a.Outbox.Kick()
		}
	}
	a.Desk = desk.New(a.Store, a.IDs, mails, a.Catalog, desk.Options{
		Address: mail.Address{Name: cfg.Desk.Name, Address: cfg.Desk.Address}, EnvelopeFrom: cfg.SMTP.From,
		BaseURL: cfg.Server.BaseURL, VendorShareRequester: cfg.Desk.VendorShareRequester,
		RetentionMonths: cfg.Desk.RetentionMonths, SearchOptimizeHour: cfg.Desk.SearchOptimizeHour,
		Language: cfg.Desk.Language,
		Location: loc, AckLimitPerHour: cfg.Desk.AckLimitPerHour,
	}, a.Log, kick)
	a.Webhooks = desk.NewWebhookWorker(a.Store, desk.WebhookWorkerOptions{Logger: a.Log})
	a.Processor = mailin.NewProcessor(a.Store, a.Desk, ClassifyOptions(cfg), a.Log)
	for _, mb := range cfg.intakeMailboxes() {
		mb.cfg.Tokens = a.bearer()
		mb.fetcher = mailin.NewFetcher(mb.cfg, a.Store, a.Log)
		a.intakes = append(a.intakes, mb)
	}
	if len(a.intakes) > 0 {
		a.Fetcher = a.intakes[0].fetcher
	}
	return nil
}

// syncVendors makes the vendors table match [[vendors]] in the config.
func (a *App) syncVendors(ctx context.Context) error {
	for _, v := range a.Cfg.Vendors {
		months, days := v.WarrantyMonths, v.TurnaroundDays
		if months == 0 {
			months = desk.DefaultWarrantyMonths
		}
		if days == 0 {
			days = 10
		}
		m := &models.Vendor{Name: strings.TrimSpace(v.Name), Email: strings.ToLower(strings.TrimSpace(v.Email)),
			CasePattern: v.CasePattern, WarrantyMonths: months, TurnaroundDays: days, AutoForward: v.AutoForward}
		if err := a.Store.UpsertVendor(ctx, m); err != nil {
			return fmt.Errorf("vendor %q: %w", v.Name, err)
		}
	}
	return nil
}

// loadSecret returns server.secret, or a random secret kept in a file next
// to the database so that signed Message-IDs survive restarts.
func loadSecret(cfg Config) ([]byte, error) {
	if cfg.Server.Secret != "" {
		if len(cfg.Server.Secret) < 16 {
			return nil, &ConfigError{Key: "server.secret", Problem: "is shorter than 16 characters"}
		}
		return []byte(cfg.Server.Secret), nil
	}
	path := filepath.Join(filepath.Dir(cfg.Database.DSN), "secret.key")
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		return b, nil
	}
	buf := make([]byte, 32)
	_, _ = rand.Read(buf)
	secret := []byte(hex.EncodeToString(buf))
	// Several serve processes may start at once on a new database: the first
	// secret stored wins and the others read it. Write it aside, then link it
	// into place, which fails when the file exists (and never shows a half-written one).
	tmp, err := os.CreateTemp(filepath.Dir(path), "secret.key.*")
	if err != nil {
		return nil, fmt.Errorf("store generated secret beside %q: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(secret); err != nil {
		_ = tmp.Close()
		return nil, fmt.Errorf("store generated secret in %q: %w", tmp.Name(), err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("store generated secret in %q: %w", tmp.Name(), err)
	}
	err = os.Link(tmp.Name(), path)
	if errors.Is(err, fs.ErrExist) {
		if b, rerr := os.ReadFile(path); rerr == nil && len(b) >= 32 {
			return b, nil // another process stored its secret first
		}
		err = os.Rename(tmp.Name(), path) // a damaged file: replace it
	}
	if err != nil {
		return nil, fmt.Errorf("store generated secret in %q: %w", path, err)
	}
	return secret, nil
}

// Close releases the database.
func (a *App) Close() error { return a.Store.Close() }

// Handler builds the web UI and API.
func (a *App) Handler() (http.Handler, error) {
	u, _ := url.Parse(a.Cfg.Server.BaseURL)
	return handlers.New(handlers.Deps{
		Desk: a.Desk, Store: a.Store, Catalog: a.Catalog, Logger: a.Log,
		Health: a.Health, Metrics: a.writeMetrics, HTTPMetrics: a.httpMetrics, ResellerInbox: a.resellerInbox,
		SecureCookies: u != nil && u.Scheme == "https", DefaultLanguage: a.Cfg.Desk.Language,
		OnIntakeRequeued: a.Processor.Kick, URLSigningKey: derivedKey(a.secret, "signed-urls"),
		Reports: a.Cfg.Reports, MaxInFlight: a.Cfg.Server.MaxInFlight,
		Mailbox: handlers.MailboxSettings{
			IMAPHost: a.Cfg.IMAP.Host, IMAPPort: a.Cfg.IMAP.Port, IMAPTLS: a.Cfg.IMAP.TLS, IMAPUsername: a.Cfg.IMAP.Username,
			Mailbox: a.Cfg.IMAP.Mailbox, ProcessedMailbox: a.Cfg.IMAP.ProcessedMailbox, Idle: a.Cfg.IMAP.Idle,
			PollInterval: a.Cfg.IMAP.PollInterval.Duration, SMTPHost: a.Cfg.SMTP.Host, SMTPPort: a.Cfg.SMTP.Port,
			SMTPTLS: a.Cfg.SMTP.TLS, SMTPFrom: a.Cfg.SMTP.From, DeskAddress: a.Cfg.Desk.Address,
		},
	})
}

// Serve runs the web server and, while this instance is the leader of its
// database (leader.go), the background workers until ctx is cancelled, then
// shuts down gracefully: the server stops taking requests and finishes the
// ones in flight, the workers finish their current mail, and the leader lock
// is released for a standby to take over.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	h, err := a.Handler()
	if err != nil {
		return err
	}
	lock, err := a.newLeaderLock()
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: slog.NewLogLogger(a.Log.Handler(), slog.LevelWarn)}
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	a.runElection(workCtx, &wg, lock)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	a.Log.Info("warrantydesk listening", "addr", ln.Addr().String(), "base_url", a.Cfg.Server.BaseURL)
	select {
	case <-ctx.Done():
	case err := <-errc:
		stopWork()
		wg.Wait()
		return fmt.Errorf("web server: %w", err)
	}
	a.Log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = srv.Shutdown(shutCtx)
	stopWork()
	wg.Wait()
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// startWorkers runs the leader-only work in the background: intake,
// processing, the schedule, webhook and outbox delivery, token refresh.
func (a *App) startWorkers(ctx context.Context, wg *sync.WaitGroup) {
	run := func(name string, fn func(context.Context) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(ctx); err != nil && ctx.Err() == nil {
				a.Log.Error("worker stopped", "worker", name, "err", err)
				a.workersMu.Lock()
				a.workerErr[name] = err.Error()
				a.workersMu.Unlock()
			}
		}()
	}
	run("processor", func(ctx context.Context) error { return a.Processor.Run(ctx, 30*time.Second) })
	run("schedule", func(ctx context.Context) error { return a.Desk.RunSchedule(ctx, 15*time.Minute) })
	run("webhooks", a.Webhooks.Run)
	for _, mb := range a.intakes {
		name := "imap"
		if mb.check != "intake" {
			name = "imap:" + strings.TrimPrefix(mb.check, "intake:")
		}
		run(name, func(ctx context.Context) error { return mb.fetcher.Run(ctx, a.Processor.Kick) })
	}
	if a.Tokens != nil {
		run("oauth-refresh", a.runTokenRefresh)
	}
	if a.Outbox != nil {
		run("outbox", a.Outbox.Run)
	}
}

// FetchOnce runs one intake pass over every mailbox and processes what it fetched. A mailbox
// that fails does not stop the others; what they fetched is still processed, and the failures
// are returned together, each naming its mailbox.
//
// The pass holds the leader lock: while a `serve` leads, FetchOnce refuses with an error
// matching lease.ErrHeldElsewhere, and a `serve` started meanwhile stands by until it ends.
func (a *App) FetchOnce(ctx context.Context) (fetched, processed int, err error) {
	if len(a.intakes) == 0 {
		return 0, 0, &ConfigError{Key: "imap.host", Problem: "is empty: no mailbox to fetch from"}
	}
	release, err := a.holdLeaderLock(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer release()
	var fetchErrs []error
	for _, mb := range a.intakes {
		n, err := mb.fetcher.FetchOnce(ctx)
		fetched += n
		if err != nil {
			if len(a.intakes) > 1 {
				err = fmt.Errorf("mailbox %s: %w", mb.cfg.Key, err)
			}
			fetchErrs = append(fetchErrs, err)
		}
	}
	fetchErr := errors.Join(fetchErrs...)
	a.alertTokenFailure(ctx) // queued before the delivery below, so a one-shot cron run sends it too
	if fetchErr != nil && fetched == 0 {
		return 0, 0, fetchErr
	}
	processed, err = a.Processor.ProcessPending(ctx)
	if err == nil && a.Outbox != nil {
		_, err = a.Outbox.DeliverDue(ctx)
	}
	if fetchErr != nil {
		return fetched, processed, errors.Join(fetchErr, err)
	}
	return fetched, processed, err
}

// ClassifyOptions returns the intake classification settings of cfg.
func ClassifyOptions(cfg Config) mailin.ClassifyOptions {
	var opt mailin.ClassifyOptions
	if cfg.Desk.AssetTagPattern != "" {
		opt.AssetTagPattern = regexp.MustCompile(cfg.Desk.AssetTagPattern) // validated by Config.Validate
	}
	return opt
}

// derivedKey derives a purpose-specific key from the desk secret, so that one
// secret serves several uses without one use's signatures being valid for another.
func derivedKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(purpose))
	return m.Sum(nil)
}
