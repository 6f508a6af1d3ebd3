package desk

// Routing rules as admins keep them: list, create, edit, enable, reorder,
// delete, and a dry run against an existing ticket. Only admins may change
// or test rules; every change is audited (object "routing_rule").

import (
	"context"
	"errors"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"warrantydesk/models"
	"warrantydesk/templates"
)

// Limits of a rule's fields.
const (
	maxRuleName    = 200
	maxRuleTerms   = 50 // keywords, domains or vendors
	maxRuleTerm    = 100
	maxReplyLength = 10_000
)

// RuleInput is a rule as the admin form sends it; lists are comma or newline
// separated text.
type RuleInput struct {
	Name          string
	Enabled, Stop bool
	// Conditions.
	Categories        []string
	Keywords          string
	SenderDomains     string
	ModelContains     string
	UnderWarranty     string // models.WarrantyYes, models.WarrantyNo or ""
	Vendors           []string
	VendorAutoForward bool
	Language          string
	// Actions.
	SetCategory string
	SetPriority string
	Assignee    string // agent ID, "" = none
	Forward     bool
	Reply       bool
	ReplyText   map[string]string // language → canned text
}

// RuleInputOf is the form of an existing rule.
func RuleInputOf(r *models.RoutingRule) RuleInput {
	c, a := r.Conditions, r.Actions
	in := RuleInput{
		Name: r.Name, Enabled: r.Enabled, Stop: r.Stop,
		Categories: c.Categories, Keywords: strings.Join(c.Keywords, ", "),
		SenderDomains: strings.Join(c.SenderDomains, ", "), ModelContains: c.ModelContains,
		UnderWarranty: c.UnderWarranty, Vendors: c.Vendors, VendorAutoForward: c.VendorAutoForward, Language: c.Language,
		SetCategory: a.SetCategory, SetPriority: a.SetPriority, Forward: a.Forward,
		Reply: len(a.Reply) > 0, ReplyText: map[string]string{},
	}
	if a.AssigneeID != nil {
		in.Assignee = strconv.FormatUint(uint64(*a.AssigneeID), 10)
	}
	for k, v := range a.Reply {
		in.ReplyText[k] = v
	}
	return in
}

// Rules lists every routing rule in evaluation order.
func (s *Service) Rules(ctx context.Context, actor *models.Agent) ([]models.RoutingRule, error) {
	if !isAdmin(actor) {
		return nil, ErrForbidden
	}
	return s.store.RoutingRules(ctx)
}

// Rule loads one routing rule.
func (s *Service) Rule(ctx context.Context, actor *models.Agent, id uint) (*models.RoutingRule, error) {
	if !isAdmin(actor) {
		return nil, ErrForbidden
	}
	return s.store.RoutingRuleByID(ctx, id)
}

// CreateRule adds a rule after all others.
func (s *Service) CreateRule(ctx context.Context, actor *models.Agent, in RuleInput) (*models.RoutingRule, error) {
	if !isAdmin(actor) {
		return nil, ErrForbidden
	}
	r := &models.RoutingRule{}
	err := s.store.Tx(ctx, func(tx *models.Store) error {
		if err := s.fillRule(ctx, tx, r, in); err != nil {
			return err
		}
		r.CreatedAt, r.UpdatedAt = s.now(), s.now()
		if err := tx.CreateRoutingRule(ctx, r); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, "routing_rule", r.ID, "created", "", clip(r.Name, 500))
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRule replaces a rule's name, switches, conditions and actions.
func (s *Service) UpdateRule(ctx context.Context, actor *models.Agent, id uint, in RuleInput) error {
	if !isAdmin(actor) {
		return ErrForbidden
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		r, err := tx.RoutingRuleByID(ctx, id)
		if err != nil {
			return err
		}
		old := r.Name
		if err := s.fillRule(ctx, tx, r, in); err != nil {
			return err
		}
		r.UpdatedAt = s.now()
		if err := tx.SaveRoutingRule(ctx, r); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, "routing_rule", r.ID, "updated", clip(old, 500), clip(r.Name, 500))
	})
}

// SetRuleEnabled switches a rule on or off.
func (s *Service) SetRuleEnabled(ctx context.Context, actor *models.Agent, id uint, enabled bool) error {
	if !isAdmin(actor) {
		return ErrForbidden
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		r, err := tx.RoutingRuleByID(ctx, id)
		if err != nil {
			return err
		}
		if r.Enabled == enabled {
			return nil
		}
		r.Enabled, r.UpdatedAt = enabled, s.now()
		if err := tx.SaveRoutingRule(ctx, r); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, "routing_rule", r.ID, "enabled", strconv.FormatBool(!enabled), strconv.FormatBool(enabled))
	})
}

