package mailin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"warrantydesk/internal/teststore"
	"warrantydesk/models"
)

// recordingDesk is a Desk that writes one audit row per applied mail, and
// fails — after writing — on a mail whose subject says "poison".
type recordingDesk struct{}

func (recordingDesk) Thread(context.Context, *models.Store, *Parsed) (Thread, error) {
	return Thread{}, nil
}

func (recordingDesk) Apply(ctx context.Context, tx *models.Store, rec *models.IntakeRecord, p *Parsed, _ Thread) (Result, error) {
	if err := tx.AddAudit(ctx, models.AuditEvent{Actor: "intake", Object: "intake", ObjectID: rec.ID, Field: "subject", New: p.Subject}); err != nil {
		return Result{}, err
	}
	if strings.Contains(p.Subject, "poison") {
		return Result{}, errors.New("the desk cannot take this mail")
	}
	return Result{Outcome: models.OutcomeCreated, Reason: "applied"}, nil
}

func (recordingDesk) AfterCommit() {}

func TestABadMailInABatchIsQuarantinedAloneAndTheOthersLand(t *testing.T) {
	ctx := t.Context()
	store := teststore.Open(t, models.Options{})
	subjects := []string{"printer jams", "screen flickers", "poison: this one fails", "dock is dead", "no sound"}
	var mails []models.FetchedMail
	for i, s := range subjects {
		raw := fmt.Sprintf("From: Anna <anna@kommun.example>\r\nTo: helpdesk@kommun.example\r\nSubject: %s\r\nMessage-ID: <m%d@kommun.example>\r\n\r\nHej!\r\n", s, i)
		mails = append(mails, models.FetchedMail{UID: uint32(i + 1), Raw: []byte(raw)})
	}
	ids, err := store.RecordFetched(ctx, "INBOX", 1, mails)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProcessor(store, recordingDesk{}, ClassifyOptions{}, nil)
	n, err := p.ProcessPending(ctx)
	if err != nil || n != len(mails) {
		t.Fatalf("processed %d of %d: %v", n, len(mails), err)
	}
	for i, id := range ids {
		rec, err := store.IntakeByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		audit, err := store.Audit(ctx, "intake", id)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(subjects[i], "poison") {
			if rec.Outcome != models.OutcomeQuarantined || !strings.Contains(rec.Reason, "could not apply: the desk cannot take this mail") {
				t.Errorf("the failing mail: outcome %q reason %q; want quarantined with the desk's reason", rec.Outcome, rec.Reason)
			}
			if len(audit) != 0 {
				t.Errorf("the failing mail left %d writes behind; want them rolled back", len(audit))
			}
			continue
		}
		if rec.Outcome != models.OutcomeCreated {
			t.Errorf("%q: outcome %q (%s); want created", subjects[i], rec.Outcome, rec.Reason)
		}
		if len(audit) != 1 {
			t.Errorf("%q: applied %d times; want exactly once", subjects[i], len(audit))
		}
	}
	if n, err := p.ProcessPending(ctx); err != nil || n != 0 {
		t.Errorf("second pass processed %d mails (%v); want none left pending", n, err)
	}
}

// ticketDesk is a Desk that opens a ticket numbered after the intake record
// for every mail it is given.
type ticketDesk struct{}

func (ticketDesk) Thread(context.Context, *models.Store, *Parsed) (Thread, error) {
	return Thread{}, nil
}

func (ticketDesk) Apply(_ context.Context, _ *models.Store, rec *models.IntakeRecord, _ *Parsed, _ Thread) (Result, error) {
	ticket := 1000 + rec.ID
	return Result{Outcome: models.OutcomeCreated, Reason: "applied", TicketID: &ticket}, nil
}

func (ticketDesk) AfterCommit() {}

// TestDuplicatesAreIgnoredWhetherStoredOrEarlierInTheBatch checks intake's
// dedupe across batches and within one: a mail already processed is ignored
// as a duplicate of the first record that processed it (the database's, or
// an earlier one of the same batch), and only the same Message-ID with the
// same content counts.
func TestDuplicatesAreIgnoredWhetherStoredOrEarlierInTheBatch(t *testing.T) {
	ctx := t.Context()
	store := teststore.Open(t, models.Options{})
	mail := func(msgID, body string) []byte {
		h := "From: Anna <anna@kommun.example>\r\nTo: helpdesk@kommun.example\r\nSubject: printer\r\n"
		if msgID != "" {
			h += "Message-ID: " + msgID + "\r\n"
		}
		return []byte(h + "\r\n" + body + "\r\n")
	}
	a, b := mail("<a@kommun.example>", "Printer jams."), mail("<b@kommun.example>", "Screen flickers.")
	aEdited := mail("<a@kommun.example>", "Printer jams. Again.")
	noID := mail("", "No Message-ID here.")
	p := NewProcessor(store, ticketDesk{}, ClassifyOptions{}, nil)
	process := func(first uint32, raws ...[]byte) []uint {
		t.Helper()
		var mails []models.FetchedMail
		for i, raw := range raws {
			mails = append(mails, models.FetchedMail{UID: first + uint32(i), Raw: raw})
		}
		ids, err := store.RecordFetched(ctx, "INBOX", 1, mails)
		if err != nil {
			t.Fatal(err)
		}
		if n, err := p.ProcessPending(ctx); err != nil || n != len(raws) {
			t.Fatalf("processed %d of %d: %v", n, len(raws), err)
		}
		return ids
	}
	first := process(1, a, noID)
	second := process(3, a, b, b, aEdited, noID, a)
	cases := []struct {
		name     string
		id       uint
		original uint // 0 = not a duplicate
	}{
		{"stored twin", second[0], first[0]},
		{"new mail", second[1], 0},
		{"twin earlier in the batch", second[2], second[1]},
		{"same Message-ID, other content", second[3], 0},
		{"no Message-ID, stored twin by content", second[4], first[1]},
		{"a third copy points at the first, not at a duplicate", second[5], first[0]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec, err := store.IntakeByID(ctx, c.id)
			if err != nil {
				t.Fatal(err)
			}
			if c.original == 0 {
				if rec.Outcome != models.OutcomeCreated || rec.DuplicateOf != nil {
					t.Errorf("outcome %q (%s), duplicate of %v; want created", rec.Outcome, rec.Reason, rec.DuplicateOf)
				}
				return
			}
			want := fmt.Sprintf("duplicate of intake #%d (same Message-ID and content)", c.original)
			if rec.Outcome != models.OutcomeIgnored || rec.Reason != want || rec.DuplicateOf == nil || *rec.DuplicateOf != c.original {
				t.Errorf("outcome %q (%s), duplicate of %v; want ignored: %s", rec.Outcome, rec.Reason, rec.DuplicateOf, want)
			}
			if rec.TicketID == nil || *rec.TicketID != 1000+c.original {
				t.Errorf("ticket %v; want the original's, %d", rec.TicketID, 1000+c.original)
			}
		})
	}
}
