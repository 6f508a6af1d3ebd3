package mailin

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

func parseFixture(t *testing.T, name string) *Parsed {
	t.Helper()
	p, err := ParseFile(filepath.Join("testdata", name), ClassifyOptions{AssetTagPattern: testAssetTag})
	if err != nil {
		t.Fatalf("ParseFile(%s): %v", name, err)
	}
	assertValidUTF8(t, p)
	return p
}

// TestParseFixtures checks what an agent would see for each staff mail in testdata.
func TestParseFixtures(t *testing.T) {
	tests := []struct {
		file        string
		from        Address
		subject     string
		class       string
		language    string
		serials     []string
		fault       string
		textHas     []string
		attachments []string
		problemsHas []string
		noProblems  bool
	}{
		{
			file:     "outlook_sv_windows1252_qp.eml", // Outlook: Windows-1252 labelled ISO-8859-1, quoted-printable
			from:     Address{Name: "Anna Svensson", Email: "anna.svensson@kommun.se"},
			subject:  "Skärmen är sprucken – behöver hjälp",
			class:    ClassPersonal,
			language: "sv",
			serials:  []string{"PF2ABC12", "KOM12345"},
			fault:    FaultHardware,
			textHas:  []string{"sprucken – jag tappade"}, noProblems: true,
		},
		{
			file:     "gmail_en_alternative.eml",
			from:     Address{Name: "John Smith", Email: "john.smith.school@gmail.com"},
			subject:  "Re: [#1042] Keyboard problem",
			class:    ClassPersonal,
			language: "en",
			serials:  []string{"5CG1234ABC"},
			fault:    FaultHardware, noProblems: true,
		},
		{
			file:     "iphone_sv.eml", // Apple: body split around an inline photo
			from:     Address{Name: "Erik Johansson", Email: "erik.johansson@kommun.se"},
			subject:  "Datorn startar inte",
			class:    ClassPersonal,
			language: "sv",
			serials:  []string{"MP1XYZ9K"},
			fault:    FaultHardware,
			textHas:  []string{"startar inte", "Skickat från min iPhone"}, attachments: []string{"IMG_0412.jpeg"}, noProblems: true,
		},
		{
			file:     "outlook_autosvar_sv.eml",
			from:     Address{Name: "Karin Berg", Email: "karin.berg@kommun.se"},
			subject:  "Automatiskt svar: [#1043] Trådlöst tangentbord",
			class:    ClassAutoReply,
			language: "sv", serials: []string{}, fault: FaultHardware, noProblems: true,
		},
		{
			file:     "reseller_reply_rma.eml",
			from:     Address{Name: "Atea Service", Email: "service@atea-exempel.se"},
			subject:  "SV: [#1044] Garantiärende servicetagg 7XK9P13",
			class:    ClassPersonal,
			language: "sv",
			serials:  []string{"7XK9P13"},
			fault:    FaultHardware,
			textHas:  []string{"Ärendenummer: RMA-2026-0412"}, noProblems: true,
		},
		{
			file:     "html_only_en.eml",
			from:     Address{Name: "Lisa Brown", Email: "lisa.brown@kommun.se"},
			subject:  "Can't log in",
			class:    ClassPersonal,
			language: "en", serials: []string{},
			fault:       FaultAccount,
			textHas:     []string{"I can't log in to my account", "help page"},
			attachments: []string{"attachment-1.png"}, noProblems: true,
		},
		{
			file:     "iso8859_sv.eml",
			from:     Address{Name: "Björn Åkesson", Email: "bjorn.akesson@kommun.se"},
			subject:  "Lösenordet fungerar inte",
			class:    ClassPersonal,
			language: "sv", serials: []string{},
			fault:   FaultAccount,
			textHas: []string{"logga in – kontot är låst", "ÅÄÖ åäö"}, noProblems: true,
		},
		{
			file:     "attachment_sv_filename.eml",
			from:     Address{Name: "Sara Lind", Email: "sara.lind@kommun.se"},
			subject:  "Teams kraschar efter uppdateringen",
			class:    ClassPersonal,
			language: "sv", serials: []string{},
			fault:       FaultSoftware,
			attachments: []string{"skärmbild å.png", "fellögg.txt"}, noProblems: true,
		},
		{
			file:     "bounce_dsn.eml",
			from:     Address{Name: "Mail Delivery System", Email: "mailer-daemon@mx.kommun.se"},
			subject:  "Undelivered Mail Returned to Sender",
			class:    ClassBounce,
			language: "en", serials: []string{}, fault: FaultOther,
			attachments: []string{"attachment-1.txt", "attachment-2.txt"}, noProblems: true,
		},
		{
			file:     "mdn_read_receipt_sv.eml",
			from:     Address{Name: "Anna Svensson", Email: "anna.svensson@kommun.se"},
			subject:  "Läst: [#1042] Skärmen är sprucken",
			class:    ClassReport,
			language: "sv", serials: []string{}, fault: FaultHardware, noProblems: true,
		},
		{
			file:     "bulk_newsletter.eml",
			from:     Address{Name: "Leverantörsnytt", Email: "news@leverantor-exempel.se"},
			subject:  "Nyheter i april: nya bärbara datorer",
			class:    ClassBulk,
			language: "sv", serials: []string{}, fault: FaultOther, noProblems: true,
		},
		{
			file:     "undeclared_utf8.eml", // no MIME headers, raw UTF-8 stays UTF-8
			from:     Address{Name: "Örjan Nilsson", Email: "orjan@kommun.se"},
			subject:  "Fläkten låter väldigt högt",
			class:    ClassPersonal,
			language: "sv", serials: []string{},
			fault:   FaultHardware,
			textHas: []string{"fläkten i min dator låter"}, noProblems: true,
		},
		{
			file:     "undeclared_1252.eml", // no MIME headers, raw Windows-1252
			from:     Address{Name: "Ake", Email: "ake@kommun.se"},
			subject:  "Batteriet håller inte",
			class:    ClassPersonal,
			language: "sv", serials: []string{},
			fault:       FaultHardware,
			textHas:     []string{"skärmen – den är mörk"},
			problemsHas: []string{`header "Subject": raw 8-bit bytes`, "message body: text not valid"},
		},
		{
			file:     "garbage_no_headers.eml",
			class:    ClassPersonal,
			language: "en", serials: []string{}, fault: FaultOther,
			textHas:     []string{"this is not a mail at all"},
			problemsHas: []string{"message: no header section"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			p := parseFixture(t, tt.file)
			if p.From != tt.from {
				t.Errorf("From = %+v, want %+v", p.From, tt.from)
			}
			if p.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", p.Subject, tt.subject)
			}
			if p.Class != tt.class {
				t.Errorf("Class = %q (%s), want %q", p.Class, p.ClassReason, tt.class)
			}
			if p.Language != tt.language {
				t.Errorf("Language = %q, want %q", p.Language, tt.language)
			}
			if !slices.Equal(p.Serials, tt.serials) {
				t.Errorf("Serials = %q, want %q", p.Serials, tt.serials)
			}
			if p.Fault != tt.fault {
				t.Errorf("Fault = %q %q, want %q", p.Fault, p.FaultReason, tt.fault)
			}
			for _, want := range tt.textHas {
				if !strings.Contains(p.Text, want) {
					t.Errorf("Text lacks %q:\n%s", want, p.Text)
				}
			}
			var names []string
			for _, a := range p.Attachments {
				names = append(names, a.Filename)
			}
			if tt.attachments != nil && !slices.Equal(names, tt.attachments) {
				t.Errorf("attachments = %q, want %q", names, tt.attachments)
			}
			for _, want := range tt.problemsHas {
				if !slices.ContainsFunc(p.Problems, func(s string) bool { return strings.Contains(s, want) }) {
					t.Errorf("Problems %q lack %q", p.Problems, want)
				}
			}
			if tt.noProblems && len(p.Problems) > 0 {
				t.Errorf("unexpected problems: %q", p.Problems)
			}
		})
	}
}

