package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// Cookie names and lifetimes.
const (
	sessionCookie = "wd_session"
	langCookie    = "wd_lang"
	flashCookie   = "wd_flash"
	csrfCookie    = "_csrf"
	csrfField     = "_csrf"
	sessionTTL    = 12 * time.Hour
	langTTL       = 365 * 24 * time.Hour
)

// Context keys set by the middleware.
const (
	ctxAgent = "agent"
	ctxLang  = "lang"
	ctxFlash = "flash"
	ctxCSRF  = "csrf"
	ctxPath  = "path"
)

// errCSRF is a missing or wrong CSRF token, or a cross-site form post.
var errCSRF = echo.NewHTTPError(http.StatusForbidden, "invalid CSRF token")

// agentOf returns the logged-in agent, or nil.
func agentOf(c echo.Context) *models.Agent {
	a, _ := c.Get(ctxAgent).(*models.Agent)
	return a
}

// csrfToken returns the token to put in the _csrf field of every form.
func csrfToken(c echo.Context) string {
	s, _ := c.Get(ctxCSRF).(string)
	return s
}

// lang returns the request's UI language: the wd_lang cookie when it names a
// supported language, else the desk's default.
func (h *handler) lang(c echo.Context) string {
	if l, ok := c.Get(ctxLang).(string); ok {
		return l
	}
	l := h.DefaultLanguage
	if ck, err := c.Cookie(langCookie); err == nil && h.Catalog.Lang(ck.Value) == ck.Value {
		l = ck.Value
	}
	c.Set(ctxLang, l)
	return l
}

// csrf protects every state-changing web form (double-submit cookie). The
// JSON API authenticates with a bearer token, not a cookie, and is exempt.
func (h *handler) csrf() echo.MiddlewareFunc {
	return middleware.CSRFWithConfig(middleware.CSRFConfig{
		TokenLookup:    "form:" + csrfField + ",header:X-CSRF-Token",
		ContextKey:     ctxCSRF,
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSecure:   h.SecureCookies,
		CookieSameSite: http.SameSiteLaxMode,
		CookieMaxAge:   int(sessionTTL / time.Second),
		// Every failure, however the middleware words it, is the same 403 page.
		ErrorHandler: func(error, echo.Context) error { return errCSRF },
		AllowSecFetchSiteFunc: func(c echo.Context) (bool, error) {
			if c.Request().Header.Get(echo.HeaderSecFetchSite) == "cross-site" {
				return false, errCSRF
			}
			return false, nil // same-site: fall back to the token
		},
	})
}

// web prepares every web page: language, the logged-in agent if any, and a
// pending flash message.
func (h *handler) web(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h.lang(c)
		if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
			a, err := h.Desk.AgentBySession(c.Request().Context(), ck.Value)
			switch {
			case err == nil:
				c.Set(ctxAgent, a)
			case !errors.Is(err, models.ErrNotFound):
				return err
			}
		}
		h.takeFlash(c)
		return next(c)
	}
}

// Role sets of the route table (routes.go). A route's set is checked by
// requireRole, the one place the web UI and the API decide who may in.
var (
	// staffRoles run the desk: every agent page and the JSON API.
	staffRoles = []string{models.RoleAgent, models.RoleAdmin}
	// adminRoles manage it: administration, rules, registry forms.
	adminRoles = []string{models.RoleAdmin}
	// vendorRoles see the vendor portal, and nothing else.
	vendorRoles = []string{models.RoleVendor}
	// anyRole is every logged-in user (logging out).
	anyRole = []string{models.RoleAgent, models.RoleAdmin, models.RoleVendor}
)

// portalHome is where a vendor user lands.
const portalHome = "/portal"

// requireRole lets through a logged-in user (session cookie, or bearer token
// under /api/v1, see requireToken) whose role is one of roles. Nobody
// logged in: a web page goes to the login page, which brings them back to
// the page they asked for; a JSON path (/api/…) answers 401. Logged in with
// another role: 403 (the error page, or JSON under /api/) — except that a
// vendor user asking for the agents' start pages (GET / and /tickets, where
// login and old bookmarks lead) is sent to the portal. The desk checks the
// role again for the actions it guards.
func (h *handler) requireRole(roles ...string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			a := agentOf(c)
			r := c.Request()
			switch {
			case a != nil && slices.Contains(roles, a.Role):
				return next(c)
			case a == nil && isAPI(c):
				return errUnauthorized
			case a == nil:
				to := "/login"
				if r.Method == http.MethodGet {
					to += "?next=" + url.QueryEscape(r.URL.RequestURI())
				}
				return redirect(c, to)
			case a.Role == models.RoleVendor && r.Method == http.MethodGet && (r.URL.Path == "/" || r.URL.Path == "/tickets"):
				return redirect(c, portalHome)
			}
			return desk.ErrForbidden
		}
	}
}

// requireAgent lets only agents and admins through (requireRole with
// staffRoles); others go to the login page or get 403.
func (h *handler) requireAgent(next echo.HandlerFunc) echo.HandlerFunc {
	return h.requireRole(staffRoles...)(next)
}

// landing is where a user goes after logging in: next, except that a vendor
// user only ever lands in the portal.
func landing(a *models.Agent, next string) string {
	if a != nil && a.Role == models.RoleVendor && next != portalHome && !strings.HasPrefix(next, portalHome+"/") {
		return portalHome
	}
	return next
}

