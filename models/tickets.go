package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// firstTicketNumber is where ticket numbering starts, so numbers never look like
// small counts in a subject line.
const firstTicketNumber = 1001

// CreateTicket assigns the next ticket number and inserts t.
func (s *Store) CreateTicket(ctx context.Context, t *Ticket) error {
	db := s.w.WithContext(ctx)
	d := deferredOf(ctx)
	if d != nil && d.nextNumber != 0 {
		t.Number = d.nextNumber
	} else {
		var maxNum *int64
		if err := db.Model(&Ticket{}).Select("MAX(number)").Scan(&maxNum).Error; err != nil {
			return fmt.Errorf("next ticket number: %w", err)
		}
		t.Number = firstTicketNumber
		if maxNum != nil && *maxNum >= firstTicketNumber {
			t.Number = *maxNum + 1
		}
	}
	if t.ID != 0 {
		if err := db.Omit(clause.Associations).Create(t).Error; err != nil {
			return fmt.Errorf("create ticket: %w", err)
		}
	} else {
		if t.Priority == "" {
			t.Priority = "normal" // the column default, which GORM would have read back
		}
		if t.CreatedAt.IsZero() || t.UpdatedAt.IsZero() {
			now := db.NowFunc()
			if t.CreatedAt.IsZero() {
				t.CreatedAt = now
			}
			if t.UpdatedAt.IsZero() {
				t.UpdatedAt = now
			}
		}
		id, err := insertReturningID(ctx, db, "tickets", ticketColumns, ticketValues(t))
		if err != nil {
			return fmt.Errorf("create ticket: %w", err)
		}
		t.ID = id
	}
	if d != nil {
		d.nextNumber = t.Number + 1
	}
	return nil
}

// TicketByNumber loads a ticket with its requester, asset (and vendor) and assignee.
func (s *Store) TicketByNumber(ctx context.Context, number int64) (*Ticket, error) {
	// One join, scanned by hand: GORM's reflection over its 60 columns cost
	// a fifth of the ticket page's CPU.
	t, err := scanTicketWithParties(s.readRow(ctx, ticketByNumberSQL, number))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("ticket #%d: %w", number, err)
	}
	return t, nil
}

// ticketByNumberSQL selects a ticket by number with its parties.
const ticketByNumberSQL = "SELECT " + ticketPartiesColumns + ` FROM tickets t
	JOIN requesters r ON r.id = t.requester_id
	LEFT JOIN assets d ON d.id = t.asset_id
	LEFT JOIN vendors v ON v.id = d.vendor_id
	LEFT JOIN agents a ON a.id = t.assignee_id
	WHERE t.number = ?`

// ticketPartiesColumns are the columns scanTicketWithParties reads: every
// column of the ticket, its requester, device, the device's reseller and
// the assignee. Datetime columns are never wrapped in COALESCE, which would
// hide their declared type from the driver (it parses times by it).
const ticketPartiesColumns = `t.id, t.number, t.subject, t.requester_id, t.status, t.priority, t.category, t.fault_matches,
	t.language, t.asset_id, t.assignee_id, t.cc, t.sla_due_at, t.resolved_at, t.created_at, t.updated_at, t.sla_paused_at,
	r.email, r.name, r.department, r.language, r.bounced_at, r.created_at, r.updated_at,
	d.serial, d.asset_tag, d.model, d.manufacturer, d.vendor_id, d.delivered_on, d.warranty_months, d.warranty_ends_on,
	d.assigned_to, d.department, d.state, d.replaced_by_id, d.created_at, d.updated_at, d.warranty_ends_on_effective,
	v.id, v.name, v.email, v.case_pattern, v.warranty_months, v.turnaround_days, v.auto_forward, v.created_at, v.updated_at,
	a.email, a.name, a.role, a.password_hash, a.language, a.created_at, a.updated_at, a.vendor_id`

