package handlers

import (
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/models"
	"warrantydesk/templates"
)

// contentSecurityPolicy allows only our own scripts, styles and forms: no
// inline script or style anywhere in the templates.
const contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; " +
	"frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

// securityHeaders sets the browser protections on every response.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Content-Security-Policy", contentSecurityPolicy)
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("X-Frame-Options", "DENY")
		return next(c)
	}
}

// dataVersionMemo lets a read (GET, HEAD) ask for the data version once:
// every cache a page reads then answers for the same moment
// (models.WithDataVersionMemo). Writes ask afresh each time, so that what
// they read after writing includes their write.
func dataVersionMemo(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if r := c.Request(); r.Method == http.MethodGet || r.Method == http.MethodHead {
			c.SetRequest(r.WithContext(models.WithDataVersionMemo(r.Context())))
		}
		return next(c)
	}
}

// requestLog logs every request after it is answered.
func (h *handler) requestLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err) // write the error page now, so the logged status is the real one
		}
		r := c.Request()
		level := slog.LevelDebug
		if c.Response().Status >= 500 {
			level = slog.LevelWarn
		}
		h.Logger.Log(r.Context(), level, "request", "method", r.Method, "path", r.URL.Path,
			"status", c.Response().Status, "duration", time.Since(start))
		return nil
	}
}

// logPanic logs a recovered panic; the client gets the generic 500 page.
func (h *handler) logPanic(c echo.Context, err error, stack []byte) error {
	h.Logger.Error("panic in handler", "path", c.Request().URL.Path, "err", err, "stack", string(stack))
	return err
}

// static serves the embedded CSS and JavaScript. URLs in pages carry the
// files' hash (?v=), so browsers may keep them for a day.
func (h *handler) static() echo.HandlerFunc {
	files := echo.StaticDirectoryHandler(templates.Static(), false)
	return func(c echo.Context) error {
		if c.QueryParam("v") == h.staticVersion {
			c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=86400, immutable")
		} else {
			c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
		}
		if strings.HasSuffix(c.Param("*"), "/") || c.Param("*") == "" {
			return echo.ErrNotFound // no directory listings
		}
		if _, err := fs.Stat(templates.Static(), c.Param("*")); err != nil {
			return echo.ErrNotFound
		}
		return files(c)
	}
}

// healthz answers 200 when the database and the workers are fine, else 503,
// with the details as JSON.
func (h *handler) healthz(c echo.Context) error {
	var st Health
	if h.Health != nil {
		st = h.Health(c.Request().Context())
	} else {
		err := h.Store.Ping(c.Request().Context())
		chk := HealthCheck{OK: err == nil}
		if err != nil {
			chk.Detail = "database unreachable"
			h.Logger.Warn("health: database ping", "err", err)
		}
		st = Health{OK: err == nil, Checks: map[string]HealthCheck{"database": chk}}
	}
	body := struct {
		Status string                 `json:"status"`
		Role   string                 `json:"role,omitempty"`
		Checks map[string]HealthCheck `json:"checks"`
	}{Status: "ok", Role: st.Role, Checks: st.Checks}
	code := http.StatusOK
	if !st.OK {
		body.Status, code = "degraded", http.StatusServiceUnavailable
	}
	if body.Checks == nil {
		body.Checks = map[string]HealthCheck{}
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(code, body)
}

// metrics writes the Prometheus text exposition.
func (h *handler) metrics(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	c.Response().WriteHeader(http.StatusOK)
	if h.Metrics != nil {
		h.Metrics(c.Response())
	}
	return nil
}
