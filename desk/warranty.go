package desk

import (
	"time"

	"warrantydesk/models"
)

// DefaultWarrantyMonths is the reseller's standard warranty when neither the
// asset nor its vendor says otherwise.
const DefaultWarrantyMonths = models.DefaultWarrantyMonths

// Warranty is an asset's warranty as of a day.
type Warranty struct {
	EndsOn   time.Time // last day covered (date in UTC)
	Known    bool      // false when neither an end date nor a delivery date is recorded
	Under    bool      // still covered on the day asked
	DaysLeft int       // days until EndsOn (negative once expired)
}

// WarrantyOf computes an asset's warranty on day now: the fixed end date when
// recorded, else the delivery date plus the asset's months, else its vendor's,
// else DefaultWarrantyMonths. The end day itself is still covered.
func WarrantyOf(a *models.Asset, now time.Time) Warranty {
	if a == nil {
		return Warranty{}
	}
	var end time.Time
	switch {
	case a.WarrantyEndsOn != nil:
		end = dateOnly(*a.WarrantyEndsOn)
	case a.DeliveredOn != nil:
		months := a.WarrantyMonths
		if months <= 0 && a.Vendor != nil {
			months = a.Vendor.WarrantyMonths
		}
		if months <= 0 {
			months = DefaultWarrantyMonths
		}
		end = dateOnly(*a.DeliveredOn).AddDate(0, months, -1)
	default:
		return Warranty{}
	}
	today := dateOnly(now)
	days := int(end.Sub(today).Hours() / 24)
	return Warranty{EndsOn: end, Known: true, Under: !today.After(end), DaysLeft: days}
}

func dateOnly(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
