package mailin

import (
	"fmt"
	"io"
	"mime"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
)

// lookupCharset returns the decoder for a MIME charset label. ISO-8859-1, Latin-1 and US-ASCII are read as
// Windows-1252 (the WHATWG rule): mail that declares them routinely carries Windows-1252 bytes such as
// curly quotes and dashes in 0x80–0x9F.
func lookupCharset(label string) (encoding.Encoding, error) {
	label = strings.ToLower(strings.Trim(label, "\"' \t"))
	if isLatin1Label(label) || isASCIILabel(label) {
		return charmap.Windows1252, nil
	}
	if enc, err := htmlindex.Get(label); err == nil {
		return enc, nil
	}
	enc, err := ianaindex.MIME.Encoding(label)
	if err != nil || enc == nil {
		return nil, fmt.Errorf("unknown charset %q", label)
	}
	return enc, nil
}

func isLatin1Label(label string) bool {
	switch label {
	case "iso-8859-1", "iso8859-1", "iso_8859-1", "iso88591", "iso_8859-1:1987", "latin1", "latin-1", "l1",
		"cp819", "ibm819", "csisolatin1", "iso-ir-100", "8859-1", "8859_1", "we8iso8859p1":
		return true
	}
	return false
}

func isASCIILabel(label string) bool {
	switch label {
	case "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "csascii":
		return true
	}
	return false
}

// decodeCharset converts b from the named charset to UTF-8.
func decodeCharset(label string, b []byte) (string, error) {
	enc, err := lookupCharset(label)
	if err != nil {
		return "", err
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", fmt.Errorf("decode %s: %w", label, err)
	}
	return string(out), nil
}

// fromWindows1252 decodes b as Windows-1252, which maps every byte to a rune and so cannot fail; it is the
// fallback for 8-bit text that is not valid UTF-8.
func fromWindows1252(b []byte) string {
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return strings.ToValidUTF8(string(b), "\uFFFD")
	}
	return string(out)
}

// utf8OrWindows1252 keeps s when it is valid UTF-8 and otherwise decodes it as Windows-1252. The bool
// reports whether s had to be decoded.
func utf8OrWindows1252(s string) (string, bool) {
	if utf8.ValidString(s) {
		return s, false
	}
	return fromWindows1252([]byte(s)), true
}

// c1ToWindows1252 replaces C1 control characters (U+0080–U+009F) with the Windows-1252 characters of the
// same byte: Go's RFC 2047 decoder reads ISO-8859-1 words itself, bypassing lookupCharset, and senders
// that label Windows-1252 text ISO-8859-1 put dashes and quotes there.
func c1ToWindows1252(s string) string {
	if !strings.ContainsFunc(s, isC1) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if !isC1(r) {
			return r
		}
		if decoded := charmap.Windows1252.DecodeByte(byte(r)); decoded != utf8.RuneError {
			return decoded
		}
		return r
	}, s)
}

func isC1(r rune) bool { return r >= 0x80 && r <= 0x9f }

// wordDecoder decodes RFC 2047 encoded words with lookupCharset, so Latin-1 words get Windows-1252.
var wordDecoder = &mime.WordDecoder{CharsetReader: func(label string, input io.Reader) (io.Reader, error) {
	enc, err := lookupCharset(label)
	if err != nil {
		return nil, err
	}
	return enc.NewDecoder().Reader(input), nil
}}

// rfc2231Param matches one RFC 2231 extended parameter: name*=charset'lang'value, name*0*=..., name*1=...
var rfc2231Param = regexp.MustCompile(`(?i)(?:^|[;\s])(filename|name)\*(\d*)(\*?)\s*=\s*("[^"]*"|[^;\s]*)`)

// decodeRFC2231 assembles the RFC 2231 (section 3 and 4) value of parameter key from a raw Content-Type
// or Content-Disposition value, decoding its charset with lookupCharset. Go's mime package drops such
// parameters when the charset is anything but UTF-8 or US-ASCII.
func decodeRFC2231(raw, key string) (string, bool) {
	type piece struct {
		index   int
		encoded bool
		value   string
	}
	var pieces []piece
	for _, m := range rfc2231Param.FindAllStringSubmatch(raw, -1) {
		if !strings.EqualFold(m[1], key) {
			continue
		}
		index := 0
		if m[2] != "" {
			n, err := strconv.Atoi(m[2])
			if err != nil || n > 1000 {
				continue
			}
			index = n
		}
		pieces = append(pieces, piece{index: index, encoded: m[2] == "" || m[3] == "*", value: strings.Trim(m[4], `"`)})
	}
	if len(pieces) == 0 {
		return "", false
	}
	sort.SliceStable(pieces, func(i, j int) bool { return pieces[i].index < pieces[j].index })
	charset := "utf-8"
	var b []byte
	for i, pc := range pieces {
		v := pc.value
		if i == 0 && pc.encoded {
			if parts := strings.SplitN(v, "'", 3); len(parts) == 3 {
				if parts[0] != "" {
					charset = parts[0]
				}
				v = parts[2]
			}
		}
		if pc.encoded {
			if unescaped, err := url.PathUnescape(v); err == nil {
				v = unescaped
			}
		}
		b = append(b, v...)
	}
	s, err := decodeCharset(charset, b)
	if err != nil {
		s, _ = utf8OrWindows1252(string(b))
	}
	return s, s != ""
}
