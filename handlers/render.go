package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"text/template/parse"
	"time"

	"github.com/labstack/echo/v4"

	"warrantydesk/models"
	"warrantydesk/templates"
)

// dateLayout is how every date and time is shown, in the desk's time zone.
const (
	dateLayout = "2006-01-02 15:04"
	dayLayout  = "2006-01-02"
)

// pageTemplate is one page: the layout, the shared partials and the page's
// own "content" block, parsed for one language.
type pageTemplate struct{ *template.Template }

// parseTemplates parses html/*.html once per language. layout.html and
// partials.html are shared; every other file is a page that defines
// "content". (Shared files cannot start with "_": go:embed skips those.) The T function is bound to the language at parse
// time, so a page can never mix languages.
func parseTemplates(cat *templates.Catalog, loc *time.Location) (map[string]map[string]pageTemplate, error) {
	return parsePageTemplates(cat, loc, true)
}

// parsePageTemplates is parseTemplates; fold says whether to fold the
// escaped constants of each page (foldEscapedConstants).
func parsePageTemplates(cat *templates.Catalog, loc *time.Location, fold bool) (map[string]map[string]pageTemplate, error) {
	files, err := fs.Glob(templates.FS(), "html/*.html")
	if err != nil {
		return nil, err
	}
	shared := []string{"html/layout.html", "html/partials.html"}
	var pages []string
	for _, f := range files {
		if !slices.Contains(shared, f) {
			pages = append(pages, f)
		}
	}
	out := map[string]map[string]pageTemplate{}
	for _, lang := range templates.Languages {
		base, err := template.New("layout").Option("missingkey=error").
			Funcs(templateFuncs(cat, lang, loc)).ParseFS(templates.FS(), shared...)
		if err != nil {
			return nil, fmt.Errorf("parse layout: %w", err)
		}
		out[lang] = map[string]pageTemplate{}
		for _, p := range pages {
			clone, err := base.Clone()
			if err != nil {
				return nil, err
			}
			t, err := clone.ParseFS(templates.FS(), p)
			if err != nil {
				return nil, fmt.Errorf("parse %s: %w", p, err)
			}
			translateConstants(t, func(key string) string { return cat.T(lang, key) })
			if fold {
				if err := foldEscapedConstants(t); err != nil {
					return nil, fmt.Errorf("fold %s: %w", p, err)
				}
			}
			out[lang][strings.TrimSuffix(path.Base(p), ".html")] = pageTemplate{t}
		}
	}
	return out, nil
}

// translateConstants replaces every {{T "key"}} without arguments in t's
// templates by the translated text, as a constant that html/template still
// escapes in its context: T is bound to one language at parse time, so the
// call would return the same string on every execution, and a page has
// dozens of them (each a reflective call). Calls with arguments stay.
func translateConstants(t *template.Template, tr func(key string) string) {
	var node func(n parse.Node)
	pipe := func(p *parse.PipeNode) {
		if p == nil {
			return
		}
		for _, cmd := range p.Cmds {
			if len(cmd.Args) == 2 {
				id, isIdent := cmd.Args[0].(*parse.IdentifierNode)
				key, isString := cmd.Args[1].(*parse.StringNode)
				if isIdent && isString && id.Ident == "T" {
					key.Text = tr(key.Text)
					key.Quoted = strconv.Quote(key.Text)
					cmd.Args = []parse.Node{key}
					continue
				}
			}
			for _, a := range cmd.Args {
				if p, ok := a.(*parse.PipeNode); ok {
					node(p)
				}
			}
		}
	}
	node = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					node(c)
				}
			}
		case *parse.PipeNode:
			pipe(n)
		case *parse.ActionNode:
			pipe(n.Pipe)
		case *parse.IfNode:
			pipe(n.Pipe)
			node(n.List)
			node(n.ElseList)
		case *parse.RangeNode:
			pipe(n.Pipe)
			node(n.List)
			node(n.ElseList)
		case *parse.WithNode:
			pipe(n.Pipe)
			node(n.List)
			node(n.ElseList)
		case *parse.TemplateNode:
			pipe(n.Pipe)
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			node(tt.Tree.Root)
		}
	}
}

// htmlEscapers are html/template's escapers that, given a string, all
// return what it returns in HTML text (HTML-escaped; for an attribute value
// in quotes and for RCDATA such as <title> the same).
var htmlEscapers = map[string]bool{
	"_html_template_htmlescaper":   true,
	"_html_template_attrescaper":   true,
	"_html_template_rcdataescaper": true,
}

