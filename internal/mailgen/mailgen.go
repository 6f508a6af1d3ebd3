// Package mailgen generates realistic staff mail for benchmarks and load
// tests: Swedish and English, plain text, HTML, Latin-1, Outlook and phone
// styles, some with attachments, some replies to earlier mails, ~13 KB on
// average like a real helpdesk mailbox.
package mailgen

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"mime"
	"mime/quotedprintable"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// Mail is one generated mail.
type Mail struct {
	Raw       []byte
	MessageID string
	Reply     bool // a reply (In-Reply-To) to an earlier generated mail
	Automatic bool
}

var (
	svSubjects = []string{"Skärmen är sprucken", "Batteriet laddar inte", "Datorn startar inte", "Teams kraschar",
		"Glömt lösenordet", "Tangentbordet fungerar inte", "Fläkten låter väldigt mycket", "Kan inte skriva ut",
		"Laddaren är trasig", "Outlook öppnas inte", "Kontot är låst", "Pekplattan hoppar"}
	enSubjects = []string{"Screen is cracked", "Battery not charging", "Laptop will not boot", "Teams keeps crashing",
		"Forgot my password", "Keyboard keys broken", "Fan very loud", "Cannot print", "Charger broken",
		"Account locked", "Touchpad jumping"}
	svBody = "Hej!\n\nJag har problem med min dator sedan i morse. %s. Jag har provat att starta om den flera gånger " +
		"men det hjälper inte. Det här påverkar mitt arbete med eleverna på förmiddagarna och jag skulle behöva " +
		"hjälp så snart som möjligt. Datorn står i klassrummet på andra våningen.\n\nSerienummer: %s\n\n" +
		"Med vänliga hälsningar\n%s\nLärare, Norrskolan\n"
	enBody = "Hello,\n\nI have a problem with my computer since this morning. %s. I have tried restarting it several " +
		"times but it does not help. This affects my work with the residents in the mornings and I would need " +
		"help as soon as possible. The laptop is in the nurses' office.\n\nSerial number: %s\n\nBest regards,\n%s\n"
	names   = []string{"Anna Lindqvist", "Göran Ekström", "Sarah Johnson", "Lars Nilsson", "Maria Svensson", "Åsa Öberg", "Tom Baker", "Helen Carter"}
	filler  = "Tidigare i konversationen skrev vi om samma sak, och här följer den tidigare historiken för sammanhanget. "
	serials = []string{"PF3KX2A1", "5CG2341XYZ", "7XK9P13", "PC1M8QWE", "5CD1187KLM"}
)

// Generate returns n mails, deterministic for a seed.
func Generate(n int, seed uint64) []Mail {
	rng := rand.New(rand.NewPCG(seed, 42))
	out := make([]Mail, 0, n)
	base := time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC)
	for i := range n {
		sv := rng.IntN(100) < 55
		name := names[rng.IntN(len(names))]
		email := strings.ToLower(strings.NewReplacer(" ", ".", "ö", "o", "å", "a", "ä", "a", "Å", "a", "Ö", "o").Replace(name)) +
			fmt.Sprintf("%d@kommun.example", rng.IntN(300))
		subject, body := "", ""
		if sv {
			subject = svSubjects[rng.IntN(len(svSubjects))]
			body = fmt.Sprintf(svBody, subject, serials[rng.IntN(len(serials))], name)
		} else {
			subject = enSubjects[rng.IntN(len(enSubjects))]
			body = fmt.Sprintf(enBody, subject, serials[rng.IntN(len(serials))], name)
		}
		// Quoted history brings the average towards real mail sizes.
		body += "\n> " + strings.Repeat(filler, 35+rng.IntN(70))
		m := Mail{MessageID: fmt.Sprintf("gen-%d-%d@kommun.example", seed, i)}
		var b bytes.Buffer
		fmt.Fprintf(&b, "From: %s <%s>\r\nTo: IT-helpdesk <helpdesk@kommun.example>\r\n", mime.QEncoding.Encode("utf-8", name), email)
		fmt.Fprintf(&b, "Date: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n", base.Add(time.Duration(i)*time.Second).Format(time.RFC1123Z), m.MessageID)
		kind := rng.IntN(100)
		if i > 10 && kind >= 90 {
			// A reply to an earlier mail (threads by References).
			earlier := out[rng.IntN(len(out))]
			m.Reply = true
			subject = "SV: " + subject
			fmt.Fprintf(&b, "In-Reply-To: <%s>\r\nReferences: <%s>\r\n", earlier.MessageID, earlier.MessageID)
		}
		switch {
		case kind < 5:
			m.Automatic = true
			fmt.Fprintf(&b, "Subject: %s\r\nAuto-Submitted: auto-replied\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n", mime.QEncoding.Encode("utf-8", "Automatiskt svar: "+subject))
			b.WriteString(crlf(body))
		case kind < 35:
			writeSubject(&b, subject)
			b.WriteString("Content-Type: text/plain; charset=\"iso-8859-1\"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
			latin, _ := charmap.Windows1252.NewEncoder().String(crlf(body))
			qp := quotedprintable.NewWriter(&b)
			_, _ = qp.Write([]byte(latin))
			_ = qp.Close()
		case kind < 70:
			writeSubject(&b, subject)
			b.WriteString("Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n--alt\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
			b.WriteString(crlf(body))
			b.WriteString("\r\n--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n<html><body><div>")
			b.WriteString(strings.ReplaceAll(crlf(body), "\r\n", "<br>\r\n"))
			b.WriteString("</div></body></html>\r\n--alt--\r\n")
		default:
			writeSubject(&b, subject)
			b.WriteString("Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
			b.WriteString(crlf(body))
			img := make([]byte, 2000+rng.IntN(6000))
			for j := range img {
				img[j] = byte(rng.IntN(256))
			}
			b.WriteString("\r\n--mix\r\nContent-Type: image/jpeg\r\nContent-Disposition: attachment; filename*=utf-8''sk%C3%A4rmbild.jpg\r\nContent-Transfer-Encoding: base64\r\n\r\n")
			enc := base64.StdEncoding.EncodeToString(img)
			for len(enc) > 76 {
				b.WriteString(enc[:76] + "\r\n")
				enc = enc[76:]
			}
			b.WriteString(enc + "\r\n--mix--\r\n")
		}
		m.Raw = b.Bytes()
		out = append(out, m)
	}
	return out
}

func writeSubject(b *bytes.Buffer, subject string) {
	fmt.Fprintf(b, "Subject: %s\r\n", mime.QEncoding.Encode("utf-8", subject))
}

func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }
