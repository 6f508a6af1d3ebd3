package models

import (
	"context"
	"fmt"
	"time"
)

// APITokensOf lists an agent's API tokens, oldest first. Only hashes are
// stored, so the token values themselves can never be listed.
func (s *Store) APITokensOf(ctx context.Context, agentID uint) ([]APIToken, error) {
	var out []APIToken
	err := s.r.WithContext(ctx).Where("agent_id = ?", agentID).Order("id").Find(&out).Error
	return out, err
}

// RevokeAPITokens revokes every unrevoked API token of an agent and returns
// how many it revoked.
func (s *Store) RevokeAPITokens(ctx context.Context, agentID uint, at time.Time) (int64, error) {
	res := s.w.WithContext(ctx).Model(&APIToken{}).Where("agent_id = ? AND revoked_at IS NULL", agentID).
		Update("revoked_at", at.UTC())
	if res.Error != nil {
		return 0, fmt.Errorf("revoke API tokens: %w", res.Error)
	}
	return res.RowsAffected, nil
}

// tokenUseGranularity is how stale LastUsedAt may get: a token used many
// times a minute costs one write a minute, not one per request.
const tokenUseGranularity = time.Minute

// noteTokenUse records that token id was used at now, unless it was
// recorded less than tokenUseGranularity ago.
func (s *Store) noteTokenUse(ctx context.Context, t *APIToken, now time.Time) error {
	if t.LastUsedAt != nil && now.Sub(*t.LastUsedAt) < tokenUseGranularity {
		return nil
	}
	return s.w.WithContext(ctx).Model(&APIToken{}).Where("id = ?", t.ID).UpdateColumn("last_used_at", now.UTC()).Error
}
