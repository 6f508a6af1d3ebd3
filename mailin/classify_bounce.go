package mailin

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"
)

// deliveryStatus is what classify needs from a message/delivery-status part.
type deliveryStatus struct {
	bounce  Bounce
	actions []string // distinct Action values, lower-case, in order
}

// onlyNonFailure reports whether every recipient's Action says delivery has not failed (RFC 3464
// section 2.3.3: delayed, delivered, relayed, expanded).
func (d deliveryStatus) onlyNonFailure() bool {
	if len(d.actions) == 0 {
		return false
	}
	for _, a := range d.actions {
		switch a {
		case "delayed", "delivered", "relayed", "expanded":
		default:
			return false
		}
	}
	return true
}

var statusCode = regexp.MustCompile(`\b([245]\.\d{1,3}\.\d{1,3})\b`)

// parseDeliveryStatus reads the fields of a message/delivery-status part (RFC 3464 section 2). It is
// lenient about the blank lines between the per-message and per-recipient groups, which mailers get wrong.
func parseDeliveryStatus(part *enmime.Part) deliveryStatus {
	var d deliveryStatus
	if part == nil {
		return d
	}
	var finalRecipient, originalRecipient string
	seenAction := map[string]bool{}
	for _, field := range unfoldFields(part.Content) {
		name, value, ok := strings.Cut(field, ":")
		if !ok {
			continue
		}
		value = strings.TrimSpace(value)
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "final-recipient":
			if finalRecipient == "" {
				finalRecipient = addressOfType(value)
			}
		case "original-recipient":
			if originalRecipient == "" {
				originalRecipient = addressOfType(value)
			}
		case "status":
			if d.bounce.Status == "" {
				if m := statusCode.FindString(value); m != "" {
					d.bounce.Status = m
				}
			}
		case "action":
			action := strings.ToLower(strings.Fields(value + " ")[0])
			if action != "" && !seenAction[action] {
				seenAction[action] = true
				d.actions = append(d.actions, action)
			}
		}
	}
	d.bounce.Recipient = finalRecipient
	if d.bounce.Recipient == "" {
		d.bounce.Recipient = originalRecipient
	}
	return d
}

// unfoldFields splits header-style text into fields, joining continuation lines.
func unfoldFields(content []byte) []string {
	var fields []string
	scanner := bufio.NewScanner(bytes.NewReader(content))
	scanner.Buffer(make([]byte, 0, 64*1024), 1<<20)
	for scanner.Scan() {
		line := strings.TrimRight(scanner.Text(), "\r")
		if line == "" {
			continue
		}
		if (line[0] == ' ' || line[0] == '\t') && len(fields) > 0 {
			fields[len(fields)-1] += " " + strings.TrimSpace(line)
			continue
		}
		fields = append(fields, line)
	}
	return fields
}

// addressOfType strips the address-type of a DSN recipient field: "rfc822; user@example.com".
func addressOfType(v string) string {
	if _, addr, ok := strings.Cut(v, ";"); ok {
		v = addr
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(v), "<>"))
}

// originalMessageID returns the Message-ID of a returned message or its headers.
func originalMessageID(raw []byte) string {
	var collector headerErrors
	h, err := enmime.ReadHeader(bufio.NewReader(bytes.NewReader(raw)), &collector)
	if err != nil || h == nil {
		return messageIDInText(string(raw))
	}
	return firstMsgID(h.Get("Message-Id"))
}

var messageIDLine = regexp.MustCompile(`(?im)^[ \t>]*Message-ID:\s*<([^<>\s]+)>`)

// messageIDInText finds a quoted Message-ID header line in a plain-text bounce.
func messageIDInText(text string) string {
	if m := messageIDLine.FindStringSubmatch(text); m != nil {
		return m[1]
	}
	return ""
}

var (
	// bounceSubject matches the subjects of non-delivery reports from common mail systems.
	bounceSubject = regexp.MustCompile(`(?i)undeliver|undelivered mail|returned mail|return(ed)? to sender|` +
		`delivery status notification|delivery (has )?fail|mail delivery failed|failure notice|` +
		`delivery failure|could not be delivered|not (be )?delivered|non[- ]?delivery|nondeliver|` +
		`delivery problem|mail (system error|failure)|unzustellbar|non remis|olevererbar|kunde inte levereras|` +
		`kan inte levereras|mail could not|message rejected|rejected mail|delivery notification`)
	// bounceText matches the wording of non-delivery reports in their body.
	bounceText = regexp.MustCompile(`(?i)could not be delivered|couldn't be delivered|delivery to the following recipient|` +
		`undeliverable|permanent (fatal )?error|user unknown|unknown user|mailbox unavailable|mailbox is full|` +
		`no such user|recipient address rejected|this is the mail system at|delivery has failed|` +
		`message was not delivered|returned to sender|was not delivered|failed to deliver|` +
		`delivery failed|address rejected|unrouteable|i'm afraid i wasn't able to deliver|` +
		`could not deliver|unable to deliver|non-delivery|status: 5\.\d|\b55\d[ -]`)
)

