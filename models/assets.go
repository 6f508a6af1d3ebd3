package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// UpsertVendor creates or updates a vendor by name (the config is the source
// of truth). Its assets' warranty ends follow a change of its months.
func (s *Store) UpsertVendor(ctx context.Context, v *Vendor) error {
	err := s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"email", "case_pattern", "warranty_months", "turnaround_days", "auto_forward", "updated_at"}),
	}).Create(v).Error
	if err != nil {
		return err
	}
	return s.refreshWarrantyEnds(ctx, "vendor_id IN (SELECT id FROM vendors WHERE name = ?)", v.Name)
}

// ListVendors lists every vendor by name.
func (s *Store) ListVendors(ctx context.Context) ([]Vendor, error) {
	return cachedList(ctx, "vendors", func() ([]Vendor, error) {
		var out []Vendor
		err := s.r.WithContext(ctx).Order("name").Find(&out).Error
		return out, err
	})
}

// VendorByName loads a vendor by name, case-insensitively.
func (s *Store) VendorByName(ctx context.Context, name string) (*Vendor, error) {
	var v Vendor
	err := s.r.WithContext(ctx).Where("LOWER(name) = ?", strings.ToLower(strings.TrimSpace(name))).First(&v).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &v, nil
}

// AssetBySerial loads an asset by its normalised serial, with its vendor.
func (s *Store) AssetBySerial(ctx context.Context, serial string) (*Asset, error) {
	var a Asset
	err := s.r.WithContext(ctx).Preload("Vendor").Where("serial = ?", serial).First(&a).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// AssetsByCandidates returns the assets whose serial or (upper-cased) asset tag is
// one of the normalised candidates, in candidate order, each with its
// vendor. (Scanned by hand with the vendor joined, as AssetsAssignedTo: intake
// asks it inside the writer's transaction for every new ticket, and GORM's
// Find with Preload cost several times SQLite's lookups.)
func (s *Store) AssetsByCandidates(ctx context.Context, candidates []string) ([]Asset, error) {
	if len(candidates) == 0 {
		return nil, nil
	}
	// The candidates' number varies, so the statement is not one of
	// readRows' prepared constants.
	list := strings.Repeat("?, ", len(candidates)-1) + "?"
	args := make([]any, 0, 2*len(candidates))
	for range 2 {
		for _, c := range candidates {
			args = append(args, c)
		}
	}
	// No ORDER BY, as GORM's query had none: the rows come in the order of
	// SQLite's lookups (by serial, then by tag), which decides between two
	// assets matching one candidate.
	rows, err := queryRows(ctx, s.r, assetWithVendorSQL+" WHERE d.serial IN ("+list+") OR "+normTagSQL+" IN ("+list+")", args...)
	if err != nil {
		return nil, fmt.Errorf("assets by serial or tag: %w", err)
	}
	found, err := scanAssetsWithVendor(rows)
	if err != nil {
		return nil, fmt.Errorf("assets by serial or tag: %w", err)
	}
	var out []Asset
	seen := map[uint]bool{}
	for _, c := range candidates {
		for _, a := range found {
			tag := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(a.AssetTag))
			if !seen[a.ID] && (a.Serial == c || tag == c) {
				seen[a.ID] = true
				out = append(out, a)
			}
		}
	}
	return out, nil
}

// AssetsAssignedTo lists the in-use assets assigned to a requester email,
// each with its reseller. (Scanned by hand with the reseller joined: a
// ticket page without a device offers these, and GORM's reflection and
// preload query cost five times SQLite's lookup.)
func (s *Store) AssetsAssignedTo(ctx context.Context, email string) ([]Asset, error) {
	rows, err := s.readRows(ctx, assetsAssignedToSQL, strings.ToLower(email), AssetRetired)
	if err != nil {
		return nil, fmt.Errorf("assets of %s: %w", email, err)
	}
	out, err := scanAssetsWithVendor(rows)
	if err != nil {
		return nil, fmt.Errorf("assets of %s: %w", email, err)
	}
	return out, nil
}

