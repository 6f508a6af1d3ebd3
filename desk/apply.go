package desk

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// Apply is the apply stage of intake: it turns one parsed, classified and
// threaded mail into a new ticket or an addition to an existing one. Every
// write goes through tx, the transaction that also records the intake
// outcome.
func (s *Service) Apply(ctx context.Context, tx *models.Store, rec *models.IntakeRecord, p *mailin.Parsed, th mailin.Thread) (mailin.Result, error) {
	from := strings.ToLower(p.From.Email)
	switch {
	case s.isOwnAddress(from):
		return ignored("mail from the desk's own address (loop protection)"), nil
	case p.Class == mailin.ClassBounce:
		return s.applyBounce(ctx, tx, rec, p, th)
	case p.Class != mailin.ClassPersonal:
		return s.applyAutomatic(ctx, tx, rec, p, th)
	case from == "" || !strings.Contains(from, "@"):
		return mailin.Result{Outcome: models.OutcomeQuarantined, Reason: `header "From": no usable sender address`}, nil
	case th.TicketID != 0:
		return s.applyReply(ctx, tx, rec, p, th)
	default:
		t, err := s.createTicket(ctx, tx, rec, p, th, 0)
		if err != nil {
			return mailin.Result{}, err
		}
		return mailin.Result{Outcome: models.OutcomeCreated, Reason: fmt.Sprintf("new ticket #%d", t.Number), TicketID: &t.ID}, nil
	}
}

// AfterCommit wakes the outbox after intake committed mail to it.
func (s *Service) AfterCommit() { s.mailQueued() }

func ignored(reason string) mailin.Result {
	return mailin.Result{Outcome: models.OutcomeIgnored, Reason: reason}
}

// applyAutomatic handles auto-replies, reports and bulk mail: attached to
// their ticket when they belong to one, but they never change its status,
// never open a ticket and are never acknowledged (RFC 3834 §2).
func (s *Service) applyAutomatic(ctx context.Context, tx *models.Store, rec *models.IntakeRecord, p *mailin.Parsed, th mailin.Thread) (mailin.Result, error) {
	why := p.Class
	if p.ClassReason != "" {
		why += ": " + p.ClassReason
	}
	if th.TicketID == 0 {
		return ignored("automatic mail (" + why + "), not part of a ticket"), nil
	}
	if _, err := s.storeMessage(ctx, tx, th.TicketID, rec, p, s.inboundKind(ctx, tx, th)); err != nil {
		return mailin.Result{}, err
	}
	if err := tx.TouchTicket(ctx, th.TicketID); err != nil {
		return mailin.Result{}, err
	}
	if err := s.emitTicket(ctx, tx, EventTicketUpdated, th.TicketID); err != nil {
		return mailin.Result{}, err
	}
	id := th.TicketID
	return mailin.Result{Outcome: models.OutcomeAppended, TicketID: &id,
		Reason: fmt.Sprintf("automatic mail (%s) added to #%d without changing its status", why, th.Number)}, nil
}

// applyBounce links a delivery failure to the mail it bounces and flags the address.
func (s *Service) applyBounce(ctx context.Context, tx *models.Store, rec *models.IntakeRecord, p *mailin.Parsed, th mailin.Thread) (mailin.Result, error) {
	ticketID := th.TicketID
	recipient, status := "", ""
	if p.Bounce != nil {
		recipient, status = p.Bounce.Recipient, p.Bounce.Status
		if ob, err := tx.OutboxByMessageID(ctx, strings.Trim(p.Bounce.OriginalMessageID, "<>")); err == nil && ob.TicketID != nil {
			ticketID = *ob.TicketID
			if recipient == "" {
				recipient = ob.Recipients
			}
		} else if err != nil && !errors.Is(err, models.ErrNotFound) {
			return mailin.Result{}, err
		}
	}
	if ticketID == 0 {
		return ignored("bounce of a mail the desk did not send"), nil
	}
	if recipient != "" {
		if err := tx.FlagBounced(ctx, recipient, s.now()); err != nil {
			return mailin.Result{}, err
		}
	}
	if status == "" {
		status = p.Subject
	}
	msg, err := s.storeMessage(ctx, tx, ticketID, rec, p, models.KindSystem)
	if err != nil {
		return mailin.Result{}, err
	}
	// The agent reads the failure first; the full report stays below it.
	msg.Text = s.sysText("sys.bounce", recipient, status) + "\n\n" + msg.Text
	if err := tx.UpdateMessageText(ctx, msg.ID, msg.Text); err != nil {
		return mailin.Result{}, err
	}
	if err := tx.TouchTicket(ctx, ticketID); err != nil {
		return mailin.Result{}, err
	}
	if err := s.emitTicket(ctx, tx, EventTicketUpdated, ticketID); err != nil {
		return mailin.Result{}, err
	}
	return mailin.Result{Outcome: models.OutcomeAppended, TicketID: &ticketID,
		Reason: fmt.Sprintf("bounce: delivery to %s failed (%s)", recipient, status)}, nil
}

