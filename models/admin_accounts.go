package models

import (
	"context"
	"fmt"
)

// UpdateAgentRole sets an agent's role (admin or agent).
func (s *Store) UpdateAgentRole(ctx context.Context, id uint, role string) error {
	res := s.w.WithContext(ctx).Model(&Agent{}).Where("id = ?", id).Update("role", role)
	if res.Error != nil {
		return fmt.Errorf("set role of agent %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteAgentSessions logs an agent out everywhere.
func (s *Store) DeleteAgentSessions(ctx context.Context, agentID uint) error {
	return s.w.WithContext(ctx).Where("agent_id = ?", agentID).Delete(&Session{}).Error
}

// CountAdmins counts the agents with the admin role.
func (s *Store) CountAdmins(ctx context.Context) (int64, error) {
	var n int64
	err := s.r.WithContext(ctx).Model(&Agent{}).Where("role = ?", RoleAdmin).Count(&n).Error
	return n, err
}

// OpenCasesByVendor counts the vendor cases that are not closed, by vendor id.
func (s *Store) OpenCasesByVendor(ctx context.Context) (map[uint]int64, error) {
	var rows []struct {
		VendorID uint
		N        int64
	}
	err := s.r.WithContext(ctx).Model(&VendorCase{}).Select("vendor_id, COUNT(*) AS n").
		Where("state <> ?", CaseClosed).Group("vendor_id").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count open cases by vendor: %w", err)
	}
	out := map[uint]int64{}
	for _, r := range rows {
		out[r.VendorID] = r.N
	}
	return out, nil
}
