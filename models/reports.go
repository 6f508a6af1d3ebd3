package models

// The reports' reads (package reports): the few columns of every device,
// ticket and vendor case that the fleet, failure, reseller and reuse reports
// compute from. They read plain rows and leave the arithmetic to reports, so
// that every figure is computed (and tested) in one place in Go.

import (
	"context"
	"fmt"
	"time"
)

// ReportAsset is one device as the reports see it.
type ReportAsset struct {
	ID          uint
	Serial      string
	Model       string
	VendorID    *uint
	DeliveredOn *time.Time
	// WarrantyEndsOnEffective is the computed warranty end (NULL: unknown).
	WarrantyEndsOnEffective *time.Time
	State                   string
	ReplacedByID            *uint
}

// ReportTicket is one ticket as the reports see it.
type ReportTicket struct {
	ID           uint
	Number       int64
	Subject      string
	Status       string
	Category     string
	FaultMatches string
	AssetID      *uint
	SLADueAt     *time.Time
	SLAPausedAt  *time.Time
	ResolvedAt   *time.Time
	CreatedAt    time.Time
}

// ReportCase is one vendor case as the reports see it.
type ReportCase struct {
	ID          uint
	TicketID    uint
	VendorID    uint
	AssetID     *uint
	State       string
	ForwardedAt *time.Time
	ReturnedAt  *time.Time
	ClosedAt    *time.Time
	PaidRepair  bool
	CreatedAt   time.Time
}

// ReportAssets lists every device, retired ones included.
func (s *Store) ReportAssets(ctx context.Context) ([]ReportAsset, error) {
	var out []ReportAsset
	err := s.r.WithContext(ctx).Model(&Asset{}).
		Select("id, serial, model, vendor_id, delivered_on, warranty_ends_on_effective, state, replaced_by_id").
		Order("id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("report assets: %w", err)
	}
	return out, nil
}

// ReportTickets lists the tickets the reports need: every ticket that is not
// resolved or closed, and every hardware ticket on a device.
func (s *Store) ReportTickets(ctx context.Context) ([]ReportTicket, error) {
	var out []ReportTicket
	err := s.r.WithContext(ctx).Model(&Ticket{}).
		Select("id, number, subject, status, category, fault_matches, asset_id, sla_due_at, sla_paused_at, resolved_at, created_at").
		Where("status NOT IN ? OR (category = ? AND asset_id IS NOT NULL)",
			[]string{StatusResolved, StatusClosed}, CategoryHardware).
		Order("id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("report tickets: %w", err)
	}
	return out, nil
}

// ReportCases lists every vendor case.
func (s *Store) ReportCases(ctx context.Context) ([]ReportCase, error) {
	var out []ReportCase
	err := s.r.WithContext(ctx).Model(&VendorCase{}).
		Select("id, ticket_id, vendor_id, asset_id, state, forwarded_at, returned_at, closed_at, paid_repair, created_at").
		Order("id").Scan(&out).Error
	if err != nil {
		return nil, fmt.Errorf("report vendor cases: %w", err)
	}
	return out, nil
}
