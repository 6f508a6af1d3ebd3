package desk

// The reseller loop after the forward: the vendor case's states and their
// dates, the forward preview, and the paid-repair quote request for devices
// outside the warranty.

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"warrantydesk/mailin"
	"warrantydesk/mailout"
	"warrantydesk/models"
)

// MaxCaseRefLength caps a vendor's case number (the column's size).
const MaxCaseRefLength = 100

// Forward preview kinds: what sending the case would do.
const (
	// PreviewWarranty is a warranty claim (ForwardToVendor).
	PreviewWarranty = "warranty"
	// PreviewPaidRepair is a quote request for a repair outside the warranty
	// (RequestPaidRepair).
	PreviewPaidRepair = "paid_repair"
)

// ForwardPreview is the mail a ticket would send to its device's reseller,
// shown to the agent before anything is sent.
type ForwardPreview struct {
	Number int64
	// Kind is PreviewWarranty or PreviewPaidRepair: a device that is not
	// under warranty gets the paid-repair quote request instead of a claim.
	Kind        string
	To          mail.Address
	Subject     string
	Body        string
	Attachments []string // file names sent along
	// UnderWarranty reports whether the device is covered today;
	// WarrantyKnown is false when the registry has no dates for it.
	UnderWarranty  bool
	WarrantyKnown  bool
	WarrantyEndsOn time.Time
	// NoticeKey is a catalog key explaining the preview to the agent
	// ("forward.preview_warranty", "forward.preview_out_of_warranty" or
	// "forward.preview_warranty_unknown"); format it with WarrantyEndsOn.
	NoticeKey string
	// SharesRequester tells whether the requester's name and address go to
	// the reseller (Options.VendorShareRequester).
	SharesRequester bool
}

// PreviewForward renders, without sending, the mail that ForwardToVendor
// (device under warranty) or RequestPaidRepair (otherwise) would send for
// ticket number. ConflictError when the ticket has no device, the device no
// reseller, or the ticket already has an open case.
func (s *Service) PreviewForward(ctx context.Context, number int64) (*ForwardPreview, error) {
	t, err := s.store.TicketByNumber(ctx, number)
	if err != nil {
		return nil, err
	}
	if err := s.checkCanSend(ctx, s.store, t); err != nil {
		return nil, err
	}
	msgs, err := s.store.Messages(ctx, t.ID)
	if err != nil {
		return nil, fmt.Errorf("preview forward of #%d: %w", number, err)
	}
	w := WarrantyOf(t.Asset, s.now())
	p := &ForwardPreview{Number: t.Number, Kind: PreviewWarranty, UnderWarranty: w.Under, WarrantyKnown: w.Known,
		WarrantyEndsOn: w.EndsOn, NoticeKey: "forward.preview_warranty", SharesRequester: s.opt.VendorShareRequester,
		To: mail.Address{Name: t.Asset.Vendor.Name, Address: t.Asset.Vendor.Email}}
	name := "vendor_forward"
	switch {
	case !w.Known:
		p.Kind, p.NoticeKey, name = PreviewPaidRepair, "forward.preview_warranty_unknown", "vendor_quote"
	case !w.Under:
		p.Kind, p.NoticeKey, name = PreviewPaidRepair, "forward.preview_out_of_warranty", "vendor_quote"
	}
	vm, err := s.renderVendorMail(ctx, s.store, name, t, t.Asset, firstRequesterMail(msgs), false)
	if err != nil {
		return nil, err
	}
	p.Subject, p.Body, p.Attachments = vm.subject, vm.body, vm.names
	return p, nil
}

