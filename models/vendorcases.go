package models

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// CaseStates lists the vendor case states in their forward order.
var CaseStates = []string{CaseForwarded, CaseAcknowledged, CaseInRepair, CaseShippedBack, CaseClosed}

// StateAt returns when the case reached state, or nil. The original columns
// keep their meaning and carry two of the states:
//
//	forwarded    → ForwardedAt
//	acknowledged → ReceivedAt   (the vendor confirmed it received the case)
//	in_repair    → InRepairAt
//	shipped_back → ReturnedAt   (the device came back; RepairedAt is set with it
//	                             when the vendor did not report the repair earlier)
//	closed       → ClosedAt
func (c *VendorCase) StateAt(state string) *time.Time {
	switch state {
	case CaseForwarded:
		return c.ForwardedAt
	case CaseAcknowledged:
		return c.ReceivedAt
	case CaseInRepair:
		return c.InRepairAt
	case CaseShippedBack:
		return c.ReturnedAt
	case CaseClosed:
		return c.ClosedAt
	}
	return nil
}

// JobRun records that a scheduled job ran for a key (e.g. the warranty digest
// for one day), so that it runs once even with several desks or restarts.
type JobRun struct {
	Job   string    `gorm:"primaryKey;size:64"`
	Key   string    `gorm:"primaryKey;size:64"`
	RanAt time.Time `gorm:"not null"`
}

// OpenVendorCases lists the cases not yet shipped back or closed, with their
// vendor, oldest forward first.
func (s *Store) OpenVendorCases(ctx context.Context) ([]VendorCase, error) {
	var out []VendorCase
	err := s.r.WithContext(ctx).Preload("Vendor").Where("state NOT IN ?", []string{CaseShippedBack, CaseClosed}).
		// NULLS FIRST spelt out: SQLite's default, PostgreSQL's is the opposite.
		Order("forwarded_at NULLS FIRST, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list open vendor cases: %w", err)
	}
	return out, nil
}

// VendorCaseByID loads one vendor case with its vendor.
func (s *Store) VendorCaseByID(ctx context.Context, id uint) (*VendorCase, error) {
	var c VendorCase
	if err := s.r.WithContext(ctx).Preload("Vendor").First(&c, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// TicketsByIDs loads tickets (with requester, asset and vendor) by id.
func (s *Store) TicketsByIDs(ctx context.Context, ids []uint) (map[uint]Ticket, error) {
	out := map[uint]Ticket{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []Ticket
	if err := s.r.WithContext(ctx).Preload("Requester").Preload("Asset.Vendor").Preload("Assignee").
		Where("id IN ?", ids).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load tickets: %w", err)
	}
	for _, t := range rows {
		out[t.ID] = t
	}
	return out, nil
}

// SLABreached lists the tickets whose SLA due time is before now, whose
// clock is running (not paused, not in one of pausedStatuses) and which are
// not resolved or closed; the most overdue first.
func (s *Store) SLABreached(ctx context.Context, now time.Time, pausedStatuses []string) ([]Ticket, error) {
	// The ticket list's overdue view filters by the same rule (SLARule).
	rule := SLARule{Now: now, PausedStatuses: pausedStatuses}
	var out []Ticket
	err := rule.where(s.r.WithContext(ctx).Preload("Requester").Preload("Asset.Vendor").Preload("Assignee")).
		Order("sla_due_at, id").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list overdue tickets: %w", err)
	}
	return out, nil
}

// AssetsWithWarranty lists the assets in use (not retired) whose warranty
// can be computed: a fixed end date or a delivery date, with their vendor.
func (s *Store) AssetsWithWarranty(ctx context.Context) ([]Asset, error) {
	var out []Asset
	err := s.r.WithContext(ctx).Preload("Vendor").
		Where("state <> ? AND (warranty_ends_on IS NOT NULL OR delivered_on IS NOT NULL)", AssetRetired).
		Order("serial").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list assets with a warranty: %w", err)
	}
	return out, nil
}

// AdminAgents lists the agents with the admin role.
func (s *Store) AdminAgents(ctx context.Context) ([]Agent, error) {
	var out []Agent
	if err := s.r.WithContext(ctx).Where("role = ?", RoleAdmin).Order("email").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list admins: %w", err)
	}
	return out, nil
}

// ClaimJobRun records that job ran for key and reports whether this call
// was the first to do so (false: it already ran). Called inside the
// transaction doing the job's work, it makes the job happen at most once.
func (s *Store) ClaimJobRun(ctx context.Context, job, key string, at time.Time) (bool, error) {
	res := s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&JobRun{Job: job, Key: key, RanAt: at.UTC()})
	if res.Error != nil {
		return false, fmt.Errorf("record job %s/%s: %w", job, key, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// AssetByID loads one asset with its vendor.
func (s *Store) AssetByID(ctx context.Context, id uint) (*Asset, error) {
	var a Asset
	if err := s.r.WithContext(ctx).Preload("Vendor").First(&a, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// OpenHardwareTickets lists the hardware tickets with a device that are new,
// open or pending, with requester, device and vendor.
func (s *Store) OpenHardwareTickets(ctx context.Context) ([]Ticket, error) {
	var out []Ticket
	err := s.r.WithContext(ctx).Preload("Requester").Preload("Asset.Vendor").Preload("Assignee").
		Where("category = ? AND asset_id IS NOT NULL AND status IN ?", CategoryHardware,
			[]string{StatusNew, StatusOpen, StatusPending}).Order("number").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("list open hardware tickets: %w", err)
	}
	return out, nil
}
