package desk

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"warrantydesk/models"
)

// RequesterExport is everything the desk holds about one person (GDPR
// Art. 15): the requester record, their tickets with every message on them
// (internal notes included: the admin decides what to withhold), their
// messages on other tickets, attachment metadata, intake records of their
// mail, outgoing mail to them and the devices assigned to them.
type RequesterExport struct {
	ExportedAt    time.Time          `json:"exported_at"`
	Email         string             `json:"email"`
	Requester     *ExportedRequester `json:"requester"` // null when the address is not a requester
	Tickets       []ExportedTicket   `json:"tickets"`
	Messages      []ExportedMessage  `json:"messages"`
	Attachments   []ExportedFile     `json:"attachments"`
	IntakeRecords []ExportedIntake   `json:"intake_records"`
	OutgoingMail  []ExportedOutgoing `json:"outgoing_mail"`
	Assets        []ExportedAsset    `json:"assets"`
}

// ExportedRequester is the requester record.
type ExportedRequester struct {
	Email      string     `json:"email"`
	Name       string     `json:"name"`
	Department string     `json:"department"`
	Language   string     `json:"language"`
	BouncedAt  *time.Time `json:"bounced_at,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
}

// ExportedTicket is one of the person's tickets.
type ExportedTicket struct {
	Number     int64      `json:"number"`
	Subject    string     `json:"subject"`
	Status     string     `json:"status"`
	Category   string     `json:"category"`
	Priority   string     `json:"priority"`
	Cc         string     `json:"cc,omitempty"`
	Serial     string     `json:"serial,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
	ResolvedAt *time.Time `json:"resolved_at,omitempty"`
}

// ExportedMessage is one message on a ticket.
type ExportedMessage struct {
	Ticket    int64     `json:"ticket"`
	Direction string    `json:"direction"`
	Kind      string    `json:"kind"`
	FromName  string    `json:"from_name,omitempty"`
	FromEmail string    `json:"from_email,omitempty"`
	To        string    `json:"to,omitempty"`
	Cc        string    `json:"cc,omitempty"`
	Subject   string    `json:"subject,omitempty"`
	Text      string    `json:"text"`
	HTML      string    `json:"html,omitempty"`
	At        time.Time `json:"at"`
}

