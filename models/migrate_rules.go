package models

import (
	"fmt"
	"time"

	"gorm.io/gorm"
)

// ruleMigrations are the schema changes of the routing rules (versions 20–29).
// They are written in SQL rather than from the structs, so that a later change
// of a struct never changes what an old migration does.
var ruleMigrations = []migration{
	{20, "routing rules and traces, with the default hardware rule", migrateRoutingRules},
}

func migrateRoutingRules(tx *gorm.DB) error {
	stmts := []string{
		`CREATE TABLE routing_rules (
			id integer PRIMARY KEY AUTOINCREMENT,
			name text NOT NULL,
			position integer NOT NULL,
			enabled numeric NOT NULL DEFAULT true,
			stop numeric NOT NULL DEFAULT false,
			conditions text NOT NULL DEFAULT '{}',
			actions text NOT NULL DEFAULT '{}',
			created_at datetime,
			updated_at datetime)`,
		`CREATE INDEX idx_routing_rules_position ON routing_rules(position)`,
		`CREATE TABLE routing_traces (
			id integer PRIMARY KEY AUTOINCREMENT,
			ticket_id integer NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
			rule_id integer REFERENCES routing_rules(id) ON DELETE SET NULL,
			rule_name text,
			outcome text NOT NULL,
			rules_evaluated integer NOT NULL DEFAULT 0,
			conditions text,
			actions text,
			created_at datetime)`,
		`CREATE INDEX idx_routing_traces_ticket_id ON routing_traces(ticket_id)`,
	}
	for _, q := range stmts {
		if err := tx.Exec(ddl(tx, q)).Error; err != nil {
			return err
		}
	}
	// Today's behaviour as the first rule: a hardware fault on a device under
	// warranty whose vendor takes automatic cases goes to that vendor.
	now := time.Now().UTC()
	err := tx.Exec(`INSERT INTO routing_rules (name, position, enabled, stop, conditions, actions, created_at, updated_at)
		VALUES (?, 1, true, false, ?, ?, ?, ?)`, DefaultRuleName,
		`{"categories":["hardware"],"under_warranty":"yes","vendor_auto_forward":true}`, `{"forward":true}`, now, now).Error
	if err != nil {
		return fmt.Errorf("insert the default routing rule: %w", err)
	}
	return nil
}
