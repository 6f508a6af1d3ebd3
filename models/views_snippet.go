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
	if len(terms) == 0 || n <= 0 {
		return "", false
	}
	// maybe[c] reports whether a word starting with the byte c can match
	// a term: an ASCII letter folds to itself in lower case, so most words
	// are turned down on their first byte; a word can start with any
	// multi-byte rune (0xC0 on), never with a continuation byte.
	var maybe [256]bool
	for c := 0xC0; c < len(maybe); c++ {
		maybe[c] = true
	}
	for _, t := range terms {
		if c := t[0]; c < utf8.RuneSelf {
			maybe[c] = true
			if 'a' <= c && c <= 'z' {
				maybe[c-('a'-'A')] = true
			}
		} else {
			maybe[c] = true
		}
	}
	hit := func(start, end int) bool {
		if !maybe[text[start]] {
			return false
		}
		for _, t := range terms {
			if foldedHasPrefix(text[start:end], t) {
				return true
			}
		}
		return false
	}
	// The first match: only the bytes that can start one are looked at
	// (a body holds a whole conversation; a search cuts up to 50).
	for i := 0; i < len(text); i++ {
		if !maybe[text[i]] {
			continue
		}
		if i > 0 { // inside a word?
			if c := text[i-1]; c < utf8.RuneSelf {
				if asciiWordByte[c] {
					continue
				}
			} else if r, _ := utf8.DecodeLastRuneInString(text[:i]); !notTokenRune(r) {
				continue
			}
		}
		start, end := nextWord(text, i)
		switch {
		case start < 0:
			return "", false
		case start > i: // text[i] starts a separator: look on from the next word
			i = start - 1
		case hit(start, end):
			return snippetAround(text, start, end, hit, n), true
		default:
			i = end - 1
		}
	}
	return "", false
}

// cutSnippet is makeSnippet with the matching words chosen by hit, called
// with the byte range of words of text (on PostgreSQL, the words
// ts_headline marked: markedSnippet).
func cutSnippet(text string, hit func(start, end int) bool, n int) (string, bool) {
	if n <= 0 {
		return "", false
	}
	for pos := 0; ; {
		start, end := nextWord(text, pos)
		if start < 0 {
			return "", false
		}
		if hit(start, end) {
			return snippetAround(text, start, end, hit, n), true
		}
		pos = end
	}
}

// snippetAround cuts the snippet of text whose first match is the word
// text[start:end]: n words (fewer in a shorter text) from n/3 words before
// the match, or the text's last n words when it ends sooner; hit tells the
// other matches.
func snippetAround(text string, start, end int, hit func(start, end int) bool, n int) string {
	type word struct{ start, end int }
	var buf [2*snippetWords + 2]word
	var words []word
	if 2*n+2 <= len(buf) {
		words = buf[:0]
	} else {
		words = make([]word, 0, 2*n+2)
	}
	// Up to n words before the match, read backwards: the snippet shows
	// at most n of them, and it starts with "…" whenever it leaves one
	// out (with n before the match, it always does).
	for pos := start; len(words) < n; {
		s, e := prevWord(text, pos)
		if s < 0 {
			break
		}
		words = append(words, word{s, e})
		pos = s
	}
	first := len(words)
	for i, j := 0, first-1; i < j; i, j = i+1, j-1 {
		words[i], words[j] = words[j], words[i]
	}
	words = append(words, word{start, end})
	// The words after the match that the snippet may show, and one more
	// to know that text follows.
	from := max(0, first-n/3)
	for pos := end; len(words) < from+n+1; {
		s, e := nextWord(text, pos)
		if s < 0 {
			break
		}
		words = append(words, word{s, e})
		pos = e
	}
	to := min(len(words), from+n)
	from = max(0, min(from, to-n))
	var b strings.Builder
	b.Grow(words[to-1].end - words[from].start + 64)
	if from > 0 {
		b.WriteString("…")
	}
	pos := words[from].start
	for k := from; k < to; k++ {
		w := words[k]
		writeCollapsed(&b, text[pos:w.start])
		if k == first || k > first && hit(w.start, w.end) {
			b.WriteString(SnippetStart)
			b.WriteString(text[w.start:w.end])
			b.WriteString(SnippetEnd)
		} else {
			b.WriteString(text[w.start:w.end])
		}
		pos = w.end
	}
	if to < len(words) {
		b.WriteString("…")
	} else {
		writeCollapsed(&b, text[pos:])
	}
	return strings.TrimSpace(b.String())
}

// nextWord returns the byte range of the first word of text at or after
// byte i, as unicode61 splits words: runs of letters and digits (the bytes
// of invalid UTF-8 separate words). start is -1 when there is none.
func nextWord(text string, i int) (start, end int) {
	for i < len(text) { // separators
		c := text[i]
		if c < utf8.RuneSelf {
			if asciiWordByte[c] {
				break
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if !notTokenRune(r) {
			break
		}
		i += size
	}
	if i == len(text) {
		return -1, -1
	}
	for start = i; i < len(text); { // the word
		c := text[i]
		if c < utf8.RuneSelf {
			if !asciiWordByte[c] {
				return start, i
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:])
		if notTokenRune(r) {
			return start, i
		}
		i += size
	}
	return start, len(text)
}

// prevWord returns the byte range of the last word of text ending at or
// before byte i, read backwards as nextWord reads forwards (a rune is
// decoded alike in both directions, invalid bytes one by one). start is -1
// when there is none.
func prevWord(text string, i int) (start, end int) {
	for i > 0 { // separators
		c := text[i-1]
		if c < utf8.RuneSelf {
			if asciiWordByte[c] {
				break
			}
			i--
			continue
		}
		r, size := utf8.DecodeLastRuneInString(text[:i])
		if !notTokenRune(r) {
			break
		}
		i -= size
	}
	if i == 0 {
		return -1, -1
	}
	for end = i; i > 0; { // the word
		c := text[i-1]
		if c < utf8.RuneSelf {
			if !asciiWordByte[c] {
				return i, end
			}
			i--
			continue
		}
		r, size := utf8.DecodeLastRuneInString(text[:i])
		if notTokenRune(r) {
			return i, end
		}
		i -= size
	}
	return 0, end
}

// asciiWordByte marks the ASCII letters and digits.
var asciiWordByte = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = !notTokenRune(rune(c))
	}
	return t
}()

// writeCollapsed writes s to b with every run of white space (line breaks
// too) as one space, so that a snippet reads as one line.
func writeCollapsed(b *strings.Builder, s string) {
	if s == " " {
		b.WriteByte(' ')
		return
	}
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
}
