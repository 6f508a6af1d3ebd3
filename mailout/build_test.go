package mailout

import (
	"bytes"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	gomail "github.com/emersion/go-message/mail"
)

const swedishSubject = "Ärende [#1001]: Skärmen är sprucken"

func sampleMail() Mail {
	return Mail{
		From:       Address{Name: "IT-supporten Åre", Email: "desk@example.se"},
		To:         []Address{{Name: "Björn Ödmark", Email: "bjorn@example.se"}},
		Cc:         []Address{{Name: "Svensson, Anna", Email: "anna@example.se"}},
		ReplyTo:    []Address{{Email: "desk+T1001@example.se"}},
		Subject:    swedishSubject,
		Text:       "Hej Björn!\n\nVi har tagit emot ditt ärende om den spruckna skärmen.\n.\nMed vänliga hälsningar\nIT-supporten\n",
		MessageID:  "wd.1001.abcdefghij.abcdefghijkl@desk.example.se",
		InReplyTo:  "CAF123@mail.example.se",
		References: []string{"CAF123@mail.example.se"},
		Language:   "sv",
		Date:       time.Date(2025, 3, 14, 9, 30, 0, 0, time.FixedZone("CET", 3600)),
		Headers:    map[string]string{"X-Warrantydesk-Ticket": "1001"},
		Attachments: []File{{
			Filename:    "skärmbild å.png",
			ContentType: "image/png",
			Data:        []byte("\x89PNG\r\n\x1a\n not really a png \x00\xff"),
		}},
	}
}

func mustBuild(t *testing.T, m Mail) []byte {
	t.Helper()
	raw, err := Build(m)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return raw
}

func parseNetMail(t *testing.T, raw []byte) *mail.Message {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("net/mail cannot read the message: %v\n%s", err, raw)
	}
	return msg
}

// goMessagePart is one leaf part as go-message decodes it.
type goMessagePart struct {
	contentType, filename string
	body                  []byte
}

func parseGoMessage(t *testing.T, raw []byte) (gomail.Header, []goMessagePart) {
	t.Helper()
	r, err := gomail.CreateReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("go-message cannot read the message: %v", err)
	}
	var parts []goMessagePart
	for {
		p, err := r.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("go-message NextPart: %v", err)
		}
		body, err := io.ReadAll(p.Body)
		if err != nil {
			t.Fatalf("go-message part body: %v", err)
		}
		gp := goMessagePart{body: body}
		switch h := p.Header.(type) {
		case *gomail.InlineHeader:
			gp.contentType, _, _ = h.ContentType()
		case *gomail.AttachmentHeader:
			gp.contentType, _, _ = h.ContentType()
			gp.filename, err = h.Filename()
			if err != nil {
				t.Fatalf("attachment file name: %v", err)
			}
		}
		parts = append(parts, gp)
	}
	return r.Header, parts
}

