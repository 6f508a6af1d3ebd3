package models

import (
	"context"
	"strings"
)

// MessagesFrom lists every message sent from email, oldest first, with attachments.
func (s *Store) MessagesFrom(ctx context.Context, email string) ([]Message, error) {
	var out []Message
	err := s.r.WithContext(ctx).Preload("Attachments").
		Where("lower(from_email) = ?", strings.ToLower(strings.TrimSpace(email))).Order("created_at, id").Find(&out).Error
	return out, err
}

// IntakeFrom lists the intake records of mail from email, oldest first.
func (s *Store) IntakeFrom(ctx context.Context, email string) ([]IntakeRecord, error) {
	var out []IntakeRecord
	err := s.r.WithContext(ctx).Where("lower(from_email) = ?", strings.ToLower(strings.TrimSpace(email))).
		Order("id").Find(&out).Error
	return out, err
}

// OutboxTo lists the outgoing mails (without raw bytes) with email among
// their recipients, oldest first.
func (s *Store) OutboxTo(ctx context.Context, email string) ([]OutboxMail, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var rows []OutboxMail
	db := s.r.WithContext(ctx)
	if err := db.Omit("raw").Where(containsSQL(db, "lower(recipients)"), email).
		Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := rows[:0]
	for _, r := range rows {
		if _, ok := replaceAddress(r.Recipients, email, ""); ok {
			out = append(out, r)
		}
	}
	return out, nil
}
