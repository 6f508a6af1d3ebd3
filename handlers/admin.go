package handlers

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// Admin pages: agents, resellers, mailbox and intake health. Only admins
// reach them (requireRole(adminRoles...) in the route table; the desk checks again).

// MailboxSettings is the mail configuration the admin mailbox page shows.
// Passwords are never part of it.
type MailboxSettings struct {
	IMAPHost, IMAPTLS, IMAPUsername string
	IMAPPort                        int
	Mailbox, ProcessedMailbox       string
	Idle                            bool
	PollInterval                    time.Duration
	SMTPHost, SMTPTLS, SMTPFrom     string
	SMTPPort                        int
	DeskAddress                     string
}

// adminNav is the "Admin" section of the navigation, shown to admins only.
var adminNav = []struct{ key, url, label string }{
	{"admin_agents", "/admin/agents", "nav.admin_agents"},
	{"admin_vendors", "/admin/vendors", "nav.admin_vendors"},
	{"admin_mailbox", "/admin/mailbox", "nav.admin_mailbox"},
	{"admin_requesters", "/admin/requesters", "nav.admin_requesters"},
	{"rules", "/admin/rules", "nav.rules"},
}

// adminNavItems builds the admin section for the current page.
func (h *handler) adminNavItems(lang, navKey string) []navItem {
	out := make([]navItem, 0, len(adminNav))
	for _, it := range adminNav {
		out = append(out, navItem{URL: it.url, Label: h.Catalog.T(lang, it.label), Current: it.key == navKey})
	}
	return out
}

// adminHome sends admins to the agents page.
func (h *handler) adminHome(c echo.Context) error { return redirect(c, "/admin/agents") }

// adminAgentsData is the agents page.
type adminAgentsData struct {
	Rows  []adminAgentRow
	Roles []option // for the add form
	// Vendors are the add form's resellers, for a user with the vendor role.
	Vendors []option
	Form    adminAgentForm
	Errors  []string
	// Issued is the one-time password just made, shown once; nil otherwise.
	Issued *issuedPassword
}

type adminAgentRow struct {
	ID          uint
	Name, Email string
	Role        badge
	// Roles are the choices of the role form; nil for a vendor user, whose
	// role is tied to its reseller (Vendor) and cannot change.
	Roles                []option
	Vendor               string
	RoleURL, PasswordURL string
	Self                 bool
	Created              time.Time
}

// adminAgentForm is what was typed into the add form, kept when refused.
type adminAgentForm struct{ Email, Name, Role, Vendor string }

// issuedPassword is a password an admin hands to an agent once.
type issuedPassword struct {
	Name, Email, Password string
	Created               bool // a new agent (else a reset)
}

func (h *handler) adminAgents(c echo.Context) error {
	return h.renderAgents(c, http.StatusOK, adminAgentsData{Form: adminAgentForm{Role: models.RoleAgent}})
}

func (h *handler) renderAgents(c echo.Context, status int, d adminAgentsData) error {
	lang := h.lang(c)
	agents, err := h.Store.ListAgents(c.Request().Context())
	if err != nil {
		return err
	}
	vendors, err := h.Store.ListVendors(c.Request().Context())
	if err != nil {
		return err
	}
	vendorNames := make(map[uint]string, len(vendors))
	for _, v := range vendors {
		vendorNames[v.ID] = v.Name
		d.Vendors = append(d.Vendors, option{Value: v.Name, Label: v.Name, Selected: v.Name == d.Form.Vendor})
	}
	me := agentOf(c)
	roles := []string{models.RoleAgent, models.RoleAdmin}
	for _, a := range agents {
		id := strconv.FormatUint(uint64(a.ID), 10)
		row := adminAgentRow{
			ID: a.ID, Name: a.Name, Email: a.Email,
			Role:    badge{Class: "role-" + a.Role, Text: h.label(lang, "role.", a.Role)},
			RoleURL: "/admin/agents/" + id + "/role", PasswordURL: "/admin/agents/" + id + "/password",
			Self: me != nil && me.ID == a.ID, Created: a.CreatedAt,
		}
		if a.Role == models.RoleVendor {
			if a.VendorID != nil {
				row.Vendor = vendorNames[*a.VendorID]
			}
		} else {
			row.Roles = h.options(lang, "role.", roles, a.Role)
		}
		d.Rows = append(d.Rows, row)
	}
	d.Roles = h.options(lang, "role.", append(roles, models.RoleVendor), d.Form.Role)
	c.Set(ctxPath, "/admin/agents")
	return h.render(c, status, "admin_agents", "admin_agents", "admin.agents.title", d)
}

// adminAgentAdd adds an agent, an admin or a reseller's user (role vendor
// with its vendor; the desk checks that the two go together) and shows the
// one-time password.
func (h *handler) adminAgentAdd(c echo.Context) error {
	form := adminAgentForm{Email: strings.TrimSpace(c.FormValue("email")), Name: strings.TrimSpace(c.FormValue("name")),
		Role: c.FormValue("role"), Vendor: strings.TrimSpace(c.FormValue("vendor"))}
	a, password, err := h.Desk.AddUser(c.Request().Context(), agentOf(c), form.Email, form.Name, form.Role, form.Vendor)
	if err != nil {
		return h.adminRefused(c, err, adminAgentsData{Form: form})
	}
	h.Logger.Info("agent added", "by", agentOf(c).Email, "agent", a.Email, "role", a.Role)
	return h.renderAgents(c, http.StatusOK, adminAgentsData{Form: adminAgentForm{Role: models.RoleAgent},
		Issued: &issuedPassword{Name: a.Name, Email: a.Email, Password: password, Created: true}})
}

