package mailin

import (
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/mediatype"
)

// Classes of mail. Only ClassPersonal mail was written by a person; the others must never be
// auto-acknowledged (RFC 3834 section 2) and must not change a ticket's status.
const (
	ClassPersonal  = "personal"   // a person wrote it
	ClassAutoReply = "auto_reply" // out-of-office, vacation and other automatic responses or notifications
	ClassBounce    = "bounce"     // a delivery status notification saying delivery failed
	ClassReport    = "report"     // a read receipt (MDN) or abuse feedback report (ARF)
	ClassBulk      = "bulk"       // list or bulk mail
)

// ClassifyOptions tune the classify stage.
type ClassifyOptions struct {
	// AssetTagPattern, when set, matches the organisation's own asset tags, e.g. `(?i)\bKOM-?\d{5}\b`;
	// every match is added to the serial candidates.
	AssetTagPattern *regexp.Regexp
}

// Classify fills Class, ClassReason, Bounce, Language, Serials, Fault and FaultReason.
func Classify(p *Parsed, opt ClassifyOptions) {
	p.Class, p.ClassReason, p.Bounce = classifyMail(p)
	ownText := StripQuoted(p.Text)
	p.Language = DetectLanguage(p.Subject + "\n" + ownText)
	// Serials are read from what the sender wrote: quoted history belongs to
	// earlier mails (and is most of a long thread). A forward carries the
	// original report in its quoted part, so there the whole text counts.
	serialText := ownText
	if forwardSubject.MatchString(p.Subject) {
		serialText = p.Text
	}
	p.Serials = FindSerials(p.Subject+"\n"+serialText, opt.AssetTagPattern)
	p.Fault, p.FaultReason = ClassifyFault(p.Subject, ownText)
}

var (
	// forwardSubject matches forward prefixes of Swedish and English mail clients.
	forwardSubject = regexp.MustCompile(`(?i)^\s*(fwd?|vb|vs|vidarebefordrat?|tr|wg)\s*:`)
	// autoReplySubject matches the subject prefixes of out-of-office and vacation replies, as Outlook,
	// Gmail, Exchange and common autoresponders write them in Swedish, English and German.
	autoReplySubject = regexp.MustCompile(`(?i)^\s*(automatic reply|auto[- ]?reply|autosvar|automatiskt svar|` +
		`automatisk svar|auto[- ]?response|out of (the )?office|frånvaro|abwesenheit|automatische antwort|` +
		`réponse automatique|respuesta automática|vacation reply|away from (the )?office)\b`)
	// readReceiptSubject matches the subject prefix Outlook and others give read receipts.
	readReceiptSubject = regexp.MustCompile(`(?i)^\s*(read|läst|lest|gelesen|lu|leído|letto|gelezen)\s*:`)
	// readReceiptText matches the body of an Outlook read receipt.
	readReceiptText = regexp.MustCompile(`(?i)\bwas read on\b|\blästes\b|\bwurde am .* gelesen\b`)
)

// classifyMail decides the class, safest evidence first: a machine-readable report, then bounce
// heuristics for mailers that send plain-text bounces, then the RFC 3834 and vendor auto-reply headers,
// list headers, and finally subject conventions.
func classifyMail(p *Parsed) (class, reason string, bounce *Bounce) {
	if class, reason, bounce, ok := classifyReport(p); ok {
		return class, reason, bounce
	}
	if reason, ok := plainBounce(p); ok {
		return ClassBounce, reason, bounceFromText(p)
	}
	if autoSubmitted := autoSubmittedValue(p); autoSubmitted != "" && autoSubmitted != "no" {
		// RFC 3834 section 5.
		return ClassAutoReply, "header Auto-Submitted: " + autoSubmitted, nil
	}
	for _, h := range []string{"X-Autoreply", "X-Autorespond", "X-Autoresponder", "X-Auto-Response-Suppress"} {
		if v := p.header(h); len(v) > 0 {
			return ClassAutoReply, "header " + h + ": " + strings.TrimSpace(v[0]), nil
		}
	}
	precedence := strings.ToLower(p.firstHeader("Precedence"))
	if precedence == "auto_reply" {
		return ClassAutoReply, "header Precedence: auto_reply", nil
	}
	if readReceiptSubject.MatchString(p.Subject) && (strings.Contains(strings.ToLower(p.firstHeader("Content-Class")), "mdn") ||
		readReceiptText.MatchString(p.Text)) {
		return ClassReport, "subject " + quoteSubject(p.Subject) + " with read receipt text", nil
	}
	if autoReplySubject.MatchString(p.Subject) {
		return ClassAutoReply, "subject " + quoteSubject(p.Subject), nil
	}
	switch precedence {
	case "bulk", "junk", "list":
		return ClassBulk, "header Precedence: " + precedence, nil
	}
	for _, h := range []string{"List-Id", "List-Unsubscribe"} {
		if v := p.header(h); len(v) > 0 {
			return ClassBulk, "header " + h + " present", nil
		}
	}
	if isNullReturnPath(p) {
		// RFC 3834 section 3.3: automatic responses are sent with an empty envelope sender.
		return ClassAutoReply, "header Return-Path: <>", nil
	}
	if isDaemonSender(p.From) {
		return ClassAutoReply, "sender " + p.From.Email, nil
	}
	return ClassPersonal, "", nil
}