// applyReply appends a person's mail to the ticket it threads to.
func (s *Service) applyReply(ctx context.Context, tx *models.Store, rec *models.IntakeRecord, p *mailin.Parsed, th mailin.Thread) (mailin.Result, error) {
	t, err := tx.TicketByID(ctx, th.TicketID)
	if err != nil {
		return mailin.Result{}, err
	}
	kind := s.inboundKind(ctx, tx, th)
	if t.Status == models.StatusClosed && kind != models.KindVendorIn {
		nt, err := s.createTicket(ctx, tx, rec, p, mailin.Thread{}, t.Number)
		if err != nil {
			return mailin.Result{}, err
		}
		return mailin.Result{Outcome: models.OutcomeCreated, TicketID: &nt.ID,
			Reason: fmt.Sprintf("new ticket #%d: follow-up of closed #%d", nt.Number, t.Number)}, nil
	}
	if _, err := s.storeMessage(ctx, tx, t.ID, rec, p, kind); err != nil {
		return mailin.Result{}, err
	}
	if kind == models.KindVendorIn {
		if err := s.vendorReplied(ctx, tx, t, p); err != nil {
			return mailin.Result{}, err
		}
	} else if t.Status == models.StatusPending || t.Status == models.StatusResolved {
		if err := s.changeStatus(ctx, tx, t, models.StatusOpen, "intake"); err != nil {
			return mailin.Result{}, err
		}
	}
	if err := tx.TouchTicket(ctx, t.ID); err != nil {
		return mailin.Result{}, err
	}
	if err := tx.IndexAppendedText(ctx, t, p.SearchTextOr(tx.SearchText)); err != nil {
		return mailin.Result{}, err
	}
	if err := s.emitTicket(ctx, tx, EventTicketUpdated, t.ID); err != nil {
		return mailin.Result{}, err
	}
	what := "reply"
	if kind == models.KindVendorIn {
		what = "vendor reply"
		if err := s.emitTicket(ctx, tx, EventVendorCaseUpdated, t.ID); err != nil {
			return mailin.Result{}, err
		}
	}
	return mailin.Result{Outcome: models.OutcomeAppended, TicketID: &t.ID,
		Reason: fmt.Sprintf("%s added to #%d (threaded by %s)", what, t.Number, th.By)}, nil
}

// inboundKind tells a vendor's mail on a ticket with a case at that vendor
// from everybody else's.
func (s *Service) inboundKind(ctx context.Context, tx *models.Store, th mailin.Thread) string {
	if th.VendorID == 0 || th.TicketID == 0 {
		return models.KindEmail
	}
	c, err := tx.VendorCaseForTicket(ctx, th.TicketID)
	if err == nil && c.VendorID == th.VendorID {
		return models.KindVendorIn
	}
	return models.KindEmail
}

