package desk

import (
	"context"
	"errors"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// Thread is the thread stage of intake: it finds the ticket a mail belongs
// to, safest evidence first (DESIGN.md "Threading order"):
//  1. one of our signed Message-IDs in In-Reply-To/References (cannot be forged);
//  2. a Message-ID of a mail already on a ticket (only parties of the thread know it);
//  3. a desk+T<number>@ plus address among the recipients;
//  4. a [#N] subject tag, only when the sender is a party of that ticket;
//  5. the vendor's case number, when the sender is that vendor.
func (s *Service) Thread(ctx context.Context, tx *models.Store, p *mailin.Parsed) (mailin.Thread, error) {
	var th mailin.Thread
	vendor, err := s.vendorBySender(ctx, tx, p.From.Email)
	if err != nil {
		return th, err
	}
	if vendor != nil {
		th.VendorID = vendor.ID
	}
	// found answers with t, or with the ticket t was merged into: mail for
	// a merged ticket lands on the one it became part of (see Merge).
	found := func(t *models.Ticket, by string) (mailin.Thread, error) {
		into, err := s.followMerges(ctx, tx, t)
		if err != nil {
			return th, err
		}
		if into.ID != t.ID {
			by += " via merged #" + itoa(t.Number)
		}
		th.TicketID, th.Number, th.By = into.ID, into.Number, by
		return th, nil
	}

	refs := append([]string{}, p.References...)
	if p.InReplyTo != "" {
		refs = append(refs, p.InReplyTo)
	}
	slices.Reverse(refs) // the newest reference is the most specific
	for _, id := range refs {
		if n, ok := s.ids.Ticket(id); ok {
			t, err := tx.TicketByNumber(ctx, n)
			if err == nil {
				return found(t, "message-id")
			}
			if !errors.Is(err, models.ErrNotFound) {
				return th, err
			}
		}
	}
	for _, id := range refs {
		tid, err := tx.TicketIDByMessageID(ctx, id)
		if err == nil {
			t, err := ticketToFollow(ctx, tx, tid)
			if err != nil {
				return th, err
			}
			return found(t, "references")
		}
		if !errors.Is(err, models.ErrNotFound) {
			return th, err
		}
	}

	for _, a := range slices.Concat(p.To, p.Cc) {
		m := plusTicketRe.FindStringSubmatch(a.Email)
		if m == nil || !s.isOwnAddress(a.Email) {
			continue
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		if t, err := tx.TicketByNumber(ctx, n); err == nil {
			return found(t, "plus-address")
		} else if !errors.Is(err, models.ErrNotFound) {
			return th, err
		}
	}

	if n := subjectTag(p.Subject); n != 0 {
		t, err := tx.TicketByNumber(ctx, n)
		switch {
		case err == nil:
			party, err := s.isParty(ctx, tx, t, p.From.Email, vendor)
			if err != nil {
				return th, err
			}
			if party {
				return found(t, "subject-tag")
			}
			th.ForgedTag = n
		case !errors.Is(err, models.ErrNotFound):
			return th, err
		}
	}

	if vendor != nil && vendor.CasePattern != "" {
		if ref := findCaseRef(vendor.CasePattern, p.Subject+"\n"+p.Text); ref != "" {
			tid, err := tx.TicketIDByCaseRef(ctx, vendor.ID, ref)
			if err == nil {
				t, err := ticketToFollow(ctx, tx, tid)
				if err != nil {
					return th, err
				}
				return found(t, "case-ref")
			}
			if !errors.Is(err, models.ErrNotFound) {
				return th, err
			}
		}
	}
	return th, nil
}

// ticketToFollow is ticket id as found needs it: its ID and number (found
// follows merges from there). TicketByID would load the ticket with its
// parties, four queries, for every reply intake threads by reference.
func ticketToFollow(ctx context.Context, tx *models.Store, id uint) (*models.Ticket, error) {
	n, err := tx.TicketNumber(ctx, id)
	if err != nil {
		return nil, err
	}
	return &models.Ticket{ID: id, Number: n}, nil
}

// isParty reports whether email may add to ticket t by its subject tag: the
// requester, someone on the first mail's Cc, or the vendor handling its case.
func (s *Service) isParty(ctx context.Context, tx *models.Store, t *models.Ticket, email string, vendor *models.Vendor) (bool, error) {
	email = strings.ToLower(email)
	if email == t.Requester.Email || slices.Contains(splitAddrs(t.Cc), email) {
		return true, nil
	}
	if vendor == nil {
		return false, nil
	}
	c, err := tx.VendorCaseForTicket(ctx, t.ID)
	if errors.Is(err, models.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return c.VendorID == vendor.ID, nil
}

// vendorBySender returns the vendor whose intake address is email, or whose
// address shares email's domain (resellers answer from personal addresses).
func (s *Service) vendorBySender(ctx context.Context, tx *models.Store, email string) (*models.Vendor, error) {
	email = strings.ToLower(email)
	_, domain, ok := strings.Cut(email, "@")
	if !ok {
		return nil, nil
	}
	vendors, err := tx.ListVendors(ctx)
	if err != nil {
		return nil, err
	}
	for i := range vendors {
		if strings.EqualFold(vendors[i].Email, email) {
			return &vendors[i], nil
		}
	}
	for i := range vendors {
		_, vdomain, _ := strings.Cut(strings.ToLower(vendors[i].Email), "@")
		if vdomain == domain && !publicMailDomains[domain] {
			return &vendors[i], nil
		}
	}
	return nil, nil
}

// publicMailDomains are shared by everyone, so a vendor on one of them is
// recognised by its exact address only.
var publicMailDomains = map[string]bool{
	"gmail.com": true, "outlook.com": true, "hotmail.com": true, "live.se": true, "yahoo.com": true,
	"icloud.com": true, "me.com": true, "telia.com": true, "hotmail.se": true,
}

// findCaseRef returns the first match of the vendor's case pattern in text
// (the first capture group when the pattern has one).
func findCaseRef(pattern, text string) string {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return "" // validated at config load; a bad pattern never matches
	}
	m := re.FindStringSubmatch(text)
	switch {
	case m == nil:
		return ""
	case len(m) > 1 && m[1] != "":
		return strings.TrimSpace(m[1])
	default:
		return strings.TrimSpace(m[0])
	}
}
