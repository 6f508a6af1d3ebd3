package reports

import (
	"math"
	"slices"
	"strings"
)

// Median returns the middle of values (the mean of the two middle ones for
// an even count); ok is false when values is empty.
func Median(values []float64) (m float64, ok bool) {
	if len(values) == 0 {
		return 0, false
	}
	s := slices.Clone(values)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2], true
	}
	return (s[n/2-1] + s[n/2]) / 2, true
}

// Percentile returns the p-th percentile of values by the nearest-rank
// method: the smallest value that at least p % of the values do not exceed
// (for 10 values the 90th percentile is the 9th smallest). ok is false when
// values is empty.
func Percentile(values []float64, p float64) (v float64, ok bool) {
	if len(values) == 0 {
		return 0, false
	}
	s := slices.Clone(values)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	rank = min(max(rank, 1), len(s))
	return s[rank-1], true
}

// rate is part per 100 of whole; 0 when whole is 0.
func rate(part, whole int) float64 {
	if whole == 0 {
		return 0
	}
	return float64(part) * 100 / float64(whole)
}

// Components a hardware fault can be about, in the order the report lists
// them. Each has a catalog key "reports.component.<name>".
const (
	CompScreen   = "screen"
	CompBattery  = "battery"
	CompKeyboard = "keyboard"
	CompCharger  = "charger"
	CompFan      = "fan"
	CompTouchpad = "touchpad"
	CompHinge    = "hinge"
	CompPort     = "port"
	CompDisk     = "disk"
	CompOther    = "other"
)

// ComponentNames lists the components in report order.
var ComponentNames = []string{CompScreen, CompBattery, CompKeyboard, CompCharger, CompFan, CompTouchpad,
	CompHinge, CompPort, CompDisk, CompOther}

// componentWords maps the intake classifier's hardware keywords (as written,
// lower case: see mailin.ClassifyFault and Ticket.FaultMatches) to the part
// they name. A matched word belongs to the first component one of whose
// stems it contains; Swedish compounds ("mellanslagstangenten",
// "laptopbatteriet") thereby count for their head. The charger is tried
// before the battery ("laddar inte" is about charging) and the ports before
// the screen ("displayport").
var componentWords = []struct {
	name  string
	stems []string
}{
	{CompCharger, []string{"laddare", "laddsladd", "laddkabel", "charger", "laddar inte", "laddas inte",
		"not charging", "won't charge", "doesn't charge", "laddning"}},
	{CompTouchpad, []string{"touchpad", "trackpad", "pekplatt", "styrplatt", "musplatt"}},
	{CompPort, []string{"usb", "hdmi", "displayport", "uttag", "glapp", "port", "loose"}},
	{CompScreen, []string{"skärm", "skarm", "display", "screen", "monitor", "flimr", "flicker", "glaset"}},
	{CompBattery, []string{"batteri", "battery", "batteries", "svullen", "svullet", "swollen", "bulging"}},
	{CompKeyboard, []string{"tangent", "keyboard", "knapp", "key"}},
	{CompFan, []string{"fläkt", "flakt", "fan", "överhett", "overhett", "overheat"}},
	{CompHinge, []string{"gångjärn", "gangjarn", "hinge", "locket", "lid"}},
	{CompDisk, []string{"hårddisk", "harddisk", "disk", "ssd", "hard drive"}},
}

// Components returns the parts a hardware ticket's FaultMatches name, each
// once, in report order; CompOther when none is named.
func Components(faultMatches string) []string {
	found := map[string]bool{}
	for _, word := range strings.Split(strings.ToLower(faultMatches), ",") {
		word = strings.TrimSpace(word)
		if word == "" {
			continue
		}
		for _, c := range componentWords {
			if slices.ContainsFunc(c.stems, func(stem string) bool { return strings.Contains(word, stem) }) {
				found[c.name] = true
				break
			}
		}
	}
	var out []string
	for _, name := range ComponentNames {
		if found[name] {
			out = append(out, name)
		}
	}
	if len(out) == 0 {
		out = []string{CompOther}
	}
	return out
}
