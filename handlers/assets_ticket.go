package handlers

import (
	"context"
	"strconv"

	"warrantydesk/desk"
)

// serialChoice is a device the ticket's first mail may be about, offered
// with a one-click link button on the ticket page's device card.
type serialChoice struct {
	assetCard
	Found string // the serial as the mail had it
	Near  bool   // Found is unknown; this device's serial differs in one look-alike character
	URL   string // the device's page
}

// ticketAssetExtras fills the registry parts of the ticket page's device
// card: the other devices the first mail names (and near matches of unknown
// serials), and for admins the link to swap the linked device.
func (h *handler) ticketAssetExtras(ctx context.Context, lang string, v *desk.TicketView, d *ticketPageData, admin bool) error {
	number := v.Ticket.Number
	cands, err := h.Desk.SerialCandidatesOf(ctx, v)
	if err != nil {
		return err
	}
	today := h.Desk.Today()
	for i := range cands {
		c := &cands[i]
		card := h.assetCard(lang, &c.Asset, today)
		card.Warranty = h.registryBadge(lang, desk.WarrantyOf(&c.Asset, today))
		d.OtherSerials = append(d.OtherSerials, serialChoice{assetCard: card, Found: c.Found, Near: c.Near, URL: assetURL(c.Asset.Serial)})
	}
	if d.Asset != nil {
		d.AssetURL = assetURL(d.Asset.Serial)
		if admin {
			d.SwapURL = d.AssetURL + "?ticket=" + strconv.FormatInt(number, 10) + "#swap"
		}
	}
	return nil
}
