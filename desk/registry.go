package desk

// The asset registry: the filtered fleet list, one device's page (warranty,
// how it was computed, its history and tickets), and the admin's changes to
// a device: warranty, state, and swapping it for a replacement.

import (
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"time"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// Audited asset fields. A change of a warranty field is part of the warranty
// history; the others are the device's state history.
const (
	FieldDeliveredOn    = "delivered_on"
	FieldWarrantyMonths = "warranty_months"
	FieldWarrantyEndsOn = "warranty_ends_on"
	FieldVendor         = "vendor"
	FieldState          = "state"
	FieldReplacedBy     = "replaced_by" // on the old device of a swap: the new serial
	FieldReplaces       = "replaces"    // on the new device of a swap: the old serial
)

// WarrantyFields are the audited fields that make up an asset's warranty.
var WarrantyFields = []string{FieldDeliveredOn, FieldWarrantyMonths, FieldWarrantyEndsOn, FieldVendor}

// auditObjectAsset is the AuditEvent.Object of asset changes.
const auditObjectAsset = "asset"

// Today is the desk's calendar day (in its time zone) as midnight UTC, the
// form warranty dates are stored and compared in.
func (s *Service) Today() time.Time {
	return dateOnly(s.opt.Now().In(s.opt.Location))
}

// AssetQuery is what the asset list and the API ask for; empty fields do not
// filter.
type AssetQuery struct {
	Serial     string // exact serial or asset tag, normalised here
	Q          string // serial or asset tag (normalised: case, spaces, dashes) or model, substring
	Warranty   string // one of models.WarrantyFilters
	State      string // one of models.AssetStates
	Department string
	Limit      int
	Offset     int
}

// ListAssets returns one page of the fleet matching q, and the total. The
// filtering is done by the database (the warranty filters use the persisted,
// indexed effective warranty end), so it stays fast for a large fleet.
func (s *Service) ListAssets(ctx context.Context, q AssetQuery) ([]models.Asset, int64, error) {
	if q.Warranty != "" && !slices.Contains(models.WarrantyFilters, q.Warranty) {
		return nil, 0, invalid("warranty", "registry.error.bad_warranty_filter")
	}
	if q.State != "" && !slices.Contains(models.AssetStates, q.State) {
		return nil, 0, invalid("state", "registry.error.bad_state")
	}
	q.Q = strings.TrimSpace(q.Q)
	return s.store.ListAssets(ctx, models.AssetFilter{
		Serial: mailin.NormalizeSerial(q.Serial), Q: q.Q, QSerial: mailin.NormalizeSerial(q.Q),
		Warranty: q.Warranty, Today: s.Today(), State: q.State, Department: strings.TrimSpace(q.Department),
		Limit: q.Limit, Offset: q.Offset,
	})
}

// Departments lists the departments of the fleet (for the list's filter).
func (s *Service) Departments(ctx context.Context) ([]string, error) {
	return s.store.AssetDepartments(ctx)
}

// Where an asset's warranty months come from (WarrantyBasis.MonthsFrom).
const (
	MonthsFromAsset   = "asset"
	MonthsFromVendor  = "vendor"
	MonthsFromDefault = "default"
)

// WarrantyBasis says how an asset's warranty end was computed: a fixed end
// date, or a delivery date plus months taken from the asset, its vendor or
// the default. Neither when the warranty is unknown.
type WarrantyBasis struct {
	Fixed       bool
	DeliveredOn *time.Time
	Months      int
	MonthsFrom  string
}

// WarrantyBasisOf explains WarrantyOf(a): the same rule, step by step.
func WarrantyBasisOf(a *models.Asset) WarrantyBasis {
	switch {
	case a == nil:
		return WarrantyBasis{}
	case a.WarrantyEndsOn != nil:
		return WarrantyBasis{Fixed: true}
	case a.DeliveredOn == nil:
		return WarrantyBasis{}
	}
	b := WarrantyBasis{DeliveredOn: a.DeliveredOn, Months: a.WarrantyMonths, MonthsFrom: MonthsFromAsset}
	if b.Months <= 0 && a.Vendor != nil && a.Vendor.WarrantyMonths > 0 {
		b.Months, b.MonthsFrom = a.Vendor.WarrantyMonths, MonthsFromVendor
	}
	if b.Months <= 0 {
		b.Months, b.MonthsFrom = DefaultWarrantyMonths, MonthsFromDefault
	}
	return b
}

// AssetView is everything the asset page shows about one device.
type AssetView struct {
	Asset    *models.Asset
	Warranty Warranty
	Basis    WarrantyBasis
	// WarrantyHistory and StateHistory are the device's audit events, newest
	// first: changes of WarrantyFields, and of everything else (state, swaps).
	WarrantyHistory []models.AuditEvent
	StateHistory    []models.AuditEvent
	Tickets         []models.Ticket // newest first
	ReplacedBy      *models.Asset   // the device that replaced this one
	Replaces        []models.Asset  // the devices this one replaced
}

// AssetView loads the device with this serial (normalised here) for its page.
func (s *Service) AssetView(ctx context.Context, serial string) (*AssetView, error) {
	a, err := s.store.AssetBySerial(ctx, mailin.NormalizeSerial(serial))
	if err != nil {
		return nil, err
	}
	v := &AssetView{Asset: a, Warranty: WarrantyOf(a, s.Today()), Basis: WarrantyBasisOf(a)}
	events, err := s.store.Audit(ctx, auditObjectAsset, a.ID)
	if err != nil {
		return nil, err
	}
	for i := len(events) - 1; i >= 0; i-- {
		if slices.Contains(WarrantyFields, events[i].Field) {
			v.WarrantyHistory = append(v.WarrantyHistory, events[i])
		} else {
			v.StateHistory = append(v.StateHistory, events[i])
		}
	}
	if v.Tickets, err = s.store.TicketsForAsset(ctx, a.ID); err != nil {
		return nil, err
	}
	if a.ReplacedByID != nil {
		if v.ReplacedBy, err = s.store.AssetByID(ctx, *a.ReplacedByID); err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
	}
	if v.Replaces, err = s.store.AssetsReplacing(ctx, a.ID); err != nil {
		return nil, err
	}
	return v, nil
}

// requireAdmin refuses everyone but an admin.
func requireAdmin(actor *models.Agent) error {
	if actor == nil || actor.Role != models.RoleAdmin {
		return ErrForbidden
	}
	return nil
}

// MaxWarrantyMonths is the longest warranty the registry accepts.
const MaxWarrantyMonths = 240

// WarrantyEdit is an admin's change of a device's warranty: either a fixed
// end date, or a number of months from the delivery date (which removes a
// fixed end date, so the months take effect).
type WarrantyEdit struct {
	EndsOn *time.Time
	Months int
}

// ParseWarrantyEdit reads the warranty form: an end date (YYYY-MM-DD) or a
// number of months, exactly one of them.
func ParseWarrantyEdit(endsOn, months string) (WarrantyEdit, error) {
	endsOn, months = strings.TrimSpace(endsOn), strings.TrimSpace(months)
	var e WarrantyEdit
	switch {
	case endsOn != "" && months != "":
		return e, invalid("warranty", "registry.error.end_or_months")
	case endsOn != "":
		d, err := time.Parse(time.DateOnly, endsOn)
		if err != nil {
			return e, invalid("ends_on", "registry.error.bad_date")
		}
		e.EndsOn = &d
	case months != "":
		n, err := strconv.Atoi(months)
		if err != nil || n < 1 || n > MaxWarrantyMonths {
			return e, invalid("months", "registry.error.bad_months")
		}
		e.Months = n
	default:
		return e, invalid("warranty", "registry.error.end_or_months")
	}
	return e, nil
}

// UpdateWarranty applies an admin's warranty change to the device with this
// serial and records each changed field in its warranty history.
func (s *Service) UpdateWarranty(ctx context.Context, actor *models.Agent, serial string, e WarrantyEdit) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if (e.EndsOn == nil) == (e.Months == 0) {
		return invalid("warranty", "registry.error.end_or_months")
	}
	if e.Months < 0 || e.Months > MaxWarrantyMonths {
		return invalid("months", "registry.error.bad_months")
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		a, err := tx.AssetBySerial(ctx, mailin.NormalizeSerial(serial))
		if err != nil {
			return err
		}
		next := *a
		fields := map[string]any{}
		if e.EndsOn != nil {
			end := dateOnly(*e.EndsOn)
			if a.DeliveredOn != nil && end.Before(dateOnly(*a.DeliveredOn)) {
				return invalid("ends_on", "registry.error.ends_before_delivery")
			}
			next.WarrantyEndsOn, fields["warranty_ends_on"] = &end, end
		} else {
			next.WarrantyMonths, next.WarrantyEndsOn = e.Months, nil
			fields["warranty_months"], fields["warranty_ends_on"] = e.Months, nil
		}
		if err := tx.UpdateAsset(ctx, a.ID, fields); err != nil {
			return err
		}
		return s.auditWarrantyChanges(ctx, tx, actor.Email, a, &next, nil)
	})
}

