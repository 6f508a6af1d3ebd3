package mailin

import (
	"bufio"
	"bytes"
	"fmt"
	"html"
	"strings"
	"unicode"

	"github.com/inbucket/html2text"
	"github.com/jhillyerd/enmime/v2"
	"github.com/microcosm-cc/bluemonday"

	"warrantydesk/models"
)

// collectAttachments gathers every non-body part enmime found: attachments, inline parts and other
// parts (embedded messages, report parts, related images), each once.
func (p *Parsed) collectAttachments(env *enmime.Envelope) {
	seen := map[*enmime.Part]bool{}
	for _, list := range [][]*enmime.Part{env.Attachments, env.Inlines, env.OtherParts} {
		for _, part := range list {
			if seen[part] || isBodyPart(part) {
				continue
			}
			seen[part] = true
			p.Attachments = append(p.Attachments, p.attachment(part, len(p.Attachments)+1))
		}
	}
}

// isBodyPart reports whether part is a text body enmime listed as inline (Apple Mail marks its text
// bodies Content-Disposition: inline) rather than a file.
func isBodyPart(part *enmime.Part) bool {
	if part.ContentType != "text/plain" && part.ContentType != "text/html" {
		return false
	}
	return part.FileName == "" && part.Disposition != "attachment"
}

func (p *Parsed) attachment(part *enmime.Part, n int) Attachment {
	contentType := part.ContentType
	if contentType == "" {
		contentType = "application/octet-stream"
	}
	name := p.attachmentName(part)
	if name == "" {
		if contentType == "message/rfc822" {
			name = safeFilename(embeddedSubject(part.Content))
			if name != "" {
				name += ".eml"
			}
		}
		if name == "" {
			name = fmt.Sprintf("attachment-%d%s", n, extensionFor(contentType))
		}
	}
	return Attachment{
		Filename:    name,
		ContentType: contentType,
		Size:        len(part.Content),
		ContentID:   strings.Trim(strings.TrimSpace(part.ContentID), "<>"),
		Inline:      part.Disposition == "inline" || part.Disposition == "" && part.ContentID != "",
		Data:        part.Content,
		SHA256:      models.SHA256Hex(part.Content),
	}
}

// attachmentName returns the part's decoded file name reduced to a safe base name.
func (p *Parsed) attachmentName(part *enmime.Part) string {
	name := part.FileName
	if fixed, bad := utf8OrWindows1252(name); bad {
		p.addProblem("%s: file name not UTF-8, read as Windows-1252", partPlace(part))
		name = fixed
	}
	if strings.Contains(name, "=?") {
		name = p.decodeHeader("Content-Disposition", name)
	}
	return safeFilename(c1ToWindows1252(name))
}

// safeFilename strips directories and characters that are unsafe in file names, and caps the length.
func safeFilename(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), strings.ContainsRune(`:*?"<>|`, r):
			return '_'
		}
		return r
	}, name)
	name = strings.TrimSpace(collapseSpace(name))
	if runes := []rune(name); len(runes) > 120 {
		name = string(runes[:120])
	}
	if strings.Trim(name, ". _") == "" {
		return ""
	}
	return name
}

// embeddedSubject returns the decoded Subject of an embedded message.
func embeddedSubject(raw []byte) string {
	var collector headerErrors
	h, err := enmime.ReadHeader(bufio.NewReader(bytes.NewReader(raw)), &collector)
	if err != nil || h == nil {
		return ""
	}
	scratch := &Parsed{Headers: map[string][]string{}}
	return scratch.decodeHeader("Subject", h.Get("Subject"))
}

// extensionFor gives a generated file name a useful extension. The table is built in rather than read
// from the system's mime.types, so names do not differ between machines.
func extensionFor(contentType string) string {
	switch contentType {
	case "message/rfc822":
		return ".eml"
	case "message/delivery-status", "message/global-delivery-status", "message/disposition-notification",
		"message/feedback-report", "text/rfc822-headers", "text/plain":
		return ".txt"
	case "text/html":
		return ".html"
	case "text/calendar":
		return ".ics"
	case "image/png":
		return ".png"
	case "image/jpeg":
		return ".jpg"
	case "image/gif":
		return ".gif"
	case "application/pdf":
		return ".pdf"
	case "application/ms-tnef", "application/vnd.ms-tnef":
		return ".dat"
	}
	return ".bin"
}

var stripAllTags = bluemonday.StrictPolicy()

// htmlToText renders HTML as plain text; if the converter fails, tags are dropped and entities decoded.
func (p *Parsed) htmlToText(h string) string {
	text, err := html2text.FromString(h)
	if err != nil {
		p.addProblem("message body: HTML to text conversion failed (%v); tags stripped instead", err)
		return strings.TrimSpace(html.UnescapeString(stripAllTags.Sanitize(h)))
	}
	return text
}
