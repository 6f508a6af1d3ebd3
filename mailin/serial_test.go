package mailin

import (
	"regexp"
	"slices"
	"testing"
)

var testAssetTag = regexp.MustCompile(`(?i)\bKOM-?\d{5}\b`)

func TestNormalizeSerial(t *testing.T) {
	for in, want := range map[string]string{
		"pf-2abc12":    "PF2ABC12",
		"5CG 1234 ABC": "5CG1234ABC",
		"7x.k9.p13":    "7XK9P13",
		"":             "",
	} {
		if got := NormalizeSerial(in); got != want {
			t.Errorf("NormalizeSerial(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFindSerials(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"labelled lower case with dash", "S/N: pf-2abc12 och den är trasig", []string{"PF2ABC12"}},
		{"servicetagg", "servicetagg 7xk9p13 på datorn", []string{"7XK9P13"}},
		{"serienr with spaces", "Serienr: 5CG 1234 ABC\nMvh", []string{"5CG1234ABC"}},
		{"serienummer", "Serienummer: MP1XYZ9K", []string{"MP1XYZ9K"}},
		{"serial number is", "The serial number is R90ABC12.", []string{"R90ABC12"}},
		{"service tag", "Service Tag: HJ2G8N2, model Latitude 5440", []string{"HJ2G8N2"}},
		{"label stops at prose", "SN: PF2ABC12 T14 gen 2", []string{"PF2ABC12"}},
		{"unlabelled Lenovo and HP", "Two laptops: PF2ABC12 and CND1234XYZ need repair", []string{"PF2ABC12", "CND1234XYZ"}},
		{"unlabelled Dell", "Dell 7XK9P13 is broken", []string{"7XK9P13"}},
		{"asset tag digits only", "inventarienummer 204511", []string{"204511"}},
		{"asset tag pattern", "Datorn KOM-12345 är trasig", []string{"KOM12345"}},
		{"deduplicated in order", "S/N PF2ABC12, again pf-2abc12, and 5CG1234ABC", []string{"PF2ABC12", "5CG1234ABC"}},
		{"no false positives on words", "Windows 11 uppdatering KB5034441 Office365 version 2403 RMA-2026-0412 ISO9660 LCD1830", []string{}},
		{"label without digits ignored", "serial: unknown", []string{}},
		{"lower-case unlabelled ignored", "the code pf2abc12 in a sentence", []string{}},
		{"snabb is not a label", "snabbt svar 5 dagar", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FindSerials(tt.text, testAssetTag); !slices.Equal(got, tt.want) {
				t.Errorf("FindSerials(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
