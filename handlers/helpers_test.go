package handlers

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/mailout"
	"warrantydesk/models"
	"warrantydesk/templates"
)

const (
	testEmail    = "anna@desk.test"
	testPassword = "correct horse battery"
)

// env is one desk behind the real router: a fresh SQLite file, the real desk
// service and an httptest server.
type env struct {
	t      testing.TB
	store  *models.Store
	desk   *desk.Service
	cat    *templates.Catalog
	e      *echo.Echo
	srv    *httptest.Server
	agent  *models.Agent
	token  string
	inbox  []ResellerMail
	health Health
	// requeued counts the calls of Deps.OnIntakeRequeued.
	requeued atomic.Int32
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	store, err := models.Open(ctx, models.Options{DSN: t.TempDir() + "/wd.db"})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	cat, err := templates.LoadCatalog()
	if err != nil {
		t.Fatal(err)
	}
	mailTemplates, err := templates.LoadMailTemplates()
	if err != nil {
		t.Fatal(err)
	}
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		t.Fatal(err)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := desk.New(store, mailout.NewIDSigner([]byte("k"), "desk.test"), mailTemplates, cat,
		desk.Options{Address: mail.Address{Name: "IT", Address: "helpdesk@desk.test"}, Location: loc}, logger, nil)
	en := &env{t: t, store: store, desk: d, cat: cat}
	en.health = Health{OK: true, Checks: map[string]HealthCheck{"database": {OK: true}}}
	en.e, err = New(Deps{
		Desk: d, Store: store, Catalog: cat, Logger: logger, DefaultLanguage: "sv",
		Health:           func(context.Context) Health { return en.health },
		Metrics:          func(w io.Writer) { _, _ = io.WriteString(w, "warrantydesk_up 1\n") },
		ResellerInbox:    func() []ResellerMail { return en.inbox },
		OnIntakeRequeued: func() { en.requeued.Add(1) },
		LivePollInterval: 300 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	en.srv = httptest.NewServer(en.e)
	t.Cleanup(en.srv.Close)
	en.agent, err = d.CreateAgent(ctx, testEmail, "Anna Agent", models.RoleAgent, testPassword)
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	if en.token, err = store.CreateAPIToken(ctx, en.agent.ID, "test"); err != nil {
		t.Fatal(err)
	}
	return en
}

// client is a browser without JavaScript: it keeps cookies and does not
// follow redirects, so tests see every 303.
type client struct {
	t   testing.TB
	env *env
	hc  *http.Client
}

func (en *env) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		en.t.Fatal(err)
	}
	return &client{t: en.t, env: en, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// response is a finished request with its body read.
type response struct {
	*http.Response
	body string
}

func (c *client) do(req *http.Request) response {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return response{res, string(b)}
}

func (c *client) get(path string) response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.env.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values) response {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.env.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// csrf loads path and returns the CSRF token of its forms.
func (c *client) csrf(path string) string {
	c.t.Helper()
	res := c.get(path)
	m := csrfRe.FindStringSubmatch(res.body)
	if m == nil {
		c.t.Fatalf("GET %s (%d): no _csrf field in page", path, res.StatusCode)
	}
	return m[1]
}

// login logs the client in through the form.
func (c *client) login() {
	c.t.Helper()
	tok := c.csrf("/login")
	res := c.post("/login", url.Values{"email": {testEmail}, "password": {testPassword}, "_csrf": {tok}})
	if res.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("login: status %d, want 303\n%s", res.StatusCode, res.body)
	}
}

// api calls the JSON API with the env's token.
func (en *env) api(path string) response {
	en.t.Helper()
	req, err := http.NewRequest(http.MethodGet, en.srv.URL+path, nil)
	if err != nil {
		en.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+en.token)
	return en.client().do(req)
}

// seedTicket stores a ticket with one incoming mail and indexes it.
func (en *env) seedTicket(subject, status, category, requester, text string, asset *models.Asset) *models.Ticket {
	en.t.Helper()
	ctx := context.Background()
	r, err := en.store.UpsertRequester(ctx, requester, strings.Split(requester, "@")[0], "sv")
	if err != nil {
		en.t.Fatal(err)
	}
	tk := &models.Ticket{Subject: subject, RequesterID: r.ID, Status: status, Priority: "normal", Category: category}
	if asset != nil {
		tk.AssetID = &asset.ID
	}
	if err := en.store.CreateTicket(ctx, tk); err != nil {
		en.t.Fatal(err)
	}
	msg := &models.Message{TicketID: tk.ID, Direction: models.DirIn, Kind: models.KindEmail, FromEmail: requester,
		Subject: subject, Text: text, AutoClass: "personal", CreatedAt: time.Now().UTC()}
	if err := en.store.AddMessage(ctx, msg); err != nil {
		en.t.Fatal(err)
	}
	if err := en.store.IndexTicket(ctx, tk.ID); err != nil {
		en.t.Fatal(err)
	}
	return tk
}

// seedAsset stores a vendor and an asset delivered on delivered.
func (en *env) seedAsset(serial string, delivered time.Time, assignedTo string) *models.Asset {
	en.t.Helper()
	ctx := context.Background()
	v := &models.Vendor{Name: "Atea", Email: "service@atea.test", WarrantyMonths: 36, TurnaroundDays: 10}
	if err := en.store.UpsertVendor(ctx, v); err != nil {
		en.t.Fatal(err)
	}
	v, err := en.store.VendorByName(ctx, "Atea")
	if err != nil {
		en.t.Fatal(err)
	}
	a := &models.Asset{Serial: serial, AssetTag: "IT-" + serial[len(serial)-4:], Model: "ThinkPad T14",
		Manufacturer: "Lenovo", VendorID: &v.ID, DeliveredOn: &delivered, AssignedTo: assignedTo}
	if _, err := en.store.UpsertAsset(ctx, a); err != nil {
		en.t.Fatal(err)
	}
	return a
}

// testFile is an attachment for seedMail.
type testFile struct {
	name, contentType, contentID string
	data                         []byte
}

// seedMail adds an incoming mail with text, html and files to ticket tk.
func (en *env) seedMail(tk *models.Ticket, text, html string, files ...testFile) *models.Message {
	en.t.Helper()
	ctx := context.Background()
	msg := &models.Message{TicketID: tk.ID, Direction: models.DirIn, Kind: models.KindEmail, FromEmail: "eva@corp.test",
		Subject: tk.Subject, Text: text, HTML: html, AutoClass: "personal", CreatedAt: time.Now().UTC()}
	for _, f := range files {
		sum, err := en.store.PutBlob(ctx, f.data)
		if err != nil {
			en.t.Fatal(err)
		}
		msg.Attachments = append(msg.Attachments, models.Attachment{BlobSHA256: sum, Filename: f.name,
			ContentType: f.contentType, Size: int64(len(f.data)), ContentID: f.contentID, Inline: f.contentID != "",
			CreatedAt: time.Now().UTC()})
	}
	if err := en.store.AddMessage(ctx, msg); err != nil {
		en.t.Fatal(err)
	}
	return msg
}