// scanTicketWithParties reads one row of ticketPartiesColumns into the
// Ticket that GORM's Joins("Requester"), Joins("Asset"), Joins("Asset.Vendor")
// and Joins("Assignee") would give.
func scanTicketWithParties(row *sql.Row) (*Ticket, error) {
	var (
		t                                  Ticket
		fault, lang, cc                    sql.NullString
		rName, rDept, rLang                sql.NullString
		rCreated, rUpdated                 sql.NullTime
		dSerial, dTag, dModel, dMaker      sql.NullString
		dAssigned, dDept, dState           sql.NullString
		dMonths                            sql.NullInt64
		dCreated, dUpdated                 sql.NullTime
		dVendorID, dReplacedBy             *uint
		dDelivered, dEnds, dEffective      *time.Time
		vID                                *uint
		vName, vEmail, vPattern            sql.NullString
		vMonths, vTurnaround               sql.NullInt64
		vAutoForward                       sql.NullBool
		vCreated, vUpdated                 sql.NullTime
		aEmail, aName, aRole, aHash, aLang sql.NullString
		aCreated, aUpdated                 sql.NullTime
		aVendorID                          *uint
	)
	err := row.Scan(&t.ID, &t.Number, &t.Subject, &t.RequesterID, &t.Status, &t.Priority, &t.Category, &fault,
		&lang, &t.AssetID, &t.AssigneeID, &cc, &t.SLADueAt, &t.ResolvedAt, &t.CreatedAt, &t.UpdatedAt, &t.SLAPausedAt,
		&t.Requester.Email, &rName, &rDept, &rLang, &t.Requester.BouncedAt, &rCreated, &rUpdated,
		&dSerial, &dTag, &dModel, &dMaker, &dVendorID, &dDelivered, &dMonths, &dEnds,
		&dAssigned, &dDept, &dState, &dReplacedBy, &dCreated, &dUpdated, &dEffective,
		&vID, &vName, &vEmail, &vPattern, &vMonths, &vTurnaround, &vAutoForward, &vCreated, &vUpdated,
		&aEmail, &aName, &aRole, &aHash, &aLang, &aCreated, &aUpdated, &aVendorID)
	if err != nil {
		return nil, err
	}
	t.FaultMatches, t.Language, t.Cc = fault.String, lang.String, cc.String
	t.Requester.ID, t.Requester.Name, t.Requester.Department, t.Requester.Language = t.RequesterID, rName.String, rDept.String, rLang.String
	t.Requester.CreatedAt, t.Requester.UpdatedAt = rCreated.Time, rUpdated.Time
	if t.AssetID != nil {
		t.Asset = &Asset{ID: *t.AssetID, Serial: dSerial.String, AssetTag: dTag.String, Model: dModel.String,
			Manufacturer: dMaker.String, VendorID: dVendorID, DeliveredOn: dDelivered, WarrantyMonths: int(dMonths.Int64),
			WarrantyEndsOn: dEnds, AssignedTo: dAssigned.String, Department: dDept.String, State: dState.String,
			ReplacedByID: dReplacedBy, CreatedAt: dCreated.Time, UpdatedAt: dUpdated.Time, WarrantyEndsOnEffective: dEffective}
		if vID != nil {
			t.Asset.Vendor = &Vendor{ID: *vID, Name: vName.String, Email: vEmail.String, CasePattern: vPattern.String,
				WarrantyMonths: int(vMonths.Int64), TurnaroundDays: int(vTurnaround.Int64), AutoForward: vAutoForward.Bool,
				CreatedAt: vCreated.Time, UpdatedAt: vUpdated.Time}
		}
	}
	if t.AssigneeID != nil {
		t.Assignee = &Agent{ID: *t.AssigneeID, Email: aEmail.String, Name: aName.String, Role: aRole.String,
			PasswordHash: aHash.String, Language: aLang.String, CreatedAt: aCreated.Time, UpdatedAt: aUpdated.Time,
			VendorID: aVendorID}
	}
	return &t, nil
}

// TicketByID loads a ticket like TicketByNumber.
func (s *Store) TicketByID(ctx context.Context, id uint) (*Ticket, error) {
	var t Ticket
	err := s.r.WithContext(ctx).Preload("Requester").Preload("Asset.Vendor").Preload("Assignee").
		First(&t, id).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &t, nil
}

// CountByStatus returns how many tickets are in each status.
func (s *Store) CountByStatus(ctx context.Context) (map[string]int64, error) {
	return s.countBy(ctx, &Ticket{}, "status")
}

// FTSQuery turns user input into a safe FTS5 query: each word becomes a quoted
// prefix term, so punctuation can never be read as FTS5 syntax.
func FTSQuery(input string) string {
	return strings.Join(ftsPhrases(input), " ")
}

// ftsPhrases are the phrases of FTSQuery(input), in the order FTS5 numbers
// them.
func ftsPhrases(input string) []string {
	var terms []string
	for _, w := range strings.FieldsFunc(input, func(r rune) bool {
		return !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 127)
	}) {
		w = strings.Trim(w, "-_")
		if w == "" {
			continue
		}
		terms = append(terms, `"`+strings.ReplaceAll(w, `"`, "")+`"*`)
	}
	return terms
}

