package desk

// The routing engine: the rules admins keep in the UI, evaluated in order
// when intake opens a ticket, inside the transaction that creates it. Each
// rule's conditions are checked against the ticket as earlier rules left it
// (a rule that sets the category changes what later rules see); a matching
// rule's actions run and a "stop" rule ends the evaluation. Every ticket
// records why it was routed as it was (models.RoutingTrace).

import (
	"context"
	"errors"
	"net/mail"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// Results of one rule in a RuleOutcome besides models.TraceMatched and
// models.TraceRefused.
const (
	RuleNoMatch    = "no_match"
	RuleDisabled   = "disabled"
	RuleNotReached = "not_reached" // an earlier "stop" rule matched
)

// Condition fields of models.TraceCondition.
const (
	condCategory    = "category"
	condKeyword     = "keyword"
	condDomain      = "domain"
	condModel       = "model"
	condWarranty    = "warranty"
	condVendor      = "vendor"
	condAutoForward = "auto_forward"
	condLanguage    = "language"
)

// Action kinds of models.TraceAction, in the order a rule's actions run.
const (
	actCategory = "category"
	actPriority = "priority"
	actAssignee = "assignee"
	actForward  = "forward"
	actReply    = "reply"
)

// RuleOutcome is one rule evaluated against a ticket: each of its conditions
// and, when it matched (or was refused), what each action did or would do.
type RuleOutcome struct {
	Rule       models.RoutingRule
	Result     string // models.TraceMatched, models.TraceRefused, RuleNoMatch, RuleDisabled, RuleNotReached
	Conditions []models.TraceCondition
	Actions    []models.TraceAction

	assignee *models.Agent // the agent an assignee action gives the ticket to
	note     string        // reason code of the system note explaining a refused forward
	noteArgs []string
	reply    string // the canned reply's text, in replyLang
}

// routingInput is what the conditions are checked against.
type routingInput struct {
	category, priority string
	assigneeID         *uint
	text               string // folded subject and text; see foldedText
	rawText            string // subject and text, folded only when a keyword rule asks
	sender             string // requester's address
	language           string // the mail's language
	replyLang          string // the language automatic mail to the requester is in
	asset              *models.Asset
	openCase           bool   // the ticket already has an open vendor case (dry run)
	replyGate          string // "" or why no automatic mail may go to the requester
}

// foldedText folds the mail's text on first use: most rules have no keywords,
// and folding a long mail is the costliest step of routing.
func (in *routingInput) foldedText() string {
	if in.text == "" && in.rawText != "" {
		in.text, in.rawText = fold(in.rawText), ""
	}
	return in.text
}

// route runs the routing rules on a ticket intake just created and records
// the trace. It reports whether the ticket was forwarded to a vendor.
func (s *Service) route(ctx context.Context, tx *models.Store, t *models.Ticket, r *models.Requester, p *mailin.Parsed, msg *models.Message) (bool, error) {
	rules, err := tx.RoutingRules(ctx)
	if err != nil {
		return false, err
	}
	gate, err := s.autoMailGate(ctx, tx, r)
	if err != nil {
		return false, err
	}
	in := routingInput{
		category: t.Category, priority: t.Priority, assigneeID: t.AssigneeID,
		rawText: p.Subject + "\n" + p.Text, sender: r.Email, language: t.Language,
		replyLang: s.mailLang(firstNonEmpty(p.Language, r.Language)), asset: t.Asset, replyGate: gate,
	}
	outcomes, err := s.planRules(ctx, tx, rules, in)
	if err != nil {
		return false, err
	}
	forwarded := false
	notes := map[string]bool{}
	var traces []models.RoutingTrace
	for i := range outcomes {
		o := &outcomes[i]
		if o.Result != models.TraceMatched && o.Result != models.TraceRefused {
			continue
		}
		for _, a := range o.Actions {
			if !a.Done {
				continue
			}
			did, err := s.runAction(ctx, tx, t, r, p, msg, o, a)
			if err != nil {
				return false, err
			}
			forwarded = forwarded || did
		}
		// The default rule's explanation: why a fault was not sent to the
		// vendor, as a note on the ticket (once, however many rules say it).
		if o.note != "" && !notes[o.note] {
			notes[o.note] = true
			if err := s.systemNote(ctx, tx, t.ID, s.sysText("sys."+o.note, anys(o.noteArgs)...)); err != nil {
				return false, err
			}
		}
		id := o.Rule.ID
		traces = append(traces, models.RoutingTrace{TicketID: t.ID, RuleID: &id, RuleName: o.Rule.Name,
			Outcome: o.Result, Conditions: o.Conditions, Actions: o.Actions, CreatedAt: s.now()})
	}
	if len(traces) == 0 {
		enabled := 0
		for _, rule := range rules {
			if rule.Enabled {
				enabled++
			}
		}
		traces = append(traces, models.RoutingTrace{TicketID: t.ID, Outcome: models.TraceNone,
			RulesEvaluated: enabled, CreatedAt: s.now()})
	}
	return forwarded, tx.AddRoutingTraces(ctx, traces)
}

// runAction carries out one planned action. It reports whether it forwarded.
func (s *Service) runAction(ctx context.Context, tx *models.Store, t *models.Ticket, r *models.Requester, p *mailin.Parsed,
	msg *models.Message, o *RuleOutcome, a models.TraceAction) (bool, error) {
	switch a.Kind {
	case actCategory:
		old := t.Category
		if err := tx.UpdateTicket(ctx, t.ID, map[string]any{"category": a.Value}); err != nil {
			return false, err
		}
		t.Category = a.Value
		return false, s.audit(ctx, tx, routingActor, "ticket", t.ID, "category", old, a.Value)
	case actPriority:
		old := t.Priority
		if err := tx.UpdateTicket(ctx, t.ID, map[string]any{"priority": a.Value}); err != nil {
			return false, err
		}
		t.Priority = a.Value
		return false, s.audit(ctx, tx, routingActor, "ticket", t.ID, "priority", old, a.Value)
	case actAssignee:
		old := ""
		if t.Assignee != nil {
			old = t.Assignee.Email
		}
		if err := tx.UpdateTicket(ctx, t.ID, map[string]any{"assignee_id": o.assignee.ID}); err != nil {
			return false, err
		}
		t.AssigneeID, t.Assignee = &o.assignee.ID, o.assignee
		return false, s.audit(ctx, tx, routingActor, "ticket", t.ID, "assignee", old, o.assignee.Email)
	case actForward:
		return true, s.forward(ctx, tx, t, t.Asset, msg, routingActor)
	case actReply:
		return false, s.cannedReply(ctx, tx, t, r, p, a.Value, o.reply)
	}
	return false, nil
}

// routingActor is who the audit log names for what the rules did.
const routingActor = "routing"

// planRules evaluates rules in order against in and plans each matching
// rule's actions, without changing anything: the dry run shows the plan, and
// route carries it out.
func (s *Service) planRules(ctx context.Context, tx *models.Store, rules []models.RoutingRule, in routingInput) ([]RuleOutcome, error) {
	out := make([]RuleOutcome, 0, len(rules))
	stopped, forwarded, replied := false, false, false
	for _, rule := range rules {
		o := RuleOutcome{Rule: rule}
		switch {
		case !rule.Enabled:
			o.Result = RuleDisabled
			out = append(out, o)
			continue
		case stopped:
			o.Result = RuleNotReached
			out = append(out, o)
			continue
		}
		var ok bool
		o.Conditions, ok = s.evalConditions(rule.Conditions, &in)
		switch {
		case ok:
			o.Result = models.TraceMatched
		case rule.Actions.Forward && onlyDeviceFailed(o.Conditions):
			// The rule forwards, and only the device stood in the way: say why
			// the ticket did not go to the vendor (routeHardware's notes).
			o.Result = models.TraceRefused
			code, args := s.forwardRefusal(in.asset)
			o.Actions = append(o.Actions, skipped(actForward, "", "routing.reason."+code, args...))
			o.note, o.noteArgs = code, args
			out = append(out, o)
			continue
		default:
			o.Result = RuleNoMatch
			out = append(out, o)
			continue
		}
		act := rule.Actions
		if v := act.SetCategory; v != "" {
			if v == in.category {
				o.Actions = append(o.Actions, skipped(actCategory, v, "routing.reason.unchanged"))
			} else {
				o.Actions = append(o.Actions, models.TraceAction{Kind: actCategory, Value: v, Done: true})
				in.category = v
			}
		}
		if v := act.SetPriority; v != "" {
			if v == in.priority {
				o.Actions = append(o.Actions, skipped(actPriority, v, "routing.reason.unchanged"))
			} else {
				o.Actions = append(o.Actions, models.TraceAction{Kind: actPriority, Value: v, Done: true})
				in.priority = v
			}
		}
		if act.AssigneeID != nil {
			a, err := tx.AgentByID(ctx, *act.AssigneeID)
			switch {
			case errors.Is(err, models.ErrNotFound):
				o.Actions = append(o.Actions, skipped(actAssignee, "", "routing.reason.no_agent"))
			case err != nil:
				return nil, err
			case in.assigneeID != nil && *in.assigneeID == a.ID:
				o.Actions = append(o.Actions, skipped(actAssignee, a.Name, "routing.reason.unchanged"))
			default:
				o.Actions = append(o.Actions, models.TraceAction{Kind: actAssignee, Value: a.Name, Done: true})
				o.assignee, in.assigneeID = a, &a.ID
			}
		}
		if act.Forward {
			code, args := s.forwardRefusal(in.asset)
			switch {
			case forwarded:
				o.Actions = append(o.Actions, skipped(actForward, "", "routing.reason.already_forwarded"))
			case in.openCase:
				o.Actions = append(o.Actions, skipped(actForward, "", "routing.reason.open_case"))
			case code != "":
				o.Actions = append(o.Actions, skipped(actForward, "", "routing.reason."+code, args...))
				o.note, o.noteArgs = code, args
			default:
				o.Actions = append(o.Actions, models.TraceAction{Kind: actForward, Value: in.asset.Vendor.Name, Done: true})
				forwarded = true
			}
		}
		if len(act.Reply) > 0 {
			text, lang := replyText(act.Reply, in.replyLang, s.opt.Language)
			switch {
			case replied:
				o.Actions = append(o.Actions, skipped(actReply, lang, "routing.reason.already_replied"))
			case in.replyGate != "":
				o.Actions = append(o.Actions, skipped(actReply, lang, in.replyGate))
			case text == "":
				o.Actions = append(o.Actions, skipped(actReply, lang, "routing.reason.no_text"))
			default:
				o.Actions = append(o.Actions, models.TraceAction{Kind: actReply, Value: lang, Done: true})
				o.reply, replied = text, true
			}
		}
		out = append(out, o)
		stopped = rule.Stop
	}
	return out, nil
}

func skipped(kind, value, reason string, args ...string) models.TraceAction {
	return models.TraceAction{Kind: kind, Value: value, Reason: reason, Args: args}
}

// onlyDeviceFailed reports whether the conditions that failed are all about
// the device's eligibility for an automatic forward (warranty, the vendor
// taking automatic cases), so that a forwarding rule owes an explanation.
func onlyDeviceFailed(conds []models.TraceCondition) bool {
	failed := false
	for _, c := range conds {
		if c.OK {
			continue
		}
		if !(c.Field == condWarranty && c.Want == models.WarrantyYes) && c.Field != condAutoForward {
			return false
		}
		failed = true
	}
	return failed
}

// evalConditions checks every condition a rule sets; all must hold.
func (s *Service) evalConditions(c models.RuleConditions, in *routingInput) ([]models.TraceCondition, bool) {
	var out []models.TraceCondition
	all := true
	add := func(field, want, got string, ok bool) {
		out = append(out, models.TraceCondition{Field: field, Want: want, Got: got, OK: ok})
		all = all && ok
	}
	if len(c.Categories) > 0 {
		add(condCategory, strings.Join(c.Categories, ","), in.category, slices.Contains(c.Categories, in.category))
	}
	if len(c.Keywords) > 0 {
		found := ""
		text := in.foldedText()
		for _, k := range c.Keywords {
			if f := fold(k); f != "" && strings.Contains(text, f) {
				found = k
				break
			}
		}
		add(condKeyword, strings.Join(c.Keywords, ","), found, found != "")
	}
	if len(c.SenderDomains) > 0 {
		_, domain, _ := strings.Cut(strings.ToLower(in.sender), "@")
		ok := false
		for _, d := range c.SenderDomains {
			d = strings.ToLower(d)
			ok = ok || domain == d || strings.HasSuffix(domain, "."+d)
		}
		add(condDomain, strings.Join(c.SenderDomains, ","), domain, ok)
	}
	var vendor *models.Vendor
	model := ""
	if in.asset != nil {
		vendor, model = in.asset.Vendor, in.asset.Model
	}
	if c.ModelContains != "" {
		add(condModel, c.ModelContains, model, model != "" && strings.Contains(fold(model), fold(c.ModelContains)))
	}
	if c.UnderWarranty != "" {
		got := "unknown"
		if w := WarrantyOf(in.asset, s.now()); w.Known && w.Under {
			got = models.WarrantyYes
		} else if w.Known {
			got = models.WarrantyNo
		}
		add(condWarranty, c.UnderWarranty, got, got == c.UnderWarranty)
	}
	if len(c.Vendors) > 0 {
		name := ""
		if vendor != nil {
			name = vendor.Name
		}
		add(condVendor, strings.Join(c.Vendors, ","), name, name != "" && slices.ContainsFunc(c.Vendors, func(v string) bool {
			return strings.EqualFold(v, name)
		}))
	}
	if c.VendorAutoForward {
		got := ""
		if vendor != nil {
			got = vendor.Name
		}
		add(condAutoForward, models.WarrantyYes, got, vendor != nil && vendor.AutoForward)
	}
	if c.Language != "" {
		add(condLanguage, c.Language, in.language, in.language == c.Language)
	}
	return out, all
}

// autoMailGate says why no automatic mail may go to the requester now (a
// catalog key), or "": the same limits as the acknowledgement.
func (s *Service) autoMailGate(ctx context.Context, tx *models.Store, r *models.Requester) (string, error) {
	if s.opt.AckLimitPerHour <= 0 {
		return "routing.reason.auto_mail_off", nil
	}
	if r.BouncedAt != nil {
		return "routing.reason.bounced", nil
	}
	n, err := tx.CountAcksSince(ctx, r.Email, s.now().Add(-time.Hour))
	if err != nil {
		return "", err
	}
	if n >= int64(s.opt.AckLimitPerHour) {
		return "routing.reason.rate_limit", nil
	}
	return "", nil
}

// replyText picks a canned reply's text in lang, else in the desk's
// language, else any; it returns the language it picked.
func replyText(texts map[string]string, lang, deskLang string) (string, string) {
	for _, l := range []string{lang, deskLang} {
		if t := strings.TrimSpace(texts[l]); t != "" {
			return texts[l], l
		}
	}
	keys := make([]string, 0, len(texts))
	for k := range texts {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if strings.TrimSpace(texts[k]) != "" {
			return texts[k], k
		}
	}
	return "", lang
}

// placeholderRe finds {{name}} placeholders in a canned reply.
var placeholderRe = regexp.MustCompile(`\{\{\s*([A-Za-z_]*)\s*\}\}`)

// ReplyPlaceholders are the placeholders a canned reply may use.
var ReplyPlaceholders = []string{"ticket", "subject", "serial", "model"}

// fillPlaceholders replaces {{ticket}}, {{subject}}, {{serial}} and {{model}}.
func fillPlaceholders(text string, t *models.Ticket) string {
	values := map[string]string{"ticket": strconv.FormatInt(t.Number, 10), "subject": t.Subject}
	if t.Asset != nil {
		values["serial"], values["model"] = t.Asset.Serial, t.Asset.Model
	}
	return placeholderRe.ReplaceAllStringFunc(text, func(m string) string {
		return values[strings.ToLower(placeholderRe.FindStringSubmatch(m)[1])]
	})
}

// cannedReply mails a rule's canned reply to the requester, as automatic
// mail answering their mail; the acknowledgement still goes out on its own.
func (s *Service) cannedReply(ctx context.Context, tx *models.Store, t *models.Ticket, r *models.Requester, p *mailin.Parsed, lang, text string) error {
	_, err := s.queueMail(ctx, tx, outMail{
		ticket: t, kind: models.KindEmail, purpose: "rule_reply",
		to:        []mail.Address{{Name: r.Name, Address: r.Email}},
		subject:   s.cat.T(lang, "routing.reply_subject", t.Number, t.Subject),
		text:      strings.TrimSpace(fillPlaceholders(text, t)) + "\n",
		inReplyTo: p.MessageID, references: p.References, automatic: true, lang: lang,
	})
	return err
}

// foldTransform removes diacritics: "Skärm" and "skarm" compare equal.
var foldTransform = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// foldExtra maps letters that do not decompose.
var foldExtra = strings.NewReplacer("ø", "o", "æ", "ae", "ß", "ss", "đ", "d", "ł", "l")

// fold lowers s, removes its diacritics and collapses white space, for
// matching keywords regardless of how the mail was typed.
func fold(s string) string {
	out, _, err := transform.String(foldTransform, strings.ToLower(s))
	if err != nil {
		out = strings.ToLower(s)
	}
	return strings.Join(strings.Fields(foldExtra.Replace(out)), " ")
}

func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}
