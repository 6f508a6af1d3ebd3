package reports

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"math"
	"strings"
	"unicode/utf8"
)

// ChartKind is the shape of a chart.
type ChartKind int

// Chart kinds.
const (
	// BarChart draws one horizontal bar per point, its label on the left and
	// its value as text at the bar's end.
	BarChart ChartKind = iota
	// LineChart draws the points left to right joined by a line, each with
	// its value written above it and its label below the axis.
	LineChart
)

// Chart is a chart, language-neutral; SVG draws it.
type Chart struct {
	ID        string
	Title     string   // catalog key; TitleArgs fill its %s verbs (raw text)
	TitleArgs []string //
	Kind      ChartKind
	Unit      Kind   // how values are written
	UnitText  string // KindMoney: the currency
	Points    []Point
	// Reference draws a dashed horizontal line at this value on a line
	// chart, labelled with ReferenceKey (e.g. the agreed turnaround).
	Reference    float64
	ReferenceKey string
}

// Point is one bar or one point of a line.
type Point struct {
	Label    string // raw text (a model name, a month)
	LabelKey string // a catalog key, used instead of Label when set
	Value    float64
	Missing  bool // no value (a line chart leaves a gap)
}

// Chart geometry, in SVG user units (the SVG scales to its box).
const (
	chartWidth   = 640
	chartTitleH  = 28
	barRowH      = 24
	barH         = 16
	barLabelW    = 210
	barValueW    = 110
	labelMaxRune = 30
	lineHeight   = 260
	linePadL     = 48
	linePadR     = 24
	lineBottom   = 44
	barFill      = "#3a6ea5"
	inkColour    = "#1f2933"
	gridColour   = "#9aa5b1"
)

// esc escapes s for SVG text and attribute values (invalid XML characters
// become U+FFFD).
func esc(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s)) // a bytes.Buffer never fails
	return b.String()
}

// shorten cuts s to at most n characters, ending in "…".
func shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// TitleText is the chart's translated title.
func (c Chart) TitleText(l Localizer) string {
	args := make([]any, len(c.TitleArgs))
	for i, a := range c.TitleArgs {
		args[i] = a
	}
	return l.T(c.Title, args...)
}

func (c Chart) value(l Localizer, v float64) string {
	return l.Format(Cell{Kind: c.Unit, Value: v, Unit: c.UnitText})
}

// SVG draws the chart as a standalone <svg> element: every text escaped, no
// script, no style attribute, one colour throughout (the labels and values
// carry the meaning, so it reads in black and white print).
func (c Chart) SVG(l Localizer) string {
	title := c.TitleText(l)
	empty := true
	for _, p := range c.Points {
		empty = empty && (p.Missing || p.Value == 0)
	}
	var body strings.Builder
	var height int
	switch {
	case empty:
		height = chartTitleH + barRowH
		fmt.Fprintf(&body, `<text x="0" y="%d">%s</text>`, chartTitleH+16, esc(l.T("reports.chart.empty")))
	case c.Kind == LineChart:
		height = c.line(&body, l)
	default:
		height = c.bars(&body, l)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s" font-family="sans-serif" font-size="12" fill="%s">`,
		chartWidth, height, chartWidth, height, esc(title), inkColour)
	fmt.Fprintf(&b, `<title>%s</title><text x="0" y="16" font-size="14" font-weight="bold">%s</text>`, esc(title), esc(title))
	b.WriteString(body.String())
	b.WriteString(`</svg>`)
	return b.String()
}

func (c Chart) bars(b *strings.Builder, l Localizer) int {
	maxV := 0.0
	for _, p := range c.Points {
		maxV = math.Max(maxV, p.Value)
	}
	span := float64(chartWidth - barLabelW - barValueW)
	for i, p := range c.Points {
		y := chartTitleH + i*barRowH
		label := l.Label(p.Label, p.LabelKey)
		w := 0.0
		if maxV > 0 && p.Value > 0 {
			w = math.Max(1, p.Value/maxV*span)
		}
		value := c.value(l, p.Value)
		if p.Missing {
			value, w = "–", 0
		}
		fmt.Fprintf(b, `<g><title>%s: %s</title>`, esc(label), esc(value))
		fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, barLabelW-6, y+barH-3, esc(shorten(label, labelMaxRune)))
		fmt.Fprintf(b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>`, barLabelW, y, w, barH, barFill)
		fmt.Fprintf(b, `<text x="%.1f" y="%d">%s</text></g>`, float64(barLabelW)+w+6, y+barH-3, esc(value))
	}
	return chartTitleH + len(c.Points)*barRowH + 4
}

func (c Chart) line(b *strings.Builder, l Localizer) int {
	top, bottom := chartTitleH+20, lineHeight-lineBottom
	maxV := c.Reference
	for _, p := range c.Points {
		if !p.Missing {
			maxV = math.Max(maxV, p.Value)
		}
	}
	if maxV <= 0 {
		maxV = 1
	}
	maxV *= 1.1
	n := len(c.Points)
	step := float64(chartWidth-linePadL-linePadR) / math.Max(float64(n-1), 1)
	x := func(i int) float64 {
		if n == 1 {
			return float64(linePadL) + float64(chartWidth-linePadL-linePadR)/2
		}
		return float64(linePadL) + float64(i)*step
	}
	y := func(v float64) float64 { return float64(bottom) - v/maxV*float64(bottom-top) }
	// Axes: the zero line and the top of the scale, labelled.
	fmt.Fprintf(b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, linePadL, bottom, chartWidth-linePadR, bottom, gridColour)
	fmt.Fprintf(b, `<text x="%d" y="%d" text-anchor="end">%s</text>`, linePadL-6, bottom+4, esc(c.value(l, 0)))
	if c.ReferenceKey != "" && c.Reference > 0 {
		ry := y(c.Reference)
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="%s" stroke-dasharray="6 4"/>`,
			linePadL, ry, chartWidth-linePadR, ry, inkColour)
		fmt.Fprintf(b, `<text x="%d" y="%.1f" text-anchor="end">%s: %s</text>`, chartWidth-linePadR, ry-4,
			esc(l.T(c.ReferenceKey)), esc(c.value(l, c.Reference)))
	}
	// The line, broken where a month has no value.
	var path strings.Builder
	pen := false
	for i, p := range c.Points {
		if p.Missing {
			pen = false
			continue
		}
		cmd := "L"
		if !pen {
			cmd = "M"
		}
		fmt.Fprintf(&path, "%s%.1f %.1f ", cmd, x(i), y(p.Value))
		pen = true
	}
	if path.Len() > 0 {
		fmt.Fprintf(b, `<path d="%s" fill="none" stroke="%s" stroke-width="2"/>`, strings.TrimSpace(path.String()), barFill)
	}
	every := max(1, (n+11)/12) // at most 12 labels under the axis
	for i, p := range c.Points {
		label := l.Label(p.Label, p.LabelKey)
		if i%every == 0 || i == n-1 {
			fmt.Fprintf(b, `<text x="%.1f" y="%d" text-anchor="middle">%s</text>`, x(i), bottom+18, esc(shorten(label, 12)))
		}
		if p.Missing {
			continue
		}
		value := c.value(l, p.Value)
		fmt.Fprintf(b, `<g><title>%s: %s</title><circle cx="%.1f" cy="%.1f" r="4" fill="%s"/>`, esc(label), esc(value), x(i), y(p.Value), barFill)
		fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text></g>`, x(i), y(p.Value)-8, esc(value))
	}
	return lineHeight
}