// scanAssetsWithVendor reads and closes rows of assetWithVendorSQL: the
// assets, each with its vendor when it has one, as GORM's Find with
// Preload("Vendor") gives them (an empty list, not nil, when none).
func scanAssetsWithVendor(rows *sql.Rows) ([]Asset, error) {
	defer rows.Close()
	out := []Asset{}
	for rows.Next() {
		var (
			a                       Asset
			tag, model, maker       sql.NullString
			assigned, dept          sql.NullString
			months                  sql.NullInt64
			created, updated        sql.NullTime
			vID                     *uint
			vName, vEmail, vPattern sql.NullString
			vMonths, vTurnaround    sql.NullInt64
			vAutoForward            sql.NullBool
			vCreated, vUpdated      sql.NullTime
		)
		err := rows.Scan(&a.ID, &a.Serial, &tag, &model, &maker, &a.VendorID, &a.DeliveredOn, &months, &a.WarrantyEndsOn,
			&assigned, &dept, &a.State, &a.ReplacedByID, &created, &updated, &a.WarrantyEndsOnEffective,
			&vID, &vName, &vEmail, &vPattern, &vMonths, &vTurnaround, &vAutoForward, &vCreated, &vUpdated)
		if err != nil {
			return nil, err
		}
		a.AssetTag, a.Model, a.Manufacturer, a.AssignedTo, a.Department = tag.String, model.String, maker.String, assigned.String, dept.String
		a.WarrantyMonths, a.CreatedAt, a.UpdatedAt = int(months.Int64), created.Time, updated.Time
		if vID != nil {
			a.Vendor = &Vendor{ID: *vID, Name: vName.String, Email: vEmail.String, CasePattern: vPattern.String,
				WarrantyMonths: int(vMonths.Int64), TurnaroundDays: int(vTurnaround.Int64), AutoForward: vAutoForward.Bool,
				CreatedAt: vCreated.Time, UpdatedAt: vUpdated.Time}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// assetWithVendorSQL selects assets (d) with their vendors (v), as
// scanAssetsWithVendor reads them; a WHERE clause follows.
const assetWithVendorSQL = `SELECT d.id, d.serial, d.asset_tag, d.model, d.manufacturer, d.vendor_id, d.delivered_on,
	d.warranty_months, d.warranty_ends_on, d.assigned_to, d.department, d.state, d.replaced_by_id, d.created_at, d.updated_at,
	d.warranty_ends_on_effective,
	v.id, v.name, v.email, v.case_pattern, v.warranty_months, v.turnaround_days, v.auto_forward, v.created_at, v.updated_at
	FROM assets d LEFT JOIN vendors v ON v.id = d.vendor_id`

// assetsAssignedToSQL selects the assets of an email (lower case) not in a
// state, with their resellers, as AssetsAssignedTo scans them.
const assetsAssignedToSQL = assetWithVendorSQL + ` WHERE LOWER(d.assigned_to) = ? AND d.state <> ? ORDER BY d.id`

// AssetFilter selects assets for a list. Empty fields do not filter.
type AssetFilter struct {
	Serial string // normalised serial or asset tag, exact
	// Q finds assets whose model contains Q (as typed) or whose serial or
	// asset tag contains QSerial (Q normalised like serials; when empty, Q
	// in upper case).
	Q, QSerial string
	// Warranty is one of WarrantyFilters, judged on day Today.
	Warranty   string
	Today      time.Time
	State      string // one of AssetStates
	Department string // exact
	Limit      int
	Offset     int
}

// ListAssets returns one page of assets and the total count. A warranty
// filter lists the soonest ending first (the most recently ended for
// "expired"); otherwise assets are in serial order.
func (s *Store) ListAssets(ctx context.Context, f AssetFilter) ([]Asset, int64, error) {
	q := s.r.WithContext(ctx).Model(&Asset{})
	if f.Serial != "" {
		q = q.Where("serial = ? OR "+normTagSQL+" = ?", f.Serial, f.Serial)
	}
	if f.Q != "" || f.QSerial != "" {
		qs := f.QSerial
		if qs == "" {
			qs = strings.ToUpper(f.Q)
		}
		cond := `serial LIKE ? ESCAPE '\' OR ` + normTagSQL + ` LIKE ? ESCAPE '\'`
		args := []any{likePattern(qs), likePattern(qs)}
		if m := strings.TrimSpace(f.Q); m != "" {
			cond += ` OR model ` + likeNocase(q) + ` ? ESCAPE '\'`
			args = append(args, likePattern(m))
		}
		q = q.Where(cond, args...)
	}
	q, err := warrantyWhere(q, f.Warranty, f.Today)
	if err != nil {
		return nil, 0, err
	}
	if f.State != "" {
		q = q.Where("state = ?", f.State)
	}
	if f.Department != "" {
		q = q.Where("department = ?", f.Department)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	order := "serial"
	switch f.Warranty {
	case WarrantyUnder, WarrantyExpiring30, WarrantyExpiring60, WarrantyExpiring90:
		order = "warranty_ends_on_effective, serial"
	case WarrantyExpired:
		order = "warranty_ends_on_effective DESC, serial"
	}
	var out []Asset
	err = q.Preload("Vendor").Order(order).Limit(limit).Offset(max(f.Offset, 0)).Find(&out).Error
	return out, total, err
}

// UpsertAsset inserts a by serial or updates the existing row; it reports
// whether the row was created.
func (s *Store) UpsertAsset(ctx context.Context, a *Asset) (created bool, err error) {
	prev, err := s.UpsertAssetPrev(ctx, a)
	return err == nil && prev == nil, err
}

// SetAssetState changes an asset's state.
func (s *Store) SetAssetState(ctx context.Context, id uint, state string) error {
	return s.w.WithContext(ctx).Model(&Asset{}).Where("id = ?", id).Update("state", state).Error
}

// TicketsForAsset lists the tickets linked to an asset, newest first.
func (s *Store) TicketsForAsset(ctx context.Context, assetID uint) ([]Ticket, error) {
	var out []Ticket
	err := s.r.WithContext(ctx).Preload("Requester").Where("asset_id = ?", assetID).Order("created_at DESC").Find(&out).Error
	return out, err
}