// adminAgentRole changes an agent's role.
func (h *handler) adminAgentRole(c echo.Context) error {
	id, err := agentIDParam(c)
	if err != nil {
		return err
	}
	if err := h.Desk.SetAgentRole(c.Request().Context(), agentOf(c), id, c.FormValue("role")); err != nil {
		return h.adminRefused(c, err, adminAgentsData{Form: adminAgentForm{Role: models.RoleAgent}})
	}
	h.setFlash(c, "ok", "flash.role_changed")
	return redirect(c, "/admin/agents")
}

// adminAgentPassword resets an agent's password and shows the new one once.
func (h *handler) adminAgentPassword(c echo.Context) error {
	id, err := agentIDParam(c)
	if err != nil {
		return err
	}
	a, password, err := h.Desk.ResetAgentPassword(c.Request().Context(), agentOf(c), id)
	if err != nil {
		return err
	}
	h.Logger.Info("password reset", "by", agentOf(c).Email, "agent", a.Email)
	return h.renderAgents(c, http.StatusOK, adminAgentsData{Form: adminAgentForm{Role: models.RoleAgent},
		Issued: &issuedPassword{Name: a.Name, Email: a.Email, Password: password}})
}

// adminRefused shows the agents page again with the reasons the desk gave,
// or passes on any other error.
func (h *handler) adminRefused(c echo.Context, err error, d adminAgentsData) error {
	var (
		verr *desk.ValidationError
		cerr *desk.ConflictError
	)
	if !errors.As(err, &verr) && !errors.As(err, &cerr) {
		return err
	}
	status, key := classify(err)
	lang := h.lang(c)
	d.Errors = h.fieldMessages(lang, err)
	if cerr != nil {
		d.Errors = []string{h.Catalog.T(lang, key)}
	}
	return h.renderAgents(c, status, d)
}

// agentIDParam reads :id; anything but a positive number is a 404.
func agentIDParam(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, echo.NewHTTPError(http.StatusNotFound)
	}
	return uint(n), nil
}

// adminVendorsData is the resellers page.
type adminVendorsData struct {
	Rows []adminVendorRow
}

type adminVendorRow struct {
	Name, Email, CasePattern   string
	WarrantyMonths, Turnaround int
	AutoForward                string // translated yes/no
	OpenCases                  int64
	Overdue                    int
	OverdueClass               string // "badge badge-bad" when any case is late
}

func (h *handler) adminVendors(c echo.Context) error {
	lang := h.lang(c)
	stats, err := h.Desk.VendorStats(c.Request().Context(), time.Now())
	if err != nil {
		return err
	}
	var d adminVendorsData
	for _, st := range stats {
		v := st.Vendor
		row := adminVendorRow{Name: v.Name, Email: v.Email, CasePattern: v.CasePattern,
			WarrantyMonths: v.WarrantyMonths, Turnaround: v.TurnaroundDays,
			AutoForward: h.Catalog.T(lang, "admin.no"), OpenCases: st.OpenCases, Overdue: st.Overdue}
		if v.AutoForward {
			row.AutoForward = h.Catalog.T(lang, "admin.yes")
		}
		if st.Overdue > 0 {
			row.OverdueClass = "badge badge-bad"
		}
		d.Rows = append(d.Rows, row)
	}
	return h.render(c, http.StatusOK, "admin_vendors", "admin_vendors", "admin.vendors.title", d)
}

// adminMailboxData is the mailbox and intake health page.
type adminMailboxData struct {
	Settings   MailboxSettings
	Configured bool // IMAP host set
	SMTPOn     bool
	Poll       string
	Intake     *HealthCheck // nil when not monitored
	Standby    bool         // another instance runs intake and the outbox
	Cursors    []cursorRow
	Outbox     []adminCount
}

type adminCount struct {
	State badge
	Count int64
	URL   string
}

func (h *handler) adminMailbox(c echo.Context) error {
	ctx, lang := c.Request().Context(), h.lang(c)
	st, err := h.Desk.IntakeStatus(ctx)
	if err != nil {
		return err
	}
	d := adminMailboxData{Settings: h.Mailbox, Configured: h.Mailbox.IMAPHost != "", SMTPOn: h.Mailbox.SMTPHost != ""}
	if h.Mailbox.PollInterval > 0 {
		d.Poll = h.Mailbox.PollInterval.String()
	}
	if h.Health != nil {
		health := h.Health(ctx)
		if chk, ok := health.Checks["intake"]; ok {
			d.Intake = &chk
		}
		d.Standby = health.Role == "standby"
	}
	for _, cur := range st.Cursors {
		d.Cursors = append(d.Cursors, cursorRow{Mailbox: cur.Mailbox, UIDValidity: cur.UIDValidity, LastUID: cur.LastUID,
			LastFetch: cur.LastFetchAt, LastError: cur.LastError, LastErrorAt: cur.LastErrorAt})
	}
	for _, s := range outboxStatuses {
		d.Outbox = append(d.Outbox, adminCount{State: badge{Class: "delivery-" + s, Text: h.label(lang, "delivery.", s)},
			Count: st.Outbox[s], URL: "/outbox?status=" + s})
	}
	return h.render(c, http.StatusOK, "admin_mailbox", "admin_mailbox", "admin.mailbox.title", d)
}
