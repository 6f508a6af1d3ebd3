package mailin

import "testing"

func TestStripQuoted(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"gmail", "Thanks!\n\nOn Fri, Apr 10, 2026 at 3:12 PM IT <it@x.se> wrote:\n> old text", "Thanks!"},
		{"gmail wrapped", "Thanks!\n\nOn Fri, Apr 10, 2026 at 3:12 PM IT Support\n<it@x.se> wrote:\n> old", "Thanks!"},
		{"apple swedish", "Tack!\n\nDen 10 apr. 2026 kl. 15:12 skrev IT <it@x.se>:\n> gammalt", "Tack!"},
		{"outlook swedish", "Ny text\n\nFrån: IT-support <it@x.se>\nSkickat: den 14 april 2026 09:12\nTill: A\nÄmne: B\n\ngammalt", "Ny text"},
		{"outlook english", "New\n\n-----Original Message-----\nFrom: A\nSent: B\n\nold", "New"},
		{"quoted lines", "Svar här\n> citat\n>> äldre\nmer svar", "Svar här\nmer svar"},
		{"from line alone is kept", "From: the start I had problems", "From: the start I had problems"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StripQuoted(tt.in); got != tt.want {
				t.Errorf("StripQuoted(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
