package mailin

import (
	"strings"
	"testing"
)

func TestSanitizeHTML(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		keep    []string
		dropped []string
	}{
		{"script", `<p>hi</p><script>alert(1)</script>`, []string{"<p>hi</p>"}, []string{"script", "alert"}},
		{"event handler", `<img src="cid:a@b" onerror="alert(1)">`, []string{`src="cid:a@b"`}, []string{"onerror", "alert"}},
		{"javascript link", `<a href="javascript:alert(1)">x</a>`, []string{"x"}, []string{"javascript", "href"}},
		{"safe link", `<a href="https://example.se/a">x</a>`, []string{`href="https://example.se/a"`, `nofollow`, `noopener`, `target="_blank"`}, nil},
		{"mailto link", `<a href="mailto:it@example.se">x</a>`, []string{`href="mailto:it@example.se"`}, nil},
		{"style", `<style>p{}</style><p style="color:red">x</p>`, []string{"<p>x</p>"}, []string{"style", "color"}},
		{"data and http images", `<img src="data:image/png;base64,AAAA"><img src="http://t.example/p.gif"><img src="https://ok.example/i.png">`, []string{`src="https://ok.example/i.png"`}, []string{"data:", "http://t.example"}},
		{"table", `<table border="1"><tr><td colspan="2">a</td></tr></table>`, []string{`<td colspan="2">a</td>`, `border="1"`}, nil},
		{"iframe and form", `<iframe src="https://x"></iframe><form><input name=p></form>`, nil, []string{"iframe", "form", "input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SanitizeHTML(tt.in)
			for _, k := range tt.keep {
				if !strings.Contains(got, k) {
					t.Errorf("SanitizeHTML(%q) = %q, lost %q", tt.in, got, k)
				}
			}
			for _, d := range tt.dropped {
				if strings.Contains(got, d) {
					t.Errorf("SanitizeHTML(%q) = %q, kept %q", tt.in, got, d)
				}
			}
		})
	}
}
