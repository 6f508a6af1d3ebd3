package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"embed"
	"encoding/base32"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"text/template"
	"time"

	"warrantydesk/devmail"
	"warrantydesk/handlers"
	"warrantydesk/mailin"
	"warrantydesk/models"
)

//go:embed demodata/*.eml
var demoMails embed.FS

// DemoOptions configure RunDemo.
type DemoOptions struct {
	Listen string
	Out    io.Writer // where the URL and login are printed
	Logger *slog.Logger
	// ResellerDelay is how long the scripted reseller takes to answer a forward.
	ResellerDelay time.Duration
	// Ready, when set, receives the running demo once it serves (tests).
	Ready func(*Demo)
}

// Demo is a running demo: a desk with its own IMAP server, SMTP capture and data.
type Demo struct {
	App      *App
	IMAP     *devmail.IMAPServer
	SMTP     *devmail.SMTPCapture
	URL      string
	Email    string
	Password string
	Token    string // an API token of the admin
	Dir      string
}

// Demo identities.
const (
	demoDeskAddress = "helpdesk@exempelkommun.se"
	demoAdminEmail  = "admin@exempelkommun.se"
	demoVendorEmail = "garanti@refurbo.example"
	demoVendor2     = "service@datacycle.example"
	demoIMAPUser    = "helpdesk"
	demoOutOfOffice = "erik.holm@exempelkommun.se"
)

