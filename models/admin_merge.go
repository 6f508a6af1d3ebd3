package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// TicketMerge records that ticket FromID was merged into IntoID. Mail that
// threads to FromID (its Message-IDs, plus address or subject tag) is
// delivered to IntoID instead (desk.Thread follows the record).
type TicketMerge struct {
	FromID uint `gorm:"primaryKey;autoIncrement:false"`
	IntoID uint `gorm:"not null;index"`
	Actor  string
	At     time.Time
}

// TicketLink relates two tickets ("related tickets", shown on both). One
// row per pair, the smaller ticket id in TicketID.
type TicketLink struct {
	TicketID  uint `gorm:"primaryKey;autoIncrement:false"`
	RelatedID uint `gorm:"primaryKey;autoIncrement:false"`
	CreatedBy string
	CreatedAt time.Time
}

// RecordMerge stores that from was merged into into.
func (s *Store) RecordMerge(ctx context.Context, from, into uint, actor string, at time.Time) error {
	err := s.w.WithContext(ctx).Create(&TicketMerge{FromID: from, IntoID: into, Actor: actor, At: at}).Error
	if err != nil {
		return fmt.Errorf("record merge of ticket %d into %d: %w", from, into, err)
	}
	return nil
}

// MergedInto returns the ticket id that ticket id was merged into, or
// ErrNotFound when it was not merged.
func (s *Store) MergedInto(ctx context.Context, id uint) (uint, error) {
	var into uint
	if err := s.readRow(ctx, "SELECT into_id FROM ticket_merges WHERE from_id = ?", id).Scan(&into); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return 0, ErrNotFound
		}
		return 0, fmt.Errorf("merge of ticket %d: %w", id, err)
	}
	return into, nil
}

// MergedFrom lists the ids of the tickets merged into ticket id.
func (s *Store) MergedFrom(ctx context.Context, id uint) ([]uint, error) {
	rows, err := s.readRows(ctx, "SELECT from_id FROM ticket_merges WHERE into_id = ? ORDER BY from_id", id)
	if err != nil {
		return nil, fmt.Errorf("tickets merged into %d: %w", id, err)
	}
	defer rows.Close()
	out := []uint{}
	for rows.Next() {
		var from uint
		if err := rows.Scan(&from); err != nil {
			return nil, fmt.Errorf("tickets merged into %d: %w", id, err)
		}
		out = append(out, from)
	}
	return out, rows.Err()
}

// MoveTicketContent moves the conversation (messages with their
// attachments), the vendor cases and the outgoing mail of ticket from to
// ticket into. The caller runs it in a transaction and reindexes both.
func (s *Store) MoveTicketContent(ctx context.Context, from, into uint) error {
	db := s.w.WithContext(ctx)
	for _, table := range []string{"messages", "vendor_cases", "outbox_mails"} {
		if err := db.Table(table).Where("ticket_id = ?", from).Update("ticket_id", into).Error; err != nil {
			return fmt.Errorf("move %s of ticket %d to %d: %w", table, from, into, err)
		}
	}
	return nil
}

// orderedPair returns a and b with the smaller first, as ticket_links keeps them.
func orderedPair(a, b uint) (uint, uint) {
	if a > b {
		return b, a
	}
	return a, b
}

// LinkTickets relates tickets a and b; added is false when they already were.
func (s *Store) LinkTickets(ctx context.Context, a, b uint, actor string, at time.Time) (added bool, err error) {
	lo, hi := orderedPair(a, b)
	res := s.w.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
		Create(&TicketLink{TicketID: lo, RelatedID: hi, CreatedBy: actor, CreatedAt: at})
	if res.Error != nil {
		return false, fmt.Errorf("link tickets %d and %d: %w", a, b, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// UnlinkTickets removes the link between a and b; removed is false when
// there was none.
func (s *Store) UnlinkTickets(ctx context.Context, a, b uint) (removed bool, err error) {
	lo, hi := orderedPair(a, b)
	res := s.w.WithContext(ctx).Where("ticket_id = ? AND related_id = ?", lo, hi).Delete(&TicketLink{})
	if res.Error != nil {
		return false, fmt.Errorf("unlink tickets %d and %d: %w", a, b, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// RelatedTicketIDs lists the tickets linked to ticket id, either way round.
func (s *Store) RelatedTicketIDs(ctx context.Context, id uint) ([]uint, error) {
	rows, err := s.readRows(ctx, "SELECT ticket_id, related_id FROM ticket_links WHERE ticket_id = ? OR related_id = ?", id, id)
	if err != nil {
		return nil, fmt.Errorf("related tickets of %d: %w", id, err)
	}
	defer rows.Close()
	out := []uint{}
	for rows.Next() {
		var l TicketLink
		if err := rows.Scan(&l.TicketID, &l.RelatedID); err != nil {
			return nil, fmt.Errorf("related tickets of %d: %w", id, err)
		}
		if l.TicketID == id {
			out = append(out, l.RelatedID)
		} else {
			out = append(out, l.TicketID)
		}
	}
	return out, rows.Err()
}

// TicketsInOrder loads tickets (with requester and assignee) by id, ordered
// by ticket number.
func (s *Store) TicketsInOrder(ctx context.Context, ids []uint) ([]Ticket, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var out []Ticket
	err := s.r.WithContext(ctx).Preload("Requester").Preload("Assignee").Where("id IN ?", ids).Order("number").Find(&out).Error
	if err != nil {
		return nil, fmt.Errorf("load tickets: %w", err)
	}
	return out, nil
}

// TicketChanges is how far the ticket table has changed: the newest
// updated_at and the highest id. Live refresh compares two of them.
type TicketChanges struct {
	Latest time.Time
	MaxID  uint
}

// TicketChangeState reads the newest change of any ticket.
func (s *Store) TicketChangeState(ctx context.Context) (TicketChanges, error) {
	var st TicketChanges
	var t Ticket
	err := s.r.WithContext(ctx).Select("id", "updated_at").Order("updated_at DESC, id DESC").Limit(1).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("newest ticket change: %w", err)
	}
	st.Latest = t.UpdatedAt.UTC()
	if err := s.r.WithContext(ctx).Model(&Ticket{}).Select("COALESCE(MAX(id), 0)").Scan(&st.MaxID).Error; err != nil {
		return st, fmt.Errorf("highest ticket id: %w", err)
	}
	return st, nil
}

// CountTicketsChangedSince counts the tickets updated after since or created
// with an id above maxID.
func (s *Store) CountTicketsChangedSince(ctx context.Context, since time.Time, maxID uint) (int64, error) {
	var n int64
	err := s.r.WithContext(ctx).Model(&Ticket{}).Where("updated_at > ? OR id > ?", since.UTC(), maxID).Count(&n).Error
	return n, err
}
