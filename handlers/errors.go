package handlers

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
)

// errorData is the error page.
type errorData struct {
	Status  int
	Message string   // translated
	Details []string // translated field messages of a validation error
}

// classify maps an error to a status code and a catalog key. Typed desk
// errors carry user-safe meaning; anything else is an internal error whose
// text is logged but never shown.
func classify(err error) (status int, key string) {
	var (
		verr *desk.ValidationError
		cerr *desk.ConflictError
		herr *echo.HTTPError
		aerr *apiError
	)
	switch {
	case errors.As(err, &aerr):
		return aerr.Status, aerr.Key
	case errors.Is(err, errCSRF):
		return http.StatusForbidden, "error.csrf"
	case errors.Is(err, desk.ErrNotFound):
		return http.StatusNotFound, "error.not_found"
	case errors.Is(err, desk.ErrForbidden):
		return http.StatusForbidden, "error.forbidden"
	case errors.As(err, &verr):
		return http.StatusBadRequest, "error.invalid"
	case errors.As(err, &cerr):
		return http.StatusConflict, cerr.Key
	case errors.As(err, &herr):
		switch herr.Code {
		case http.StatusBadRequest:
			return herr.Code, "error.bad_request"
		case http.StatusUnauthorized:
			return herr.Code, "error.unauthorized"
		case http.StatusForbidden:
			return herr.Code, "error.forbidden"
		case http.StatusNotFound:
			return herr.Code, "error.not_found"
		case http.StatusMethodNotAllowed:
			return herr.Code, "error.method_not_allowed"
		case http.StatusRequestEntityTooLarge:
			return herr.Code, "error.too_large"
		}
		if herr.Code >= 400 && herr.Code < 500 {
			return herr.Code, "error.bad_request"
		}
	}
	return http.StatusInternalServerError, "error.internal"
}

// fieldMessages translates the field messages of a validation error, sorted
// by field so the page is stable.
func (h *handler) fieldMessages(lang string, err error) []string {
	var verr *desk.ValidationError
	if !errors.As(err, &verr) {
		return nil
	}
	fields := make([]string, 0, len(verr.Fields))
	for f := range verr.Fields {
		fields = append(fields, f)
	}
	sort.Strings(fields)
	out := make([]string, 0, len(fields))
	for _, f := range fields {
		out = append(out, h.Catalog.T(lang, verr.Fields[f]))
	}
	return out
}

// isAPI reports whether the request is for the JSON API.
func isAPI(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/api" || strings.HasPrefix(p, "/api/")
}

// handleError is the one place errors become responses: JSON for the API, a
// localised page otherwise.
func (h *handler) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, key := classify(err)
	lang := h.lang(c)
	if status >= 500 {
		h.Logger.Error("request failed", "method", c.Request().Method, "path", c.Request().URL.Path, "err", err)
	}
	var werr error
	switch {
	case c.Request().Method == http.MethodHead:
		werr = c.NoContent(status)
	case isAPI(c):
		if status == http.StatusUnauthorized {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="warrantydesk"`)
		}
		werr = c.JSON(status, h.apiErrorBody(err, key))
	default:
		data := errorData{Status: status, Message: h.Catalog.T(lang, key), Details: h.fieldMessages(lang, err)}
		werr = h.render(c, status, "error", "", "error.title", data)
	}
	if werr != nil {
		h.Logger.Error("write error response", "err", werr, "status", status)
		if !c.Response().Committed {
			_ = c.String(http.StatusInternalServerError, http.StatusText(http.StatusInternalServerError))
		}
	}
}

// isNotFound reports whether err means the thing asked for does not exist.
func isNotFound(err error) bool { return errors.Is(err, desk.ErrNotFound) }
