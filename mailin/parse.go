package mailin

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// Address is one mailbox from a header.
type Address struct {
	Name  string `json:"name"`
	Email string `json:"email"` // lower-cased
}

// Attachment is one non-body MIME part: a file, an inline image, an embedded message or a machine-readable
// report part.
type Attachment struct {
	Filename    string `json:"filename"` // decoded to UTF-8; generated ("attachment-1.bin") when the mail has none
	ContentType string `json:"content_type"`
	Size        int    `json:"size"`       // decoded byte size
	ContentID   string `json:"content_id"` // without <>
	Inline      bool   `json:"inline"`
	Data        []byte `json:"-"`
	// SHA256 is the hex SHA-256 of Data (models.SHA256Hex), the key it is stored under: computed
	// while parsing, on a parse worker, rather than by intake's one writer.
	SHA256 string `json:"-"`
}

// Bounce is what a delivery status notification says about the mail that could not be delivered.
type Bounce struct {
	Status            string `json:"status"`    // RFC 3463 status code, e.g. "5.1.1"
	Recipient         string `json:"recipient"` // the address that failed
	OriginalMessageID string `json:"original_message_id"`
}

// Parsed is one mail after the parse and classify stages. Its JSON is the `warrantydesk mail parse`
// output. Slices are never nil, so the JSON has [] rather than null.
type Parsed struct {
	MessageID   string              `json:"message_id"` // without <>
	From        Address             `json:"from"`
	To          []Address           `json:"to"`
	Cc          []Address           `json:"cc"`
	ReplyTo     []Address           `json:"reply_to"`
	Subject     string              `json:"subject"`     // decoded UTF-8
	Date        *time.Time          `json:"date"`        // UTC; nil when missing or unparseable
	InReplyTo   string              `json:"in_reply_to"` // first msg-id, without <>
	References  []string            `json:"references"`  // without <>
	Text        string              `json:"text"`        // plain text; converted from HTML when the mail is HTML-only
	HTML        string              `json:"html"`        // sanitised with SanitizeHTML
	Attachments []Attachment        `json:"attachments"`
	Class       string              `json:"class"`        // ClassPersonal, ClassAutoReply, ClassBounce, ClassReport or ClassBulk
	ClassReason string              `json:"class_reason"` // e.g. "header Auto-Submitted: auto-replied"
	Bounce      *Bounce             `json:"bounce,omitempty"`
	Language    string              `json:"language"`      // "sv", "en" or "" when unknown
	Serials     []string            `json:"serials"`       // normalised candidates, deduplicated, in order found
	Fault       string              `json:"fault"`         // FaultHardware, FaultSoftware, FaultAccount or FaultOther
	FaultReason []string            `json:"fault_matches"` // the keywords that decided Fault
	Problems    []string            `json:"problems"`      // what was broken but recovered, each naming the place
	Headers     map[string][]string `json:"-"`             // canonical header keys → decoded values, for later stages
	// SearchText is Text as the search index holds it (models.Store.SearchText), when intake's
	// parse stage set it; see SearchTextOr.
	SearchText string `json:"-"`

	root        *enmime.Part // the MIME tree, kept for the classify stage (delivery-status parts)
	bodyCharset string       // the first declared non-ASCII body charset, for raw 8-bit headers
	// searchTextSet tells an empty SearchText (all of Text was quoted) from one never set.
	searchTextSet bool
}

// SearchTextOr returns SearchText when intake's parse stage set it, else reduce(Text).
func (p *Parsed) SearchTextOr(reduce func(string) string) string {
	if p.searchTextSet {
		return p.SearchText
	}
	return reduce(p.Text)
}

// ErrEmptyMessage is returned by Parse for a zero-length message: there is nothing to recover.
var ErrEmptyMessage = errors.New("empty message")

const (
	// maxParseBytes caps how much of a message is MIME-parsed; the raw message is stored whole elsewhere.
	maxParseBytes = 32 << 20
	// maxNesting caps multipart nesting: enmime recurses once per level.
	maxNesting = 100
	// maxProblems keeps a pathological mail from producing an unbounded problem list.
	maxProblems = 100
	// maxAddressHeader caps the address header length handed to the address parser.
	maxAddressHeader = 64 << 10
)

