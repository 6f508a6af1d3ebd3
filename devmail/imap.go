package devmail

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// IMAPServer is an in-process IMAP server (go-imap imapserver + imapmemserver) on 127.0.0.1.
// Mail lives in memory only: a new server starts with an empty INBOX.
//
// It advertises IMAP4rev1 and IMAP4rev2, so clients see IDLE (new mail is pushed at once as
// EXISTS) and MOVE. Plain-text LOGIN without TLS is allowed, so it must only listen on loopback.
type IMAPServer struct {
	ln   net.Listener
	srv  *imapserver.Server
	user *imapmemserver.User
	log  *slog.Logger

	username string
	// xoauth2, when set, is the only way in: password logins are refused (see RequireXOAUTH2).
	xoauth2 func(username, token string) error
	done    chan struct{} // closed when Serve has returned

	mu     sync.Mutex // serialises mailbox creation, Recreate and Close
	closed bool
}

// StartIMAPServer starts an IMAP server on addr ("127.0.0.1:0" picks a free port) with one user
// whose INBOX exists and is empty.
func StartIMAPServer(addr, username, password string, logger *slog.Logger) (*IMAPServer, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("subsystem", "devmail-imap")
	user := imapmemserver.NewUser(username, password)
	if err := user.Create("INBOX", nil); err != nil {
		return nil, fmt.Errorf("create INBOX: %w", err)
	}
	s := &IMAPServer{user: user, username: username, log: logger, done: make(chan struct{})}
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return &imapSession{server: s}, nil, nil
		},
		Caps: imap.CapSet{
			imap.CapIMAP4rev1: {},
			imap.CapIMAP4rev2: {},
		},
		Logger:       slogPrintf{logger},
		InsecureAuth: true,
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen for IMAP on %s: %w", addr, err)
	}
	s.ln, s.srv = ln, srv
	go func() {
		defer close(s.done)
		if err := srv.Serve(ln); err != nil && !s.isClosed() {
			logger.Error("IMAP server stopped", "err", err)
		}
	}()
	logger.Info("IMAP server listening", "addr", s.Addr(), "username", username)
	return s, nil
}

// Addr returns the host:port the server listens on.
func (s *IMAPServer) Addr() string { return s.ln.Addr().String() }

// Host returns the IP address the server listens on.
func (s *IMAPServer) Host() string { return s.ln.Addr().(*net.TCPAddr).IP.String() }

// Port returns the TCP port the server listens on.
func (s *IMAPServer) Port() int { return s.ln.Addr().(*net.TCPAddr).Port }

// Append adds a raw message to a mailbox (creating the mailbox if needed), unseen unless flags
// say otherwise (e.g. `\Seen`). The message is stored byte for byte as given.
func (s *IMAPServer) Append(mailbox string, raw []byte, flags ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.ensureMailboxLocked(mailbox); err != nil {
		return err
	}
	opts := &imap.AppendOptions{}
	for _, f := range flags {
		opts.Flags = append(opts.Flags, imap.Flag(f))
	}
	// bytes.Reader has Size, so it is an imap.LiteralReader.
	if _, err := s.user.Append(mailbox, bytes.NewReader(raw), opts); err != nil {
		return fmt.Errorf("append to mailbox %q: %w", mailbox, err)
	}
	return nil
}

func (s *IMAPServer) ensureMailboxLocked(mailbox string) error {
	if _, err := s.user.Status(mailbox, &imap.StatusOptions{}); err == nil {
		return nil
	}
	if err := s.user.Create(mailbox, nil); err != nil {
		return fmt.Errorf("create mailbox %q: %w", mailbox, err)
	}
	return nil
}

// Recreate deletes and recreates a mailbox with the same messages (flags and dates kept), so the
// mailbox gets a new UIDVALIDITY and new UIDs — what a server does after its index is rebuilt
// (RFC 3501 §2.3.1.1). Connections that have the mailbox selected keep seeing the old copy until
// they select it again; unlike a real server, imapmemserver does not disconnect them.
func (s *IMAPServer) Recreate(mailbox string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	tmp := mailbox + "/.recreating"
	if err := s.user.Rename(mailbox, tmp, nil); err != nil {
		return fmt.Errorf("recreate mailbox %q: rename: %w", mailbox, err)
	}
	// Create gives a UIDVALIDITY no mailbox of this user had before.
	if err := s.user.Create(mailbox, nil); err != nil {
		return fmt.Errorf("recreate mailbox %q: create: %w", mailbox, err)
	}
	sess := imapmemserver.NewUserSession(s.user)
	defer func() { _ = sess.Close() }()
	if _, err := sess.Select(tmp, &imap.SelectOptions{ReadOnly: true}); err != nil {
		return fmt.Errorf("recreate mailbox %q: select old copy: %w", mailbox, err)
	}
	// 1:* in UID terms: every message, oldest first, so the new UIDs keep the order.
	if _, err := sess.Copy(imap.UIDSet{{Start: 1, Stop: 0}}, mailbox); err != nil {
		return fmt.Errorf("recreate mailbox %q: copy messages: %w", mailbox, err)
	}
	if err := sess.Unselect(); err != nil {
		return fmt.Errorf("recreate mailbox %q: unselect: %w", mailbox, err)
	}
	if err := s.user.Delete(tmp); err != nil {
		return fmt.Errorf("recreate mailbox %q: delete old copy: %w", mailbox, err)
	}
	return nil
}

// Count returns the number of messages in a mailbox.
func (s *IMAPServer) Count(mailbox string) (int, error) {
	st, err := s.user.Status(mailbox, &imap.StatusOptions{NumMessages: true})
	if err != nil {
		return 0, fmt.Errorf("status of mailbox %q: %w", mailbox, err)
	}
	return int(*st.NumMessages), nil
}

// Close stops listening and drops every connection. The messages are lost. Closing twice is a no-op.
func (s *IMAPServer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	err := s.srv.Close()
	// Serve may not have registered the listener yet, in which case srv.Close missed it.
	if lnErr := s.ln.Close(); lnErr != nil && !errors.Is(lnErr, net.ErrClosed) && err == nil {
		err = lnErr
	}
	<-s.done
	if err != nil && !errors.Is(err, net.ErrClosed) {
		return fmt.Errorf("close IMAP server: %w", err)
	}
	return nil
}

func (s *IMAPServer) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// slogPrintf adapts slog to imapserver.Logger (connection and protocol errors).
type slogPrintf struct{ log *slog.Logger }

func (l slogPrintf) Printf(format string, args ...any) {
	l.log.Warn(fmt.Sprintf(format, args...))
}
