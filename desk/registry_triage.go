package desk

// Serial numbers in a ticket's first mail, offered on the ticket page's
// device card: the other known devices the mail names, and for a serial the
// registry does not know, registered serials it may be a misreading of.

import (
	"context"
	"slices"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// SerialCandidate is a device the first mail of a ticket may be about.
type SerialCandidate struct {
	Found string       // the serial or asset tag as the mail had it (normalised)
	Asset models.Asset // the registered device
	// Near is set when Found is not registered and Asset's serial differs
	// from it in one look-alike character (O/0, I/1, S/5, B/8).
	Near bool
}

// lookAlike pairs characters people and OCR confuse in serial numbers.
var lookAlike = map[byte]byte{'O': '0', '0': 'O', 'I': '1', '1': 'I', 'S': '5', '5': 'S', 'B': '8', '8': 'B'}

// LookAlikeSerials returns the serials that differ from serial (normalised)
// in exactly one look-alike character, in position order.
func LookAlikeSerials(serial string) []string {
	var out []string
	for i := 0; i < len(serial); i++ {
		if r, ok := lookAlike[serial[i]]; ok {
			out = append(out, serial[:i]+string(r)+serial[i+1:])
		}
	}
	return out
}

// SerialCandidates lists the devices named by the first mail of ticket
// number, other than the one linked: each known serial or asset tag, and for
// each unknown one the registered near matches. Empty when the mail named
// only the linked device.
func (s *Service) SerialCandidates(ctx context.Context, number int64) ([]SerialCandidate, error) {
	t, err := s.store.TicketByNumber(ctx, number)
	if err != nil {
		return nil, err
	}
	msgs, err := s.store.Messages(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	return s.serialCandidates(ctx, t, msgs)
}

// SerialCandidatesOf is SerialCandidates for a ticket already loaded (the
// ticket page's view), without reading the ticket and its messages again.
func (s *Service) SerialCandidatesOf(ctx context.Context, v *TicketView) ([]SerialCandidate, error) {
	msgs := make([]models.Message, len(v.Messages))
	for i := range v.Messages {
		msgs[i] = v.Messages[i].Message
	}
	return s.serialCandidates(ctx, v.Ticket, msgs)
}

func (s *Service) serialCandidates(ctx context.Context, t *models.Ticket, msgs []models.Message) ([]SerialCandidate, error) {
	i := slices.IndexFunc(msgs, func(m models.Message) bool { return m.Direction == models.DirIn })
	if i < 0 {
		return nil, nil
	}
	serials := mailin.FindSerials(msgs[i].Subject+"\n"+msgs[i].Text, nil)
	if len(serials) == 0 {
		return nil, nil
	}
	known, err := s.store.AssetsByCandidates(ctx, serials)
	if err != nil {
		return nil, err
	}
	linked := func(a *models.Asset) bool { return t.AssetID != nil && *t.AssetID == a.ID }
	var out []SerialCandidate
	seen := map[uint]bool{}
	add := func(c SerialCandidate) {
		if !linked(&c.Asset) && !seen[c.Asset.ID] {
			seen[c.Asset.ID] = true
			out = append(out, c)
		}
	}
	for _, sn := range serials {
		matched := false
		for _, a := range known {
			if a.Serial == sn || mailin.NormalizeSerial(a.AssetTag) == sn {
				matched = true
				add(SerialCandidate{Found: sn, Asset: a})
			}
		}
		if matched {
			continue
		}
		near, err := s.store.AssetsBySerials(ctx, LookAlikeSerials(sn))
		if err != nil {
			return nil, err
		}
		for _, a := range near {
			add(SerialCandidate{Found: sn, Asset: a, Near: true})
		}
	}
	return out, nil
}