// Parse parses one raw RFC 5322 message. It never fails on broken input: whatever is broken is recovered
// as well as possible and listed in Problems. It returns an error only when raw is empty.
func Parse(raw []byte) (parsed *Parsed, err error) {
	if len(raw) == 0 {
		return nil, fmt.Errorf("parse mail: %w", ErrEmptyMessage)
	}
	p := &Parsed{Headers: map[string][]string{}}
	defer func() {
		// Last safety net: a parser bug on hostile input must cost this one mail its details, not the
		// intake loop.
		if r := recover(); r != nil {
			p.addProblem("message: parser failed (%v); body kept as plain text", r)
			if p.Text == "" && p.HTML == "" {
				p.Text = bodyAsText(raw)
			}
		}
		p.finish()
		parsed = p
	}()
	p.parse(raw)
	return p, nil
}

// ParseFile reads one .eml file and runs the parse and classify stages on it. It fails only when the file
// cannot be read: an empty file gives an empty result with a problem, so that `mail parse` answers for
// every readable file.
func ParseFile(path string, opt ClassifyOptions) (*Parsed, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read mail file: %w", err)
	}
	p, err := Parse(raw)
	if errors.Is(err, ErrEmptyMessage) {
		p = &Parsed{Headers: map[string][]string{}}
		p.addProblem("message: empty file")
		p.finish()
	}
	Classify(p, opt)
	return p, nil
}

func (p *Parsed) addProblem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if len(p.Problems) >= maxProblems {
		return
	}
	for _, existing := range p.Problems {
		if existing == msg {
			return
		}
	}
	if len(p.Problems) == maxProblems-1 {
		msg = "message: more problems not listed"
	}
	p.Problems = append(p.Problems, msg)
}

// header returns the decoded values of one header field.
func (p *Parsed) header(name string) []string {
	return p.Headers[textproto.CanonicalMIMEHeaderKey(name)]
}

// firstHeader returns the first decoded value of one header field, trimmed.
func (p *Parsed) firstHeader(name string) string {
	if v := p.header(name); len(v) > 0 {
		return strings.TrimSpace(v[0])
	}
	return ""
}

func (p *Parsed) parse(raw []byte) {
	raw = stripMboxLine(raw)
	if len(raw) > maxParseBytes {
		p.addProblem("message: %d bytes, only the first %d parsed", len(raw), maxParseBytes)
		raw = raw[:maxParseBytes]
	}
	if !startsWithHeader(raw) {
		p.addProblem("message: no header section; whole message kept as plain text")
		p.Text = bodyAsText(raw)
		return
	}
	if depth := multipartDepth(raw); depth > maxNesting {
		p.addProblem("message: multipart nesting deeper than %d levels; body kept as plain text", maxNesting)
		p.readHeadersOnly(raw)
		p.fillFromHeaders()
		p.Text = bodyAsText(bodyOf(raw))
		return
	}

	var state parseState
	parser := enmime.NewParser(
		enmime.SkipMalformedParts(true),
		enmime.MultipartWOBoundaryAsSinglePart(true),
		enmime.SetReadPartErrorPolicy(enmime.AllowCorruptTextPartErrorPolicy),
		enmime.DisableCharacterDetection(true),
		// Text for HTML-only mail is made from the sanitised HTML, so that removed links and scripts do
		// not reappear in it.
		enmime.DisableTextConversion(true),
		enmime.SetCustomParseMediaType(state.parseMediaType),
	)
	root, err := parser.ReadParts(bytes.NewReader(raw))
	for _, problem := range state.problems {
		p.addProblem("%s", problem)
	}
	if err != nil {
		p.addProblem("message: MIME structure unreadable (%v); body kept as plain text", err)
		p.readHeadersOnly(raw)
		p.fillFromHeaders()
		p.Text = bodyAsText(bodyOf(raw))
		return
	}
	p.root = root
	p.bodyCharset = declaredBodyCharset(root)
	p.fixTextParts(root)
	for key, values := range root.Header {
		p.addHeader(key, values)
	}
	p.fillFromHeaders()

	env, err := parser.EnvelopeFromPart(root)
	if err != nil {
		p.addProblem("message: MIME body unreadable (%v); body kept as plain text", err)
		p.Text = bodyAsText(root.Content)
		if p.Text == "" {
			p.Text = bodyAsText(bodyOf(raw))
		}
		p.collectPartProblems(root)
		return
	}
	p.collectPartProblems(root)
	p.Text = normalizeNewlines(env.Text)
	if p.Text == "" && env.HTML == "" && strings.HasPrefix(root.ContentType, "multipart/") && root.FirstChild == nil {
		p.addProblem("message body: multipart without any part; body kept as plain text")
		p.Text = bodyAsText(bodyOf(raw))
	}
	if env.HTML != "" {
		p.HTML = SanitizeHTML(env.HTML)
		if strings.TrimSpace(p.Text) == "" {
			p.Text = normalizeNewlines(p.htmlToText(p.HTML))
		}
	}
	p.collectAttachments(env)
}

