package mailin

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-sasl"
	"golang.org/x/text/encoding/charmap"

	"warrantydesk/models"
	"warrantydesk/oauth"
)

// Defaults of IMAPConfig.
const (
	defaultIMAPMailbox     = "INBOX"
	defaultIMAPMaxSize     = 25 << 20
	defaultIMAPBatchSize   = 200
	defaultIMAPPoll        = time.Minute
	imapChunkBytes         = 64 << 20 // bodies held in memory before one RecordFetched
	imapIdleRestart        = 24 * time.Minute
	imapBackoffMin         = time.Second
	imapBackoffMax         = time.Minute
	imapDialTimeout        = 30 * time.Second
	imapMaxStoredFieldSize = 500 // IntakeRecord.MessageID / Subject column size
)

// IMAPConfig is one mailbox to read.
type IMAPConfig struct {
	// Key names the mailbox in the store: its cursor and its intake records. Default Mailbox,
	// which is what a desk with one mailbox has always used; with several accounts it must be
	// unique per account and folder (e.g. "reseller:INBOX").
	Key string

	Host string
	Port int    // default 993 with TLS "implicit", else 143
	TLS  string // "implicit" (default) | "starttls" | "none"

	Username, Password string
	// Auth is "password" (default: LOGIN, or AUTHENTICATE PLAIN) or "xoauth2" (a bearer token
	// from Tokens, for Microsoft 365 and Gmail).
	Auth   string
	Tokens oauth.Bearer

	// Mailbox is the mailbox to read, default "INBOX".
	Mailbox string
	// ProcessedMailbox, when set, is where fetched mail is moved (created if missing). Without the
	// MOVE extension (RFC 6851) the mail is only copied and left in Mailbox: nothing is ever deleted.
	ProcessedMailbox string
	// Idle uses IDLE (RFC 2177) between passes when the server supports it; otherwise the
	// mailbox is polled every PollInterval.
	Idle         bool
	PollInterval time.Duration // default 1 minute
	// MaxSize is the largest mail downloaded, default 25 MiB. A larger mail is recorded as
	// quarantined with only its header stored.
	MaxSize int64
	// BatchSize is the number of UIDs per FETCH, default 200.
	BatchSize          int
	InsecureSkipVerify bool
}

// withDefaults returns cfg with every zero value replaced by its default.
func (cfg IMAPConfig) withDefaults() IMAPConfig {
	cfg.TLS = strings.ToLower(strings.TrimSpace(cfg.TLS))
	if cfg.TLS == "" {
		cfg.TLS = "implicit"
	}
	if cfg.Port == 0 {
		cfg.Port = 143
		if cfg.TLS == "implicit" {
			cfg.Port = 993
		}
	}
	if cfg.Mailbox == "" {
		cfg.Mailbox = defaultIMAPMailbox
	}
	if cfg.Key == "" {
		cfg.Key = cfg.Mailbox
	}
	cfg.Auth = strings.ToLower(strings.TrimSpace(cfg.Auth))
	if cfg.Auth == "" {
		cfg.Auth = AuthPassword
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = defaultIMAPPoll
	}
	if cfg.MaxSize <= 0 {
		cfg.MaxSize = defaultIMAPMaxSize
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = defaultIMAPBatchSize
	}
	return cfg
}

func (cfg IMAPConfig) check() error {
	if cfg.Host == "" {
		return errors.New("imap: host is empty")
	}
	switch cfg.TLS {
	case "implicit", "starttls", "none":
	default:
		return fmt.Errorf("imap: tls %q is not one of implicit, starttls, none", cfg.TLS)
	}
	if cfg.Port < 1 || cfg.Port > 65535 {
		return fmt.Errorf("imap: port %d is out of range", cfg.Port)
	}
	if err := cfg.checkAuth(); err != nil {
		return err
	}
	if cfg.ProcessedMailbox == cfg.Mailbox {
		return fmt.Errorf("imap: processed_mailbox %q is the mailbox being read", cfg.ProcessedMailbox)
	}
	return nil
}

