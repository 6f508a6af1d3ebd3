package models

// The list page's tickets read from SQLite as one packed text value: the
// driver (mattn/go-sqlite3) makes three or four cgo calls for every cell it
// returns and parses every datetime with time.ParseInLocation, which for the
// 50 rows × 29 columns of a list page cost three times what SQLite spends
// finding them. Packed, the page is two cells: the number of rows, and every
// column of every row separated by listSep, decoded here without reflection.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"
)

// listSep separates the packed columns (and rows). A text holding it makes
// more fields than rows × columns, and the page is read the driver's way.
const listSep = "\x1f"

// packedListColumn is one of listColumns for packedListSQL and what kind of
// value it holds.
type packedListColumn struct {
	expr string
	// 'i' integer ("" = NULL), 's' text (NULL = ""), 't' datetime ("" =
	// NULL, else "@" and the text), 'T' datetime that is never NULL (the text).
	kind byte
}

// packedListColumns are listColumns in their order, as unpackTicket reads
// them.
var packedListColumns = []packedListColumn{
	{"t.id", 'i'}, {"t.number", 'i'}, {"t.subject", 's'}, {"t.requester_id", 'i'}, {"t.status", 's'},
	{"t.priority", 's'}, {"t.category", 's'}, {"t.fault_matches", 's'}, {"t.language", 's'},
	{"t.asset_id", 'i'}, {"t.assignee_id", 'i'}, {"t.cc", 's'},
	{"t.sla_due_at", 't'}, {"t.resolved_at", 't'}, {"t.created_at", 'T'}, {"t.updated_at", 'T'}, {"t.sla_paused_at", 't'},
	{"r.email", 's'}, {"r.name", 's'}, {"r.department", 's'}, {"r.language", 's'},
	{"a.email", 's'}, {"a.name", 's'}, {"a.role", 's'},
	{"d.serial", 's'}, {"d.asset_tag", 's'}, {"d.model", 's'}, {"d.manufacturer", 's'}, {"d.vendor_id", 'i'},
}

// packedListSQL selects the tickets of an id list packed: concat leaves out
// NULL, so a NULL column is an empty field, and a datetime's "@" tells NULL
// from an empty text. The ids come as one JSON array, so that the statement
// is the same for every page and stays prepared (readRow); SQLite looks each
// one up by primary key.
var packedListSQL = packedSelect("") + ` FROM tickets t` + packedParties +
	` WHERE t.id IN (SELECT value FROM json_each(?))`

// packedSelect is the SELECT of packed rows: their number and every
// packedListColumns of every row, in the order orderBy ("" = any order).
func packedSelect(orderBy string) string {
	var b strings.Builder
	b.WriteString("SELECT count(*), group_concat(concat(")
	for i, c := range packedListColumns {
		if i > 0 {
			b.WriteString(", '" + listSep + "', ")
		}
		if c.kind == 't' {
			b.WriteString("'@' || ")
		}
		b.WriteString(c.expr)
	}
	b.WriteString("), '" + listSep + "'")
	if orderBy != "" {
		b.WriteString(" ORDER BY " + orderBy)
	}
	b.WriteString(")")
	return b.String()
}

// packedParties joins a ticket t to its requester, assignee and device.
const packedParties = `
		LEFT JOIN requesters r ON r.id = t.requester_id
		LEFT JOIN agents a ON a.id = t.assignee_id
		LEFT JOIN assets d ON d.id = t.asset_id`

// errPacked means a packed value is not one unpackTicket reads as the
// driver would.
var errPacked = errors.New("unexpected packed list value")

// packedTicketsWithParties is ticketsWithParties on SQLite, read packed. It
// returns the tickets in no particular order; ok is false when a value was
// not one it reads as the driver would (the caller then reads the page the
// driver's way).
func (s *Store) packedTicketsWithParties(ctx context.Context, ids []uint) (out []Ticket, ok bool, err error) {
	var (
		n      int
		packed *string
	)
	idList, err := json.Marshal(ids)
	if err != nil {
		return nil, false, fmt.Errorf("list tickets: %w", err)
	}
	if err := s.readRow(ctx, packedListSQL, string(idList)).Scan(&n, &packed); err != nil {
		return nil, false, fmt.Errorf("list tickets: %w", err)
	}
	out, ok = unpackTickets(n, packed)
	return out, ok, nil
}

// unpackTickets reads n packed rows (packedSelect's two values); ok is
// false when a value was not one unpackTicket reads as the driver would.
func unpackTickets(n int, packed *string) ([]Ticket, bool) {
	if n == 0 || packed == nil {
		return nil, true
	}
	if strings.Count(*packed, listSep) != n*len(packedListColumns)-1 {
		return nil, false // a text holds listSep
	}
	out := make([]Ticket, n)
	rest := *packed
	for i := range out {
		var err error
		if rest, err = unpackTicket(rest, &out[i]); err != nil {
			return nil, false
		}
	}
	return out, true
}

