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

	// Agents.
	e.POST("/logout", h.logout, agent...)
	e.GET("/", h.home, agent...)
	e.GET("/tickets", h.ticketList, agent...)
	e.GET("/tickets/:number", h.ticketPage, agent...)
	e.POST("/tickets/:number/reply", h.reply, agent...)
	e.POST("/tickets/:number/note", h.note, agent...)
	e.POST("/tickets/:number/status", h.setStatus, agent...)
	e.POST("/tickets/:number/assign", h.assign, agent...)
	e.POST("/tickets/:number/forward", h.forward, agent...)
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

	// JSON API. The group also answers unknown /api/v1 paths as JSON.
	api := e.Group("/api/v1", h.requireToken)
	api.GET("/tickets", h.apiTickets)
	api.GET("/tickets/:number", h.apiTicket)
	api.GET("/assets", h.apiAssets)
	api.GET("/intake", h.apiIntake)
}