func TestParseThreadingHeaders(t *testing.T) {
	p := parseFixture(t, "reseller_reply_rma.eml")
	if p.MessageID != "20260414114510.5521@mail.atea-exempel.se" {
		t.Errorf("MessageID = %q", p.MessageID)
	}
	if p.InReplyTo != "desk.out.1044.77aa@kommun.se" {
		t.Errorf("InReplyTo = %q", p.InReplyTo)
	}
	if want := []string{"desk.T1044.9f8e@kommun.se", "desk.out.1044.77aa@kommun.se"}; !slices.Equal(p.References, want) {
		t.Errorf("References = %q, want %q", p.References, want)
	}
	if want := time.Date(2026, 4, 14, 11, 45, 10, 0, time.UTC); p.Date == nil || !p.Date.Equal(want) || p.Date.Location() != time.UTC {
		t.Errorf("Date = %v, want %v UTC", p.Date, want)
	}
	if got := p.Headers["Thread-Index"]; got != nil {
		t.Errorf("unexpected Thread-Index %q", got)
	}
	if got := parseFixture(t, "outlook_sv_windows1252_qp.eml").Headers["Thread-Topic"]; len(got) != 1 || got[0] != "Skärmen är sprucken – behöver hjälp" {
		t.Errorf("Headers[Thread-Topic] = %q, want the decoded topic", got)
	}
}