// Fetcher reads new mail from one mailbox into the store (stage "fetch" + "store raw").
//
// Progress is tracked by UIDVALIDITY + UID in the store's MailboxCursor, never by \Seen or
// dates: a mail someone already read is still fetched, and BODY.PEEK[] never marks one read.
type Fetcher struct {
	cfg   IMAPConfig
	store *models.Store
	log   *slog.Logger

	// Reconnect back-off and IDLE restart; tests shorten them.
	backoffMin, backoffMax time.Duration
	idleRestart            time.Duration
}

// NewFetcher returns a Fetcher for one mailbox; zero fields of cfg get their defaults.
func NewFetcher(cfg IMAPConfig, store *models.Store, logger *slog.Logger) *Fetcher {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	return &Fetcher{
		cfg:         cfg,
		store:       store,
		log:         logger.With("subsystem", "imap", "mailbox", cfg.Key),
		backoffMin:  imapBackoffMin,
		backoffMax:  imapBackoffMax,
		idleRestart: imapIdleRestart,
	}
}

// FetchOnce connects, logs in, selects the mailbox, and stores every mail with a UID above the
// cursor, then logs out. When the mailbox's UIDVALIDITY changed, the cursor is reset and the whole
// mailbox read again (RFC 3501 §2.3.1.1); the processor drops the duplicates by Message-ID and
// content hash. Mail is stored in batches through Store.RecordFetched, one transaction each, so
// an error part-way keeps the batches already stored. The pass is noted on the cursor
// (NoteFetchOK or NoteFetchError). It returns the number of new mails stored.
func (f *Fetcher) FetchOnce(ctx context.Context) (int, error) {
	if err := f.cfg.check(); err != nil {
		return 0, err
	}
	s, err := f.connect(ctx)
	if err != nil {
		f.noteError(ctx, err)
		return 0, err
	}
	defer s.close(ctx)
	n, err := f.pass(ctx, s)
	if err != nil {
		f.noteError(ctx, err)
		return n, err
	}
	if err := f.store.NoteFetchOK(ctx, f.cfg.Key, s.uidValidity); err != nil {
		return n, fmt.Errorf("note fetch of mailbox %q: %w", f.cfg.Mailbox, err)
	}
	return n, nil
}

