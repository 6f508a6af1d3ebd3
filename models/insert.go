package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"

	"gorm.io/gorm"
)

// The rows intake writes for every mail — its message, a new ticket, the acknowledgement and its
// outbox mail, and at fetch its raw mail and intake record — are inserted with plain INSERT … RETURNING id on the transaction's connection
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

var intakeColumns = []string{"mailbox", "uid_validity", "uid", "message_id", "sha256", "size", "from_email",
	"subject", "class", "outcome", "reason", "ticket_id", "duplicate_of", "fetched_at", "processed_at"}

func intakeValues(r *IntakeRecord) []any {
	return []any{r.Mailbox, r.UIDValidity, r.UID, r.MessageID, r.SHA256, r.Size, r.FromEmail,
		r.Subject, r.Class, r.Outcome, r.Reason, r.TicketID, r.DuplicateOf, r.FetchedAt, r.ProcessedAt}
}

var attachmentColumns = []string{"message_id", "blob_sha256", "filename", "content_type", "size", "content_id",
	"inline", "created_at"}

func attachmentValues(a *Attachment) []any {
	return []any{a.MessageID, a.BlobSHA256, a.Filename, a.ContentType, a.Size, a.ContentID, a.Inline, a.CreatedAt}
}

var requesterColumns = []string{"email", "name", "department", "language", "bounced_at", "created_at", "updated_at"}

func requesterValues(r *Requester) []any {
	return []any{r.Email, r.Name, r.Department, r.Language, r.BouncedAt, r.CreatedAt, r.UpdatedAt}
}

var blobColumns = []string{"sha256", "data", "size", "created_at"}

func blobValues(b *Blob) []any { return []any{b.SHA256, b.Data, b.Size, b.CreatedAt} }

// insertSQL returns INSERT INTO table (columns) VALUES (…) followed by suffix, with the dialect's own
// placeholders ("?" or "$n"), so the statement is portable.
//
// The text depends only on the dialect, table, columns and suffix, never on the values: it is
// built once per kind of insert and kept in insertTexts (intake inserts a few rows per mail, and
// building the text was a tenth of the writer's own Go time).
func insertSQL(db *gorm.DB, table string, columns []string, values []any, suffix string) string {
	key := insertKey{dialect: db.Dialector.Name(), table: table, suffix: suffix, columns: strings.Join(columns, ",")}
	if text, ok := insertTexts.Load(key); ok {
		return text.(string)
	}
	var sql strings.Builder
	sql.Grow(48 + 24*len(columns) + len(suffix))
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
	sql.WriteString(") ")
	sql.WriteString(suffix)
	text := sql.String()
	insertTexts.Store(key, text)
	return text
}

// insertKey names the text of one kind of plain insert.
type insertKey struct {
	dialect, table, suffix, columns string
}

// insertTexts holds insertSQL's texts by insertKey: a few dozen, one per kind of insert. Shared
// by every Store of the process, which is safe: an entry is a pure function of its key.
var insertTexts sync.Map

// queryRow runs query, written with "?" placeholders (and no "?" anywhere else), on db's connection
// with the dialect's own placeholders and without GORM's statement building.
func queryRow(ctx context.Context, db *gorm.DB, query string, args ...any) *sql.Row {
	return db.WithContext(ctx).Statement.ConnPool.QueryRowContext(ctx, dialectPlaceholders(db, query, args), args...)
}

// queryRows is queryRow for any number of rows; the caller closes them.
func queryRows(ctx context.Context, db *gorm.DB, query string, args ...any) (*sql.Rows, error) {
	return db.WithContext(ctx).Statement.ConnPool.QueryContext(ctx, dialectPlaceholders(db, query, args), args...)
}

// dialectPlaceholders writes query's "?" placeholders as db's dialect wants them.
func dialectPlaceholders(db *gorm.DB, query string, args []any) string {
	var b strings.Builder
	b.Grow(len(query) + 2*len(args))
	stmt := &gorm.Statement{DB: db}
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' && n < len(args) {
			stmt.Vars = append(stmt.Vars, args[n])
			db.Dialector.BindVarTo(&b, stmt, args[n])
			n++
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// insertReturningID inserts one row into table and returns its id. It runs on db's connection,
// which is the transaction's inside Store.Tx.
//
// On SQLite the id is the connection's last insert rowid (every table's "id" is its INTEGER
// PRIMARY KEY, so the rowid) instead of a RETURNING clause: SQLite collects RETURNING rows in a
// table of their own and the driver reads them as a result set, which made an insert into
// messages cost about 1.5 times as much (35 µs against 21 µs, median of 8 × 2,000).
func insertReturningID(ctx context.Context, db *gorm.DB, table string, columns []string, values []any) (uint, error) {
	if isSQLite(db) {
		res, err := db.Statement.ConnPool.ExecContext(ctx, insertSQL(db, table, columns, values, ""), values...)
		if err != nil {
			return 0, fmt.Errorf("insert into %s: %w", table, err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return 0, fmt.Errorf("insert into %s: %w", table, err)
		}
		return uint(id), nil
	}
	var id uint
	query := insertSQL(db, table, columns, values, `RETURNING "id"`)
	if err := db.Statement.ConnPool.QueryRowContext(ctx, query, values...).Scan(&id); err != nil {
		return 0, fmt.Errorf("insert into %s: %w", table, err)
	}
	return id, nil
}

// insertNewReturningID inserts one row into table unless it conflicts with a unique key, and returns
// its id and whether it was inserted. On SQLite it reads the id as insertReturningID does, when
// the insert changed a row.
func insertNewReturningID(ctx context.Context, db *gorm.DB, table string, columns []string, values []any) (uint, bool, error) {
	if isSQLite(db) {
		res, err := db.Statement.ConnPool.ExecContext(ctx, insertSQL(db, table, columns, values, "ON CONFLICT DO NOTHING"), values...)
		if err != nil {
			return 0, false, fmt.Errorf("insert into %s: %w", table, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, false, fmt.Errorf("insert into %s: %w", table, err)
		}
		if n == 0 {
			return 0, false, nil
		}
		id, err := res.LastInsertId()
		if err != nil {
			return 0, false, fmt.Errorf("insert into %s: %w", table, err)
		}
		return uint(id), true, nil
	}
	var id uint
	query := insertSQL(db, table, columns, values, `ON CONFLICT DO NOTHING RETURNING "id"`)
	err := db.Statement.ConnPool.QueryRowContext(ctx, query, values...).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("insert into %s: %w", table, err)
	}
	return id, true, nil
}

// insertNew inserts one row into table unless it conflicts with a unique key.
func insertNew(ctx context.Context, db *gorm.DB, table string, columns []string, values []any) error {
	query := insertSQL(db, table, columns, values, "ON CONFLICT DO NOTHING")
	if _, err := db.Statement.ConnPool.ExecContext(ctx, query, values...); err != nil {
		return fmt.Errorf("insert into %s: %w", table, err)
	}
	return nil
}
