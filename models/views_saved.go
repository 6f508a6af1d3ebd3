package models

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"gorm.io/gorm/clause"
)

// SavedView is a ticket list filter an agent saved under a name: the list's
// query string (status=open&category=hardware…), applied as a link.
type SavedView struct {
	ID        uint   `gorm:"primaryKey"`
	AgentID   uint   `gorm:"not null"`
	Name      string `gorm:"size:80;not null"`
	Query     string `gorm:"size:1000;not null"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SaveView stores v, replacing the query of the agent's view of the same name.
func (s *Store) SaveView(ctx context.Context, v *SavedView) error {
	now := time.Now().UTC()
	v.CreatedAt, v.UpdatedAt = now, now
	err := s.w.WithContext(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "agent_id"}, {Name: "name"}},
		DoUpdates: clause.AssignmentColumns([]string{"query", "updated_at"}),
	}).Create(v).Error
	if err != nil {
		return fmt.Errorf("save view %q: %w", v.Name, err)
	}
	return nil
}

// SavedViews lists an agent's saved views by name.
func (s *Store) SavedViews(ctx context.Context, agentID uint) ([]SavedView, error) {
	rows, err := s.readRows(ctx, "SELECT id, agent_id, name, query, created_at, updated_at FROM saved_views WHERE agent_id = ? ORDER BY name, id", agentID)
	if err != nil {
		return nil, fmt.Errorf("list saved views: %w", err)
	}
	defer rows.Close()
	out := []SavedView{}
	for rows.Next() {
		var (
			v                SavedView
			created, updated sql.NullTime
		)
		if err := rows.Scan(&v.ID, &v.AgentID, &v.Name, &v.Query, &created, &updated); err != nil {
			return nil, fmt.Errorf("list saved views: %w", err)
		}
		v.CreatedAt, v.UpdatedAt = created.Time, updated.Time
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list saved views: %w", err)
	}
	return out, nil
}

// DeleteSavedView deletes view id of agentID; ErrNotFound when the agent has
// no such view (another agent's view counts as none).
func (s *Store) DeleteSavedView(ctx context.Context, agentID, id uint) error {
	res := s.w.WithContext(ctx).Where("id = ? AND agent_id = ?", id, agentID).Delete(&SavedView{})
	if res.Error != nil {
		return fmt.Errorf("delete saved view %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
