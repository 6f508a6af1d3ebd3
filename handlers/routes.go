package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the route table: every URL the desk answers, with its middleware.
//
//	public   – anyone: health, metrics, static files, login, language switch
//	agent    – a logged-in agent (session cookie); forms carry a CSRF token
//	api      – a bearer token (Authorization header); no cookies, no CSRF
func (h *handler) routes(e *echo.Echo) {
	e.Use(
		h.requestLog,
		middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: h.logPanic}),
		securityHeaders,
		middleware.BodyLimit("10M"),
	)

	// Web pages: language, session and flash, then CSRF on every form.
	page := []echo.MiddlewareFunc{h.web, h.csrf()}
	agent := append(page[:len(page):len(page)], h.requireAgent)

	// Public.
	e.GET("/healthz", h.healthz)
	e.GET("/metrics", h.metrics)
	e.GET("/static/*", h.static())
	e.GET("/login", h.loginPage, page...)
	e.POST("/login", h.login, page...)
	e.GET("/lang/:lang", h.setLang, page...)
	// Requesters' status page, by the signed link in their mail: no session,
	// no forms, no agent navigation (public_status.go).
	e.GET("/status/:token", h.publicStatus)

	// Agents.
	e.POST("/logout", h.logout, agent...)
	e.GET("/", h.home, agent...)
	e.GET("/tickets", h.ticketList, agent...)
	e.POST("/tickets/bulk", h.bulk, agent...)
	e.POST("/tickets/views", h.saveView, agent...)
	e.POST("/tickets/views/:id/delete", h.deleteView, agent...)
	e.GET("/tickets/:number", h.ticketPage, agent...)
	e.POST("/tickets/:number/reply", h.reply, agent...)
	e.POST("/tickets/:number/note", h.note, agent...)
	e.POST("/tickets/:number/status", h.setStatus, agent...)
	e.POST("/tickets/:number/assign", h.assign, agent...)
	e.GET("/tickets/:number/forward", h.forwardPreview, agent...)
	e.POST("/tickets/:number/forward", h.forward, agent...)
	e.POST("/tickets/:number/paid-repair", h.requestPaidRepair, agent...)
	e.POST("/tickets/:number/case", h.setCaseState, agent...)
	e.POST("/tickets/:number/asset", h.linkAsset, agent...)
	e.GET("/tickets/:number/attachments/:id", h.attachment, agent...)
	// Pictures of a mail's formatted view: an agent, or a signed URL (the
	// sandboxed view's requests carry no session cookie).
	e.GET("/tickets/:number/attachments/:id/inline", h.attachmentInline, append(page[:len(page):len(page)], h.signedOrAgent)...)
	e.GET("/tickets/:number/messages/:id/html", h.messageHTML, agent...)
	e.GET("/outbox", h.outboxPage, agent...)
	e.POST("/outbox/:id/retry", h.retryOutbox, agent...)
	e.GET("/intake", h.intakePage, agent...)
	e.POST("/intake/:id/reprocess", h.reprocessIntake, agent...)
	e.GET("/reseller", h.resellerPage, agent...)

	// Related tickets and merging (admin_merge.go); keyboard help and live
	// refresh of lists (live.go).
	e.POST("/tickets/:number/merge", h.mergeTicket, agent...)
	e.POST("/tickets/:number/links", h.linkTicket, agent...)
	e.POST("/tickets/:number/links/:other/delete", h.unlinkTicket, agent...)
	e.GET("/help", h.helpPage, agent...)
	e.GET("/api/ui/changes", h.uiChanges, append(page[:len(page):len(page)], h.requireAgentJSON)...)

	// Asset registry.
	admin := append(agent[:len(agent):len(agent)], h.requireRegistryAdmin)
	e.GET("/assets", h.assetsPage, agent...)
	e.POST("/assets/import", h.assetsImport, append([]echo.MiddlewareFunc{middleware.BodyLimit(strconv.Itoa(maxUploadMB) + "M")}, admin...)...)
	e.GET("/assets/:serial", h.assetPage, agent...)
	e.POST("/assets/:serial/warranty", h.assetWarranty, admin...)
	e.POST("/assets/:serial/state", h.assetState, admin...)
	e.POST("/assets/:serial/swap", h.assetSwap, admin...)

	// Routing rules (admins).
	rulesAdmin := append(agent[:len(agent):len(agent)], h.requireAdmin)
	e.GET("/admin/rules", h.rulesPage, rulesAdmin...)
	e.POST("/admin/rules", h.ruleCreate, rulesAdmin...)
	e.GET("/admin/rules/new", h.ruleNewPage, rulesAdmin...)
	e.GET("/admin/rules/test", h.ruleTest, rulesAdmin...)
	e.GET("/admin/rules/:id", h.ruleEditPage, rulesAdmin...)
	e.POST("/admin/rules/:id", h.ruleUpdate, rulesAdmin...)
	e.POST("/admin/rules/:id/enabled", h.ruleSetEnabled, rulesAdmin...)
	e.POST("/admin/rules/:id/move", h.ruleMove, rulesAdmin...)
	e.GET("/admin/rules/:id/delete", h.ruleDeletePage, rulesAdmin...)
	e.POST("/admin/rules/:id/delete", h.ruleDelete, rulesAdmin...)

	// Overdue work and canned replies. Every agent may create and edit canned
	// replies; only admins delete them (desk/canned.go).
	cannedAdmin := append(agent[:len(agent):len(agent)], h.requireAdmin)
	e.GET("/overdue", h.overduePage, agent...)
	e.GET("/canned", h.cannedPage, agent...)
	e.POST("/canned", h.cannedCreate, agent...)
	e.GET("/canned/new", h.cannedNewPage, agent...)
	e.GET("/canned/:id", h.cannedEditPage, agent...)
	e.POST("/canned/:id", h.cannedUpdate, agent...)
	e.GET("/canned/:id/delete", h.cannedDeletePage, cannedAdmin...)
	e.POST("/canned/:id/delete", h.cannedDelete, cannedAdmin...)

	// Administration (admins): agents, resellers, mailbox and intake health (admin.go).
	e.GET("/admin", h.adminHome, rulesAdmin...)
	e.GET("/admin/agents", h.adminAgents, rulesAdmin...)
	e.POST("/admin/agents", h.adminAgentAdd, rulesAdmin...)
	e.POST("/admin/agents/:id/role", h.adminAgentRole, rulesAdmin...)
	e.POST("/admin/agents/:id/password", h.adminAgentPassword, rulesAdmin...)
	e.GET("/admin/vendors", h.adminVendors, rulesAdmin...)
	e.GET("/admin/mailbox", h.adminMailbox, rulesAdmin...)

	// Reports. Every page also answers ?format=csv&table=ID with one table.
	e.GET("/reports", h.reportsPage, agent...)
	e.GET("/reports/summary", h.reportsSummary, agent...)
	e.GET("/reports/:section", h.reportsPage, agent...)

	// JSON API. The group also answers unknown /api/v1 paths as JSON.
	api := e.Group("/api/v1", h.requireToken)
	api.GET("/tickets", h.apiTickets)
	api.GET("/tickets/:number", h.apiTicket)
	api.GET("/assets", h.apiAssets)
	api.GET("/intake", h.apiIntake)
}
