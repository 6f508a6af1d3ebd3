package reports

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Kind says how a Cell's value is shown.
type Kind int

// Cell kinds.
const (
	KindText    Kind = iota // Text, or the translation of Key
	KindInt                 // a count
	KindDec                 // one decimal (days, rates)
	KindPercent             // one decimal and "%"
	KindMoney               // whole units and Unit (the currency)
	KindKg                  // whole kilograms
	KindDate                // Time as YYYY-MM-DD in the desk's zone
	KindNone                // no value: "–"
)

// Cell is one value of a table or figure, language-neutral.
type Cell struct {
	Kind  Kind
	Text  string // raw text (model names, serials: never translated)
	Key   string // a catalog key to show instead of Text
	Value float64
	Unit  string // KindMoney: the currency
	Time  time.Time
	URL   string // a local link, "" for none
}

// Text cells and numbers.
func text(s string) Cell           { return Cell{Kind: KindText, Text: s} }
func key(k string) Cell            { return Cell{Kind: KindText, Key: k} }
func num(n int) Cell               { return Cell{Kind: KindInt, Value: float64(n)} }
func dec(v float64) Cell           { return Cell{Kind: KindDec, Value: v} }
func pct(v float64) Cell           { return Cell{Kind: KindPercent, Value: v} }
func money(n int, cur string) Cell { return Cell{Kind: KindMoney, Value: float64(n), Unit: cur} }
func kg(v float64) Cell            { return Cell{Kind: KindKg, Value: v} }
func date(t time.Time) Cell        { return Cell{Kind: KindDate, Time: t} }
func none() Cell                   { return Cell{Kind: KindNone} }

// decOr is dec(v), or no value when !ok.
func decOr(v float64, ok bool) Cell {
	if !ok {
		return none()
	}
	return dec(v)
}

// Localizer shows language-neutral report values in one language.
type Localizer struct {
	Lang string
	Loc  *time.Location
	// T translates a catalog key (templates.Catalog.T bound to Lang).
	T func(key string, args ...any) string
}

// Label is the translation of key when set, else text.
func (l Localizer) Label(text, key string) string {
	if key != "" {
		return l.T(key)
	}
	return text
}

// Format shows c for a page: numbers grouped by thousands, with a decimal
// comma in Swedish ("1 234,5"), a decimal point in English ("1,234.5").
func (l Localizer) Format(c Cell) string {
	switch c.Kind {
	case KindInt:
		return l.number(c.Value, 0)
	case KindDec:
		return l.number(c.Value, 1)
	case KindPercent:
		return l.number(c.Value, 1) + "\u00a0%"
	case KindMoney:
		return strings.TrimSpace(l.number(c.Value, 0) + "\u00a0" + c.Unit)
	case KindKg:
		return l.number(c.Value, 0) + "\u00a0kg"
	case KindDate:
		if c.Time.IsZero() {
			return "–"
		}
		return c.Time.In(l.loc()).Format("2006-01-02")
	case KindNone:
		return "–"
	}
	return l.Label(c.Text, c.Key)
}

func (l Localizer) loc() *time.Location {
	if l.Loc == nil {
		return time.UTC
	}
	return l.Loc
}

// number formats v with decimals places in l's language.
func (l Localizer) number(v float64, decimals int) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', decimals, 64)
	whole, frac, _ := strings.Cut(s, ".")
	group, point := ",", "."
	if l.Lang == "sv" {
		group, point = "\u00a0", ","
	}
	var b strings.Builder
	if v < 0 && strings.Trim(s, "0.") != "" {
		b.WriteString("−")
	}
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteString(group)
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString(point + frac)
	}
	return b.String()
}

// csvValue is c in a CSV file: numbers plain with a decimal point (any
// spreadsheet reads them), dates as YYYY-MM-DD, text translated. Text that
// a spreadsheet would run as a formula (=, +, -, @ first) gets a leading
// apostrophe.
func (l Localizer) csvValue(c Cell) string {
	switch c.Kind {
	case KindInt, KindMoney:
		return strconv.FormatFloat(c.Value, 'f', 0, 64)
	case KindDec, KindPercent:
		return strconv.FormatFloat(c.Value, 'f', 1, 64)
	case KindKg:
		return strconv.FormatFloat(c.Value, 'f', 1, 64)
	case KindDate:
		if c.Time.IsZero() {
			return ""
		}
		return c.Time.In(l.loc()).Format("2006-01-02")
	case KindNone:
		return ""
	}
	s := l.Label(c.Text, c.Key)
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		s = "'" + s
	}
	return s
}

// WriteCSV writes t as CSV for a spreadsheet: UTF-8 with a byte order mark
// (so Excel reads å, ä and ö), comma separated, CRLF line ends (RFC
// 4180), translated column titles.
func WriteCSV(w io.Writer, t Table, l Localizer) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true // RFC 4180
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = l.T(c.Key)
	}
	if err := cw.Write(head); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	for _, row := range t.Rows {
		rec := make([]string, len(row))
		for i, c := range row {
			rec[i] = l.csvValue(c)
		}
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	return cw.Error()
}