// MoveRule moves a rule one place earlier (up) or later in the order. At
// either end it stays where it is.
func (s *Service) MoveRule(ctx context.Context, actor *models.Agent, id uint, up bool) error {
	if !isAdmin(actor) {
		return ErrForbidden
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		rules, err := tx.RoutingRules(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(rules, func(r models.RoutingRule) bool { return r.ID == id })
		if i < 0 {
			return ErrNotFound
		}
		j := i + 1
		if up {
			j = i - 1
		}
		if j < 0 || j >= len(rules) {
			return nil
		}
		rules[i], rules[j] = rules[j], rules[i]
		ids := make([]uint, len(rules))
		for k, r := range rules {
			ids[k] = r.ID
		}
		if err := tx.SetRoutingRulePositions(ctx, ids); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, "routing_rule", id, "position", strconv.Itoa(i+1), strconv.Itoa(j+1))
	})
}

// DeleteWarning says what deleting rule id would cost: "" or a catalog key.
// Deleting the last enabled rule that forwards to the vendor stops automatic
// warranty cases altogether; it is allowed, but the admin is told first.
func (s *Service) DeleteWarning(ctx context.Context, actor *models.Agent, id uint) (string, error) {
	rules, err := s.Rules(ctx, actor)
	if err != nil {
		return "", err
	}
	if !slices.ContainsFunc(rules, func(r models.RoutingRule) bool { return r.ID == id }) {
		return "", ErrNotFound
	}
	forwarding := 0
	this := false
	for _, r := range rules {
		if r.Enabled && r.Actions.Forward {
			forwarding++
			this = this || r.ID == id
		}
	}
	if this && forwarding == 1 {
		return "rules.delete_warning_last_forward", nil
	}
	return "", nil
}

