package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// The rows intake writes for every mail — its message, a new ticket, the acknowledgement and its
// outbox mail — are inserted with plain INSERT … RETURNING id on the transaction's connection
// instead of GORM's Create: GORM's reflection, callbacks and statement building cost about as much
// CPU as SQLite's insert itself. The column lists must name every column GORM would write;
// TestInsertColumnsMatchSchema checks them against the GORM schema.

var messageColumns = []string{"ticket_id", "direction", "kind", "from_name", "from_email", "to", "cc", "subject",
	"text", "html", "message_id", "in_reply_to", "references", "auto_class", "agent_id", "outbox_id",
	"intake_record_id", "created_at"}

func messageValues(m *Message) []any {
	return []any{m.TicketID, m.Direction, m.Kind, m.FromName, m.FromEmail, m.To, m.Cc, m.Subject,
		m.Text, m.HTML, m.MessageID, m.InReplyTo, m.References, m.AutoClass, m.AgentID, m.OutboxID,
		m.IntakeRecordID, m.CreatedAt}
}

var ticketColumns = []string{"number", "subject", "requester_id", "status", "priority", "category",
	"fault_matches", "language", "asset_id", "assignee_id", "cc", "sla_due_at", "resolved_at", "created_at",
	"updated_at", "sla_paused_at"}

func ticketValues(t *Ticket) []any {
	return []any{t.Number, t.Subject, t.RequesterID, t.Status, t.Priority, t.Category,
		t.FaultMatches, t.Language, t.AssetID, t.AssigneeID, t.Cc, t.SLADueAt, t.ResolvedAt, t.CreatedAt,
		t.UpdatedAt, t.SLAPausedAt}
}

var outboxColumns = []string{"ticket_id", "message_id", "from_addr", "recipients", "subject", "purpose", "raw",
	"status", "attempts", "next_attempt_at", "last_error", "sent_at", "created_at", "updated_at"}

func outboxValues(m *OutboxMail) []any {
	return []any{m.TicketID, m.MessageID, m.FromAddr, m.Recipients, m.Subject, m.Purpose, m.Raw,
		m.Status, m.Attempts, m.NextAttemptAt, m.LastError, m.SentAt, m.CreatedAt, m.UpdatedAt}
}

// insertReturningID inserts one row into table and returns its id. The placeholders are the
// dialect's own ("?" or "$n"), so the statement is portable; it runs on db's connection, which is
// the transaction's inside Store.Tx.
func insertReturningID(ctx context.Context, db *gorm.DB, table string, columns []string, values []any) (uint, error) {
	var sql strings.Builder
	sql.Grow(32 + 24*len(columns))
	sql.WriteString(`INSERT INTO "`)
	sql.WriteString(table)
	sql.WriteString(`" (`)
	for i, c := range columns {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteByte('"')
		sql.WriteString(c)
		sql.WriteByte('"')
	}
	sql.WriteString(") VALUES (")
	stmt := &gorm.Statement{DB: db}
	for i, v := range values {
		if i > 0 {
			sql.WriteString(", ")
		}
		stmt.Vars = append(stmt.Vars, v)
		db.Dialector.BindVarTo(&sql, stmt, v)
	}
	sql.WriteString(`) RETURNING "id"`)
	var id uint
	if err := db.Statement.ConnPool.QueryRowContext(ctx, sql.String(), values...).Scan(&id); err != nil {
		return 0, fmt.Errorf("insert into %s: %w", table, err)
	}
	return id, nil
}
