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
		{"cracked screen sv", "Trasig dator", "Skärmen är sprucken efter att den ramlade.", FaultHardware, []string{"trasig", "skärmen", "sprucken"}},
		{"charging en", "Laptop not charging", "The battery won't charge and the charger is warm.", FaultHardware, []string{"not charging", "battery", "won't charge", "charger"}},
		{"does not start sv", "", "Datorn går inte att starta.", FaultHardware, []string{"går inte att starta"}},
		{"software sv", "Outlook kraschar", "Efter uppdateringen kraschar Outlook hela tiden.", FaultSoftware, []string{"outlook", "kraschar", "uppdateringen"}},
		{"account sv", "Lösenord", "Jag kan inte logga in, kontot är låst.", FaultAccount, []string{"lösenord", "logga in", "kontot", "låst"}},
		{"account en", "", "I forgot my password and my account is locked.", FaultAccount, []string{"password", "account", "locked"}},
		{"tie goes to hardware", "", "The keyboard stopped working after the update.", FaultHardware, []string{"keyboard"}},
		{"more software wins", "", "The keyboard shortcut fails after the Windows update.", FaultSoftware, []string{"windows", "update"}},
		{"screenshot is not a screen", "", "Skärmbild bifogad, programmet visar fel.", FaultSoftware, []string{"programmet"}},
		{"nothing", "Fråga", "Kan jag beställa en till?", FaultOther, []string{}},
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
