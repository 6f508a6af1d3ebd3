package models

import (
	"fmt"

	"gorm.io/gorm"
)

// portalMigrations are the schema changes of the vendor portal (versions
// 80–89). Plain SQL, so that a later struct change never changes what an old
// migration does.
var portalMigrations = []migration{
	{80, "vendor portal: agents.vendor_id", migratePortalVendorID},
}

// migratePortalVendorID adds agents.vendor_id: the reseller a vendor user
// works for, NULL for agents and admins, a foreign key to vendors (a vendor
// with users cannot be deleted). On a fresh database migration 1 already
// created the column, with its key, from the current Agent struct.
func migratePortalVendorID(tx *gorm.DB) error {
	if !tx.Migrator().HasColumn("agents", "vendor_id") {
		q := "ALTER TABLE agents ADD COLUMN vendor_id integer REFERENCES vendors(id) ON DELETE RESTRICT"
		if err := tx.Exec(ddl(tx, q)).Error; err != nil {
			return fmt.Errorf("add column agents.vendor_id: %w", err)
		}
	}
	if err := tx.Exec("CREATE INDEX IF NOT EXISTS idx_agents_vendor_id ON agents(vendor_id)").Error; err != nil {
		return fmt.Errorf("index agents.vendor_id: %w", err)
	}
	return nil
}
