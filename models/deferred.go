package models

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// deferredKey marks a context whose per-mail bookkeeping writes are collected.
type deferredKey struct{}

// DeferredWrites collects, for one write transaction, rows that intake writes
// once per mail and reads back in that transaction only through the Store
// methods that know of it — intake outcomes, acknowledgement log entries,
// routing traces, full-text rows — and writes them with a few multi-row
// statements at the end (Flush) instead of one statement per mail. It also
// hands out ticket numbers from a counter read once.
//
// Use it only for a transaction that is rolled back whole when any mail in
// it fails: a savepoint rollback would not take back what is collected here.
type DeferredWrites struct {
	finished   []IntakeRecord        // intake outcomes, whole records
	acks       map[string]*ackLedger // by lower-case email
	pendingAck []AckLog
	traces     []RoutingTrace
	search     map[uint]*searchRow // by ticket ID
	searchIDs  []uint              // ticket IDs in the order first indexed
	nextNumber int64               // the next ticket number; 0 = not read yet
	// twins holds, for each mail key PreloadTwins read, the stored processed
	// records of that mail (ProcessedTwin's candidates), in id order; a key
	// with no records maps to nil. A key absent here is read by query.
	twins map[MailKey][]IntakeRecord
	// twinsCleaned is set when twins' Message-IDs are as PostgreSQL stores
	// and compares them (cleanText), not as the mail has them.
	twinsCleaned bool
}

// MailKey is what makes two intake records the same mail for deduplication:
// the Message-ID (as recorded, clipped) and the content hash.
type MailKey struct {
	MessageID, SHA256 string
}

// ackLedger is what the transaction knows of the acknowledgements to one
// address: every one sent since loadedSince (stored or pending).
type ackLedger struct {
	loadedSince time.Time
	sentAt      []time.Time
}

// searchRow is a ticket's full-text row waiting to be written; replace is
// set when the ticket already has a row in the index.
type searchRow struct {
	subject, body, requester, serial string
	replace                          bool
}

// WithDeferredWrites returns a context under which Store methods collect
// their append-only writes in the returned DeferredWrites.
func WithDeferredWrites(ctx context.Context) (context.Context, *DeferredWrites) {
	d := &DeferredWrites{acks: map[string]*ackLedger{}, search: map[uint]*searchRow{}}
	return context.WithValue(ctx, deferredKey{}, d), d
}

func deferredOf(ctx context.Context) *DeferredWrites {
	d, _ := ctx.Value(deferredKey{}).(*DeferredWrites)
	return d
}

// Flush writes everything collected through tx, the transaction it was
// collected for.
func (d *DeferredWrites) Flush(ctx context.Context, tx *Store) error {
	db := tx.w.WithContext(ctx)
	if err := tx.finishIntakes(ctx, d.finished); err != nil {
		return err
	}
	if len(d.pendingAck) > 0 {
		if err := db.CreateInBatches(&d.pendingAck, 500).Error; err != nil {
			return fmt.Errorf("record %d acknowledgements: %w", len(d.pendingAck), err)
		}
	}
	if len(d.traces) > 0 {
		if err := db.CreateInBatches(&d.traces, 200).Error; err != nil {
			return fmt.Errorf("record %d routing traces: %w", len(d.traces), err)
		}
	}
	if err := tx.writeSearchRows(ctx, d.searchIDs, d.search); err != nil {
		return err
	}
	*d = DeferredWrites{acks: map[string]*ackLedger{}, search: map[uint]*searchRow{}}
	return nil
}

