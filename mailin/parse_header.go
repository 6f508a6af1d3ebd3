package mailin

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/mail"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// parseState gathers what enmime's media-type callback recovers, since the callback cannot return
// warnings itself.
type parseState struct {
	problems []string
}

var (
	mediaTypeToken = regexp.MustCompile(`(?i)^\s*([a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)`)
	dispositionTok = regexp.MustCompile(`(?i)^\s*(inline|attachment)\b`)
	salvageParam   = regexp.MustCompile(`(?i)\b(boundary|charset|name|filename)\s*=\s*("[^"]*"|[^;\s]+)`)
)

// parseMediaType is enmime's media-type parser with three repairs: an unparseable Content-Type or
// Content-Disposition keeps its type and the parameters that matter, RFC 2231 names in any charset are
// decoded, and text charsets are normalised so that enmime's conversion does the right thing: Latin-1 is
// read as Windows-1252, and undeclared or US-ASCII text passes through unchanged (fixTextParts then keeps
// valid UTF-8 and reads anything else as Windows-1252).
func (s *parseState) parseMediaType(value string) (string, map[string]string, []string, error) {
	mtype, params, invalid, err := mediatype.Parse(value)
	if err != nil {
		mtype, params = s.salvageMediaType(value, err)
	}
	if params == nil {
		params = map[string]string{}
	}
	for _, key := range []string{"filename", "name"} {
		if params[key] == "" && strings.Contains(value, "*") {
			if decoded, ok := decodeRFC2231(value, key); ok {
				params[key] = decoded
			}
		}
	}
	if strings.HasPrefix(mtype, "text/") {
		label := strings.ToLower(strings.Trim(params["charset"], "\"' "))
		switch {
		case label == "" || isASCIILabel(label):
			params["charset"] = "utf-8"
		case isLatin1Label(label):
			params["charset"] = "windows-1252"
		}
	}
	return mtype, params, invalid, nil
}

func (s *parseState) salvageMediaType(value string, err error) (string, map[string]string) {
	var mtype, field string
	if m := mediaTypeToken.FindStringSubmatch(value); m != nil {
		mtype, field = strings.ToLower(m[1]), "Content-Type"
	} else if m := dispositionTok.FindStringSubmatch(value); m != nil {
		mtype, field = strings.ToLower(m[1]), "Content-Disposition"
	} else {
		s.problems = append(s.problems, fmt.Sprintf("MIME header %q unparseable (%v); ignored", value, err))
		return "", nil
	}
	params := map[string]string{}
	for _, m := range salvageParam.FindAllStringSubmatch(value, -1) {
		params[strings.ToLower(m[1])] = strings.Trim(m[2], `"`)
	}
	s.problems = append(s.problems, fmt.Sprintf("header %q: unparseable %q (%v); read as %q", field, value, err, mtype))
	return mtype, params
}

// decodeHeader turns one raw header value into UTF-8: raw 8-bit bytes are kept when valid UTF-8 and
// otherwise read in the body's charset (mailers that send raw 8-bit headers use the same one) or
// Windows-1252, then RFC 2047 encoded words are decoded.
func (p *Parsed) decodeHeader(key, value string) string {
	if !utf8.ValidString(value) {
		value = p.decodeRawHeader(key, value)
	}
	if !strings.Contains(value, "=?") {
		return value
	}
	decoded, err := wordDecoder.DecodeHeader(value)
	if err != nil || strings.Contains(decoded, "=?") && strings.Contains(decoded, "?=") {
		// Go's decoder rejects unknown charsets and encoded words with spaces or missing separators;
		// enmime's decoder repairs the common breakages.
		if lenient := enmime.DecodeRFC2047(value); lenient != value {
			decoded, err = lenient, nil
		}
	}
	if err != nil || strings.Contains(decoded, "=?") && strings.Contains(decoded, "?=") {
		if lenient, ok := decodeBrokenWords(decoded); ok {
			p.addProblem("header %q: malformed encoded words decoded leniently", key)
			decoded, err = lenient, nil
		}
	}
	if err != nil {
		p.addProblem("header %q: encoded words not decodable (%v); kept as is", key, err)
		return value
	}
	if fixed, bad := utf8OrWindows1252(decoded); bad {
		p.addProblem("header %q: encoded words decode to invalid UTF-8, read as Windows-1252", key)
		return fixed
	}
	return c1ToWindows1252(decoded)
}

