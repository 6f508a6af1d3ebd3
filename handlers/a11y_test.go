package handlers

import (
	"bytes"
	"fmt"
	"io/fs"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"warrantydesk/models"
	"warrantydesk/templates"
)

// renderedPages renders every page template in every language with its
// sample data (samplePages) inside the full layout: navigation with the
// admin section, the shortcut overlay and the live-refresh banner. The
// ticket page sample also gets the related-tickets card.
func renderedPages(t *testing.T) map[string]string {
	t.Helper()
	en := newEnv(t)
	h := &handler{Deps: Deps{Catalog: en.cat}, loc: time.UTC}
	var err error
	if h.tmpl, err = parseTemplates(en.cat, time.UTC); err != nil {
		t.Fatal(err)
	}
	if h.shortcutHTML, err = h.renderShortcuts(); err != nil {
		t.Fatal(err)
	}
	samples := samplePages()
	if d, ok := samples["ticket"].(ticketPageData); ok {
		d.Related = sampleRelated()
		samples["ticket"] = d
	}
	agent := &models.Agent{Name: "Anna Agent", Email: testEmail, Role: models.RoleAdmin}
	out := map[string]string{}
	for _, lang := range templates.Languages {
		for name, tmpl := range h.tmpl[lang] {
			data, ok := samples[name]
			if !ok {
				t.Errorf("page %q has no sample data in samplePages", name)
				continue
			}
			p := page{Lang: lang, Title: "T", Agent: agent, CSRF: "tok", Path: "/x", Data: data,
				Nav:       []navItem{{URL: "/tickets", Label: "Ärenden", Current: true}},
				AdminNav:  h.adminNavItems(lang, "admin_agents"),
				Shortcuts: h.shortcutHTML[lang], Live: "1.1", LiveInterval: 10000,
				LangLinks: []langLink{{URL: "/lang/en?next=%2Fx", Code: "en", Label: "English"}}}
			if p.NavHTML, err = h.renderNav(lang, tmpl, &p); err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := tmpl.ExecuteTemplate(&buf, "layout", p); err != nil {
				t.Fatalf("render %s/%s: %v", lang, name, err)
			}
			out[lang+"/"+name] = buf.String()
		}
	}
	return out
}

