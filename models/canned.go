package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// CannedReply is a reply text agents keep for questions that come back
// often, in Swedish and English. Its bodies may hold placeholders
// ({{ticket}}, {{name}}, …) that the desk fills for one ticket; the store
// keeps them as typed.
type CannedReply struct {
	ID     uint   `gorm:"primaryKey"`
	Title  string `gorm:"size:200;not null;uniqueIndex"`
	BodySV string `gorm:"column:body_sv;not null"`
	BodyEN string `gorm:"column:body_en;not null"`
	// CreatedBy and UpdatedBy are the agents' addresses (like AuditEvent.Actor),
	// so the record outlives the agent.
	CreatedBy string `gorm:"size:320"`
	UpdatedBy string `gorm:"size:320"`
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Body returns the body in lang ("sv" or "en"); "" when it has none.
func (r *CannedReply) Body(lang string) string {
	if lang == "en" {
		return r.BodyEN
	}
	return r.BodySV
}

// CannedReplies lists every canned reply by title.
func (s *Store) CannedReplies(ctx context.Context) ([]CannedReply, error) {
	var out []CannedReply
	db := s.r.WithContext(ctx)
	if err := db.Order(nocaseOrder(db, "title") + ", id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list canned replies: %w", err)
	}
	return out, nil
}

// CannedReplyByID loads one canned reply; ErrNotFound when there is none.
func (s *Store) CannedReplyByID(ctx context.Context, id uint) (*CannedReply, error) {
	var r CannedReply
	if err := s.r.WithContext(ctx).First(&r, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// CannedReplyTitleTaken reports whether another canned reply than id (0 = any)
// has title, ignoring case. It compares in Go: SQLite's LOWER and NOCASE
// only fold ASCII, and "Ärende" must clash with "ÄRENDE". Canned replies
// are few, so reading their titles is cheap.
func (s *Store) CannedReplyTitleTaken(ctx context.Context, title string, id uint) (bool, error) {
	var rows []CannedReply
	if err := s.r.WithContext(ctx).Select("id", "title").Where("id <> ?", id).Find(&rows).Error; err != nil {
		return false, fmt.Errorf("check canned reply title: %w", err)
	}
	for _, r := range rows {
		if strings.EqualFold(r.Title, title) {
			return true, nil
		}
	}
	return false, nil
}

// CreateCannedReply inserts r.
func (s *Store) CreateCannedReply(ctx context.Context, r *CannedReply) error {
	if err := s.w.WithContext(ctx).Create(r).Error; err != nil {
		return fmt.Errorf("create canned reply: %w", err)
	}
	return nil
}

// SaveCannedReply updates every field of r.
func (s *Store) SaveCannedReply(ctx context.Context, r *CannedReply) error {
	if err := s.w.WithContext(ctx).Save(r).Error; err != nil {
		return fmt.Errorf("save canned reply %d: %w", r.ID, err)
	}
	return nil
}

// DeleteCannedReply removes a canned reply; ErrNotFound when there is none.
func (s *Store) DeleteCannedReply(ctx context.Context, id uint) error {
	res := s.w.WithContext(ctx).Delete(&CannedReply{}, id)
	if res.Error != nil {
		return fmt.Errorf("delete canned reply %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