// requireToken authenticates the JSON API by "Authorization: Bearer TOKEN".
func (h *handler) requireToken(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		scheme, token, _ := strings.Cut(c.Request().Header.Get(echo.HeaderAuthorization), " ")
		token = strings.TrimSpace(token)
		if !strings.EqualFold(scheme, "Bearer") || token == "" {
			return errUnauthorized
		}
		a, err := h.Store.AgentByAPIToken(c.Request().Context(), token)
		if errors.Is(err, models.ErrNotFound) {
			return errUnauthorized
		}
		if err != nil {
			return err
		}
		c.Set(ctxAgent, a)
		return next(c)
	}
}

var errUnauthorized = echo.NewHTTPError(http.StatusUnauthorized, "missing or invalid bearer token")

// loginData is the login page.
type loginData struct {
	Email string
	Next  string
	Error string // translated
}

// loginPage shows the login form; a logged-in agent goes straight on.
func (h *handler) loginPage(c echo.Context) error {
	next := safeNext(c.QueryParam("next"))
	if a := agentOf(c); a != nil {
		return redirect(c, landing(a, next))
	}
	return h.render(c, http.StatusOK, "login", "", "login.title", loginData{Next: next})
}

// login checks email and password and starts a session.
func (h *handler) login(c echo.Context) error {
	email := strings.TrimSpace(c.FormValue("email"))
	next := safeNext(c.FormValue("next"))
	a, err := h.Desk.LoginFrom(c.Request().Context(), email, c.FormValue("password"), c.RealIP())
	if errors.Is(err, desk.ErrBadLogin) {
		return h.render(c, http.StatusUnauthorized, "login", "", "login.title",
			loginData{Email: email, Next: next, Error: h.Catalog.T(h.lang(c), "error.bad_login")})
	}
	if errors.Is(err, desk.ErrLoginLocked) {
		return h.render(c, http.StatusTooManyRequests, "login", "", "login.title",
			loginData{Email: email, Next: next, Error: h.Catalog.T(h.lang(c), "error.login_locked")})
	}
	if err != nil {
		return err
	}
	token, err := h.Store.CreateSession(c.Request().Context(), a.ID, sessionTTL)
	if err != nil {
		return err
	}
	h.setCookie(c, sessionCookie, token, sessionTTL)
	h.Logger.Info("login", "agent", a.Email, "role", a.Role, "ip", c.RealIP())
	return redirect(c, landing(a, next))
}

// logout ends the session.
func (h *handler) logout(c echo.Context) error {
	if ck, err := c.Cookie(sessionCookie); err == nil && ck.Value != "" {
		if err := h.Store.DeleteSession(c.Request().Context(), ck.Value); err != nil {
			return err
		}
	}
	h.setCookie(c, sessionCookie, "", -1)
	return redirect(c, "/login")
}

// setLang switches the UI language by cookie and goes back to the (local)
// page the link was on. It works as a plain link, without JavaScript.
func (h *handler) setLang(c echo.Context) error {
	lang := c.Param("lang")
	if h.Catalog.Lang(lang) != lang {
		return echo.NewHTTPError(http.StatusNotFound)
	}
	h.setCookie(c, langCookie, lang, langTTL)
	return redirect(c, safeNext(c.QueryParam("next")))
}

// setCookie sets a host-only, HttpOnly, SameSite=Lax cookie on path /; a
// negative ttl deletes it.
func (h *handler) setCookie(c echo.Context, name, value string, ttl time.Duration) {
	ck := &http.Cookie{
		Name: name, Value: value, Path: "/", HttpOnly: true,
		Secure: h.SecureCookies, SameSite: http.SameSiteLaxMode,
	}
	if ttl < 0 {
		ck.MaxAge = -1
	} else {
		ck.MaxAge = int(ttl / time.Second)
		ck.Expires = time.Now().Add(ttl)
	}
	c.SetCookie(ck)
}

// safeNext returns next when it is a path on this site, else "/tickets", so
// a crafted link can never send a user off-site after login (open redirect):
// it must start with one "/", and "//host" or "/\host" (read by browsers as
// another host) are refused.
func safeNext(next string) string {
	const home = "/tickets"
	if next == "" || next[0] != '/' || len(next) > 2000 {
		return home
	}
	if len(next) > 1 && (next[1] == '/' || next[1] == '\\') {
		return home
	}
	if strings.ContainsAny(next, "\\\r\n\t\x00") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return home
	}
	if u.Path == "/login" || strings.HasPrefix(u.Path, "/lang/") {
		return home
	}
	return next
}

// setFlash stores a one-time notice (a catalog key) for the next page.
func (h *handler) setFlash(c echo.Context, kind, key string) {
	h.setCookie(c, flashCookie, url.QueryEscape(kind+":"+key), time.Minute)
}

// takeFlash reads and clears the pending notice. Only "flash.*" catalog keys
// are shown, so a forged cookie cannot put text on the page.
func (h *handler) takeFlash(c echo.Context) {
	ck, err := c.Cookie(flashCookie)
	if err != nil || ck.Value == "" {
		return
	}
	h.setCookie(c, flashCookie, "", -1)
	v, err := url.QueryUnescape(ck.Value)
	if err != nil {
		return
	}
	kind, key, _ := strings.Cut(v, ":")
	if (kind != "ok" && kind != "error") || !strings.HasPrefix(key, "flash.") {
		return
	}
	lang := h.lang(c)
	text := h.Catalog.T(lang, key)
	if text == key {
		return
	}
	c.Set(ctxFlash, []flashMsg{{Kind: kind, Text: text}})
}

// flashesOf returns the notices to show on this page.
func flashesOf(c echo.Context) []flashMsg {
	f, _ := c.Get(ctxFlash).([]flashMsg)
	return f
}

// addFlash adds a notice to the page being rendered now.
func addFlash(c echo.Context, kind, text string) {
	c.Set(ctxFlash, append(flashesOf(c), flashMsg{Kind: kind, Text: text}))
}
