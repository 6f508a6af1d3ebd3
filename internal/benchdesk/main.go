// Command benchdesk measures the ticket list, a ticket page and a search
// against a realistic database: it seeds a SQLite file with 100 000 tickets
// and 500 000 messages (raw SQL in large transactions, full-text rows
// included), merges the search index as the desk does each night (unless
// -optimize=false), serves the real router, and runs each page with 50
// concurrent clients (one keep-alive connection each, see agentConn) next
// to /healthz as a baseline, printing p50/p99 per page and the process's
// CPU time per request (server and client; /healthz shows the floor). It
// then measures every page again while a writer adds a note to a random
// ticket every -write-every (and opens a ticket every fifth time) through
// the desk, so that figures helped by caches are also shown with those
// caches being invalidated.
//
//	go run -tags sqlite_fts5 ./internal/benchdesk                 # seed in a temp dir, measure
//	go run -tags sqlite_fts5 ./internal/benchdesk -db /tmp/wd.db  # keep (and reuse) the database
//	go run -tags sqlite_fts5 ./internal/benchdesk -db /tmp/wd.db -only search -write-every 0
package main

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	_ "github.com/mattn/go-sqlite3" // the driver gorm.io/driver/sqlite uses; registered as "sqlite3"

	"warrantydesk/app"
	"warrantydesk/desk"
	"warrantydesk/handlers"
	"warrantydesk/mailout"
	"warrantydesk/models"
	"warrantydesk/templates"
)

const (
	agentEmail    = "bench@desk.test"
	agentPassword = "bench password 123"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchdesk:", err)
		os.Exit(1)
	}
}

type config struct {
	db               string
	tickets, perTick int
	clients          int
	requests         int
	cpuProfile       string
	only             *regexp.Regexp
	writeEvery       time.Duration
	optimize         bool
}