func (p *Parsed) decodeRawHeader(key, value string) string {
	if p.bodyCharset != "" {
		// Accept the body's charset unless it leaves more than the odd byte undecodable.
		if decoded, err := decodeCharset(p.bodyCharset, []byte(value)); err == nil &&
			strings.Count(decoded, string(utf8.RuneError))*20 < utf8.RuneCountInString(decoded) {
			p.addProblem("header %q: raw 8-bit bytes, read as %s like the body", key, p.bodyCharset)
			return decoded
		}
	}
	p.addProblem("header %q: raw 8-bit bytes not UTF-8, read as Windows-1252", key)
	return fromWindows1252([]byte(value))
}

var brokenWord = regexp.MustCompile(`=\?([^?\s]*)\?([bBqQ])\?([^?]*)\?=`)

// decodeBrokenWords decodes encoded words the standard decoders leave alone: unknown charsets ("NONE")
// and base64 with wrong padding. Text in an unknown charset is kept if it is UTF-8, else read as
// Windows-1252.
func decodeBrokenWords(s string) (string, bool) {
	changed := false
	out := brokenWord.ReplaceAllStringFunc(s, func(word string) string {
		m := brokenWord.FindStringSubmatch(word)
		var raw []byte
		var err error
		if strings.EqualFold(m[2], "b") {
			raw, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(m[3], "="))
		} else {
			raw, err = io.ReadAll(quotedprintable.NewReader(strings.NewReader(strings.ReplaceAll(m[3], "_", " "))))
		}
		if err != nil {
			return word
		}
		changed = true
		if text, err := decodeCharset(m[1], raw); err == nil {
			return text
		}
		text, _ := utf8OrWindows1252(string(raw))
		return text
	})
	return out, changed
}

// fillFromHeaders sets the header-derived fields of p from p.Headers.
func (p *Parsed) fillFromHeaders() {
	p.Subject = strings.TrimSpace(collapseSpace(p.firstHeader("Subject")))
	p.MessageID = p.messageID()
	p.InReplyTo = firstMsgID(p.firstHeader("In-Reply-To"))
	p.References = msgIDs(strings.Join(p.header("References"), " "))

	if from := p.addresses("From"); len(from) > 0 {
		p.From = from[0]
	} else if sender := p.addresses("Sender"); len(sender) > 0 {
		p.From = sender[0]
		p.addProblem(`header "From": missing or empty; used "Sender"`)
	} else {
		p.addProblem(`header "From": missing or empty`)
	}
	p.To = p.addresses("To")
	p.Cc = p.addresses("Cc")
	p.ReplyTo = p.addresses("Reply-To")
	p.Date = p.date()
}