// RunDemo runs the whole loop with no configuration: a fresh database in a
// temporary directory, an in-process IMAP server seeded with staff mail, an
// in-process SMTP capture playing the reseller (which answers forwards with a
// case number a few seconds later), a seeded fleet and an admin login.
func RunDemo(ctx context.Context, opt DemoOptions) error {
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.ResellerDelay == 0 {
		opt.ResellerDelay = 4 * time.Second
	}
	dir, err := os.MkdirTemp("", "warrantydesk-demo-")
	if err != nil {
		return fmt.Errorf("create demo directory: %w", err)
	}
	defer os.RemoveAll(dir)

	imapPassword := randomWord(12)
	imapSrv, err := devmail.StartIMAPServer("127.0.0.1:0", demoIMAPUser, imapPassword, opt.Logger)
	if err != nil {
		return fmt.Errorf("start demo IMAP server: %w", err)
	}
	defer imapSrv.Close()
	capture, err := devmail.StartSMTPCapture("127.0.0.1:0", opt.Logger)
	if err != nil {
		return fmt.Errorf("start demo SMTP capture: %w", err)
	}
	defer capture.Close()

	ln, err := net.Listen("tcp", opt.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (try -listen 127.0.0.1:0)", opt.Listen, err)
	}
	base := "http://" + ln.Addr().String()

	cfg := Defaults()
	cfg.Server.Listen, cfg.Server.BaseURL = ln.Addr().String(), base
	cfg.Database.DSN = filepath.Join(dir, "warrantydesk.db")
	cfg.IMAP = IMAPConfig{Host: imapSrv.Host(), Port: imapSrv.Port(), TLS: "none", Username: demoIMAPUser,
		Password: imapPassword, Mailbox: "INBOX", Idle: true, PollInterval: Duration{2 * time.Second}, MaxSize: 25 << 20}
	cfg.SMTP = SMTPConfig{Host: capture.Host(), Port: capture.Port(), TLS: "none", From: demoDeskAddress}
	cfg.Desk.Address, cfg.Desk.Name = demoDeskAddress, "IT-helpdesk Exempelkommun"
	cfg.Desk.AssetTagPattern = `(?i)\bEK-?\d{5}\b`
	cfg.Vendors = []VendorConfig{
		{Name: "Refurbo AB", Email: demoVendorEmail, CasePattern: `RMA-\d{4}-\d{4}`, WarrantyMonths: 36, TurnaroundDays: 10, AutoForward: true},
		{Name: "Datacycle Nordic", Email: demoVendor2, CasePattern: `DC\d{6}`, WarrantyMonths: 36, TurnaroundDays: 14, AutoForward: false},
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("demo config: %w", err)
	}
	a, err := New(ctx, cfg, opt.Logger)
	if err != nil {
		return err
	}
	defer a.Close()

	now := time.Now().UTC()
	fleet := newDemoFleet(now)
	sum, err := a.Desk.ImportAssets(ctx, strings.NewReader(fleet.csv()), nil)
	if err != nil || sum.Failed > 0 {
		return fmt.Errorf("seed demo fleet: %v %v", err, sum.Errors)
	}
	password := randomWord(16)
	admin, err := a.Desk.CreateAgent(ctx, demoAdminEmail, "Demo Admin", models.RoleAdmin, password)
	if err != nil {
		return fmt.Errorf("create demo admin: %w", err)
	}
	token, err := a.Store.CreateAPIToken(ctx, admin.ID, "demo")
	if err != nil {
		return fmt.Errorf("create demo API token: %w", err)
	}
	if _, err := a.Desk.CreateAgent(ctx, "agent@exempelkommun.se", "Sara Agent", models.RoleAgent, randomWord(16)); err != nil {
		return fmt.Errorf("create demo agent: %w", err)
	}

	reseller := &demoReseller{imap: imapSrv, delay: opt.ResellerDelay, log: opt.Logger, ctx: ctx}
	capture.OnMail(reseller.onMail)
	a.resellerInbox = func() []handlers.ResellerMail { return resellerInbox(capture) }

	if err := seedDemoMails(imapSrv, fleet, now); err != nil {
		return err
	}

	d := &Demo{App: a, IMAP: imapSrv, SMTP: capture, URL: base, Email: demoAdminEmail, Password: password, Token: token, Dir: dir}
	fmt.Fprintf(opt.Out, `
warrantydesk demo is running.

  Open:      %s/login
  Log in:    %s
  Password:  %s
  API:       curl -H 'Authorization: Bearer %s' %s/api/v1/tickets

  Staff mail arrives over IMAP from an in-process server; the reseller's
  mailbox is an in-process SMTP capture (menu "Återförsäljarens inkorg").
  The reseller answers each warranty case with an RMA number after ~%s.
  Everything lives in %s and is deleted on exit. Stop with Ctrl+C.

`, base, demoAdminEmail, password, token, base, opt.ResellerDelay, dir)
	if opt.Ready != nil {
		opt.Ready(d)
	}
	err = a.Serve(ctx, ln)
	reseller.wait()
	return err
}

// demoFleet is the seeded fleet: which serial plays which part in the demo mails.
type demoFleet struct {
	now    time.Time
	assets []demoAsset
}

type demoAsset struct {
	role, serial, tag, model, manufacturer, vendor, assignedTo, department string
	delivered                                                              time.Time
}