func TestBuildParsesBack(t *testing.T) {
	m := sampleMail()
	raw := mustBuild(t, m)

	t.Run("CRLF line endings and line length", func(t *testing.T) {
		for i, line := range strings.Split(string(raw), "\n") {
			if i < strings.Count(string(raw), "\n") && !strings.HasSuffix(line, "\r") {
				t.Fatalf("line %d does not end in CRLF: %q", i+1, line)
			}
			if strings.Contains(strings.TrimSuffix(line, "\r"), "\r") {
				t.Fatalf("line %d has a bare CR: %q", i+1, line)
			}
			if len(line) > 998 {
				t.Fatalf("line %d is %d bytes long", i+1, len(line))
			}
			if b := []byte(line); !isASCII(string(b)) {
				t.Fatalf("line %d is not 7-bit: %q", i+1, line)
			}
		}
	})

	t.Run("net/mail", func(t *testing.T) {
		msg := parseNetMail(t, raw)
		dec := new(mime.WordDecoder)
		subject, err := dec.DecodeHeader(msg.Header.Get("Subject"))
		if err != nil || subject != swedishSubject {
			t.Errorf("Subject = %q, %v; want %q", subject, err, swedishSubject)
		}
		from, err := mail.ParseAddress(msg.Header.Get("From"))
		if err != nil || from.Name != m.From.Name || from.Address != m.From.Email {
			t.Errorf("From = %+v, %v; want %+v", from, err, m.From)
		}
		to, err := msg.Header.AddressList("To")
		if err != nil || len(to) != 1 || to[0].Name != "Björn Ödmark" {
			t.Errorf("To = %v, %v", to, err)
		}
		cc, err := msg.Header.AddressList("Cc")
		if err != nil || len(cc) != 1 || cc[0].Name != "Svensson, Anna" || cc[0].Address != "anna@example.se" {
			t.Errorf("Cc = %v, %v", cc, err)
		}
		date, err := msg.Header.Date()
		if err != nil || !date.Equal(m.Date) {
			t.Errorf("Date = %v, %v; want %v", date, err, m.Date)
		}
		want := map[string]string{
			"Message-Id":               "<" + m.MessageID + ">",
			"In-Reply-To":              "<CAF123@mail.example.se>",
			"References":               "<CAF123@mail.example.se>",
			"Mime-Version":             "1.0",
			"Content-Language":         "sv",
			"X-Auto-Response-Suppress": "All",
			"X-Warrantydesk-Ticket":    "1001",
		}
		for name, value := range want {
			if got := msg.Header.Get(name); got != value {
				t.Errorf("%s = %q, want %q", name, got, value)
			}
		}
		topic, _ := dec.DecodeHeader(msg.Header.Get("Thread-Topic"))
		if topic != swedishSubject {
			t.Errorf("Thread-Topic = %q, want %q", topic, swedishSubject)
		}
	})

	t.Run("go-message", func(t *testing.T) {
		h, parts := parseGoMessage(t, raw)
		subject, err := h.Subject()
		if err != nil || subject != swedishSubject {
			t.Errorf("Subject = %q, %v; want %q", subject, err, swedishSubject)
		}
		if len(parts) != 2 {
			t.Fatalf("got %d parts, want text and attachment", len(parts))
		}
		text := strings.ReplaceAll(string(parts[0].body), "\r\n", "\n")
		if parts[0].contentType != "text/plain" || text != m.Text {
			t.Errorf("text part %s = %q, want %q", parts[0].contentType, text, m.Text)
		}
		att := parts[1]
		if att.filename != "skärmbild å.png" || att.contentType != "image/png" || !bytes.Equal(att.body, m.Attachments[0].Data) {
			t.Errorf("attachment = %q %s %q, want %q image/png %q", att.filename, att.contentType, att.body,
				"skärmbild å.png", m.Attachments[0].Data)
		}
	})

	t.Run("RFC 2231 and RFC 2047 file names", func(t *testing.T) {
		if !bytes.Contains(raw, []byte("filename*=utf-8''sk%C3%A4rmbild%20%C3%A5.png")) {
			t.Errorf("Content-Disposition lacks the RFC 2231 filename*:\n%s", raw)
		}
	})
}

func TestBuildHTMLIsAlternative(t *testing.T) {
	m := sampleMail()
	m.Attachments = nil
	m.HTML = "<p>Hej <b>Björn</b>!</p>"
	raw := mustBuild(t, m)
	msg := parseNetMail(t, raw)
	mediaType, _, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("Content-Type = %q, %v; want multipart/alternative", mediaType, err)
	}
	_, parts := parseGoMessage(t, raw)
	if len(parts) != 2 || parts[0].contentType != "text/plain" || parts[1].contentType != "text/html" {
		t.Fatalf("parts = %+v, want text/plain then text/html", parts)
	}
	if string(parts[1].body) != m.HTML {
		t.Errorf("html = %q, want %q", parts[1].body, m.HTML)
	}
}

func TestBuildPlainTextOnly(t *testing.T) {
	m := sampleMail()
	m.Attachments = nil
	m.Text = strings.Repeat("En lång rad om skärmen som måste brytas av quoted-printable. ", 5)
	raw := mustBuild(t, m)
	msg := parseNetMail(t, raw)
	if ct := msg.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type = %q, want a single text/plain part", ct)
	}
	_, parts := parseGoMessage(t, raw)
	if len(parts) != 1 || strings.TrimRight(string(parts[0].body), "\r\n") != m.Text {
		t.Errorf("text = %+v, want %q", parts, m.Text)
	}
}

func TestBuildAutomatic(t *testing.T) {
	tests := []struct {
		name          string
		automatic     bool
		autoSubmitted string
		precedence    string
	}{
		{"acknowledgement", true, "auto-replied", "auto_reply"},
		{"human reply", false, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := sampleMail()
			m.Automatic = tc.automatic
			msg := parseNetMail(t, mustBuild(t, m))
			if got := msg.Header.Get("Auto-Submitted"); got != tc.autoSubmitted {
				t.Errorf("Auto-Submitted = %q, want %q", got, tc.autoSubmitted)
			}
			if got := msg.Header.Get("Precedence"); got != tc.precedence {
				t.Errorf("Precedence = %q, want %q", got, tc.precedence)
			}
			if got := msg.Header.Get("X-Auto-Response-Suppress"); got != "All" {
				t.Errorf("X-Auto-Response-Suppress = %q, want All", got)
			}
		})
	}
}

