package mailin

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// stripQuotedByRegexps is StripQuoted as it was before the cheap per-line
// checks: every regexp on every line. The test below holds the two equal.
func stripQuotedByRegexps(text string) string {
	lines := strings.Split(text, "\n")
	var kept []string
	for i, line := range lines {
		if quoteSeparator.MatchString(line) || quoteAttribution.MatchString(line) {
			break
		}
		if i+1 < len(lines) && strings.HasPrefix(strings.TrimSpace(strings.ToLower(line)), "on ") &&
			strings.HasSuffix(strings.TrimSpace(lines[i+1]), "wrote:") {
			break
		}
		if quoteHeaderFrom.MatchString(line) && sentWithin(lines[i+1:], 4) {
			break
		}
		if strings.HasPrefix(strings.TrimLeft(line, " \t"), ">") {
			continue
		}
		kept = append(kept, line)
	}
	return strings.TrimSpace(strings.Join(kept, "\n"))
}

// TestStripQuotedPrefilterKeepsBehaviour builds many bodies from lines near
// every marker (separators, attributions with trailing spaces, tabs and
// CR, Outlook header blocks, quoted lines, near misses) and checks that
// StripQuoted answers exactly as running every regexp on every line does.
func TestStripQuotedPrefilterKeepsBehaviour(t *testing.T) {
	pieces := []string{
		"Hej, skärmen på min dator är trasig.", "Serienr: PF3ABCDE", "Mvh Anna", "", "  ",
		"-----Original Message-----", "-- ursprungligt meddelande --", "- Original Message -",
		"---------- Forwarded message ---------", "--", "-- \r", "Anna --",
		"On Tue, 24 Nov 2026 at 09:12, Bo <bo@x.se> wrote:", "On Tue, 24 Nov 2026, Bo wrote: \t\r",
		"On Tue, 24 Nov 2026 at 09:12, Bo Berg <bo@example.se>", "wrote:", "  wrote:  ",
		"Den tis 24 nov. 2026 kl. 09:12 skrev Bo Berg <bo@x.se>:", "Bo skrev:", "Bo skrev: hej",
		"skrev:\f", "Från: Bo Berg", "From: Bo <bo@x.se>", "*From:* Bo", "Von: X", "Från:", "from:x",
		"Skickat: den 24 november 2026 09:12", "Sent: Tuesday", "Date: 2026-11-24", "Datum: idag",
		"Till: helpdesk", "Ämne: Skärm", "> citerad rad", "   > indragen", ">", "Tid: 09:12",
		"Frågan: varför?", "ON ", "on the way:", "DEN 24 SKREV BO:", "wrote:\r",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := 0; n < 20000; n++ {
		k := 1 + rng.IntN(12)
		lines := make([]string, k)
		for i := range lines {
			lines[i] = pieces[rng.IntN(len(pieces))]
		}
		body := strings.Join(lines, "\n")
		if got, want := StripQuoted(body), stripQuotedByRegexps(body); got != want {
			t.Fatalf("StripQuoted(%q)\n got %q\nwant %q", body, got, want)
		}
	}
}