// Run keeps the mailbox in sync until ctx is cancelled, over one connection: after each pass it
// waits in IDLE when cfg.Idle is set and the server supports it (IDLE is re-issued every 24
// minutes, before the 30-minute inactivity limit of RFC 3501 §5.4), else it waits PollInterval.
// Any error is noted on the cursor (NoteFetchError); Run then reconnects with exponential
// back-off (1 s doubling to 60 s, with imapJitter), reset after a successful pass. After each pass
// that stored mail it calls onStored (which must not block, e.g. Processor.Kick).
// Run returns nil when ctx is cancelled, and an error only for an unusable configuration.
func (f *Fetcher) Run(ctx context.Context, onStored func()) error {
	if err := f.cfg.check(); err != nil {
		return err
	}
	backoff := f.backoffMin
	for {
		err := f.runSession(ctx, onStored, func() { backoff = f.backoffMin })
		if ctx.Err() != nil {
			return nil
		}
		f.noteError(ctx, err)
		wait := imapJitter(backoff)
		backoff = min(backoff*2, f.backoffMax)
		f.log.Warn("IMAP connection failed; reconnecting", "err", err, "retry_in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// runSession connects and keeps passing over the mailbox until an error or cancellation.
func (f *Fetcher) runSession(ctx context.Context, onStored func(), passed func()) error {
	s, err := f.connect(ctx)
	if err != nil {
		return err
	}
	defer s.close(ctx)
	useIdle := f.cfg.Idle && s.caps.Has(imap.CapIdle)
	if f.cfg.Idle && !useIdle {
		f.log.Warn("server does not support IDLE; polling", "poll_interval", f.cfg.PollInterval)
	}
	f.log.Info("watching mailbox", "host", f.cfg.Host, "idle", useIdle, "uidvalidity", s.uidValidity)
	for {
		n, err := f.pass(ctx, s)
		if n > 0 && onStored != nil {
			onStored() // also after a failed pass: what it stored is safe and can be processed
		}
		if err != nil {
			return err
		}
		passed()
		if err := f.store.NoteFetchOK(ctx, f.cfg.Key, s.uidValidity); err != nil && ctx.Err() == nil {
			f.log.Error("could not note fetch success", "err", err)
		}
		if useIdle {
			err = f.idle(ctx, s)
		} else {
			err = f.poll(ctx, s)
		}
		if err != nil {
			return err
		}
	}
}

// idle waits in IDLE until the server announces new mail, the restart interval passes, or ctx ends.
func (f *Fetcher) idle(ctx context.Context, s *imapSession) error {
	cmd, err := s.c.Idle()
	if err != nil {
		return fmt.Errorf("start IDLE: %w", err)
	}
	// Also wake every poll interval: a server that misses a notification
	// (a mail arriving between the last search and IDLE) costs one interval, not an IDLE period.
	t := time.NewTimer(min(f.idleRestart, f.cfg.PollInterval))
	defer t.Stop()
	select {
	case <-ctx.Done():
		_ = cmd.Close()
		return ctx.Err()
	case <-s.c.Closed():
		_ = cmd.Close()
		return errors.New("server closed the connection during IDLE")
	case <-s.newMail:
	case <-t.C:
	}
	if err := cmd.Close(); err != nil {
		return fmt.Errorf("stop IDLE: %w", err)
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("IDLE: %w", err)
	}
	return nil
}

// poll waits PollInterval, or less when the server announced new mail during the last pass.
func (f *Fetcher) poll(ctx context.Context, s *imapSession) error {
	t := time.NewTimer(f.cfg.PollInterval)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.c.Closed():
		return errors.New("server closed the connection")
	case <-s.newMail:
		return nil
	case <-t.C:
		return nil
	}
}

func (f *Fetcher) noteError(ctx context.Context, fetchErr error) {
	if ctx.Err() != nil || fetchErr == nil {
		return
	}
	if err := f.store.NoteFetchError(ctx, f.cfg.Key, fetchErr); err != nil {
		f.log.Error("could not note fetch error", "err", err, "fetch_err", fetchErr)
	}
}

// imapJitter spreads d over [0.75d, 1.25d) so many desks restarting together don't reconnect in step.
func imapJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return d*3/4 + rand.N(d/2+1)
}

// imapSession is one logged-in connection with the mailbox selected.
type imapSession struct {
	c           *imapclient.Client
	caps        imap.CapSet
	uidValidity uint32
	newMail     chan struct{} // EXISTS arrived (buffer 1: a pending signal is enough)
	stopCancel  func() bool   // stops closing the connection on ctx cancellation
}

// connect dials, logs in and selects the mailbox (read-only unless mail is moved afterwards).
func (f *Fetcher) connect(ctx context.Context) (*imapSession, error) {
	cfg := f.cfg
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	s := &imapSession{newMail: make(chan struct{}, 1)}
	opts := &imapclient.Options{
		TLSConfig: &tls.Config{
			ServerName:         cfg.Host,
			InsecureSkipVerify: cfg.InsecureSkipVerify, //nolint:gosec // an explicit, documented setting
			MinVersion:         tls.VersionTLS12,
		},
		WordDecoder: imapWordDecoder,
		UnilateralDataHandler: &imapclient.UnilateralDataHandler{
			// Runs on the client's reader goroutine: signal, never block.
			Mailbox: func(data *imapclient.UnilateralDataMailbox) {
				if data.NumMessages != nil {
					select {
					case s.newMail <- struct{}{}:
					default:
					}
				}
			},
		},
	}
	dialer := net.Dialer{Timeout: imapDialTimeout, KeepAlive: 30 * time.Second}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("connect to IMAP server %s: %w", addr, err)
	}
	// Every blocking client call returns once the connection is closed: that is how
	// cancellation reaches a pass or an IDLE.
	s.stopCancel = context.AfterFunc(ctx, func() { _ = conn.Close() })
	fail := func(err error) (*imapSession, error) {
		s.stopCancel()
		if s.c != nil {
			_ = s.c.Close()
		} else {
			_ = conn.Close()
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	switch cfg.TLS {
	case "implicit":
		tlsCfg := opts.TLSConfig.Clone()
		tlsCfg.NextProtos = []string{"imap"}
		tlsConn := tls.Client(conn, tlsCfg)
		if err := tlsConn.HandshakeContext(ctx); err != nil {
			return fail(fmt.Errorf("TLS handshake with %s: %w", addr, err))
		}
		s.c = imapclient.New(tlsConn, opts)
	case "starttls":
		c, err := imapclient.NewStartTLS(conn, opts)
		if err != nil {
			return fail(fmt.Errorf("STARTTLS with %s: %w", addr, err))
		}
		s.c = c
	default:
		if ip := net.ParseIP(cfg.Host); cfg.Host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			f.log.Warn("IMAP without TLS: the password crosses the network in clear", "host", cfg.Host)
		}
		s.c = imapclient.New(conn, opts)
	}
	if err := s.c.WaitGreeting(); err != nil {
		return fail(fmt.Errorf("greeting from %s: %w", addr, err))
	}
	if err := f.login(ctx, s.c); err != nil {
		return fail(fmt.Errorf("log in to %s as %q: %w", addr, cfg.Username, err))
	}
	s.caps = s.c.Caps()
	if cfg.ProcessedMailbox != "" {
		if err := imapEnsureMailbox(s.c, cfg.ProcessedMailbox); err != nil {
			return fail(err)
		}
	}
	// EXAMINE when nothing is moved: the server then cannot change a flag even by mistake.
	sel, err := s.c.Select(cfg.Mailbox, &imap.SelectOptions{ReadOnly: cfg.ProcessedMailbox == ""}).Wait()
	if err != nil {
		return fail(fmt.Errorf("select mailbox %q: %w", cfg.Mailbox, err))
	}
	if sel.UIDValidity == 0 {
		return fail(fmt.Errorf("select mailbox %q: server sent no UIDVALIDITY", cfg.Mailbox))
	}
	s.uidValidity = sel.UIDValidity
	f.log.Debug("IMAP mailbox selected", "host", cfg.Host, "uidvalidity", sel.UIDValidity,
		"messages", sel.NumMessages, "idle", s.caps.Has(imap.CapIdle), "move", s.caps.Has(imap.CapMove))
	return s, nil
}

// login uses XOAUTH2 when configured (loginXOAUTH2), else LOGIN, or AUTHENTICATE PLAIN
// (RFC 4616) when the server disables LOGIN.
func (f *Fetcher) login(ctx context.Context, c *imapclient.Client) error {
	if f.cfg.Auth == AuthXOAUTH2 {
		return f.loginXOAUTH2(ctx, c)
	}
	caps := c.Caps()
	if caps.Has(imap.CapLoginDisabled) && slices.Contains(caps.AuthMechanisms(), sasl.Plain) {
		return c.Authenticate(sasl.NewPlainClient("", f.cfg.Username, f.cfg.Password))
	}
	return c.Login(f.cfg.Username, f.cfg.Password).Wait()
}

// imapEnsureMailbox creates mailbox unless it exists.
func imapEnsureMailbox(c *imapclient.Client, mailbox string) error {
	found, err := c.List("", mailbox, nil).Collect()
	if err != nil {
		return fmt.Errorf("list mailbox %q: %w", mailbox, err)
	}
	for _, m := range found {
		if m.Mailbox == mailbox {
			return nil
		}
	}
	if err := c.Create(mailbox, nil).Wait(); err != nil {
		return fmt.Errorf("create mailbox %q: %w", mailbox, err)
	}
	return nil
}

// close logs out (when still possible) and closes the connection.
func (s *imapSession) close(ctx context.Context) {
	s.stopCancel()
	if ctx.Err() == nil {
		_ = s.c.Logout().Wait()
	}
	_ = s.c.Close()
}

// pass stores every mail above the cursor and returns how many intake records it created.
func (f *Fetcher) pass(ctx context.Context, s *imapSession) (int, error) {
	mailbox := f.cfg.Key
	cur, err := f.store.Cursor(ctx, mailbox)
	if err != nil {
		return 0, fmt.Errorf("read cursor of mailbox %q: %w", mailbox, err)
	}
	if cur.UIDValidity != s.uidValidity {
		if cur.UIDValidity != 0 {
			f.log.Warn("UIDVALIDITY changed: reading the whole mailbox again",
				"old_uidvalidity", cur.UIDValidity, "uidvalidity", s.uidValidity, "old_last_uid", cur.LastUID)
		}
		if err := f.store.ResetCursor(ctx, mailbox, s.uidValidity); err != nil {
			return 0, fmt.Errorf("reset cursor of mailbox %q: %w", mailbox, err)
		}
		cur.LastUID = 0
	}
	uids, err := imapNewUIDs(s.c, cur.LastUID)
	if err != nil {
		return 0, fmt.Errorf("search mailbox %q for new mail: %w", mailbox, err)
	}
	rec := &chunkRecorder{f: f, s: s}
	for batch := range slices.Chunk(uids, f.cfg.BatchSize) {
		if err := f.fetchBatch(ctx, s, batch, rec); err != nil {
			_ = rec.wait() // the chunk in flight still counts; the first error is the one to report
			return rec.stored, err
		}
	}
	err = rec.wait()
	return rec.stored, err
}

// chunkRecorder records fetched chunks one at a time in the background, so that the next chunk
// downloads while the previous one is written to the database. Chunks are recorded in order and
// never two at once, so the cursor only moves forward; the IMAP connection stays with the caller
// (the move to ProcessedMailbox happens in wait). At most two chunks are held in memory.
type chunkRecorder struct {
	f            *Fetcher
	s            *imapSession
	stored       int
	pending      chan chunkRecorded // nil when no chunk is being recorded
	pendingMails []models.FetchedMail
}

type chunkRecorded struct {
	stored int
	err    error
}

// start waits for the chunk being recorded, then starts recording mails.
func (r *chunkRecorder) start(ctx context.Context, mails []models.FetchedMail) error {
	if err := r.wait(); err != nil {
		return err
	}
	done := make(chan chunkRecorded, 1)
	r.pending, r.pendingMails = done, mails
	uidValidity := r.s.uidValidity
	go func() {
		n, err := r.f.record(ctx, uidValidity, mails)
		done <- chunkRecorded{n, err}
	}()
	return nil
}

// wait waits until the chunk being recorded (if any) is committed, then moves its mails to
// ProcessedMailbox if one is set.
func (r *chunkRecorder) wait() error {
	if r.pending == nil {
		return nil
	}
	res := <-r.pending
	mails := r.pendingMails
	r.pending, r.pendingMails = nil, nil
	r.stored += res.stored
	if res.err != nil {
		return res.err
	}
	if r.f.cfg.ProcessedMailbox != "" {
		r.f.moveProcessed(r.s, mails)
	}
	return nil
}

// imapNewUIDs returns the UIDs above last, ascending. Never "UNSEEN": read mail counts too.
func imapNewUIDs(c *imapclient.Client, last uint32) ([]imap.UID, error) {
	// "last+1:*" always matches the highest UID, even one below last+1 (RFC 3501 §6.4.8),
	// hence the filter below.
	crit := &imap.SearchCriteria{UID: []imap.UIDSet{{{Start: imap.UID(last + 1), Stop: 0}}}}
	data, err := c.UIDSearch(crit, nil).Wait()
	if err != nil {
		return nil, err
	}
	var uids []imap.UID
	for _, uid := range data.AllUIDs() {
		if uint32(uid) > last {
			uids = append(uids, uid)
		}
	}
	slices.Sort(uids)
	return slices.Compact(uids), nil
}

// fetchBatch reads the sizes of up to BatchSize mails, then stores them in chunks small enough
// to hold in memory.
func (f *Fetcher) fetchBatch(ctx context.Context, s *imapSession, uids []imap.UID, rec *chunkRecorder) error {
	msgs, err := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return fmt.Errorf("fetch sizes of mailbox %q UIDs %d-%d: %w", f.cfg.Mailbox, uids[0], uids[len(uids)-1], err)
	}
	sizes := make(map[imap.UID]int64, len(msgs))
	for _, m := range msgs {
		sizes[m.UID] = m.RFC822Size
	}
	var chunk []imap.UID
	var chunkBytes int64
	for i, uid := range uids {
		size, ok := sizes[uid]
		if ok { // else expunged since the search: nothing to store
			chunk = append(chunk, uid)
			if size <= f.cfg.MaxSize {
				chunkBytes += size
			}
		}
		if len(chunk) > 0 && (chunkBytes >= imapChunkBytes || i == len(uids)-1) {
			if err := f.fetchChunk(ctx, s, chunk, sizes, rec); err != nil {
				return err
			}
			chunk, chunkBytes = nil, 0
		}
	}
	return nil
}