func TestBuildRejects(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Mail)
		want   string // in the error
	}{
		{"subject injection", func(m *Mail) { m.Subject = "Hej\r\nBcc: victim@example.com" }, "Subject"},
		{"subject bare LF", func(m *Mail) { m.Subject = "Hej\nBcc: victim@example.com" }, "Subject"},
		{"display name injection", func(m *Mail) { m.To[0].Name = "Björn\r\nBcc: x@example.com" }, "To"},
		{"address injection", func(m *Mail) { m.Cc[0].Email = "anna@example.se\r\nBcc: x@example.com" }, "Cc"},
		{"from name injection", func(m *Mail) { m.From.Name = "Desk\n" }, "From"},
		{"reply-to injection", func(m *Mail) { m.ReplyTo[0].Email = "a@b\r\n" }, "Reply-To"},
		{"in-reply-to injection", func(m *Mail) { m.InReplyTo = "a@b>\r\nBcc: <x@example.com" }, "In-Reply-To"},
		{"references injection", func(m *Mail) { m.References = []string{"a@b\r\nX: y"} }, "References"},
		{"message-id injection", func(m *Mail) { m.MessageID = "a@b\nX: y" }, "Message-ID"},
		{"extra header value injection", func(m *Mail) { m.Headers["X-Warrantydesk-Ticket"] = "1\r\nBcc: x@example.com" }, "X-Warrantydesk-Ticket"},
		{"extra header name", func(m *Mail) { m.Headers["X-Bad: y\r\nBcc"] = "1" }, "X-Bad"},
		{"extra header overrides ours", func(m *Mail) { m.Headers["Auto-Submitted"] = "no" }, "Auto-Submitted"},
		{"attachment name injection", func(m *Mail) { m.Attachments[0].Filename = "a.png\r\nX: y" }, "attachment 1"},
		{"bad content type", func(m *Mail) { m.Attachments[0].ContentType = "image/" }, "attachment 1"},
		{"language", func(m *Mail) { m.Language = "sv; x=y" }, "Content-Language"},
		{"no from", func(m *Mail) { m.From = Address{Name: "Desk"} }, "From"},
		{"no recipients", func(m *Mail) { m.To, m.Cc = nil, nil }, "To"},
		{"no message-id", func(m *Mail) { m.MessageID = "" }, "Message-ID"},
		{"message-id with brackets", func(m *Mail) { m.MessageID = "<a@b>" }, "Message-ID"},
		{"not an address", func(m *Mail) { m.To[0].Email = "bjorn at example.se" }, "To"},
		{"non-ASCII address", func(m *Mail) { m.To[0].Email = "björn@example.se" }, "To"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := sampleMail()
			tc.change(&m)
			raw, err := Build(m)
			if err == nil {
				t.Fatalf("Build succeeded, want an error naming %s:\n%s", tc.want, raw)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %s", err, tc.want)
			}
		})
	}
}

func TestBuildOnlyCcIsEnough(t *testing.T) {
	m := sampleMail()
	m.To = nil
	msg := parseNetMail(t, mustBuild(t, m))
	if msg.Header.Get("To") != "" || msg.Header.Get("Cc") == "" {
		t.Errorf("To = %q, Cc = %q", msg.Header.Get("To"), msg.Header.Get("Cc"))
	}
}

func threadIndexOf(t *testing.T, m Mail) []byte {
	t.Helper()
	msg := parseNetMail(t, mustBuild(t, m))
	idx, err := base64.StdEncoding.DecodeString(msg.Header.Get("Thread-Index"))
	if err != nil {
		t.Fatalf("Thread-Index %q is not base64: %v", msg.Header.Get("Thread-Index"), err)
	}
	if len(idx) < 22 || (len(idx)-22)%5 != 0 || idx[0] != 0x01 {
		t.Fatalf("Thread-Index is %d bytes starting %#x, want 22+5n starting 0x01", len(idx), idx[0])
	}
	return idx
}

