package mailin

import (
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"warrantydesk/internal/testenv"
)

// The fetch tests against a real Dovecot (scripts/dovecot.sh):
//
//	eval "$(scripts/dovecot.sh start /tmp/wd-dovecot 10143)"
//	go test -tags sqlite_fts5 -run Dovecot ./mailin/
//	scripts/dovecot.sh stop /tmp/wd-dovecot
//
// Each test works in mailboxes of its own, deleted afterwards, so runs don't see each other's mail.

// imapDovecot seeds and inspects Dovecot over its own IMAP connections. It seeds with the Go
// client's APPEND: curl's APPEND would mark the mail \Seen.
type imapDovecot struct {
	host string
	port int
}

func imapDovecotFromEnv(t *testing.T) *imapDovecot {
	t.Helper()
	addr := testenv.Dovecot(t)
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("WARRANTYDESK_TEST_DOVECOT=%q: %v", addr, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil {
		t.Fatalf("WARRANTYDESK_TEST_DOVECOT=%q: %v", addr, err)
	}
	return &imapDovecot{host: host, port: port}
}

// mailbox returns a fresh mailbox name, deleted when the test ends.
func (d *imapDovecot) mailbox(t *testing.T, purpose string) string {
	t.Helper()
	name := fmt.Sprintf("wd-test-%d-%s", time.Now().UnixNano(), purpose)
	t.Cleanup(func() {
		c, err := imapclient.DialInsecure(net.JoinHostPort(d.host, strconv.Itoa(d.port)), nil)
		if err != nil {
			t.Logf("clean up mailbox %q: %v", name, err)
			return
		}
		defer func() { _ = c.Close() }()
		if err := c.Login(testIMAPUser, testIMAPPass).Wait(); err == nil {
			_ = c.Delete(name).Wait()
		}
	})
	return name
}

func (d *imapDovecot) config(mailbox string) IMAPConfig {
	return IMAPConfig{
		Host: d.host, Port: d.port, TLS: "none", Username: testIMAPUser, Password: testIMAPPass,
		Mailbox: mailbox, Idle: true, PollInterval: time.Second,
	}
}

func (d *imapDovecot) client(t *testing.T) *imapclient.Client {
	t.Helper()
	return dialIMAPTestClient(t, d.config(""))
}

func (d *imapDovecot) appendMail(t *testing.T, mailbox string, raw []byte, flags ...imap.Flag) {
	t.Helper()
	c := d.client(t)
	ensureIMAPTestMailbox(t, c, mailbox)
	cmd := c.Append(mailbox, int64(len(raw)), &imap.AppendOptions{Flags: flags})
	if _, err := cmd.Write(raw); err != nil {
		t.Fatalf("append to %q: %v", mailbox, err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatalf("append to %q: %v", mailbox, err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatalf("append to %q: %v", mailbox, err)
	}
}

func ensureIMAPTestMailbox(t *testing.T, c *imapclient.Client, mailbox string) {
	t.Helper()
	if _, err := c.Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait(); err == nil {
		return
	}
	if err := c.Create(mailbox, nil).Wait(); err != nil {
		t.Fatalf("create %q: %v", mailbox, err)
	}
}

func (d *imapDovecot) count(t *testing.T, mailbox string) int {
	t.Helper()
	st, err := d.client(t).Status(mailbox, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		t.Fatalf("status of %q: %v", mailbox, err)
	}
	return int(*st.NumMessages)
}

// recreate renames the mailbox away, creates it anew (new UIDVALIDITY) and copies the mail back.
func (d *imapDovecot) recreate(t *testing.T, mailbox string) {
	t.Helper()
	c := d.client(t)
	old := mailbox + "-old"
	if err := c.Rename(mailbox, old, nil).Wait(); err != nil {
		t.Fatalf("rename %q: %v", mailbox, err)
	}
	defer func() {
		if err := c.Delete(old).Wait(); err != nil {
			t.Errorf("delete %q: %v", old, err)
		}
	}()
	if err := c.Create(mailbox, nil).Wait(); err != nil {
		t.Fatalf("create %q: %v", mailbox, err)
	}
	if _, err := c.Select(old, nil).Wait(); err != nil {
		t.Fatalf("select %q: %v", old, err)
	}
	if _, err := c.Copy(imap.SeqSet{{Start: 1, Stop: 0}}, mailbox).Wait(); err != nil {
		t.Fatalf("copy back to %q: %v", mailbox, err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("unselect: %v", err)
	}
}

// newMailWithin allows for Dovecot's fallback IDLE check interval (30 s) when inotify is missing.
func (d *imapDovecot) newMailWithin() time.Duration { return time.Minute }

func TestFetchDovecot(t *testing.T) {
	d := imapDovecotFromEnv(t)
	testFetchCore(t, d, d.mailbox(t, "core"))
}

func TestFetchMovesProcessedDovecot(t *testing.T) {
	d := imapDovecotFromEnv(t)
	testFetchMovesProcessed(t, d, d.mailbox(t, "in"), d.mailbox(t, "done"))
}

func TestRunStoresNewMailDovecot(t *testing.T) {
	d := imapDovecotFromEnv(t)
	mailbox := d.mailbox(t, "idle")
	ensureIMAPTestMailbox(t, d.client(t), mailbox)
	testRunStoresNewMail(t, d, d.config(mailbox))
}
