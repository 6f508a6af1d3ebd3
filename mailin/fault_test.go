package mailin

import (
	"slices"
	"testing"
)

func TestClassifyFault(t *testing.T) {
	tests := []struct {
		name          string
		subject, text string
		fault         string
		matches       []string
	}{
		{"cracked screen sv", "Trasig dator", "Skärmen är sprucken efter att den ramlade.", FaultHardware, []string{"trasig", "skärmen", "sprucken", "ramlade"}},
		{"charging en", "Laptop not charging", "The battery won't charge and the charger is warm.", FaultHardware, []string{"not charging", "battery", "won't charge", "charger"}},
		{"does not start sv", "", "Datorn går inte att starta.", FaultHardware, []string{"går inte att starta"}},
		{"software sv", "Outlook kraschar", "Efter uppdateringen kraschar Outlook hela tiden.", FaultSoftware, []string{"outlook", "kraschar", "uppdateringen"}},
		{"account sv", "Lösenord", "Jag kan inte logga in, kontot är låst.", FaultAccount, []string{"lösenord", "logga in", "kontot", "låst"}},
		{"account en", "", "I forgot my password and my account is locked.", FaultAccount, []string{"password", "account", "locked"}},
		{"tie goes to hardware", "", "The keyboard stopped working after the update.", FaultHardware, []string{"keyboard"}},
		{"screenshot is not a screen", "", "Skärmbild bifogad, programmet visar fel.", FaultSoftware, []string{"programmet"}},
		{"nothing", "Fråga", "Hur länge gäller garantin?", FaultOther, []string{}},
		{"order is a request", "Fråga", "Kan jag beställa en till?", FaultOther, []string{"beställa"}},

		// The longest keyword takes its words: a hardware word inside a software phrase is software.
		{"screen sharing sv", "", "Skärmdelning fungerar inte, ingen ser när jag delar skärmen.", FaultSoftware, []string{"skärmdelning", "delar skärmen"}},
		{"screen reader", "", "The screen reader keeps stopping.", FaultSoftware, []string{"screen reader"}},
		{"keyboard shortcut", "", "The keyboard shortcut fails after the Windows update.", FaultSoftware, []string{"keyboard shortcut", "windows", "update"}},
		{"shortcut compound sv", "", "Tangentbordsgenvägarna har slutat fungera.", FaultSoftware, []string{"tangentbordsgenvägarna"}},

		// A negation just before a damage word cancels it; a problem phrase with its own negation stands.
		{"not broken sv", "", "Datorn är inte trasig, men Teams visar svart bild.", FaultSoftware, []string{"teams"}},
		{"not broken en", "", "The laptop isn't broken, Outlook just won't open.", FaultSoftware, []string{"outlook"}},
		{"negation far away", "", "Jag vet inte varför, men skärmen är trasig.", FaultHardware, []string{"skärmen", "trasig"}},
		{"negated problem phrase", "", "Batteriet laddar inte.", FaultHardware, []string{"batteriet", "laddar inte"}},

		// "startar inte" after a program's name is about the program.
		{"program does not start", "", "Outlook startar inte.", FaultSoftware, []string{"outlook"}},
		{"computer does not start", "", "Datorn startar inte efter uppdateringen.", FaultHardware, []string{"startar inte"}},

		// People who type without å, ä and ö.
		{"no å ä ö hardware", "", "skarmen ar sprucken", FaultHardware, []string{"skarmen", "sprucken"}},
		{"no å ä ö account", "", "losenordet funkar inte", FaultAccount, []string{"losenordet"}},
		{"short folded word is another word", "", "It was fine last week, now Excel crashes.", FaultSoftware, []string{"excel", "crashes"}},

		// Swedish compounds ending in a hardware noun.
		{"compound head", "", "Mellanslagstangenten fastnar.", FaultHardware, []string{"mellanslagstangenten"}},
		{"compound head inflected", "", "Datorskärmarna är mörka.", FaultHardware, []string{"datorskärmarna"}},
		{"head must end the word", "", "Datorskärmsinställningarna ändrades vid uppdateringen.", FaultSoftware, []string{"uppdateringen"}},
		{"keyboard layout", "", "Tangentbordslayouten i Word är fel.", FaultSoftware, []string{"tangentbordslayouten", "word"}},

		// A subject keyword counts double.
		{"subject weighs more", "Teams", "Skärmen blir svart i möten.", FaultSoftware, []string{"teams"}},
		{"thanks with a solved fault", "Tack!", "Tack för hjälpen med skärmen, nu fungerar allt.", FaultOther, []string{"tack för", "nu fungerar"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fault, matches := ClassifyFault(tt.subject, tt.text)
			if fault != tt.fault || !slices.Equal(matches, tt.matches) {
				t.Errorf("ClassifyFault = %q %q, want %q %q", fault, matches, tt.fault, tt.matches)
			}
		})
	}
}

// TestFaultKeywordLists guards the lists against mistakes a test of ClassifyFault would not show: a
// keyword listed twice counts for whichever category comes first, and a damage or no-start entry that
// is not a hardware keyword is silently ignored.
func TestFaultKeywordLists(t *testing.T) {
	category := map[string]string{}
	for c, keywords := range faultKeywords {
		for _, kw := range keywords {
			if prev, ok := category[kw]; ok {
				t.Errorf("keyword %q listed for %q and %q", kw, prev, c)
			}
			category[kw] = c
		}
	}
	for _, kw := range append(slices.Clone(faultDamage), faultNoStart...) {
		if category[kw] != FaultHardware {
			t.Errorf("%q is in faultDamage or faultNoStart but not a hardware keyword", kw)
		}
	}
}
