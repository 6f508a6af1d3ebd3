package handlers

import (
	"strconv"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// routes is the route table: every URL the desk answers, with its middleware.
// Who may use a route is decided here, by one middleware family
// (requireRole in auth.go) and a role set per block:
//
//	public   – anyone: health, metrics, static files, login, language switch
//	agent    – an agent or admin (session cookie); forms carry a CSRF token
//	admin    – an admin (session cookie)
//	portal   – a vendor user (session cookie): its reseller's cases only
//	api      – an agent's or admin's bearer token; no cookies, no CSRF
//
// A vendor user gets 403 on every agent, admin and API route (GET / and
// /tickets send it to /portal); agents and admins get 403 on the portal.
// authz_test.go tries every route as every role against an explicit table.
func (h *handler) routes(e *echo.Echo) {
	e.Use(
		h.HTTPMetrics.Middleware,
		h.admission.middleware,
		h.requestLog,
		middleware.RecoverWithConfig(middleware.RecoverConfig{LogErrorFunc: h.logPanic}),
		securityHeaders,
		middleware.BodyLimit("10M"),
		dataVersionMemo,
	)

	// Web pages: language, session and flash, then CSRF on every form.
	page := []echo.MiddlewareFunc{h.web, h.csrf()}
	with := func(roles ...string) []echo.MiddlewareFunc {
		return append(page[:len(page):len(page)], h.requireRole(roles...))
	}
	agent, admin, portal := with(staffRoles...), with(adminRoles...), with(vendorRoles...)

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

	// Any logged-in user.
	e.POST("/logout", h.logout, with(anyRole...)...)

	// Agents.
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
	// A JSON endpoint of the web UI: 401/403 as JSON (isAPI), not the login page.
	e.GET("/api/ui/changes", h.uiChanges, agent...)

	// Asset registry: every agent reads it, admins change it.
	e.GET("/assets", h.assetsPage, agent...)
	e.POST("/assets/import", h.assetsImport, append([]echo.MiddlewareFunc{middleware.BodyLimit(strconv.Itoa(maxUploadMB) + "M")}, admin...)...)
	e.GET("/assets/:serial", h.assetPage, agent...)
	e.POST("/assets/:serial/warranty", h.assetWarranty, admin...)
	e.POST("/assets/:serial/state", h.assetState, admin...)
	e.POST("/assets/:serial/swap", h.assetSwap, admin...)

	// Routing rules (admins).
	e.GET("/admin/rules", h.rulesPage, admin...)
	e.POST("/admin/rules", h.ruleCreate, admin...)
	e.GET("/admin/rules/new", h.ruleNewPage, admin...)
	e.GET("/admin/rules/test", h.ruleTest, admin...)
	e.GET("/admin/rules/:id", h.ruleEditPage, admin...)
	e.POST("/admin/rules/:id", h.ruleUpdate, admin...)
	e.POST("/admin/rules/:id/enabled", h.ruleSetEnabled, admin...)
	e.POST("/admin/rules/:id/move", h.ruleMove, admin...)
	e.GET("/admin/rules/:id/delete", h.ruleDeletePage, admin...)
	e.POST("/admin/rules/:id/delete", h.ruleDelete, admin...)

	// Overdue work and canned replies. Every agent may create and edit canned
	// replies; only admins delete them (desk/canned.go).
	e.GET("/overdue", h.overduePage, agent...)
	e.GET("/canned", h.cannedPage, agent...)
	e.POST("/canned", h.cannedCreate, agent...)
	e.GET("/canned/new", h.cannedNewPage, agent...)
	e.GET("/canned/:id", h.cannedEditPage, agent...)
	e.POST("/canned/:id", h.cannedUpdate, agent...)
	e.GET("/canned/:id/delete", h.cannedDeletePage, admin...)
	e.POST("/canned/:id/delete", h.cannedDelete, admin...)

	// Administration (admins): agents, resellers, mailbox and intake health (admin.go).
	e.GET("/admin", h.adminHome, admin...)
	e.GET("/admin/agents", h.adminAgents, admin...)
	e.POST("/admin/agents", h.adminAgentAdd, admin...)
	e.POST("/admin/agents/:id/role", h.adminAgentRole, admin...)
	e.POST("/admin/agents/:id/password", h.adminAgentPassword, admin...)
	e.GET("/admin/vendors", h.adminVendors, admin...)
	e.GET("/admin/mailbox", h.adminMailbox, admin...)
	// Requesters' personal data (admin_requesters.go): what the desk holds,
	// export (GDPR Art. 15) and erasure (Art. 17) after a typed confirmation.
	e.GET("/admin/requesters", h.adminRequesters, admin...)
	e.GET("/admin/requesters/export", h.adminRequesterExport, admin...)
	e.POST("/admin/requesters/erase", h.adminRequesterErase, admin...)

	// Reports. Every page also answers ?format=csv&table=ID with one table.
	e.GET("/reports", h.reportsPage, agent...)
	e.GET("/reports/summary", h.reportsSummary, agent...)
	e.GET("/reports/:section", h.reportsPage, agent...)

	// Vendor portal (portal.go): a reseller's users see and update the
	// cases sent to their reseller, nothing else.
	e.GET("/portal", h.portalList, portal...)
	e.GET("/portal/cases/:number", h.portalCase, portal...)
	e.POST("/portal/cases/:number", h.portalUpdate, portal...)
	e.GET("/portal/cases/:number/attachments/:id", h.portalAttachment, portal...)

	// JSON API: agents' and admins' tokens (a vendor user's token gets 403).
	// The group also answers unknown /api/v1 paths as JSON.
	api := e.Group("/api/v1", h.requireToken, h.requireRole(staffRoles...))
	api.GET("/tickets", h.apiTickets)
	api.GET("/tickets/:number", h.apiTicket)
	api.GET("/assets", h.apiAssets)
	api.GET("/intake", h.apiIntake)
	// Writes, resellers and the API's own description (api_*.go, api/openapi.json).
	api.GET("/openapi.json", h.apiSpec)
	api.POST("/tickets", h.apiCreateTicket)
	api.PATCH("/tickets/:number", h.apiUpdateTicket)
	api.POST("/tickets/:number/reply", h.apiReply)
	api.POST("/tickets/:number/notes", h.apiNote)
	api.GET("/assets/:serial", h.apiAssetBySerial)
	api.GET("/vendors", h.apiVendors)
	// Webhooks (admins): endpoints and their delivery log.
	apiAdmin := h.requireRole(adminRoles...)
	api.GET("/webhooks", h.apiWebhooks, apiAdmin)
	api.POST("/webhooks", h.apiWebhookCreate, apiAdmin)
	api.DELETE("/webhooks/:id", h.apiWebhookDelete, apiAdmin)
	api.GET("/webhooks/:id/deliveries", h.apiWebhookDeliveries, apiAdmin)
}
