package mailin

import (
	"regexp"
	"strings"
)

var (
	// quoteSeparator matches the line mail clients put above quoted or forwarded history.
	quoteSeparator = regexp.MustCompile(`(?i)^\s*-{2,}\s*(original message|ursprungligt meddelande|` +
		`originalmeddelande|forwarded message|vidarebefordrat meddelande|ursprüngliche nachricht)\s*-{2,}`)
	// quoteAttribution matches Gmail/Apple style attributions: "On <date>, <name> wrote:" and
	// "Den <date> skrev <name>:".
	quoteAttribution = regexp.MustCompile(`(?i)^\s*(on\b.{0,200}\bwrote|den\b.{0,200}\bskrev\b.{0,200}|.{0,200}\bskrev)\s*:\s*$`)
	// quoteHeaderFrom and quoteHeaderSent match the header block Outlook writes above quoted history.
	quoteHeaderFrom = regexp.MustCompile(`(?i)^\s*\*?(from|från|von)\s*:\*?\s+\S`)
	quoteHeaderSent = regexp.MustCompile(`(?i)^\s*\*?(sent|skickat|date|datum|gesendet)\s*:\*?\s+\S`)
)

// StripQuoted returns the part of a plain-text mail body its sender wrote: everything before the first
// quoted-history marker (an Outlook header block, "-----Original Message-----", "On … wrote:", "Den …
// skrev …:"), without lines quoted with ">".
func StripQuoted(text string) string {
	lines := strings.Split(text, "\n")
	var kept []string
	for i, line := range lines {
		// Each regexp runs only on lines that can match it: a separator has "--",
		// an attribution ends with ":" (quoteAttribution's `\s*:\s*$`; RE2's \s is
		// [\t\n\f\r ]), an Outlook header line has a ":". Most lines have none of
		// these, and the regexps were most of intake's quote stripping.
		colon := strings.IndexByte(line, ':') >= 0
		if strings.Contains(line, "--") && quoteSeparator.MatchString(line) {
			break
		}
		if colon && strings.HasSuffix(strings.TrimRight(line, "\t\n\f\r "), ":") && quoteAttribution.MatchString(line) {
			break
		}
		// Gmail wraps a long attribution over two lines.
		if i+1 < len(lines) && strings.HasSuffix(strings.TrimSpace(lines[i+1]), "wrote:") &&
			strings.HasPrefix(strings.TrimSpace(strings.ToLower(line)), "on ") {
			break
		}
		if colon && quoteHeaderFrom.MatchString(line) && sentWithin(lines[i+1:], 4) {
			break
		}
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), ">") {
			continue
		}
		kept = append(kept, line)
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

func sentWithin(lines []string, n int) bool {
	for i := 0; i < n && i < len(lines); i++ {
		if quoteHeaderSent.MatchString(lines[i]) {
			return true
		}
	}
	return false
}
