package mailin

import (
	"sort"
	"strings"
)

// Fault categories; they are the ticket categories.
const (
	FaultHardware = "hardware"
	FaultSoftware = "software"
	FaultAccount  = "account"
	FaultOther    = "other"
)

// faultKeywords lists, per category, Swedish and English keywords. A trailing * makes a stem that
// matches any word starting with it ("skärm*" matches "skärmen"); phrases match whole consecutive words.
var faultKeywords = map[string][]string{
	FaultHardware: {
		"skärm*", "bildskärm*", "display*", "sprucken", "spruckit", "spricka", "sprack", "trasig*", "batteri*",
		"laddar inte", "laddas inte", "laddare*", "laddsladd*", "laddkabel*", "laddport*", "tangentbord*",
		"tangent", "tangenten", "tangenter", "tangenterna", "fläkt*", "startar inte", "går inte att starta",
		"går inte igång", "blåskärm*", "hårddisk*", "disk", "disken", "ssd", "minne", "minnet", "pekplatt*",
		"styrplatt*", "gångjärn*", "kamera*", "webbkamera*", "mikrofon*", "högtalar*", "usb*", "port", "porten",
		"portar", "ström", "strömmen", "strömbrytare*", "dockningsstation*", "moderkort*", "vattenskad*",
		"spillt", "tappade", "tappat", "överhett*",
		"screen*", "monitor*", "cracked", "crack", "broken", "battery", "batteries", "charger*", "not charging",
		"won't charge", "doesn't charge", "keyboard*", "key", "keys", "fan", "fans", "won't boot",
		"doesn't boot", "does not boot", "won't start", "will not start", "does not start", "doesn't start",
		"won't turn on", "doesn't turn on", "does not turn on", "no power", "hinge*", "touchpad*", "trackpad*",
		"hard drive", "hard disk", "memory", "speaker*", "microphone*", "webcam*", "camera*", "overheat*",
		"blue screen", "bsod", "motherboard*", "water damage", "spilled", "dropped", "docking station*",
		"power button", "ports",
	},
	FaultSoftware: {
		"program*", "install*", "uppdater*", "uppgrader*", "windows", "office", "teams", "outlook", "word",
		"excel", "powerpoint", "onedrive", "sharepoint", "app", "appen", "appar", "applikation*", "krasch*",
		"virus*", "drivrutin*", "skrivardrivrutin*", "mjukvar*", "programvar*", "felmeddelande*", "felkod*",
		"licens*", "webbläsare*", "hänger sig", "fryser", "svarar inte", "vpn",
		"software", "update*", "upgrade*", "apps", "application*", "crash*", "malware", "driver*",
		"error message", "error code", "license*", "browser*", "chrome", "firefox", "freezes", "frozen",
		"not responding",
	},
	FaultAccount: {
		"lösenord*", "inloggning*", "logga in", "loggar in", "inloggad", "konto", "kontot", "konton", "låst",
		"låstes", "utelåst", "bankid", "mfa", "tvåfaktor*", "2fa", "authenticator", "åtkomst*", "behörighet*",
		"användarnamn*", "pinkod*", "pin-kod*",
		"password*", "login*", "log in", "log on", "logon", "sign in", "signin", "locked", "locked out",
		"lockout", "account*", "access", "permission*", "username*",
	},
}

// faultExcluded are words a stem would catch that mean something else: a "skärmbild" is a screenshot.
var faultExcluded = map[string]bool{
	"skärmbild": true, "skärmbilden": true, "skärmbilder": true, "skärmdump": true, "skärmdumpen": true,
	"skärmsläckare": true, "screenshot": true, "screenshots": true, "programmering": true,
	"accountant": true, "accounting": true,
}

// faultTieOrder breaks ties: hardware first (it may need the reseller), then account, then software.
var faultTieOrder = []string{FaultHardware, FaultAccount, FaultSoftware}

// ClassifyFault sorts a request into hardware, software, account or other by counting the distinct
// keywords of each category found in the subject and text, case-insensitively. The category with most
// keywords wins; ties go to hardware, then account, then software; none gives FaultOther. It returns the
// words that matched for the winning category, in text order.
func ClassifyFault(subject, text string) (fault string, matches []string) {
	if len(text) > 50000 {
		text = text[:50000]
	}
	tokens := words(subject + "\n" + text)
	best, bestMatches := FaultOther, []string{}
	for _, category := range faultTieOrder {
		found := matchKeywords(tokens, faultKeywords[category])
		if len(found) > len(bestMatches) {
			best, bestMatches = category, found
		}
	}
	return best, bestMatches
}

// matchKeywords returns the distinct words in tokens that match keywords, in text order.
func matchKeywords(tokens []string, keywords []string) []string {
	type hit struct {
		pos  int
		text string
	}
	var hits []hit
	seen := map[string]bool{}
	for _, kw := range keywords {
		stem := strings.HasSuffix(kw, "*")
		parts := strings.Fields(strings.TrimSuffix(kw, "*"))
		for i := 0; i+len(parts) <= len(tokens); i++ {
			if !phraseAt(tokens[i:], parts, stem) {
				continue
			}
			matched := strings.Join(tokens[i:i+len(parts)], " ")
			if faultExcluded[tokens[i+len(parts)-1]] {
				continue
			}
			if !seen[matched] {
				seen[matched] = true
				hits = append(hits, hit{i, matched})
			}
			break
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].pos < hits[j].pos })
	out := make([]string, 0, len(hits))
	for _, h := range hits {
		out = append(out, h.text)
	}
	return out
}

// phraseAt reports whether tokens start with the words of parts; with stem, the last word only needs
// to start with the last part.
func phraseAt(tokens, parts []string, stem bool) bool {
	for j, part := range parts {
		last := j == len(parts)-1
		if stem && last {
			if !strings.HasPrefix(tokens[j], part) {
				return false
			}
		} else if tokens[j] != part {
			return false
		}
	}
	return true
}