// SetAssetState changes the state of the device with this serial (in use, at
// the vendor, retired) and records it.
func (s *Service) SetAssetState(ctx context.Context, actor *models.Agent, serial, state string) error {
	if err := requireAdmin(actor); err != nil {
		return err
	}
	if !slices.Contains(models.AssetStates, state) {
		return invalid("state", "registry.error.bad_state")
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		a, err := tx.AssetBySerial(ctx, mailin.NormalizeSerial(serial))
		if err != nil {
			return err
		}
		if a.State == state {
			return nil
		}
		if err := tx.UpdateAsset(ctx, a.ID, map[string]any{"state": state}); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, auditObjectAsset, a.ID, FieldState, a.State, state)
	})
}

// SwapAsset replaces the device oldSerial by newSerial (the reseller sent a
// new unit): the new device is registered (or found) as delivered today with
// the vendor's warranty from today, for the same person, department and
// vendor; the old one is retired with ReplacedByID pointing at it. Both
// record the swap in their history. When ticketNumber is not 0 the swap was
// made from that ticket, which is then linked to the new device. model, when
// given, is the new device's model (else the old one's).
func (s *Service) SwapAsset(ctx context.Context, actor *models.Agent, oldSerial, newSerial, model string, ticketNumber int64) (*models.Asset, error) {
	if err := requireAdmin(actor); err != nil {
		return nil, err
	}
	oldSerial, newSerial = mailin.NormalizeSerial(oldSerial), mailin.NormalizeSerial(newSerial)
	model = strings.TrimSpace(model)
	switch {
	case newSerial == "":
		return nil, invalid("new_serial", "error.serial_required")
	case len(newSerial) > 64:
		return nil, invalid("new_serial", "registry.error.serial_long")
	case newSerial == oldSerial:
		return nil, invalid("new_serial", "registry.error.swap_same")
	case len(model) > 200:
		return nil, invalid("model", "registry.error.model_long")
	}
	var replacement *models.Asset
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		old, err := tx.AssetBySerial(ctx, oldSerial)
		if err != nil {
			return err
		}
		if old.State == models.AssetRetired {
			return &ConflictError{Key: "registry.error.already_retired"}
		}
		var t *models.Ticket
		if ticketNumber != 0 {
			if t, err = tx.TicketByNumber(ctx, ticketNumber); err != nil {
				if errors.Is(err, models.ErrNotFound) {
					return invalid("ticket", "registry.error.unknown_ticket")
				}
				return err
			}
		}
		swapDay := s.Today()
		if model == "" {
			model = old.Model
		}
		fields := map[string]any{
			"model": model, "manufacturer": old.Manufacturer, "vendor_id": old.VendorID,
			"delivered_on": swapDay, "warranty_months": 0, "warranty_ends_on": nil,
			"assigned_to": old.AssignedTo, "department": old.Department, "state": models.AssetInUse,
		}
		found, err := tx.AssetBySerial(ctx, newSerial)
		switch {
		case errors.Is(err, models.ErrNotFound):
			replacement = &models.Asset{Serial: newSerial, Model: model, Manufacturer: old.Manufacturer,
				VendorID: old.VendorID, DeliveredOn: &swapDay, AssignedTo: old.AssignedTo, Department: old.Department,
				State: models.AssetInUse}
			if err := tx.CreateAsset(ctx, replacement); err != nil {
				return err
			}
		case err != nil:
			return err
		case found.State == models.AssetRetired:
			return &ConflictError{Key: "registry.error.replacement_retired"}
		default:
			if err := tx.UpdateAsset(ctx, found.ID, fields); err != nil {
				return err
			}
			next := *found
			next.VendorID, next.DeliveredOn, next.WarrantyMonths, next.WarrantyEndsOn = old.VendorID, &swapDay, 0, nil
			if err := s.auditWarrantyChanges(ctx, tx, actor.Email, found, &next, nil); err != nil {
				return err
			}
			if found.State != models.AssetInUse {
				if err := s.audit(ctx, tx, actor.Email, auditObjectAsset, found.ID, FieldState, found.State, models.AssetInUse); err != nil {
					return err
				}
			}
			replacement = found
		}
		if err := tx.UpdateAsset(ctx, old.ID, map[string]any{"state": models.AssetRetired, "replaced_by_id": replacement.ID}); err != nil {
			return err
		}
		for _, ev := range []struct {
			id                uint
			field, from, into string
		}{
			{old.ID, FieldState, old.State, models.AssetRetired},
			{old.ID, FieldReplacedBy, "", newSerial},
			{replacement.ID, FieldReplaces, "", oldSerial},
		} {
			if err := s.audit(ctx, tx, actor.Email, auditObjectAsset, ev.id, ev.field, ev.from, ev.into); err != nil {
				return err
			}
		}
		if t != nil {
			if err := s.linkTicketAsset(ctx, tx, actor.Email, t, replacement); err != nil {
				return err
			}
		}
		replacement, err = tx.AssetByID(ctx, replacement.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	return replacement, nil
}

// linkTicketAsset links ticket t to asset a inside tx and records it on the
// ticket (audit entry, ticket.updated event), as LinkAsset does.
func (s *Service) linkTicketAsset(ctx context.Context, tx *models.Store, actor string, t *models.Ticket, a *models.Asset) error {
	old := ""
	if t.Asset != nil {
		old = t.Asset.Serial
	}
	if old == a.Serial {
		return nil
	}
	if err := tx.UpdateTicket(ctx, t.ID, map[string]any{"asset_id": a.ID}); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, actor, "ticket", t.ID, "asset", old, a.Serial); err != nil {
		return err
	}
	if err := tx.IndexTicket(ctx, t.ID); err != nil {
		return err
	}
	return s.emitTicket(ctx, tx, EventTicketUpdated, t.ID)
}

