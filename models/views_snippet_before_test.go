package models

// cutSnippetBefore is cutSnippet and collapseSpace as they were before the
// single-pass rewrite, kept as the reference of TestCutSnippetAsBefore.

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// cutSnippetBefore cut the snippet around the first word hit chooses, called
// with the byte range of words of text (on PostgreSQL, the words
// ts_headline marked: markedSnippet).
func cutSnippetBefore(text string, hit func(start, end int) bool, n int) (string, bool) {
	type word struct {
		start, end int
		hit        bool
	}
	isHit := func(w word) bool { return hit(w.start, w.end) }
	// Cut words up to the first match and then only as many as the
	// snippet shows, and one more to know that text follows: a body holds
	// a whole conversation, a snippet a dozen words of it. Before the
	// first match only the last n words can be shown, so older ones are
	// dropped (dropped: text before the snippet was left out).
	words := make([]word, 0, 4*n)
	first, need, dropped := -1, 0, false
	add := func(start, end int) (more bool) {
		if first < 0 && len(words) == cap(words) {
			words = words[:copy(words, words[len(words)-n:])]
			dropped = true
		}
		words = append(words, word{start: start, end: end})
		if first < 0 {
			if isHit(words[len(words)-1]) {
				first = len(words) - 1
				need = max(0, first-n/3) + n + 1
			}
			return true
		}
		return len(words) < need
	}
	// Bytes, not runes, while the text is ASCII: the loop reads up to
	// the first match of 50 bodies for every search.
	start := -1
	for i := 0; i < len(text); {
		c, size := text[i], 1
		var sep bool
		if c < utf8.RuneSelf {
			lower := c | 0x20
			sep = !('a' <= lower && lower <= 'z' || '0' <= c && c <= '9')
		} else {
			var r rune
			r, size = utf8.DecodeRuneInString(text[i:])
			sep = notTokenRune(r)
		}
		if !sep {
			if start < 0 {
				start = i
			}
			i += size
			continue
		}
		if start >= 0 {
			more := add(start, i)
			start = -1
			if !more {
				break
			}
		}
		i += size
	}
	if start >= 0 {
		add(start, len(text))
	}
	if first < 0 {
		return "", false
	}
	from := max(0, first-n/3)
	to := min(len(words), from+n)
	from = max(0, min(from, to-n))
	for i := from; i < to; i++ {
		words[i].hit = i == first || i > first && isHit(words[i])
	}
	var b strings.Builder
	if from > 0 || dropped {
		b.WriteString("…")
	}
	pos := words[from].start
	for _, w := range words[from:to] {
		b.WriteString(collapseSpaceBefore(text[pos:w.start]))
		if w.hit {
			b.WriteString(SnippetStart + text[w.start:w.end] + SnippetEnd)
		} else {
			b.WriteString(text[w.start:w.end])
		}
		pos = w.end
	}
	if to < len(words) {
		b.WriteString("…")
	} else {
		b.WriteString(collapseSpaceBefore(text[pos:]))
	}
	return strings.TrimSpace(b.String()), true
}

// collapseSpaceBefore turned every run of white space (line breaks too) in s into
// one space, so that a snippet reads as one line.
func collapseSpaceBefore(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
			}
			space = true
			continue
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// TestCutSnippetAsBefore: the single-pass cutSnippet cuts exactly the
// snippets the earlier one did, on random texts of words, white space,
// punctuation, diacritics, combining marks and invalid UTF-8, for window
// sizes around snippetWords and two kinds of hit (words starting with a
// search term, case folded; marked words as markedSnippet chooses them).
func TestCutSnippetAsBefore(t *testing.T) {
	words := []string{"skärmen", "Skärm", "SKÄRMAR", "skarm", "fläkten", "Ärendet", "arende", "keyboard", "KEYB", "Key",
		"e\u0301cole", "Łódź", "straße", "日本語", "abc123", "42", "x", "Ωμέγα", "İstanbul", "naïve", "ǅemal"}
	seps := []string{" ", " ", " ", "  ", "\n", "\r\n\r\n", "\t", ", ", ". ", "!", "-", "@", "\u00a0", "\u2003", "\xff", "\xc3",
		"\xe2\x82", "<script>", "…", "😀", "\u0301", " — ", "_", "'", ""}
	rng := rand.New(rand.NewPCG(5, 9))
	pick := func(l []string) string { return l[rng.IntN(len(l))] }
	for i := range 20000 {
		var b strings.Builder
		for range rng.IntN(80) {
			b.WriteString(pick(seps))
			b.WriteString(pick(words))
		}
		if rng.IntN(2) == 0 {
			b.WriteString(pick(seps))
		}
		text := b.String()
		n := []int{1, 2, 3, 5, snippetWords, snippetWords + 1, 20}[rng.IntN(7)]
		var terms []string
		for range 1 + rng.IntN(2) {
			w := []rune(strings.ToLower(pick(words)))
			terms = append(terms, string(w[:1+rng.IntN(len(w))]))
		}
		marked := map[string]bool{pick(words): true, pick(words): true}
		hits := map[string]func(string) func(int, int) bool{
			"terms": func(text string) func(int, int) bool {
				return func(start, end int) bool {
					for _, term := range terms {
						if strings.HasPrefix(strings.ToLower(text[start:end]), term) {
							return true
						}
					}
					return false
				}
			},
			"marked": func(text string) func(int, int) bool {
				return func(start, end int) bool { return marked[text[start:end]] }
			},
		}
		for kind, hit := range hits {
			want, wantOK := cutSnippetBefore(text, hit(text), n)
			got, gotOK := cutSnippet(text, hit(text), n)
			if got != want || gotOK != wantOK {
				t.Fatalf("case %d (%s, n=%d, terms %q, marked %v), text %q:\ngot  %q %v\nwant %q %v", i, kind, n, terms, marked, text, got, gotOK, want, wantOK)
			}
		}
	}
}
