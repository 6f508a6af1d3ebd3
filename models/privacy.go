package models

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// ErasedSubject replaces the subject of a ticket whose content was erased.
const ErasedSubject = "[erased]"

// erasedName replaces a person's name where it appears in free text (audit values).
const erasedName = "[erased]"

// emptyBlobSHA256 is the key of the empty blob that erased attachments point at.
var emptyBlobSHA256 = SHA256Hex(nil)

// Erasure says whose personal data to remove. Everything happens in one
// transaction, and erasing again changes nothing more.
type Erasure struct {
	// Email is the person's address; empty erases only the content of TicketIDs.
	Email string
	// Name is the person's display name, scrubbed from audit values.
	Name string
	// Pseudonym replaces Email wherever an address must stay (e.g. "erased-17@invalid").
	Pseudonym string
	// RequesterID is the person's requester row (renamed to Pseudonym), 0 when none.
	RequesterID uint
	// TicketIDs are the tickets whose whole conversation is erased: the
	// person's own tickets, or the tickets retention has selected.
	TicketIDs []uint
	// RequesterOnly limits an erasure by Email to the requester row, the
	// acknowledgement log and audit mentions: the person's mail on tickets
	// outside TicketIDs stays (retention uses it for a requester whose
	// tickets have all been erased).
	RequesterOnly bool
	// ClearAssets removes the person as the assignee of devices (the devices stay).
	ClearAssets bool
	// Reason ("request", "retention") and Actor are recorded in privacy_erasures.
	Reason, Actor string
	At            time.Time
}

// ErasureCounts says how many rows an erasure changed.
type ErasureCounts struct {
	Tickets       int64 `json:"tickets"`
	Messages      int64 `json:"messages"`
	Attachments   int64 `json:"attachments"`
	Blobs         int64 `json:"blobs_deleted"`
	IntakeRecords int64 `json:"intake_records"`
	OutboxMails   int64 `json:"outbox_mails"`
	AuditEvents   int64 `json:"audit_events"`
	Assets        int64 `json:"assets"`
}

// Add sums two counts.
func (c *ErasureCounts) Add(o ErasureCounts) {
	c.Tickets += o.Tickets
	c.Messages += o.Messages
	c.Attachments += o.Attachments
	c.Blobs += o.Blobs
	c.IntakeRecords += o.IntakeRecords
	c.OutboxMails += o.OutboxMails
	c.AuditEvents += o.AuditEvents
	c.Assets += o.Assets
}

// liveIntakeSQL matches intake records whose personal data is still there.
const liveIntakeSQL = "(subject <> '' OR (from_email <> '' AND from_email NOT LIKE 'erased%@invalid'))"

// emailRe finds addresses in free text (intake reasons).
var emailRe = regexp.MustCompile(`[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}`)

// Erase removes personal data as e says: the conversation of e.TicketIDs
// (texts, HTML, subjects, addresses, attachment bytes), the person's own
// messages elsewhere, the intake records and raw mails of those messages,
// the stored outgoing mails to the person or about those tickets, and the
// full-text rows; the requester becomes a pseudonym. Ticket numbers,
// statuses, categories, dates, assets and counts stay.
func (s *Store) Erase(ctx context.Context, e Erasure) (ErasureCounts, error) {
	var n ErasureCounts
	err := s.Tx(ctx, func(tx *Store) error {
		var err error
		n, err = tx.erase(ctx, e)
		return err
	})
	return n, err
}

