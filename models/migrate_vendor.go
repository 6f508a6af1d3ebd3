package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// vendorMigrations are the schema changes of the reseller loop after the
// forward (versions 30–39). They are SQL rather than struct-driven, so that a
// later change of a struct never changes what an old migration does.
var vendorMigrations = []migration{
	{30, "reseller loop: case state dates, reminders, SLA pause, job runs", migrateVendorLoop},
}

// migrateVendorLoop adds the vendor case columns (in_repair_at, closed_at,
// reminder_sent_at, forward_message_id, paid_repair), tickets.sla_paused_at
// and the job_runs table. On a fresh database migration 1 already created
// the columns from the current structs, so each step checks first.
func migrateVendorLoop(tx *gorm.DB) error {
	m := tx.Migrator()
	columns := []struct{ table, column, ddl string }{
		{"tickets", "sla_paused_at", "datetime"},
		{"vendor_cases", "in_repair_at", "datetime"},
		{"vendor_cases", "closed_at", "datetime"},
		{"vendor_cases", "reminder_sent_at", "datetime"},
		{"vendor_cases", "forward_message_id", "varchar(500) NOT NULL DEFAULT ''"},
		{"vendor_cases", "paid_repair", "numeric NOT NULL DEFAULT false"},
	}
	for _, c := range columns {
		if m.HasColumn(c.table, c.column) {
			continue
		}
		if err := tx.Exec(ddl(tx, "ALTER TABLE "+c.table+" ADD COLUMN "+c.column+" "+c.ddl)).Error; err != nil {
			return fmt.Errorf("add column %s.%s: %w", c.table, c.column, err)
		}
	}
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS job_runs (
			job varchar(64) NOT NULL,
			"key" varchar(64) NOT NULL,
			ran_at datetime NOT NULL,
			PRIMARY KEY (job, "key"))`,
		// The open-case scan of the reminder schedule reads by state.
		`CREATE INDEX IF NOT EXISTS idx_vendor_cases_state ON vendor_cases(state)`,
	}
	for _, q := range stmts {
		if err := tx.Exec(ddl(tx, q)).Error; err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	// Tickets already waiting on a reseller start their pause now: their
	// clock ran while they waited before this upgrade, which cannot be undone.
	if err := tx.Exec("UPDATE tickets SET sla_paused_at = ? WHERE status = ? AND sla_paused_at IS NULL",
		time.Now().UTC(), StatusAtVendor).Error; err != nil {
		return fmt.Errorf("pause the SLA of tickets at a reseller: %w", err)
	}
	return nil
}
