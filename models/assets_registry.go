package models

// The asset registry's queries: the persisted effective warranty end, the
// filtered list, and the lookups of the asset page, swaps and triage.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// DefaultWarrantyMonths is the warranty length when neither the asset nor its
// vendor names one (the reseller's standard).
const DefaultWarrantyMonths = 36

// Warranty filters of the asset list. The expiring filters are cumulative:
// "within 60 days" includes the devices of "within 30 days".
const (
	WarrantyUnder      = "under"      // covered today
	WarrantyExpiring30 = "expiring30" // covered today, ends within 30 days
	WarrantyExpiring60 = "expiring60"
	WarrantyExpiring90 = "expiring90"
	WarrantyExpired    = "expired" // ended before today
	WarrantyUnknown    = "unknown" // neither an end date nor a delivery date
)

// WarrantyFilters lists the warranty filters in the order the list offers them.
var WarrantyFilters = []string{WarrantyUnder, WarrantyExpiring30, WarrantyExpiring60, WarrantyExpiring90,
	WarrantyExpired, WarrantyUnknown}

// AssetStates lists the asset states.
var AssetStates = []string{AssetInUse, AssetAtVendor, AssetRetired}

// normTagSQL is an asset tag normalised in SQL the way serials are stored
// (upper case, no dashes or spaces); idx_assets_tag_norm indexes exactly this.
const normTagSQL = "UPPER(REPLACE(REPLACE(asset_tag, '-', ''), ' ', ''))"

// warrantyEndSQL is an assets row's warranty end as a YYYY-MM-DD text: the
// fixed end date, else the delivery date plus the asset's months, else its
// vendor's, else DefaultWarrantyMonths, minus one day; NULL when unknown. It
// is desk.WarrantyOf in SQL (SQLite's date modifiers normalise month ends as
// Go's AddDate does); a desk test checks that the two agree.
var warrantyEndSQL = fmt.Sprintf(`(CASE
  WHEN warranty_ends_on IS NOT NULL THEN date(warranty_ends_on)
  WHEN delivered_on IS NOT NULL THEN date(delivered_on, '+' || %s || ' months', '-1 day')
  END)`, warrantyMonthsSQL)

// warrantyMonthsSQL is an assets row's warranty length in months.
var warrantyMonthsSQL = fmt.Sprintf(`(CASE WHEN warranty_months > 0 THEN warranty_months
    ELSE COALESCE((SELECT v.warranty_months FROM vendors v WHERE v.id = assets.vendor_id AND v.warranty_months > 0), %d)
    END)`, DefaultWarrantyMonths)

// warrantyEndPostgres is warrantyEndSQL on PostgreSQL, as a date. Adding
// months to the first of the month and then the day of the month normalises
// month ends as Go's AddDate does (31 January + 1 month = 3 March), where
// PostgreSQL's own date + interval would clamp to 28 February.
var warrantyEndPostgres = `(CASE
  WHEN warranty_ends_on IS NOT NULL THEN (warranty_ends_on AT TIME ZONE 'UTC')::date
  WHEN delivered_on IS NOT NULL THEN (date_trunc('month', delivered_on AT TIME ZONE 'UTC') + make_interval(months => ` +
	warrantyMonthsSQL + `::int))::date + (extract(day FROM delivered_on AT TIME ZONE 'UTC')::int - 2)
  END)`

// warrantyEndExpr is warrantyEndSQL in db's dialect.
func warrantyEndExpr(db *gorm.DB) string {
	if isSQLite(db) {
		return warrantyEndSQL
	}
	return warrantyEndPostgres
}

// refreshWarrantyEnds recomputes warranty_ends_on_effective of the assets
// matching where.
func (s *Store) refreshWarrantyEnds(ctx context.Context, where string, args ...any) error {
	db := s.w.WithContext(ctx)
	err := db.Exec("UPDATE assets SET warranty_ends_on_effective = "+warrantyEndExpr(db)+" WHERE "+where, args...).Error
	if err != nil {
		return fmt.Errorf("compute warranty end: %w", err)
	}
	return nil
}