func TestThreadIndex(t *testing.T) {
	root := sampleMail()
	root.MessageID, root.InReplyTo, root.References = "root@example.se", "", nil
	reply := sampleMail()
	reply.MessageID, reply.InReplyTo, reply.References = "r1@desk.example.se", "root@example.se", []string{"root@example.se"}
	reply2 := sampleMail()
	reply2.MessageID, reply2.InReplyTo = "r2@example.se", "r1@desk.example.se"
	reply2.References = []string{"root@example.se", "r1@desk.example.se"}
	onlyInReplyTo := sampleMail()
	onlyInReplyTo.MessageID, onlyInReplyTo.InReplyTo, onlyInReplyTo.References = "r3@desk.example.se", "root@example.se", nil
	other := sampleMail()
	other.MessageID, other.InReplyTo, other.References = "other@example.se", "", nil

	rootIdx := threadIndexOf(t, root)
	replyIdx := threadIndexOf(t, reply)
	reply2Idx := threadIndexOf(t, reply2)
	if len(rootIdx) != 22 || len(replyIdx) != 27 || len(reply2Idx) != 32 {
		t.Errorf("lengths = %d, %d, %d; want 22, 27, 32 (one child block per level)", len(rootIdx), len(replyIdx), len(reply2Idx))
	}
	for name, idx := range map[string][]byte{"reply": replyIdx, "reply to reply": reply2Idx, "reply without References": threadIndexOf(t, onlyInReplyTo)} {
		if !bytes.Equal(idx[:22], rootIdx) {
			t.Errorf("%s does not share the root's 22-byte header block", name)
		}
	}
	if !bytes.HasPrefix(reply2Idx, replyIdx) {
		t.Error("a reply's index does not extend its parent's")
	}
	if bytes.Equal(threadIndexOf(t, other)[:22], rootIdx) {
		t.Error("two threads share a header block")
	}

	// An Outlook parent's own index is continued.
	outlook := sampleMail()
	outlook.ThreadIndex = "AdmTUTH3m3i3SKvKSZ6ELm7gbOj4uA=="
	parent, _ := base64.StdEncoding.DecodeString(outlook.ThreadIndex)
	if idx := threadIndexOf(t, outlook); !bytes.HasPrefix(idx, parent) || len(idx) != len(parent)+5 {
		t.Errorf("index %x does not continue the Outlook parent %x", idx, parent)
	}
}

func TestThreadTopic(t *testing.T) {
	tests := []struct{ subject, want string }{
		{"Skärmen är sprucken", "Skärmen är sprucken"},
		{"Re: Skärmen är sprucken", "Skärmen är sprucken"},
		{"SV: VB: Fwd: RE: Skärmen", "Skärmen"},
		{"sv:Skärmen", "Skärmen"},
		{"Re[2]: Battery", "Battery"},
		{"AW: WG: Akku", "Akku"},
		{"Ärende [#1001]: Skärmen", "Ärende [#1001]: Skärmen"},
		{"Reklamation: skärm", "Reklamation: skärm"},
		{"  ", ""},
	}
	for _, tc := range tests {
		t.Run(tc.subject, func(t *testing.T) {
			if got := ThreadTopic(tc.subject); got != tc.want {
				t.Errorf("ThreadTopic(%q) = %q, want %q", tc.subject, got, tc.want)
			}
		})
	}
}

func TestFoldKeepsLongHeadersParseable(t *testing.T) {
	m := sampleMail()
	for i := range 30 {
		m.References = append(m.References, strings.Repeat("x", 20)+string(rune('a'+i%26))+"@example.se")
		m.To = append(m.To, Address{Name: "Mottagare Nummer " + strings.Repeat("ö", i%5), Email: "m" + string(rune('a'+i%26)) + "@example.se"})
	}
	m.Subject = strings.Repeat("Väldigt långt ämne om en trasig dator ", 6)
	raw := mustBuild(t, m)
	lines := strings.Split(string(raw), "\r\n")
	for i, line := range lines {
		// Folded headers stay short; base64 and QP lines are ≤ 76. Thread-Index
		// is one base64 word and grows with the thread's depth.
		if len(line) > 200 && !strings.HasPrefix(lines[i-1], "Thread-Index:") {
			t.Errorf("line %d is %d bytes: %q", i+1, len(line), line)
		}
	}
	msg := parseNetMail(t, raw)
	to, err := msg.Header.AddressList("To")
	if err != nil || len(to) != len(m.To) {
		t.Fatalf("To = %d addresses, %v; want %d", len(to), err, len(m.To))
	}
	if refs := strings.Fields(msg.Header.Get("References")); len(refs) != len(m.References) {
		t.Errorf("References has %d ids, want %d", len(refs), len(m.References))
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != m.Subject {
		t.Errorf("Subject = %q, want %q", subject, m.Subject)
	}
}
