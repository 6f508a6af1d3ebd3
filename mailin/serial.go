package mailin

import (
	"regexp"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// NormalizeSerial returns the canonical form of a serial number or asset tag: upper-case, without
// spaces, dashes or dots, so "pf-2abc12" and "PF2 ABC12" are the same asset.
func NormalizeSerial(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case unicode.IsSpace(r), r == '-', r == '.', r == '\u2010', r == '\u2011', r == '\u2013':
			return -1
		}
		return unicode.ToUpper(r)
	}, s)
}

var (
	// serialLabel matches the words people write before a serial number or asset tag, Swedish and
	// English. The value after it is read by labelledValue.
	serialLabel = regexp.MustCompile(`(?i)(?:^|[^\p{L}\p{N}])(s/n|sn|serial(?:\s*(?:number|no\.?|nr\.?|#))?|` +
		`serie-?(?:nr\.?|nummer|numret|nummret)|service\s*-?tag(?:g|gen)?|servicetagg(?:en)?|` +
		`asset\s*-?tag|inventarie-?(?:nummer|numret|nr\.?)|tillgångsnummer)(?:\s+(?:är|is)\s+|\s*[:#=]\s*|\s+)`)
	// unlabelledToken matches upper-case tokens that may be vendor serials written without a label,
	// allowing one dash or space group inside ("PF-2ABC12").
	unlabelledToken = regexp.MustCompile(`\b[A-Z0-9]{2,10}(?:[- ][A-Z0-9]{2,8})?\b`)

	lenovoSerial = regexp.MustCompile(`^(?:PF|PC|MP|R9|LR|PG|PW|PZ|PB|PK|MJ|R8|S1)[A-Z0-9]{6}$`)
	hpSerial     = regexp.MustCompile(`^(?:[0-9][A-Z]{2}|[A-Z]{3})[0-9]{4}[A-Z0-9]{3}$`)
	dellTag      = regexp.MustCompile(`^[0-9A-Z]{7}$`)
	serialToken  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9.-]*$`)
	nonSpace     = regexp.MustCompile(`\S+`)
	productCode  = regexp.MustCompile(`^[A-Z]{2,4}[0-9]{3,5}$`)
)

// isVendorSerial reports whether a normalised candidate has the shape of a Lenovo (8 characters, known
// prefix), HP (10 characters, site code + year/week) or Dell service tag (7 characters).
func isVendorSerial(s string) bool {
	if !hasLetterAndDigit(s) {
		return false
	}
	switch len(s) {
	case 8:
		return lenovoSerial.MatchString(s)
	case 10:
		return hpSerial.MatchString(s)
	case 7:
		return dellTag.MatchString(s) && countDigits(s) >= 2 && len(s)-countDigits(s) >= 2
	}
	return false
}

// isUnlabelledDellTag is stricter than isVendorSerial for 7-character tokens found without a label, where
// product codes ("LCD1830", "ISO9660") abound: service tags use no vowels, end in a digit, and are not a
// block of letters followed by a block of digits.
func isUnlabelledDellTag(s string) bool {
	return len(s) == 7 && isVendorSerial(s) && !strings.ContainsAny(s, "AEIOU") &&
		s[6] >= '0' && s[6] <= '9' && !productCode.MatchString(s)
}

func hasLetterAndDigit(s string) bool {
	digits := countDigits(s)
	return digits > 0 && digits < len(s)
}

func countDigits(s string) int {
	n := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			n++
		}
	}
	return n
}

// FindSerials returns the serial number and asset tag candidates in text, normalised with
// NormalizeSerial, deduplicated, in the order they appear. A value after a label ("S/N:",
// "Serienummer", "servicetagg", "asset tag" …) needs a letter and a digit (an asset-tag label also
// accepts digits only); an unlabelled token must be written in capitals and match a Lenovo, HP or Dell
// format. assetTag, when non-nil, adds every match of the organisation's asset-tag format.
func FindSerials(text string, assetTag *regexp.Regexp) []string {
	type found struct {
		pos   int
		value string
	}
	var all []found
	var labelled [][2]int // text spans already read as labelled values
	for _, m := range serialLabel.FindAllStringSubmatchIndex(text, -1) {
		label := strings.ToLower(text[m[2]:m[3]])
		assetLabel := strings.Contains(label, "asset") || strings.Contains(label, "inventarie") ||
			strings.Contains(label, "tillgång")
		if v, used := labelledValue(text[m[1]:], assetLabel); v != "" {
			all = append(all, found{m[1], v})
			labelled = append(labelled, [2]int{m[1], m[1] + used})
		}
	}
	for _, m := range unlabelledToken.FindAllStringIndex(text, -1) {
		if slices.ContainsFunc(labelled, func(span [2]int) bool { return m[0] < span[1] && m[1] > span[0] }) {
			continue
		}
		if v := NormalizeSerial(text[m[0]:m[1]]); len(v) == 7 && isUnlabelledDellTag(v) || len(v) != 7 && isVendorSerial(v) {
			all = append(all, found{m[0], v})
		}
	}
	if assetTag != nil {
		for _, m := range assetTag.FindAllStringIndex(text, -1) {
			if v := NormalizeSerial(text[m[0]:m[1]]); v != "" {
				all = append(all, found{m[0], v})
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].pos < all[j].pos })
	out := []string{}
	seen := map[string]bool{}
	for _, f := range all {
		if !seen[f.value] {
			seen[f.value] = true
			out = append(out, f.value)
		}
	}
	return out
}

// labelledValue reads the serial written right after a label and returns it with the number of bytes of
// rest it used. People split serials with spaces ("5CG 1234 ABC"), so following tokens are joined while
// they look like serial fragments (capitals or digits) or complete a vendor format; prose words end it.
func labelledValue(rest string, assetLabel bool) (string, int) {
	if nl := strings.IndexByte(rest, '\n'); nl >= 0 {
		rest = rest[:nl]
	}
	var joined, best string
	used := 0
	for i, span := range nonSpace.FindAllStringIndex(rest, 4) {
		tok := strings.TrimRight(rest[span[0]:span[1]], ",.;:)!?")
		if tok == "" || !serialToken.MatchString(tok) {
			break
		}
		if i > 0 {
			extended := isVendorSerial(NormalizeSerial(joined + tok))
			if isVendorSerial(best) && !extended || !looksLikeFragment(tok) && !extended {
				break
			}
		}
		joined += tok
		n := NormalizeSerial(joined)
		if len(n) > 20 {
			break
		}
		best, used = n, span[0]+len(tok)
	}
	switch {
	case len(best) < 4:
		return "", 0
	case hasLetterAndDigit(best), assetLabel && countDigits(best) == len(best):
		return best, used
	}
	return "", 0
}

// looksLikeFragment reports whether a token continuing a labelled serial is plausibly part of it: it has
// a digit or is written in capitals.
func looksLikeFragment(tok string) bool {
	return countDigits(tok) > 0 || strings.ToUpper(tok) == tok
}
