package mailin

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf8"
)

// corpusDir is the shared real-world mail corpus (see its README.md); the test skips when it is absent.
const corpusDir = "../../shared/mail-corpus"

// corpusMinCorrect is the number of corpus files classified as expected (all but the known misses); the
// test fails if a change drops below it.
const corpusMinCorrect = 203

// corpusKnownMisses are corpus files whose expected class is debatable, each with why we disagree.
var corpusKnownMisses = map[string]string{
	"mikel-mail/multipart_report_emails/report_422.eml": "a delay warning (Action: delayed, 4.2.2): delivery has " +
		"not failed, so it is auto_reply like its twin mime_emails/raw_email_with_mimepart_without_content_type.eml; " +
		"the corpus labels it bounce by its folder",
}

// TestCorpus parses every file in expected.csv and checks that the parse never panics or hangs, that
// every string is valid UTF-8, and that the class matches the corpus's expectation.
func TestCorpus(t *testing.T) {
	f, err := os.Open(filepath.Join(corpusDir, "expected.csv"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skipf("mail corpus not present at %s", corpusDir)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read expected.csv: %v", err)
	}
	total, correct := 0, 0
	for _, row := range rows[1:] {
		file, want := row[0], row[1]
		total++
		t.Run(file, func(t *testing.T) {
			p, err := parseWithTimeout(filepath.Join(corpusDir, file), 10*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			assertValidUTF8(t, p)
			if p.Class == want {
				correct++
				return
			}
			if reason, ok := corpusKnownMisses[file]; ok {
				t.Logf("known miss: class %q, corpus says %q: %s", p.Class, want, reason)
				return
			}
			t.Errorf("class %q (%s), want %q", p.Class, p.ClassReason, want)
		})
	}
	accuracy := float64(correct) / float64(total)
	t.Logf("corpus class accuracy: %d/%d = %.1f%%", correct, total, 100*accuracy)
	if correct < corpusMinCorrect {
		t.Errorf("%d files classified as expected, want at least %d", correct, corpusMinCorrect)
	}
}

// parseWithTimeout runs ParseFile in a goroutine so that a hang fails the test instead of stalling it.
func parseWithTimeout(path string, limit time.Duration) (*Parsed, error) {
	type result struct {
		p   *Parsed
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() {
			if r := recover(); r != nil {
				done <- result{err: fmt.Errorf("panic: %v", r)}
			}
		}()
		p, err := ParseFile(path, ClassifyOptions{})
		done <- result{p, err}
	}()
	select {
	case r := <-done:
		return r.p, r.err
	case <-time.After(limit):
		return nil, fmt.Errorf("parse took longer than %s", limit)
	}
}

// assertValidUTF8 checks every string the JSON output carries.
func assertValidUTF8(t *testing.T, p *Parsed) {
	t.Helper()
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var generic any
	if err := json.Unmarshal(out, &generic); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	walkStrings(generic, func(s string) {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8: %q", s)
		}
	})
	// encoding/json replaces invalid UTF-8 silently, so check the struct directly too.
	for _, s := range append([]string{p.MessageID, p.Subject, p.Text, p.HTML, p.From.Name, p.From.Email}, p.Problems...) {
		if !utf8.ValidString(s) {
			t.Errorf("invalid UTF-8 in field: %q", truncate(s, 100))
		}
	}
	for _, a := range p.Attachments {
		if !utf8.ValidString(a.Filename) || a.Filename == "" {
			t.Errorf("bad attachment name %q", a.Filename)
		}
	}
	for _, list := range [][]Address{p.To, p.Cc, p.ReplyTo} {
		for _, a := range list {
			if !utf8.ValidString(a.Name) || !utf8.ValidString(a.Email) {
				t.Errorf("invalid UTF-8 in address %q <%q>", a.Name, a.Email)
			}
		}
	}
	for key, values := range p.Headers {
		for _, v := range values {
			if !utf8.ValidString(v) {
				t.Errorf("invalid UTF-8 in header %s: %q", key, truncate(v, 100))
			}
		}
	}
}

func walkStrings(v any, fn func(string)) {
	switch v := v.(type) {
	case string:
		fn(v)
	case []any:
		for _, e := range v {
			walkStrings(e, fn)
		}
	case map[string]any:
		for k, e := range v {
			fn(k)
			walkStrings(e, fn)
		}
	}
}
