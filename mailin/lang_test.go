package mailin

import "testing"

func TestDetectLanguage(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"swedish", "Hej! Min dator startar inte och skärmen är svart. Kan ni hjälpa mig?", "sv"},
		{"swedish without stop words", "Tangentbordet trasigt, batteriet dåligt, fläkten låter", "sv"},
		{"english", "Hello, my laptop does not start and the screen is black. Can you please help?", "en"},
		{"too short", "OK", ""},
		{"german", "Sehr geehrte Damen und Herren, ich habe eine Frage zu der Rechnung, die nicht stimmt.", ""},
		{"french", "Envoyé par le service de messagerie texte de Bell Mobilité pour vous", ""},
		{"addresses ignored", "the@and.is http://the.and.is/my", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := DetectLanguage(tt.text); got != tt.want {
				t.Errorf("DetectLanguage(%q) = %q, want %q", tt.text, got, tt.want)
			}
		})
	}
}