func newDemoFleet(now time.Time) *demoFleet {
	months := func(n int) time.Time { return now.AddDate(0, -n, 0) }
	f := &demoFleet{now: now, assets: []demoAsset{
		{"warranty1", "PF3KX2A1", "EK-10231", "Lenovo ThinkPad T14 Gen 2", "Lenovo", "Refurbo AB", "anna.lindqvist@skola.exempelkommun.se", "Norrskolan", months(14)},
		{"warranty2", "5CG2341XYZ", "EK-10877", "HP EliteBook 840 G8", "HP", "Refurbo AB", "goran.ekstrom@omsorg.exempelkommun.se", "Solgårdens äldreboende", months(20)},
		{"manual1", "7XK9P13", "EK-11002", "Dell Latitude 5420", "Dell", "Datacycle Nordic", "sarah.johnson@skola.exempelkommun.se", "Västerskolan", months(8)},
		{"expired1", "PC1M8QWE", "EK-08811", "Lenovo ThinkPad T480", "Lenovo", "Refurbo AB", "lars.nilsson@exempelkommun.se", "Socialförvaltningen", months(40)},
		{"warranty3", "5CD1187KLM", "EK-10555", "HP ProBook 450 G8", "HP", "Refurbo AB", "helen.carter@omsorg.exempelkommun.se", "Solgårdens äldreboende", months(11)},
	}}
	models := []struct{ model, manufacturer, prefix string }{
		{"Lenovo ThinkPad T14 Gen 2", "Lenovo", "PF3"}, {"HP EliteBook 840 G8", "HP", "5CG"}, {"Dell Latitude 5420", "Dell", "D"},
	}
	departments := []string{"Norrskolan", "Västerskolan", "Solgårdens äldreboende", "Kommunledningskontoret", "Ekonomiavdelningen"}
	for i := range 45 {
		m := models[i%len(models)]
		serial := fmt.Sprintf("%s%05dQ", m.prefix, 20000+i*37)
		f.assets = append(f.assets, demoAsset{"", serial, fmt.Sprintf("EK-%05d", 12000+i), m.model, m.manufacturer,
			"Refurbo AB", "", departments[i%len(departments)], months(2 + i%42)})
	}
	return f
}

func (f *demoFleet) csv() string {
	var b strings.Builder
	b.WriteString("serial,asset_tag,model,manufacturer,vendor,delivered_on,warranty_months,warranty_ends_on,assigned_to,department\n")
	for _, a := range f.assets {
		fmt.Fprintf(&b, "%s,%s,%s,%s,%s,%s,36,,%s,%s\n", a.serial, a.tag, a.model, a.manufacturer, a.vendor,
			a.delivered.Format("2006-01-02"), a.assignedTo, a.department)
	}
	return b.String()
}

func (f *demoFleet) byRole(role string) demoAsset {
	for _, a := range f.assets {
		if a.role == role {
			return a
		}
	}
	panic("demo fleet has no asset for role " + role)
}

// seedDemoMails renders the embedded staff mails and appends them to INBOX.
func seedDemoMails(srv *devmail.IMAPServer, fleet *demoFleet, now time.Time) error {
	names, err := fs.Glob(demoMails, "demodata/*.eml")
	if err != nil {
		return err
	}
	sort.Strings(names)
	run := randomWord(6)
	funcs := template.FuncMap{
		"date": func(minutesAgo int) string {
			return now.Add(-time.Duration(minutesAgo) * time.Minute).Format(time.RFC1123Z)
		},
		"id": func(name string) string { return name + "." + run },
		"serial": func(role, sep string) string {
			s := fleet.byRole(role).serial
			if sep == "" || len(s) < 6 {
				return s
			}
			return s[:3] + sep + s[3:]
		},
		"serialLower": func(role string) string { return strings.ToLower(fleet.byRole(role).serial) },
		"tag":         func(role string) string { return fleet.byRole(role).tag },
	}
	for i, name := range names {
		src, err := demoMails.ReadFile(name)
		if err != nil {
			return err
		}
		t, err := template.New(name).Funcs(funcs).Parse(string(src))
		if err != nil {
			return fmt.Errorf("demo mail %s: %w", name, err)
		}
		var b bytes.Buffer
		if err := t.Execute(&b, nil); err != nil {
			return fmt.Errorf("demo mail %s: %w", name, err)
		}
		raw := bytes.ReplaceAll(b.Bytes(), []byte("\n"), []byte("\r\n"))
		var flags []string
		if i%4 == 3 {
			flags = append(flags, `\Seen`) // a mail someone already opened is still fetched
		}
		if err := srv.Append("INBOX", raw, flags...); err != nil {
			return fmt.Errorf("seed demo mail %s: %w", name, err)
		}
	}
	return nil
}

// demoReseller answers every warranty forward like a reseller's service desk:
// a reply from its own domain, threaded by In-Reply-To, with an RMA number.
type demoReseller struct {
	imap  *devmail.IMAPServer
	delay time.Duration
	log   *slog.Logger
	ctx   context.Context
	mu    sync.Mutex
	n     int
	wg    sync.WaitGroup
}