// run parses args as the command line, seeds or reuses the database,
// measures and writes the tables to out. A request that fails makes it fail
// after the table that shows it: figures with failed requests mean nothing.
func run(args []string, out io.Writer) error {
	var cfg config
	flag := flag.NewFlagSet("benchdesk", flag.ContinueOnError)
	flag.StringVar(&cfg.db, "db", "", "SQLite file to seed (reused when it exists); default: a temp file")
	flag.IntVar(&cfg.tickets, "tickets", 100_000, "tickets to seed")
	flag.IntVar(&cfg.perTick, "messages", 5, "messages per ticket")
	flag.IntVar(&cfg.clients, "clients", 50, "concurrent clients")
	flag.IntVar(&cfg.requests, "requests", 2000, "requests per page")
	flag.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of the measuring phase here")
	only := flag.String("only", "", "measure only the pages whose name matches this regular expression")
	flag.BoolVar(&cfg.optimize, "optimize", true, "merge the search index first, as the desk does each night (desk.search_optimize_hour)")
	flag.DurationVar(&cfg.writeEvery, "write-every", 100*time.Millisecond, "in a second pass, write through the desk this often while measuring (0: no second pass)")
	if err := flag.Parse(args); err != nil {
		return err
	}
	var err error
	if cfg.only, err = regexp.Compile(*only); err != nil {
		return fmt.Errorf("-only: %w", err)
	}
	ctx := context.Background()
	if cfg.db == "" {
		dir, err := os.MkdirTemp("", "benchdesk")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.db = filepath.Join(dir, "wd.db")
	}
	_, statErr := os.Stat(cfg.db)
	fresh := errors.Is(statErr, os.ErrNotExist)

	// The garbage collector runs as under serve (GOGC, when set, wins).
	app.TuneGC(app.Defaults().Server, os.Environ(), nil)
	store, err := models.Open(ctx, models.Options{DSN: cfg.db})
	if err != nil {
		return err
	}
	defer store.Close()
	cat, err := templates.LoadCatalog()
	if err != nil {
		return err
	}
	mailTemplates, err := templates.LoadMailTemplates()
	if err != nil {
		return err
	}
	loc, err := time.LoadLocation("Europe/Stockholm")
	if err != nil {
		return err
	}
	logger := slog.New(slog.DiscardHandler)
	d := desk.New(store, mailout.NewIDSigner([]byte("bench"), "desk.test"), mailTemplates, cat,
		desk.Options{Address: mail.Address{Name: "IT", Address: "helpdesk@desk.test"}, Location: loc}, logger, nil)
	if fresh {
		if _, err := d.CreateAgent(ctx, agentEmail, "Bench Agent", models.RoleAgent, agentPassword); err != nil {
			return err
		}
		start := time.Now()
		if err := seed(cfg); err != nil {
			return fmt.Errorf("seed: %w", err)
		}
		fmt.Fprintf(out, "seeded %d tickets, %d messages in %s\n", cfg.tickets, cfg.tickets*cfg.perTick, time.Since(start).Round(time.Millisecond))
	}
	if fi, err := os.Stat(cfg.db); err == nil {
		fmt.Fprintf(out, "database %s: %d MB\n", cfg.db, fi.Size()>>20)
	}
	// A desk merges its search index each night; the writes of a day
	// leave it in pieces again, and a search reads every piece.
	segments, err := store.SearchSegments(ctx)
	if err != nil {
		return err
	}
	if cfg.optimize && segments > 1 {
		start := time.Now()
		if err := store.OptimizeSearch(ctx); err != nil {
			return err
		}
		fmt.Fprintf(out, "search index merged from %d pieces in %s (-optimize=false to measure it unmerged)\n", segments, time.Since(start).Round(time.Millisecond))
	} else {
		fmt.Fprintf(out, "search index in %d pieces\n", segments)
	}
	// Seeding and the merge leave much of the file as dirty pages, which
	// the kernel writes back over the next seconds with CPU time the first
	// measured page would pay for (its p99 was 10–15 ms worse than the same
	// page's later in the run). A desk merges at night: wait for the
	// writeback here.
	syscall.Sync()
	e, err := handlers.New(handlers.Deps{Desk: d, Store: store, Catalog: cat, Logger: logger, DefaultLanguage: "sv"})
	if err != nil {
		return err
	}
	srv := httptest.NewServer(e)
	defer srv.Close()
	client, err := login(srv.URL)
	if err != nil {
		return err
	}
	if cfg.cpuProfile != "" {
		stop, err := startProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	maxNumber := 1000 + cfg.tickets
	pages := []benchPage{
		{"/healthz (baseline)", func(*rand.Rand) string { return "/healthz" }},
		{"list: default view, page 1", func(*rand.Rand) string { return "/tickets" }},
		{"list: mine", func(*rand.Rand) string { return "/tickets?view=mine" }},
		{"list: overdue", func(*rand.Rand) string { return "/tickets?view=overdue" }},
		{"list: status+category, page 20", func(r *rand.Rand) string { return "/tickets?status=closed&category=hardware&page=20" }},
		{"ticket page", func(r *rand.Rand) string { return "/tickets/" + strconv.Itoa(1001+r.IntN(maxNumber-1000)) }},
		{"search (page, ranked, snippets)", func(r *rand.Rand) string {
			return "/tickets?q=" + url.QueryEscape(searchTerms[r.IntN(len(searchTerms))])
		}},
		{"search: ticket number", func(r *rand.Rand) string { return "/tickets?q=%23" + strconv.Itoa(1001+r.IntN(maxNumber-1000)) }},
	}
	pages = slices.DeleteFunc(pages, func(p benchPage) bool { return !cfg.only.MatchString(p.name) })
	// Warm up: one request of every page, then every page under the
	// clients for a quarter of a measured run, not reported. The first page
	// measured after the start (or the merge) paid for cold caches, the
	// collector's first cycles and the connections' first reads: its p99
	// was up to twice the same page's later in the run.
	for _, p := range pages {
		if _, err := get(client, srv.URL+p.path(rand.New(rand.NewPCG(1, 2)))); err != nil {
			return fmt.Errorf("%s: %w", p.name, err)
		}
	}
	warm := cfg
	warm.requests = max(cfg.requests/4, 1)
	for _, p := range pages {
		if st, err := measure(client, srv.URL, warm, p.path); err != nil || st.errors > 0 {
			return fmt.Errorf("warming up %s: %d requests failed (%v)", p.name, st.errors, err)
		}
	}
	gcPercent := debug.SetGCPercent(100)
	debug.SetGCPercent(gcPercent)
	fmt.Fprintf(out, "\n%d requests per page, %d concurrent clients, GOMAXPROCS=%d, GOGC=%d\n", cfg.requests, cfg.clients, runtime.GOMAXPROCS(0), gcPercent)
	fmt.Fprintln(out, "cpu ms/req: CPU time of the whole process (server, client, writer) per request")
	var failed []string
	table := func(title string) error {
		fmt.Fprintf(out, "\n%s\n\n", title)
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "page\tp50 ms\tp99 ms\tmax ms\treq/s\tcpu ms/req\tKB\terrors\t")
		for _, p := range pages {
			st, err := measure(client, srv.URL, cfg, p.path)
			if err != nil {
				return fmt.Errorf("%s: %w", p.name, err)
			}
			fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t%.1f\t%.0f\t%.2f\t%.0f\t%d\t\n", p.name, ms(st.p50), ms(st.p99), ms(st.max), st.rps, ms(st.cpu), st.kb, st.errors)
			if st.errors > 0 {
				failed = append(failed, fmt.Sprintf("%s: %d of %d requests", p.name, st.errors, cfg.requests))
			}
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if len(failed) > 0 {
			return fmt.Errorf("requests failed (%s)", strings.Join(failed, "; "))
		}
		return nil
	}
	if err := table("quiet (no writes)"); err != nil {
		return err
	}
	if cfg.writeEvery <= 0 {
		return nil
	}
	agent, err := store.AgentByEmail(ctx, agentEmail)
	if err != nil {
		return err
	}
	wctx, stopWriter := context.WithCancel(ctx)
	writes, writeErrs := &atomic.Int64{}, &atomic.Int64{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		writer(wctx, d, agent, cfg, maxNumber, writes, writeErrs)
	}()
	start := time.Now()
	err = table(fmt.Sprintf("with writes: a note added (or every fifth time a ticket opened) every %s", cfg.writeEvery))
	stopWriter()
	<-done
	fmt.Fprintf(out, "\n%d writes in %s, %d failed\n", writes.Load(), time.Since(start).Round(time.Second), writeErrs.Load())
	if err == nil && writeErrs.Load() > 0 {
		err = fmt.Errorf("%d of %d writes failed", writeErrs.Load(), writes.Load())
	}
	return err
}

// benchPage is one measured page: its name and how a client picks its URL.
type benchPage = struct {
	name string
	path func(r *rand.Rand) string
}

// writer changes tickets through the desk every cfg.writeEvery until ctx
// ends: a note on a random ticket, and every fifth time a new ticket. Both
// go through the same paths as the web forms and the API.
func writer(ctx context.Context, d *desk.Service, agent *models.Agent, cfg config, maxNumber int, writes, failed *atomic.Int64) {
	r := rand.New(rand.NewPCG(3, 3))
	tick := time.NewTicker(cfg.writeEvery)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		var err error
		if i%5 == 4 {
			_, err = d.CreateTicketAs(ctx, agent, desk.NewTicket{Email: fmt.Sprintf("user%d@kommun.test", r.IntN(3000)),
				Subject: subjects[r.IntN(len(subjects))], Text: sentence(r, 40)})
		} else {
			err = d.AddNote(ctx, agent, int64(1001+r.IntN(maxNumber-1000)), sentence(r, 20))
		}
		writes.Add(1)
		if err != nil && ctx.Err() == nil {
			failed.Add(1)
			fmt.Fprintln(os.Stderr, "write:", err)
		}
	}
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type stats struct {
	p50, p99, max time.Duration
	rps           float64
	cpu           time.Duration // process CPU time per request
	errors        int
	kb            float64 // average response body size
}

// measure runs cfg.requests GETs of path over cfg.clients connections, one
// simulated agent each (agentConn).
func measure(client *http.Client, base string, cfg config, path func(*rand.Rand) string) (stats, error) {
	conns := make([]*agentConn, cfg.clients)
	for i := range conns {
		c, err := dialAgent(client, base)
		if err != nil {
			return stats{}, err
		}
		defer c.close()
		conns[i] = c
	}
	var (
		mu    sync.Mutex
		lat   []time.Duration
		errs  int
		bytes int64
		wg    sync.WaitGroup
		taken atomic.Int64 // requests handed out: a counter, not a channel, so that no goroutine of the harness needs scheduling between two requests
		start = time.Now()
		cpu0  = cpuTime()
	)
	for w, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for taken.Add(1) <= int64(cfg.requests) {
				t0 := time.Now()
				n, err := c.get(path(r))
				d := time.Since(t0)
				mu.Lock()
				lat = append(lat, d)
				bytes += int64(n)
				if err != nil {
					errs++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	return stats{p50: pct(0.50), p99: pct(0.99), max: lat[len(lat)-1], rps: float64(len(lat)) / elapsed.Seconds(),
		cpu: cpu / time.Duration(len(lat)), errors: errs, kb: float64(bytes) / float64(len(lat)) / 1024}, nil
}

// agentConn is one simulated agent: a keep-alive connection with the
// session's cookies, a GET written by hand and its response read with
// http.ReadResponse, as a load generator such as wrk works. http.Client
// adds two goroutines per connection and a hand-over to each for every
// request; in this process they compete with the server for the same two
// cores, and the client's CPU time counted for 0.1 ms of a list page's
// 0.6 (README, benchmarks).
type agentConn struct {
	base, host, cookie string
	conn               net.Conn
	br                 *bufio.Reader
}

// dialAgent connects to base as the agent client is logged in as.
func dialAgent(client *http.Client, base string) (*agentConn, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	var cookies []string
	for _, c := range client.Jar.Cookies(u) {
		cookies = append(cookies, c.Name+"="+c.Value)
	}
	c := &agentConn{base: base, host: u.Host, cookie: strings.Join(cookies, "; ")}
	return c, c.dial()
}

func (c *agentConn) dial() error {
	conn, err := net.Dial("tcp", c.host)
	if err != nil {
		return err
	}
	c.conn, c.br = conn, bufio.NewReaderSize(conn, 64<<10)
	return nil
}

func (c *agentConn) close() {
	if c.conn != nil {
		c.conn.Close()
	}
}

// get requests path and reads the whole response; it returns the body's
// size. After an error the connection is dialled anew for the next request.
func (c *agentConn) get(path string) (int, error) {
	n, err := c.roundTrip(path)
	if err != nil {
		c.close()
		if derr := c.dial(); derr != nil {
			fmt.Fprintln(os.Stderr, "benchdesk: reconnect:", derr)
		}
	}
	return n, err
}

func (c *agentConn) roundTrip(path string) (int, error) {
	if _, err := io.WriteString(c.conn, "GET "+path+" HTTP/1.1\r\nHost: "+c.host+"\r\nCookie: "+c.cookie+"\r\n\r\n"); err != nil {
		return 0, err
	}
	res, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK || res.Close {
		return 0, fmt.Errorf("GET %s: %s", path, res.Status)
	}
	return int(n), nil
}

// get fetches u with client (log-in and warm-up) and returns the body's size.
func get(client *http.Client, u string) (int, error) {
	res, err := client.Get(u)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", u, res.Status)
	}
	return int(n), nil
}

var csrfRe = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// login signs the bench agent in through the form and returns a client
// that keeps the session (shared by every simulated client).
func login(base string) (*http.Client, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	client := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: 100},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Get(base + "/login")
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, err
	}
	m := csrfRe.FindSubmatch(body)
	if m == nil {
		return nil, errors.New("login page has no CSRF field")
	}
	res, err = client.PostForm(base+"/login", url.Values{"email": {agentEmail}, "password": {agentPassword}, "_csrf": {string(m[1])}})
	if err != nil {
		return nil, err
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("login: %s", res.Status)
	}
	return client, nil
}

