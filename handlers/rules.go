package handlers

// The routing rules admin pages (/admin/rules): list, create and edit form,
// enable/disable, move, delete with a confirmation, and a dry run against a
// ticket. Plus the "Routing" card of the ticket page.

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
	"warrantydesk/templates"
)

const rulesURL = "/admin/rules"

func ruleURL(id uint) string { return rulesURL + "/" + strconv.FormatUint(uint64(id), 10) }

// rulesData is the rule list.
type rulesData struct {
	Rows    []ruleRow
	TestURL string // where the dry-run form goes (GET)
}

// ruleRow is one rule in the list.
type ruleRow struct {
	ID                 uint
	Position           int
	Name, Summary      string
	State              badge
	Enabled, Stop      bool
	First, Last        bool
	EditURL, DeleteURL string
	EnableURL, MoveURL string
}

// rulesPage lists the rules in evaluation order.
func (h *handler) rulesPage(c echo.Context) error {
	ctx, lang, actor := c.Request().Context(), h.lang(c), agentOf(c)
	rules, err := h.Desk.Rules(ctx, actor)
	if err != nil {
		return err
	}
	names, err := h.agentNames(c)
	if err != nil {
		return err
	}
	d := rulesData{TestURL: rulesURL + "/test"}
	for i := range rules {
		r := &rules[i]
		row := ruleRow{
			ID: r.ID, Position: i + 1, Name: r.Name, Summary: h.Desk.RuleSummary(lang, r, names),
			Enabled: r.Enabled, Stop: r.Stop, First: i == 0, Last: i == len(rules)-1,
			EditURL: ruleURL(r.ID), DeleteURL: ruleURL(r.ID) + "/delete",
			EnableURL: ruleURL(r.ID) + "/enabled", MoveURL: ruleURL(r.ID) + "/move",
			State: badge{Class: "badge-ok", Text: h.Catalog.T(lang, "rules.state_on")},
		}
		if !r.Enabled {
			row.State = badge{Class: "badge-unknown", Text: h.Catalog.T(lang, "rules.state_off")}
		}
		d.Rows = append(d.Rows, row)
	}
	return h.render(c, http.StatusOK, "rules", "rules", "rules.title", d)
}

func (h *handler) agentNames(c echo.Context) (map[uint]string, error) {
	agents, err := h.Store.ListAgents(c.Request().Context())
	if err != nil {
		return nil, err
	}
	out := make(map[uint]string, len(agents))
	for _, a := range agents {
		out[a.ID] = a.Name
	}
	return out, nil
}

// ruleFormData is the create/edit form.
type ruleFormData struct {
	Action, CancelURL string
	New               bool
	In                desk.RuleInput
	Categories        []option // checkboxes
	Warranty          []option
	Languages         []option // "" = any
	Vendors           []option // checkboxes
	SetCategory       []option // "" = unchanged
	SetPriority       []option
	Assignees         []option
	Replies           []replyField
	Placeholders      string
	Errors            []string        // translated, each naming its field
	Invalid           map[string]bool // form field → refused
}

// replyField is the canned reply of one language.
type replyField struct {
	Lang, Label, Name, Text string
	Invalid                 bool
}

// ruleNewPage shows an empty form; new rules start enabled.
func (h *handler) ruleNewPage(c echo.Context) error {
	return h.renderRuleForm(c, http.StatusOK, 0, desk.RuleInput{Enabled: true}, nil)
}

// ruleEditPage shows the form of an existing rule.
func (h *handler) ruleEditPage(c echo.Context) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	r, err := h.Desk.Rule(c.Request().Context(), agentOf(c), id)
	if err != nil {
		return err
	}
	return h.renderRuleForm(c, http.StatusOK, id, desk.RuleInputOf(r), nil)
}

// ruleCreate adds a rule from the form.
func (h *handler) ruleCreate(c echo.Context) error {
	in := ruleInput(c)
	_, err := h.Desk.CreateRule(c.Request().Context(), agentOf(c), in)
	return h.ruleSaved(c, 0, in, err, "flash.rule_created")
}

// ruleUpdate saves the form of an existing rule.
func (h *handler) ruleUpdate(c echo.Context) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	in := ruleInput(c)
	return h.ruleSaved(c, id, in, h.Desk.UpdateRule(c.Request().Context(), agentOf(c), id, in), "flash.rule_saved")
}

// ruleSaved goes back to the list, or shows the form again with what was
// typed and why it was refused.
func (h *handler) ruleSaved(c echo.Context, id uint, in desk.RuleInput, err error, okKey string) error {
	var verr *desk.ValidationError
	switch {
	case err == nil:
		h.setFlash(c, "ok", okKey)
		return redirect(c, rulesURL)
	case errors.As(err, &verr):
		return h.renderRuleForm(c, http.StatusBadRequest, id, in, verr)
	}
	return err
}

