package mailin

import (
	"slices"
	"strings"
	"unicode/utf8"
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
// Where keywords overlap, the longest match wins, so a phrase or compound in one category claims words
// another category would have counted: "dela skärmen" and "skärmdelning" are about Teams, not the
// screen. The FaultOther keywords are requests that are no fault at all (orders, loans, moves, thanks).
var faultKeywords = map[string][]string{
	FaultHardware: {
		"skärm*", "bildskärm*", "display*", "flimr*", "trasig*", "sönder", "spruck*", "spricka*", "sprack",
		"spräck*", "skadad*", "skadat", "batteri*", "laddar inte", "laddas inte", "laddare*", "laddsladd*",
		"laddkabel*", "laddport*", "laddning*", "sladd*", "kabel*", "kablar*", "tangentbord*", "tangent",
		"tangenten", "tangenter", "tangenterna", "knapp", "knappen", "knappar", "knapparna", "mus", "musen",
		"musplatt*", "pekplatt*", "styrplatt*", "fläkt*", "överhett*", "startar inte", "går inte att starta",
		"går inte igång", "stänger av sig", "blåskärm*", "hårddisk*", "disk", "disken", "ssd", "minne",
		"minnet", "gångjärn*", "locket", "glaset", "lossnat", "lossnade", "kamera*", "webbkamera*",
		"mikrofon*", "högtalar*", "knastr*", "usb*", "hdmi*", "displayport*", "uttag*", "glapp*", "port",
		"porten", "portar", "ström", "strömmen", "strömbrytare*", "startknapp*", "dockningsstation*",
		"moderkort*", "vattenskad*", "spilla", "spillt", "spillde", "tappade", "tappat", "ramlade", "ramlat",
		"svullen", "svullet",
		"screen*", "monitor*", "flicker*", "cracked", "crack", "cracks", "broken", "damaged", "battery",
		"batteries", "charger*", "not charging", "won't charge", "doesn't charge", "keyboard*", "key", "keys",
		"mouse", "fan", "fans", "won't boot", "doesn't boot", "does not boot", "won't start", "will not start",
		"does not start", "doesn't start", "won't turn on", "doesn't turn on", "does not turn on",
		"no power", "powers on", "shuts off", "dead", "dead on arrival", "doa", "hinge*", "lid", "touchpad*",
		"trackpad*", "hard drive", "hard disk", "memory", "speaker*", "crackl*", "microphone*", "webcam*",
		"camera*", "overheat*", "blue screen", "bsod", "motherboard*", "water damage", "spilled", "spilt",
		"dropped", "docking station*", "power button", "ports", "loose", "swollen", "bulging",
	},
	FaultSoftware: {
		"program*", "install*", "uppdater*", "uppgrader*", "windows", "microsoft office", "office 365",
		"office365", "officepaket*", "office paket*", "teams", "outlook", "word", "excel", "powerpoint",
		"onedrive", "sharepoint", "edge", "app", "appen", "appar", "applikation*", "krasch*", "virus*",
		"infekter*", "drivrutin*", "skrivardrivrutin*", "mjukvar*", "programvar*", "felmeddelande*",
		"felkod*", "pdf*", "licens*", "webbläsare*", "hänger sig", "fryser", "svarar inte", "vpn", "synk*",
		"skriva ut", "skriver ut", "utskrift*", "bluff*", "nätfiske*",
		// A hardware word in a software sense.
		"skärmdelning*", "dela skärm*", "delar skärm*", "delade skärm*", "skärmläsar*",
		"tangentbordsgenväg*", "tangentbordslayout*", "tangentbordsinställning*", "kortkommando*", "genväg*", "produktnyckel*",
		"software", "update*", "upgrade*", "apps", "application*", "crash*", "malware", "infected",
		"driver*", "error message", "error code", "license*", "browser*", "chrome", "firefox", "freezes",
		"freezing", "frozen", "not responding", "sync*", "print", "printing", "pop up", "popup", "scam",
		"phishing",
		"screen sharing", "screen share", "screensharing", "share my screen", "share the screen",
		"share screen", "sharing my screen", "screen reader*", "keyboard shortcut*", "keyboard layout*", "keyboard settings", "shortcut*",
		"product key", "license key",
	},
	FaultAccount: {
		"lösenord*", "inloggning*", "logga in", "loggar in", "inloggad", "kommer inte in", "komma in",
		"konto", "kontot", "konton", "låst", "låstes", "utelåst", "låsa upp", "spärr*", "bankid", "mfa",
		"tvåfaktor*", "2fa", "sms kod", "engångskod*", "authenticator*", "authenticator app*", "åtkomst*",
		"behörighet*", "användarnamn*", "pinkod*", "pin kod*", "nyanställd*", "ny medarbetare",
		"password*", "login*", "log in", "log on", "logon", "sign in", "signin", "locked", "locked out",
		"lockout", "unlock*", "account*", "access", "permission*", "username*", "shared folder*",
		"new starter", "new employee",
	},
	FaultOther: {
		"beställ*", "köpa", "låna", "lånedator*", "flytt*", "återlämn*", "lämna in", "lämnar in",
		"lämna tillbaka", "öppettider*", "tack för", "nu fungerar", "fungerar nu", "nu funkar", "funkar nu",
		"order", "ordering", "buy", "borrow*", "loan*", "moving", "move my", "opening hours", "thanks for",
		"thank you for", "works now", "working now", "that did it",
	},
	// Words a stem would catch that mean something else; they count for no category.
	"": {
		"skärmbild*", "skärmdump*", "skärmsläckare*", "låsskärm*", "screenshot*", "programmering", "accountant*",
		"accounting",
	},
}

// faultDamage are hardware keywords that describe a state ("trasig", "broken"); a negation in the few
// words before cancels them: "datorn är inte trasig men Teams…".
var faultDamage = []string{
	"trasig*", "sönder", "spruck*", "spricka*", "sprack", "skadad*", "skadat", "svullen", "svullet",
	"cracked", "crack", "cracks", "broken", "damaged", "dead", "swollen", "loose",
}

// faultNoStart are hardware keywords saying something does not start; right after the name of a
// program they are about the program: "Outlook startar inte".
var faultNoStart = []string{
	"startar inte", "går inte att starta", "går inte igång", "won't start", "will not start",
	"does not start", "doesn't start", "won't boot", "doesn't boot", "does not boot",
}

// faultCompoundHeads are Swedish hardware nouns that also end compounds: "mellanslagstangenten",
// "skrivbordsskärmen", "laptopbatteriet". A word ending in one of them, followed at most by an
// inflection (faultInflections), counts for hardware when no keyword matched it.
var faultCompoundHeads = []string{
	"tangent", "skärm", "batteri", "laddare", "kabel", "sladd", "kamera", "högtalare", "mikrofon",
	"fläkt", "hårddisk", "gångjärn",
}

// faultInflections are the Swedish noun endings a compound head may carry.
var faultInflections = wordSet(`en et n ar arna er erna s`)

// faultNegations are the words that, up to faultNegationWindow words before a damage keyword, cancel it.
var faultNegations = wordSet(`inte ej icke aldrig not never no isn't isnt aren't wasn't`)

const (
	faultNegationWindow = 3
	// faultSubjectWeight is what a keyword in the subject counts for: the subject is the sender's
	// own summary, the body also tells a story around it.
	faultSubjectWeight = 2
)

// faultTieOrder breaks ties: hardware first (it may need the reseller), then account, then software,
// then the requests of FaultOther.
var faultTieOrder = []string{FaultHardware, FaultAccount, FaultSoftware, FaultOther}

// faultKeyword is one compiled entry of faultKeywords.
type faultKeyword struct {
	category string   // "" claims its words for no category
	parts    []string // the words, lower case
	folded   []string // parts with å, ä and ö folded to a and o; nil when that could make another word
	stem     bool     // the last part is a prefix
	damage   bool     // listed in faultDamage
	noStart  bool     // listed in faultNoStart
	length   int      // characters, to pick the longest of overlapping matches
}

// faultIndex holds the compiled keywords by the first byte of their folded first word.
var faultIndex = compileFaultKeywords()

// faultHeads holds a compiled keyword for each of faultCompoundHeads, in that order.
var faultHeads = compileFaultHeads()

func compileFaultHeads() []*faultKeyword {
	var heads []*faultKeyword
	for _, head := range faultCompoundHeads {
		heads = append(heads, &faultKeyword{
			category: FaultHardware, parts: []string{head}, folded: []string{foldSwedish(head)}, stem: true,
			length: len(head),
		})
	}
	return heads
}

func compileFaultKeywords() map[byte][]*faultKeyword {
	damage, noStart := map[string]bool{}, map[string]bool{}
	for _, kw := range faultDamage {
		damage[kw] = true
	}
	for _, kw := range faultNoStart {
		noStart[kw] = true
	}
	index := map[byte][]*faultKeyword{}
	// In a fixed order, so that of two equally long matches the same one always wins.
	for _, category := range append([]string{""}, faultTieOrder...) {
		for _, text := range faultKeywords[category] {
			kw := &faultKeyword{
				category: category,
				parts:    strings.Fields(strings.TrimSuffix(text, "*")),
				stem:     strings.HasSuffix(text, "*"),
				damage:   damage[text],
				noStart:  noStart[text],
				length:   len(text),
			}
			folded := strings.Fields(foldSwedish(strings.TrimSuffix(text, "*")))
			// People who write without å, ä and ö ("skarmen ar sprucken", "losenordet") should
			// still match, but a short folded word is often another word: "låst" becomes "last".
			if !slices.Equal(folded, kw.parts) && (len(folded) > 1 || utf8.RuneCountInString(folded[0]) >= 5) {
				kw.folded = folded
			}
			first := folded[0][0] // tokens are looked up by their folded first byte
			index[first] = append(index[first], kw)
		}
	}
	return index
}

// swedishFolder replaces å, ä and ö (and é) with the letters people type when their keyboard lacks them.
var swedishFolder = strings.NewReplacer("å", "a", "ä", "a", "ö", "o", "é", "e")

func foldSwedish(s string) string {
	return swedishFolder.Replace(s)
}

// faultHit is one keyword found in the subject or body.
type faultHit struct {
	kw   *faultKeyword
	text string // the words as written (lower case), shown to agents
	end  int    // the index of the word after the hit
}

// ClassifyFault sorts a request into hardware, software, account or other by the distinct keywords of
// each category in the subject and text, case-insensitively and tolerating missing å, ä and ö. A
// keyword counts once, double when it is in the subject. The longest keyword wins where keywords
// overlap, a negation just before a damage word cancels it ("inte trasig"), and "startar inte" right
// after a program's name is about the program. The category with the highest score wins; ties go to
// hardware, then account, software and other; nothing found gives FaultOther. It returns the words
// that matched for the winning category, subject first, in text order.
func ClassifyFault(subject, text string) (fault string, matches []string) {
	if len(text) > 50000 {
		text = text[:50000]
	}
	scores := map[string]int{}
	found := map[string][]string{}
	counted := map[*faultKeyword]bool{}
	for i, part := range []string{subject, text} {
		weight := 1
		if i == 0 {
			weight = faultSubjectWeight
		}
		for _, hit := range faultHits(words(part)) {
			if hit.kw.category == "" || counted[hit.kw] {
				continue
			}
			counted[hit.kw] = true
			scores[hit.kw.category] += weight
			found[hit.kw.category] = append(found[hit.kw.category], hit.text)
		}
	}
	fault, best := FaultOther, 0
	for _, category := range faultTieOrder {
		if scores[category] > best {
			fault, best = category, scores[category]
		}
	}
	matches = []string{}
	seen := map[string]bool{}
	for _, m := range found[fault] {
		if !seen[m] {
			seen[m] = true
			matches = append(matches, m)
		}
	}
	return fault, matches
}

// faultHits returns the keywords found in tokens, in text order. Each word belongs to at most one
// keyword: at every position the longest matching keyword takes its words.
func faultHits(tokens []string) []faultHit {
	folded := make([]string, len(tokens))
	for i, tok := range tokens {
		folded[i] = foldSwedish(tok)
	}
	var hits []faultHit
	for i := 0; i < len(tokens); {
		kw := longestFaultKeyword(tokens[i:], folded[i:])
		if kw == nil {
			kw = compoundHead(folded[i])
		}
		if kw == nil {
			i++
			continue
		}
		end := i + len(kw.parts)
		switch {
		case kw.damage && negatedBefore(tokens, i):
		case kw.noStart && len(hits) > 0 && hits[len(hits)-1].kw.category == FaultSoftware &&
			hits[len(hits)-1].end == i:
		default:
			hits = append(hits, faultHit{kw: kw, text: strings.Join(tokens[i:end], " "), end: end})
		}
		i = end
	}
	return hits
}

// longestFaultKeyword returns the keyword with most words, then most characters, that tokens start
// with, or nil.
func longestFaultKeyword(tokens, folded []string) *faultKeyword {
	var best *faultKeyword
	for _, kw := range faultIndex[folded[0][0]] {
		if best != nil && (len(kw.parts) < len(best.parts) ||
			len(kw.parts) == len(best.parts) && kw.length <= best.length) {
			continue
		}
		if phraseAt(tokens, kw.parts, kw.stem) || kw.folded != nil && phraseAt(folded, kw.folded, kw.stem) {
			best = kw
		}
	}
	return best
}

// compoundHead returns the keyword of the faultCompoundHeads that the folded word ends in, with an
// inflection and after at least three letters of its own, or nil.
func compoundHead(folded string) *faultKeyword {
	for _, kw := range faultHeads {
		head := kw.folded[0]
		at := strings.LastIndex(folded, head)
		if at < 3 {
			continue
		}
		if rest := folded[at+len(head):]; rest == "" || faultInflections[rest] {
			return kw
		}
	}
	return nil
}

// negatedBefore reports whether one of the faultNegationWindow words before tokens[i] is a negation.
func negatedBefore(tokens []string, i int) bool {
	for j := max(0, i-faultNegationWindow); j < i; j++ {
		if faultNegations[tokens[j]] {
			return true
		}
	}
	return false
}

// phraseAt reports whether tokens start with the words of parts; with stem, the last word only needs
// to start with the last part.
func phraseAt(tokens, parts []string, stem bool) bool {
	if len(tokens) < len(parts) {
		return false
	}
	for j, part := range parts {
		if stem && j == len(parts)-1 {
			if !strings.HasPrefix(tokens[j], part) {
				return false
			}
		} else if tokens[j] != part {
			return false
		}
	}
	return true
}
