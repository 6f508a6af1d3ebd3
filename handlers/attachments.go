package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// safeContentTypes are the stored attachment types served as themselves;
// any other type (text/html, image/svg+xml, …) is served as
// application/octet-stream, so a mail can never put a page on our origin.
var safeContentTypes = []string{"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "text/plain"}

// attachmentCSP applies to a file opened in a tab: nothing it contains may
// load or run anything.
const attachmentCSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"

// mailHTMLCSP is the policy of a mail's formatted view: inline styles and
// images from our own inline-attachment route only (no remote images, which
// would tell the sender the mail was read), no script, no forms, no plugins.
// The document is sandboxed even when opened outside its iframe; links open
// in a new tab that leaves the sandbox.
const mailHTMLCSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; " +
	"frame-ancestors 'self'; base-uri 'none'; form-action 'none'; sandbox allow-popups allow-popups-to-escape-sandbox"

// attachmentURL is where attachment id of ticket number is downloaded.
func attachmentURL(number int64, id uint) string {
	return ticketURL(number) + "/attachments/" + strconv.FormatUint(uint64(id), 10)
}

// inlineURL is where an image attachment is shown inline (cid: images).
func inlineURL(number int64, id uint) string { return attachmentURL(number, id) + "/inline" }

// inlineURLTTL is how long a signed inline-image URL works. The formatted
// view is fetched when an agent opens it, and its pictures right after.
const inlineURLTTL = 15 * time.Minute

// signedInlineURL is inlineURL with an expiry and a signature, for pictures
// in a mail's formatted view. That view runs in a sandbox with an opaque
// origin, so the browser sends its requests without our SameSite session
// cookie; the signature stands in for the session, for this one picture
// and a short while.
func (h *handler) signedInlineURL(number int64, id uint, now time.Time) string {
	exp := strconv.FormatInt(now.Add(inlineURLTTL).Unix(), 10)
	return inlineURL(number, id) + "?exp=" + exp + "&sig=" + h.inlineSignature(number, id, exp)
}

func (h *handler) inlineSignature(number int64, id uint, exp string) string {
	mac := hmac.New(sha256.New, h.urlKey)
	fmt.Fprintf(mac, "inline\x00%d\x00%d\x00%s", number, id, exp)
	return hex.EncodeToString(mac.Sum(nil)[:16])
}

// signedOrAgent lets a request with a valid, unexpired inline-image
// signature through; every other request needs a logged-in agent.
func (h *handler) signedOrAgent(next echo.HandlerFunc) echo.HandlerFunc {
	agent := h.requireAgent(next)
	return func(c echo.Context) error {
		exp, sig := c.QueryParam("exp"), c.QueryParam("sig")
		if sig == "" || agentOf(c) != nil {
			return agent(c)
		}
		number, err1 := ticketNumber(c)
		id, err2 := idParam(c, "id")
		expAt, err3 := strconv.ParseInt(exp, 10, 64)
		if err1 != nil || err2 != nil || err3 != nil || time.Now().Unix() > expAt ||
			!hmac.Equal([]byte(sig), []byte(h.inlineSignature(number, id, exp))) {
			return agent(c)
		}
		return next(c)
	}
}

// messageHTMLURL is the formatted view of message id of ticket number.
func messageHTMLURL(number int64, id uint) string {
	return ticketURL(number) + "/messages/" + strconv.FormatUint(uint64(id), 10) + "/html"
}

// idParam reads a positive numeric path parameter; anything else is a 400.
func idParam(c echo.Context, name string) (uint, error) {
	id, err := strconv.ParseUint(c.Param(name), 10, 32)
	if err != nil || id == 0 {
		return 0, echo.NewHTTPError(http.StatusBadRequest, "bad "+name)
	}
	return uint(id), nil
}

// attachment downloads a file of a message of the ticket.
func (h *handler) attachment(c echo.Context) error {
	return h.serveAttachment(c, "attachment")
}

// attachmentInline shows an image attachment inline; other types are 404,
// so the route can never render a document.
func (h *handler) attachmentInline(c echo.Context) error {
	return h.serveAttachment(c, "inline")
}

func (h *handler) serveAttachment(c echo.Context, disposition string) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	a, data, err := h.Desk.Attachment(c.Request().Context(), number, id)
	if err != nil {
		return err
	}
	if disposition == "inline" && !desk.IsInlineImage(a.ContentType) {
		return echo.ErrNotFound
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderContentDisposition, contentDisposition(disposition, a.Filename))
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", attachmentCSP)
	hd.Set(echo.HeaderCacheControl, "private, no-store")
	return c.Blob(http.StatusOK, servedContentType(a), data)
}