// RequestPaidRepair asks the device's reseller for a quote on a repair
// outside the warranty: a clearly different mail from a warranty claim
// ("Offertförfrågan: reparation utanför garanti"). It is recorded as a
// vendor case marked PaidRepair, so the reseller's answer threads to the
// ticket and the case's states, turnaround and reminders work as for a
// claim; the ticket waits at_vendor. ConflictError when the device is under
// warranty (forward it instead), has no reseller, or a case is open.
func (s *Service) RequestPaidRepair(ctx context.Context, actor *models.Agent, number int64) error {
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		if err := s.checkCanSend(ctx, tx, t); err != nil {
			return err
		}
		if WarrantyOf(t.Asset, s.now()).Under {
			return &ConflictError{Key: "error.paid_repair_under_warranty"}
		}
		msgs, err := tx.Messages(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("paid repair for #%d: %w", number, err)
		}
		vendor := t.Asset.Vendor
		vm, err := s.renderVendorMail(ctx, tx, "vendor_quote", t, t.Asset, firstRequesterMail(msgs), true)
		if err != nil {
			return err
		}
		sent, err := s.queueMail(ctx, tx, outMail{
			ticket: t, kind: models.KindVendorOut, purpose: "vendor_quote", fromName: actor.Name, agentID: &actor.ID,
			to:      []mail.Address{{Name: vendor.Name, Address: vendor.Email}},
			replyTo: []mail.Address{{Name: s.opt.Address.Name, Address: s.plusAddress(t.Number)}},
			subject: vm.subject, text: vm.body, lang: s.opt.Language, attachments: vm.files,
		})
		if err != nil {
			return err
		}
		now := s.now()
		c := &models.VendorCase{TicketID: t.ID, VendorID: vendor.ID, AssetID: &t.Asset.ID, State: models.CaseForwarded,
			ForwardedAt: &now, ForwardMessageID: sent.MessageID, PaidRepair: true}
		if err := tx.SaveVendorCase(ctx, c); err != nil {
			return fmt.Errorf("record paid repair for #%d: %w", number, err)
		}
		if err := s.audit(ctx, tx, actor.Email, "ticket", t.ID, "paid_repair", "", vendor.Name); err != nil {
			return err
		}
		if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys.paid_repair", vendor.Name)); err != nil {
			return err
		}
		if err := s.changeStatus(ctx, tx, t, models.StatusAtVendor, actor.Email); err != nil {
			return err
		}
		if err := tx.TouchTicket(ctx, t.ID); err != nil {
			return err
		}
		if err := tx.IndexTicket(ctx, t.ID); err != nil {
			return err
		}
		// As an automatic forward: the new case is the news.
		return s.emitTicket(ctx, tx, EventVendorCaseUpdated, t.ID)
	})
	if err == nil {
		s.mailQueued()
	}
	return err
}

// checkCanSend refuses a mail to the reseller that cannot or must not go.
func (s *Service) checkCanSend(ctx context.Context, tx *models.Store, t *models.Ticket) error {
	switch {
	case t.Asset == nil:
		return &ConflictError{Key: "error.forward_no_asset"}
	case t.Asset.Vendor == nil:
		return &ConflictError{Key: "error.forward_no_vendor"}
	}
	c, err := tx.VendorCaseForTicket(ctx, t.ID)
	switch {
	case err == nil && c.State != models.CaseClosed:
		return &ConflictError{Key: "error.forward_open_case"}
	case err != nil && !errors.Is(err, models.ErrNotFound):
		return err
	}
	return nil
}

// firstRequesterMail returns the mail that opened the ticket, or nil.
func firstRequesterMail(msgs []models.Message) *models.Message {
	for i := range msgs {
		if msgs[i].Direction == models.DirIn && msgs[i].Kind == models.KindEmail {
			return &msgs[i]
		}
	}
	return nil
}

// vendorMail is a rendered mail to a reseller.
type vendorMail struct {
	subject, body string
	files         []mailout.File
	names         []string
}

