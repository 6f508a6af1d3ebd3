package models

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// snippetWords is about how many words a search snippet shows.
const snippetWords = 14

// notTokenRune reports whether r separates words for unicode61: anything
// but letters and digits.
func notTokenRune(r rune) bool {
	if r < utf8.RuneSelf {
		return !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9')
	}
	return !unicode.IsLetter(r) && !unicode.IsNumber(r)
}

// cutSnippet cuts the snippet of n words around the first word of text
// that hit chooses (called with the byte range of each word), as
// wd_snippet does on SQLite (fts5snippet.c): on PostgreSQL the words
// ts_headline marked (markedSnippet). false when hit chooses none.
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
	var buf [2*snippetWords + 2]snippetWord
	var words []snippetWord
	if 2*n+2 <= len(buf) {
		words = buf[:0]
	} else {
		words = make([]snippetWord, 0, 2*n+2)
	}
	// Up to n words before the match, read backwards: the snippet shows
	// at most n of them, and it starts with "…" whenever it leaves one
	// out (with n before the match, it always does).
	for pos := start; len(words) < n; {
		s, e := prevWord(text, pos)
		if s < 0 {
			break
		}
		words = append(words, snippetWord{s, e})
		pos = s
	}
	first := len(words)
	for i, j := 0, first-1; i < j; i, j = i+1, j-1 {
		words[i], words[j] = words[j], words[i]
	}
	words = append(words, snippetWord{start, end})
	// The words after the match that the snippet may show, and one more
	// to know that text follows.
	from := max(0, first-n/3)
	for pos := end; len(words) < from+n+1; {
		s, e := nextWord(text, pos)
		if s < 0 {
			break
		}
		words = append(words, snippetWord{s, e})
		pos = e
	}
	to := min(len(words), from+n)
	from = max(0, min(from, to-n))
	return formatSnippet(text, words[from:to], from > 0, to < len(words), func(k int) bool {
		w := words[from+k]
		return from+k == first || from+k > first && hit(w.start, w.end)
	})
}

// snippetWord is the byte range of a word of a snippet's text.
type snippetWord struct{ start, end int }

// formatSnippet writes the words of text (in order, at least one) as a
// snippet: on one line, the marked ones between SnippetStart and
// SnippetEnd, "…" first when words before them were left out and last
// when words after them were (otherwise the rest of text follows: it has
// no word). The text stays raw: the web layer escapes it.
func formatSnippet(text string, words []snippetWord, lead, trail bool, marked func(k int) bool) string {
	var b strings.Builder
	b.Grow(words[len(words)-1].end - words[0].start + 64)
	if lead {
		b.WriteString("…")
	}
	pos := words[0].start
	for k, w := range words {
		writeCollapsed(&b, text[pos:w.start])
		if marked(k) {
			b.WriteString(SnippetStart)
			b.WriteString(text[w.start:w.end])
			b.WriteString(SnippetEnd)
		} else {
			b.WriteString(text[w.start:w.end])
		}
		pos = w.end
	}
	if trail {
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
