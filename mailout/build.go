package mailout

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"path"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Address is a mailbox: an optional display name and an email address.
type Address struct{ Name, Email string }

// File is an attachment.
type File struct {
	Filename    string
	ContentType string // empty: guessed from the file name, else application/octet-stream
	Data        []byte
}

// Mail is one outgoing message.
type Mail struct {
	From       Address
	To, Cc     []Address
	ReplyTo    []Address
	Subject    string
	Text       string
	HTML       string   // optional; when set the body is multipart/alternative
	MessageID  string   // without <>; required
	InReplyTo  string   // without <>
	References []string // without <>, oldest (the thread root) first
	// Automatic marks machine-sent mail (acknowledgements, notifications):
	// it gets "Auto-Submitted: auto-replied" (RFC 3834 §5) and
	// "Precedence: auto_reply" so that other responders stay quiet.
	Automatic   bool
	Language    string // "sv"/"en" → Content-Language
	Attachments []File
	Date        time.Time         // zero: now
	Headers     map[string]string // extra headers, e.g. X-Warrantydesk-Ticket
	// ThreadIndex is the parent's Outlook Thread-Index (base64), when the
	// mail being answered had one; ours then continues that conversation.
	// Optional: without it the index is derived from References.
	ThreadIndex string
}

// Build renders m as an RFC 5322 message with CRLF line endings.
func Build(m Mail) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}

	var h headerList
	h.add("Date", date.Format(time.RFC1123Z))
	h.add("From", formatAddress(m.From))
	h.addAddresses("To", m.To)
	h.addAddresses("Cc", m.Cc)
	h.addAddresses("Reply-To", m.ReplyTo)
	h.add("Subject", encodeWords(m.Subject))
	h.add("Message-ID", "<"+m.MessageID+">")
	if m.InReplyTo != "" {
		h.add("In-Reply-To", "<"+m.InReplyTo+">")
	}
	if len(m.References) > 0 {
		refs := make([]string, len(m.References))
		for i, r := range m.References {
			refs[i] = "<" + r + ">"
		}
		h.add("References", strings.Join(refs, " "))
	}
	if topic := ThreadTopic(m.Subject); topic != "" {
		h.add("Thread-Topic", encodeWords(topic))
	}
	h.add("Thread-Index", threadIndex(m))
	if m.Automatic {
		// RFC 3834 §5: automatic responses carry Auto-Submitted; Precedence is
		// the older convention that many vacation responders still read.
		h.add("Auto-Submitted", "auto-replied")
		h.add("Precedence", "auto_reply")
	}
	// Microsoft's equivalent of Auto-Submitted, read by Exchange and Outlook:
	// suppress out-of-office and other automatic replies to our mail.
	h.add("X-Auto-Response-Suppress", "All")
	if m.Language != "" {
		h.add("Content-Language", m.Language)
	}
	for _, name := range sortedKeys(m.Headers) {
		h.add(name, encodeWords(m.Headers[name]))
	}
	h.add("MIME-Version", "1.0")

	body := textPart("plain", m.Text)
	if m.HTML != "" {
		body = multipart("alternative", body, textPart("html", m.HTML))
	}
	if len(m.Attachments) > 0 {
		parts := []entity{body}
		for _, f := range m.Attachments {
			parts = append(parts, attachmentPart(f))
		}
		body = multipart("mixed", parts...)
	}

	var b bytes.Buffer
	for _, line := range h {
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	body.write(&b)
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// buildError names the header or field that made a Mail unbuildable.
func buildError(field, format string, args ...any) error {
	return fmt.Errorf("mailout: %s: %s", field, fmt.Sprintf(format, args...))
}

// reservedHeaders are written by Build itself; Mail.Headers may not repeat
// or override them.
var reservedHeaders = []string{
	"date", "from", "sender", "to", "cc", "bcc", "reply-to", "subject", "message-id",
	"in-reply-to", "references", "thread-topic", "thread-index", "auto-submitted",
	"precedence", "x-auto-response-suppress", "content-language", "mime-version",
	"content-type", "content-transfer-encoding", "content-disposition", "return-path",
}

func (m Mail) validate() error {
	if m.From.Email == "" {
		return buildError("header From", "sender address is required")
	}
	if len(m.To)+len(m.Cc) == 0 {
		return buildError("header To", "at least one recipient is required")
	}
	if err := checkAddress("From", m.From); err != nil {
		return err
	}
	for _, l := range []struct {
		name  string
		addrs []Address
	}{{"To", m.To}, {"Cc", m.Cc}, {"Reply-To", m.ReplyTo}} {
		for _, a := range l.addrs {
			if err := checkAddress(l.name, a); err != nil {
				return err
			}
		}
	}
	if err := checkValue("Subject", m.Subject); err != nil {
		return err
	}
	if m.MessageID == "" {
		return buildError("header Message-ID", "is required")
	}
	if err := checkMsgID("Message-ID", m.MessageID); err != nil {
		return err
	}
	if m.InReplyTo != "" {
		if err := checkMsgID("In-Reply-To", m.InReplyTo); err != nil {
			return err
		}
	}
	for _, r := range m.References {
		if err := checkMsgID("References", r); err != nil {
			return err
		}
	}
	if m.Language != "" && !languageTag.MatchString(m.Language) {
		return buildError("header Content-Language", "%q is not a language tag", m.Language)
	}
	if err := checkValue("Thread-Index", m.ThreadIndex); err != nil {
		return err
	}
	for name, value := range m.Headers {
		if !headerName.MatchString(name) {
			return buildError(fmt.Sprintf("header %q", name), "is not a valid header name")
		}
		if slices.Contains(reservedHeaders, strings.ToLower(name)) {
			return buildError("header "+name, "is set by Build and cannot be overridden")
		}
		if err := checkValue(name, value); err != nil {
			return err
		}
	}
	for i, f := range m.Attachments {
		field := fmt.Sprintf("attachment %d", i+1)
		if f.Filename == "" {
			return buildError(field, "file name is required")
		}
		if err := checkValue(field+" file name", f.Filename); err != nil {
			return err
		}
		if f.ContentType != "" {
			if err := checkValue(field+" content type", f.ContentType); err != nil {
				return err
			}
			if _, _, err := mime.ParseMediaType(f.ContentType); err != nil {
				return buildError(field, "content type %q: %v", f.ContentType, err)
			}
		}
	}
	return nil
}

var (
	languageTag = regexp.MustCompile(`^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$`)
	headerName  = regexp.MustCompile(`^[!-9;-~]+$`) // RFC 5322 §2.2: printable ASCII except ":"
)

// checkValue rejects line breaks and NULs, which would let a value start a
// new header (header injection) or end the header section early.
func checkValue(header, v string) error {
	if i := strings.IndexAny(v, "\r\n\x00"); i >= 0 {
		return buildError("header "+header, "contains a line break or NUL at byte %d", i)
	}
	return nil
}

func checkAddress(header string, a Address) error {
	if err := checkValue(header, a.Name); err != nil {
		return err
	}
	if err := checkValue(header, a.Email); err != nil {
		return err
	}
	for _, r := range a.Email {
		if r > 0x7e {
			return buildError("header "+header, "address %q is not ASCII (SMTPUTF8 is not supported)", a.Email)
		}
	}
	parsed, err := mail.ParseAddress("<" + a.Email + ">")
	if err != nil || parsed.Address != a.Email {
		return buildError("header "+header, "%q is not an email address", a.Email)
	}
	return nil
}

func checkMsgID(header, id string) error {
	if err := checkValue(header, id); err != nil {
		return err
	}
	if strings.ContainsAny(id, "<> \t") || !strings.Contains(id, "@") {
		return buildError("header "+header, "%q is not a Message-ID (want local@domain without <>)", id)
	}
	return nil
}

func formatAddress(a Address) string {
	// net/mail quotes specials and RFC 2047-encodes non-ASCII display names.
	return (&mail.Address{Name: a.Name, Address: a.Email}).String()
}

// encodeWords RFC 2047-encodes s when it is not plain ASCII.
func encodeWords(s string) string {
	return mime.QEncoding.Encode("utf-8", s)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// headerList holds folded header lines without their final CRLF.
type headerList []string

// maxLine is the recommended line length of RFC 5322 §2.1.1; folding is only
// done at white space, so a long word can still exceed it (never 998).
const maxLine = 78

func (h *headerList) add(name, value string) {
	*h = append(*h, fold(name+": "+value))
}

func (h *headerList) addAddresses(name string, addrs []Address) {
	if len(addrs) == 0 {
		return
	}
	list := make([]string, len(addrs))
	for i, a := range addrs {
		list[i] = formatAddress(a)
	}
	h.add(name, strings.Join(list, ", "))
}

// fold breaks a header line at white space so that lines stay within maxLine
// where possible (RFC 5322 §2.2.3). Unfolding only removes the CRLFs, so
// breaking before any space is safe in both structured and unstructured fields.
func fold(line string) string {
	if len(line) <= maxLine {
		return line
	}
	var b strings.Builder
	lineLen := 0
	first := true
	for word := range strings.SplitSeq(line, " ") {
		switch {
		case first:
			b.WriteString(word)
			lineLen = len(word)
			first = false
		case lineLen+1+len(word) > maxLine:
			b.WriteString("\r\n ")
			b.WriteString(word)
			lineLen = 1 + len(word)
		default:
			b.WriteByte(' ')
			b.WriteString(word)
			lineLen += 1 + len(word)
		}
	}
	return b.String()
}

// entity is one MIME entity: its header lines and encoded body.
type entity struct {
	header []string
	body   []byte
}

func (e entity) write(b *bytes.Buffer) {
	for _, line := range e.header {
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	b.Write(e.body)
}

// textPart encodes text as quoted-printable UTF-8: safe over any 7-bit hop
// and still readable in the raw source.
func textPart(subtype, text string) entity {
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")
	var body bytes.Buffer
	qp := quotedprintable.NewWriter(&body)
	_, _ = qp.Write([]byte(text)) // writes to a bytes.Buffer cannot fail
	_ = qp.Close()
	return entity{
		header: []string{
			"Content-Type: text/" + subtype + "; charset=utf-8",
			"Content-Transfer-Encoding: quoted-printable",
		},
		body: body.Bytes(),
	}
}

func attachmentPart(f File) entity {
	ctype := f.ContentType
	if ctype == "" {
		ctype = mime.TypeByExtension(path.Ext(f.Filename))
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	mediaType, params, _ := mime.ParseMediaType(ctype) // validated in Mail.validate
	// Content-Type name is what old Outlook versions read; they do not
	// understand RFC 2231, so it gets the (non-standard but universal) RFC
	// 2047 form. Content-Disposition filename carries the standard RFC 2231
	// form (filename*=utf-8''...) that every current reader prefers.
	params["name"] = f.Filename
	ctLine := mime.FormatMediaType(mediaType, params)
	if ctLine == "" || !isASCII(f.Filename) {
		delete(params, "name")
		ctLine = mime.FormatMediaType(mediaType, params) + `; name="` + encodeWords(f.Filename) + `"`
	}
	disposition := mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename})

	var body bytes.Buffer
	enc := base64.StdEncoding.EncodeToString(f.Data)
	for len(enc) > 76 {
		body.WriteString(enc[:76])
		body.WriteString("\r\n")
		enc = enc[76:]
	}
	body.WriteString(enc)
	return entity{
		header: []string{
			foldParams("Content-Type: " + ctLine),
			foldParams("Content-Disposition: " + disposition),
			"Content-Transfer-Encoding: base64",
		},
		body: body.Bytes(),
	}
}

// foldParams breaks a header with parameters after each ";" when it is long.
func foldParams(line string) string {
	if len(line) <= maxLine {
		return line
	}
	return strings.ReplaceAll(line, "; ", ";\r\n ")
}

func multipart(subtype string, parts ...entity) entity {
	boundary := newBoundary()
	var body bytes.Buffer
	for _, p := range parts {
		body.WriteString("--" + boundary + "\r\n")
		p.write(&body)
		// RFC 2046 §5.1.1: the CRLF before a delimiter belongs to the delimiter.
		body.WriteString("\r\n")
	}
	body.WriteString("--" + boundary + "--\r\n")
	return entity{
		header: []string{`Content-Type: multipart/` + subtype + `; boundary="` + boundary + `"`},
		body:   body.Bytes(),
	}
}

// newBoundary returns a random boundary containing "=_", a sequence that
// neither quoted-printable nor base64 output can contain, so it can never
// collide with a part's content.
func newBoundary() string {
	var rnd [12]byte
	_, _ = rand.Read(rnd[:])
	return "=_wd_" + hex.EncodeToString(rnd[:])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

var topicPrefix = regexp.MustCompile(`(?i)^\s*(re|sv|vb|fw|fwd|aw|wg|vs|antw|svar)\s*(\[\d+\])?\s*:\s*`)

// ThreadTopic returns subject without reply and forward prefixes (Re:, SV:,
// VB:, Fwd: …, repeated), as Outlook expects in Thread-Topic.
func ThreadTopic(subject string) string {
	s := strings.TrimSpace(subject)
	for {
		loc := topicPrefix.FindStringIndex(s)
		if loc == nil {
			return s
		}
		s = strings.TrimSpace(s[loc[1]:])
	}
}

// Outlook Thread-Index ([MS-OXOMSG] §2.2.1.3, PidTagConversationIndex): a
// 22-byte header block (6 bytes of time, 16-byte GUID) followed by one 5-byte
// child block per reply level. Outlook groups a conversation by the header
// block, so every message of a thread must share it.
const (
	threadHeaderLen = 22
	threadChildLen  = 5
	maxThreadDepth  = 50
)

// threadIndex derives the index from the thread's root Message-ID, so that a
// reply needs nothing but its References to land in the same conversation:
// the root gets the header block alone and each reply level adds the child
// block of the message at that level. A child's index is therefore always
// its parent's index plus one block, as in Outlook. The time bytes keep the
// shape of a FILETIME (first byte 0x01) but are derived from the root's hash,
// since a reply does not know when the root was written and Outlook groups
// by the header block, not by the time in it.
func threadIndex(m Mail) string {
	if parent, err := base64.StdEncoding.DecodeString(m.ThreadIndex); err == nil &&
		len(parent) >= threadHeaderLen && (len(parent)-threadHeaderLen)%threadChildLen == 0 && parent[0] == 0x01 {
		return base64.StdEncoding.EncodeToString(append(parent, threadChild(m.MessageID)...))
	}
	refs := m.References
	if len(refs) == 0 && m.InReplyTo != "" {
		refs = []string{m.InReplyTo}
	}
	root, chain := m.MessageID, []string(nil)
	if len(refs) > 0 {
		root = refs[0]
		chain = append(slices.Clone(refs[1:]), m.MessageID)
		if len(chain) > maxThreadDepth {
			chain = append(chain[:maxThreadDepth-1], m.MessageID)
		}
	}
	sum := sha256.Sum256([]byte("thread-root:" + root))
	idx := make([]byte, threadHeaderLen, threadHeaderLen+threadChildLen*len(chain))
	idx[0] = 0x01
	copy(idx[1:6], sum[0:5])
	copy(idx[6:22], sum[5:21])
	for _, id := range chain {
		idx = append(idx, threadChild(id)...)
	}
	return base64.StdEncoding.EncodeToString(idx)
}

// threadChild is the 5-byte child block for message id: 1 bit time-delta
// code (0), 31 bits of time delta, 8 bits of random, all derived from id.
func threadChild(id string) []byte {
	sum := sha256.Sum256([]byte("thread-child:" + id))
	delta := binary.BigEndian.Uint32(sum[0:4])&0x7fffffff | 1
	b := binary.BigEndian.AppendUint32(nil, delta)
	return append(b, sum[4])
}