// renderVendorMail renders mail template name (vendor_forward, vendor_quote)
// about ticket t's device, with the fault from msg and, when withFiles,
// msg's attachments. The requester is named only when
// Options.VendorShareRequester is set; otherwise the reseller learns the
// department and the requester's name and address are taken out of the
// fault text.
func (s *Service) renderVendorMail(ctx context.Context, tx *models.Store, name string, t *models.Ticket, asset *models.Asset, msg *models.Message, withFiles bool) (*vendorMail, error) {
	vm := &vendorMail{}
	fault := ""
	if msg != nil {
		fault = strings.TrimSpace(msg.Text)
		for _, a := range msg.Attachments {
			vm.names = append(vm.names, a.Filename)
			if !withFiles {
				continue
			}
			data, err := tx.Blob(ctx, a.BlobSHA256)
			if err != nil {
				return nil, fmt.Errorf("attachment %q for the vendor: %w", a.Filename, err)
			}
			vm.files = append(vm.files, mailout.File{Filename: a.Filename, ContentType: a.ContentType, Data: data})
		}
	}
	requester, requesterEmail := "", ""
	if s.opt.VendorShareRequester {
		requester, requesterEmail = t.Requester.Name, t.Requester.Email
	} else {
		fault = redactPerson(fault, t.Requester.Name, t.Requester.Email, s.sysText("vendor.redacted"))
	}
	delivered, warrantyEnds := "", ""
	if asset.DeliveredOn != nil {
		delivered = formatDate(*asset.DeliveredOn)
	}
	if w := WarrantyOf(asset, s.now()); w.Known {
		warrantyEnds = formatDate(w.EndsOn)
	}
	vendorName := ""
	if asset.Vendor != nil {
		vendorName = asset.Vendor.Name
	}
	var err error
	vm.subject, vm.body, err = s.mails.Render(name, s.opt.Language, map[string]any{
		"Number": t.Number, "Subject": t.Subject, "Vendor": vendorName, "Serial": asset.Serial,
		"AssetTag": asset.AssetTag, "Model": asset.Model, "Manufacturer": asset.Manufacturer,
		"DeliveredOn": delivered, "WarrantyEnds": warrantyEnds,
		"Requester": requester, "RequesterEmail": requesterEmail, "Fault": fault,
		"Department": firstNonEmpty(asset.Department, t.Requester.Department), "Desk": s.opt.Address.Name,
		"Attachments": strings.Join(vm.names, ", "),
	})
	if err != nil {
		return nil, err
	}
	return vm, nil
}

// emailRe finds mail addresses in free text.
var emailRe = regexp.MustCompile(`[\p{L}\p{N}._%+\-]+@[\p{L}\p{N}.\-]+\.[\p{L}]{2,}`)

// redactPerson replaces, in text, every mail address and the person's name
// (whole, and each part of it of three letters or more, as whole words —
// signatures often carry only the first name) by marker.
func redactPerson(text, name, email, marker string) string {
	text = emailRe.ReplaceAllString(text, marker)
	if email != "" {
		text = strings.ReplaceAll(text, email, marker)
	}
	parts := []string{strings.TrimSpace(name)}
	for _, p := range strings.Fields(name) {
		if len([]rune(p)) >= 3 {
			parts = append(parts, p)
		}
	}
	for _, p := range parts {
		if p == "" {
			continue
		}
		re := regexp.MustCompile(`(?i)(^|[^\p{L}\p{N}])` + regexp.QuoteMeta(p) + `($|[^\p{L}\p{N}])`)
		for re.MatchString(text) { // loop: adjacent matches share a boundary
			text = re.ReplaceAllString(text, "${1}"+marker+"${2}")
		}
	}
	return text
}

// caseStateIndex is a state's place in the forward order, or -1.
func caseStateIndex(state string) int { return slices.Index(models.CaseStates, state) }

