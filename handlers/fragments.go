package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The list's rows are most of its page, and html/template spends about a
// microsecond on each of a row's forty actions (reflection, escaping): a
// page of 50 rows cost 2–3 ms of CPU to render. A row's HTML depends on
// nothing but its listRow and the language, so it is kept under exactly
// those: a changed ticket is a different key, never a stale row.

// rowCacheSize bounds the kept rows (about 1.5 kB each); when full, the
// cache starts over.
const rowCacheSize = 4096

// rowCache maps a language and a row to the row's rendered HTML.
type rowCache struct {
	mu sync.RWMutex
	m  map[rowKey]template.HTML
}

type rowKey struct {
	lang string
	row  listRow
}

// listRowHTML renders row with the "ticket-row" template of lang, or
// returns the HTML rendered for an equal row before.
func (h *handler) listRowHTML(lang string, row listRow) (template.HTML, error) {
	k := rowKey{lang, row}
	h.rows.mu.RLock()
	html, ok := h.rows.m[k]
	h.rows.mu.RUnlock()
	if ok {
		return html, nil
	}
	t, ok := h.tmpl[lang]["tickets"]
	if !ok {
		return "", fmt.Errorf("no page template %q", "tickets")
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "ticket-row", row); err != nil {
		return "", fmt.Errorf("render ticket row: %w", err)
	}
	html = template.HTML(buf.String()) // #nosec G203 -- rendered by html/template
	h.rows.mu.Lock()
	if h.rows.m == nil || len(h.rows.m) >= rowCacheSize {
		h.rows.m = make(map[rowKey]template.HTML, 256)
	}
	h.rows.m[k] = html
	h.rows.mu.Unlock()
	return html, nil
}

// fragmentCacheSize bounds the kept fragments (option lists, navigations,
// tabs); when full, the cache starts over.
const fragmentCacheSize = 1024

// fragmentCache maps a fragment's key (see fragment) to its rendered HTML.
type fragmentCache struct {
	mu sync.RWMutex
	m  map[string]template.HTML
}

// optionsHTML renders opts with the "options" template, or returns the
// HTML rendered for an equal list before. The list page has a dozen
// selects; rendering their hundred options cost as much as its rows.
func (h *handler) optionsHTML(opts []option) (template.HTML, error) {
	var k strings.Builder
	for _, o := range opts {
		k.WriteString(o.Value)
		k.WriteByte(0)
		k.WriteString(o.Label)
		if o.Selected {
			k.WriteString("\x00s")
		}
		k.WriteByte(1)
	}
	t, ok := h.tmpl[h.DefaultLanguage]["tickets"] // the options template translates nothing
	if !ok {
		return "", fmt.Errorf("no page template %q", "tickets")
	}
	return h.fragment(t, "options", k.String(), opts)
}

// navData is what the "nav" template shows: a page's site navigation.
type navData struct {
	Nav, AdminNav []navItem
	Portal        bool
	// ReportsCurrent marks the reports link as the current page.
	ReportsCurrent bool
}

// renderNav renders the site navigation of p with the "nav" template of
// lang's page t, or returns the HTML rendered for an equal navigation
// before: it is the same on every page of a section, and its links were a
// third of the layout's actions.
func (h *handler) renderNav(lang string, t pageTemplate, p *page) (template.HTML, error) {
	d := navData{Nav: p.Nav, AdminNav: p.AdminNav, Portal: p.Portal, ReportsCurrent: strings.HasPrefix(p.Path, "/reports")}
	var k strings.Builder
	k.WriteString(lang)
	if d.Portal {
		k.WriteString("\x00portal")
	}
	if d.ReportsCurrent {
		k.WriteString("\x00reports")
	}
	for _, items := range [][]navItem{d.Nav, d.AdminNav} {
		k.WriteByte(2)
		for _, it := range items {
			k.WriteString(it.URL)
			k.WriteByte(0)
			k.WriteString(it.Label)
			if it.Current {
				k.WriteString("\x00c")
			}
			k.WriteByte(1)
		}
	}
	return h.fragment(t, "nav", k.String(), d)
}

// renderTabs renders tabs with the "tabs" template of lang's page t, or
// returns the HTML rendered for equal tabs before (the list's eight tabs
// were forty actions of its page).
func (h *handler) renderTabs(lang string, t pageTemplate, tabs []tab) (template.HTML, error) {
	var k strings.Builder
	k.WriteString(lang)
	for _, tb := range tabs {
		k.WriteByte(1)
		k.WriteString(tb.URL)
		k.WriteByte(0)
		k.WriteString(tb.Label)
		k.WriteByte(0)
		k.WriteString(strconv.FormatInt(tb.Count, 10))
		if tb.Current {
			k.WriteString("\x00c")
		}
	}
	return h.fragment(t, "tabs", k.String(), tabs)
}

// fragment executes template name of t with data, or returns the HTML it
// gave before for the same key: key must name everything of data the
// template shows, and the language.
func (h *handler) fragment(t pageTemplate, name, key string, data any) (template.HTML, error) {
	key = name + "\x00" + key
	h.fragments.mu.RLock()
	html, ok := h.fragments.m[key]
	h.fragments.mu.RUnlock()
	if ok {
		return html, nil
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, name, data); err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	html = template.HTML(buf.String()) // #nosec G203 -- rendered by html/template
	h.fragments.mu.Lock()
	if h.fragments.m == nil || len(h.fragments.m) >= fragmentCacheSize {
		h.fragments.m = make(map[string]template.HTML, 64)
	}
	h.fragments.m[key] = html
	h.fragments.mu.Unlock()
	return html, nil
}

// formatDate shows t in the desk's zone, as the templates' date function.
func (h *handler) formatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(h.loc).Format(dateLayout)
}

// renderShortcuts renders the keyboard shortcut list of every language
// once: it is the same on every agent page.
func (h *handler) renderShortcuts() (map[string]template.HTML, error) {
	out := map[string]template.HTML{}
	for lang, pages := range h.tmpl {
		t, ok := pages["help"]
		if !ok {
			return nil, fmt.Errorf("no page template %q", "help")
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, "shortcut-list", h.shortcuts(lang)); err != nil {
			return nil, fmt.Errorf("render shortcuts: %w", err)
		}
		out[lang] = template.HTML(buf.String()) // #nosec G203 -- rendered by html/template
	}
	return out, nil
}
