package handlers

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/mailin"
	"warrantydesk/models"
	"warrantydesk/templates"
)

// pageSize is how many rows a list page shows.
const pageSize = 50

// option is one choice of a <select> or a filter tab.
type option struct {
	Value, Label string
	Selected     bool
}

// tab is one filter tab with its count (-1 = no count shown).
type tab struct {
	URL, Label string
	Count      int64
	Current    bool
}

// badge is a small coloured label; Class picks the colour in app.css.
type badge struct {
	Class, Text string
}

// pager links to the previous and next page of a list.
type pager struct {
	From, To, Total  int64
	PrevURL, NextURL string
}

// label translates prefix+value, falling back to the raw value for values
// the catalog does not know (data written by a newer version, say).
func (h *handler) label(lang, prefix, value string) string {
	if value == "" {
		return ""
	}
	if b, ok := h.badges[badgeKey{lang, strings.TrimSuffix(prefix, "."), value}]; ok {
		return b.Text
	}
	return h.catalogLabel(lang, prefix, value)
}

// catalogLabel is label without the kept badges.
func (h *handler) catalogLabel(lang, prefix, value string) string {
	if value == "" {
		return ""
	}
	if t := h.Catalog.T(lang, prefix+value); t != prefix+value {
		return t
	}
	return value
}

// badgeKey names a badge of badgeOf: a language, a kind ("status",
// "category", "priority") and a value of it.
type badgeKey struct{ lang, kind, value string }

// badgeKinds are the kinds of badgeOf with their known values.
var badgeKinds = map[string][]string{"status": models.Statuses, "category": models.Categories, "priority": models.Priorities}

// makeBadges renders the badge of every known value of badgeKinds in every
// language, once: a list page shows three on each of its 50 rows, and
// building each (a catalog lookup and three strings) was a tenth of the
// rows' cost.
func (h *handler) makeBadges() map[badgeKey]badge {
	out := map[badgeKey]badge{}
	for _, lang := range templates.Languages {
		for kind, values := range badgeKinds {
			for _, v := range values {
				out[badgeKey{lang, kind, v}] = badge{Class: kind + "-" + v, Text: h.catalogLabel(lang, kind+".", v)}
			}
		}
	}
	return out
}

// badgeOf is the badge of value, a ticket's status, category or priority
// (kind): class kind-value, text the value's label in lang.
func (h *handler) badgeOf(lang, kind, value string) badge {
	if b, ok := h.badges[badgeKey{lang, kind, value}]; ok {
		return b
	}
	return badge{Class: kind + "-" + value, Text: h.catalogLabel(lang, kind+".", value)}
}

// options builds a <select>'s choices from values, labelled by prefix+value.
func (h *handler) options(lang, prefix string, values []string, selected string) []option {
	out := make([]option, 0, len(values))
	for _, v := range values {
		out = append(out, option{Value: v, Label: h.label(lang, prefix, v), Selected: v == selected})
	}
	return out
}

// pageParams reads ?page= (1-based) of a list of size rows a page and
// returns the page and its offset.
func pageParams(c echo.Context, size int) (page, offset int, err error) {
	page = 1
	if p := c.QueryParam("page"); p != "" {
		page, err = strconv.Atoi(p)
		if err != nil || page < 1 || page > 100000 {
			return 0, 0, echo.NewHTTPError(http.StatusBadRequest, "bad page")
		}
	}
	return page, (page - 1) * size, nil
}

// makePager links to neighbouring pages of the list at u (size rows a
// page), keeping its filters.
func makePager(u *url.URL, page, size, shown int, total int64) pager {
	offset := int64((page - 1) * size)
	p := pager{Total: total}
	if shown > 0 {
		p.From, p.To = offset+1, offset+int64(shown)
	}
	link := func(n int) string {
		q := u.Query()
		if n <= 1 {
			q.Del("page")
		} else {
			q.Set("page", strconv.Itoa(n))
		}
		if enc := q.Encode(); enc != "" {
			return u.Path + "?" + enc
		}
		return u.Path
	}
	if page > 1 {
		p.PrevURL = link(page - 1)
	}
	if offset+int64(shown) < total {
		p.NextURL = link(page + 1)
	}
	return p
}