// foldEscapedConstants replaces, in the layout of page t and every template
// it calls, each action that prints a constant string (a translated text,
// see translateConstants) through one HTML escaper by the escaped text
// itself: html/template escapes a template on its first execution by
// adding escaper calls to its actions, and each call is a reflective
// function call on every execution of the page — some sixty on a list
// page. Escaping happens here, at parse time, by executing the layout once
// with an empty page (the execution's own result is of no interest); the
// escaper's output is html/template's own, computed by executing it.
func foldEscapedConstants(t *template.Template) error {
	_ = t.ExecuteTemplate(io.Discard, "layout", page{})
	escape := template.Must(template.New("escape").Parse("{{.}}"))
	var err error
	var list func(l *parse.ListNode)
	list = func(l *parse.ListNode) {
		if l == nil {
			return
		}
		folded := false
		for i, n := range l.Nodes {
			switch n := n.(type) {
			case *parse.ActionNode:
				text, ok := escapedConstant(n.Pipe)
				if !ok {
					continue
				}
				var buf bytes.Buffer
				if e := escape.Execute(&buf, text); e != nil {
					err = e
					return
				}
				l.Nodes[i] = &parse.TextNode{NodeType: parse.NodeText, Pos: n.Pos, Text: buf.Bytes()}
				folded = true
			case *parse.IfNode:
				list(n.List)
				list(n.ElseList)
			case *parse.RangeNode:
				list(n.List)
				list(n.ElseList)
			case *parse.WithNode:
				list(n.List)
				list(n.ElseList)
			}
		}
		if folded { // one text node instead of a run of them
			merged := l.Nodes[:0]
			for _, n := range l.Nodes {
				if txt, ok := n.(*parse.TextNode); ok && len(merged) > 0 {
					if prev, ok := merged[len(merged)-1].(*parse.TextNode); ok {
						merged[len(merged)-1] = &parse.TextNode{NodeType: parse.NodeText, Pos: prev.Pos,
							Text: append(append([]byte{}, prev.Text...), txt.Text...)}
						continue
					}
				}
				merged = append(merged, n)
			}
			l.Nodes = merged
		}
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil {
			list(tt.Tree.Root)
		}
	}
	return err
}

// escapedConstant returns the string that pipe prints through one of
// htmlEscapers, if that is all pipe does.
func escapedConstant(pipe *parse.PipeNode) (string, bool) {
	if pipe == nil || len(pipe.Decl) > 0 || len(pipe.Cmds) != 2 || len(pipe.Cmds[0].Args) != 1 || len(pipe.Cmds[1].Args) != 1 {
		return "", false
	}
	str, isString := pipe.Cmds[0].Args[0].(*parse.StringNode)
	esc, isIdent := pipe.Cmds[1].Args[0].(*parse.IdentifierNode)
	if !isString || !isIdent || !htmlEscapers[esc.Ident] {
		return "", false
	}
	return str.Text, true
}

// templateFuncs are the functions pages may call: translation and display
// formatting only, never rules.
func templateFuncs(cat *templates.Catalog, lang string, loc *time.Location) template.FuncMap {
	return template.FuncMap{
		"device": deviceName,
		// T translates a catalog key; args fill its %s/%d verbs.
		"T": func(key string, args ...any) string { return cat.T(lang, key, args...) },
		// date shows a time.Time or *time.Time in the desk's zone; "" when unset.
		"date": func(v any) string {
			switch t := v.(type) {
			case time.Time:
				if t.IsZero() {
					return ""
				}
				return t.In(loc).Format(dateLayout)
			case *time.Time:
				if t == nil || t.IsZero() {
					return ""
				}
				return t.In(loc).Format(dateLayout)
			}
			return ""
		},
	}
}

// page is what every page template receives: site-wide fields plus the
// page's own Data.
type page struct {
	Lang          string
	Title         string // translated
	Agent         *models.Agent
	CSRF          string
	Flash         []flashMsg
	Path          string // current local path and query
	Nav           []navItem
	LangLinks     []langLink
	StaticVersion string
	IntakeAlert   string // translated; "" unless intake is failing (agents only)
	// AdminNav is the "Admin" section of the navigation (admins only).
	AdminNav []navItem
	// Portal marks a vendor user's page: the portal's navigation only, no
	// agent links, shortcuts or intake banner.
	Portal bool
	// Shortcuts are the keyboard shortcuts of the ? overlay (agents only),
	// the "shortcut-list" rendered once per language at start.
	Shortcuts template.HTML
	// NavHTML is the site navigation (Nav, AdminNav), rendered by render
	// (navHTML).
	NavHTML template.HTML
	// Live is the change token of a page that refreshes itself when tickets
	// change ("" = it does not), LiveInterval how often it asks, in ms.
	Live         string
	LiveInterval int64
	Data         any
}

type navItem struct {
	URL, Label string
	Current    bool
}

type langLink struct {
	URL, Code, Label string
	Current          bool
}

// flashMsg is a one-time notice shown at the top of the next page.
type flashMsg struct {
	Kind string // "ok" or "error"
	Text string // translated
}