// vendorReplied captures the vendor's case number and moves the case on.
func (s *Service) vendorReplied(ctx context.Context, tx *models.Store, t *models.Ticket, p *mailin.Parsed) error {
	c, err := tx.VendorCaseForTicket(ctx, t.ID)
	if err != nil {
		return err
	}
	now := s.now()
	if c.CaseRef == "" && c.Vendor.CasePattern != "" {
		if ref := findCaseRef(c.Vendor.CasePattern, p.Subject+"\n"+p.Text); ref != "" {
			c.CaseRef = ref
			if err := s.audit(ctx, tx, "intake", "vendor_case", c.ID, "case_ref", "", ref); err != nil {
				return err
			}
			if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys.case_ref", ref)); err != nil {
				return err
			}
		}
	}
	if c.State == models.CaseForwarded {
		if err := s.audit(ctx, tx, "intake", "vendor_case", c.ID, "state", c.State, models.CaseAcknowledged); err != nil {
			return err
		}
		c.State = models.CaseAcknowledged
		c.ReceivedAt = &now
	}
	if err := tx.SaveVendorCase(ctx, c); err != nil {
		return err
	}
	return s.suggestCaseState(ctx, tx, t, c, p)
}

// createTicket opens a ticket from a person's mail: requester, category,
// asset, routing to the vendor and the acknowledgement.
func (s *Service) createTicket(ctx context.Context, tx *models.Store, rec *models.IntakeRecord, p *mailin.Parsed, th mailin.Thread, followUpOf int64) (*models.Ticket, error) {
	return s.openTicket(ctx, tx, rec, p, th, followUpOf, true)
}

// openTicket is createTicket; ack=false skips the acknowledgement (the API
// creates tickets on someone's behalf and may not want one mailed).
func (s *Service) openTicket(ctx context.Context, tx *models.Store, rec *models.IntakeRecord, p *mailin.Parsed, th mailin.Thread, followUpOf int64, ack bool) (*models.Ticket, error) {
	lang := p.Language
	if lang != "sv" && lang != "en" {
		lang = ""
	}
	requester, err := tx.UpsertRequester(ctx, p.From.Email, p.From.Name, lang)
	if err != nil {
		return nil, err
	}
	category := p.Fault
	if !slices.Contains(models.Categories, category) {
		category = models.CategoryOther
	}
	assets, err := tx.AssetsByCandidates(ctx, p.Serials)
	if err != nil {
		return nil, err
	}
	var asset *models.Asset
	if len(assets) > 0 {
		asset = &assets[0]
	}
	subject := cleanSubject(p.Subject)
	if subject == "" {
		subject = s.sysText("ticket.no_subject")
	}
	var cc []string
	for _, a := range slices.Concat(p.To, p.Cc) {
		if e := strings.ToLower(a.Email); e != "" && !s.isOwnAddress(e) && e != requester.Email && !slices.Contains(cc, e) {
			cc = append(cc, e)
		}
	}
	now := s.now()
	due := now.Add(s.opt.ResponseSLA)
	t := &models.Ticket{
		Subject: clip(subject, 500), RequesterID: requester.ID, Requester: *requester, Status: models.StatusNew,
		Priority: "normal", Category: category, FaultMatches: clip(strings.Join(p.FaultReason, ", "), 500),
		Language: lang, Cc: clip(strings.Join(cc, ","), 2000), SLADueAt: &due, CreatedAt: now, UpdatedAt: now,
	}
	if asset != nil {
		t.AssetID, t.Asset = &asset.ID, asset
	}
	if err := tx.CreateTicket(ctx, t); err != nil {
		return nil, err
	}
	msg, err := s.storeMessage(ctx, tx, t.ID, rec, p, models.KindEmail)
	if err != nil {
		return nil, err
	}
	if followUpOf != 0 {
		if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys.followup", followUpOf)); err != nil {
			return nil, err
		}
	}
	if th.ForgedTag != 0 {
		if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys.forged_tag", th.ForgedTag, p.From.Email)); err != nil {
			return nil, err
		}
	}
	if unknown := unknownSerials(p.Serials, assets); len(unknown) > 0 {
		if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys.unknown_serial", strings.Join(unknown, ", "))); err != nil {
			return nil, err
		}
	}
	forwarded, err := s.route(ctx, tx, t, requester, p, msg)
	if err != nil {
		return nil, err
	}
	if ack {
		if err := s.acknowledge(ctx, tx, t, requester, p, forwarded); err != nil {
			return nil, err
		}
	}
	if err := tx.IndexNewTicket(ctx, t, []string{p.SearchTextOr(tx.SearchText)}); err != nil {
		return nil, err
	}
	if err := s.emitTicket(ctx, tx, EventTicketCreated, t.ID); err != nil {
		return nil, err
	}
	return t, nil
}