// ExportedFile is an attachment's metadata (the bytes are on the ticket page).
type ExportedFile struct {
	Ticket      int64  `json:"ticket"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// ExportedIntake is the record of one fetched mail from the person.
type ExportedIntake struct {
	FetchedAt time.Time `json:"fetched_at"`
	MessageID string    `json:"message_id"`
	Subject   string    `json:"subject"`
	Outcome   string    `json:"outcome"`
	Reason    string    `json:"reason,omitempty"`
}

// ExportedOutgoing is one mail the desk sent (or queued) to the person.
type ExportedOutgoing struct {
	CreatedAt  time.Time  `json:"created_at"`
	Recipients string     `json:"recipients"`
	Subject    string     `json:"subject"`
	Purpose    string     `json:"purpose"`
	Status     string     `json:"status"`
	SentAt     *time.Time `json:"sent_at,omitempty"`
}

// ExportedAsset is a device assigned to the person.
type ExportedAsset struct {
	Serial   string `json:"serial"`
	AssetTag string `json:"asset_tag,omitempty"`
	Model    string `json:"model"`
}

// normalizeEmail validates and lower-cases an address given by an admin.
func normalizeEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email {
		return "", invalid("email", "error.bad_email")
	}
	return email, nil
}

// ExportRequester collects everything the desk holds about email. An
// address the desk has never seen gives an export with no data, not an error.
func (s *Service) ExportRequester(ctx context.Context, email string) (*RequesterExport, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return nil, err
	}
	st := s.store
	out := &RequesterExport{ExportedAt: s.now(), Email: email, Tickets: []ExportedTicket{}, Messages: []ExportedMessage{},
		Attachments: []ExportedFile{}, IntakeRecords: []ExportedIntake{}, OutgoingMail: []ExportedOutgoing{}, Assets: []ExportedAsset{}}
	seenMsg := map[uint]bool{}
	addMessage := func(number int64, m models.Message) {
		if seenMsg[m.ID] {
			return
		}
		seenMsg[m.ID] = true
		out.Messages = append(out.Messages, ExportedMessage{Ticket: number, Direction: m.Direction, Kind: m.Kind,
			FromName: m.FromName, FromEmail: m.FromEmail, To: m.To, Cc: m.Cc, Subject: m.Subject, Text: m.Text,
			HTML: m.HTML, At: m.CreatedAt})
		for _, a := range m.Attachments {
			out.Attachments = append(out.Attachments, ExportedFile{Ticket: number, Filename: a.Filename,
				ContentType: a.ContentType, Size: a.Size, SHA256: a.BlobSHA256})
		}
	}
	numbers := map[uint]int64{}
	r, err := st.RequesterByEmail(ctx, email)
	switch {
	case errors.Is(err, models.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		out.Requester = &ExportedRequester{Email: r.Email, Name: r.Name, Department: r.Department,
			Language: r.Language, BouncedAt: r.BouncedAt, CreatedAt: r.CreatedAt}
		ids, err := st.TicketIDsOfRequester(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		for _, id := range ids {
			t, err := st.TicketByID(ctx, id)
			if err != nil {
				return nil, err
			}
			numbers[t.ID] = t.Number
			et := ExportedTicket{Number: t.Number, Subject: t.Subject, Status: t.Status, Category: t.Category,
				Priority: t.Priority, Cc: t.Cc, CreatedAt: t.CreatedAt, UpdatedAt: t.UpdatedAt, ResolvedAt: t.ResolvedAt}
			if t.Asset != nil {
				et.Serial = t.Asset.Serial
			}
			out.Tickets = append(out.Tickets, et)
			msgs, err := st.Messages(ctx, t.ID)
			if err != nil {
				return nil, err
			}
			for _, m := range msgs {
				addMessage(t.Number, m)
			}
		}
	}
	// Their mail on other people's tickets (as a Cc, or a colleague's case).
	elsewhere, err := st.MessagesFrom(ctx, email)
	if err != nil {
		return nil, err
	}
	for _, m := range elsewhere {
		n, ok := numbers[m.TicketID]
		if !ok {
			t, err := st.TicketByID(ctx, m.TicketID)
			if err != nil {
				return nil, err
			}
			n, numbers[m.TicketID] = t.Number, t.Number
		}
		addMessage(n, m)
	}
	recs, err := st.IntakeFrom(ctx, email)
	if err != nil {
		return nil, err
	}
	for _, rec := range recs {
		out.IntakeRecords = append(out.IntakeRecords, ExportedIntake{FetchedAt: rec.FetchedAt, MessageID: rec.MessageID,
			Subject: rec.Subject, Outcome: rec.Outcome, Reason: rec.Reason})
	}
	sent, err := st.OutboxTo(ctx, email)
	if err != nil {
		return nil, err
	}
	for _, m := range sent {
		out.OutgoingMail = append(out.OutgoingMail, ExportedOutgoing{CreatedAt: m.CreatedAt, Recipients: m.Recipients,
			Subject: m.Subject, Purpose: m.Purpose, Status: m.Status, SentAt: m.SentAt})
	}
	assets, err := st.AssetsAssignedTo(ctx, email)
	if err != nil {
		return nil, err
	}
	for _, a := range assets {
		out.Assets = append(out.Assets, ExportedAsset{Serial: a.Serial, AssetTag: a.AssetTag, Model: a.Model})
	}
	return out, nil
}

// ErasureResult says what an erasure or a retention run changed.
type ErasureResult struct {
	Email     string               `json:"email,omitempty"`
	Pseudonym string               `json:"pseudonym,omitempty"`
	Counts    models.ErasureCounts `json:"counts"`
	// Requesters is how many requesters retention pseudonymised.
	Requesters int `json:"requesters,omitempty"`
}

// pseudonym is what a requester's address becomes: unique (the email column
// is unique), recognisable, and undeliverable (.invalid, RFC 2606).
func pseudonym(requesterID uint) string {
	if requesterID == 0 {
		return "erased@invalid"
	}
	return fmt.Sprintf("erased-%d@invalid", requesterID)
}

// EraseRequester removes one person's personal data (GDPR Art. 17): their
// requester record becomes erased-<id>@invalid with no name; the
// conversations of their tickets (texts, HTML, subjects, addresses,
// attachment bytes), their own messages on other tickets, the intake records
// and raw mails of their mail, the outgoing mail to them or about their
// tickets, the full-text rows, and their assignment to devices are erased.
// Ticket numbers, statuses, categories, dates, assets, vendor cases and
// counts stay, so statistics do not change. The erasure is audited and
// idempotent: erasing again (or an unknown address) changes nothing more.
// An agent's or a vendor's address is refused: those are accounts and
// business contacts, not requesters.
func (s *Service) EraseRequester(ctx context.Context, actor, email string) (*ErasureResult, error) {
	email, err := normalizeEmail(email)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.AgentByEmail(ctx, email); err == nil || s.isOwnAddress(email) {
		return nil, fmt.Errorf("%s is an agent's or the desk's address, not a requester's: %w", email, ErrForbidden)
	}
	vendors, err := s.store.ListVendors(ctx)
	if err != nil {
		return nil, err
	}
	for _, v := range vendors {
		if strings.EqualFold(v.Email, email) {
			return nil, fmt.Errorf("%s is the address of vendor %q, not a requester's: %w", email, v.Name, ErrForbidden)
		}
	}
	e := models.Erasure{Email: email, Pseudonym: pseudonym(0), ClearAssets: true, Reason: "request", Actor: actor, At: s.now()}
	r, err := s.store.RequesterByEmail(ctx, email)
	switch {
	case errors.Is(err, models.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		e.RequesterID, e.Name, e.Pseudonym = r.ID, r.Name, pseudonym(r.ID)
		if e.TicketIDs, err = s.store.TicketIDsOfRequester(ctx, r.ID); err != nil {
			return nil, err
		}
	}
	n, err := s.store.Erase(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("erase %s: %w", e.Pseudonym, err)
	}
	res := &ErasureResult{Email: email, Pseudonym: e.Pseudonym, Counts: n}
	if n != (models.ErasureCounts{}) || e.RequesterID != 0 {
		// The audit names the pseudonym only: the address is what was erased.
		if err := s.store.AddAudit(ctx, models.AuditEvent{Actor: actor, Object: "requester", ObjectID: e.RequesterID,
			Field: "erased", New: fmt.Sprintf("%s: %d tickets, %d messages, %d attachments, %d intake records, %d outgoing mails",
				e.Pseudonym, n.Tickets, n.Messages, n.Attachments, n.IntakeRecords, n.OutboxMails), At: s.now()}); err != nil {
			return res, err
		}
	}
	s.log.Info("personal data erased", "actor", actor, "pseudonym", e.Pseudonym, "tickets", n.Tickets, "messages", n.Messages)
	return res, nil
}

// retentionBatch is how many tickets one transaction of a retention run erases.
const retentionBatch = 200

// ApplyRetention erases the personal data of tickets closed (and unchanged)
// for more than months months before now, like EraseRequester does for a
// person's tickets; a requester left with no ticket that still holds data
// becomes a pseudonym. Intake records of mail older than the cutoff that
// belongs to no live ticket (auto-replies, bulk, quarantine) and old
// outgoing mail without a ticket are erased too. Open tickets and mail of
// live tickets are never touched. months <= 0 does nothing.
func (s *Service) ApplyRetention(ctx context.Context, now time.Time, months int) (*ErasureResult, error) {
	res := &ErasureResult{}
	if months <= 0 {
		return res, nil
	}
	cutoff := now.UTC().AddDate(0, -months, 0)
	for {
		tickets, err := s.store.ClosedTicketsUnchangedSince(ctx, cutoff, retentionBatch)
		if err != nil {
			return res, err
		}
		if len(tickets) == 0 {
			break
		}
		ids := make([]uint, len(tickets))
		for i, t := range tickets {
			ids[i] = t.ID
		}
		n, err := s.store.Erase(ctx, models.Erasure{TicketIDs: ids, Reason: "retention", Actor: "retention", At: s.now()})
		if err != nil {
			return res, fmt.Errorf("retention: %w", err)
		}
		res.Counts.Add(n)
		for _, t := range tickets {
			if err := s.audit(ctx, s.store, "retention", "ticket", t.ID, "erased", "",
				fmt.Sprintf("closed before %s", cutoff.Format("2006-01-02"))); err != nil {
				return res, err
			}
		}
		done := map[uint]bool{}
		for _, t := range tickets {
			r := t.Requester
			if done[r.ID] || strings.HasSuffix(r.Email, "@invalid") {
				continue
			}
			done[r.ID] = true
			live, err := s.store.RequesterHasLiveTickets(ctx, r.ID)
			if err != nil {
				return res, err
			}
			if live {
				continue
			}
			// Only the requester row (and its audit mentions, ack log): mail
			// of theirs on live tickets is not retention's business.
			n, err := s.store.Erase(ctx, models.Erasure{Email: r.Email, Name: r.Name, Pseudonym: pseudonym(r.ID),
				RequesterID: r.ID, RequesterOnly: true, Reason: "retention", Actor: "retention", At: s.now()})
			if err != nil {
				return res, fmt.Errorf("retention: requester %d: %w", r.ID, err)
			}
			res.Counts.Add(n)
			res.Requesters++
		}
	}
	n, err := s.store.EraseOldMailRecords(ctx, cutoff)
	if err != nil {
		return res, fmt.Errorf("retention: %w", err)
	}
	res.Counts.Add(n)
	if res.Counts != (models.ErasureCounts{}) {
		s.log.Info("retention applied", "months", months, "tickets", res.Counts.Tickets, "requesters", res.Requesters,
			"intake_records", res.Counts.IntakeRecords)
	}
	return res, nil
}
