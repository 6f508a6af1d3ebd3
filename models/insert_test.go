package models

import (
	"context"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

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
