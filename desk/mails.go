package desk

import (
	"context"
	"fmt"
	"net/mail"
	"strings"

	"warrantydesk/mailout"
	"warrantydesk/models"
)

// outMail is a mail the desk sends about a ticket.
type outMail struct {
	ticket      *models.Ticket
	kind        string // models.KindEmail or models.KindVendorOut
	purpose     string // ack, reply, vendor_forward
	to, cc      []mail.Address
	replyTo     []mail.Address
	subject     string
	text        string
	inReplyTo   string
	references  []string
	automatic   bool
	lang        string
	attachments []mailout.File
	agentID     *uint
	fromName    string // shown on the ticket as the author; the mail's From stays the desk
}

// queueMail builds m, stores it in the outbox and records it on the ticket,
// all inside tx: the mail is sent if and only if the transaction commits.
func (s *Service) queueMail(ctx context.Context, tx *models.Store, m outMail) (*models.Message, error) {
	msgID := s.ids.New(m.ticket.Number)
	refs := append([]string{}, m.references...)
	if m.inReplyTo != "" && !containsFold(refs, m.inReplyTo) {
		refs = append(refs, m.inReplyTo)
	}
	raw, err := mailout.Build(mailout.Mail{
		From:        mailout.Address{Name: s.opt.Address.Name, Email: s.opt.Address.Address},
		To:          toMailout(m.to),
		Cc:          toMailout(m.cc),
		ReplyTo:     toMailout(m.replyTo),
		Subject:     m.subject,
		Text:        m.text,
		MessageID:   msgID,
		InReplyTo:   m.inReplyTo,
		References:  refs,
		Automatic:   m.automatic,
		Language:    m.lang,
		Attachments: m.attachments,
		Date:        s.now(),
		Headers:     map[string]string{"X-Warrantydesk-Ticket": itoa(m.ticket.Number)},
	})
	if err != nil {
		return nil, fmt.Errorf("build %s mail for ticket %d: %w", m.purpose, m.ticket.Number, err)
	}
	var rcpts, toList, ccList []string
	for _, a := range m.to {
		rcpts = append(rcpts, a.Address)
		toList = append(toList, a.Address)
	}
	for _, a := range m.cc {
		rcpts = append(rcpts, a.Address)
		ccList = append(ccList, a.Address)
	}
	ob := &models.OutboxMail{
		TicketID: &m.ticket.ID, MessageID: msgID, FromAddr: firstNonEmpty(s.opt.EnvelopeFrom, s.opt.Address.Address),
		Recipients: strings.Join(rcpts, ","), Subject: m.subject, Purpose: m.purpose, Raw: raw,
	}
	if err := tx.EnqueueMail(ctx, ob); err != nil {
		return nil, err
	}
	msg := &models.Message{
		TicketID: m.ticket.ID, Direction: models.DirOut, Kind: m.kind,
		FromName: firstNonEmpty(m.fromName, s.opt.Address.Name), FromEmail: s.opt.Address.Address,
		To: joinAddrs(toList), Cc: joinAddrs(ccList), Subject: m.subject, Text: m.text,
		MessageID: msgID, InReplyTo: m.inReplyTo, References: strings.Join(refs, " "),
		AgentID: m.agentID, OutboxID: &ob.ID, CreatedAt: s.now(),
	}
	if err := tx.AddMessage(ctx, msg); err != nil {
		return nil, err
	}
	return msg, nil
}

func toMailout(as []mail.Address) []mailout.Address {
	out := make([]mailout.Address, len(as))
	for i, a := range as {
		out[i] = mailout.Address{Name: a.Name, Email: a.Address}
	}
	return out
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// mailLang picks the language of mail to a requester: theirs when known, else the desk's.
func (s *Service) mailLang(lang string) string {
	if lang == "sv" || lang == "en" {
		return lang
	}
	return s.opt.Language
}

// formatDate writes a day the Swedish (ISO 8601) way, which English readers understand too.
func formatDate(t interface{ Format(string) string }) string { return t.Format("2006-01-02") }
