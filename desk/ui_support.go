package desk

// What the web UI needs from the domain beyond the agent actions: the mail
// HTML of one message made safe to show, and the asset form's rules.

import (
	"context"
	"net/url"
	"strings"

	"golang.org/x/net/html"

	"warrantydesk/mailin"
	"warrantydesk/models"
)

// InlineImageTypes are the attachment types a browser may show inline (in a
// mail's formatted view); anything else is only ever downloaded.
var InlineImageTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp"}

// IsInlineImage reports whether contentType (parameters allowed) is one of
// InlineImageTypes.
func IsInlineImage(contentType string) bool {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	for _, t := range InlineImageTypes {
		if mt == t {
			return true
		}
	}
	return false
}

// MessageHTML returns the HTML body of message id on ticket number, ready to
// show in a sandboxed frame: sanitised once more (intake sanitised it, but a
// policy fix should reach mail stored before it), and every cid: image URL
// that names an image attachment of the same message replaced by
// inlineURL(attachment ID). cid: URLs naming nothing are removed, so the
// browser never tries them. ErrNotFound when the message is not on that
// ticket or has no HTML.
func (s *Service) MessageHTML(ctx context.Context, number int64, id uint, inlineURL func(attachmentID uint) string) (string, error) {
	t, err := s.store.TicketByNumber(ctx, number)
	if err != nil {
		return "", err
	}
	msgs, err := s.store.Messages(ctx, t.ID)
	if err != nil {
		return "", err
	}
	for i := range msgs {
		m := &msgs[i]
		if m.ID != id {
			continue
		}
		if strings.TrimSpace(m.HTML) == "" {
			return "", ErrNotFound
		}
		images := map[string]uint{} // normalised Content-ID → attachment
		for _, a := range m.Attachments {
			if cid := normalizeContentID(a.ContentID); cid != "" && IsInlineImage(a.ContentType) {
				if _, dup := images[cid]; !dup {
					images[cid] = a.ID
				}
			}
		}
		return rewriteCIDs(mailin.SanitizeHTML(m.HTML), func(cid string) string {
			if aid, ok := images[normalizeContentID(cid)]; ok {
				return inlineURL(aid)
			}
			return ""
		}), nil
	}
	return "", ErrNotFound
}

// normalizeContentID makes a Content-ID header value and a cid: URL
// comparable: a cid: URL is the URL-encoded Content-ID without its angle
// brackets (RFC 2392 §2); case is ignored since clients disagree on it.
func normalizeContentID(s string) string {
	s = strings.TrimSpace(s)
	if u, err := url.PathUnescape(s); err == nil {
		s = u
	}
	return strings.ToLower(strings.Trim(strings.TrimSpace(s), "<>"))
}

// rewriteCIDs replaces the src of every <img src="cid:…"> in (sanitised)
// HTML by resolve(content-id); when resolve returns "" the src is dropped.
// Everything else is copied byte for byte.
func rewriteCIDs(doc string, resolve func(cid string) string) string {
	if !strings.Contains(strings.ToLower(doc), "cid:") {
		return doc
	}
	z := html.NewTokenizer(strings.NewReader(doc))
	var out strings.Builder
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return out.String() // io.EOF: a strings.Reader fails no other way
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			out.Write(z.Raw())
			continue
		}
		raw := append([]byte(nil), z.Raw()...)
		tok := z.Token()
		if tok.Data != "img" {
			out.Write(raw)
			continue
		}
		attrs := tok.Attr[:0]
		for _, a := range tok.Attr {
			if a.Key == "src" && len(a.Val) >= 4 && strings.EqualFold(a.Val[:4], "cid:") {
				if a.Val = resolve(a.Val[4:]); a.Val == "" {
					continue
				}
			}
			attrs = append(attrs, a)
		}
		tok.Attr = attrs
		out.WriteString(tok.String())
	}
}

// SetTicketAsset is the ticket page's asset form: link the asset with this
// serial, or unlink the current one when unlink is set. A serial that is
// empty once normalised is a mistake, not a request to unlink.
func (s *Service) SetTicketAsset(ctx context.Context, actor *models.Agent, number int64, serial string, unlink bool) error {
	if unlink {
		return s.LinkAsset(ctx, actor, number, "")
	}
	if mailin.NormalizeSerial(serial) == "" {
		return invalid("serial", "error.serial_required")
	}
	return s.LinkAsset(ctx, actor, number, serial)
}
