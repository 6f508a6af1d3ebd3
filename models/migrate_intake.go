package models

import (
	"fmt"

	"gorm.io/gorm"
)

// intakeMigrations are the schema changes made for intake's write rate
// (versions 100–109). Every index on tickets is written by every new ticket,
// so an index that no query needs is pure cost for the one writer.
var intakeMigrations = []migration{
	{100, "intake: drop the ticket indexes another index already answers", migrateDropRedundantTicketIndexes},
}

// migrateDropRedundantTicketIndexes drops two indexes that a longer index
// answers with the same plan (TestTicketListPlans checks the plans):
//   - idx_tickets_assignee_id (assignee_id) is a prefix of
//     idx_tickets_assignee_status_updated (assignee_id, status, updated_at),
//     which serves "mine", "unassigned" and the agents foreign key as well;
//   - idx_tickets_status_assignee (status, assignee_id) was for the view
//     counts, which ticket_counts keeps since migration 52; a filter on both
//     reads idx_tickets_assignee_status_updated, still covering.
//
// DROP INDEX IF EXISTS is the same on SQLite and PostgreSQL.
func migrateDropRedundantTicketIndexes(tx *gorm.DB) error {
	for _, q := range []string{
		`DROP INDEX IF EXISTS idx_tickets_assignee_id`,
		`DROP INDEX IF EXISTS idx_tickets_status_assignee`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return nil
}
