package mailin

import (
	"regexp"

	"github.com/microcosm-cc/bluemonday"
)

// htmlPolicy is the allow-list for mail HTML shown to agents: formatting, lists, tables, links to
// http/https/mailto and images from cid: (inline parts) or https:. Everything else — scripts, styles,
// event handlers, forms, iframes, javascript: and data: URLs — is removed. A bluemonday Policy is safe for
// concurrent use once built.
var htmlPolicy = newHTMLPolicy()

func newHTMLPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowAttrs("dir", "lang", "title").Globally()
	p.AllowElements(
		"p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "strike", "sub", "sup", "small", "big",
		"blockquote", "pre", "code", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt",
		"dd", "abbr", "address", "cite", "q", "del", "ins", "mark", "center", "font",
		"table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "col", "colgroup",
	)
	p.AllowAttrs("align", "valign", "width", "height", "colspan", "rowspan", "border", "cellpadding",
		"cellspacing", "span").OnElements("table", "thead", "tbody", "tfoot", "tr", "th", "td", "col", "colgroup")
	p.AllowAttrs("align").OnElements("p", "div", "h1", "h2", "h3", "h4", "h5", "h6")
	p.AllowAttrs("color", "size", "face").OnElements("font")
	p.AllowAttrs("start", "type").OnElements("ol")
	p.AllowAttrs("cite").Matching(regexp.MustCompile(`(?i)^https?:`)).OnElements("blockquote", "q")

	p.AllowURLSchemes("http", "https", "mailto", "cid")
	p.RequireParseableURLs(true)
	p.AllowAttrs("href").Matching(regexp.MustCompile(`(?i)^(https?|mailto):`)).OnElements("a")
	p.RequireNoFollowOnLinks(true)
	p.AddTargetBlankToFullyQualifiedLinks(true)
	p.AllowAttrs("src").Matching(regexp.MustCompile(`(?i)^(cid|https):`)).OnElements("img")
	p.AllowAttrs("alt", "width", "height").OnElements("img")
	return p
}

// SanitizeHTML returns html reduced to the mail allow-list: common formatting, tables, links (http, https,
// mailto; rel="nofollow noopener", target="_blank") and images whose src is cid: or https:. Scripts,
// styles, event handlers and javascript: URLs are removed.
func SanitizeHTML(html string) string {
	return htmlPolicy.Sanitize(html)
}
