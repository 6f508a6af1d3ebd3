package mailgen

import (
	"testing"

	"warrantydesk/mailin"
)

// The generated mail must look like real mail to the parser, and be about
// the size the benchmark promises.
func TestGeneratedMailParses(t *testing.T) {
	mails := Generate(300, 1)
	total := 0
	for i, m := range mails {
		total += len(m.Raw)
		p, err := mailin.Parse(m.Raw)
		if err != nil {
			t.Fatalf("mail %d: %v", i, err)
		}
		mailin.Classify(p, mailin.ClassifyOptions{})
		if p.Subject == "" || p.From.Email == "" || p.Text == "" || p.MessageID != m.MessageID {
			t.Errorf("mail %d parsed badly: %+v", i, p)
		}
		if m.Automatic != (p.Class == mailin.ClassAutoReply) {
			t.Errorf("mail %d: automatic=%v class=%s", i, m.Automatic, p.Class)
		}
	}
	avg := total / len(mails)
	t.Logf("average size %d bytes", avg)
	if avg < 9000 || avg > 17000 {
		t.Errorf("average size %d bytes, want ~13 KB", avg)
	}
}
