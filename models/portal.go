package models

import (
	"context"
	"fmt"
)

// The vendor portal's queries: a reseller's own cases and the users who
// work for it. Every query here is scoped by vendor id, so a vendor user can
// never read another reseller's case through them.

// VendorByID loads one vendor.
func (s *Store) VendorByID(ctx context.Context, id uint) (*Vendor, error) {
	var v Vendor
	if err := s.r.WithContext(ctx).First(&v, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &v, nil
}

// VendorCasesOfVendor lists every case sent to vendorID, with its vendor,
// open cases first, then the newest forward first.
func (s *Store) VendorCasesOfVendor(ctx context.Context, vendorID uint) ([]VendorCase, error) {
	var out []VendorCase
	err := s.r.WithContext(ctx).Preload("Vendor").Where("vendor_id = ?", vendorID).
		// NULLS LAST spelt out: SQLite's default, PostgreSQL's is the opposite.
		Order("CASE WHEN state IN ('shipped_back', 'closed') THEN 1 ELSE 0 END, forwarded_at DESC NULLS LAST, id DESC").
		Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list cases of vendor %d: %w", vendorID, err)
	}
	return out, nil
}

// VendorCaseOfVendor returns the newest case of ticketID sent to vendorID;
// ErrNotFound when the ticket has none at that vendor.
func (s *Store) VendorCaseOfVendor(ctx context.Context, ticketID, vendorID uint) (*VendorCase, error) {
	var c VendorCase
	err := s.r.WithContext(ctx).Preload("Vendor").Where("ticket_id = ? AND vendor_id = ?", ticketID, vendorID).
		Order("id DESC").First(&c).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// VendorUserIDs lists the ids of the users (role vendor) who work for vendorID.
func (s *Store) VendorUserIDs(ctx context.Context, vendorID uint) ([]uint, error) {
	var ids []uint
	err := s.r.WithContext(ctx).Model(&Agent{}).Where("vendor_id = ? AND role = ?", vendorID, RoleVendor).
		Pluck("id", &ids).Error
	if err != nil {
		return nil, fmt.Errorf("list users of vendor %d: %w", vendorID, err)
	}
	return ids, nil
}
