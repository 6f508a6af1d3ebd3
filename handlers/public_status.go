package handlers

// The public status page (/status/:token): what a requester sees through
// the signed link in their mail, without logging in. It is rendered in the
// requester's language with a minimal layout (no agent navigation), shows
// facts about the repair and nothing about people, and is kept out of
// search engines and Referer headers (the token is in the URL).

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
)

// publicStatusData is the public status page; Found is false for the 404.
// The repair's days are written as days (the hour means nothing to the
// requester); "" when not applicable.
type publicStatusData struct {
	Found                               bool
	Number                              int64
	Subject, Status, CaseState          string
	Summary                             string
	AtVendorSince, ExpectedBack, BackOn string
	Updated                             time.Time
}

// publicStatus shows the status of the ticket a token was signed for. A
// malformed, tampered or unknown token is a 404 page that does not say
// which.
func (h *handler) publicStatus(c echo.Context) error {
	hd := c.Response().Header()
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("X-Robots-Tag", "noindex, nofollow")
	ps, err := h.Desk.PublicStatus(c.Request().Context(), c.Param("token"))
	switch {
	case errors.Is(err, desk.ErrNotFound):
		return h.renderPublic(c, http.StatusNotFound, h.lang(c), "status_public.not_found_title", publicStatusData{})
	case err != nil:
		return err
	}
	d := publicStatusData{Found: true, Number: ps.Number, Subject: ps.Subject, Status: ps.StatusText,
		CaseState: ps.CaseStateText, Summary: ps.Summary, AtVendorSince: h.dayOf(ps.AtVendorSince),
		ExpectedBack: h.dayOf(ps.ExpectedBack), BackOn: h.dayOf(ps.BackOn), Updated: ps.UpdatedAt}
	return h.renderPublic(c, http.StatusOK, ps.Language, "public.title", d, ps.Number)
}

// renderPublic executes the status page's own minimal layout ("public") in
// lang, whatever language the visitor's cookie asks for.
func (h *handler) renderPublic(c echo.Context, status int, lang, titleKey string, data publicStatusData, titleArgs ...any) error {
	lang = h.Catalog.Lang(lang)
	t, ok := h.tmpl[lang]["status_public"]
	if !ok {
		return fmt.Errorf("no page template %q", "status_public")
	}
	p := page{Lang: lang, Title: h.Catalog.T(lang, titleKey, titleArgs...), StaticVersion: h.staticVersion, Data: data}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "public", p); err != nil {
		return fmt.Errorf("render public status page: %w", err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(status, buf.Bytes())
}

// dayOf writes t's day in the desk's zone; "" when nil.
func (h *handler) dayOf(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(h.loc).Format(dayLayout)
}
