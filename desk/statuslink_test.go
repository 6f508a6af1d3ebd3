package desk

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"warrantydesk/models"
)

func TestStatusLinkVerifiesAndTamperingFails(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.desk.opt.BaseURL = "https://desk.kommun.test/"
	f.deliver(hardwareMail("Skärmen är sprucken"))

	link := f.desk.StatusLink(1001)
	token, ok := strings.CutPrefix(link, "https://desk.kommun.test/status/")
	if !ok || !strings.HasPrefix(token, "1001.") {
		t.Fatalf("link %q", link)
	}
	ack := f.sent("ack")
	if len(ack) != 1 || !strings.Contains(ack[0].parsed.Text, link) {
		t.Errorf("the acknowledgement lacks the status link %s", link)
	}

	ps, err := f.desk.PublicStatus(ctx, token)
	if err != nil {
		t.Fatal(err)
	}
	// Forwarded 25 Nov 2026, Refurbo AB turns cases around in 10 days.
	if ps.Number != 1001 || ps.Status != models.StatusAtVendor || ps.Language != "sv" ||
		ps.Summary != "Hos återförsäljaren sedan 25 nov, väntas tillbaka 5 dec." {
		t.Errorf("public status %+v", ps)
	}
	js, _ := json.Marshal(ps)
	for _, personal := range []string{"anna", "Anna", "Svensson", "@", "KOM-00017", "PF3KX2A1"} {
		if strings.Contains(string(js), personal) {
			t.Errorf("public status shows %q: %s", personal, js)
		}
	}

	num, sig, _ := strings.Cut(token, ".")
	flip := func(s string) string {
		b := []byte(s)
		if b[len(b)-1] == 'a' {
			b[len(b)-1] = 'b'
		} else {
			b[len(b)-1] = 'a'
		}
		return string(b)
	}
	f.deliver(mailFrom("bo@kommun.test", "Teams", "Teams kraschar."))
	for name, bad := range map[string]string{
		"changed signature":     num + "." + flip(sig),
		"other ticket":          "1002." + sig,
		"leading zero":          "01001." + sig,
		"no signature":          num,
		"empty":                 "",
		"message-id signature":  "1001." + f.desk.ids.Sign("1001"),
		"signature of a ticket": "1002." + f.desk.ids.Sign(statusPayload(1001)),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := f.desk.PublicStatus(ctx, bad); err != ErrNotFound {
				t.Errorf("token %q: %v, want ErrNotFound", bad, err)
			}
		})
	}
	if f.desk.opt.BaseURL = ""; f.desk.StatusLink(1001) != "" {
		t.Error("a link without a base URL")
	}
}

func TestNoticesInTheRequestersLanguage(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.desk.opt.BaseURL = "https://desk.kommun.test"
	eva := f.agent(models.RoleAgent)

	// English, forwarded by intake: the acknowledgement says so; back from repair is a notice.
	f.deliver(mailFrom("Sarah <sarah@kommun.test>", "Broken screen",
		"Hello, my laptop screen is cracked and the computer is broken. Asset tag KOM-00017. Could you help me?"))
	ack := f.sent("ack")
	if len(ack) != 1 || !strings.Contains(ack[0].parsed.Text, "forwarded it to Refurbo AB") ||
		!strings.Contains(ack[0].parsed.Text, "2026-12-05") || !strings.Contains(ack[0].parsed.Text, f.desk.StatusLink(1001)) {
		t.Fatalf("English acknowledgement: %+v", ack)
	}
	if err := f.desk.SetCaseState(ctx, eva, 1001, models.CaseShippedBack, "", ""); err != nil {
		t.Fatal(err)
	}
	back := f.sent("notify")
	if len(back) != 1 || back[0].Recipients != "sarah@kommun.test" || !strings.HasPrefix(back[0].parsed.Subject, "[#1001] Back from repair") ||
		!strings.Contains(back[0].parsed.Text, f.desk.StatusLink(1001)) {
		t.Fatalf("English back-from-repair notice: %+v", back)
	}
	if got := header(back[0].parsed, "Auto-Submitted"); got == "" || got == "no" {
		t.Errorf("notice is not marked automatic: Auto-Submitted %q", got)
	}
	first := f.messages(1001)[0].MessageID // Sarah's mail as intake stored it
	if back[0].parsed.InReplyTo == "" || first == "" || !slices.Contains(back[0].parsed.References, first) {
		t.Errorf("notice not threaded to the requester's mail: in-reply-to %q refs %v", back[0].parsed.InReplyTo, back[0].parsed.References)
	}

	// Swedish, forwarded later by hand: a separate notice.
	f.deliver(mailFrom("Bo <bo@kommun.test>", "Fläkten", "Fläkten låter och datorn är trasig."))
	if f.ticket(1002).Status != models.StatusNew {
		t.Fatalf("#1002 without a device was forwarded: %s", f.ticket(1002).Status)
	}
	if err := f.desk.LinkAsset(ctx, eva, 1002, "5CG2341XYZ"); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.ForwardToVendor(ctx, eva, 1002); err != nil {
		t.Fatal(err)
	}
	notices := f.sent("notify")
	if len(notices) != 2 {
		t.Fatalf("%d notices", len(notices))
	}
	sv := notices[1]
	if sv.Recipients != "bo@kommun.test" || !strings.HasPrefix(sv.parsed.Subject, "[#1002] Skickat till återförsäljaren") ||
		!strings.Contains(sv.parsed.Text, "Refurbo AB") || !strings.Contains(sv.parsed.Text, "EliteBook 840") ||
		!strings.Contains(sv.parsed.Text, f.desk.StatusLink(1002)) {
		t.Errorf("Swedish forwarded notice %q\n%s", sv.parsed.Subject, sv.parsed.Text)
	}
}