func (s *Store) erase(ctx context.Context, e Erasure) (ErasureCounts, error) {
	var n ErasureCounts
	g := s.w.WithContext(ctx)
	email := strings.ToLower(strings.TrimSpace(e.Email))
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	if email != "" && e.Pseudonym == "" {
		return n, fmt.Errorf("erase %q: no pseudonym", email)
	}
	// sweep is the address whose mail is erased wherever it is.
	sweep := email
	if e.RequesterOnly {
		sweep = ""
	}
	ticketIDs := append([]uint(nil), e.TicketIDs...)
	reindex := map[uint]bool{}
	for _, id := range ticketIDs {
		reindex[id] = true
	}

	// Messages: every message of the tickets, and the person's own elsewhere.
	var msgs []struct {
		ID             uint
		TicketID       uint
		IntakeRecordID *uint
	}
	q := g.Model(&Message{}).Select("id, ticket_id, intake_record_id")
	if sweep != "" {
		q = q.Where("ticket_id IN ? OR lower(from_email) = ?", nonEmpty(ticketIDs), sweep)
	} else {
		q = q.Where("ticket_id IN ?", nonEmpty(ticketIDs))
	}
	if err := q.Scan(&msgs).Error; err != nil {
		return n, fmt.Errorf("find messages: %w", err)
	}
	msgIDs := make([]uint, 0, len(msgs))
	intakeIDs := map[uint]bool{}
	for _, m := range msgs {
		msgIDs = append(msgIDs, m.ID)
		reindex[m.TicketID] = true
		if m.IntakeRecordID != nil {
			intakeIDs[*m.IntakeRecordID] = true
		}
	}
	for _, ids := range chunk(msgIDs) {
		res := g.Exec(`UPDATE messages SET from_name = '', "to" = '', cc = '', subject = '', text = '', html = '',
			from_email = CASE WHEN lower(from_email) = ? AND ? <> '' THEN ?
				WHEN agent_id IS NOT NULL OR kind IN (?, ?, ?) THEN from_email ELSE '' END
			WHERE id IN ?`, sweep, sweep, e.Pseudonym, KindVendorIn, KindVendorOut, KindSystem, ids)
		if res.Error != nil {
			return n, fmt.Errorf("erase messages: %w", res.Error)
		}
		n.Messages += res.RowsAffected
	}

	// Attachments of those messages lose their bytes.
	blobs := map[string]bool{}
	if len(msgIDs) > 0 {
		if err := g.Clauses(clause.OnConflict{DoNothing: true}).
			Create(&Blob{SHA256: emptyBlobSHA256, Data: []byte{}, CreatedAt: e.At}).Error; err != nil {
			return n, fmt.Errorf("store empty blob: %w", err)
		}
	}
	for _, ids := range chunk(msgIDs) {
		var sums []string
		if err := g.Model(&Attachment{}).Where("message_id IN ? AND blob_sha256 <> ?", ids, emptyBlobSHA256).
			Distinct().Pluck("blob_sha256", &sums).Error; err != nil {
			return n, fmt.Errorf("find attachments: %w", err)
		}
		for _, sum := range sums {
			blobs[sum] = true
		}
		res := g.Exec(`UPDATE attachments SET blob_sha256 = ?, filename = 'erased', content_type = 'application/octet-stream',
			size = 0, content_id = '' WHERE message_id IN ? AND blob_sha256 <> ?`, emptyBlobSHA256, ids, emptyBlobSHA256)
		if res.Error != nil {
			return n, fmt.Errorf("erase attachments: %w", res.Error)
		}
		n.Attachments += res.RowsAffected
	}

	// The person's address in other messages' recipient lists and other tickets' Cc.
	if sweep != "" {
		if err := rewriteAddressLists(g, "messages", []string{`"to"`, "cc"}, sweep, e.Pseudonym, nil); err != nil {
			return n, err
		}
		if err := rewriteAddressLists(g, "tickets", []string{"cc"}, sweep, e.Pseudonym, reindex); err != nil {
			return n, err
		}
	}

	// Intake records: the mails of those messages, the person's mails, the
	// mails of the tickets, and every copy of the same raw mail.
	intake, err := s.intakeToErase(g, sweep, ticketIDs, intakeIDs)
	if err != nil {
		return n, err
	}
	for _, r := range intake {
		blobs[r.SHA256] = true
		from := ""
		if sweep != "" && strings.EqualFold(r.FromEmail, sweep) {
			from = e.Pseudonym
		}
		fields := map[string]any{"from_email": from, "subject": "", "reason": emailRe.ReplaceAllString(r.Reason, "[erased]")}
		if r.Outcome == OutcomePending {
			// Never processed: nothing may be made of it after the erasure.
			fields["outcome"], fields["reason"], fields["processed_at"] = OutcomeIgnored, "personal data erased before processing", e.At
		}
		if err := g.Model(&IntakeRecord{}).Where("id = ?", r.ID).UpdateColumns(fields).Error; err != nil {
			return n, fmt.Errorf("erase intake record %d: %w", r.ID, err)
		}
		n.IntakeRecords++
	}

	// Raw mails and attachment bytes nobody else refers to.
	for sum := range blobs {
		if sum == emptyBlobSHA256 {
			continue
		}
		res := g.Exec(`DELETE FROM blobs WHERE sha256 = ?
			AND NOT EXISTS (SELECT 1 FROM attachments WHERE blob_sha256 = ?)
			AND NOT EXISTS (SELECT 1 FROM intake_records WHERE sha256 = ? AND `+liveIntakeSQL+`)`, sum, sum, sum)
		if res.Error != nil {
			return n, fmt.Errorf("delete blob: %w", res.Error)
		}
		n.Blobs += res.RowsAffected
	}

	// Outgoing mails about the tickets or to the person.
	if n.OutboxMails, err = eraseOutbox(g, sweep, e.Pseudonym, ticketIDs); err != nil {
		return n, err
	}

	// Webhook payloads about the tickets carry the person's name and address:
	// deliveries still queued or logged are dropped (receivers already have
	// what was delivered; erasing there is the receiver's duty).
	for _, ids := range chunk(ticketIDs) {
		if err := g.Where("ticket_id IN ?", ids).Delete(&WebhookDelivery{}).Error; err != nil {
			return n, fmt.Errorf("erase webhook deliveries: %w", err)
		}
	}

	// The tickets keep number, status, category, priority, asset and dates.
	for _, ids := range chunk(ticketIDs) {
		res := g.Exec(`UPDATE tickets SET subject = ?, cc = '' WHERE id IN ?`, ErasedSubject, ids)
		if res.Error != nil {
			return n, fmt.Errorf("erase tickets: %w", res.Error)
		}
		n.Tickets += res.RowsAffected
		if err := g.Exec(`UPDATE audit_events SET old = '', new = '' WHERE object = 'ticket' AND object_id IN ?
			AND field IN ('subject', 'cc')`, ids).Error; err != nil {
			return n, fmt.Errorf("erase ticket audit: %w", err)
		}
		for _, id := range ids {
			if err := recordErasure(g, "ticket", id, e); err != nil {
				return n, err
			}
		}
	}

	if email != "" {
		if e.RequesterID != 0 {
			if err := g.Exec(`UPDATE requesters SET email = ?, name = '' WHERE id = ?`, e.Pseudonym, e.RequesterID).Error; err != nil {
				return n, fmt.Errorf("pseudonymise requester: %w", err)
			}
			if err := recordErasure(g, "requester", e.RequesterID, e); err != nil {
				return n, err
			}
			// Their tickets' full-text rows name them.
			var own []uint
			if err := g.Model(&Ticket{}).Where("requester_id = ?", e.RequesterID).Pluck("id", &own).Error; err != nil {
				return n, fmt.Errorf("find requester's tickets: %w", err)
			}
			for _, id := range own {
				reindex[id] = true
			}
		}
		if err := g.Exec(`DELETE FROM ack_logs WHERE email = ?`, email).Error; err != nil {
			return n, fmt.Errorf("erase acknowledgement log: %w", err)
		}
		if e.ClearAssets {
			res := g.Exec(`UPDATE assets SET assigned_to = '' WHERE lower(assigned_to) = ?`, email)
			if res.Error != nil {
				return n, fmt.Errorf("erase asset assignment: %w", res.Error)
			}
			n.Assets = res.RowsAffected
		}
		res := g.Exec(`UPDATE audit_events SET old = replace(old, ?, ?), new = replace(new, ?, ?)
			WHERE `+containsSQL(g, "old")+` OR `+containsSQL(g, "new"), email, e.Pseudonym, email, e.Pseudonym, email, email)
		if res.Error != nil {
			return n, fmt.Errorf("erase audit values: %w", res.Error)
		}
		n.AuditEvents += res.RowsAffected
		if name := strings.TrimSpace(e.Name); len([]rune(name)) >= 3 {
			res := g.Exec(`UPDATE audit_events SET old = replace(old, ?, ?), new = replace(new, ?, ?)
				WHERE `+containsSQL(g, "old")+` OR `+containsSQL(g, "new"), name, erasedName, name, erasedName, name, name)
			if res.Error != nil {
				return n, fmt.Errorf("erase audit values: %w", res.Error)
			}
			n.AuditEvents += res.RowsAffected
		}
	}

	// Full-text rows are rebuilt from what is left.
	for id := range reindex {
		if err := s.IndexTicket(ctx, id); err != nil && err != ErrNotFound {
			return n, err
		}
	}
	return n, nil
}