// render executes page name with data inside the layout.
func (h *handler) render(c echo.Context, status int, name, navKey, titleKey string, data any, titleArgs ...any) error {
	lang := h.lang(c)
	t, ok := h.tmpl[lang][name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	p := h.pageFor(c, lang, navKey)
	p.Title = h.Catalog.T(lang, titleKey, titleArgs...)
	p.Data = data
	if p.Agent != nil && livePages[name] {
		p.Live, p.LiveInterval = h.liveToken(c), h.livePollMillis()
	}
	nav, err := h.renderNav(lang, t, &p)
	if err != nil {
		return err
	}
	p.NavHTML = nav
	buf := pageBuffers.Get().(*bytes.Buffer)
	defer func() {
		if buf.Cap() <= maxPooledPage {
			buf.Reset()
			pageBuffers.Put(buf)
		}
	}()
	if err := t.ExecuteTemplate(buf, "layout", p); err != nil {
		return fmt.Errorf("render page %s: %w", name, err)
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.HTMLBlob(status, buf.Bytes()) // written before it returns: the buffer may go back
}

// pageBuffers are the buffers pages render into: a list page is 60 kB, and
// growing a fresh buffer to that doubled the bytes every request allocated.
var pageBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledPage is the largest buffer kept for reuse.
const maxPooledPage = 1 << 20

// pageFor fills the site-wide fields of a page.
func (h *handler) pageFor(c echo.Context, lang, navKey string) page {
	p := page{
		Lang:          lang,
		Agent:         agentOf(c),
		CSRF:          csrfToken(c),
		Flash:         flashesOf(c),
		Path:          currentPath(c),
		StaticVersion: h.staticVersion,
	}
	if p.Agent != nil && p.Agent.Role == models.RoleVendor {
		p.Portal = true
		p.Nav = []navItem{{URL: portalHome, Label: h.Catalog.T(lang, "nav.portal"), Current: navKey == "portal"}}
	} else if p.Agent != nil {
		items := []struct{ key, url, label string }{
			{"tickets", "/tickets", "nav.tickets"},
			{"outbox", "/outbox", "nav.outbox"},
			{"intake", "/intake", "nav.intake"},
			{"assets", "/assets", "nav.assets"},
			{"overdue", "/overdue", "nav.overdue"},
		}
		if h.ResellerInbox != nil {
			items = append(items, struct{ key, url, label string }{"reseller", "/reseller", "nav.reseller"})
		}
		for _, it := range items {
			p.Nav = append(p.Nav, navItem{URL: it.url, Label: h.Catalog.T(lang, it.label), Current: it.key == navKey})
		}
		if p.Agent.Role == models.RoleAdmin {
			p.AdminNav = h.adminNavItems(lang, navKey)
		}
		p.Shortcuts = h.shortcutHTML[lang]
		p.IntakeAlert = h.intakeAlert(c, lang)
	}
	for _, code := range templates.Languages {
		p.LangLinks = append(p.LangLinks, langLink{
			URL:     "/lang/" + code + "?next=" + url.QueryEscape(p.Path),
			Code:    code,
			Label:   h.Catalog.T(lang, "lang."+code),
			Current: code == lang,
		})
	}
	return p
}

// currentPath is the page to come back to (after switching language): the
// request's own URL for a GET, else the page the handler named, else the list.
func currentPath(c echo.Context) string {
	if p, ok := c.Get(ctxPath).(string); ok {
		return p
	}
	if c.Request().Method == http.MethodGet {
		return c.Request().URL.RequestURI()
	}
	return "/tickets"
}

// redirect answers 303 See Other, so a POST is never resubmitted on reload.
func redirect(c echo.Context, to string) error {
	return c.Redirect(http.StatusSeeOther, to)
}

// intakeAlert is the banner every agent sees while mail intake is failing,
// so a broken mailbox password is noticed on the first page view rather
// than when staff start phoning. "" when intake is fine or not monitored.
func (h *handler) intakeAlert(c echo.Context, lang string) string {
	if h.Health == nil {
		return ""
	}
	chk, ok := h.Health(c.Request().Context()).Checks["intake"]
	if !ok || chk.OK {
		return ""
	}
	detail := chk.Detail
	if detail == "" {
		detail = h.Catalog.T(lang, "intake_alert.no_detail")
	}
	if chk.LastSuccess == nil || chk.LastSuccess.IsZero() {
		return h.Catalog.T(lang, "intake_alert.never", detail)
	}
	return h.Catalog.T(lang, "intake_alert.since", chk.LastSuccess.In(h.loc).Format(dateLayout), detail)
}

// deviceName names a device for display: "Lenovo ThinkPad T14", without
// repeating the manufacturer when the model already starts with it.
func deviceName(manufacturer, model string) string {
	manufacturer, model = strings.TrimSpace(manufacturer), strings.TrimSpace(model)
	if manufacturer == "" || strings.HasPrefix(strings.ToLower(model), strings.ToLower(manufacturer)) {
		return model
	}
	if model == "" {
		return manufacturer
	}
	return manufacturer + " " + model
}