func quoteSubject(s string) string {
	return `"` + truncate(s, 80) + `"`
}

func isNullReturnPath(p *Parsed) bool {
	for _, v := range p.header("Return-Path") {
		if strings.TrimSpace(v) == "<>" {
			return true
		}
	}
	return false
}

// isDaemonSender reports whether a mail comes from a mail system rather than a person.
func isDaemonSender(a Address) bool {
	local, _, _ := strings.Cut(a.Email, "@")
	switch local {
	case "mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster", "mail-daemon", "maildaemon":
		return true
	}
	name := strings.ToLower(a.Name)
	return strings.Contains(name, "mail delivery") || strings.Contains(name, "mailer-daemon") ||
		strings.Contains(name, "postmaster")
}

// classifyReport classifies mail with a multipart/report (RFC 6522) or one of its machine-readable
// parts anywhere in the MIME tree: delivery status (RFC 3464), disposition notification (RFC 8098) or
// feedback report (RFC 5965).
func classifyReport(p *Parsed) (class, reason string, bounce *Bounce, ok bool) {
	if p.root == nil {
		return "", "", nil, false
	}
	var reportType string
	var dsnPart *enmime.Part
	var original *enmime.Part
	kinds := map[string]bool{}
	p.root.DepthMatchAll(func(part *enmime.Part) bool {
		switch part.ContentType {
		case "multipart/report":
			if reportType == "" {
				_, params, _, err := mediatype.Parse(part.Header.Get("Content-Type"))
				if err == nil {
					reportType = strings.ToLower(params["report-type"])
				}
			}
		case "message/delivery-status", "message/global-delivery-status":
			kinds["delivery-status"] = true
			if dsnPart == nil {
				dsnPart = part
			}
		case "message/disposition-notification", "message/global-disposition-notification":
			kinds["disposition-notification"] = true
		case "message/feedback-report":
			kinds["feedback-report"] = true
		case "message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers":
			if original == nil {
				original = part
			}
		}
		return false
	})
	if reportType != "" {
		kinds[reportType] = true
	}
	switch {
	case kinds["delivery-status"]:
		dsn := parseDeliveryStatus(dsnPart)
		if original != nil {
			dsn.bounce.OriginalMessageID = originalMessageID(original.Content)
		}
		if dsn.bounce.OriginalMessageID == "" {
			dsn.bounce.OriginalMessageID = messageIDInText(p.Text)
		}
		if dsn.bounce.Recipient == "" || dsn.bounce.Status == "" {
			fromText := bounceFromText(p)
			if dsn.bounce.Recipient == "" {
				dsn.bounce.Recipient = fromText.Recipient
			}
			if dsn.bounce.Status == "" {
				dsn.bounce.Status = fromText.Status
			}
		}
		if dsn.onlyNonFailure() {
			// A "delayed" warning or a success notice: delivery has not failed, so it is not a bounce.
			return ClassAutoReply, "delivery status notification, action " + strings.Join(dsn.actions, ", "), nil, true
		}
		return ClassBounce, "delivery status notification (RFC 3464)", &dsn.bounce, true
	case kinds["disposition-notification"]:
		return ClassReport, "disposition notification (RFC 8098)", nil, true
	case kinds["feedback-report"]:
		return ClassReport, "feedback report (RFC 5965)", nil, true
	}
	return "", "", nil, false
}
