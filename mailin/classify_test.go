package mailin

import (
	"strings"
	"testing"
)

// mailWith builds a small message from header lines and a body; From defaults to a staff member.
func mailWith(body string, headers ...string) []byte {
	h := "To: support@kommun.se\r\nMessage-ID: <t@kommun.se>\r\nDate: Mon, 13 Apr 2026 08:00:00 +0200\r\n"
	from := "From: Anna <anna@kommun.se>"
	for _, line := range headers {
		if strings.HasPrefix(line, "From:") {
			from = line
			continue
		}
		h += line + "\r\n"
	}
	h = from + "\r\n" + h
	return []byte(h + "\r\n" + body)
}

func TestClassifyClass(t *testing.T) {
	tests := []struct {
		name   string
		raw    []byte
		class  string
		reason string
	}{
		{"personal", mailWith("Hej, skärmen är trasig.", "Subject: Trasig skärm"), ClassPersonal, ""},
		{"auto-submitted", mailWith("Jag är ledig.", "Subject: Ledig", "Auto-Submitted: auto-replied"), ClassAutoReply, "header Auto-Submitted: auto-replied"},
		{"auto-submitted no", mailWith("Hej", "Subject: Hej", "Auto-Submitted: no"), ClassPersonal, ""},
		{"auto-submitted with comment", mailWith("x", "Subject: x", "Auto-Submitted: auto-generated (vacation)"), ClassAutoReply, "header Auto-Submitted: auto-generated"},
		{"x-autoreply", mailWith("x", "Subject: x", "X-Autoreply: yes"), ClassAutoReply, "header X-Autoreply: yes"},
		{"x-autorespond", mailWith("x", "Subject: x", "X-Autorespond: x"), ClassAutoReply, "header X-Autorespond"},
		{"outlook oof", mailWith("x", "Subject: x", "X-Auto-Response-Suppress: All"), ClassAutoReply, "header X-Auto-Response-Suppress: All"},
		{"precedence auto_reply", mailWith("x", "Subject: x", "Precedence: auto_reply"), ClassAutoReply, "header Precedence: auto_reply"},
		{"subject autosvar", mailWith("x", "Subject: Autosvar: Trasig skärm"), ClassAutoReply, `subject "Autosvar: Trasig skärm"`},
		{"subject automatic reply", mailWith("x", "Subject: Automatic reply: Broken screen"), ClassAutoReply, "subject"},
		{"subject out of office", mailWith("x", "Subject: Out of Office: Broken screen"), ClassAutoReply, "subject"},
		{"subject frånvaro", mailWith("x", "Subject: =?utf-8?Q?Fr=C3=A5nvaro?="), ClassAutoReply, "subject"},
		{"subject abwesenheit", mailWith("x", "Subject: Abwesenheitsnotiz"), ClassPersonal, ""},
		{"out of office mentioned mid-subject", mailWith("x", "Subject: My out of office does not work"), ClassPersonal, ""},
		{"empty return path", mailWith("x", "Subject: x", "Return-Path: <>"), ClassAutoReply, "header Return-Path: <>"},
		{"precedence bulk", mailWith("x", "Subject: x", "Precedence: bulk"), ClassBulk, "header Precedence: bulk"},
		{"precedence list", mailWith("x", "Subject: x", "Precedence: list"), ClassBulk, "header Precedence: list"},
		{"list-id", mailWith("x", "Subject: x", "List-Id: <it.kommun.se>"), ClassBulk, "header List-Id present"},
		{"list-unsubscribe", mailWith("x", "Subject: x", "List-Unsubscribe: <mailto:u@x.se>"), ClassBulk, "header List-Unsubscribe present"},
		{"plain bounce from mailer-daemon", mailWith("Delivery to the following recipient failed permanently:\r\n\r\n     kalle@example.se\r\n\r\n550 5.1.1 User unknown\r\n",
			"Subject: Undeliverable: Trasig skärm", "From: postmaster@kommun.se"), ClassBounce, "sender postmaster@kommun.se"},
		{"exim bounce", mailWith("x", "Subject: Mail delivery failed: returning message to sender", "From: Mail Delivery System <Mailer-Daemon@x.se>", "X-Failed-Recipients: kalle@example.se"), ClassBounce, "header X-Failed-Recipients"},
		{"postmaster notice with auto-replied is not a bounce", mailWith("Your message was rejected: mailbox is full", "Subject: email notice", "From: postmaster@x.de", "Auto-Submitted: auto-replied"), ClassAutoReply, "header Auto-Submitted"},
		{"outlook read receipt", mailWith("Your message\r\n\r\n To: A\r\n\r\nwas read on Monday.", "Subject: Read: Broken screen"), ClassReport, "read receipt"},
		{"read in subject only is personal", mailWith("Please read this", "Subject: Read: the manual"), ClassPersonal, ""},
		{"arf", []byte("From: abuse@x.se\r\nSubject: report\r\nContent-Type: multipart/report; report-type=feedback-report; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nabuse\r\n--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n--b--\r\n"), ClassReport, "feedback report"},
		{"delayed dsn", []byte("From: MAILER-DAEMON@x.se\r\nSubject: Warning: could not send message for past 4 hours\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nstill trying\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x.se\r\n\r\nFinal-Recipient: rfc822; a@y.se\r\nAction: delayed\r\nStatus: 4.4.7\r\n--b--\r\n"), ClassAutoReply, "action delayed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			Classify(p, ClassifyOptions{})
			if p.Class != tt.class || !strings.Contains(p.ClassReason, tt.reason) {
				t.Errorf("class %q (%s), want %q (%s)", p.Class, p.ClassReason, tt.class, tt.reason)
			}
			if (p.Class == ClassBounce) != (p.Bounce != nil) {
				t.Errorf("class %q with Bounce %+v", p.Class, p.Bounce)
			}
		})
	}
}