func TestParseBounceDetails(t *testing.T) {
	p := parseFixture(t, "bounce_dsn.eml")
	want := Bounce{Status: "5.1.1", Recipient: "garanti@reseller-exempel.se", OriginalMessageID: "desk.out.1045.c0ffee@kommun.se"}
	if p.Bounce == nil || *p.Bounce != want {
		t.Errorf("Bounce = %+v, want %+v", p.Bounce, want)
	}
}

func TestParseInlineImage(t *testing.T) {
	p := parseFixture(t, "html_only_en.eml")
	if len(p.Attachments) != 1 {
		t.Fatalf("attachments = %+v", p.Attachments)
	}
	a := p.Attachments[0]
	if a.ContentID != "logo123@kommun.se" || !a.Inline || a.ContentType != "image/png" || a.Size != len(a.Data) || a.Size == 0 {
		t.Errorf("inline image = %+v", a)
	}
	// The key it is stored under, computed while parsing (intake's writer trusts it).
	if want := models.SHA256Hex(a.Data); a.SHA256 != want {
		t.Errorf("attachment SHA256 = %q, want %q", a.SHA256, want)
	}
	if !strings.Contains(p.HTML, `src="cid:logo123@kommun.se"`) {
		t.Errorf("HTML lost the cid: image: %s", p.HTML)
	}
	for _, banned := range []string{"<script", "onload", "onerror", "javascript:", "style=", "<style", "tracker.example"} {
		if strings.Contains(p.HTML, banned) {
			t.Errorf("HTML keeps %q: %s", banned, p.HTML)
		}
	}
	if strings.Contains(p.Text, "javascript") || strings.Contains(p.Text, "alert") {
		t.Errorf("Text made from unsanitised HTML: %q", p.Text)
	}
}

func TestParseEmpty(t *testing.T) {
	if _, err := Parse(nil); !errors.Is(err, ErrEmptyMessage) {
		t.Errorf("Parse(nil) error = %v, want ErrEmptyMessage", err)
	}
}

func TestParseFileEmpty(t *testing.T) {
	path := filepath.Join(t.TempDir(), "empty.eml")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := ParseFile(path, ClassifyOptions{})
	if err != nil {
		t.Fatalf("ParseFile(empty) error = %v, want a result", err)
	}
	if p.Class != ClassPersonal || len(p.Problems) != 1 || p.Problems[0] != "message: empty file" || p.To == nil {
		t.Errorf("ParseFile(empty) = class %q problems %q to %v", p.Class, p.Problems, p.To)
	}
}

func TestParseFileMissing(t *testing.T) {
	if _, err := ParseFile(filepath.Join(t.TempDir(), "none.eml"), ClassifyOptions{}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error = %v, want not exist", err)
	}
}

