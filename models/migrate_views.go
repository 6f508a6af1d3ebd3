package models

import (
	"fmt"

	"gorm.io/gorm"
)

// viewMigrations are the schema changes of the ticket list's views, filters
// and search (versions 50–59). Plain SQL, so that a later struct change
// never changes what an old migration does.
var viewMigrations = []migration{
	{50, "ticket views: list indexes, saved views", migrateTicketViews},
	{51, "ticket views: covering index of the running SLA clocks", func(tx *gorm.DB) error {
		// The overdue count and list read only tickets whose clock runs
		// (sla_paused_at IS NULL); without it in the index every candidate
		// row was read from the table (45 → 5 ms to count 36 000 overdue
		// tickets of 100 000).
		return tx.Exec(`CREATE INDEX IF NOT EXISTS idx_tickets_running_sla ON tickets(status, sla_due_at) WHERE sla_paused_at IS NULL`).Error
	}},
	{52, "ticket views: ticket counts by status and assignee, kept by triggers", migrateTicketCounts},
	{53, "search: prefix indexes of 2 to 12 characters", migrateSearchPrefixes},
}

// searchPrefixes are the prefix lengths ticket_fts keeps an index of. Every
// search word is a prefix query ("skarm" finds "skärmen"); a prefix without
// an index of its exact length merges the posting lists of every word that
// starts with it ("skärmen", "skärmar", ...) on every search, and bm25 does
// it a second time to count the matches: 2.5 of a ranked search's 3 ms of
// SQLite time for a word in a fifth of 100 000 tickets, 0.9 ms with an
// index of its length. Up to 12 characters covers nearly every word typed
// into the search box (a longer one still works, merging as before). The
// indexes make the full-text index ~60 % larger and indexing a ticket ~2.5×
// the CPU (README, "Search").
const searchPrefixes = "2 3 4 5 6 7 8 9 10 11 12"

// migrateSearchPrefixes rebuilds ticket_fts with searchPrefixes (FTS5 fixes
// its prefix indexes when the table is created): the rows are copied into a
// new table, which replaces the old one.
func migrateSearchPrefixes(tx *gorm.DB) error {
	for _, q := range []string{
		`DROP TABLE IF EXISTS ticket_fts_new`,
		`CREATE VIRTUAL TABLE ticket_fts_new USING fts5(
			subject, body, requester, serial,
			tokenize = 'unicode61 remove_diacritics 2', prefix = '` + searchPrefixes + `')`,
		`INSERT INTO ticket_fts_new(rowid, subject, body, requester, serial)
			SELECT rowid, subject, body, requester, serial FROM ticket_fts`,
		`DROP TABLE ticket_fts`,
		`ALTER TABLE ticket_fts_new RENAME TO ticket_fts`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}

// migrateTicketCounts adds ticket_counts, the number of tickets per status
// and assignee (0 = nobody), and the triggers that keep it in step with
// tickets in the writing transaction itself. The list's view counts read
// its few rows instead of grouping 100 000 tickets after every write
// (Store.ViewCounts). Idempotent: the table is filled afresh.
func migrateTicketCounts(tx *gorm.DB) error {
	const (
		dec = `UPDATE ticket_counts SET n = n - 1 WHERE status = OLD.status AND assignee_id = COALESCE(OLD.assignee_id, 0);`
		inc = `INSERT INTO ticket_counts(status, assignee_id, n) VALUES (NEW.status, COALESCE(NEW.assignee_id, 0), 1)
			ON CONFLICT(status, assignee_id) DO UPDATE SET n = n + 1;`
	)
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS ticket_counts (
			status varchar(16) NOT NULL,
			assignee_id integer NOT NULL,
			n integer NOT NULL,
			PRIMARY KEY (status, assignee_id))`,
		`DELETE FROM ticket_counts`,
		`INSERT INTO ticket_counts(status, assignee_id, n)
			SELECT status, COALESCE(assignee_id, 0), COUNT(*) FROM tickets GROUP BY status, COALESCE(assignee_id, 0)`,
		`CREATE TRIGGER IF NOT EXISTS ticket_counts_insert AFTER INSERT ON tickets BEGIN ` + inc + ` END`,
		`CREATE TRIGGER IF NOT EXISTS ticket_counts_delete AFTER DELETE ON tickets BEGIN ` + dec + ` END`,
		`CREATE TRIGGER IF NOT EXISTS ticket_counts_update AFTER UPDATE OF status, assignee_id ON tickets
			WHEN OLD.status IS NOT NEW.status OR OLD.assignee_id IS NOT NEW.assignee_id BEGIN ` + dec + ` ` + inc + ` END`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}

// migrateTicketViews adds the indexes of the list's hot orderings and
// filters, and the saved_views table. Every statement is idempotent.
func migrateTicketViews(tx *gorm.DB) error {
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS saved_views (
			id integer PRIMARY KEY AUTOINCREMENT,
			agent_id integer NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
			name varchar(80) NOT NULL,
			query varchar(1000) NOT NULL,
			created_at datetime,
			updated_at datetime)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS idx_saved_views_agent_name ON saved_views(agent_id, name)`,
		// "All", newest activity first (the default list); the rowid (id)
		// is the index's implicit last column, so ties stay ordered.
		`CREATE INDEX IF NOT EXISTS idx_tickets_updated ON tickets(updated_at)`,
		`CREATE INDEX IF NOT EXISTS idx_tickets_created ON tickets(created_at)`,
		// The view counts (grouped by status and assignee) walk this index alone.
		`CREATE INDEX IF NOT EXISTS idx_tickets_status_assignee ON tickets(status, assignee_id)`,
		// "Mine" and "unassigned": assignee, open statuses, newest first.
		`CREATE INDEX IF NOT EXISTS idx_tickets_assignee_status_updated ON tickets(assignee_id, status, updated_at)`,
		// "Overdue": running statuses, due before now.
		`CREATE INDEX IF NOT EXISTS idx_tickets_status_sla ON tickets(status, sla_due_at)`,
		`CREATE INDEX IF NOT EXISTS idx_tickets_sla_due ON tickets(sla_due_at)`,
		`CREATE INDEX IF NOT EXISTS idx_tickets_priority_rank ON tickets(` + priorityRankSQL + `, updated_at)`,
		`CREATE INDEX IF NOT EXISTS idx_tickets_priority ON tickets(priority)`,
		// Status and category together, the commonest filter pair: counted
		// and paged from the index.
		`CREATE INDEX IF NOT EXISTS idx_tickets_status_category_updated ON tickets(status, category, updated_at)`,
		// The ticket page's "devices of this requester" compares
		// LOWER(assigned_to), which the plain index cannot answer (found
		// profiling the ticket page at 100 000 tickets).
		`CREATE INDEX IF NOT EXISTS idx_assets_assigned_lower ON assets(LOWER(assigned_to))`,
		`CREATE INDEX IF NOT EXISTS idx_requesters_department ON requesters(department)`,
		`CREATE INDEX IF NOT EXISTS idx_assets_department ON assets(department)`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}
