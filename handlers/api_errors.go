package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
)

// maxAPIBody caps a JSON API request body.
const maxAPIBody = 1 << 20

// apiError is an API answer other than 2xx: a status, a catalog key and the
// catalog keys of the fields at fault. The JSON body is
// {"error": "...", "fields": {"name": "..."}} (handleError, apiErrorBody).
type apiError struct {
	Status int
	Key    string
	Fields map[string]string // field → catalog key
	Err    error
}

func (e *apiError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("api %d %s: %v", e.Status, e.Key, e.Err)
	}
	return fmt.Sprintf("api %d %s", e.Status, e.Key)
}

func (e *apiError) Unwrap() error { return e.Err }

// unprocessable turns the desk's refusal of a well-formed request body into
// a 422 listing the fields; other errors pass unchanged.
func unprocessable(err error) error {
	var verr *desk.ValidationError
	if errors.As(err, &verr) {
		return &apiError{Status: http.StatusUnprocessableEntity, Key: "api.error.unprocessable", Fields: verr.Fields, Err: err}
	}
	return err
}

// apiErrorBody is the JSON body of an API error: the message, and the
// fields at fault (from an apiError or a desk validation error), in English.
func (h *handler) apiErrorBody(err error, key string) map[string]any {
	body := map[string]any{"error": h.Catalog.T("en", key)}
	var (
		aerr   *apiError
		verr   *desk.ValidationError
		fields map[string]string
	)
	switch {
	case errors.As(err, &aerr) && aerr.Fields != nil:
		fields = aerr.Fields
	case errors.As(err, &verr):
		fields = verr.Fields
	}
	if len(fields) > 0 {
		out := make(map[string]string, len(fields))
		for f, k := range fields {
			out[f] = h.Catalog.T("en", k)
		}
		body["fields"] = out
		body["details"] = h.fieldMessages("en", err) // the older list form, kept for existing clients
	}
	return body
}

// bindJSON decodes the request's JSON body into v: Content-Type
// application/json, at most maxAPIBody bytes, one object, no unknown fields.
func bindJSON(c echo.Context, v any) error {
	r := c.Request()
	if mt, _, err := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); err != nil || mt != echo.MIMEApplicationJSON {
		return &apiError{Status: http.StatusUnsupportedMediaType, Key: "api.error.content_type"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Response(), r.Body, maxAPIBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("more than one JSON value")
	}
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			err = errors.New("data after the JSON object")
		}
	}
	if err == nil {
		return nil
	}
	var (
		mbe *http.MaxBytesError
		ute *json.UnmarshalTypeError
	)
	bad := &apiError{Status: http.StatusBadRequest, Key: "api.error.bad_json", Err: err}
	switch {
	case errors.As(err, &mbe):
		return &apiError{Status: http.StatusRequestEntityTooLarge, Key: "error.too_large", Err: err}
	case errors.As(err, &ute) && ute.Field != "":
		bad.Fields = map[string]string{ute.Field: "api.error.bad_json"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		bad.Fields = map[string]string{f: "api.error.bad_json"}
	}
	return bad
}
