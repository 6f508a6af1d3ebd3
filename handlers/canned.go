package handlers

// Canned replies: the /canned pages (list, create, edit, delete with a
// confirmation) and the picker on the ticket page's reply form, which works
// without JavaScript: "Infoga" is a GET of the ticket page with ?canned=ID,
// and the page comes back with the reply filled in for this ticket.

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
)

const cannedURL = "/canned"

func cannedItemURL(id uint) string { return cannedURL + "/" + strconv.FormatUint(uint64(id), 10) }

// cannedPicker is the reply form's choice of canned replies.
type cannedPicker struct {
	Options   []option // "" = none chosen
	ManageURL string
}

// cannedPickerFor fills the reply form's picker and, for a GET with
// ?canned=ID and nothing typed yet, the reply text rendered for this ticket.
// An unknown reply (deleted meanwhile) is reported on the page, not as a 404:
// the ticket itself is there.
func (h *handler) cannedPickerFor(c echo.Context, number int64, d *ticketPageData, form ticketForm) error {
	ctx, lang := c.Request().Context(), h.lang(c)
	replies, err := h.Desk.CannedReplies(ctx)
	if err != nil {
		return err
	}
	chosen := ""
	if c.Request().Method == http.MethodGet {
		chosen = strings.TrimSpace(c.QueryParam("canned"))
	}
	d.Canned = cannedPicker{ManageURL: cannedURL,
		Options: []option{{Value: "", Label: h.Catalog.T(lang, "canned.pick_none"), Selected: chosen == ""}}}
	for _, r := range replies {
		v := strconv.FormatUint(uint64(r.ID), 10)
		d.Canned.Options = append(d.Canned.Options, option{Value: v, Label: r.Title, Selected: v == chosen})
	}
	if chosen == "" || form.reply != "" {
		return nil
	}
	id, err := strconv.ParseUint(chosen, 10, 32)
	if err != nil || id == 0 {
		d.Errors = append(d.Errors, h.Catalog.T(lang, "canned.not_found"))
		return nil
	}
	r, err := h.Desk.RenderCannedReply(ctx, uint(id), number)
	switch {
	case errors.Is(err, desk.ErrNotFound):
		d.Errors = append(d.Errors, h.Catalog.T(lang, "canned.not_found"))
		return nil
	case err != nil:
		return err
	}
	d.ReplyText = r.Text
	return nil
}

// cannedListData is the canned reply list.
type cannedListData struct {
	Rows      []cannedRow
	NewURL    string
	CanDelete bool
}

// cannedRow is one canned reply in the list.
type cannedRow struct {
	Title, Preview     string
	Langs              string // the languages it has a body in, e.g. "sv, en"
	UpdatedBy          string
	Updated            time.Time
	EditURL, DeleteURL string
}

// cannedPage lists the canned replies.
func (h *handler) cannedPage(c echo.Context) error {
	ctx, lang := c.Request().Context(), h.lang(c)
	replies, err := h.Desk.CannedReplies(ctx)
	if err != nil {
		return err
	}
	d := cannedListData{NewURL: cannedURL + "/new", CanDelete: desk.CanDeleteCanned(agentOf(c))}
	for i := range replies {
		r := &replies[i]
		row := cannedRow{Title: r.Title, UpdatedBy: r.UpdatedBy, Updated: r.UpdatedAt, EditURL: cannedItemURL(r.ID),
			Preview: preview(firstNonBlank(r.Body(lang), r.BodySV, r.BodyEN), 140)}
		var langs []string
		for _, l := range []string{"sv", "en"} {
			if strings.TrimSpace(r.Body(l)) != "" {
				langs = append(langs, h.Catalog.T(lang, "lang."+l))
			}
		}
		row.Langs = strings.Join(langs, ", ")
		if d.CanDelete {
			row.DeleteURL = cannedItemURL(r.ID) + "/delete"
		}
		d.Rows = append(d.Rows, row)
	}
	return h.render(c, http.StatusOK, "canned", "canned", "canned.title", d)
}

// cannedFormData is the create/edit form.
type cannedFormData struct {
	New               bool
	Action, CancelURL string
	DeleteURL         string // admins, existing replies only
	In                desk.CannedInput
	Placeholders      string
	Errors            []string        // translated
	Invalid           map[string]bool // form field → refused
}

// cannedNewPage shows an empty form.
func (h *handler) cannedNewPage(c echo.Context) error {
	return h.renderCannedForm(c, http.StatusOK, 0, desk.CannedInput{}, nil)
}