// servedContentType is the stored type when it is on the allow-list, else
// application/octet-stream. text/plain keeps a well-formed charset.
func servedContentType(a *models.Attachment) string {
	mt, params, err := mime.ParseMediaType(a.ContentType)
	if err != nil {
		return "application/octet-stream"
	}
	for _, t := range safeContentTypes {
		if mt != t {
			continue
		}
		if cs := params["charset"]; mt == "text/plain" && cs != "" && isToken(cs) {
			return mime.FormatMediaType(mt, map[string]string{"charset": cs})
		}
		return mt
	}
	return "application/octet-stream"
}

// isToken reports whether s is a short charset name (letters, digits, - _ . :).
func isToken(s string) bool {
	if len(s) > 40 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:", r)) {
			return false
		}
	}
	return true
}

// contentDisposition builds the header for a file name from a mail: an ASCII
// fallback in filename= for old clients and the exact UTF-8 name in
// filename*= (RFC 6266 §4.3, RFC 8187 encoding).
func contentDisposition(disposition, name string) string {
	name = cleanFilename(name)
	return disposition + `; filename="` + asciiFilename(name) + `"; filename*=UTF-8''` + encodeRFC8187(name)
}

// cleanFilename drops what must never reach a file system or a header:
// path separators, control characters and invalid UTF-8.
func cleanFilename(name string) string {
	name = strings.ToValidUTF8(name, "_")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	name = strings.Trim(strings.TrimSpace(name), ".")
	if name == "" {
		return "attachment"
	}
	if utf8.RuneCountInString(name) > 200 {
		name = string([]rune(name)[:200])
	}
	return name
}

// asciiFilename replaces everything but printable ASCII (and the quote and
// backslash, which would end or escape the quoted string) with "_".
func asciiFilename(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '%' {
			return '_'
		}
		return r
	}, name)
}

// encodeRFC8187 percent-encodes every byte that is not an attr-char
// (RFC 8187 §3.2.1).
func encodeRFC8187(s string) string {
	const attrChars = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(attrChars, c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// messageHTML serves a mail's sanitised HTML as its own document for the
// sandboxed iframe of the ticket page, under its own strict policy.
func (h *handler) messageHTML(c echo.Context) error {
	number, err := ticketNumber(c)
	if err != nil {
		return err
	}
	id, err := idParam(c, "id")
	if err != nil {
		return err
	}
	now := time.Now()
	body, err := h.Desk.MessageHTML(c.Request().Context(), number, id,
		func(aid uint) string { return h.signedInlineURL(number, aid, now) })
	if err != nil {
		return err
	}
	hd := c.Response().Header()
	hd.Set("Content-Security-Policy", mailHTMLCSP)
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set(echo.HeaderCacheControl, "private, no-store")
	return c.HTMLBlob(http.StatusOK, []byte(mailDocumentHead+body+mailDocumentTail))
}

// The frame document around a mail body. Its one style rule is allowed by
// the frame's own policy (style-src 'unsafe-inline'), not by our pages'.
const (
	mailDocumentHead = `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">` +
		`<style>body{margin:.5rem;font:15px/1.45 system-ui,sans-serif;color:#1b1f24;background:#fff;overflow-wrap:anywhere}` +
		`img{max-width:100%;height:auto}table{max-width:100%}</style></head><body>`
	mailDocumentTail = `</body></html>`
)
