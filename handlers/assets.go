package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// maxUploadMB caps a delivery list sent through the upload form (the route's
// body limit; a fleet of 20 000 devices is about 2 MB).
const maxUploadMB = 5

// expiringSoonDays is how close to its end a warranty gets a warning badge.
const expiringSoonDays = 90

// isAdmin reports whether the logged-in agent is an admin (who sees the
// registry's forms).
func isAdmin(c echo.Context) bool {
	a := agentOf(c)
	return a != nil && a.Role == models.RoleAdmin
}

// assetURL is the page of the device with this (normalised) serial.
func assetURL(serial string) string { return "/assets/" + url.PathEscape(serial) }

// registryBadge is the warranty badge of the registry pages: like
// warrantyBadge, with a warning colour and the days left when the warranty
// ends within expiringSoonDays.
func (h *handler) registryBadge(lang string, w desk.Warranty) badge {
	if w.Known && w.Under && w.DaysLeft <= expiringSoonDays {
		return badge{Class: "badge-warn", Text: h.Catalog.T(lang, "registry.warranty_expiring", w.EndsOn.Format(dayLayout), w.DaysLeft)}
	}
	return h.warrantyBadge(lang, w)
}

// assetsData is the asset registry page.
type assetsData struct {
	Q, State, Department string
	Warranty             string
	WarrantyTabs         []tab
	States               []option
	Departments          []option
	Rows                 []assetRow
	Pager                pager
	Admin                bool // shows the upload form
	MaxUploadMB          int
	Import               *importResult // the upload just made, nil otherwise
}

// assetRow is one device of the list.
type assetRow struct {
	assetCard
	URL string
}

// importResult is what an upload did: the summary, or why the whole file
// was refused, and the rejected rows.
type importResult struct {
	OK        bool
	Summary   string // translated
	Error     string // translated; the file was refused as a whole
	RowErrors []string
}

// assetsPage lists the fleet: search by serial, asset tag or model; filters
// by warranty, state and department; pages with the total.
func (h *handler) assetsPage(c echo.Context) error {
	return h.renderAssets(c, http.StatusOK, nil)
}

func (h *handler) renderAssets(c echo.Context, status int, imp *importResult) error {
	ctx, lang := c.Request().Context(), h.lang(c)
	page, offset, err := pageParams(c, pageSize)
	if err != nil {
		return err
	}
	q := desk.AssetQuery{
		Q: strings.TrimSpace(c.QueryParam("q")), Warranty: c.QueryParam("warranty"),
		State: c.QueryParam("state"), Department: c.QueryParam("department"), Limit: pageSize, Offset: offset,
	}
	assets, total, err := h.Desk.ListAssets(ctx, q)
	if err != nil {
		return err
	}
	departments, err := h.Desk.Departments(ctx)
	if err != nil {
		return err
	}
	u := c.Request().URL
	if imp != nil {
		u = &url.URL{Path: "/assets"} // the page after an upload is the unfiltered list
	}
	d := assetsData{
		Q: q.Q, State: q.State, Department: q.Department, Warranty: q.Warranty,
		WarrantyTabs: h.tabs(lang, "/assets", u.Query(), "warranty", "registry.warranty_filter.", models.WarrantyFilters, q.Warranty),
		States:       h.options(lang, "asset_state.", models.AssetStates, q.State),
		Admin:        isAdmin(c), MaxUploadMB: maxUploadMB, Import: imp,
	}
	for _, dep := range departments {
		d.Departments = append(d.Departments, option{Value: dep, Label: dep, Selected: dep == q.Department})
	}
	today := h.Desk.Today()
	for i := range assets {
		a := &assets[i]
		card := h.assetCard(lang, a, today)
		card.Warranty = h.registryBadge(lang, desk.WarrantyOf(a, today))
		d.Rows = append(d.Rows, assetRow{assetCard: card, URL: assetURL(a.Serial)})
	}
	d.Pager = makePager(u, page, pageSize, len(assets), total)
	return h.render(c, status, "assets", "assets", "assets.title", d)
}