func unknownSerials(serials []string, found []models.Asset) []string {
	var out []string
	for _, sn := range serials {
		known := false
		for _, a := range found {
			tag := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(a.AssetTag))
			if a.Serial == sn || tag == sn {
				known = true
			}
		}
		if !known {
			out = append(out, sn)
		}
	}
	return out
}

// forwardRefusal is the default rule's explanation: why a fault on asset
// cannot go to its vendor automatically, as a reason code (its system note is
// "sys."+code, its trace text "routing.reason."+code) with their arguments;
// "" when it can go.
func (s *Service) forwardRefusal(asset *models.Asset) (code string, args []string) {
	if asset == nil {
		return "no_asset", nil
	}
	w := WarrantyOf(asset, s.now())
	switch {
	case !w.Known:
		return "warranty_unknown", []string{asset.Serial}
	case !w.Under:
		return "out_of_warranty", []string{asset.Serial, formatDate(w.EndsOn)}
	case asset.Vendor == nil:
		return "no_vendor", []string{asset.Serial}
	case !asset.Vendor.AutoForward:
		return "no_auto_forward", []string{asset.Vendor.Name}
	}
	return "", nil
}

// forward sends the case to the asset's vendor, opens the vendor case and
// moves the ticket to at_vendor.
func (s *Service) forward(ctx context.Context, tx *models.Store, t *models.Ticket, asset *models.Asset, msg *models.Message, actor string) error {
	vendor := asset.Vendor
	w := WarrantyOf(asset, s.now())
	vm, err := s.renderVendorMail(ctx, tx, "vendor_forward", t, asset, msg, true)
	if err != nil {
		return err
	}
	sent, err := s.queueMail(ctx, tx, outMail{
		ticket: t, kind: models.KindVendorOut, purpose: "vendor_forward",
		to:      []mail.Address{{Name: vendor.Name, Address: vendor.Email}},
		replyTo: []mail.Address{{Name: s.opt.Address.Name, Address: s.plusAddress(t.Number)}},
		subject: vm.subject, text: vm.body, lang: s.opt.Language, attachments: vm.files,
	})
	if err != nil {
		return err
	}
	if err := s.assetState(ctx, tx, asset, models.AssetAtVendor, actor); err != nil {
		return err
	}
	now := s.now()
	c := &models.VendorCase{TicketID: t.ID, VendorID: vendor.ID, AssetID: &asset.ID, State: models.CaseForwarded, ForwardedAt: &now,
		ForwardMessageID: sent.MessageID}
	if err := tx.SaveVendorCase(ctx, c); err != nil {
		return err
	}
	if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys.forwarded", vendor.Name, formatDate(w.EndsOn))); err != nil {
		return err
	}
	if err := s.changeStatus(ctx, tx, t, models.StatusAtVendor, actor); err != nil {
		return err
	}
	return s.emitTicket(ctx, tx, EventVendorCaseUpdated, t.ID)
}

