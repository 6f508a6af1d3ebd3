package models

import (
	"fmt"

	"gorm.io/gorm"
)

// assetMigrations are the schema changes of the asset registry (versions 10–19).
var assetMigrations = []migration{
	{10, "asset registry: effective warranty end (indexed, backfilled), normalised asset tag index", migrateWarrantyEffective},
}

// migrateWarrantyEffective adds assets.warranty_ends_on_effective with its
// index and fills it for every asset already registered. On a fresh database
// migration 1 already created the column and index from the current struct,
// so each step checks or is idempotent.
func migrateWarrantyEffective(tx *gorm.DB) error {
	m := tx.Migrator()
	if !m.HasColumn(&Asset{}, "WarrantyEndsOnEffective") {
		if err := m.AddColumn(&Asset{}, "WarrantyEndsOnEffective"); err != nil {
			return fmt.Errorf("add column warranty_ends_on_effective: %w", err)
		}
	}
	for _, stmt := range []string{
		"CREATE INDEX IF NOT EXISTS idx_assets_warranty_ends_on_effective ON assets(warranty_ends_on_effective)",
		// Lookups by asset tag compare its normalised form (AssetsByCandidates,
		// the exact serial filter); this index serves them.
		"CREATE INDEX IF NOT EXISTS idx_assets_tag_norm ON assets(" + normTagSQL + ")",
		"CREATE INDEX IF NOT EXISTS idx_assets_replaced_by ON assets(replaced_by_id)",
		"UPDATE assets SET warranty_ends_on_effective = " + warrantyEndExpr(tx),
	} {
		if err := tx.Exec(ddl(tx, stmt)).Error; err != nil {
			return fmt.Errorf("%.60s: %w", stmt, err)
		}
	}
	return nil
}