// PreloadAcks reads, with one query per 500 addresses, the acknowledgements
// sent since since to each of emails, so that counting them for a batch's
// senders (CountAcksSince) needs no query per sender. A later count further
// back than since reads its address again.
func (d *DeferredWrites) PreloadAcks(ctx context.Context, tx *Store, emails []string, since time.Time) error {
	var want []string
	seen := make(map[string]bool, len(emails))
	for _, e := range emails {
		e = strings.ToLower(e)
		if l := d.acks[e]; e != "" && !seen[e] && (l == nil || since.Before(l.loadedSince)) {
			seen[e] = true
			want = append(want, e)
		}
	}
	for chunk := range slices.Chunk(want, 500) {
		var rows []AckLog
		err := tx.r.WithContext(ctx).Model(&AckLog{}).Select("email", "sent_at").
			Where("email IN ? AND sent_at >= ?", chunk, since).Find(&rows).Error
		if err != nil {
			return fmt.Errorf("read acknowledgements of %d senders: %w", len(chunk), err)
		}
		for _, e := range chunk {
			d.acks[e] = &ackLedger{loadedSince: since}
		}
		for _, r := range rows {
			if l := d.acks[r.Email]; l != nil {
				l.sentAt = append(l.sentAt, r.SentAt)
			}
		}
		for _, a := range d.pendingAck {
			if l := d.acks[a.Email]; l != nil && slices.Contains(chunk, a.Email) {
				l.sentAt = append(l.sentAt, a.SentAt)
			}
		}
	}
	return nil
}

// PreloadTwins reads, with one query per 200 keys (by Message-ID), the stored processed
// records that ProcessedTwin looks for (same Message-ID and hash, not pending,
// not themselves duplicates), so that checking a batch's mails for twins
// needs no query per mail. Keys without a Message-ID are left to
// ProcessedTwin's own query: it matches on the hash alone.
//
// What it reads stays right for the whole transaction: intake records change
// only through FinishIntake, which the deferred writes hold back until Flush,
// and through RecordFetched, which cannot write until the transaction ends
// (it waits for the one SQLite connection; for lockWrites on PostgreSQL).
func (d *DeferredWrites) PreloadTwins(ctx context.Context, tx *Store, keys []MailKey) error {
	if d.twins == nil {
		d.twins = make(map[MailKey][]IntakeRecord, len(keys))
	}
	// PostgreSQL keeps a broken Message-ID cleaned, and the per-mail query
	// finds it by the cleaned original (cleanPool): the keys are cleaned
	// alike, so that the rows read match them.
	d.twinsCleaned = !tx.sqlite()
	var want []MailKey
	seen := make(map[MailKey]bool, len(keys))
	for _, k := range keys {
		if d.twinsCleaned {
			k.MessageID = cleanText(k.MessageID)
		}
		if _, ok := d.twins[k]; k.MessageID != "" && !ok && !seen[k] {
			seen[k] = true
			want = append(want, k)
		}
	}
	for chunk := range slices.Chunk(want, 200) {
		// Only the Message-IDs go into the query; the hash is checked
		// below. SQLite's index on (message_id, sha256) takes a second IN
		// list as every combination of the two, 200 × 200 lookups: 12 ms
		// for a batch of 200 among 20,000 records, against 5.7 ms for the
		// 200 per-mail queries and 0.4 ms for the Message-IDs alone. A
		// Message-ID rarely comes with more than one content.
		ids := make([]string, len(chunk))
		asked := make(map[MailKey]bool, len(chunk))
		for i, k := range chunk {
			ids[i] = k.MessageID
			asked[k] = true
			d.twins[k] = nil // read; no record until the query finds one
		}
		rows, err := tx.r.WithContext(ctx).Raw(`SELECT id, ticket_id, message_id, sha256 FROM intake_records
			WHERE message_id IN ? AND outcome <> ? AND duplicate_of IS NULL ORDER BY id`, ids, OutcomePending).Rows()
		if err != nil {
			return fmt.Errorf("read processed twins of %d mails: %w", len(chunk), err)
		}
		err = func() error {
			defer rows.Close()
			for rows.Next() {
				var r IntakeRecord
				if err := rows.Scan(&r.ID, &r.TicketID, &r.MessageID, &r.SHA256); err != nil {
					return err
				}
				// A key of a later chunk takes its rows from its own query.
				k := MailKey{MessageID: r.MessageID, SHA256: r.SHA256}
				if asked[k] {
					got := d.twins[k]
					d.twins[k] = append(got, r)
				}
			}
			return rows.Err()
		}()
		if err != nil {
			return fmt.Errorf("read processed twins of %d mails: %w", len(chunk), err)
		}
	}
	return nil
}

