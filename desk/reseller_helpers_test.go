package desk

import (
	"context"
	"errors"
	"strings"
	"time"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// sentMail is a queued outgoing mail as the recipient will read it.
type sentMail struct {
	models.OutboxMail
	parsed *mailin.Parsed
}

// sent returns the queued mails with this purpose, oldest first, parsed
// from their raw bytes (headers as sent, body decoded).
func (f *fixture) sent(purpose string) []sentMail {
	f.t.Helper()
	all, err := f.store.DueOutbox(context.Background(), time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), 1000)
	if err != nil {
		f.t.Fatal(err)
	}
	var out []sentMail
	for _, m := range all {
		if m.Purpose != purpose {
			continue
		}
		p, err := mailin.Parse(m.Raw)
		if err != nil {
			f.t.Fatalf("parse queued %s mail: %v", purpose, err)
		}
		out = append(out, sentMail{OutboxMail: m, parsed: p})
	}
	return out
}

// header returns the first value of a header of a parsed mail.
func header(p *mailin.Parsed, name string) string {
	if v := p.Headers[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// agent creates an agent to act as.
func (f *fixture) agent(role string) *models.Agent {
	f.t.Helper()
	a, err := f.desk.CreateAgent(context.Background(), role+"@kommun.test", "Eva "+role, role, "long enough password")
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

// vendorCase returns the newest vendor case of ticket n.
func (f *fixture) vendorCase(n int64) *models.VendorCase {
	f.t.Helper()
	c, err := f.store.VendorCaseForTicket(context.Background(), f.ticket(n).ID)
	if err != nil {
		f.t.Fatalf("vendor case of #%d: %v", n, err)
	}
	return c
}

// conflictKey returns the catalog key of a ConflictError, or "".
func conflictKey(err error) string {
	var ce *ConflictError
	if errors.As(err, &ce) {
		return ce.Key
	}
	return ""
}

// validationKey returns the key of field in a ValidationError, or "".
func validationKey(err error, field string) string {
	var ve *ValidationError
	if errors.As(err, &ve) {
		return ve.Fields[field]
	}
	return ""
}

// hasNote reports whether ticket n has a system note containing text.
func (f *fixture) hasNote(n int64, text string) bool {
	for _, m := range f.messages(n) {
		if m.Kind == models.KindSystem && strings.Contains(m.Text, text) {
			return true
		}
	}
	return false
}

// hardwareMail is a Swedish fault report on the fixture's in-warranty laptop
// (KOM-00017 = PF3KX2A1, vendor Refurbo AB, 10 days' turnaround).
func hardwareMail(subject string) string {
	return mailFrom("Anna Svensson <anna@kommun.test>", subject, "Skärmen är sprucken och datorn är trasig. Inventarienummer KOM-00017\n\nHälsningar\nAnna Svensson\nanna@kommun.test")
}

func sameTime(a *time.Time, b time.Time) bool { return a != nil && a.Equal(b) }
