package models

import "gorm.io/gorm"

// apiMigrations are the schema changes of the JSON API and webhooks
// (versions 90–99), in SQL so that a later change of the models never
// changes what an old migration does.
var apiMigrations = []migration{
	{90, "webhook endpoints and delivery queue", migrateWebhooks},
}

// migrateWebhooks creates webhook_endpoints and webhook_deliveries, the
// durable queue (and delivery log) of signed event notifications.
func migrateWebhooks(tx *gorm.DB) error {
	stmts := []string{
		`CREATE TABLE IF NOT EXISTS webhook_endpoints (
			id integer PRIMARY KEY AUTOINCREMENT,
			url varchar(2000) NOT NULL,
			secret varchar(200) NOT NULL,
			events varchar(500) NOT NULL,
			description varchar(200) NOT NULL DEFAULT '',
			active numeric NOT NULL DEFAULT true,
			created_by varchar(320) NOT NULL DEFAULT '',
			created_at datetime,
			updated_at datetime)`,
		`CREATE TABLE IF NOT EXISTS webhook_deliveries (
			id integer PRIMARY KEY AUTOINCREMENT,
			endpoint_id integer NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
			event_id varchar(64) NOT NULL,
			event varchar(32) NOT NULL,
			ticket_id integer,
			payload text NOT NULL,
			status varchar(16) NOT NULL,
			attempts integer NOT NULL DEFAULT 0,
			next_attempt_at datetime NOT NULL,
			last_status_code integer NOT NULL DEFAULT 0,
			last_error varchar(1000) NOT NULL DEFAULT '',
			last_attempt_at datetime,
			delivered_at datetime,
			created_at datetime)`,
		`CREATE INDEX IF NOT EXISTS idx_webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at)`,
		`CREATE INDEX IF NOT EXISTS idx_webhook_deliveries_endpoint ON webhook_deliveries(endpoint_id, id)`,
		`CREATE UNIQUE INDEX IF NOT EXISTS idx_webhook_deliveries_event ON webhook_deliveries(endpoint_id, event_id)`,
		`CREATE INDEX IF NOT EXISTS idx_webhook_deliveries_ticket ON webhook_deliveries(ticket_id)`,
	}
	for _, q := range stmts {
		if err := tx.Exec(ddl(tx, q)).Error; err != nil {
			return err
		}
	}
	return nil
}
