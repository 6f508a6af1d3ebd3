package models

import "gorm.io/gorm"

// cannedMigrations are the schema changes of canned replies (versions
// 40–49), in SQL so that a later change of CannedReply never changes what an
// old migration does.
var cannedMigrations = []migration{
	{40, "canned replies", migrateCannedReplies},
}

// migrateCannedReplies creates canned_replies. Titles are unique regardless
// of case: two replies agents cannot tell apart in the picker are a mistake.
func migrateCannedReplies(tx *gorm.DB) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS canned_replies (
			id integer PRIMARY KEY AUTOINCREMENT,
			title varchar(200) NOT NULL,
			body_sv text NOT NULL DEFAULT '',
			body_en text NOT NULL DEFAULT '',
			created_by varchar(320) NOT NULL DEFAULT '',
			updated_by varchar(320) NOT NULL DEFAULT '',
			created_at datetime,
			updated_at datetime)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS idx_canned_replies_title ON canned_replies(title COLLATE NOCASE)`,
	}
	for _, q := range stmts {
		if err := tx.Exec(ddl(tx, q)).Error; err != nil {
			return err
		}
	}
	return nil
}
