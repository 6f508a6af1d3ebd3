package models

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/schema"
)

// TestInsertColumnsMatchSchema fails when a field is added to a model intake inserts plainly
// without adding it to the plain INSERT that intake uses (insert.go): the new column would
// silently stay empty.
func TestInsertColumnsMatchSchema(t *testing.T) {
	cases := []struct {
		name    string
		model   any
		columns []string
		values  int
	}{
		{"messages", &Message{}, messageColumns, len(messageValues(&Message{}))},
		{"tickets", &Ticket{}, ticketColumns, len(ticketValues(&Ticket{}))},
		{"outbox_mails", &OutboxMail{}, outboxColumns, len(outboxValues(&OutboxMail{}))},
		{"intake_records", &IntakeRecord{}, intakeColumns, len(intakeValues(&IntakeRecord{}))},
		{"blobs", &Blob{}, blobColumns, len(blobValues(&Blob{}))},
		{"requesters", &Requester{}, requesterColumns, len(requesterValues(&Requester{}))},
		{"attachments", &Attachment{}, attachmentColumns, len(attachmentValues(&Attachment{}))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sch, err := schema.Parse(c.model, &sync.Map{}, schema.NamingStrategy{})
			if err != nil {
				t.Fatal(err)
			}
			if sch.Table != c.name {
				t.Errorf("table %q, insert.go writes %q", sch.Table, c.name)
			}
			var want []string
			for _, f := range sch.Fields {
				if f.DBName != "" && (f.DBName != "id" || !f.AutoIncrement) {
					want = append(want, f.DBName)
				}
			}
			got := slices.Clone(c.columns)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("insert columns %v, schema has %v", got, want)
			}
			if c.values != len(c.columns) {
				t.Errorf("%d values for %d columns", c.values, len(c.columns))
			}
		})
	}
}