// acknowledge mails the requester a receipt with the ticket number, in their
// language, unless they bounce or have had too many receipts this hour.
func (s *Service) acknowledge(ctx context.Context, tx *models.Store, t *models.Ticket, r *models.Requester, p *mailin.Parsed, forwarded bool) error {
	if s.opt.AckLimitPerHour <= 0 || r.BouncedAt != nil {
		return nil
	}
	n, err := tx.CountAcksSince(ctx, r.Email, s.now().Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= int64(s.opt.AckLimitPerHour) {
		s.log.Warn("acknowledgement rate limit reached", "requester", r.Email, "ticket", t.Number)
		return nil
	}
	data := map[string]any{"Number": t.Number, "Subject": t.Subject, "Name": r.Name, "Desk": s.opt.Address.Name,
		"Forwarded": forwarded, "Model": "", "Serial": "", "WarrantyEnds": "", "Vendor": "",
		"StatusLink": s.StatusLink(t.Number), "ExpectedBack": ""}
	if forwarded && t.Asset != nil {
		data["Model"], data["Serial"] = t.Asset.Model, t.Asset.Serial
		data["WarrantyEnds"] = formatDate(WarrantyOf(t.Asset, s.now()).EndsOn)
		if t.Asset.Vendor != nil {
			data["Vendor"] = t.Asset.Vendor.Name
			data["ExpectedBack"] = s.expectedBackText(s.now(), t.Asset.Vendor)
		}
	}
	lang := s.mailLang(firstNonEmpty(p.Language, r.Language))
	subject, body, err := s.mails.Render("ack", lang, data)
	if err != nil {
		return err
	}
	if _, err := s.queueMail(ctx, tx, outMail{
		ticket: t, kind: models.KindEmail, purpose: "ack",
		to:      []mail.Address{{Name: r.Name, Address: r.Email}},
		subject: subject, text: body, inReplyTo: p.MessageID, references: p.References,
		automatic: true, lang: lang,
	}); err != nil {
		return err
	}
	return tx.LogAck(ctx, r.Email, s.now())
}

// storeMessage records a parsed mail and its attachments on a ticket.
func (s *Service) storeMessage(ctx context.Context, tx *models.Store, ticketID uint, rec *models.IntakeRecord, p *mailin.Parsed, kind string) (*models.Message, error) {
	m := &models.Message{
		TicketID: ticketID, Direction: models.DirIn, Kind: kind,
		FromName: clip(p.From.Name, 200), FromEmail: clip(strings.ToLower(p.From.Email), 320),
		To: clip(addrList(p.To), 2000), Cc: clip(addrList(p.Cc), 2000), Subject: clip(p.Subject, 500),
		Text: p.Text, HTML: p.HTML, MessageID: clip(p.MessageID, 500), InReplyTo: clip(p.InReplyTo, 500),
		References: strings.Join(p.References, " "), AutoClass: p.Class, CreatedAt: s.now(),
	}
	if rec != nil && rec.ID != 0 {
		m.IntakeRecordID = &rec.ID
	}
	for _, a := range p.Attachments {
		sum := a.SHA256
		if sum == "" { // a Parsed built by hand
			sum = models.SHA256Hex(a.Data)
		}
		if err := tx.PutBlobSum(ctx, sum, a.Data); err != nil {
			return nil, err
		}
		m.Attachments = append(m.Attachments, models.Attachment{
			BlobSHA256: sum, Filename: clip(a.Filename, 500), ContentType: clip(a.ContentType, 200),
			Size: int64(len(a.Data)), ContentID: clip(a.ContentID, 500), Inline: a.Inline, CreatedAt: s.now(),
		})
	}
	if err := tx.AddMessage(ctx, m); err != nil {
		return nil, err
	}
	return m, nil
}

func addrList(as []mailin.Address) string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.Email)
	}
	return strings.Join(out, ", ")
}

// systemNote adds a desk-generated entry to a ticket's conversation.
func (s *Service) systemNote(ctx context.Context, tx *models.Store, ticketID uint, text string) error {
	return tx.AddMessage(ctx, &models.Message{TicketID: ticketID, Direction: models.DirIn, Kind: models.KindSystem,
		Text: text, CreatedAt: s.now()})
}

// sysText renders a system message in the desk's language.
func (s *Service) sysText(key string, args ...any) string {
	return s.cat.T(s.opt.Language, key, args...)
}

// changeStatus moves a ticket to status and records who did it.
func (s *Service) changeStatus(ctx context.Context, tx *models.Store, t *models.Ticket, status, actor string) error {
	if t.Status == status {
		return nil
	}
	fields := map[string]any{"status": status}
	if status == models.StatusResolved || status == models.StatusClosed {
		fields["resolved_at"] = s.now()
	}
	s.slaOnStatusChange(t, status, fields)
	if err := tx.UpdateTicket(ctx, t.ID, fields); err != nil {
		return err
	}
	if err := s.audit(ctx, tx, actor, "ticket", t.ID, "status", t.Status, status); err != nil {
		return err
	}
	t.Status = status
	return nil
}

func (s *Service) audit(ctx context.Context, tx *models.Store, actor, object string, id uint, field, old, new string) error {
	return tx.AddAudit(ctx, models.AuditEvent{Actor: actor, Object: object, ObjectID: id, Field: field, Old: old, New: new, At: s.now()})
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
