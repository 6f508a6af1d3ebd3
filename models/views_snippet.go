package models

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// snippetWords is about how many words a search snippet shows.
const snippetWords = 14

// searchTerms are the words of a search as the index compares them: folded
// like the unicode61 tokenizer with remove_diacritics (lower case, accents
// dropped), each matching as a prefix (FTSQuery).
func searchTerms(q string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(q, notTokenRune) {
		if w = foldWord(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

// notTokenRune reports whether r separates words for unicode61: anything
// but letters and digits.
func notTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}
	return !unicode.IsLetter(r) && !unicode.IsNumber(r)
}

// foldedHasPrefix reports whether foldWord(w) starts with prefix, folding
// only as much of w as it needs and without allocating.
func foldedHasPrefix(w, prefix string) bool {
	for _, r := range w {
		if prefix == "" {
			return true
		}
		if r < utf8.RuneSelf {
			c := byte(r)
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if prefix[0] != c {
				return false
			}
			prefix = prefix[1:]
			continue
		}
		var f string
		if r < rune(len(foldTable)) {
			f = foldTable[r]
		} else {
			f = foldRune(r)
		}
		if len(f) >= len(prefix) {
			return strings.HasPrefix(f, prefix)
		}
		if prefix[:len(f)] != f {
			return false
		}
		prefix = prefix[len(f):]
	}
	return prefix == ""
}

// foldWord lower-cases w and drops its diacritics ("Skärmen" → "skarmen").
// A snippet folds every word of up to 50 bodies, so the common cases are
// cheap: a lower-case ASCII word is returned as it is, other ASCII words
// are lower-cased, and letters up to U+024F come from a table (foldTable)
// built with the general rule below.
func foldWord(w string) string {
	upper := false
	for i := 0; i < len(w); i++ {
		c := w[i]
		if c >= utf8.RuneSelf {
			return foldRunes(w)
		}
		upper = upper || 'A' <= c && c <= 'Z'
	}
	if upper {
		return strings.ToLower(w)
	}
	return w
}

// foldRunes folds w rune by rune. Folding a word is the same as folding
// each of its runes: NFD only splits runes (and reorders the combining
// marks it then drops).
func foldRunes(w string) string {
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range w {
		if r < rune(len(foldTable)) {
			b.WriteString(foldTable[r])
		} else {
			b.WriteString(foldRune(r))
		}
	}
	return b.String()
}

// foldRune is the general rule: lower case, canonical decomposition, every
// combining mark (Mn) dropped.
func foldRune(r rune) string {
	var b strings.Builder
	for _, d := range norm.NFD.String(string(unicode.ToLower(r))) {
		if !unicode.Is(unicode.Mn, d) {
			b.WriteRune(d)
		}
	}
	return b.String()
}

// foldTable holds foldRune of every rune below U+0250 (Latin, Latin-1 and
// Latin Extended A and B).
var foldTable = func() []string {
	t := make([]string, 0x250)
	for r := range t {
		t[r] = foldRune(rune(r))
	}
	return t
}()

// makeSnippet cuts about n words of text around the first word matching a
// term (as a prefix), wrapping every matching word in SnippetStart and
// SnippetEnd, with "…" where text was left out. The text stays raw: the web
// layer escapes it. false when no word matches.
func makeSnippet(text string, terms []string, n int) (string, bool) {
	if len(terms) == 0 {
		return "", false
	}
	type word struct {
		start, end int
		hit        bool
	}
	// firstByte[c] reports whether a word starting with the ASCII byte c
	// can match a term: an ASCII letter folds to itself in lower case, so
	// most words are turned down on their first byte.
	var firstByte [utf8.RuneSelf]bool
	for _, t := range terms {
		if c := t[0]; c < utf8.RuneSelf {
			firstByte[c] = true
			if 'a' <= c && c <= 'z' {
				firstByte[c-('a'-'A')] = true
			}
		}
	}
	isHit := func(w word) bool {
		if c := text[w.start]; c < utf8.RuneSelf && !firstByte[c] {
			return false
		}
		for _, t := range terms {
			if foldedHasPrefix(text[w.start:w.end], t) {
				return true
			}
		}
		return false
	}
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
		b.WriteString(collapseSpace(text[pos:w.start]))
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
		b.WriteString(collapseSpace(text[pos:]))
	}
	return strings.TrimSpace(b.String()), true
}

// collapseSpace turns every run of white space (line breaks too) in s into
// one space, so that a snippet reads as one line.
func collapseSpace(s string) string {
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