// TestPlainInsertsReadBackLikeGORM stores a ticket, a message and an outbox mail through the plain
// inserts and reads them back with GORM: every field round-trips, ids and defaults are filled in.
func TestPlainInsertsReadBackLikeGORM(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	req, err := s.UpsertRequester(ctx, "anna@example.se", "Anna", "sv")
	if err != nil {
		t.Fatal(err)
	}
	due := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	tk := &Ticket{Subject: "Skärmen är sprucken", RequesterID: req.ID, Status: "new", Category: "hardware",
		FaultMatches: "skärm", Language: "sv", Cc: "bo@example.se", SLADueAt: &due}
	if err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if tk.ID == 0 || tk.Number < firstTicketNumber || tk.Priority != "normal" || tk.CreatedAt.IsZero() {
		t.Fatalf("ticket after insert: %+v", tk)
	}
	var gotTicket Ticket
	if err := s.r.First(&gotTicket, tk.ID).Error; err != nil {
		t.Fatal(err)
	}
	if gotTicket.Subject != tk.Subject || gotTicket.Number != tk.Number || gotTicket.Priority != "normal" ||
		gotTicket.SLADueAt == nil || !gotTicket.SLADueAt.Equal(due) || gotTicket.AssetID != nil ||
		!sameMicrosecond(gotTicket.CreatedAt, tk.CreatedAt) || gotTicket.Cc != tk.Cc {
		t.Errorf("ticket read back %+v, stored %+v", gotTicket, tk)
	}

	ob := &OutboxMail{TicketID: &tk.ID, MessageID: "ack.1@desk", FromAddr: "desk@example.se",
		Recipients: "anna@example.se", Subject: "Re: x", Purpose: "ack", Raw: []byte("Subject: x\r\n\r\nhej")}
	if err := s.EnqueueMail(ctx, ob); err != nil {
		t.Fatal(err)
	}
	var gotOutbox OutboxMail
	if err := s.r.First(&gotOutbox, ob.ID).Error; err != nil {
		t.Fatal(err)
	}
	if string(gotOutbox.Raw) != string(ob.Raw) || gotOutbox.Status != OutboxQueued || gotOutbox.TicketID == nil ||
		*gotOutbox.TicketID != tk.ID || !sameMicrosecond(gotOutbox.NextAttemptAt, ob.NextAttemptAt) {
		t.Errorf("outbox read back %+v, stored %+v", gotOutbox, ob)
	}

	m := &Message{TicketID: tk.ID, Direction: DirOut, Kind: KindSystem, FromEmail: "desk@example.se",
		To: "anna@example.se", Subject: "Re: x", Text: "hej", References: "<a@b> <c@d>", OutboxID: &ob.ID}
	if err := s.AddMessage(ctx, m); err != nil {
		t.Fatal(err)
	}
	var gotMessage Message
	if err := s.r.First(&gotMessage, m.ID).Error; err != nil {
		t.Fatal(err)
	}
	if gotMessage.To != m.To || gotMessage.References != m.References || gotMessage.OutboxID == nil ||
		*gotMessage.OutboxID != ob.ID || gotMessage.AgentID != nil || !sameMicrosecond(gotMessage.CreatedAt, m.CreatedAt) {
		t.Errorf("message read back %+v, stored %+v", gotMessage, m)
	}

	// A message with attachments: each attachment row points at its message, fields round-trip.
	sum, err := s.PutBlob(ctx, []byte("%PDF-1.4 kvitto"))
	if err != nil {
		t.Fatal(err)
	}
	withFiles := &Message{TicketID: tk.ID, Direction: DirIn, Kind: KindEmail, FromEmail: "anna@example.se", Text: "se bilagor",
		Attachments: []Attachment{
			{BlobSHA256: sum, Filename: "kvitto.pdf", ContentType: "application/pdf", Size: 15},
			{BlobSHA256: sum, Filename: "bild.png", ContentType: "image/png", Size: 15, ContentID: "bild1@x", Inline: true},
		}}
	if err := s.AddMessage(ctx, withFiles); err != nil {
		t.Fatal(err)
	}
	var gotFiles Message
	if err := s.r.Preload("Attachments").First(&gotFiles, withFiles.ID).Error; err != nil {
		t.Fatal(err)
	}
	if len(gotFiles.Attachments) != 2 {
		t.Fatalf("attachments read back %+v", gotFiles.Attachments)
	}
	for i, a := range gotFiles.Attachments {
		w := withFiles.Attachments[i]
		if a.ID == 0 || a.ID != w.ID || a.MessageID != withFiles.ID || a.BlobSHA256 != sum || a.Filename != w.Filename ||
			a.ContentType != w.ContentType || a.Size != w.Size || a.ContentID != w.ContentID || a.Inline != w.Inline ||
			!sameMicrosecond(a.CreatedAt, withFiles.CreatedAt) {
			t.Errorf("attachment %d read back %+v, stored %+v", i, a, w)
		}
	}
}

