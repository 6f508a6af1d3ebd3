package mailout

import (
	"strings"
	"testing"
)

func TestIDSignerRoundTrip(t *testing.T) {
	s := NewIDSigner([]byte("test secret"), "Desk.Example.COM")
	for _, n := range []int64{0, 1, 1001, 9_223_372_036_854_775_807} {
		id := s.New(n)
		if !strings.HasSuffix(id, "@desk.example.com") || !strings.HasPrefix(id, "wd.") {
			t.Fatalf("New(%d) = %q, want wd.…@desk.example.com", n, id)
		}
		for _, form := range []string{id, "<" + id + ">", " <" + id + "> ", strings.ToUpper(id)} {
			got, ok := s.Ticket(form)
			if !ok || got != n {
				t.Errorf("Ticket(%q) = %d, %v; want %d, true", form, got, ok, n)
			}
		}
	}
	if a, b := s.New(7), s.New(7); a == b {
		t.Errorf("two ids for one ticket are equal: %q", a)
	}
}

func TestIDSignerRejects(t *testing.T) {
	s := NewIDSigner([]byte("test secret"), "desk.example.com")
	other := NewIDSigner([]byte("another secret"), "desk.example.com")
	id := s.New(1001)
	local, domain, _ := strings.Cut(id, "@")
	parts := strings.Split(local, ".") // wd, 1001, random, sig

	flip := func(str string) string { // change the last character
		last := str[len(str)-1]
		repl := byte('a')
		if last == 'a' {
			repl = 'b'
		}
		return str[:len(str)-1] + string(repl)
	}
	tests := []struct {
		name string
		id   string
	}{
		{"tampered signature", strings.Join([]string{parts[0], parts[1], parts[2], flip(parts[3])}, ".") + "@" + domain},
		{"other ticket number", strings.Join([]string{parts[0], "1002", parts[2], parts[3]}, ".") + "@" + domain},
		{"tampered random", strings.Join([]string{parts[0], parts[1], flip(parts[2]), parts[3]}, ".") + "@" + domain},
		{"signed with another key", other.New(1001)},
		{"other domain", local + "@evil.example.net"},
		{"foreign id", "CAF=abc123@mail.gmail.com"},
		{"foreign id with our domain", "1234.5678@desk.example.com"},
		{"signed plus sign", strings.Join([]string{parts[0], "+1001", parts[2], parts[3]}, ".") + "@" + domain},
		{"missing signature", strings.Join(parts[:3], ".") + "@" + domain},
		{"extra part", local + ".x@" + domain},
		{"no domain", local},
		{"empty", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n, ok := s.Ticket(tc.id); ok {
				t.Errorf("Ticket(%q) = %d, true; want false", tc.id, n)
			}
		})
	}
}

func TestNewIDSignerPanicsWithoutKey(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("NewIDSigner with an empty secret did not panic")
		}
	}()
	NewIDSigner(nil, "desk.example.com")
}