// stripMboxLine removes a leading byte order mark and mbox "From " envelope line, neither of which is
// a header field.
func stripMboxLine(raw []byte) []byte {
	raw = bytes.TrimPrefix(raw, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark some tools write
	if !bytes.HasPrefix(raw, []byte("From ")) {
		return raw
	}
	if i := bytes.IndexByte(raw, '\n'); i >= 0 {
		return raw[i+1:]
	}
	return raw
}

// startsWithHeader reports whether raw begins with something shaped like a header field ("Name: value"),
// so that a bare body is not swallowed as one long malformed header.
func startsWithHeader(raw []byte) bool {
	line := raw
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return false
	}
	for _, c := range line[:colon] {
		if c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// multipartDepth estimates how deeply multiparts nest by counting distinct boundary parameters; a
// boundary can only open one more level. It is cheap and errs on the high side.
//
// It finds "boundary=" in any case at each "=" rather than lower-casing the whole mail: that copy
// (a rune-by-rune one for any non-ASCII mail) was a tenth of the parse stage.
func multipartDepth(raw []byte) int {
	const param = "boundary"
	seen := map[string]bool{}
	for at := 0; ; {
		i := bytes.IndexByte(raw[at:], '=')
		if i < 0 {
			break
		}
		eq := at + i
		at = eq + 1
		if eq < len(param) || !bytes.EqualFold(raw[eq-len(param):eq], []byte(param)) {
			continue
		}
		rest := raw[at:]
		end := bytes.IndexAny(rest, ";\r\n")
		if end < 0 {
			end = len(rest)
		}
		seen[string(bytes.ToLower(bytes.Trim(rest[:end], "\" \t")))] = true
		if len(seen) > maxNesting {
			break
		}
	}
	return len(seen)
}

// bodyOf returns what follows the first blank line, or raw when there is none.
func bodyOf(raw []byte) []byte {
	for _, sep := range [][]byte{[]byte("\r\n\r\n"), []byte("\n\n")} {
		if i := bytes.Index(raw, sep); i >= 0 {
			return raw[i+len(sep):]
		}
	}
	return raw
}

// bodyAsText turns undecoded bytes into text: UTF-8 when valid, else Windows-1252.
func bodyAsText(b []byte) string {
	s, _ := utf8OrWindows1252(string(b))
	return normalizeNewlines(s)
}

func normalizeNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

// readHeadersOnly reads the header section alone, for mails whose MIME structure enmime rejects.
func (p *Parsed) readHeadersOnly(raw []byte) {
	var collector headerErrors
	h, err := enmime.ReadHeader(bufio.NewReader(bytes.NewReader(raw)), &collector)
	for _, problem := range collector {
		p.addProblem("%s", problem)
	}
	if err != nil {
		p.addProblem("message: header section unreadable (%v)", err)
	}
	for key, values := range h {
		p.addHeader(key, values)
	}
}

// headerErrors collects enmime's header warnings as problem strings.
type headerErrors []string

// AddError implements enmime.ErrorCollector.
func (c *headerErrors) AddError(name string, format string, args ...any) {
	*c = append(*c, "header section: "+name+": "+fmt.Sprintf(format, args...))
}

// AddWarning implements enmime.ErrorCollector.
func (c *headerErrors) AddWarning(name string, format string, args ...any) {
	c.AddError(name, format, args...)
}

// addHeader stores the decoded values of one header field.
func (p *Parsed) addHeader(key string, values []string) {
	key = textproto.CanonicalMIMEHeaderKey(key)
	for _, v := range values {
		p.Headers[key] = append(p.Headers[key], p.decodeHeader(key, v))
	}
}

// fixTextParts repairs text parts before enmime assembles the body: parts without a Content-Type are
// text/plain (RFC 2045 section 5.2; message/rfc822 inside multipart/digest, RFC 2046 section 5.1.5), and
// text that is not valid UTF-8 after charset conversion is read as Windows-1252.
func (p *Parsed) fixTextParts(root *enmime.Part) {
	root.DepthMatchAll(func(part *enmime.Part) bool {
		if part.ContentType == "" && part.FirstChild == nil && part.Parent != nil {
			if part.Parent.ContentType == "multipart/digest" {
				part.ContentType = "message/rfc822"
			} else {
				part.ContentType = "text/plain"
			}
		}
		if strings.HasPrefix(part.ContentType, "text/") && !utf8.Valid(part.Content) {
			declared := part.Header.Get("Content-Type")
			if declared == "" {
				declared = "none"
			}
			p.addProblem("%s: text not valid in its charset (Content-Type %q); decoded as Windows-1252",
				partPlace(part), declared)
			part.Content = []byte(fromWindows1252(part.Content))
		}
		return false
	})
}

// declaredBodyCharset returns the charset the first text part declares, unless it is ASCII or UTF-8.
func declaredBodyCharset(root *enmime.Part) string {
	var charset string
	root.DepthMatchFirst(func(part *enmime.Part) bool {
		if !strings.HasPrefix(part.ContentType, "text/") {
			return false
		}
		_, params, _, err := mediatype.Parse(part.Header.Get("Content-Type"))
		label := strings.ToLower(strings.Trim(params["charset"], "\"' "))
		if err != nil || label == "" || isASCIILabel(label) || label == "utf-8" || label == "utf8" {
			return false
		}
		charset = label
		return true
	})
	return charset
}

// partPlace names a MIME part for a problem message.
func partPlace(part *enmime.Part) string {
	if part.Parent == nil {
		return "message body"
	}
	return fmt.Sprintf("MIME part %s (%s)", part.PartID, part.ContentType)
}

// collectPartProblems turns enmime's per-part errors into problems. The "no text/plain part" warning is
// skipped: an HTML-only mail is not broken.
func (p *Parsed) collectPartProblems(root *enmime.Part) {
	root.DepthMatchAll(func(part *enmime.Part) bool {
		for _, e := range part.Errors {
			switch {
			case e.Name == enmime.ErrorPlainTextFromHTML && !e.Severe:
				continue
			case e.Name == enmime.ErrorMissingContentType && strings.HasPrefix(e.Detail, "content-type is empty"):
				continue // enmime reports a missing Content-Type twice
			}
			p.addProblem("%s: %s: %s", partPlace(part), e.Name, strings.ToValidUTF8(e.Detail, "\uFFFD"))
		}
		return false
	})
}

// finish makes the result safe to store and print: no nil slices, only valid UTF-8.
func (p *Parsed) finish() {
	for _, s := range []*[]Address{&p.To, &p.Cc, &p.ReplyTo} {
		if *s == nil {
			*s = []Address{}
		}
	}
	if p.References == nil {
		p.References = []string{}
	}
	if p.Attachments == nil {
		p.Attachments = []Attachment{}
	}
	if p.Serials == nil {
		p.Serials = []string{}
	}
	if p.FaultReason == nil {
		p.FaultReason = []string{}
	}
	fields := []struct {
		name string
		s    *string
	}{
		{"message_id", &p.MessageID}, {"from.name", &p.From.Name}, {"from.email", &p.From.Email},
		{"subject", &p.Subject}, {"in_reply_to", &p.InReplyTo}, {"text", &p.Text}, {"html", &p.HTML},
	}
	for _, f := range fields {
		if !utf8.ValidString(*f.s) {
			*f.s = strings.ToValidUTF8(*f.s, "\uFFFD")
			p.addProblem("%s: invalid UTF-8 replaced", f.name)
		}
	}
	for _, list := range [][]Address{p.To, p.Cc, p.ReplyTo} {
		for i := range list {
			list[i].Name = strings.ToValidUTF8(list[i].Name, "\uFFFD")
			list[i].Email = strings.ToValidUTF8(list[i].Email, "\uFFFD")
		}
	}
	for i := range p.References {
		p.References[i] = strings.ToValidUTF8(p.References[i], "\uFFFD")
	}
	for i := range p.Attachments {
		a := &p.Attachments[i]
		a.Filename = strings.ToValidUTF8(a.Filename, "\uFFFD")
		a.ContentType = strings.ToValidUTF8(a.ContentType, "\uFFFD")
		a.ContentID = strings.ToValidUTF8(a.ContentID, "\uFFFD")
	}
	if p.Problems == nil {
		p.Problems = []string{}
	}
	for i := range p.Problems {
		p.Problems[i] = strings.ToValidUTF8(p.Problems[i], "\uFFFD")
	}
}