// assetsImport reads a delivery list sent through the upload form (admins
// only) and shows what it did on the asset list.
func (h *handler) assetsImport(c echo.Context) error {
	c.Set(ctxPath, "/assets")
	lang := h.lang(c)
	fh, err := c.FormFile("file")
	if err != nil {
		return h.renderAssets(c, http.StatusBadRequest, &importResult{Error: h.Catalog.T(lang, "registry.import.no_file")})
	}
	if fh.Size > maxUploadMB<<20 {
		return echo.NewHTTPError(http.StatusRequestEntityTooLarge)
	}
	f, err := fh.Open()
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	defer f.Close()
	sum, err := h.Desk.ImportAssetsAs(c.Request().Context(), agentOf(c), f)
	var herr *desk.HeaderError
	if errors.As(err, &herr) {
		return h.renderAssets(c, http.StatusBadRequest, &importResult{Error: h.Catalog.T(lang, herr.Key, herr.Args...)})
	}
	if err != nil {
		return err
	}
	res := &importResult{OK: sum.Failed == 0,
		Summary: h.Catalog.T(lang, "registry.import.summary", sum.Imported, sum.Updated, sum.Failed)}
	for _, re := range sum.Errors {
		msg := h.Catalog.T(lang, re.Key, re.Args...)
		if re.Column == "" {
			res.RowErrors = append(res.RowErrors, h.Catalog.T(lang, "registry.import.row", re.Row, msg))
		} else {
			res.RowErrors = append(res.RowErrors, h.Catalog.T(lang, "registry.import.row_column", re.Row, re.Column, msg))
		}
	}
	return h.renderAssets(c, http.StatusOK, res)
}

// assetPageData is one device's page.
type assetPageData struct {
	assetCard
	URL              string
	Basis            string // how the warranty end was computed, translated
	WarrantyEnds     string // YYYY-MM-DD, "" when unknown
	Months           string // the device's own warranty months, "" when none
	FixedEnd         string // the recorded end date, "" when none
	Created, Updated time.Time
	ReplacedBy       *assetLink
	Replaces         []assetLink
	WarrantyHistory  []auditItem
	StateHistory     []auditItem
	Tickets          []assetTicket
	Admin            bool
	StateOptions     []option
	Errors           []string   // translated problems of the form just sent
	Form             assetForms // what was typed, kept when refused
}

// assetLink links another device.
type assetLink struct{ Serial, URL string }

// assetTicket is a ticket of the device.
type assetTicket struct {
	Number       int64
	URL, Subject string
	Status       badge
	Created      time.Time
}

// assetForms are the values of the asset page's forms.
type assetForms struct {
	EndsOn, Months, NewSerial, Model, Ticket string
}

// assetPage shows one device: its fields, warranty and how it was computed,
// its warranty and state history, its tickets, and the admin's forms.
func (h *handler) assetPage(c echo.Context) error {
	return h.renderAsset(c, http.StatusOK, c.Param("serial"), assetForms{Ticket: c.QueryParam("ticket")}, nil)
}

func (h *handler) renderAsset(c echo.Context, status int, serial string, form assetForms, errs []string) error {
	v, err := h.Desk.AssetView(c.Request().Context(), serial)
	if err != nil {
		return err
	}
	lang, a := h.lang(c), v.Asset
	d := assetPageData{
		assetCard: h.assetCard(lang, a, h.Desk.Today()), URL: assetURL(a.Serial),
		FixedEnd: day(a.WarrantyEndsOn), Created: a.CreatedAt, Updated: a.UpdatedAt,
		Admin: isAdmin(c), StateOptions: h.options(lang, "asset_state.", models.AssetStates, a.State),
		Errors: errs, Form: form,
	}
	d.Warranty = h.registryBadge(lang, v.Warranty)
	if a.WarrantyMonths > 0 {
		d.Months = strconv.Itoa(a.WarrantyMonths)
	}
	if v.Warranty.Known {
		d.WarrantyEnds = v.Warranty.EndsOn.Format(dayLayout)
	}
	switch b := v.Basis; {
	case b.Fixed:
		d.Basis = h.Catalog.T(lang, "registry.basis.fixed")
	case b.DeliveredOn != nil:
		d.Basis = h.Catalog.T(lang, "registry.basis.delivered", day(b.DeliveredOn), b.Months) +
			" " + h.Catalog.T(lang, "registry.basis.months_from."+b.MonthsFrom)
	default:
		d.Basis = h.Catalog.T(lang, "registry.basis.unknown")
	}
	if r := v.ReplacedBy; r != nil {
		d.ReplacedBy = &assetLink{Serial: r.Serial, URL: assetURL(r.Serial)}
	}
	for _, r := range v.Replaces {
		d.Replaces = append(d.Replaces, assetLink{Serial: r.Serial, URL: assetURL(r.Serial)})
	}
	d.WarrantyHistory = h.assetAudit(lang, v.WarrantyHistory)
	d.StateHistory = h.assetAudit(lang, v.StateHistory)
	for _, t := range v.Tickets {
		d.Tickets = append(d.Tickets, assetTicket{Number: t.Number, URL: ticketURL(t.Number), Subject: t.Subject,
			Status: badge{Class: "status-" + t.Status, Text: h.label(lang, "status.", t.Status)}, Created: t.CreatedAt})
	}
	return h.render(c, status, "asset", "assets", "registry.asset_title", d, a.Serial)
}