func (r *demoReseller) onMail(m devmail.CapturedMail) {
	for _, rcpt := range m.To {
		switch strings.ToLower(rcpt) {
		case demoVendorEmail:
			r.mu.Lock()
			r.n++
			caseRef := fmt.Sprintf("RMA-%d-%04d", time.Now().Year(), 411+r.n)
			r.mu.Unlock()
			r.answer(r.delay, resellerReply(m, caseRef))
		case demoOutOfOffice:
			// This member of staff is away: their mail server answers our
			// acknowledgement automatically, which must not touch the ticket.
			r.answer(time.Second, outOfOfficeReply(m))
		}
	}
}

// answer appends raw to the desk's inbox after delay, as if it had been mailed.
func (r *demoReseller) answer(delay time.Duration, raw []byte) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(delay):
		}
		if err := r.imap.Append("INBOX", raw); err != nil {
			r.log.Error("demo scripted reply", "err", err)
		}
	}()
}

func outOfOfficeReply(m devmail.CapturedMail) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: Erik Holm <%s>\r\n", demoOutOfOffice)
	fmt.Fprintf(&b, "To: %s\r\n", demoDeskAddress)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", "Automatiskt svar: "+m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@exempelkommun.se>\r\n", strings.ToLower(randomWord(16)))
	fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", m.MessageID, m.MessageID)
	b.WriteString("Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString("Jag är på kurs till och med fredag och läser inte mejl. Vid brådskande ärenden, ring växeln.\r\n")
	return []byte(b.String())
}

func (r *demoReseller) wait() { r.wg.Wait() }

func resellerReply(m devmail.CapturedMail, caseRef string) []byte {
	replyTo := demoDeskAddress
	if msg, err := mail.ReadMessage(bytes.NewReader(m.Raw)); err == nil {
		if list, err := msg.Header.AddressList("Reply-To"); err == nil && len(list) > 0 {
			replyTo = list[0].Address
		}
	}
	body := fmt.Sprintf(`Hej,

tack för ert ärende. Vi har registrerat det hos oss som %s.

Skicka enheten till vår verkstad med den fraktsedel som kommer i ett separat
mejl, eller lämna den till budet på torsdag. Normal reparationstid är 5-7
arbetsdagar.

Med vänliga hälsningar
Jonas Berg
Refurbo AB, garantiservice
`, caseRef)
	var b strings.Builder
	fmt.Fprintf(&b, "From: Refurbo AB Garantiservice <service@refurbo.example>\r\n")
	fmt.Fprintf(&b, "To: %s\r\n", replyTo)
	fmt.Fprintf(&b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", "SV: "+m.Subject))
	fmt.Fprintf(&b, "Date: %s\r\n", time.Now().Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@refurbo.example>\r\n", strings.ToLower(randomWord(16)))
	fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", m.MessageID, m.MessageID)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
	b.WriteString(strings.ReplaceAll(body, "\n", "\r\n"))
	return []byte(b.String())
}

// resellerInbox lists what the demo reseller received, newest first.
func resellerInbox(c *devmail.SMTPCapture) []handlers.ResellerMail {
	var out []handlers.ResellerMail
	for _, m := range c.Messages() {
		vendor := false
		for _, rcpt := range m.To {
			vendor = vendor || strings.EqualFold(rcpt, demoVendorEmail) || strings.EqualFold(rcpt, demoVendor2)
		}
		if !vendor {
			continue
		}
		rm := handlers.ResellerMail{From: m.From, To: m.To, Subject: m.Subject, At: m.At}
		if p, err := mailin.Parse(m.Raw); err == nil {
			rm.Text = p.Text
		}
		out = append([]handlers.ResellerMail{rm}, out...)
	}
	return out
}

func randomWord(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)[:n]
}