// SetCaseState moves the vendor case of ticket number to state (one of
// models.CaseStates) and records caseRef (the vendor's case number; "" keeps
// the one known) and an optional comment. States only move forward; closed
// may follow any state. Each state's date is recorded (see
// models.VendorCase.StateAt), the change is audited on the vendor case and a
// system note is added to the ticket.
//
// Side effects: in_repair puts the device at_vendor; shipped_back puts it
// back in_use, moves the ticket from at_vendor to open ("back from repair")
// and tells the requester; closed (e.g. the reseller declined) also returns a
// device still at_vendor to in_use and reopens a ticket still at_vendor, so
// someone takes it up.
func (s *Service) SetCaseState(ctx context.Context, actor *models.Agent, number int64, state, caseRef, comment string) error {
	caseRef, comment = strings.TrimSpace(caseRef), strings.TrimSpace(comment)
	switch {
	case caseStateIndex(state) < 0:
		return invalid("state", "error.bad_case_state")
	case len(caseRef) > MaxCaseRefLength:
		return invalid("case_ref", "error.case_ref_too_long")
	case len(comment) > MaxTextLength:
		return invalid("comment", "error.text_too_long")
	}
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		t, err := tx.TicketByNumber(ctx, number)
		if err != nil {
			return err
		}
		c, err := tx.VendorCaseForTicket(ctx, t.ID)
		if errors.Is(err, models.ErrNotFound) {
			return &ConflictError{Key: "error.no_vendor_case"}
		} else if err != nil {
			return err
		}
		refChanged := caseRef != "" && caseRef != c.CaseRef
		switch cur, next := caseStateIndex(c.State), caseStateIndex(state); {
		case c.State == models.CaseClosed:
			return &ConflictError{Key: "error.case_closed"}
		case next < cur:
			return &ConflictError{Key: "error.case_state_backwards"}
		case next == cur && !refChanged:
			return &ConflictError{Key: "error.case_state_same"}
		}
		return s.applyCaseState(ctx, tx, actor.Email, t, c, state, caseRef, comment)
	})
	if err == nil {
		s.mailQueued()
	}
	return err
}

// applyCaseState writes a validated case state change and its effects.
func (s *Service) applyCaseState(ctx context.Context, tx *models.Store, actor string, t *models.Ticket, c *models.VendorCase, state, caseRef, comment string) error {
	now := s.now()
	var notes []string
	if caseRef != "" && caseRef != c.CaseRef {
		if err := s.audit(ctx, tx, actor, "vendor_case", c.ID, "case_ref", c.CaseRef, caseRef); err != nil {
			return err
		}
		c.CaseRef = caseRef
		notes = append(notes, s.sysText("sys.case_ref", caseRef))
	}
	if state != c.State {
		if err := s.audit(ctx, tx, actor, "vendor_case", c.ID, "state", c.State, state); err != nil {
			return err
		}
		c.State = state
		switch state {
		case models.CaseAcknowledged:
			c.ReceivedAt = &now
		case models.CaseInRepair:
			c.InRepairAt = &now
		case models.CaseShippedBack:
			c.ReturnedAt = &now
			if c.RepairedAt == nil {
				c.RepairedAt = &now
			}
		case models.CaseClosed:
			c.ClosedAt = &now
		}
		notes = append([]string{s.sysText("sys.case_state", c.Vendor.Name, s.sysText("case_state."+state))}, notes...)
	}
	if err := tx.SaveVendorCase(ctx, c); err != nil {
		return fmt.Errorf("save vendor case of #%d: %w", t.Number, err)
	}
	if comment != "" {
		notes = append(notes, comment)
	}
	if err := s.systemNote(ctx, tx, t.ID, strings.Join(notes, "\n\n")); err != nil {
		return err
	}
	var asset *models.Asset
	if c.AssetID != nil {
		a, err := tx.AssetByID(ctx, *c.AssetID)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		asset = a
	}
	switch state {
	case models.CaseInRepair:
		if err := s.assetState(ctx, tx, asset, models.AssetAtVendor, actor); err != nil {
			return err
		}
	case models.CaseShippedBack, models.CaseClosed:
		if asset != nil && asset.State == models.AssetAtVendor {
			if err := s.assetState(ctx, tx, asset, models.AssetInUse, actor); err != nil {
				return err
			}
		}
		if t.Status == models.StatusAtVendor {
			if err := s.changeStatus(ctx, tx, t, models.StatusOpen, actor); err != nil {
				return err
			}
		}
		if state == models.CaseShippedBack {
			if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys.back_from_repair", assetName(asset))); err != nil {
				return err
			}
			if err := s.noticeBack(ctx, tx, t); err != nil {
				return err
			}
		}
	}
	if err := tx.TouchTicket(ctx, t.ID); err != nil {
		return err
	}
	if err := tx.IndexTicket(ctx, t.ID); err != nil {
		return err
	}
	return s.emitTicket(ctx, tx, EventVendorCaseUpdated, t.ID)
}

