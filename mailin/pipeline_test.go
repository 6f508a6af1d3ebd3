package mailin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

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
	store, err := models.Open(ctx, models.Options{DSN: t.TempDir() + "/wd.db"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
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