var (
	imapWholeMail = &imap.FetchItemBodySection{Peek: true}
	imapHeader    = &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, Peek: true}
)

// fetchChunk downloads the mails of uids (only the header of one above MaxSize) and hands them to
// rec, which records them in one transaction and then moves them to ProcessedMailbox if one is set.
func (f *Fetcher) fetchChunk(ctx context.Context, s *imapSession, uids []imap.UID, sizes map[imap.UID]int64, rec *chunkRecorder) error {
	var small, large []imap.UID
	for _, uid := range uids {
		if sizes[uid] > f.cfg.MaxSize {
			large = append(large, uid)
		} else {
			small = append(small, uid)
		}
	}
	var mails []models.FetchedMail
	if len(small) > 0 {
		msgs, err := s.c.Fetch(imap.UIDSetNum(small...), &imap.FetchOptions{
			UID: true, BodySection: []*imap.FetchItemBodySection{imapWholeMail},
		}).Collect()
		if err != nil {
			return fmt.Errorf("fetch mail of mailbox %q UIDs %d-%d: %w", f.cfg.Mailbox, small[0], small[len(small)-1], err)
		}
		for _, m := range msgs {
			if !slices.Contains(small, m.UID) {
				continue // an unasked-for FETCH (e.g. a flag change) has no body
			}
			raw := m.FindBodySection(imapWholeMail)
			fm := imapHeaderSummary(raw)
			fm.UID, fm.Raw = uint32(m.UID), raw
			if len(raw) == 0 {
				fm.Outcome, fm.Reason = models.OutcomeQuarantined, "the server sent no content for this mail"
			}
			mails = append(mails, fm)
		}
	}
	if len(large) > 0 {
		msgs, err := s.c.Fetch(imap.UIDSetNum(large...), &imap.FetchOptions{
			UID: true, BodySection: []*imap.FetchItemBodySection{imapHeader},
		}).Collect()
		if err != nil {
			return fmt.Errorf("fetch headers of mailbox %q UIDs %d-%d: %w", f.cfg.Mailbox, large[0], large[len(large)-1], err)
		}
		for _, m := range msgs {
			if !slices.Contains(large, m.UID) {
				continue
			}
			header := m.FindBodySection(imapHeader)
			fm := imapHeaderSummary(header)
			fm.UID, fm.Raw = uint32(m.UID), header
			fm.Outcome = models.OutcomeQuarantined
			fm.Reason = fmt.Sprintf("too large: %d bytes > limit %d bytes (only the header was stored)", sizes[m.UID], f.cfg.MaxSize)
			f.log.Warn("mail too large: stored its header only", "uid", m.UID, "size", sizes[m.UID], "limit", f.cfg.MaxSize)
			mails = append(mails, fm)
		}
	}
	if len(mails) == 0 {
		return nil
	}
	slices.SortFunc(mails, func(a, b models.FetchedMail) int { return cmp.Compare(a.UID, b.UID) })
	return rec.start(ctx, mails)
}