func (h *handler) renderRuleForm(c echo.Context, status int, id uint, in desk.RuleInput, verr *desk.ValidationError) error {
	ctx, lang := c.Request().Context(), h.lang(c)
	choices, err := h.Desk.RuleChoices(ctx)
	if err != nil {
		return err
	}
	d := ruleFormData{
		Action: rulesURL, CancelURL: rulesURL, New: id == 0, In: in,
		Categories:   checks(h.options(lang, "category.", models.Categories, ""), in.Categories),
		Warranty:     h.withAny(lang, "rules.any", h.options(lang, "routing.warranty.", []string{models.WarrantyYes, models.WarrantyNo}, in.UnderWarranty), in.UnderWarranty),
		Languages:    h.withAny(lang, "rules.any", h.options(lang, "lang.", templates.Languages, in.Language), in.Language),
		SetCategory:  h.withAny(lang, "rules.unchanged", h.options(lang, "category.", models.Categories, in.SetCategory), in.SetCategory),
		SetPriority:  h.withAny(lang, "rules.unchanged", h.options(lang, "priority.", models.Priorities, in.SetPriority), in.SetPriority),
		Placeholders: "{{" + strings.Join(desk.ReplyPlaceholders, "}}, {{") + "}}",
		Invalid:      map[string]bool{},
	}
	if id != 0 {
		d.Action = ruleURL(id)
		c.Set(ctxPath, ruleURL(id))
	} else {
		c.Set(ctxPath, rulesURL+"/new")
	}
	for _, v := range choices.Vendors {
		d.Vendors = append(d.Vendors, option{Value: v.Name, Label: v.Name})
	}
	d.Vendors = checks(d.Vendors, in.Vendors)
	d.Assignees = []option{{Value: "", Label: h.Catalog.T(lang, "rules.nobody"), Selected: in.Assignee == ""}}
	for _, a := range choices.Agents {
		v := strconv.FormatUint(uint64(a.ID), 10)
		d.Assignees = append(d.Assignees, option{Value: v, Label: a.Name, Selected: v == in.Assignee})
	}
	if verr != nil {
		d.Errors = h.fieldMessages(lang, verr)
		for f := range verr.Fields {
			d.Invalid[f] = true
		}
	}
	for _, l := range templates.Languages {
		d.Replies = append(d.Replies, replyField{Lang: l, Label: h.Catalog.T(lang, "rules.reply_text", h.Catalog.T(lang, "lang."+l)),
			Name: "act_reply_" + l, Text: in.ReplyText[l], Invalid: d.Invalid["act_reply_"+l]})
	}
	if d.New {
		return h.render(c, status, "rules_form", "rules", "rules.new_title", d)
	}
	return h.render(c, status, "rules_form", "rules", "rules.edit_title", d, in.Name)
}

// checks marks the options whose value is in selected.
func checks(opts []option, selected []string) []option {
	for i := range opts {
		for _, s := range selected {
			if strings.EqualFold(opts[i].Value, s) {
				opts[i].Selected = true
			}
		}
	}
	return opts
}

// withAny puts a "" choice labelled by key in front of opts.
func (h *handler) withAny(lang, key string, opts []option, selected string) []option {
	return append([]option{{Value: "", Label: h.Catalog.T(lang, key), Selected: selected == ""}}, opts...)
}

// ruleInput reads the rule form.
func ruleInput(c echo.Context) desk.RuleInput {
	form, _ := c.FormParams() // a broken body leaves the form empty; validation says what is missing
	in := desk.RuleInput{
		Name: form.Get("name"), Enabled: form.Get("enabled") != "", Stop: form.Get("stop") != "",
		Categories: form["cond_category"], Keywords: form.Get("cond_keywords"), SenderDomains: form.Get("cond_domains"),
		ModelContains: form.Get("cond_model"), UnderWarranty: form.Get("cond_warranty"), Vendors: form["cond_vendor"],
		VendorAutoForward: form.Get("cond_auto_forward") != "", Language: form.Get("cond_language"),
		SetCategory: form.Get("act_category"), SetPriority: form.Get("act_priority"), Assignee: form.Get("act_assignee"),
		Forward: form.Get("act_forward") != "", Reply: form.Get("act_reply") != "", ReplyText: map[string]string{},
	}
	for _, l := range templates.Languages {
		in.ReplyText[l] = form.Get("act_reply_" + l)
	}
	return in
}

// ruleID reads :id; anything but a positive number is a 400.
func ruleID(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "bad rule id")
	}
	return uint(n), nil
}

// ruleSetEnabled switches a rule on (enabled=1) or off.
func (h *handler) ruleSetEnabled(c echo.Context) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	on := c.FormValue("enabled") == "1"
	if err := h.Desk.SetRuleEnabled(c.Request().Context(), agentOf(c), id, on); err != nil {
		return err
	}
	key := "flash.rule_disabled"
	if on {
		key = "flash.rule_enabled"
	}
	h.setFlash(c, "ok", key)
	return redirect(c, rulesURL)
}

// ruleMove moves a rule up (dir=up) or down (dir=down) one place.
func (h *handler) ruleMove(c echo.Context) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	dir := c.FormValue("dir")
	if dir != "up" && dir != "down" {
		return echo.NewHTTPError(http.StatusBadRequest, "dir must be up or down")
	}
	if err := h.Desk.MoveRule(c.Request().Context(), agentOf(c), id, dir == "up"); err != nil {
		return err
	}
	h.setFlash(c, "ok", "flash.rule_moved")
	return redirect(c, rulesURL)
}