// cannedEditPage shows the form of an existing canned reply.
func (h *handler) cannedEditPage(c echo.Context) error {
	id, err := cannedID(c)
	if err != nil {
		return err
	}
	r, err := h.Desk.CannedReply(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return h.renderCannedForm(c, http.StatusOK, id, desk.CannedInputOf(r), nil)
}

// cannedCreate adds a canned reply from the form.
func (h *handler) cannedCreate(c echo.Context) error {
	in := cannedInput(c)
	_, err := h.Desk.CreateCannedReply(c.Request().Context(), agentOf(c), in)
	return h.cannedSaved(c, 0, in, err, "flash.canned_created")
}

// cannedUpdate saves the form of an existing canned reply.
func (h *handler) cannedUpdate(c echo.Context) error {
	id, err := cannedID(c)
	if err != nil {
		return err
	}
	in := cannedInput(c)
	return h.cannedSaved(c, id, in, h.Desk.UpdateCannedReply(c.Request().Context(), agentOf(c), id, in), "flash.canned_saved")
}

// cannedSaved goes back to the list, or shows the form again with what was
// typed and why it was refused.
func (h *handler) cannedSaved(c echo.Context, id uint, in desk.CannedInput, err error, okKey string) error {
	var verr *desk.ValidationError
	switch {
	case err == nil:
		h.setFlash(c, "ok", okKey)
		return redirect(c, cannedURL)
	case errors.As(err, &verr):
		return h.renderCannedForm(c, http.StatusBadRequest, id, in, verr)
	}
	return err
}

func (h *handler) renderCannedForm(c echo.Context, status int, id uint, in desk.CannedInput, verr *desk.ValidationError) error {
	lang := h.lang(c)
	d := cannedFormData{New: id == 0, Action: cannedURL, CancelURL: cannedURL, In: in, Invalid: map[string]bool{},
		Placeholders: "{{" + strings.Join(desk.CannedPlaceholders, "}}, {{") + "}}"}
	if id != 0 {
		d.Action = cannedItemURL(id)
		if desk.CanDeleteCanned(agentOf(c)) {
			d.DeleteURL = cannedItemURL(id) + "/delete"
		}
		c.Set(ctxPath, cannedItemURL(id))
	} else {
		c.Set(ctxPath, cannedURL+"/new")
	}
	if verr != nil {
		d.Errors = h.fieldMessages(lang, verr)
		for f := range verr.Fields {
			d.Invalid[f] = true
		}
	}
	if d.New {
		return h.render(c, status, "canned_form", "canned", "canned.new_title", d)
	}
	return h.render(c, status, "canned_form", "canned", "canned.edit_title", d, in.Title)
}

// cannedInput reads the canned reply form.
func cannedInput(c echo.Context) desk.CannedInput {
	return desk.CannedInput{Title: c.FormValue("title"), BodySV: c.FormValue("body_sv"), BodyEN: c.FormValue("body_en")}
}

// cannedID reads :id; anything but a positive number is a 400.
func cannedID(c echo.Context) (uint, error) {
	n, err := strconv.ParseUint(c.Param("id"), 10, 32)
	if err != nil || n == 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "bad canned reply id")
	}
	return uint(n), nil
}

// cannedDeleteData is the delete confirmation.
type cannedDeleteData struct {
	Title, Preview    string
	Action, CancelURL string
}

// cannedDeletePage asks before deleting (admins).
func (h *handler) cannedDeletePage(c echo.Context) error {
	id, err := cannedID(c)
	if err != nil {
		return err
	}
	r, err := h.Desk.CannedReply(c.Request().Context(), id)
	if err != nil {
		return err
	}
	d := cannedDeleteData{Title: r.Title, Preview: preview(firstNonBlank(r.Body(h.lang(c)), r.BodySV, r.BodyEN), 400),
		Action: cannedItemURL(id) + "/delete", CancelURL: cannedURL}
	return h.render(c, http.StatusOK, "canned_delete", "canned", "canned.delete_title", d, r.Title)
}

// cannedDelete deletes a canned reply after the confirmation (admins).
func (h *handler) cannedDelete(c echo.Context) error {
	id, err := cannedID(c)
	if err != nil {
		return err
	}
	if err := h.Desk.DeleteCannedReply(c.Request().Context(), agentOf(c), id); err != nil {
		return err
	}
	h.setFlash(c, "ok", "flash.canned_deleted")
	return redirect(c, cannedURL)
}

// preview is the start of text on one line, at most n runes, "…" when cut.
func preview(text string, n int) string {
	text = strings.Join(strings.Fields(text), " ")
	if r := []rune(text); len(r) > n {
		return strings.TrimSpace(string(r[:n])) + "…"
	}
	return text
}

// firstNonBlank returns the first of ss that is not only white space.
func firstNonBlank(ss ...string) string {
	for _, s := range ss {
		if strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}
