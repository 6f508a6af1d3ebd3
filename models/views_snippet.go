package models

import (
	"strings"
	"unicode"

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
func notTokenRune(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) }

// foldWord lower-cases w and drops its diacritics ("Skärmen" → "skarmen").
func foldWord(w string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(w)) {
		if !unicode.Is(unicode.Mn, r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// makeSnippet cuts about n words of text around the first word matching a
// term (as a prefix), wrapping every matching word in SnippetStart and
// SnippetEnd, with "…" where text was left out. The text stays raw: the web
// layer escapes it. false when no word matches.
func makeSnippet(text string, terms []string, n int) (string, bool) {
	if len(terms) == 0 {
		return "", false
	}
	return cutSnippet(text, func(start, end int) bool {
		folded := foldWord(text[start:end])
		for _, t := range terms {
			if strings.HasPrefix(folded, t) {
				return true
			}
		}
		return false
	}, n)
}

// cutSnippet is makeSnippet with the matching words chosen by hit, called
// with the byte range of every word of text.
func cutSnippet(text string, hit func(start, end int) bool, n int) (string, bool) {
	type word struct {
		start, end int
		hit        bool
	}
	var words []word
	first := -1
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		h := hit(start, end)
		if h && first < 0 {
			first = len(words)
		}
		words = append(words, word{start, end, h})
		start = -1
	}
	for i, r := range text {
		if notTokenRune(r) {
			flush(i)
		} else if start < 0 {
			start = i
		}
	}
	flush(len(text))
	if first < 0 {
		return "", false
	}
	from := max(0, first-n/3)
	to := min(len(words), from+n)
	from = max(0, min(from, to-n))
	var b strings.Builder
	if from > 0 {
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
