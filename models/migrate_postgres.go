package models

// Migrations whose SQL cannot be translated phrase by phrase (ddl): their
// PostgreSQL versions, next to each other so that a reviewer sees both
// dialects of a schema change.

import (
	"fmt"

	"gorm.io/gorm"
)

// migrateTicketCountsPostgres is migration 52 on PostgreSQL: the same
// ticket_counts table, kept by one trigger function (PostgreSQL triggers
// call a function, where SQLite's hold their statements), for the same
// three events and the same condition on updates.
func migrateTicketCountsPostgres(tx *gorm.DB) error {
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS ticket_counts (
			status text NOT NULL,
			assignee_id bigint NOT NULL,
			n bigint NOT NULL,
			PRIMARY KEY (status, assignee_id))`,
		`DELETE FROM ticket_counts`,
		`INSERT INTO ticket_counts(status, assignee_id, n)
			SELECT status, COALESCE(assignee_id, 0), COUNT(*) FROM tickets GROUP BY status, COALESCE(assignee_id, 0)`,
		`CREATE OR REPLACE FUNCTION ticket_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF TG_OP IN ('DELETE', 'UPDATE') THEN
				UPDATE ticket_counts SET n = n - 1 WHERE status = OLD.status AND assignee_id = COALESCE(OLD.assignee_id, 0);
			END IF;
			IF TG_OP IN ('INSERT', 'UPDATE') THEN
				INSERT INTO ticket_counts(status, assignee_id, n) VALUES (NEW.status, COALESCE(NEW.assignee_id, 0), 1)
					ON CONFLICT (status, assignee_id) DO UPDATE SET n = ticket_counts.n + 1;
			END IF;
			RETURN NULL;
		END $$`,
		`DROP TRIGGER IF EXISTS ticket_counts_insert ON tickets`,
		`CREATE TRIGGER ticket_counts_insert AFTER INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION ticket_counts_keep()`,
		`DROP TRIGGER IF EXISTS ticket_counts_delete ON tickets`,
		`CREATE TRIGGER ticket_counts_delete AFTER DELETE ON tickets FOR EACH ROW EXECUTE FUNCTION ticket_counts_keep()`,
		`DROP TRIGGER IF EXISTS ticket_counts_update ON tickets`,
		`CREATE TRIGGER ticket_counts_update AFTER UPDATE OF status, assignee_id ON tickets FOR EACH ROW
			WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.assignee_id IS DISTINCT FROM NEW.assignee_id)
			EXECUTE FUNCTION ticket_counts_keep()`,
	} {
		if err := tx.Exec(q).Error; err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}