// TestParseBroken covers recoveries that each name the broken place in Problems.
func TestParseBroken(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		check   func(*Parsed) bool
		problem string
	}{
		{
			name:    "unparseable date",
			raw:     "From: a@example.com\r\nDate: yesterday-ish\r\nSubject: x\r\n\r\nbody",
			check:   func(p *Parsed) bool { return p.Date == nil },
			problem: `header "Date": unparseable "yesterday-ish"`,
		},
		{
			name: "nonstandard date",
			raw:  "From: a@example.com\r\nDate: Thu 29 Apr 2010 23:34:45 +0900\r\n\r\nbody",
			check: func(p *Parsed) bool {
				return p.Date != nil && p.Date.Equal(time.Date(2010, 4, 29, 14, 34, 45, 0, time.UTC))
			},
			problem: `header "Date": nonstandard`,
		},
		{
			name: "broken address list",
			raw:  "From: Big Bug bb@Bug.com\r\nTo: <a@x.se>, broken <<b@y.se>\r\n\r\nbody",
			check: func(p *Parsed) bool {
				return p.From.Email == "bb@bug.com" && len(p.To) == 2 && p.To[1].Email == "b@y.se"
			},
			problem: `header "From": unparseable address list`,
		},
		{
			name:    "unknown charset in encoded word",
			raw:     "From: a@example.com\r\nSubject: =?NONE?B?VEVTVA=?=\r\n\r\nbody",
			check:   func(p *Parsed) bool { return p.Subject == "TEST" },
			problem: `header "Subject": malformed encoded words`,
		},
		{
			name:    "multipart without boundary",
			raw:     "From: a@example.com\r\nContent-Type: multipart/mixed\r\n\r\nplain words",
			check:   func(p *Parsed) bool { return strings.Contains(p.Text, "plain words") },
			problem: "",
		},
		{
			name:    "bad base64 body",
			raw:     "From: a@example.com\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: base64\r\n\r\nSGVsbG8gd29ybGQ*&^%",
			check:   func(p *Parsed) bool { return strings.HasPrefix(p.Text, "Hello world") },
			problem: "Malformed Base64",
		},
		{
			name:    "deep nesting",
			raw:     deepMultipart(maxNesting + 5),
			check:   func(p *Parsed) bool { return p.From.Email == "a@example.com" && p.Text != "" },
			problem: "message: multipart nesting deeper than",
		},
		{
			name:  "byte order mark",
			raw:   "\xef\xbb\xbfFrom: a@example.com\r\nSubject: hi\r\n\r\nbody",
			check: func(p *Parsed) bool { return p.From.Email == "a@example.com" && p.Subject == "hi" },
		},
		{
			name:  "mbox From line",
			raw:   "From MAILER-DAEMON  Sat Oct  4 08:00:09 2025\nFrom: a@example.com\nSubject: hi\n\nbody",
			check: func(p *Parsed) bool { return p.From.Email == "a@example.com" && p.Subject == "hi" },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse([]byte(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			assertValidUTF8(t, p)
			if !tt.check(p) {
				t.Errorf("unexpected result: from=%+v to=%+v subject=%q date=%v text=%q", p.From, p.To, p.Subject, p.Date, p.Text)
			}
			if tt.problem != "" && !slices.ContainsFunc(p.Problems, func(s string) bool { return strings.Contains(s, tt.problem) }) {
				t.Errorf("Problems %q lack %q", p.Problems, tt.problem)
			}
		})
	}
}

func deepMultipart(depth int) string {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n")
	for i := 1; i <= depth; i++ {
		b.WriteString("--b" + strconv.Itoa(i-1) + "\r\nContent-Type: multipart/mixed; boundary=\"b" + strconv.Itoa(i) + "\"\r\n\r\n")
	}
	b.WriteString("--b" + strconv.Itoa(depth) + "\r\nContent-Type: text/plain\r\n\r\ndeep\r\n")
	return b.String()
}

func TestMultipartDepthCountsDistinctBoundaries(t *testing.T) {
	for _, tc := range []struct {
		name, raw string
		want      int
	}{
		{"no multipart", "Subject: hej\r\n\r\n1+1=2, a=b\r\n", 0},
		{"one", "Content-Type: multipart/mixed; boundary=\"abc\"\r\n\r\n--abc\r\n", 1},
		{"any case, same boundary", "Content-Type: multipart/mixed; BOUNDARY=abc\r\n\r\nContent-Type: multipart/alternative; Boundary=\"ABC\"\r\n", 1},
		{"nested", "Content-Type: multipart/mixed; boundary=outer\r\n\r\n--outer\r\nContent-Type: multipart/alternative;\r\n boundary=inner; charset=x\r\n", 2},
		{"at the very start", "=boundary=x", 1},
		{"Latin-1 bytes around", "Subject: \xe5\xe4\xf6\r\nContent-Type: multipart/mixed; boundary=\xe5b\r\n\r\nD\xe4r=3D", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := multipartDepth([]byte(tc.raw)); got != tc.want {
				t.Errorf("multipartDepth = %d; want %d", got, tc.want)
			}
		})
	}
}
