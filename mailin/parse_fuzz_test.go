package mailin

import (
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzParse checks that no input makes Parse and Classify panic or emit invalid UTF-8.
func FuzzParse(f *testing.F) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "*.eml"))
	if err != nil {
		f.Fatal(err)
	}
	for _, path := range seeds {
		raw, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		p, err := Parse(raw)
		if len(raw) == 0 {
			if err == nil {
				t.Fatal("no error for empty input")
			}
			return
		}
		if err != nil {
			t.Fatalf("Parse: %v", err)
		}
		Classify(p, ClassifyOptions{AssetTagPattern: testAssetTag})
		for _, s := range append([]string{p.MessageID, p.From.Name, p.From.Email, p.Subject, p.Text, p.HTML, p.InReplyTo}, p.Problems...) {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8: %q", s)
			}
		}
		for _, a := range p.Attachments {
			if !utf8.ValidString(a.Filename) || a.Filename == "" {
				t.Fatalf("bad attachment name %q", a.Filename)
			}
		}
		for _, list := range [][]Address{p.To, p.Cc, p.ReplyTo} {
			for _, a := range list {
				if !utf8.ValidString(a.Name) || !utf8.ValidString(a.Email) {
					t.Fatalf("invalid UTF-8 address %q %q", a.Name, a.Email)
				}
			}
		}
	})
}
