package models

import (
	"context"
	"fmt"
	"time"
)

// Values of RuleConditions.UnderWarranty ("" = any).
const (
	WarrantyYes = "yes"
	WarrantyNo  = "no"
)

// Outcomes of a RoutingTrace.
const (
	// TraceMatched: every condition of the rule held and its actions ran.
	TraceMatched = "matched"
	// TraceRefused: the rule forwards to the vendor and every condition held
	// except the device's (warranty, vendor taking automatic cases); nothing
	// ran, and the ticket got a note saying why it was not forwarded.
	TraceRefused = "refused"
	// TraceNone: no rule matched the new ticket.
	TraceNone = "none"
)

// RoutingRule is one rule an admin keeps in the UI: when a new ticket meets
// all its conditions, its actions run. Rules are tried in Position order.
type RoutingRule struct {
	ID       uint   `gorm:"primaryKey"`
	Name     string `gorm:"size:200;not null"`
	Position int    `gorm:"not null;index"`
	Enabled  bool   `gorm:"not null;default:true"`
	// Stop ends the evaluation after this rule matched.
	Stop       bool           `gorm:"not null;default:false"`
	Conditions RuleConditions `gorm:"serializer:json;not null"`
	Actions    RuleActions    `gorm:"serializer:json;not null"`
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// RuleConditions must all hold for a rule to match; an empty condition holds
// for every ticket.
type RuleConditions struct {
	// Categories: the ticket's category is one of these.
	Categories []string `json:"categories,omitempty"`
	// Keywords: any of them occurs in the subject or text, ignoring case and
	// diacritics ("skarm" finds "Skärmen").
	Keywords []string `json:"keywords,omitempty"`
	// SenderDomains: the requester's address is at one of these domains or a
	// subdomain of one.
	SenderDomains []string `json:"sender_domains,omitempty"`
	// ModelContains: the linked asset's model contains this text.
	ModelContains string `json:"model_contains,omitempty"`
	// UnderWarranty: WarrantyYes, WarrantyNo or "" (any).
	UnderWarranty string `json:"under_warranty,omitempty"`
	// Vendors: the linked asset's vendor is one of these (by name).
	Vendors []string `json:"vendors,omitempty"`
	// VendorAutoForward: the linked asset's vendor takes automatic cases.
	VendorAutoForward bool `json:"vendor_auto_forward,omitempty"`
	// Language: the mail's language ("sv", "en"; "" = any).
	Language string `json:"language,omitempty"`
}

// RuleActions are what a matching rule does; zero values do nothing.
type RuleActions struct {
	SetCategory string `json:"set_category,omitempty"`
	SetPriority string `json:"set_priority,omitempty"`
	// AssigneeID is the agent the ticket is given to.
	AssigneeID *uint `json:"assignee_id,omitempty"`
	// Forward sends the case to the asset's vendor (when its warranty allows).
	Forward bool `json:"forward,omitempty"`
	// Reply is a canned automatic reply by language ("sv", "en"); the
	// requester gets the one in their language. Empty = no reply.
	Reply map[string]string `json:"reply,omitempty"`
}

// RoutingTrace records why a new ticket was routed the way it was: one row
// per rule that matched (or was refused), or one TraceNone row.
type RoutingTrace struct {
	ID       uint `gorm:"primaryKey"`
	TicketID uint `gorm:"not null;index"`
	// RuleID is nil once the rule is deleted; RuleName keeps its name then.
	RuleID   *uint
	RuleName string `gorm:"size:200"`
	Outcome  string `gorm:"size:16;not null"`
	// RulesEvaluated is how many enabled rules were tried (for TraceNone).
	RulesEvaluated int
	Conditions     []TraceCondition `gorm:"serializer:json"`
	Actions        []TraceAction    `gorm:"serializer:json"`
	CreatedAt      time.Time
}

// TraceCondition is one condition of a rule as evaluated on a ticket.
type TraceCondition struct {
	Field string `json:"field"`          // category, keyword, domain, model, warranty, vendor, auto_forward, language
	Want  string `json:"want,omitempty"` // what the rule asks for
	Got   string `json:"got,omitempty"`  // what the ticket had (the keyword found, the domain…)
	OK    bool   `json:"ok"`
}

// TraceAction is one action of a rule: done, or skipped with a reason.
type TraceAction struct {
	Kind  string `json:"kind"`            // category, priority, assignee, forward, reply
	Value string `json:"value,omitempty"` // new value, agent or vendor name, reply language
	Done  bool   `json:"done"`
	// Reason is the catalog key saying why it was skipped, Args its arguments.
	Reason string   `json:"reason,omitempty"`
	Args   []string `json:"args,omitempty"`
}

// DefaultRuleName is the name of the rule migration 20 creates.
const DefaultRuleName = "Maskinvarufel under garanti → återförsäljaren"

// RoutingRules lists every rule in evaluation order.
func (s *Store) RoutingRules(ctx context.Context) ([]RoutingRule, error) {
	return cachedList(ctx, "routing_rules", func() ([]RoutingRule, error) {
		var out []RoutingRule
		if err := s.r.WithContext(ctx).Order("position, id").Find(&out).Error; err != nil {
			return nil, fmt.Errorf("list routing rules: %w", err)
		}
		return out, nil
	})
}

// RoutingRuleByID loads one rule.
func (s *Store) RoutingRuleByID(ctx context.Context, id uint) (*RoutingRule, error) {
	var r RoutingRule
	if err := s.r.WithContext(ctx).First(&r, id).Error; err != nil {
		return nil, notFound(err)
	}
	return &r, nil
}

// CreateRoutingRule inserts r after every other rule.
func (s *Store) CreateRoutingRule(ctx context.Context, r *RoutingRule) error {
	db := s.w.WithContext(ctx)
	var last *int
	if err := db.Model(&RoutingRule{}).Select("MAX(position)").Scan(&last).Error; err != nil {
		return fmt.Errorf("last rule position: %w", err)
	}
	r.Position = 1
	if last != nil {
		r.Position = *last + 1
	}
	if err := db.Create(r).Error; err != nil {
		return fmt.Errorf("create routing rule: %w", err)
	}
	return nil
}

// SaveRoutingRule updates every field of r.
func (s *Store) SaveRoutingRule(ctx context.Context, r *RoutingRule) error {
	if err := s.w.WithContext(ctx).Save(r).Error; err != nil {
		return fmt.Errorf("save routing rule %d: %w", r.ID, err)
	}
	return nil
}

// SetRoutingRulePositions numbers the rules 1, 2, … in the order of ids.
func (s *Store) SetRoutingRulePositions(ctx context.Context, ids []uint) error {
	db := s.w.WithContext(ctx)
	for i, id := range ids {
		if err := db.Model(&RoutingRule{}).Where("id = ?", id).Update("position", i+1).Error; err != nil {
			return fmt.Errorf("move routing rule %d: %w", id, err)
		}
	}
	return nil
}

// DeleteRoutingRule removes a rule; the traces it left keep its name.
func (s *Store) DeleteRoutingRule(ctx context.Context, id uint) error {
	res := s.w.WithContext(ctx).Delete(&RoutingRule{}, id)
	if res.Error != nil {
		return fmt.Errorf("delete routing rule %d: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}

// AddRoutingTraces records how a ticket was routed.
func (s *Store) AddRoutingTraces(ctx context.Context, traces []RoutingTrace) error {
	if len(traces) == 0 {
		return nil
	}
	if d := deferredOf(ctx); d != nil {
		d.traces = append(d.traces, traces...)
		return nil
	}
	if err := s.w.WithContext(ctx).Create(&traces).Error; err != nil {
		return fmt.Errorf("record routing trace: %w", err)
	}
	return nil
}

// RoutingTraces lists how a ticket was routed, in evaluation order.
func (s *Store) RoutingTraces(ctx context.Context, ticketID uint) ([]RoutingTrace, error) {
	// Most tickets have none: asking whether there is one is a fifth of
	// loading them.
	var some bool
	if err := s.readRow(ctx, "SELECT EXISTS (SELECT 1 FROM routing_traces WHERE ticket_id = ?)", ticketID).Scan(&some); err != nil {
		return nil, fmt.Errorf("routing trace of ticket %d: %w", ticketID, err)
	} else if !some {
		return []RoutingTrace{}, nil // as GORM's Find gives
	}
	var out []RoutingTrace
	if err := s.r.WithContext(ctx).Where("ticket_id = ?", ticketID).Order("id").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("routing trace of ticket %d: %w", ticketID, err)
	}
	return out, nil
}