// unpackTicket reads one row of packedListColumns from p into t, as
// scanTicketsWithParties scans it, and returns the rest of p.
func unpackTicket(p string, t *Ticket) (string, error) {
	var f [29]string
	for i := range f {
		end := strings.IndexByte(p, listSep[0])
		if end < 0 {
			end = len(p)
			if i < len(f)-1 {
				return "", errPacked
			}
		}
		f[i] = p[:end]
		p = p[min(end+1, len(p)):]
	}
	var err error
	integer := func(i int) uint64 {
		n, e := strconv.ParseUint(f[i], 10, 64)
		if e != nil {
			err = errPacked
		}
		return n
	}
	optInteger := func(i int) *uint {
		if f[i] == "" {
			return nil
		}
		n := uint(integer(i))
		return &n
	}
	optTime := func(i int) *time.Time {
		if f[i] == "" {
			return nil
		}
		tm, ok := parseSQLiteTime(f[i][1:])
		if !ok {
			err = errPacked
		}
		return &tm
	}
	// A NOT NULL datetime: the driver would fail on NULL, and reads an empty
	// text as the zero time, which is left to it too.
	reqTime := func(i int) time.Time {
		tm, ok := parseSQLiteTime(f[i])
		if !ok {
			err = errPacked
		}
		return tm
	}
	t.ID, t.Number, t.Subject, t.RequesterID = uint(integer(0)), int64(integer(1)), f[2], uint(integer(3))
	t.Status, t.Priority, t.Category, t.FaultMatches, t.Language = f[4], f[5], f[6], f[7], f[8]
	t.AssetID, t.AssigneeID, t.Cc = optInteger(9), optInteger(10), f[11]
	t.SLADueAt, t.ResolvedAt = optTime(12), optTime(13)
	t.CreatedAt, t.UpdatedAt = reqTime(14), reqTime(15)
	t.SLAPausedAt = optTime(16)
	t.Requester = Requester{ID: t.RequesterID, Email: f[17], Name: f[18], Department: f[19], Language: f[20]}
	if t.AssigneeID != nil {
		t.Assignee = &Agent{ID: *t.AssigneeID, Email: f[21], Name: f[22], Role: f[23]}
	}
	if t.AssetID != nil {
		t.Asset = &Asset{ID: *t.AssetID, Serial: f[24], AssetTag: f[25], Model: f[26], Manufacturer: f[27], VendorID: optInteger(28)}
	}
	return p, err
}

// parseSQLiteTime reads a datetime text as the driver does (the timestamp
// formats it tries in order, UTC unless the text has an offset), the common
// case — what it writes for a UTC time — without time.ParseInLocation. ok
// is false when no format fits (the driver's zero time, or a number that
// was not text before packing).
func parseSQLiteTime(s string) (t time.Time, ok bool) {
	s = strings.TrimSuffix(s, "Z")
	if t, ok := parseUTCTimestamp(s); ok {
		return t, true
	}
	for _, layout := range sqlite3.SQLiteTimestampFormats {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseUTCTimestamp parses "2006-01-02 15:04:05.999999999+00:00" (the
// fraction optional, 1–9 digits).
func parseUTCTimestamp(s string) (time.Time, bool) {
	if len(s) < 25 || s[4] != '-' || s[7] != '-' || s[10] != ' ' || s[13] != ':' || s[16] != ':' ||
		!strings.HasSuffix(s, "+00:00") {
		return time.Time{}, false
	}
	num := func(from, to int) int {
		n := 0
		for _, c := range []byte(s[from:to]) {
			if c < '0' || c > '9' {
				return -1
			}
			n = n*10 + int(c-'0')
		}
		return n
	}
	year, month, day, hour, minute, sec := num(0, 4), num(5, 7), num(8, 10), num(11, 13), num(14, 16), num(17, 19)
	nsec := 0
	if frac := s[19 : len(s)-6]; frac != "" {
		if len(frac) < 2 || len(frac) > 10 || frac[0] != '.' {
			return time.Time{}, false
		}
		if nsec = num(20, 19+len(frac)); nsec < 0 {
			return time.Time{}, false
		}
		for range 10 - len(frac) {
			nsec *= 10
		}
	}
	// Out-of-range fields are left to time.Parse, which rejects them
	// (time.Date would normalise them instead).
	if year < 0 || month < 1 || month > 12 || day < 1 || day > 28 && day > daysIn(month, year) ||
		hour < 0 || hour > 23 || minute < 0 || minute > 59 || sec < 0 || sec > 59 {
		return time.Time{}, false
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

// daysIn is the number of days of month in year.
func daysIn(month, year int) int {
	return time.Date(year, time.Month(month)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
