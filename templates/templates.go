// Package templates holds everything the desk shows or sends as text: the
// html/template pages and partials, static CSS and JavaScript, the Swedish
// and English message catalogs, and the text templates of outgoing mail.
// Everything is embedded in the binary.
package templates

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"text/template"
)

//go:embed html static mail i18n
var files embed.FS

// FS returns the embedded files.
func FS() fs.FS { return files }

// Static returns the embedded static files (CSS, JS), rooted at static/.
func Static() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the directory is embedded at build time
	}
	return sub
}

// Languages lists the UI languages, the default first.
var Languages = []string{"sv", "en"}

// Catalog translates message keys into one of the supported languages.
type Catalog struct {
	msgs map[string]map[string]string // lang → key → text
}

// LoadCatalog reads every catalog file of every language: i18n/<lang>.json
// and any i18n/<lang>.<area>.json beside it (areas keep big features'
// strings apart). A key defined twice for one language is an error.
func LoadCatalog() (*Catalog, error) {
	c := &Catalog{msgs: map[string]map[string]string{}}
	for _, lang := range Languages {
		names, err := fs.Glob(files, "i18n/"+lang+"*.json")
		if err != nil {
			return nil, err
		}
		sort.Strings(names)
		c.msgs[lang] = map[string]string{}
		for _, name := range names {
			if base := path.Base(name); base != lang+".json" && !strings.HasPrefix(base, lang+".") {
				continue
			}
			data, err := files.ReadFile(name)
			if err != nil {
				return nil, fmt.Errorf("read catalog %s: %w", name, err)
			}
			m := map[string]string{}
			if err := json.Unmarshal(data, &m); err != nil {
				return nil, fmt.Errorf("parse catalog %s: %w", name, err)
			}
			for k, v := range m {
				if _, dup := c.msgs[lang][k]; dup {
					return nil, fmt.Errorf("catalog %s: key %q is already defined in another %s file", name, k, lang)
				}
				c.msgs[lang][k] = v
			}
		}
		if len(c.msgs[lang]) == 0 {
			return nil, fmt.Errorf("no catalog for language %q", lang)
		}
	}
	return c, nil
}

// Lang returns lang when supported, else the default language.
func (c *Catalog) Lang(lang string) string {
	if _, ok := c.msgs[lang]; ok {
		return lang
	}
	return Languages[0]
}

// T returns the text of key in lang, formatted with args (fmt verbs). A
// missing key falls back to the default language, then to the key itself.
func (c *Catalog) T(lang, key string, args ...any) string {
	msg, ok := c.msgs[lang][key]
	if !ok {
		msg, ok = c.msgs[Languages[0]][key]
	}
	if !ok {
		return key
	}
	if len(args) > 0 {
		return fmt.Sprintf(msg, args...)
	}
	return msg
}

// Missing lists, per language, the keys that another language has and it lacks.
func (c *Catalog) Missing() map[string][]string {
	all := map[string]bool{}
	for _, m := range c.msgs {
		for k := range m {
			all[k] = true
		}
	}
	out := map[string][]string{}
	for lang, m := range c.msgs {
		for k := range all {
			if _, ok := m[k]; !ok {
				out[lang] = append(out[lang], k)
			}
		}
		sort.Strings(out[lang])
	}
	return out
}

// MailTemplates are the text templates of outgoing mail, by name and language.
// Each file mail/<name>.<lang>.txt starts with a "Subject: " line, then a
// blank line, then the body.
type MailTemplates struct {
	t map[string]*template.Template // "name.lang" → template
}

// LoadMailTemplates parses every mail template.
func LoadMailTemplates() (*MailTemplates, error) {
	names, err := fs.Glob(files, "mail/*.txt")
	if err != nil {
		return nil, err
	}
	mt := &MailTemplates{t: map[string]*template.Template{}}
	for _, name := range names {
		data, err := files.ReadFile(name)
		if err != nil {
			return nil, err
		}
		key := strings.TrimSuffix(path.Base(name), ".txt")
		t, err := template.New(key).Option("missingkey=error").Parse(string(data))
		if err != nil {
			return nil, fmt.Errorf("parse mail template %s: %w", name, err)
		}
		mt.t[key] = t
	}
	return mt, nil
}

// Render executes mail template name in lang (falling back to the default
// language) and returns its subject and body.
func (mt *MailTemplates) Render(name, lang string, data any) (subject, body string, err error) {
	t, ok := mt.t[name+"."+lang]
	if !ok {
		t, ok = mt.t[name+"."+Languages[0]]
	}
	if !ok {
		return "", "", fmt.Errorf("no mail template %q", name)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", "", fmt.Errorf("render mail template %s.%s: %w", name, lang, err)
	}
	out := strings.ReplaceAll(b.String(), "\r\n", "\n")
	first, rest, _ := strings.Cut(out, "\n")
	if !strings.HasPrefix(first, "Subject: ") {
		return "", "", fmt.Errorf("mail template %s.%s: first line must be \"Subject: ...\"", name, lang)
	}
	return strings.TrimSpace(strings.TrimPrefix(first, "Subject: ")), strings.TrimLeft(rest, "\n"), nil
}

// Names lists the loaded mail templates as "name.lang".
func (mt *MailTemplates) Names() []string {
	var out []string
	for k := range mt.t {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