// assetAudit translates a device's audit events for its page.
func (h *handler) assetAudit(lang string, events []models.AuditEvent) []auditItem {
	out := make([]auditItem, 0, len(events))
	for _, e := range events {
		item := auditItem{At: e.At, Actor: e.Actor, Field: h.label(lang, "registry.field.", e.Field), Old: e.Old, New: e.New}
		if e.Field == desk.FieldState {
			item.Old, item.New = h.label(lang, "asset_state.", e.Old), h.label(lang, "asset_state.", e.New)
		}
		out = append(out, item)
	}
	return out
}

// assetAction runs one admin change of a device. On success it redirects to
// the device's page (to newSerial's after a swap) with a notice; when the
// desk refuses the input it shows the page again with the reasons and what
// was typed.
func (h *handler) assetAction(c echo.Context, okKey string, form assetForms,
	do func(ctx context.Context, actor *models.Agent, serial string) (redirectTo string, err error)) error {
	serial := normalizeSerial(c.Param("serial"))
	c.Set(ctxPath, assetURL(serial))
	to, err := do(c.Request().Context(), agentOf(c), serial)
	var (
		verr *desk.ValidationError
		cerr *desk.ConflictError
	)
	switch {
	case err == nil:
		h.setFlash(c, "ok", okKey)
		if to == "" {
			to = assetURL(serial)
		}
		return redirect(c, to)
	case errors.As(err, &verr), errors.As(err, &cerr):
		status, key := classify(err)
		lang := h.lang(c)
		errs := h.fieldMessages(lang, err)
		if cerr != nil {
			errs = []string{h.Catalog.T(lang, key)}
		}
		return h.renderAsset(c, status, serial, form, errs)
	}
	return err
}

// assetWarranty sets a device's warranty: a fixed end date or months.
func (h *handler) assetWarranty(c echo.Context) error {
	form := assetForms{EndsOn: c.FormValue("ends_on"), Months: c.FormValue("months")}
	return h.assetAction(c, "registry.flash.warranty_saved", form,
		func(ctx context.Context, actor *models.Agent, serial string) (string, error) {
			edit, err := desk.ParseWarrantyEdit(form.EndsOn, form.Months)
			if err != nil {
				return "", err
			}
			return "", h.Desk.UpdateWarranty(ctx, actor, serial, edit)
		})
}

// assetState changes a device's state.
func (h *handler) assetState(c echo.Context) error {
	state := c.FormValue("state")
	return h.assetAction(c, "registry.flash.state_saved", assetForms{},
		func(ctx context.Context, actor *models.Agent, serial string) (string, error) {
			return "", h.Desk.SetAssetState(ctx, actor, serial, state)
		})
}

// assetSwap replaces the device by a new unit ("Byt enhet"); from a ticket,
// the ticket is linked to the new unit and the agent goes back to it.
func (h *handler) assetSwap(c echo.Context) error {
	form := assetForms{NewSerial: c.FormValue("new_serial"), Model: c.FormValue("model"), Ticket: strings.TrimSpace(c.FormValue("ticket"))}
	return h.assetAction(c, "registry.flash.swapped", form,
		func(ctx context.Context, actor *models.Agent, serial string) (string, error) {
			var number int64
			if form.Ticket != "" {
				n, err := strconv.ParseInt(strings.TrimPrefix(form.Ticket, "#"), 10, 64)
				if err != nil || n <= 0 {
					return "", &desk.ValidationError{Fields: map[string]string{"ticket": "registry.error.unknown_ticket"}}
				}
				number = n
			}
			a, err := h.Desk.SwapAsset(ctx, actor, serial, form.NewSerial, form.Model, number)
			if err != nil {
				return "", err
			}
			if number != 0 {
				return ticketURL(number), nil
			}
			return assetURL(a.Serial), nil
		})
}