// DeleteRule removes a rule. The traces it left on tickets keep its name.
func (s *Service) DeleteRule(ctx context.Context, actor *models.Agent, id uint) error {
	if !isAdmin(actor) {
		return ErrForbidden
	}
	return s.store.Tx(ctx, func(tx *models.Store) error {
		r, err := tx.RoutingRuleByID(ctx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteRoutingRule(ctx, id); err != nil {
			return err
		}
		return s.audit(ctx, tx, actor.Email, "routing_rule", id, "deleted", clip(r.Name, 500), "")
	})
}

// DryRun is what the rules would do if ticket Number came in now.
type DryRun struct {
	Number   int64
	Subject  string
	Outcomes []RuleOutcome
}

// DryRunRules evaluates every rule against an existing ticket as it is now
// (its category, priority, assignee, asset and first mail) and returns what
// each rule would do, changing nothing.
func (s *Service) DryRunRules(ctx context.Context, actor *models.Agent, number int64) (*DryRun, error) {
	if !isAdmin(actor) {
		return nil, ErrForbidden
	}
	t, err := s.store.TicketByNumber(ctx, number)
	if err != nil {
		return nil, err
	}
	msgs, err := s.store.Messages(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	body := ""
	for _, m := range msgs {
		if m.Direction == models.DirIn && m.Kind == models.KindEmail {
			body = m.Text
			break
		}
	}
	gate, err := s.autoMailGate(ctx, s.store, &t.Requester)
	if err != nil {
		return nil, err
	}
	in := routingInput{
		category: t.Category, priority: t.Priority, assigneeID: t.AssigneeID,
		text: fold(t.Subject + "\n" + body), sender: t.Requester.Email, language: t.Language,
		replyLang: s.mailLang(firstNonEmpty(t.Language, t.Requester.Language)), asset: t.Asset, replyGate: gate,
	}
	if c, err := s.store.VendorCaseForTicket(ctx, t.ID); err == nil {
		in.openCase = c.State != models.CaseClosed
	} else if !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	rules, err := s.store.RoutingRules(ctx)
	if err != nil {
		return nil, err
	}
	outcomes, err := s.planRules(ctx, s.store, rules, in)
	if err != nil {
		return nil, err
	}
	return &DryRun{Number: t.Number, Subject: t.Subject, Outcomes: outcomes}, nil
}

// RoutingTraces lists how a ticket was routed when it came in.
func (s *Service) RoutingTraces(ctx context.Context, ticketID uint) ([]models.RoutingTrace, error) {
	return s.store.RoutingTraces(ctx, ticketID)
}

// RuleFormChoices are the values the rule form offers.
type RuleFormChoices struct {
	Vendors []models.Vendor
	Agents  []models.Agent
}

// RuleChoices loads the vendors and agents the rule form offers.
func (s *Service) RuleChoices(ctx context.Context) (RuleFormChoices, error) {
	var c RuleFormChoices
	var err error
	if c.Vendors, err = s.store.ListVendors(ctx); err != nil {
		return c, err
	}
	c.Agents, err = s.store.ListAgents(ctx)
	return c, err
}

func isAdmin(a *models.Agent) bool { return a != nil && a.Role == models.RoleAdmin }

// fillRule validates in and copies it into r. Every wrong field is reported
// at once, each with a message naming it.
func (s *Service) fillRule(ctx context.Context, tx *models.Store, r *models.RoutingRule, in RuleInput) error {
	bad := map[string]string{}
	name := strings.TrimSpace(in.Name)
	switch {
	case name == "":
		bad["name"] = "rules.error.name_required"
	case utf8.RuneCountInString(name) > maxRuleName:
		bad["name"] = "rules.error.name_too_long"
	}
	var c models.RuleConditions
	for _, cat := range in.Categories {
		if !slices.Contains(models.Categories, cat) {
			bad["cond_category"] = "rules.error.bad_category"
		} else if !slices.Contains(c.Categories, cat) {
			c.Categories = append(c.Categories, cat)
		}
	}
	var ok bool
	if c.Keywords, ok = splitTerms(in.Keywords); !ok {
		bad["cond_keywords"] = "rules.error.keywords"
	}
	if c.SenderDomains, ok = splitTerms(strings.ToLower(in.SenderDomains)); !ok {
		bad["cond_domains"] = "rules.error.domains"
	}
	for i, d := range c.SenderDomains {
		d = strings.TrimPrefix(d, "@")
		c.SenderDomains[i] = d
		if _, err := mail.ParseAddress("x@" + d); err != nil || !strings.Contains(d, ".") || strings.ContainsAny(d, "@ ") {
			bad["cond_domains"] = "rules.error.domains"
		}
	}
	c.ModelContains = strings.TrimSpace(in.ModelContains)
	if utf8.RuneCountInString(c.ModelContains) > maxRuleTerm {
		bad["cond_model"] = "rules.error.model_too_long"
	}
	switch in.UnderWarranty {
	case "", models.WarrantyYes, models.WarrantyNo:
		c.UnderWarranty = in.UnderWarranty
	default:
		bad["cond_warranty"] = "rules.error.bad_warranty"
	}
	if len(in.Vendors) > 0 {
		vendors, err := tx.ListVendors(ctx)
		if err != nil {
			return err
		}
		for _, v := range in.Vendors {
			i := slices.IndexFunc(vendors, func(x models.Vendor) bool { return strings.EqualFold(x.Name, v) })
			if i < 0 {
				bad["cond_vendor"] = "rules.error.bad_vendor"
			} else if !slices.Contains(c.Vendors, vendors[i].Name) {
				c.Vendors = append(c.Vendors, vendors[i].Name)
			}
		}
	}
	c.VendorAutoForward = in.VendorAutoForward
	if in.Language != "" && !slices.Contains(templates.Languages, in.Language) {
		bad["cond_language"] = "rules.error.bad_language"
	}
	c.Language = in.Language

	var a models.RuleActions
	if in.SetCategory != "" && !slices.Contains(models.Categories, in.SetCategory) {
		bad["act_category"] = "rules.error.bad_category"
	}
	a.SetCategory = in.SetCategory
	if in.SetPriority != "" && !slices.Contains(models.Priorities, in.SetPriority) {
		bad["act_priority"] = "rules.error.bad_priority"
	}
	a.SetPriority = in.SetPriority
	if in.Assignee != "" {
		id, err := strconv.ParseUint(in.Assignee, 10, 32)
		if err != nil {
			bad["act_assignee"] = "rules.error.bad_assignee"
		} else if _, err := tx.AgentByID(ctx, uint(id)); errors.Is(err, models.ErrNotFound) {
			bad["act_assignee"] = "rules.error.bad_assignee"
		} else if err != nil {
			return err
		} else {
			aid := uint(id)
			a.AssigneeID = &aid
		}
	}
	a.Forward = in.Forward
	if in.Reply {
		a.Reply = map[string]string{}
		for _, lang := range templates.Languages {
			text := strings.TrimSpace(strings.ReplaceAll(in.ReplyText[lang], "\r\n", "\n"))
			field := "act_reply_" + lang
			switch {
			case text == "":
				bad[field] = "rules.error.reply_required_" + lang
			case len(text) > maxReplyLength:
				bad[field] = "rules.error.reply_too_long_" + lang
			case unknownPlaceholder(text):
				bad[field] = "rules.error.reply_placeholder_" + lang
			}
			a.Reply[lang] = text
		}
	}
	if a.SetCategory == "" && a.SetPriority == "" && a.AssigneeID == nil && !a.Forward && !in.Reply && bad["act_assignee"] == "" {
		bad["actions"] = "rules.error.no_action"
	}
	if len(bad) > 0 {
		return &ValidationError{Fields: bad}
	}
	r.Name, r.Enabled, r.Stop, r.Conditions, r.Actions = name, in.Enabled, in.Stop, c, a
	return nil
}

// splitTerms splits comma or newline separated text into trimmed, distinct
// terms; false when there are too many or one is too long.
func splitTerms(s string) ([]string, bool) {
	var out []string
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ';' }) {
		t = strings.TrimSpace(t)
		if t == "" || slices.Contains(out, t) {
			continue
		}
		if utf8.RuneCountInString(t) > maxRuleTerm {
			return out, false
		}
		out = append(out, t)
	}
	return out, len(out) <= maxRuleTerms
}

// unknownPlaceholder reports whether text has a {{…}} that is not one of
// ReplyPlaceholders (a typo would otherwise reach the requester).
func unknownPlaceholder(text string) bool {
	for _, m := range placeholderRe.FindAllStringSubmatch(text, -1) {
		if !slices.Contains(ReplyPlaceholders, strings.ToLower(m[1])) {
			return true
		}
	}
	// Braces the pattern did not take ({{ticket, {{a b}}) are typos too.
	return strings.Count(text, "{{") != len(placeholderRe.FindAllString(text, -1))
}