// Seeding.

var (
	searchTerms = []string{"skarm", "skärm", "batteri", "tangentbord", "lösenord", "laddare", "flimrar", "keyboard", "outlook", "teams"}
	subjects    = []string{"Skärmen flimrar", "Batteriet laddar inte", "Tangentbordet fungerar inte", "Glömt lösenordet",
		"Teams kraschar", "Outlook startar inte", "Laddaren är trasig", "Datorn är långsam", "Screen is broken",
		"Keyboard missing keys", "Cannot log in", "Printer jams", "Fläkten låter", "Wifi tappar anslutningen"}
	words = strings.Fields(`hej jag har problem med min dator skärmen flimrar och batteriet laddar inte
		tangentbordet saknar tangenter lösenordet fungerar inte längre outlook teams kraschar varje morgon
		the screen is cracked keyboard battery charger fan noise laptop slow please help thanks regards
		skolan kontoret ekonomi vården ärendet garantin serienummer modell leverans reparation`)
	departments = []string{"Ekonomi", "Skola Norr", "Skola Syd", "Vården", "IT", "HR", "Kultur", "Teknik", "Bibliotek", "Miljö"}
	statuses    = []string{"closed", "closed", "closed", "closed", "resolved", "resolved", "open", "open", "new", "pending", "at_vendor"}
	categories  = []string{"hardware", "hardware", "software", "account", "other"}
	priorities  = []string{"low", "normal", "normal", "normal", "high", "urgent"}
)

