package desk

import "testing"

func TestRewriteCIDs(t *testing.T) {
	resolve := func(cid string) string {
		if normalizeContentID(cid) == "logo@x.se" {
			return "/pic/1"
		}
		return ""
	}
	tests := []struct{ name, in, want string }{
		{"plain", `<p>Hej</p><img src="cid:logo@x.se" alt="a">`, `<p>Hej</p><img src="/pic/1" alt="a">`},
		{"scheme and id in any case", `<IMG SRC="CID:Logo@X.se">`, `<img src="/pic/1">`},
		{"percent-encoded id (RFC 2392)", `<img src="cid:logo%40x.se">`, `<img src="/pic/1">`},
		{"id in angle brackets", `<img src="cid:&lt;logo@x.se&gt;">`, `<img src="/pic/1">`},
		{"unknown id loses its src", `<img src="cid:other@x.se" alt="b">`, `<img alt="b">`},
		{"other images and text untouched", `<img src="https://x.se/a.png"> cid:logo@x.se <a href="https://x.se">l</a>`,
			`<img src="https://x.se/a.png"> cid:logo@x.se <a href="https://x.se">l</a>`},
		{"no cid at all is returned as is", `<p>a &amp; b</p>`, `<p>a &amp; b</p>`},
		{"attribute values stay escaped", `<img alt="&quot;x&quot;" src="cid:logo@x.se">`, `<img alt="&#34;x&#34;" src="/pic/1">`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := rewriteCIDs(tc.in, resolve); got != tc.want {
				t.Errorf("rewriteCIDs(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestIsInlineImage(t *testing.T) {
	for ct, want := range map[string]bool{
		"image/png": true, "IMAGE/JPEG; name=a.jpg": true, "image/webp": true, "image/gif": true,
		"image/svg+xml": false, "text/html": false, "application/pdf": false, "": false,
	} {
		if got := IsInlineImage(ct); got != want {
			t.Errorf("IsInlineImage(%q) = %v, want %v", ct, got, want)
		}
	}
}