// TestEveryFormControlHasALabel parses every rendered page and fails on an
// input, select or textarea that no label names: a <label for=id>, a
// <label> around it, aria-label or aria-labelledby. Hidden inputs and
// buttons (named by their text) need none.
func TestEveryFormControlHasALabel(t *testing.T) {
	pages := renderedPages(t)
	names := make([]string, 0, len(pages))
	for n := range pages {
		names = append(names, n)
	}
	sort.Strings(names)
	checked := 0
	for _, name := range names {
		doc, err := html.Parse(strings.NewReader(pages[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		labelFor := map[string]bool{}
		ids := map[string]int{}
		var walk func(n *html.Node, inLabel bool)
		var controls []*html.Node
		inside := map[*html.Node]bool{}
		walk = func(n *html.Node, inLabel bool) {
			if n.Type == html.ElementNode {
				if id := attr(n, "id"); id != "" {
					ids[id]++
				}
				switch n.Data {
				case "label":
					if f := attr(n, "for"); f != "" {
						labelFor[f] = true
					}
					inLabel = true
				case "input", "select", "textarea":
					switch strings.ToLower(attr(n, "type")) {
					case "hidden", "submit", "button", "reset", "image":
					default:
						controls = append(controls, n)
						inside[n] = inLabel
					}
				}
			}
			for c := n.FirstChild; c != nil; c = c.NextSibling {
				walk(c, inLabel)
			}
		}
		walk(doc, false)
		for id, n := range ids {
			if n > 1 {
				t.Errorf("%s: id %q used %d times (a <label for> would name only one)", name, id, n)
			}
		}
		for _, c := range controls {
			checked++
			id := attr(c, "id")
			if inside[c] || (id != "" && labelFor[id]) || strings.TrimSpace(attr(c, "aria-label")) != "" || attr(c, "aria-labelledby") != "" {
				continue
			}
			t.Errorf("%s: <%s name=%q id=%q> has no label", name, c.Data, attr(c, "name"), id)
		}
	}
	if checked < 40 {
		t.Errorf("checked only %d form controls; are the pages rendered?", checked)
	}
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// TestColourContrast computes the WCAG 2 contrast ratio of every text
// colour on its background in app.css (the custom properties of :root and
// the fixed header colours) and requires AA: 4.5:1 for text.
func TestColourContrast(t *testing.T) {
	css, err := fs.ReadFile(templates.Static(), "app.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	const header = "#1f2a37" // .top background
	pairs := []struct{ fg, bg string }{
		{"text", "bg"}, {"text", "surface"}, {"muted", "bg"}, {"muted", "surface"}, {"muted", "grey-bg"},
		{"accent", "surface"}, {"accent", "bg"}, {"accent-text", "accent"},
		{"ok-fg", "ok-bg"}, {"bad-fg", "bad-bg"}, {"warn-fg", "warn-bg"}, {"info-fg", "info-bg"},
		{"grey-fg", "grey-bg"}, {"vendor-fg", "vendor-bg"}, {"text", "grey-bg"},
		{"#ffffff", header}, {"#d7dee6", header}, {"#ffffff", "#3a4a5e"}, {"#1f2a37", "#ffffff"},
		{"#12326b", "#e6f0ff"}, {"text", "#fffbea"}, {"text", "#f5f9ff"}, {"text", "#eaf2ff"}, {"accent", "#eaf2ff"},
		{"#ffffff", "#0842a0"}, {"text", "#eef1f4"},
	}
	for _, p := range pairs {
		fg, bg := colour(vars, p.fg), colour(vars, p.bg)
		if fg == "" || bg == "" {
			t.Errorf("colour %s or %s not defined in app.css", p.fg, p.bg)
			continue
		}
		if r := contrast(fg, bg); r < 4.5 {
			t.Errorf("%s (%s) on %s (%s): contrast %.2f:1, WCAG AA needs 4.5:1", p.fg, fg, p.bg, bg, r)
		}
	}
	// The focus ring must stand out from the page (3:1 for non-text, WCAG 1.4.11).
	if r := contrast(colour(vars, "text"), colour(vars, "focus")); r < 3 {
		t.Errorf("focus ring contrast %.2f:1", r)
	}
}

// colour resolves a custom property name or returns a literal #rrggbb.
func colour(vars map[string]string, name string) string {
	if strings.HasPrefix(name, "#") {
		return name
	}
	return vars[name]
}

// contrast is the WCAG 2 contrast ratio of two #rrggbb colours.
func contrast(a, b string) float64 {
	la, lb := luminance(a), luminance(b)
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is the relative luminance of a #rrggbb colour (WCAG 2).
func luminance(hex string) float64 {
	ch := func(i int) float64 {
		v, err := strconv.ParseUint(hex[1+2*i:3+2*i], 16, 8)
		if err != nil {
			panic(fmt.Sprintf("bad colour %q", hex))
		}
		c := float64(v) / 255
		if c <= 0.03928 {
			return c / 12.92
		}
		return math.Pow((c+0.055)/1.055, 2.4)
	}
	return 0.2126*ch(0) + 0.7152*ch(1) + 0.0722*ch(2)
}

func TestContrastFormula(t *testing.T) {
	if r := contrast("#000000", "#ffffff"); math.Abs(r-21) > 0.01 {
		t.Errorf("black on white %.2f, want 21", r)
	}
	if r := contrast("#777777", "#ffffff"); r > 4.5 || r < 4.4 {
		t.Errorf("#777 on white %.2f, want ≈4.48", r)
	}
}