// plainBounce recognises non-delivery reports that are not RFC 3464 DSNs (qmail, old Sendmail, Exchange,
// hosted services): a mail-system sender or empty Return-Path with a bounce subject or bounce wording,
// or a bounce subject together with bounce wording.
func plainBounce(p *Parsed) (string, bool) {
	if v := p.firstHeader("X-Failed-Recipients"); v != "" {
		// Exim names the failed recipients in this header of its bounces.
		return "header X-Failed-Recipients: " + v, true
	}
	subject := bounceSubject.MatchString(p.Subject)
	daemon := isDaemonSender(p.From)
	if daemon && subject {
		return "sender " + p.From.Email + " with subject " + quoteSubject(p.Subject), true
	}
	nullReturn := isNullReturnPath(p)
	if !daemon && !subject && !nullReturn {
		return "", false // only those three can make bounce wording count: skip the costly text scan
	}
	if !bounceText.MatchString(truncate(p.Text, 64<<10)) {
		return "", false
	}
	switch {
	case daemon && autoSubmittedValue(p) != "auto-replied":
		// An RFC 3834 responder (auto-replied) from postmaster@ is a notice, not a failed delivery.
		return "sender " + p.From.Email + " with non-delivery text", true
	case subject:
		return "subject " + quoteSubject(p.Subject) + " with non-delivery text", true
	case nullReturn && autoSubmittedValue(p) != "auto-replied":
		return "header Return-Path: <> with non-delivery text", true
	}
	return "", false
}

func autoSubmittedValue(p *Parsed) string {
	return strings.ToLower(strings.TrimSpace(dateComment.ReplaceAllString(p.firstHeader("Auto-Submitted"), "")))
}

var (
	recipientField   = regexp.MustCompile(`(?im)^\s*(?:final|original)-recipient:\s*(?:[a-z0-9-]+;)?\s*<?([^\s<>;]+@[^\s<>;]+?)>?\s*$`)
	recipientAngled  = regexp.MustCompile(`<([^\s<>@]+@[^\s<>@]+)>\s*:`)
	recipientLabeled = regexp.MustCompile(`(?i)(?:recipient|address|mottagare|to)\b[^\n@]{0,40}?<?([A-Za-z0-9.!#$%&'*+/=?^_{|}~-]+@[A-Za-z0-9.-]+[A-Za-z0-9])`)
)

// bounceFromText extracts what a plain-text bounce says: the first RFC 3463 status code (failures
// before successes), the failed recipient and the Message-ID of the returned mail.
func bounceFromText(p *Parsed) *Bounce {
	text := truncate(p.Text, 256<<10)
	for _, a := range p.Attachments {
		switch a.ContentType {
		case "message/rfc822", "text/rfc822-headers", "message/delivery-status", "text/plain":
			text += "\n" + truncate(string(a.Data), 64<<10)
		}
	}
	b := &Bounce{Recipient: strings.ToLower(strings.Trim(strings.TrimSpace(p.firstHeader("X-Failed-Recipients")), "<>"))}
	if first, _, more := strings.Cut(b.Recipient, ","); more {
		b.Recipient = strings.TrimSpace(first)
	}
	for _, code := range statusCode.FindAllString(text, -1) {
		if code[0] != '2' {
			b.Status = code
			break
		}
	}
	for _, re := range []*regexp.Regexp{recipientField, recipientAngled, recipientLabeled} {
		if b.Recipient != "" {
			break
		}
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			addr := strings.ToLower(strings.Trim(m[1], ".,;:"))
			if addr != p.From.Email && !isDaemonSender(Address{Email: addr}) {
				b.Recipient = addr
				break
			}
		}
	}
	for _, a := range p.Attachments {
		if a.ContentType == "message/rfc822" || a.ContentType == "text/rfc822-headers" {
			if id := originalMessageID(a.Data); id != "" {
				b.OriginalMessageID = id
				break
			}
		}
	}
	if b.OriginalMessageID == "" {
		b.OriginalMessageID = messageIDInText(text)
	}
	return b
}
