package models

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// UpsertVendor creates or updates a vendor by name (the config is the source of truth).
func (s *Store) UpsertVendor(ctx context.Context, v *Vendor) error {
	return s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"email", "case_pattern", "warranty_months", "turnaround_days", "auto_forward", "updated_at"}),
	}).Create(v).Error
}

// ListVendors lists every vendor by name.
func (s *Store) ListVendors(ctx context.Context) ([]Vendor, error) {
	var out []Vendor
	err := s.r.WithContext(ctx).Order("name").Find(&out).Error
	return out, err
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
// one of the normalised candidates, in candidate order.
func (s *Store) AssetsByCandidates(ctx context.Context, candidates []string) ([]Asset, error) {
	if len(candidates) == 0 {
		return nil, nil
	}
	var found []Asset
	err := s.r.WithContext(ctx).Preload("Vendor").
		Where("serial IN ? OR UPPER(REPLACE(REPLACE(asset_tag, '-', ''), ' ', '')) IN ?", candidates, candidates).
		Find(&found).Error
	if err != nil {
		return nil, err
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

// AssetsAssignedTo lists the in-use assets assigned to a requester email.
func (s *Store) AssetsAssignedTo(ctx context.Context, email string) ([]Asset, error) {
	var out []Asset
	err := s.r.WithContext(ctx).Preload("Vendor").
		Where("LOWER(assigned_to) = ? AND state <> ?", strings.ToLower(email), AssetRetired).Find(&out).Error
	return out, err
}

// AssetFilter selects assets for a list.
type AssetFilter struct {
	Serial string // normalised serial or asset tag, exact
	Q      string // substring of serial, tag or model
	Limit  int
	Offset int
}

// ListAssets returns one page of assets and the total count.
func (s *Store) ListAssets(ctx context.Context, f AssetFilter) ([]Asset, int64, error) {
	q := s.r.WithContext(ctx).Model(&Asset{})
	if f.Serial != "" {
		q = q.Where("serial = ? OR UPPER(REPLACE(REPLACE(asset_tag, '-', ''), ' ', '')) = ?", f.Serial, f.Serial)
	}
	if f.Q != "" {
		like := "%" + strings.ToUpper(f.Q) + "%"
		q = q.Where("serial LIKE ? OR UPPER(asset_tag) LIKE ? OR UPPER(model) LIKE ?", like, like, like)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 100
	}
	var out []Asset
	err := q.Preload("Vendor").Order("serial").Limit(limit).Offset(max(f.Offset, 0)).Find(&out).Error
	return out, total, err
}

// UpsertAsset inserts a by serial or updates the existing row; it reports
// whether the row was created.
func (s *Store) UpsertAsset(ctx context.Context, a *Asset) (created bool, err error) {
	db := s.w.WithContext(ctx)
	var existing Asset
	err = db.Where("serial = ?", a.Serial).First(&existing).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
		if a.State == "" {
			a.State = AssetInUse
		}
		if err := db.Omit(clause.Associations).Create(a).Error; err != nil {
			return false, fmt.Errorf("create asset %s: %w", a.Serial, err)
		}
		return true, nil
	case err != nil:
		return false, err
	}
	a.ID = existing.ID
	a.CreatedAt = existing.CreatedAt
	if a.State == "" {
		a.State = existing.State
	}
	a.ReplacedByID = existing.ReplacedByID
	if err := db.Omit(clause.Associations).Save(a).Error; err != nil {
		return false, fmt.Errorf("update asset %s: %w", a.Serial, err)
	}
	return false, nil
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