func collapseSpace(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func (p *Parsed) messageID() string {
	v := p.firstHeader("Message-Id")
	if v == "" {
		p.addProblem(`header "Message-ID": missing`)
		return ""
	}
	id := firstMsgID(v)
	if id == "" {
		p.addProblem(`header "Message-ID": unusable %q`, v)
	}
	return id
}

var msgIDPattern = regexp.MustCompile(`<([^<>\s]+)>`)

// msgIDs extracts the msg-ids of an In-Reply-To or References value (RFC 5322 section 3.6.4), without
// <>. Bare ids without angle brackets are accepted when they contain an @.
func msgIDs(v string) []string {
	ids := []string{}
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if matches := msgIDPattern.FindAllStringSubmatch(v, -1); matches != nil {
		for _, m := range matches {
			add(m[1])
		}
		return ids
	}
	for _, f := range strings.Fields(v) {
		if strings.Contains(f, "@") {
			add(strings.Trim(f, "<>,;\"'"))
		}
	}
	return ids
}

func firstMsgID(v string) string {
	if ids := msgIDs(v); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

var bareEmail = regexp.MustCompile(`[A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?`)

// addresses parses one address header. A list that net/mail rejects is recovered by picking out every
// x@y with its display name, and the repair is listed as a problem.
func (p *Parsed) addresses(field string) []Address {
	out := []Address{}
	values := p.header(field)
	for _, v := range values {
		if strings.TrimSpace(v) == "" {
			continue
		}
		if len(v) > maxAddressHeader {
			p.addProblem("header %q: %d bytes, only the first %d read", field, len(v), maxAddressHeader)
			v = v[:maxAddressHeader]
		}
		list, err := enmime.ParseAddressList(v)
		switch {
		case errors.Is(err, mail.ErrHeaderNotPresent):
			continue
		case err != nil:
			recovered := salvageAddresses(v)
			p.addProblem("header %q: unparseable address list %q (%v); recovered %d address(es)",
				field, truncate(v, 200), err, len(recovered))
			out = append(out, recovered...)
			continue
		}
		for _, a := range list {
			out = append(out, Address{Name: strings.TrimSpace(a.Name), Email: strings.ToLower(strings.TrimSpace(a.Address))})
		}
	}
	return out
}

// salvageAddresses picks every x@y out of a broken address list, with the text before it in the same
// comma-separated chunk as the display name.
func salvageAddresses(v string) []Address {
	out := []Address{}
	for _, chunk := range strings.Split(stripComments(v), ",") {
		loc := bareEmail.FindStringIndex(chunk)
		if loc == nil {
			continue
		}
		name := strings.Trim(strings.TrimSpace(chunk[:loc[0]]), `"'<( `)
		out = append(out, Address{Name: name, Email: strings.ToLower(chunk[loc[0]:loc[1]])})
	}
	return out
}

// stripComments removes RFC 5322 comments — parenthesised, nestable, with backslash escapes — outside
// quoted strings (section 3.2.2).
func stripComments(v string) string {
	var b strings.Builder
	depth, quoted, escaped := 0, false, false
	for _, r := range v {
		switch {
		case escaped:
			escaped = false
			if depth > 0 {
				continue
			}
		case r == '\\':
			escaped = true
			if depth > 0 {
				continue
			}
		case r == '"' && depth == 0:
			quoted = !quoted
		case r == '(' && !quoted:
			depth++
			continue
		case r == ')' && !quoted && depth > 0:
			depth--
			continue
		case depth > 0:
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// dateLayouts are the non-RFC 5322 date shapes seen in real mail, tried after net/mail.ParseDate.
var dateLayouts = []string{
	"Mon, 2 Jan 2006 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04 -0700",
	"Mon, 2 Jan 06 15:04:05 -0700",
	"Mon, 2 Jan 2006 15:04:05 MST",
	"Mon, 2 Jan 2006 15:04:05",
	"Mon 2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 -0700",
	"2 Jan 2006 15:04:05 MST",
	"2 Jan 2006 15:04:05",
	"Mon Jan 2 15:04:05 2006",
	"Mon Jan 2 15:04:05 MST 2006",
	"Mon Jan 2 15:04:05 -0700 2006",
	"2006-01-02 15:04:05 -0700",
	"2006-01-02 15:04:05",
	time.RFC3339,
}

var dateComment = regexp.MustCompile(`\([^)]*\)`)

func (p *Parsed) date() *time.Time {
	v := p.firstHeader("Date")
	if v == "" {
		p.addProblem(`header "Date": missing`)
		return nil
	}
	if t, err := mail.ParseDate(v); err == nil {
		utc := t.UTC()
		return &utc
	}
	cleaned := collapseSpace(dateComment.ReplaceAllString(v, " "))
	cleaned = strings.TrimSuffix(strings.TrimPrefix(cleaned, ","), ",")
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, cleaned); err == nil {
			utc := t.UTC()
			p.addProblem(`header "Date": nonstandard %q, read as %s`, v, utc.Format(time.RFC3339))
			return &utc
		}
	}
	p.addProblem(`header "Date": unparseable %q`, truncate(v, 200))
	return nil
}