// record stores one chunk of fetched mail (raw mail, intake records, cursor) in one transaction.
func (f *Fetcher) record(ctx context.Context, uidValidity uint32, mails []models.FetchedMail) (int, error) {
	ids, err := f.store.RecordFetched(ctx, f.cfg.Key, uidValidity, mails)
	if err != nil {
		return 0, fmt.Errorf("store fetched mail of mailbox %q: %w", f.cfg.Mailbox, err)
	}
	f.log.Info("mail fetched", "stored", len(ids), "first_uid", mails[0].UID, "last_uid", mails[len(mails)-1].UID)
	return len(ids), nil
}

// moveProcessed moves stored mail out of the way. It is best effort: the cursor already guards
// against reading the mail twice, so a failure is only logged. Without MOVE the mail is copied
// and left in place — never flagged \Deleted and expunged, which could take other mail with it.
func (f *Fetcher) moveProcessed(s *imapSession, mails []models.FetchedMail) {
	var set imap.UIDSet
	for _, m := range mails {
		set.AddNum(imap.UID(m.UID))
	}
	var err error
	if s.caps.Has(imap.CapMove) {
		_, err = s.c.Move(set, f.cfg.ProcessedMailbox).Wait()
	} else {
		_, err = s.c.Copy(set, f.cfg.ProcessedMailbox).Wait()
	}
	if err != nil {
		f.log.Warn("could not move fetched mail", "to", f.cfg.ProcessedMailbox, "uids", set.String(), "err", err)
	}
}

