package desk

import (
	"regexp"
	"strconv"
	"strings"
)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

var (
	// tagRe finds our [#1234] ticket tag in a subject.
	tagRe = regexp.MustCompile(`\[#(\d{1,12})\]`)
	// prefixRe matches reply and forward prefixes in Swedish and English mail clients.
	prefixRe = regexp.MustCompile(`(?i)^((re|sv|vs|fw|fwd|vb|vidarebefordra|aw|wg|tr)\s*(\[\d+\])?\s*:\s*)+`)
	// plusTicketRe finds the ticket number in a desk+T1234@ plus address.
	plusTicketRe = regexp.MustCompile(`(?i)^[^@+]+\+t(\d{1,12})@`)
)

// cleanSubject removes reply/forward prefixes and our tag from a subject.
func cleanSubject(s string) string {
	s = strings.TrimSpace(s)
	for {
		prev := s
		s = strings.TrimSpace(tagRe.ReplaceAllString(s, ""))
		s = strings.TrimSpace(prefixRe.ReplaceAllString(s, ""))
		if s == prev {
			return s
		}
	}
}

// subjectTag returns the ticket number of a [#N] tag in subject, or 0.
func subjectTag(subject string) int64 {
	m := tagRe.FindStringSubmatch(subject)
	if m == nil {
		return 0
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// joinAddrs joins emails with ", ".
func joinAddrs(emails []string) string { return strings.Join(emails, ", ") }

// splitAddrs splits a stored comma-separated address list.
func splitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, strings.ToLower(a))
		}
	}
	return out
}