// UpsertAssetPrev inserts a by serial or updates the existing row, like
// UpsertAsset, and returns the row as it was before (nil when created), so
// that the caller can record what changed.
func (s *Store) UpsertAssetPrev(ctx context.Context, a *Asset) (prev *Asset, err error) {
	db := s.w.WithContext(ctx)
	var existing Asset
	err = db.Where("serial = ?", a.Serial).First(&existing).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		if a.State == "" {
			a.State = AssetInUse
		}
		if err := db.Omit(clause.Associations).Create(a).Error; err != nil {
			return nil, fmt.Errorf("create asset %s: %w", a.Serial, err)
		}
		return nil, s.refreshWarrantyEnds(ctx, "id = ?", a.ID)
	case err != nil:
		return nil, err
	}
	a.ID = existing.ID
	a.CreatedAt = existing.CreatedAt
	if a.State == "" {
		a.State = existing.State
	}
	a.ReplacedByID = existing.ReplacedByID
	if err := db.Omit(clause.Associations).Save(a).Error; err != nil {
		return nil, fmt.Errorf("update asset %s: %w", a.Serial, err)
	}
	return &existing, s.refreshWarrantyEnds(ctx, "id = ?", a.ID)
}

// CreateAsset inserts a new asset (State defaults to in_use).
func (s *Store) CreateAsset(ctx context.Context, a *Asset) error {
	if a.State == "" {
		a.State = AssetInUse
	}
	if err := s.w.WithContext(ctx).Omit(clause.Associations).Create(a).Error; err != nil {
		return fmt.Errorf("create asset %s: %w", a.Serial, err)
	}
	return s.refreshWarrantyEnds(ctx, "id = ?", a.ID)
}

// UpdateAsset sets columns of asset id and recomputes its warranty end.
func (s *Store) UpdateAsset(ctx context.Context, id uint, fields map[string]any) error {
	fields["updated_at"] = time.Now().UTC()
	if err := s.w.WithContext(ctx).Model(&Asset{}).Where("id = ?", id).Updates(fields).Error; err != nil {
		return fmt.Errorf("update asset %d: %w", id, err)
	}
	return s.refreshWarrantyEnds(ctx, "id = ?", id)
}

// AssetsReplacing lists the assets that were replaced by asset id.
func (s *Store) AssetsReplacing(ctx context.Context, id uint) ([]Asset, error) {
	var out []Asset
	err := s.r.WithContext(ctx).Where("replaced_by_id = ?", id).Order("serial").Find(&out).Error
	return out, err
}

// AssetsBySerials returns the assets whose serial is one of serials, by serial.
func (s *Store) AssetsBySerials(ctx context.Context, serials []string) ([]Asset, error) {
	if len(serials) == 0 {
		return nil, nil
	}
	var out []Asset
	err := s.r.WithContext(ctx).Preload("Vendor").Where("serial IN ?", serials).Order("serial").Find(&out).Error
	return out, err
}

// AssetDepartments lists the departments the fleet is assigned to.
func (s *Store) AssetDepartments(ctx context.Context) ([]string, error) {
	var out []string
	err := s.r.WithContext(ctx).Model(&Asset{}).Where("department <> ''").Distinct().Order("department").Pluck("department", &out).Error
	return out, err
}

// likePattern is a LIKE pattern matching s anywhere, with LIKE's wildcards
// in s escaped (by backslash).
func likePattern(s string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s) + "%"
}

// warrantyWhere narrows q to the warranty filter on day today.
func warrantyWhere(q *gorm.DB, filter string, today time.Time) (*gorm.DB, error) {
	day := func(t time.Time) string { return t.Format("2006-01-02") }
	t := day(today)
	switch filter {
	case "":
		return q, nil
	case WarrantyUnder:
		return q.Where("warranty_ends_on_effective >= ?", t), nil
	case WarrantyExpiring30, WarrantyExpiring60, WarrantyExpiring90:
		n, _ := strconv.Atoi(strings.TrimPrefix(filter, "expiring"))
		return q.Where("warranty_ends_on_effective >= ? AND warranty_ends_on_effective <= ?", t, day(today.AddDate(0, 0, n))), nil
	case WarrantyExpired:
		return q.Where("warranty_ends_on_effective < ?", t), nil
	case WarrantyUnknown:
		return q.Where("warranty_ends_on_effective IS NULL"), nil
	}
	return nil, fmt.Errorf("unknown warranty filter %q", filter)
}