// fillers are 4 000 made-up words: the bulk of every message, so that a
// real word like "skärmen" is in a realistic share of tickets (about one in
// ten) rather than in all of them.
var fillers = func() []string {
	cons, vows := []string{"b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v"}, []string{"a", "e", "i", "o", "u", "ä", "ö"}
	r := rand.New(rand.NewPCG(9, 9))
	out := make([]string, 4000)
	for i := range out {
		var b strings.Builder
		for range 2 + r.IntN(3) {
			b.WriteString(cons[r.IntN(len(cons))] + vows[r.IntN(len(vows))])
		}
		out[i] = b.String()
	}
	return out
}()

func sentence(r *rand.Rand, n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(' ')
		}
		if r.IntN(100) < 3 {
			b.WriteString(words[r.IntN(len(words))])
		} else {
			b.WriteString(fillers[r.IntN(len(fillers))])
		}
	}
	return b.String()
}

// seed fills the database with raw SQL in transactions of batch rows;
// ticket_fts rows are written with their tickets, as IndexTicket would.
func seed(cfg config) error {
	db, err := sql.Open("sqlite3", "file:"+cfg.db+"?_journal_mode=WAL&_synchronous=OFF&_foreign_keys=off&_busy_timeout=10000")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	r := rand.New(rand.NewPCG(42, 42))
	now := time.Now().UTC()
	const requesters, assets, agents = 3000, 20_000, 8
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	exec := func(q string, args ...any) {
		if err == nil {
			_, err = tx.Exec(q, args...)
		}
	}
	for i := range agents {
		exec("INSERT INTO agents(email, name, role, password_hash, created_at, updated_at) VALUES (?, ?, 'agent', 'x', ?, ?)",
			fmt.Sprintf("agent%d@desk.test", i), fmt.Sprintf("Agent %d", i), now, now)
	}
	exec("INSERT INTO vendors(name, email, warranty_months, turnaround_days, auto_forward, created_at, updated_at) VALUES ('Atea', 'service@atea.test', 36, 10, 1, ?, ?), ('Dustin', 'rma@dustin.test', 24, 10, 0, ?, ?)", now, now, now, now)
	for i := range requesters {
		exec("INSERT INTO requesters(email, name, department, language, created_at, updated_at) VALUES (?, ?, ?, 'sv', ?, ?)",
			fmt.Sprintf("user%d@kommun.test", i), fmt.Sprintf("Användare %d", i), departments[i%len(departments)], now, now)
	}
	for i := range assets {
		delivered := now.AddDate(0, 0, -r.IntN(5*365))
		ends := delivered.AddDate(3, 0, -1)
		exec("INSERT INTO assets(serial, asset_tag, model, manufacturer, vendor_id, delivered_on, warranty_months, assigned_to, department, state, created_at, updated_at, warranty_ends_on_effective) VALUES (?, ?, 'ThinkPad T14', 'Lenovo', ?, ?, 0, ?, ?, 'in_use', ?, ?, ?)",
			fmt.Sprintf("PF%08d", i), fmt.Sprintf("IT-%05d", i), 1+i%2, delivered, fmt.Sprintf("user%d@kommun.test", i%requesters),
			departments[i%len(departments)], now, now, ends.Format("2006-01-02"))
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return err
	}
	var agentIDs []int64
	rows, err := db.Query("SELECT id FROM agents")
	if err != nil {
		return err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		agentIDs = append(agentIDs, id)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	const batch = 5000
	for startN := 0; startN < cfg.tickets; startN += batch {
		if err := seedBatch(db, r, cfg, startN, min(batch, cfg.tickets-startN), requesters, assets, agentIDs, now); err != nil {
			return err
		}
	}
	_, err = db.Exec("PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

func seedBatch(db *sql.DB, r *rand.Rand, cfg config, from, n, requesters, assets int, agentIDs []int64, now time.Time) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	ticketStmt, err := tx.Prepare(`INSERT INTO tickets(id, number, subject, requester_id, status, priority, category, language, asset_id,
		assignee_id, sla_due_at, resolved_at, created_at, updated_at, sla_paused_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'sv', ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	msgStmt, err := tx.Prepare(`INSERT INTO messages(ticket_id, direction, kind, from_name, from_email, subject, text, auto_class, created_at)
		VALUES (?, ?, 'email', ?, ?, ?, ?, 'personal', ?)`)
	if err != nil {
		return err
	}
	ftsStmt, err := tx.Prepare("INSERT INTO ticket_fts(rowid, subject, body, requester, serial) VALUES (?, ?, ?, ?, ?)")
	if err != nil {
		return err
	}
	for i := from; i < from+n; i++ {
		id := int64(i + 1)
		created := now.Add(-time.Duration(cfg.tickets-i) * 15 * time.Minute) // ~3 years, oldest first
		updated := created.Add(time.Duration(r.IntN(72)) * time.Hour)
		subject := subjects[r.IntN(len(subjects))]
		req := r.IntN(requesters)
		status := statuses[r.IntN(len(statuses))]
		var assetID, assigneeID, resolved, paused any
		serial := ""
		if r.IntN(10) < 4 {
			a := r.IntN(assets)
			assetID, serial = a+1, fmt.Sprintf("PF%08d IT-%05d", a, a)
		}
		if r.IntN(3) > 0 {
			assigneeID = agentIDs[r.IntN(len(agentIDs))]
		}
		due := created.Add(24 * time.Hour)
		if status == "resolved" || status == "closed" {
			resolved = updated
		}
		if status == "at_vendor" {
			paused = updated
		}
		if _, err := ticketStmt.Exec(id, 1001+i, subject, req+1, status, priorities[r.IntN(len(priorities))],
			categories[r.IntN(len(categories))], assetID, assigneeID, due, resolved, created, updated, paused); err != nil {
			return fmt.Errorf("ticket %d: %w", 1001+i, err)
		}
		texts := make([]string, cfg.perTick)
		for m := range cfg.perTick {
			dir := "in"
			if m%2 == 1 {
				dir = "out"
			}
			texts[m] = sentence(r, 30+r.IntN(40))
			if _, err := msgStmt.Exec(id, dir, fmt.Sprintf("Användare %d", req), fmt.Sprintf("user%d@kommun.test", req),
				subject, texts[m], created.Add(time.Duration(m)*time.Hour)); err != nil {
				return err
			}
		}
		if _, err := ftsStmt.Exec(id, subject, strings.Join(texts, "\n"), fmt.Sprintf("Användare %d user%d@kommun.test", req, req), serial); err != nil {
			return err
		}
	}
	return tx.Commit()
}