// sameMicrosecond reports whether two times are the same to the
// microsecond, which is what PostgreSQL stores (SQLite keeps nanoseconds).
func sameMicrosecond(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

// TestPlainInsertIDsAreTheRows checks the ids the plain inserts report
// (on SQLite the connection's last insert rowid) against the rows written:
// each table's id is its rowid, a skipped conflicting insert reports no id
// even right after another table's insert, and the rows inserted around it
// keep theirs.
func TestPlainInsertIDsAreTheRows(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	if s.sqlite() {
		for _, table := range []string{"messages", "tickets", "outbox_mails", "intake_records", "requesters", "attachments"} {
			var typ string
			var pk int
			if err := s.r.Raw(`SELECT type, pk FROM pragma_table_info(?) WHERE name = 'id'`, table).Row().Scan(&typ, &pk); err != nil {
				t.Fatal(table, err)
			}
			if !strings.EqualFold(typ, "integer") || pk != 1 {
				t.Errorf("%s.id is %s (pk %d); the plain inserts take the rowid for it", table, typ, pk)
			}
		}
	}
	err := s.Tx(ctx, func(tx *Store) error {
		db := tx.w.WithContext(ctx)
		now := time.Now().UTC()
		var ids []uint
		for i, email := range []string{"anna@kommun.test", "bo@kommun.test", "cia@kommun.test"} {
			// Rows of another table in between move the last insert rowid on.
			rec := IntakeRecord{Mailbox: "INBOX", UIDValidity: 1, UID: uint32(i + 1), SHA256: "h", Outcome: OutcomePending, FetchedAt: now}
			if _, inserted, err := insertNewReturningID(ctx, db, "intake_records", intakeColumns, intakeValues(&rec)); err != nil || !inserted {
				t.Fatalf("intake record %d: inserted %v, %v", i+1, inserted, err)
			}
			id, err := insertReturningID(ctx, db, "requesters", requesterColumns, requesterValues(&Requester{Email: email, CreatedAt: now, UpdatedAt: now}))
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		for i, email := range []string{"anna@kommun.test", "bo@kommun.test", "cia@kommun.test"} {
			var id uint
			if err := tx.r.Raw("SELECT id FROM requesters WHERE email = ?", email).Row().Scan(&id); err != nil {
				return err
			}
			if ids[i] != id {
				t.Errorf("%s: insert reported id %d; the row has %d", email, ids[i], id)
			}
		}
		// UID 2 again, right after a requester's insert: skipped, no id.
		again := IntakeRecord{Mailbox: "INBOX", UIDValidity: 1, UID: 2, SHA256: "h", Outcome: OutcomePending, FetchedAt: now}
		if id, inserted, err := insertNewReturningID(ctx, db, "intake_records", intakeColumns, intakeValues(&again)); err != nil || inserted || id != 0 {
			t.Errorf("a recorded UID again: id %d, inserted %v, %v; want skipped", id, inserted, err)
		}
		fresh := IntakeRecord{Mailbox: "INBOX", UIDValidity: 1, UID: 9, SHA256: "h", Outcome: OutcomePending, FetchedAt: now}
		id, inserted, err := insertNewReturningID(ctx, db, "intake_records", intakeColumns, intakeValues(&fresh))
		if err != nil || !inserted {
			t.Fatalf("a new UID: inserted %v, %v", inserted, err)
		}
		var uid uint32
		if err := tx.r.Raw("SELECT uid FROM intake_records WHERE id = ?", id).Row().Scan(&uid); err != nil || uid != 9 {
			t.Errorf("record #%d has uid %d (%v); want 9", id, uid, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestInsertSQLPerDialect checks that the kept insert texts are told apart
// by dialect, table, columns and suffix: PostgreSQL numbers its
// placeholders, SQLite does not, whichever was built first.
func TestInsertSQLPerDialect(t *testing.T) {
	pg := &gorm.DB{Config: &gorm.Config{Dialector: postgres.Dialector{Config: &postgres.Config{}}}}
	lite := &gorm.DB{Config: &gorm.Config{Dialector: sqlite.Dialector{}}}
	cols := []string{"email", "sent_at"}
	vals := []any{"a@b.test", time.Time{}}
	cases := []struct {
		name   string
		db     *gorm.DB
		table  string
		cols   []string
		suffix string
		want   string
	}{
		{"postgres", pg, "ack_logs", cols, "", `INSERT INTO "ack_logs" ("email", "sent_at") VALUES ($1, $2) `},
		{"sqlite", lite, "ack_logs", cols, "", `INSERT INTO "ack_logs" ("email", "sent_at") VALUES (?, ?) `},
		{"postgres again", pg, "ack_logs", cols, "", `INSERT INTO "ack_logs" ("email", "sent_at") VALUES ($1, $2) `},
		{"suffix", lite, "ack_logs", cols, "ON CONFLICT DO NOTHING", `INSERT INTO "ack_logs" ("email", "sent_at") VALUES (?, ?) ON CONFLICT DO NOTHING`},
		{"other table", lite, "ack_log2", cols, "", `INSERT INTO "ack_log2" ("email", "sent_at") VALUES (?, ?) `},
		{"other columns", lite, "ack_logs", []string{"email", "created_at"}, "", `INSERT INTO "ack_logs" ("email", "created_at") VALUES (?, ?) `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := insertSQL(c.db, c.table, c.cols, vals, c.suffix); got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}