// auditWarrantyChanges records, on asset prev.ID, every warranty field that
// differs between prev and next. vendorNames maps vendor IDs to names; when
// nil, names are looked up.
func (s *Service) auditWarrantyChanges(ctx context.Context, tx *models.Store, actor string, prev, next *models.Asset, vendorNames map[uint]string) error {
	vendor := func(id *uint) (string, error) {
		if id == nil {
			return "", nil
		}
		if name, ok := vendorNames[*id]; ok {
			return name, nil
		}
		if vendorNames == nil {
			vendors, err := tx.ListVendors(ctx)
			if err != nil {
				return "", err
			}
			vendorNames = map[uint]string{}
			for _, v := range vendors {
				vendorNames[v.ID] = v.Name
			}
			return vendorNames[*id], nil
		}
		return strconv.FormatUint(uint64(*id), 10), nil
	}
	oldVendor, err := vendor(prev.VendorID)
	if err != nil {
		return err
	}
	newVendor, err := vendor(next.VendorID)
	if err != nil {
		return err
	}
	for _, c := range [][3]string{
		{FieldDeliveredOn, dayText(prev.DeliveredOn), dayText(next.DeliveredOn)},
		{FieldWarrantyMonths, monthsText(prev.WarrantyMonths), monthsText(next.WarrantyMonths)},
		{FieldWarrantyEndsOn, dayText(prev.WarrantyEndsOn), dayText(next.WarrantyEndsOn)},
		{FieldVendor, oldVendor, newVendor},
	} {
		if c[1] != c[2] {
			if err := s.audit(ctx, tx, actor, auditObjectAsset, prev.ID, c[0], c[1], c[2]); err != nil {
				return err
			}
		}
	}
	return nil
}

// dayText is a stored date as YYYY-MM-DD, "" when unset.
func dayText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return dateOnly(*t).Format(time.DateOnly)
}

func monthsText(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}