func assetName(a *models.Asset) string {
	if a == nil {
		return ""
	}
	return strings.TrimSpace(a.Model + " " + a.Serial)
}

// assetState sets a device's state and audits the change. A retired device
// stays retired; an unchanged state writes nothing.
func (s *Service) assetState(ctx context.Context, tx *models.Store, a *models.Asset, state, actor string) error {
	if a == nil || a.ID == 0 || a.State == state || a.State == models.AssetRetired {
		return nil
	}
	if err := tx.SetAssetState(ctx, a.ID, state); err != nil {
		return fmt.Errorf("set device %s %s: %w", a.Serial, state, err)
	}
	if err := s.audit(ctx, tx, actor, "asset", a.ID, "state", a.State, state); err != nil {
		return err
	}
	a.State = state
	return nil
}

// caseWords are the phrases in a reseller's own words (quoted history
// removed) that suggest a case state. Deliberately narrow: a wrong
// suggestion costs an agent's attention, a missing one nothing.
var caseWords = []struct {
	state string
	re    *regexp.Regexp
}{
	{models.CaseShippedBack, wordsRe(`skickad tillbaka`, `skickats tillbaka`, `skickat tillbaka`, `skickad i retur`,
		`returnerad`, `returnerats`, `på väg tillbaka`, `shipped`, `sent back`, `has been returned`, `returned to you`,
		`on its way back`)},
	{models.CaseInRepair, wordsRe(`under reparation`, `på verkstaden`, `repareras`, `in repair`, `under repair`,
		`being repaired`)},
	{models.CaseAcknowledged, wordsRe(`mottagen`, `mottaget`, `mottagit`, `tagit emot`, `received`)},
}

// notYetRe finds, just before a matched phrase, a negation or a future
// ("inte mottagen", "hasn't been shipped", "will be shipped", "ska
// skickas tillbaka"): the state is not reached, so nothing is suggested.
var notYetRe = regexp.MustCompile(`(?i)((^|[^\p{L}])(inte|ej|icke|aldrig|ska|skall|kommer|not|never|will|shall|going)|n't)` +
	`[^\p{L}]*(\p{L}+[^\p{L}]+){0,2}$`)

func wordsRe(phrases ...string) *regexp.Regexp {
	for i, p := range phrases {
		phrases[i] = regexp.QuoteMeta(p)
	}
	return regexp.MustCompile(`(?i)(^|[^\p{L}])(` + strings.Join(phrases, "|") + `)($|[^\p{L}])`)
}

// suggestCaseState reads a reseller's reply for words that say where the
// case stands and, when they point past the case's current state, adds a
// system note suggesting the change. It never changes the state itself.
func (s *Service) suggestCaseState(ctx context.Context, tx *models.Store, t *models.Ticket, c *models.VendorCase, p *mailin.Parsed) error {
	state, phrase := suggestedCaseState(mailin.StripQuoted(p.Text), c.State)
	if state == "" {
		return nil
	}
	return s.systemNote(ctx, tx, t.ID, s.sysText("sys.case_suggest", s.sysText("case_state."+state), phrase))
}

// suggestedCaseState returns the latest state after cur that text (a
// reseller's own words) clearly reports, with the phrase that says so, or
// "" when none does.
func suggestedCaseState(text, cur string) (state, phrase string) {
	at := caseStateIndex(cur)
	for _, w := range caseWords { // latest state first
		if caseStateIndex(w.state) <= at {
			continue
		}
		for _, loc := range w.re.FindAllStringSubmatchIndex(text, -1) {
			if notYetRe.MatchString(text[max(0, loc[4]-40):loc[4]]) {
				continue
			}
			return w.state, text[loc[4]:loc[5]]
		}
	}
	return "", ""
}