// imapWordDecoder decodes RFC 2047 words in any charset go-message knows (windows-1252,
// iso-8859-15, koi8-r, …); the standard library alone knows only UTF-8, ISO-8859-1 and US-ASCII.
// The IMAP client uses it for ENVELOPE and the like, imapHeaderSummary for the intake record.
var imapWordDecoder = &mime.WordDecoder{CharsetReader: charset.Reader}

// imapLatin1Word matches the start of an encoded word labelled ISO-8859-1 or US-ASCII (with an
// optional RFC 2231 language). mime.WordDecoder decodes those labels itself, so they are
// relabelled Windows-1252 before decoding: mail that declares them routinely carries
// Windows-1252 bytes such as curly quotes and dashes in 0x80–0x9F.
var imapLatin1Word = regexp.MustCompile(`(?i)=\?(?:iso-8859-1|iso8859-1|iso_8859-1|latin1|us-ascii)(\*[^?]*)?\?`)

// imapDecodeWords decodes the RFC 2047 encoded words of a header value, reading Latin-1 as Windows-1252.
func imapDecodeWords(v string) (string, error) {
	return imapWordDecoder.DecodeHeader(imapLatin1Word.ReplaceAllString(v, "=?windows-1252$1?"))
}

var imapBareEmail = regexp.MustCompile(`[^\s<>"(),;:]+@[^\s<>"(),;:]+`)

