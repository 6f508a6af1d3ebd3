package desk

// A login-free status page for requesters, reached by a signed link in
// their mail. The link only proves "someone was given this ticket's link",
// so the page shows facts about the repair and nothing about people.

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"warrantydesk/models"
)

// statusPayload is what a status token signs: the purpose and the number,
// so a signature made for anything else never opens a status page.
func statusPayload(number int64) string { return "status:" + strconv.FormatInt(number, 10) }

// StatusToken returns the signed token of ticket number's status page:
// "<number>.<signature>".
func (s *Service) StatusToken(number int64) string {
	return strconv.FormatInt(number, 10) + "." + s.ids.Sign(statusPayload(number))
}

// StatusLink returns the public status page URL of ticket number:
// Options.BaseURL + "/status/" + StatusToken(number), or "" when BaseURL is
// not set (mail then goes without a link rather than with a broken one).
func (s *Service) StatusLink(number int64) string {
	base := strings.TrimRight(strings.TrimSpace(s.opt.BaseURL), "/")
	if base == "" {
		return ""
	}
	return base + "/status/" + s.StatusToken(number)
}

// ticketFromToken returns the ticket number a status token was signed for.
func (s *Service) ticketFromToken(token string) (int64, bool) {
	num, sig, ok := strings.Cut(strings.TrimSpace(token), ".")
	if !ok || num == "" || len(num) > 18 || sig == "" {
		return 0, false
	}
	n, err := strconv.ParseInt(num, 10, 64)
	if err != nil || n <= 0 || strconv.FormatInt(n, 10) != num {
		return 0, false
	}
	if !s.ids.Verify(statusPayload(n), sig) {
		return 0, false
	}
	return n, true
}

// PublicStatus is what the public status page shows: facts about the
// ticket and the repair, never a person's name or address.
type PublicStatus struct {
	Number  int64
	Subject string
	// Status is the ticket status code; StatusText its label in Language.
	Status     string
	StatusText string
	// Language is the requester's (sv or en): the page's language.
	Language string
	// CaseState is the reseller case's state ("" when none), CaseStateText
	// its label.
	CaseState     string
	CaseStateText string
	// AtVendorSince is when the case went to the reseller, ExpectedBack when
	// it is due back (forward + the vendor's turnaround), BackOn when it came
	// back. Nil when not applicable.
	AtVendorSince *time.Time
	ExpectedBack  *time.Time
	BackOn        *time.Time
	// Summary says it in one sentence, e.g. "At the reseller since 12 Nov,
	// expected back 22 Nov." ("" when there is no reseller case).
	Summary   string
	UpdatedAt time.Time
}

// PublicStatus returns the status of the ticket a token (from StatusLink)
// was signed for. A malformed, tampered or unknown token is ErrNotFound:
// the page does not tell a bad signature from a missing ticket.
func (s *Service) PublicStatus(ctx context.Context, token string) (*PublicStatus, error) {
	n, ok := s.ticketFromToken(token)
	if !ok {
		return nil, ErrNotFound
	}
	t, err := s.store.TicketByNumber(ctx, n)
	if err != nil {
		return nil, err
	}
	lang := s.mailLang(firstNonEmpty(t.Language, t.Requester.Language))
	ps := &PublicStatus{Number: t.Number, Subject: t.Subject, Status: t.Status, Language: lang,
		StatusText: s.cat.T(lang, "status."+t.Status), UpdatedAt: t.UpdatedAt}
	c, err := s.store.VendorCaseForTicket(ctx, t.ID)
	if errors.Is(err, models.ErrNotFound) {
		return ps, nil
	} else if err != nil {
		return nil, err
	}
	ps.CaseState, ps.CaseStateText = c.State, s.cat.T(lang, "case_state."+c.State)
	ps.AtVendorSince = c.ForwardedAt
	if due, ok := VendorDueAt(c); ok {
		ps.ExpectedBack = &due
	}
	switch {
	case c.State == models.CaseShippedBack || (c.State == models.CaseClosed && c.ReturnedAt != nil):
		ps.BackOn, ps.ExpectedBack = c.ReturnedAt, nil
		ps.Summary = s.cat.T(lang, "public.back", s.shortDate(lang, *c.ReturnedAt))
	case c.State == models.CaseClosed:
		ps.ExpectedBack = nil
		ps.Summary = s.cat.T(lang, "public.case_closed")
	case c.ForwardedAt != nil && ps.ExpectedBack != nil:
		ps.Summary = s.cat.T(lang, "public.at_vendor_expected", s.shortDate(lang, *c.ForwardedAt), s.shortDate(lang, *ps.ExpectedBack))
	case c.ForwardedAt != nil:
		ps.Summary = s.cat.T(lang, "public.at_vendor", s.shortDate(lang, *c.ForwardedAt))
	}
	return ps, nil
}

// shortDate writes a day as "12 nov" / "12 Nov" in the desk's time zone.
func (s *Service) shortDate(lang string, t time.Time) string {
	t = t.In(s.opt.Location)
	return s.cat.T(lang, "public.date", t.Day(), s.cat.T(lang, "month."+strconv.Itoa(int(t.Month()))))
}