func TestClassifyPlainBounceDetails(t *testing.T) {
	raw := mailWith("This message was created automatically by mail delivery software.\r\n\r\n"+
		"A message that you sent could not be delivered to one or more of its recipients.\r\n\r\n"+
		"  <garanti@reseller-exempel.se>: 550 5.1.1 mailbox unavailable\r\n\r\n"+
		"------ This is a copy of the message, including all the headers. ------\r\n\r\n"+
		"Message-ID: <desk.out.7.aa@kommun.se>\r\nSubject: [#7] Garanti\r\n",
		"Subject: Mail delivery failed: returning message to sender", "From: Mail Delivery System <Mailer-Daemon@kommun.se>")
	p, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	Classify(p, ClassifyOptions{})
	want := Bounce{Status: "5.1.1", Recipient: "garanti@reseller-exempel.se", OriginalMessageID: "desk.out.7.aa@kommun.se"}
	if p.Class != ClassBounce || p.Bounce == nil || *p.Bounce != want {
		t.Errorf("class %q bounce %+v, want bounce %+v", p.Class, p.Bounce, want)
	}
}

// Serials come from what the sender wrote; a forward's quoted original counts.
func TestSerialsIgnoreQuotedHistoryExceptInForwards(t *testing.T) {
	quoted := "Tack, det fungerar nu!\n\nDen tis 24 nov. 2026 kl. 09:12 skrev Anna <anna@kommun.test>:\n> Skärmen är trasig. S/N PF3KX2A1\n"
	tests := []struct {
		name, subject string
		want          []string
	}{
		{"reply", "SV: [#1001] Skärmen", []string{}},
		{"forward", "VB: Skärmen", []string{"PF3KX2A1"}},
		{"english forward", "Fwd: Screen", []string{"PF3KX2A1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &Parsed{Subject: tt.subject, Text: quoted}
			Classify(p, ClassifyOptions{})
			if strings.Join(p.Serials, ",") != strings.Join(tt.want, ",") {
				t.Errorf("serials %v, want %v", p.Serials, tt.want)
			}
		})
	}
}