// imapHeaderSummary reads Message-ID, From and Subject for the intake record before the full parse
// stage runs. It is forgiving: a malformed line is skipped, an unreadable field left empty.
func imapHeaderSummary(raw []byte) models.FetchedMail {
	var fm models.FetchedMail
	fields := imapHeaderFields(raw, "message-id", "from", "subject")
	fm.MessageID = clip(firstMsgID(fields["message-id"]), imapMaxStoredFieldSize)
	if from := fields["from"]; from != "" {
		// Only the address is kept; the parse stage decodes the display name.
		parser := mail.AddressParser{WordDecoder: imapWordDecoder}
		if addr, err := parser.Parse(from); err == nil {
			fm.FromEmail = strings.ToLower(addr.Address)
		} else if list, err := parser.ParseList(from); err == nil && len(list) > 0 {
			fm.FromEmail = strings.ToLower(list[0].Address)
		} else {
			fm.FromEmail = strings.ToLower(imapBareEmail.FindString(from))
		}
	}
	if subj := fields["subject"]; subj != "" {
		if dec, err := imapDecodeWords(subj); err == nil {
			subj = dec
		}
		if !utf8.ValidString(subj) { // raw 8-bit header: most often Windows-1252
			if dec, err := charmap.Windows1252.NewDecoder().String(subj); err == nil {
				subj = dec
			}
		}
		fm.Subject = clip(strings.Join(strings.Fields(subj), " "), imapMaxStoredFieldSize)
	}
	return fm
}

// imapHeaderFields returns the first value of each wanted field (lower-case names) of the header
// of raw, unfolded (RFC 5322 §2.2.3).
func imapHeaderFields(raw []byte, wanted ...string) map[string]string {
	out := make(map[string]string, len(wanted))
	current := "" // the wanted field being unfolded, if any
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) == 0 {
			break // end of header
		}
		if line[0] == ' ' || line[0] == '\t' {
			if current != "" {
				out[current] += " " + string(bytes.TrimSpace(line))
			}
			continue
		}
		current = ""
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok {
			continue
		}
		key := strings.ToLower(string(bytes.TrimSpace(name)))
		if _, seen := out[key]; seen || !slices.Contains(wanted, key) {
			continue
		}
		out[key] = string(bytes.TrimSpace(value))
		current = key
	}
	return out
}
