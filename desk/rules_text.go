package desk

// Routing rules and traces in words, in the reader's language: the rule list's
// summaries, the ticket page's "why was this routed so" and the dry run.

import (
	"strings"

	"warrantydesk/models"
)

// RuleSummary describes what a rule does, e.g. "If category is Hardware and
// under warranty: forward to the reseller." agentNames names assignees.
func (s *Service) RuleSummary(lang string, r *models.RoutingRule, agentNames map[uint]string) string {
	var conds []string
	for _, c := range ruleConditions(r.Conditions) {
		conds = append(conds, s.conditionPhrase(lang, c.Field, c.Want, true))
	}
	var acts []string
	a := r.Actions
	if a.SetCategory != "" {
		acts = append(acts, s.cat.T(lang, "routing.act.category", s.cat.T(lang, "category."+a.SetCategory)))
	}
	if a.SetPriority != "" {
		acts = append(acts, s.cat.T(lang, "routing.act.priority", s.cat.T(lang, "priority."+a.SetPriority)))
	}
	if a.AssigneeID != nil {
		name, ok := agentNames[*a.AssigneeID]
		if !ok {
			name = s.cat.T(lang, "routing.unknown_agent")
		}
		acts = append(acts, s.cat.T(lang, "routing.act.assignee", name))
	}
	if a.Forward {
		acts = append(acts, s.cat.T(lang, "routing.act.forward"))
	}
	if len(a.Reply) > 0 {
		acts = append(acts, s.cat.T(lang, "routing.act.reply"))
	}
	actions := strings.Join(acts, ", ")
	out := s.cat.T(lang, "rules.summary_any", actions)
	if len(conds) > 0 {
		out = s.cat.T(lang, "rules.summary", strings.Join(conds, s.cat.T(lang, "routing.and")), actions)
	}
	if r.Stop {
		out += " " + s.cat.T(lang, "rules.summary_stop")
	}
	return out
}

// ruleConditions lists the conditions a rule sets, as unevaluated trace
// conditions (Want only).
func ruleConditions(c models.RuleConditions) []models.TraceCondition {
	var out []models.TraceCondition
	add := func(field, want string) { out = append(out, models.TraceCondition{Field: field, Want: want}) }
	if len(c.Categories) > 0 {
		add(condCategory, strings.Join(c.Categories, ","))
	}
	if len(c.Keywords) > 0 {
		add(condKeyword, strings.Join(c.Keywords, ","))
	}
	if len(c.SenderDomains) > 0 {
		add(condDomain, strings.Join(c.SenderDomains, ","))
	}
	if c.ModelContains != "" {
		add(condModel, c.ModelContains)
	}
	if c.UnderWarranty != "" {
		add(condWarranty, c.UnderWarranty)
	}
	if len(c.Vendors) > 0 {
		add(condVendor, strings.Join(c.Vendors, ","))
	}
	if c.VendorAutoForward {
		add(condAutoForward, models.WarrantyYes)
	}
	if c.Language != "" {
		add(condLanguage, c.Language)
	}
	return out
}

// ConditionText describes an evaluated condition: what held ("category=
// Hardware"), or for one that failed, what the rule wanted and what the
// ticket had.
func (s *Service) ConditionText(lang string, c models.TraceCondition) string {
	if c.OK {
		return s.conditionPhrase(lang, c.Field, c.Got, false)
	}
	had := s.conditionValue(lang, c.Field, c.Got)
	if had == "" {
		had = s.cat.T(lang, "routing.nothing")
	}
	return s.cat.T(lang, "routing.cond_failed", s.conditionPhrase(lang, c.Field, c.Want, true), had)
}

// conditionPhrase is "category=Hardware" for one value, or "category=
// Hardware or Software" for a rule's list (want).
func (s *Service) conditionPhrase(lang, field, value string, want bool) string {
	if field == condAutoForward {
		return s.cat.T(lang, "routing.cond.auto_forward")
	}
	v := s.conditionValue(lang, field, value)
	if want {
		var parts []string
		for _, p := range strings.Split(value, ",") {
			parts = append(parts, s.conditionValue(lang, field, p))
		}
		v = strings.Join(parts, s.cat.T(lang, "routing.or"))
	}
	return s.cat.T(lang, "routing.cond."+field, v)
}

// conditionValue shows one value of a condition field in lang.
func (s *Service) conditionValue(lang, field, v string) string {
	if v == "" {
		return ""
	}
	switch field {
	case condCategory:
		return s.cat.T(lang, "category."+v)
	case condWarranty:
		return s.cat.T(lang, "routing.warranty."+v)
	case condLanguage:
		return s.cat.T(lang, "lang."+v)
	}
	return v
}

// ActionText describes an action that was (or would be) done, or skipped
// and why.
func (s *Service) ActionText(lang string, a models.TraceAction) string {
	v := a.Value
	switch a.Kind {
	case actCategory:
		v = s.cat.T(lang, "category."+v)
	case actPriority:
		v = s.cat.T(lang, "priority."+v)
	case actReply:
		v = s.cat.T(lang, "lang."+v)
	}
	if a.Done {
		return s.cat.T(lang, "routing.done."+a.Kind, v)
	}
	return s.cat.T(lang, "routing.not."+a.Kind, s.cat.T(lang, a.Reason, anys(a.Args)...))
}

// TraceText tells in one line why a ticket was routed as it was, e.g.
// "Rule «X» matched (category=Hardware, warranty=yes) → sent to Refurbo AB".
func (s *Service) TraceText(lang string, tr models.RoutingTrace) string {
	if tr.Outcome == models.TraceNone {
		return s.cat.T(lang, "routing.trace.none", tr.RulesEvaluated)
	}
	var conds, acts []string
	for _, c := range tr.Conditions {
		conds = append(conds, s.ConditionText(lang, c))
	}
	if len(conds) == 0 {
		conds = []string{s.cat.T(lang, "routing.any")}
	}
	for _, a := range tr.Actions {
		acts = append(acts, s.ActionText(lang, a))
	}
	key := "routing.trace.matched"
	if tr.Outcome == models.TraceRefused {
		key = "routing.trace.refused"
	}
	return s.cat.T(lang, key, tr.RuleName, strings.Join(conds, ", "), strings.Join(acts, "; "))
}