// intakeToErase loads the intake records an erasure covers.
func (s *Store) intakeToErase(g *gorm.DB, email string, ticketIDs []uint, ids map[uint]bool) ([]IntakeRecord, error) {
	byID := map[uint]IntakeRecord{}
	add := func(q *gorm.DB) error {
		var rows []IntakeRecord
		if err := q.Select("id, sha256, from_email, reason, outcome").Find(&rows).Error; err != nil {
			return fmt.Errorf("find intake records: %w", err)
		}
		for _, r := range rows {
			byID[r.ID] = r
		}
		return nil
	}
	if email != "" {
		if err := add(g.Model(&IntakeRecord{}).Where("lower(from_email) = ?", email)); err != nil {
			return nil, err
		}
	}
	for _, c := range chunk(ticketIDs) {
		if err := add(g.Model(&IntakeRecord{}).Where("ticket_id IN ?", c)); err != nil {
			return nil, err
		}
	}
	list := make([]uint, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	for _, c := range chunk(list) {
		if err := add(g.Model(&IntakeRecord{}).Where("id IN ?", c)); err != nil {
			return nil, err
		}
	}
	// Other copies of the same raw mail (a duplicate delivery) hold the same data.
	sums := map[string]bool{}
	for _, r := range byID {
		sums[r.SHA256] = true
	}
	var sumList []string
	for sum := range sums {
		sumList = append(sumList, sum)
	}
	for i := 0; i < len(sumList); i += 500 {
		if err := add(g.Model(&IntakeRecord{}).Where("sha256 IN ?", sumList[i:min(i+500, len(sumList))])); err != nil {
			return nil, err
		}
	}
	out := make([]IntakeRecord, 0, len(byID))
	for _, r := range byID {
		out = append(out, r)
	}
	return out, nil
}

// eraseOutbox empties the stored raw mail, subject and recipients of the
// outgoing mails of ticketIDs and of every mail to email. A mail still
// queued is given up: its content is gone.
func eraseOutbox(g *gorm.DB, email, pseudonym string, ticketIDs []uint) (int64, error) {
	type row struct {
		ID         uint
		Recipients string
		Status     string
		Subject    string
		RawLen     int
	}
	byID := map[uint]row{}
	load := func(q *gorm.DB) error {
		var rows []row
		if err := q.Select("id, recipients, status, subject, length(raw) AS raw_len").Scan(&rows).Error; err != nil {
			return fmt.Errorf("find outgoing mail: %w", err)
		}
		for _, r := range rows {
			byID[r.ID] = r
		}
		return nil
	}
	for _, c := range chunk(ticketIDs) {
		if err := load(g.Model(&OutboxMail{}).Where("ticket_id IN ?", c)); err != nil {
			return 0, err
		}
	}
	if email != "" {
		var rows []row
		if err := g.Model(&OutboxMail{}).Select("id, recipients, status, subject, length(raw) AS raw_len").
			Where(containsSQL(g, "lower(recipients)"), email).Scan(&rows).Error; err != nil {
			return 0, fmt.Errorf("find outgoing mail: %w", err)
		}
		for _, r := range rows {
			if _, changed := replaceAddress(r.Recipients, email, pseudonym); changed {
				byID[r.ID] = r
			}
		}
	}
	var n int64
	for _, r := range byID {
		recipients := ""
		if email != "" {
			recipients, _ = replaceAddress(r.Recipients, email, pseudonym)
		}
		if r.RawLen == 0 && r.Subject == "" && recipients == r.Recipients && r.Status != OutboxQueued {
			continue // erased before
		}
		fields := map[string]any{"raw": []byte{}, "subject": "", "recipients": recipients}
		if r.Status == OutboxQueued {
			fields["status"], fields["last_error"] = OutboxFailed, "personal data erased before delivery"
		}
		if err := g.Model(&OutboxMail{}).Where("id = ?", r.ID).UpdateColumns(fields).Error; err != nil {
			return n, fmt.Errorf("erase outgoing mail %d: %w", r.ID, err)
		}
		n++
	}
	return n, nil
}

// rewriteAddressLists replaces email by pseudonym in comma-separated address
// columns of table, and notes the ticket of each changed row in touched.
func rewriteAddressLists(g *gorm.DB, table string, columns []string, email, pseudonym string, touched map[uint]bool) error {
	for _, col := range columns {
		var rows []struct {
			ID   uint
			List string
		}
		if err := g.Table(table).Select("id, "+col+" AS list").Where(containsSQL(g, "lower("+col+")"), email).
			Scan(&rows).Error; err != nil {
			return fmt.Errorf("find %s.%s: %w", table, col, err)
		}
		for _, r := range rows {
			list, changed := replaceAddress(r.List, email, pseudonym)
			if !changed {
				continue
			}
			if err := g.Exec("UPDATE "+table+" SET "+col+" = ? WHERE id = ?", list, r.ID).Error; err != nil {
				return fmt.Errorf("rewrite %s.%s: %w", table, col, err)
			}
			if touched != nil {
				touched[r.ID] = true
			}
		}
	}
	return nil
}

// replaceAddress replaces email (bare or as "Name <email>") in a
// comma-separated address list by pseudonym.
func replaceAddress(list, email, pseudonym string) (string, bool) {
	parts := strings.Split(list, ",")
	changed := false
	for i, p := range parts {
		addr := strings.ToLower(strings.TrimSpace(p))
		if j := strings.LastIndex(addr, "<"); j >= 0 && strings.HasSuffix(addr, ">") {
			addr = addr[j+1 : len(addr)-1]
		}
		if addr == email {
			parts[i] = pseudonym
			changed = true
		} else {
			parts[i] = strings.TrimSpace(p)
		}
	}
	if !changed {
		return list, false
	}
	return strings.Join(parts, ", "), true
}

func recordErasure(g *gorm.DB, object string, id uint, e Erasure) error {
	err := g.Exec(`INSERT INTO privacy_erasures(object, object_id, reason, actor, erased_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT(object, object_id) DO NOTHING`, object, id, e.Reason, e.Actor, e.At).Error
	if err != nil {
		return fmt.Errorf("record erasure of %s %d: %w", object, id, err)
	}
	return nil
}

// nonEmpty keeps an IN list valid SQL when ids is empty (IN (NULL) matches nothing).
func nonEmpty(ids []uint) []uint {
	if len(ids) == 0 {
		return []uint{0}
	}
	return ids
}

// chunk splits ids into slices small enough for SQLite's bound-parameter limit.
func chunk(ids []uint) [][]uint {
	var out [][]uint
	for i := 0; i < len(ids); i += 500 {
		out = append(out, ids[i:min(i+500, len(ids))])
	}
	return out
}

// RequesterByEmail loads a requester by address (case-insensitive).
func (s *Store) RequesterByEmail(ctx context.Context, email string) (*Requester, error) {
	var r Requester
	err := s.r.WithContext(ctx).Where("email = ?", strings.ToLower(strings.TrimSpace(email))).First(&r).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// TicketIDsOfRequester lists the ids of a requester's tickets.
func (s *Store) TicketIDsOfRequester(ctx context.Context, requesterID uint) ([]uint, error) {
	var ids []uint
	err := s.r.WithContext(ctx).Model(&Ticket{}).Where("requester_id = ?", requesterID).Order("id").Pluck("id", &ids).Error
	return ids, err
}

// ClosedTicketsUnchangedSince lists up to limit closed tickets whose last
// change is before cutoff and whose content has not been erased yet.
func (s *Store) ClosedTicketsUnchangedSince(ctx context.Context, cutoff time.Time, limit int) ([]Ticket, error) {
	var out []Ticket
	err := s.r.WithContext(ctx).Preload("Requester").
		Where("status = ? AND updated_at < ?", StatusClosed, cutoff.UTC()).
		Where("id NOT IN (SELECT object_id FROM privacy_erasures WHERE object = 'ticket')").
		Order("id").Limit(limit).Find(&out).Error
	return out, err
}

// RequesterHasLiveTickets reports whether a requester has a ticket whose
// content has not been erased.
func (s *Store) RequesterHasLiveTickets(ctx context.Context, requesterID uint) (bool, error) {
	var n int64
	err := s.w.WithContext(ctx).Model(&Ticket{}).Where("requester_id = ?", requesterID).
		Where("id NOT IN (SELECT object_id FROM privacy_erasures WHERE object = 'ticket')").Count(&n).Error
	return n > 0, err
}

// RequesterErased reports whether a requester row has been pseudonymised.
func (s *Store) RequesterErased(ctx context.Context, requesterID uint) (bool, error) {
	var n int64
	err := s.r.WithContext(ctx).Table("privacy_erasures").Where("object = 'requester' AND object_id = ?", requesterID).Count(&n).Error
	return n > 0, err
}

// EraseOldMailRecords removes the personal data of intake records fetched
// before cutoff that belong to no ticket (ignored auto-replies, bulk mail,
// quarantined mail) or to an erased ticket, with their raw mails, and of
// delivered or failed outgoing mails without a ticket (digests) created
// before cutoff. Mail that belongs to a live ticket is left alone.
func (s *Store) EraseOldMailRecords(ctx context.Context, cutoff time.Time) (ErasureCounts, error) {
	var n ErasureCounts
	err := s.Tx(ctx, func(tx *Store) error {
		g := tx.w.WithContext(ctx)
		var recs []IntakeRecord
		if err := g.Select("id, sha256, reason").
			Where("fetched_at < ? AND outcome <> ? AND "+liveIntakeSQL, cutoff.UTC(), OutcomePending).
			Where("ticket_id IS NULL OR ticket_id IN (SELECT object_id FROM privacy_erasures WHERE object = 'ticket')").
			Find(&recs).Error; err != nil {
			return fmt.Errorf("find old intake records: %w", err)
		}
		for _, r := range recs {
			if err := g.Model(&IntakeRecord{}).Where("id = ?", r.ID).UpdateColumns(map[string]any{
				"from_email": "", "subject": "", "reason": emailRe.ReplaceAllString(r.Reason, "[erased]"),
			}).Error; err != nil {
				return fmt.Errorf("erase intake record %d: %w", r.ID, err)
			}
			n.IntakeRecords++
			res := g.Exec(`DELETE FROM blobs WHERE sha256 = ?
				AND NOT EXISTS (SELECT 1 FROM attachments WHERE blob_sha256 = ?)
				AND NOT EXISTS (SELECT 1 FROM intake_records WHERE sha256 = ? AND `+liveIntakeSQL+`)`,
				r.SHA256, r.SHA256, r.SHA256)
			if res.Error != nil {
				return fmt.Errorf("delete raw mail: %w", res.Error)
			}
			n.Blobs += res.RowsAffected
		}
		res := g.Exec(`UPDATE outbox_mails SET raw = ?, subject = '', recipients = ''
			WHERE ticket_id IS NULL AND status <> ? AND created_at < ? AND (length(raw) > 0 OR recipients <> '')`,
			[]byte{}, OutboxQueued, cutoff.UTC())
		if res.Error != nil {
			return fmt.Errorf("erase old outgoing mail: %w", res.Error)
		}
		n.OutboxMails = res.RowsAffected
		return nil
	})
	return n, err
}