// ruleDeleteData is the delete confirmation.
type ruleDeleteData struct {
	Name, Summary, Warning string
	Action, CancelURL      string
}

// ruleDeletePage asks before deleting, and warns when the rule is the last
// one that forwards to the reseller.
func (h *handler) ruleDeletePage(c echo.Context) error {
	ctx, lang, actor := c.Request().Context(), h.lang(c), agentOf(c)
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	r, err := h.Desk.Rule(ctx, actor, id)
	if err != nil {
		return err
	}
	warn, err := h.Desk.DeleteWarning(ctx, actor, id)
	if err != nil {
		return err
	}
	names, err := h.agentNames(c)
	if err != nil {
		return err
	}
	d := ruleDeleteData{Name: r.Name, Summary: h.Desk.RuleSummary(lang, r, names),
		Action: ruleURL(id) + "/delete", CancelURL: rulesURL}
	if warn != "" {
		d.Warning = h.Catalog.T(lang, warn)
	}
	return h.render(c, http.StatusOK, "rules_delete", "rules", "rules.delete_title", d, r.Name)
}

// ruleDelete deletes a rule after the confirmation.
func (h *handler) ruleDelete(c echo.Context) error {
	id, err := ruleID(c)
	if err != nil {
		return err
	}
	if err := h.Desk.DeleteRule(c.Request().Context(), agentOf(c), id); err != nil {
		return err
	}
	h.setFlash(c, "ok", "flash.rule_deleted")
	return redirect(c, rulesURL)
}

// ruleTestData is the dry run of every rule against one ticket.
type ruleTestData struct {
	Number    string // as typed
	TicketURL string
	Subject   string
	Rules     []ruleTestRow
	Error     string // translated: no such ticket, bad number
}

// ruleTestRow is one rule of the dry run.
type ruleTestRow struct {
	Position   int
	Name       string
	Result     badge
	Conditions []ruleTestCond
	Actions    []string
}

type ruleTestCond struct {
	OK   bool
	Text string
}

// ruleTest is the dry run: what the rules would do with ticket ?ticket=N if
// it came in now. It changes nothing.
func (h *handler) ruleTest(c echo.Context) error {
	ctx, lang := c.Request().Context(), h.lang(c)
	raw := strings.TrimPrefix(strings.TrimSpace(c.QueryParam("ticket")), "#")
	d := ruleTestData{Number: raw}
	status := http.StatusOK
	n, err := strconv.ParseInt(raw, 10, 64)
	if raw == "" || err != nil || n <= 0 {
		if raw != "" {
			d.Error, status = h.Catalog.T(lang, "rules.test_bad_number"), http.StatusBadRequest
		}
		return h.render(c, status, "rules_test", "rules", "rules.test_title", d)
	}
	run, err := h.Desk.DryRunRules(ctx, agentOf(c), n)
	switch {
	case errors.Is(err, desk.ErrNotFound):
		d.Error = h.Catalog.T(lang, "rules.test_no_ticket", n)
		return h.render(c, http.StatusNotFound, "rules_test", "rules", "rules.test_title", d)
	case err != nil:
		return err
	}
	d.TicketURL, d.Subject = ticketURL(run.Number), run.Subject
	for i, o := range run.Outcomes {
		row := ruleTestRow{Position: i + 1, Name: o.Rule.Name,
			Result: badge{Class: "rule-" + o.Result, Text: h.Catalog.T(lang, "rules.result."+o.Result)}}
		switch o.Result {
		case models.TraceMatched:
			row.Result.Class = "badge-ok"
		case models.TraceRefused:
			row.Result.Class = "badge-bad"
		default:
			row.Result.Class = "badge-unknown"
		}
		for _, cond := range o.Conditions {
			row.Conditions = append(row.Conditions, ruleTestCond{OK: cond.OK, Text: h.Desk.ConditionText(lang, cond)})
		}
		for _, a := range o.Actions {
			row.Actions = append(row.Actions, h.Desk.ActionText(lang, a))
		}
		d.Rules = append(d.Rules, row)
	}
	return h.render(c, http.StatusOK, "rules_test", "rules", "rules.test_title", d)
}

// routingCard is the ticket page's "Routing" section: why the ticket was
// routed as it was when it came in.
type routingCard struct {
	Lines   []string
	TestURL string // dry run of this ticket, admins only
}

// routingCardOf builds the routing card of a ticket.
func (h *handler) routingCardOf(c echo.Context, t *models.Ticket) (*routingCard, error) {
	traces, err := h.Desk.RoutingTraces(c.Request().Context(), t.ID)
	if err != nil {
		return nil, err
	}
	lang := h.lang(c)
	card := &routingCard{}
	for _, tr := range traces {
		card.Lines = append(card.Lines, h.Desk.TraceText(lang, tr))
	}
	if a := agentOf(c); a != nil && a.Role == models.RoleAdmin {
		card.TestURL = rulesURL + "/test?ticket=" + strconv.FormatInt(t.Number, 10)
	}
	return card, nil
}
