package handlers

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// Live refresh and keyboard help.
//
// An open ticket list carries a change token (data-live-since on <body>):
// the newest ticket update and the highest ticket id when it was rendered.
// app.js asks GET /api/ui/changes?since=TOKEN every LivePollInterval; the
// answer says how many tickets changed since. The page then reloads itself,
// or, when the agent has typed something into a field, shows a "N new or
// updated tickets — show" link instead, so nothing typed is lost. Polling
// (rather than a held-open event stream) keeps no request open, so a
// graceful shutdown never waits for a browser tab.

// defaultLivePoll is how often an open list asks for changes.
const defaultLivePoll = 10 * time.Second

// livePages are the pages that refresh themselves when tickets change.
var livePages = map[string]bool{"tickets": true}

// changeToken encodes a TicketChanges as "<unix nanoseconds>.<max id>".
func changeToken(st models.TicketChanges) string {
	var ns int64
	if !st.Latest.IsZero() {
		ns = st.Latest.UnixNano()
	}
	return strconv.FormatInt(ns, 10) + "." + strconv.FormatUint(uint64(st.MaxID), 10)
}

// parseChangeToken reads a token made by changeToken.
func parseChangeToken(s string) (models.TicketChanges, error) {
	ns, id, ok := strings.Cut(s, ".")
	n, err1 := strconv.ParseInt(ns, 10, 64)
	m, err2 := strconv.ParseUint(id, 10, 32)
	if !ok || err1 != nil || err2 != nil || n < 0 {
		return models.TicketChanges{}, fmt.Errorf("bad change token %q", s)
	}
	st := models.TicketChanges{MaxID: uint(m)}
	if n > 0 {
		st.Latest = time.Unix(0, n).UTC()
	}
	return st, nil
}

// liveToken is the change token of the tickets as they are now, or "" when
// it cannot be read (the page then simply does not refresh itself).
func (h *handler) liveToken(c echo.Context) string {
	st, err := h.Desk.TicketChangeState(c.Request().Context())
	if err != nil {
		h.Logger.Warn("live refresh: read ticket changes", "err", err)
		return ""
	}
	return changeToken(st)
}

// livePollMillis is the poll interval for app.js, in milliseconds.
func (h *handler) livePollMillis() int64 {
	d := h.LivePollInterval
	if d <= 0 {
		d = defaultLivePoll
	}
	return d.Milliseconds()
}

// uiChanges answers how many tickets changed since the token in ?since=,
// with the token of the current state: {"changed": N, "token": "..."}.
func (h *handler) uiChanges(c echo.Context) error {
	since, err := parseChangeToken(c.QueryParam("since"))
	if err != nil {
		return echo.NewHTTPError(http.StatusBadRequest, "bad since token")
	}
	ctx := c.Request().Context()
	now, err := h.Desk.TicketChangeState(ctx)
	if err != nil {
		return err
	}
	var n int64
	if now.MaxID > since.MaxID || now.Latest.After(since.Latest) {
		if n, err = h.Store.CountTicketsChangedSince(ctx, since.Latest, since.MaxID); err != nil {
			return err
		}
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, map[string]any{"changed": n, "token": changeToken(now)})
}

// shortcut is one keyboard shortcut as the help lists it.
type shortcut struct {
	Keys  []string // pressed one after the other
	Label string   // translated
	URL   string   // the page a "g" shortcut opens; "" for other keys
	Goto  string   // the second key of a "g" shortcut
}

// shortcutGroup is a titled list of shortcuts.
type shortcutGroup struct {
	Title string
	Items []shortcut
}

// gotoTargets are the "g" shortcuts between views: g then the key. The
// ticket list's views are desk.Views (ticketlist.go).
var gotoTargets = []struct{ key, url, label string }{
	{"i", "/tickets?view=" + desk.ViewAll, "shortcut.goto_all"},
	{"m", "/tickets?view=" + desk.ViewMine, "shortcut.goto_mine"},
	{"u", "/tickets?view=" + desk.ViewUnassigned, "shortcut.goto_unassigned"},
	{"v", "/tickets?view=" + desk.ViewAtVendor, "shortcut.goto_vendor"},
	{"o", "/tickets?view=" + desk.ViewOverdue, "shortcut.goto_overdue"},
	{"a", "/assets", "shortcut.goto_assets"},
	{"l", "/intake", "shortcut.goto_intake"},
}

// shortcuts lists every keyboard shortcut (app.js implements them; the
// "g" targets are read from the links this list renders).
func (h *handler) shortcuts(lang string) []shortcutGroup {
	t := func(key string) string { return h.Catalog.T(lang, key) }
	lists := shortcutGroup{Title: t("shortcut.group_lists"), Items: []shortcut{
		{Keys: []string{"j"}, Label: t("shortcut.next")},
		{Keys: []string{"k"}, Label: t("shortcut.prev")},
		{Keys: []string{"Enter"}, Label: t("shortcut.open")},
		{Keys: []string{"/"}, Label: t("shortcut.search")},
	}}
	ticket := shortcutGroup{Title: t("shortcut.group_ticket"), Items: []shortcut{
		{Keys: []string{"r"}, Label: t("shortcut.reply")},
		{Keys: []string{"n"}, Label: t("shortcut.note")},
		{Keys: []string{"a"}, Label: t("shortcut.assignee")},
		{Keys: []string{"s"}, Label: t("shortcut.status")},
	}}
	nav := shortcutGroup{Title: t("shortcut.group_goto")}
	for _, g := range gotoTargets {
		nav.Items = append(nav.Items, shortcut{Keys: []string{"g", g.key}, Label: t(g.label), URL: g.url, Goto: g.key})
	}
	other := shortcutGroup{Title: t("shortcut.group_other"), Items: []shortcut{
		{Keys: []string{"?"}, Label: t("shortcut.help")},
		{Keys: []string{"Esc"}, Label: t("shortcut.close")},
	}}
	return []shortcutGroup{lists, ticket, nav, other}
}

// helpData is the help page.
type helpData struct {
	Groups []shortcutGroup
}

// helpPage lists the keyboard shortcuts (the ? overlay shows the same
// list; this page works without JavaScript).
func (h *handler) helpPage(c echo.Context) error {
	return h.render(c, http.StatusOK, "help", "help", "help.title", helpData{Groups: h.shortcuts(h.lang(c))})
}