// UpdateTicket writes the given columns of ticket id and bumps updated_at.
func (s *Store) UpdateTicket(ctx context.Context, id uint, fields map[string]any) error {
	fields["updated_at"] = time.Now().UTC()
	res := s.w.WithContext(ctx).Model(&Ticket{}).Where("id = ?", id).Updates(fields)
	if res.Error != nil {
		return fmt.Errorf("update ticket %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// TouchTicket bumps a ticket's updated_at.
func (s *Store) TouchTicket(ctx context.Context, id uint) error {
	return s.UpdateTicket(ctx, id, map[string]any{})
}

// AddMessage inserts m and its attachments (whose blobs must already be stored).
func (s *Store) AddMessage(ctx context.Context, m *Message) error {
	db := s.w.WithContext(ctx)
	if m.ID != 0 {
		// An id chosen by the caller: GORM writes it (and the attachments) as given.
		if err := db.Create(m).Error; err != nil {
			return fmt.Errorf("add message to ticket %d: %w", m.TicketID, err)
		}
		return nil
	}
	// Plain inserts (see insert.go), the attachments after the message they belong to.
	if m.CreatedAt.IsZero() {
		m.CreatedAt = db.NowFunc()
	}
	id, err := insertReturningID(ctx, db, "messages", messageColumns, messageValues(m))
	if err != nil {
		return fmt.Errorf("add message to ticket %d: %w", m.TicketID, err)
	}
	m.ID = id
	for i := range m.Attachments {
		a := &m.Attachments[i]
		a.MessageID = id
		if a.CreatedAt.IsZero() {
			a.CreatedAt = m.CreatedAt
		}
		if a.ID, err = insertReturningID(ctx, db, "attachments", attachmentColumns, attachmentValues(a)); err != nil {
			return fmt.Errorf("add attachment %q to ticket %d: %w", a.Filename, m.TicketID, err)
		}
	}
	return nil
}

// Messages returns a ticket's conversation, oldest first, with attachments.
//
// The messages and their attachments are scanned by hand, and attachments
// read only for the messages that have some: GORM's reflection and its
// preload query were a sixth of the ticket page's CPU.
func (s *Store) Messages(ctx context.Context, ticketID uint) ([]Message, error) {
	// One conversation, read by its index.
	rows, err := s.readRows(ctx, messagesSQL, ticketID)
	if err != nil {
		return nil, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
	}
	defer rows.Close()
	out := []Message{} // as GORM's Find gives: empty, not nil
	var withFiles []uint
	for rows.Next() {
		var (
			m                                          Message
			fromName, fromEmail, to, cc, subject       sql.NullString
			text, html, messageID, inReplyTo, refs, ac sql.NullString
			created                                    sql.NullTime
			hasFiles                                   bool
		)
		if err := rows.Scan(&m.ID, &m.TicketID, &m.Direction, &m.Kind, &fromName, &fromEmail, &to, &cc, &subject, &text, &html,
			&messageID, &inReplyTo, &refs, &ac, &m.AgentID, &m.OutboxID, &m.IntakeRecordID, &created, &hasFiles); err != nil {
			return nil, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
		}
		m.FromName, m.FromEmail, m.To, m.Cc, m.Subject = fromName.String, fromEmail.String, to.String, cc.String, subject.String
		m.Text, m.HTML, m.MessageID, m.InReplyTo, m.References, m.AutoClass = text.String, html.String, messageID.String,
			inReplyTo.String, refs.String, ac.String
		m.CreatedAt = created.Time
		m.Attachments = []Attachment{} // as GORM's preload leaves a message without any
		if hasFiles {
			withFiles = append(withFiles, m.ID)
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("messages of ticket %d: %w", ticketID, err)
	}
	if len(withFiles) == 0 {
		return out, nil
	}
	files, err := s.attachmentsOf(ctx, withFiles)
	if err != nil {
		return nil, fmt.Errorf("attachments of ticket %d: %w", ticketID, err)
	}
	for i := range out {
		for _, a := range files {
			if a.MessageID == out[i].ID {
				out[i].Attachments = append(out[i].Attachments, a)
			}
		}
	}
	return out, nil
}

// messagesSQL selects a ticket's messages, as Messages scans them, and
// whether each has attachments.
const messagesSQL = `SELECT m.id, m.ticket_id, m.direction, m.kind, m.from_name, m.from_email, m."to", m.cc, m.subject, m.text,
	m.html, m.message_id, m.in_reply_to, m."references", m.auto_class, m.agent_id, m.outbox_id, m.intake_record_id, m.created_at,
	EXISTS (SELECT 1 FROM attachments a WHERE a.message_id = m.id)
	FROM messages m WHERE m.ticket_id = ? ORDER BY m.created_at, m.id`

// attachmentsOf loads the attachments of the messages ids, by id.
func (s *Store) attachmentsOf(ctx context.Context, ids []uint) ([]Attachment, error) {
	rows, err := s.r.WithContext(ctx).Raw(`SELECT id, message_id, blob_sha256, filename, content_type, size, content_id,
		inline, created_at FROM attachments WHERE message_id IN ? ORDER BY id`, ids).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Attachment
	for rows.Next() {
		var (
			a                      Attachment
			name, ctype, contentID sql.NullString
			size                   sql.NullInt64
			inline                 sql.NullBool
			created                sql.NullTime
		)
		if err := rows.Scan(&a.ID, &a.MessageID, &a.BlobSHA256, &name, &ctype, &size, &contentID, &inline, &created); err != nil {
			return nil, err
		}
		a.Filename, a.ContentType, a.Size, a.ContentID, a.Inline, a.CreatedAt = name.String, ctype.String, size.Int64,
			contentID.String, inline.Bool, created.Time
		out = append(out, a)
	}
	return out, rows.Err()
}

// TicketIDByMessageID finds the ticket holding a message with this Message-ID.
// The first such message's, as GORM's First gave it; a plain query, as
// intake asks it for every reference of every mail.
func (s *Store) TicketIDByMessageID(ctx context.Context, messageID string) (uint, error) {
	var id uint
	err := queryRow(ctx, s.r, "SELECT ticket_id FROM messages WHERE message_id = ? ORDER BY id LIMIT 1", messageID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("ticket of message %q: %w", messageID, err)
	}
	return id, nil
}

// TicketNumber returns the number of ticket id, or ErrNotFound. (Intake's
// threading needs only the number of the ticket a reference found, not
// the ticket with its parties that TicketByID loads.)
func (s *Store) TicketNumber(ctx context.Context, id uint) (int64, error) {
	var number int64
	err := queryRow(ctx, s.r, "SELECT number FROM tickets WHERE id = ?", id).Scan(&number)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("number of ticket %d: %w", id, err)
	}
	return number, nil
}

// AttachmentByID loads one attachment's metadata.
func (s *Store) AttachmentByID(ctx context.Context, id uint) (*Attachment, error) {
	var a Attachment
	if err := s.r.WithContext(ctx).First(&a, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}

// IndexTicket rebuilds the full-text row of one ticket from its subject,
// messages, requester and asset.
func (s *Store) IndexTicket(ctx context.Context, ticketID uint) error {
	db := s.w.WithContext(ctx)
	var t Ticket
	if err := db.Preload("Requester").Preload("Asset").First(&t, ticketID).Error; err != nil {
		return notFound(err)
	}
	var texts []string
	if err := db.Model(&Message{}).Where("ticket_id = ?", ticketID).Order("id").Pluck("text", &texts).Error; err != nil {
		return err
	}
	for i, text := range texts {
		texts[i] = s.searchText(text)
	}
	return s.indexRow(ctx, &t, texts, true)
}

// IndexAppendedText adds searchText, a new message's text already reduced with SearchText, to the
// full-text row of t instead of rebuilding it from every message as IndexTicket does (which reads
// them all and strips their quotes again: as much work as creating the ticket). The row keeps the
// texts it held, so the desk's own notes written since the last rebuild (intake's system notes and
// acknowledgements, which IndexNewTicket leaves out too) come in at the next IndexTicket. t must
// carry its Requester and Asset (if any); subject, requester and serial are written afresh. A ticket
// without a row is indexed whole.
func (s *Store) IndexAppendedText(ctx context.Context, t *Ticket, searchText string) error {
	var body string
	if d := deferredOf(ctx); d != nil && d.search[t.ID] != nil {
		body = d.search[t.ID].body
	} else {
		err := s.w.WithContext(ctx).Raw("SELECT body FROM ticket_fts WHERE rowid = ?", t.ID).Row().Scan(&body)
		if errors.Is(err, sql.ErrNoRows) {
			return s.IndexTicket(ctx, t.ID)
		}
		if err != nil {
			return fmt.Errorf("index ticket %d: %w", t.Number, err)
		}
	}
	return s.indexRow(ctx, t, []string{body, searchText}, true)
}

// SearchText reduces a message text to what the search index holds (Options.SearchText). Intake
// calls it while parsing, on its parse workers, and hands the result to IndexNewTicket.
func (s *Store) SearchText(text string) string { return s.searchText(text) }

// IndexNewTicket indexes a ticket just created from searchTexts, each a message text already
// reduced with SearchText, without reading anything back; t must carry its Requester and Asset
// (if any).
func (s *Store) IndexNewTicket(ctx context.Context, t *Ticket, searchTexts []string) error {
	return s.indexRow(ctx, t, searchTexts, false)
}

func (s *Store) indexRow(ctx context.Context, t *Ticket, texts []string, replace bool) error {
	db := s.w.WithContext(ctx)
	serial := ""
	if t.Asset != nil {
		serial = t.Asset.Serial + " " + t.Asset.AssetTag
	}
	requester := t.Requester.Name + " " + t.Requester.Email
	if d := deferredOf(ctx); d != nil {
		d.putSearchRow(t.ID, searchRow{subject: t.Subject, body: strings.Join(texts, "\n"), requester: requester, serial: serial, replace: replace})
		return nil
	}
	if replace {
		if err := db.Exec("DELETE FROM ticket_fts WHERE rowid = ?", t.ID).Error; err != nil {
			return fmt.Errorf("index ticket %d: %w", t.Number, err)
		}
	}
	err := db.Exec("INSERT INTO ticket_fts(rowid, subject, body, requester, serial) VALUES (?, ?, ?, ?, ?)",
		t.ID, t.Subject, strings.Join(texts, "\n"), requester, serial).Error
	if err != nil {
		return fmt.Errorf("index ticket %d: %w", t.Number, err)
	}
	return nil
}

// AddAudit records a change.
func (s *Store) AddAudit(ctx context.Context, e AuditEvent) error {
	if e.At.IsZero() {
		e.At = time.Now().UTC()
	}
	return s.w.WithContext(ctx).Create(&e).Error
}

// Audit lists the changes of one object, oldest first.
func (s *Store) Audit(ctx context.Context, object string, id uint) ([]AuditEvent, error) {
	rows, err := s.readRows(ctx, `SELECT id, actor, object, object_id, field, old, new, at FROM audit_events
		WHERE object = ? AND object_id = ? ORDER BY at, id`, object, id)
	if err != nil {
		return nil, fmt.Errorf("audit of %s %d: %w", object, id, err)
	}
	defer rows.Close()
	out := []AuditEvent{} // as GORM's Find gives: empty, not nil
	for rows.Next() {
		var (
			e                       AuditEvent
			field, oldText, newText sql.NullString
		)
		if err := rows.Scan(&e.ID, &e.Actor, &e.Object, &e.ObjectID, &field, &oldText, &newText, &e.At); err != nil {
			return nil, fmt.Errorf("audit of %s %d: %w", object, id, err)
		}
		e.Field, e.Old, e.New = field.String, oldText.String, newText.String
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("audit of %s %d: %w", object, id, err)
	}
	return out, nil
}

// UpsertRequester returns the requester with this email, creating it or filling a missing name.
func (s *Store) UpsertRequester(ctx context.Context, email, name, language string) (*Requester, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return nil, errors.New("requester email is empty")
	}
	db := s.w.WithContext(ctx)
	// Plain queries: intake upserts the sender of every mail, and GORM's First, Create and
	// Updates cost more CPU than SQLite's lookup, insert and update (insert.go).
	r := Requester{Email: email}
	var bounced, created, updated sql.NullTime // NULL in rows not written through GORM
	err := queryRow(ctx, db, `SELECT "id", "name", "department", "language", "bounced_at", "created_at", "updated_at"
		FROM "requesters" WHERE "email" = ?`, email).
		Scan(&r.ID, &r.Name, &r.Department, &r.Language, &bounced, &created, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		now := db.NowFunc()
		r = Requester{Email: email, Name: name, Language: language, CreatedAt: now, UpdatedAt: now}
		id, err := insertReturningID(ctx, db, "requesters", requesterColumns, requesterValues(&r))
		if err != nil {
			return nil, fmt.Errorf("create requester %q: %w", email, err)
		}
		r.ID = id
		return &r, nil
	case err != nil:
		return nil, fmt.Errorf("requester %q: %w", email, err)
	}
	if bounced.Valid {
		r.BouncedAt = &bounced.Time
	}
	r.CreatedAt, r.UpdatedAt = created.Time, updated.Time
	// The name when it was missing, the language when it changed, and
	// updated_at with them, as GORM's Updates wrote them.
	var set string
	var args []any
	if r.Name == "" && name != "" {
		set, args = `"name" = ?, `, append(args, name)
		r.Name = name
	}
	if language != "" && r.Language != language {
		set, args = set+`"language" = ?, `, append(args, language)
		r.Language = language
	}
	if set != "" {
		now := db.NowFunc()
		args = append(args, now, r.ID)
		query := dialectPlaceholders(db, `UPDATE "requesters" SET `+set+`"updated_at" = ? WHERE "id" = ?`, args)
		if _, err := db.Statement.ConnPool.ExecContext(ctx, query, args...); err != nil {
			return nil, fmt.Errorf("update requester %q: %w", email, err)
		}
		r.UpdatedAt = now
	}
	return &r, nil
}

// FlagBounced marks a requester address as bouncing.
func (s *Store) FlagBounced(ctx context.Context, email string, at time.Time) error {
	return s.w.WithContext(ctx).Model(&Requester{}).Where("email = ?", strings.ToLower(email)).
		Update("bounced_at", at).Error
}

// VendorCaseForTicket returns the newest vendor case of a ticket.
func (s *Store) VendorCaseForTicket(ctx context.Context, ticketID uint) (*VendorCase, error) {
	// Most tickets have none: asking whether there is one is a fifth of
	// loading it.
	var some bool
	if err := s.readRow(ctx, "SELECT EXISTS (SELECT 1 FROM vendor_cases WHERE ticket_id = ?)", ticketID).Scan(&some); err != nil {
		return nil, fmt.Errorf("vendor case of ticket %d: %w", ticketID, err)
	} else if !some {
		return nil, ErrNotFound
	}
	var c VendorCase
	err := s.r.WithContext(ctx).Preload("Vendor").Where("ticket_id = ?", ticketID).Order("id DESC").First(&c).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &c, nil
}

// SaveVendorCase inserts or updates a vendor case.
func (s *Store) SaveVendorCase(ctx context.Context, c *VendorCase) error {
	return s.w.WithContext(ctx).Omit(clause.Associations).Save(c).Error
}

// TicketIDByCaseRef finds the ticket whose vendor case has this reference.
func (s *Store) TicketIDByCaseRef(ctx context.Context, vendorID uint, ref string) (uint, error) {
	var c VendorCase
	err := s.r.WithContext(ctx).Where("vendor_id = ? AND case_ref = ?", vendorID, ref).Order("id DESC").First(&c).Error
	if err != nil {
		return 0, notFound(err)
	}
	return c.TicketID, nil
}

// CountAcksSince counts acknowledgements sent to email since t.
func (s *Store) CountAcksSince(ctx context.Context, email string, t time.Time) (int64, error) {
	email = strings.ToLower(email)
	if d := deferredOf(ctx); d != nil {
		return d.countAcks(ctx, s, email, t)
	}
	var n int64
	err := s.r.WithContext(ctx).Model(&AckLog{}).Where("email = ? AND sent_at >= ?", email, t).Count(&n).Error
	return n, err
}

// LogAck records an acknowledgement to email.
func (s *Store) LogAck(ctx context.Context, email string, at time.Time) error {
	email = strings.ToLower(email)
	if d := deferredOf(ctx); d != nil {
		d.logAck(email, at)
		return nil
	}
	return s.w.WithContext(ctx).Create(&AckLog{Email: email, SentAt: at}).Error
}

// UpdateMessageText replaces the text of a message.
func (s *Store) UpdateMessageText(ctx context.Context, id uint, text string) error {
	return s.w.WithContext(ctx).Model(&Message{}).Where("id = ?", id).Update("text", text).Error
}

// AttachmentOfTicket loads attachment id if it belongs to a message of ticketID.
func (s *Store) AttachmentOfTicket(ctx context.Context, ticketID, id uint) (*Attachment, error) {
	var a Attachment
	err := s.r.WithContext(ctx).Where("id = ? AND message_id IN (SELECT id FROM messages WHERE ticket_id = ?)", id, ticketID).
		First(&a).Error
	if err != nil {
		return nil, notFound(err)
	}
	return &a, nil
}
