package models

import (
	"fmt"

	"gorm.io/gorm"
)

// privacyMigrations are the schema changes of personal-data export, erasure
// and retention (versions 70–79). Plain SQL, so that a later struct change
// never changes what an old migration does.
var privacyMigrations = []migration{
	{70, "privacy: erased tickets and requesters", migratePrivacy},
}

// migratePrivacy adds privacy_erasures, which remembers what has been erased
// (a ticket by retention or a requester's request, a requester by request)
// so that erasure is idempotent and retention skips work already done.
func migratePrivacy(tx *gorm.DB) error {
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS privacy_erasures (
			object varchar(16) NOT NULL,
			object_id integer NOT NULL,
			reason varchar(32) NOT NULL,
			actor varchar(320) NOT NULL DEFAULT '',
			erased_at datetime NOT NULL,
			PRIMARY KEY (object, object_id))`,
	} {
		if err := tx.Exec(ddl(tx, q)).Error; err != nil {
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}