// storedTwin is ProcessedTwin's query answered from what PreloadTwins read:
// the first stored twin of rec, and whether rec's key was read at all.
func (d *DeferredWrites) storedTwin(rec *IntakeRecord) (twin *IntakeRecord, loaded bool) {
	if d == nil || rec.MessageID == "" {
		return nil, false
	}
	k := MailKey{MessageID: rec.MessageID, SHA256: rec.SHA256}
	if d.twinsCleaned {
		k.MessageID = cleanText(k.MessageID)
	}
	recs, ok := d.twins[k]
	if !ok {
		return nil, false
	}
	for i := range recs {
		if recs[i].ID != rec.ID {
			return &recs[i], true
		}
	}
	return nil, true
}

// countAcks counts the acknowledgements to email since t, reading the
// address's log once per transaction.
func (d *DeferredWrites) countAcks(ctx context.Context, tx *Store, email string, since time.Time) (int64, error) {
	l := d.acks[email]
	if l == nil || since.Before(l.loadedSince) {
		var stored []time.Time
		err := tx.r.WithContext(ctx).Model(&AckLog{}).Where("email = ? AND sent_at >= ?", email, since).
			Pluck("sent_at", &stored).Error
		if err != nil {
			return 0, err
		}
		for _, a := range d.pendingAck {
			if a.Email == email {
				stored = append(stored, a.SentAt)
			}
		}
		l = &ackLedger{loadedSince: since, sentAt: stored}
		d.acks[email] = l
	}
	var n int64
	for _, at := range l.sentAt {
		if !at.Before(since) {
			n++
		}
	}
	return n, nil
}

func (d *DeferredWrites) logAck(email string, at time.Time) {
	d.pendingAck = append(d.pendingAck, AckLog{Email: email, SentAt: at})
	if l := d.acks[email]; l != nil {
		l.sentAt = append(l.sentAt, at)
	}
}

func (d *DeferredWrites) putSearchRow(ticketID uint, row searchRow) {
	if old, ok := d.search[ticketID]; ok {
		// A row first written in this transaction is not in the index yet.
		row.replace = old.replace
	} else {
		d.searchIDs = append(d.searchIDs, ticketID)
	}
	d.search[ticketID] = &row
}

// writeSearchRows replaces the full-text rows of ids with rows[id], a few
// hundred rows per statement. The one SQLite-specific write of intake.
func (s *Store) writeSearchRows(ctx context.Context, ids []uint, rows map[uint]*searchRow) error {
	db := s.w.WithContext(ctx)
	var replace []uint
	for _, id := range ids {
		if rows[id].replace {
			replace = append(replace, id)
		}
	}
	for chunk := range slices.Chunk(replace, 500) {
		if err := db.Exec("DELETE FROM ticket_fts WHERE rowid IN ?", chunk).Error; err != nil {
			return fmt.Errorf("index %d tickets: %w", len(ids), err)
		}
	}
	for chunk := range slices.Chunk(ids, 200) {
		var q strings.Builder
		args := make([]any, 0, 5*len(chunk))
		q.WriteString("INSERT INTO ticket_fts(rowid, subject, body, requester, serial) VALUES ")
		for i, id := range chunk {
			if i > 0 {
				q.WriteString(",")
			}
			q.WriteString("(?, ?, ?, ?, ?)")
			r := rows[id]
			args = append(args, id, r.subject, r.body, r.requester, r.serial)
		}
		if err := db.Exec(q.String(), args...).Error; err != nil {
			return fmt.Errorf("index %d tickets: %w", len(ids), err)
		}
	}
	return nil
}
