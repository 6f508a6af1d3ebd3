package models

import (
	"fmt"

	"gorm.io/gorm"
)

// adminMigrations are the schema changes of administration and ticket
// merging (versions 60–69). Plain SQL, so that a later change of a struct
// never changes what an old migration does.
var adminMigrations = []migration{
	{60, "ticket merges, related-ticket links, index for live refresh", migrateMergeLinks},
}

// migrateMergeLinks adds ticket_merges (which ticket was merged into which,
// followed by mail threading) and ticket_links (related tickets, one row per
// pair with the smaller id first), and an index on tickets.updated_at so the
// live-refresh check (newest change) is one index lookup.
func migrateMergeLinks(tx *gorm.DB) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS ticket_merges (
			from_id integer NOT NULL PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
			into_id integer NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
			actor varchar(320) NOT NULL DEFAULT '',
			at datetime NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS idx_ticket_merges_into ON ticket_merges(into_id)`,
		`CREATE TABLE IF NOT EXISTS ticket_links (
			ticket_id integer NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
			related_id integer NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
			created_by varchar(320) NOT NULL DEFAULT '',
			created_at datetime NOT NULL,
			PRIMARY KEY (ticket_id, related_id),
			CHECK (ticket_id < related_id))`,
		`CREATE INDEX IF NOT EXISTS idx_ticket_links_related ON ticket_links(related_id)`,
		`CREATE INDEX IF NOT EXISTS idx_tickets_updated ON tickets(updated_at)`,
	}
	for _, q := range stmts {
		if err := tx.Exec(ddl(tx, q)).Error; err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}
