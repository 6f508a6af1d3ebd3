package devmail

import (
	"log/slog"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

const imapTestMail = "From: anna@example.se\r\nSubject: Hej\r\nMessage-ID: <1@example.se>\r\n\r\nSkärmen är trasig.\r\n"

func startTestIMAPServer(t *testing.T) *IMAPServer {
	t.Helper()
	logger := slog.New(slog.NewTextHandler(t.Output(), nil))
	s, err := StartIMAPServer("127.0.0.1:0", "desk", "pw", logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func dialTestIMAP(t *testing.T, s *IMAPServer, opts *imapclient.Options) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialInsecure(s.Addr(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Login("desk", "pw").Wait(); err != nil {
		t.Fatalf("login: %v", err)
	}
	return c
}

func TestIMAPServerAppend(t *testing.T) {
	s := startTestIMAPServer(t)
	for _, tc := range []struct {
		name     string
		mailbox  string
		flags    []string
		wantSeen bool
	}{
		{"unseen by default", "INBOX", nil, false},
		{"seen when asked", "INBOX", []string{`\Seen`}, true},
		{"creates the mailbox", "Leverantör/Svar", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := s.Count(tc.mailbox)
			if err := s.Append(tc.mailbox, []byte(imapTestMail), tc.flags...); err != nil {
				t.Fatal(err)
			}
			n, err := s.Count(tc.mailbox)
			if err != nil || n != before+1 {
				t.Fatalf("Count = %d, %v; want %d", n, err, before+1)
			}
			c := dialTestIMAP(t, s, nil)
			if _, err := c.Select(tc.mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
				t.Fatal(err)
			}
			msgs, err := c.Fetch(imap.SeqSetNum(uint32(n)), &imap.FetchOptions{
				Flags: true, BodySection: []*imap.FetchItemBodySection{{Peek: true}},
			}).Collect()
			if err != nil || len(msgs) != 1 {
				t.Fatalf("fetch: %v (%d messages)", err, len(msgs))
			}
			if got := string(msgs[0].BodySection[0].Bytes); got != imapTestMail {
				t.Errorf("stored %q, want the bytes appended", got)
			}
			seen := false
			for _, f := range msgs[0].Flags {
				seen = seen || f == imap.FlagSeen
			}
			if seen != tc.wantSeen {
				t.Errorf(`\Seen = %v, want %v`, seen, tc.wantSeen)
			}
		})
	}
}

func TestIMAPServerRecreate(t *testing.T) {
	s := startTestIMAPServer(t)
	for range 3 {
		if err := s.Append("INBOX", []byte(imapTestMail)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Append("INBOX", []byte(imapTestMail), `\Seen`); err != nil {
		t.Fatal(err)
	}
	uidValidity := func() (uint32, uint32) {
		c := dialTestIMAP(t, s, nil)
		sel, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil {
			t.Fatal(err)
		}
		seen, err := c.UIDSearch(&imap.SearchCriteria{Flag: []imap.Flag{imap.FlagSeen}}, nil).Wait()
		if err != nil {
			t.Fatal(err)
		}
		return sel.UIDValidity, uint32(len(seen.AllUIDs()))
	}
	before, _ := uidValidity()
	if err := s.Recreate("INBOX"); err != nil {
		t.Fatal(err)
	}
	after, seen := uidValidity()
	if after == before {
		t.Fatalf("UIDVALIDITY still %d after Recreate", after)
	}
	if n, err := s.Count("INBOX"); err != nil || n != 4 || seen != 1 {
		t.Fatalf("after Recreate: %d messages (%v), %d seen; want 4 and 1", n, err, seen)
	}
	if err := s.Recreate("Saknas"); err == nil {
		t.Fatal("Recreate of a missing mailbox succeeded")
	}
}

// TestIMAPServerIdleAndMove documents what imapmemserver offers the fetcher: IDLE that pushes new
// mail at once, and MOVE.
func TestIMAPServerIdleAndMove(t *testing.T) {
	s := startTestIMAPServer(t)
	exists := make(chan uint32, 10)
	c := dialTestIMAP(t, s, &imapclient.Options{UnilateralDataHandler: &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				exists <- *d.NumMessages
			}
		},
	}})
	for _, capability := range []imap.Cap{imap.CapIdle, imap.CapMove} {
		if !c.Caps().Has(capability) {
			t.Errorf("server does not advertise %s", capability)
		}
	}
	if _, err := c.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	idle, err := c.Idle()
	if err != nil {
		t.Fatal(err)
	}
	// imapmemserver can miss a mail appended in the instant IDLE starts (the
	// fetcher's poll-interval wake-up covers that), so allow a second append.
	var got uint32
	appended := 0
	for ; appended < 3 && got == 0; appended++ {
		if err := s.Append("INBOX", []byte(imapTestMail)); err != nil {
			t.Fatal(err)
		}
		select {
		case got = <-exists:
		case <-time.After(2 * time.Second):
		}
	}
	if got == 0 {
		t.Fatal("no EXISTS during IDLE after three appends")
	}
	if err := idle.Close(); err != nil {
		t.Fatal(err)
	}
	if err := idle.Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Behandlat", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Move(imap.UIDSetNum(1), "Behandlat").Wait(); err != nil {
		t.Fatal(err)
	}
	in, _ := s.Count("INBOX")
	out, _ := s.Count("Behandlat")
	if in != appended-1 || out != 1 {
		t.Fatalf("after MOVE: INBOX %d, Behandlat %d; want %d and 1", in, out, appended-1)
	}
}

func TestIMAPServerCloseAndRestart(t *testing.T) {
	s := startTestIMAPServer(t)
	addr := s.Addr()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := imapclient.DialInsecure(addr, nil); err == nil {
		t.Fatal("dial succeeded after Close")
	}
	again, err := StartIMAPServer(addr, "desk", "pw", nil)
	if err != nil {
		t.Fatalf("restart on %s: %v", addr, err)
	}
	defer func() { _ = again.Close() }()
	if again.Addr() != addr || again.Host() != "127.0.0.1" || again.Port() == 0 {
		t.Fatalf("restarted on %s (%s, %d), want %s", again.Addr(), again.Host(), again.Port(), addr)
	}
}