// withQuery returns path with q's non-empty values, plus key=value.
func withQuery(path string, q url.Values, key, value string) string {
	out := url.Values{}
	for k, vs := range q {
		if k == "page" || k == key {
			continue
		}
		for _, v := range vs {
			if v != "" {
				out.Add(k, v)
			}
		}
	}
	if value != "" {
		out.Set(key, value)
	}
	if enc := out.Encode(); enc != "" {
		return path + "?" + enc
	}
	return path
}

// oneOf checks a filter value against the allowed ones ("" = no filter).
func oneOf(value string, allowed []string) error {
	if value == "" || slices.Contains(allowed, value) {
		return nil
	}
	return echo.NewHTTPError(http.StatusBadRequest, "unknown filter value")
}

// normalizeSerial is how serials are stored: upper case, without spaces,
// dashes or dots.
func normalizeSerial(s string) string { return mailin.NormalizeSerial(s) }

// day shows a calendar date (stored as midnight UTC) without zone shifts.
func day(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(dayLayout)
}

// warrantyBadge is the green/red/grey warranty label of an asset.
func (h *handler) warrantyBadge(lang string, w desk.Warranty) badge {
	switch {
	case !w.Known:
		return badge{Class: "badge-unknown", Text: h.Catalog.T(lang, "warranty.unknown")}
	case w.Under:
		return badge{Class: "badge-ok", Text: h.Catalog.T(lang, "warranty.until", w.EndsOn.Format(dayLayout))}
	default:
		return badge{Class: "badge-bad", Text: h.Catalog.T(lang, "warranty.expired", w.EndsOn.Format(dayLayout))}
	}
}

// assetCard is an asset as the pages show it.
type assetCard struct {
	Serial, AssetTag, Model, Manufacturer, Vendor string
	AssignedTo, Department, Delivered, State      string
	Warranty                                      badge
	TicketsURL                                    string
}

func (h *handler) assetCard(lang string, a *models.Asset, now time.Time) assetCard {
	card := assetCard{
		Serial: a.Serial, AssetTag: a.AssetTag, Model: a.Model, Manufacturer: a.Manufacturer,
		AssignedTo: a.AssignedTo, Department: a.Department, Delivered: day(a.DeliveredOn),
		State:      h.label(lang, "asset_state.", a.State),
		Warranty:   h.warrantyBadge(lang, desk.WarrantyOf(a, now)),
		TicketsURL: "/tickets?serial=" + url.QueryEscape(a.Serial),
	}
	if a.Vendor != nil {
		card.Vendor = a.Vendor.Name
	}
	return card
}

// ticketNumbers maps ticket IDs to numbers for the lists that hold only the
// ID (outbox, intake), reading each ticket once per request.
type ticketNumbers struct {
	h    *handler
	c    echo.Context
	seen map[uint]int64
}

func (h *handler) ticketNumbers(c echo.Context) *ticketNumbers {
	return &ticketNumbers{h: h, c: c, seen: map[uint]int64{}}
}

// of returns the number of ticket id, or 0 when id is nil or the ticket is gone.
func (tn *ticketNumbers) of(id *uint) (int64, error) {
	if id == nil {
		return 0, nil
	}
	if n, ok := tn.seen[*id]; ok {
		return n, nil
	}
	t, err := tn.h.Store.TicketByID(tn.c.Request().Context(), *id)
	switch {
	case err == nil:
		tn.seen[*id] = t.Number
	case isNotFound(err):
		tn.seen[*id] = 0
	default:
		return 0, err
	}
	return tn.seen[*id], nil
}

// ticketURL is the page of ticket number.
func ticketURL(number int64) string { return "/tickets/" + strconv.FormatInt(number, 10) }

// humanSize shows a byte count the way people read file sizes: "830 byte",
// "12 kB", "1,4 MB" (decimal units, the language's decimal separator).
func (h *handler) humanSize(lang string, n int64) string {
	if n < 1000 {
		return h.Catalog.T(lang, "size.bytes", n)
	}
	units := []string{"size.kb", "size.mb", "size.gb"}
	v, unit := float64(n)/1000, 0
	for v >= 999.95 && unit < len(units)-1 {
		v, unit = v/1000, unit+1
	}
	num := strconv.FormatFloat(v, 'f', 1, 64)
	if v >= 10 {
		num = strconv.FormatFloat(v, 'f', 0, 64)
	}
	num = strings.Replace(num, ".", h.Catalog.T(lang, "size.decimal_separator"), 1)
	return h.Catalog.T(lang, units[unit], num)
}
