package reports

import (
	"net/url"
	"strconv"

	"warrantydesk/models"
)

// Section ids: the report pages, in menu order. SectionSummary is the
// printable one-page summary.
const (
	SectionDashboard = "dashboard"
	SectionFleet     = "fleet"
	SectionFailures  = "failures"
	SectionVendors   = "vendors"
	SectionImpact    = "impact"
	SectionSummary   = "summary"
)

// Sections lists the report pages in menu order (the summary is separate).
var Sections = []string{SectionDashboard, SectionFleet, SectionFailures, SectionVendors, SectionImpact}

// Section is one report page, language-neutral: headline figures, charts,
// tables and notes, in that order.
type Section struct {
	ID      string
	Figures []Figure
	Charts  []Chart
	Tables  []Table
	Notes   []Note
}

// Figure is one headline number.
type Figure struct {
	Label string // catalog key
	Value Cell
	// Sub is a second, smaller value (e.g. "of 120"); Kind 0 with no text
	// means none.
	Sub Cell
}

// Note is a sentence under a section: a catalog key and the values filling
// its %s verbs (formatted first).
type Note struct {
	Key  string
	Args []Cell
}

// Table is one table; every table can be downloaded as CSV by its ID.
type Table struct {
	ID      string
	Title   string // catalog key
	Columns []Column
	Rows    [][]Cell
	// Foot is a totals row (nil: none); CSV writes it as the last row.
	Foot []Cell
}

// Column is a table column.
type Column struct {
	Key string // catalog key of its title
	Num bool   // right-aligned
}

// AllRows are the rows and then the totals row.
func (t Table) AllRows() [][]Cell {
	if t.Foot == nil {
		return t.Rows
	}
	return append(t.Rows[:len(t.Rows):len(t.Rows)], t.Foot)
}

// Table returns the section's table id.
func (s Section) Table(id string) (Table, bool) {
	for _, t := range s.Tables {
		if t.ID == id {
			return t, true
		}
	}
	return Table{}, false
}

// Section returns the page id of the report; false for an unknown id.
func (r *Report) Section(id string) (Section, bool) {
	switch id {
	case SectionDashboard:
		return r.dashboardSection(), true
	case SectionFleet:
		return r.fleetSection(), true
	case SectionFailures:
		return r.failuresSection(), true
	case SectionVendors:
		return r.vendorsSection(), true
	case SectionImpact:
		return r.impactSection(), true
	case SectionSummary:
		return r.summarySection(), true
	}
	return Section{}, false
}

func cols(keys ...string) []Column {
	out := make([]Column, len(keys))
	for i, k := range keys {
		out[i] = Column{Key: k, Num: i > 0}
	}
	return out
}

// batchCell shows a delivery batch; the unknown batch by its label.
func batchCell(b string) Cell {
	if b == "" {
		return key("reports.batch.unknown")
	}
	return text(b)
}

// modelCell shows a model; a device without one by its label.
func modelCell(m string) Cell {
	if m == "" {
		return key("reports.model.unknown")
	}
	return text(m)
}

func (r *Report) dashboardSection() Section {
	d := r.Dashboard
	intake := key("reports.intake.unknown")
	switch {
	case d.Intake.Known && d.Intake.OK:
		intake = key("reports.intake.ok")
	case d.Intake.Known:
		intake = key("reports.intake.failing")
	}
	s := Section{ID: SectionDashboard, Figures: []Figure{
		{Label: "reports.fig.open", Value: num(d.OpenTotal)},
		{Label: "reports.fig.breaches", Value: num(d.BreachCount)},
		{Label: "reports.fig.at_reseller", Value: num(d.AtResellerTotal)},
		{Label: "reports.fig.at_reseller_overdue", Value: num(d.AtResellerOverdue)},
		{Label: "reports.fig.intake", Value: intake},
	}}
	byStatus := Chart{ID: "open_status", Title: "reports.chart.open_status", Kind: BarChart, Unit: KindInt}
	open := Table{ID: "open", Title: "reports.table.open",
		Columns: cols(append(append([]string{"reports.col.status"}, prefixed("category.", models.Categories)...), "reports.col.total")...)}
	foot := []Cell{key("reports.total")}
	for _, row := range d.Open {
		cells := []Cell{key("status." + row.Status)}
		for _, c := range models.Categories {
			cells = append(cells, num(row.ByCategory[c]))
		}
		open.Rows = append(open.Rows, append(cells, num(row.Total)))
		byStatus.Points = append(byStatus.Points, Point{LabelKey: "status." + row.Status, Value: float64(row.Total)})
	}
	byCategory := Chart{ID: "open_category", Title: "reports.chart.open_category", Kind: BarChart, Unit: KindInt}
	for _, c := range models.Categories {
		foot = append(foot, num(d.OpenByCategory[c]))
		byCategory.Points = append(byCategory.Points, Point{LabelKey: "category." + c, Value: float64(d.OpenByCategory[c])})
	}
	open.Foot = append(foot, num(d.OpenTotal))
	breaches := Table{ID: "breaches", Title: "reports.table.breaches",
		Columns: []Column{{Key: "reports.col.ticket"}, {Key: "reports.col.subject"}, {Key: "reports.col.status"}, {Key: "reports.col.due"}}}
	for _, b := range d.Breaches {
		n := strconv.FormatInt(b.Number, 10)
		breaches.Rows = append(breaches.Rows, []Cell{{Kind: KindText, Text: "#" + n, URL: "/tickets/" + n},
			text(b.Subject), key("status." + b.Status), date(b.DueAt)})
	}
	reseller := Table{ID: "reseller", Title: "reports.table.reseller",
		Columns: cols("reports.col.vendor", "reports.col.at_reseller", "reports.col.over_turnaround")}
	for _, l := range d.AtReseller {
		reseller.Rows = append(reseller.Rows, []Cell{text(l.Vendor), num(l.Cases), num(l.Overdue)})
	}
	reseller.Foot = []Cell{key("reports.total"), num(d.AtResellerTotal), num(d.AtResellerOverdue)}
	s.Charts = []Chart{byStatus, byCategory}
	s.Tables = []Table{open, breaches, reseller}
	if d.BreachCount > len(d.Breaches) {
		s.Notes = append(s.Notes, Note{Key: "reports.note.breaches_more", Args: []Cell{num(len(d.Breaches)), num(d.BreachCount)}})
	}
	s.Notes = append(s.Notes, Note{Key: "reports.note.sla"})
	if d.Intake.Known && !d.Intake.OK {
		s.Notes = append(s.Notes, Note{Key: "reports.note.intake_failing", Args: []Cell{text(d.Intake.Detail)}})
	}
	if d.Intake.LastSuccess != nil {
		s.Notes = append(s.Notes, Note{Key: "reports.note.intake_last", Args: []Cell{{Kind: KindDate, Time: *d.Intake.LastSuccess}}})
	}
	return s
}

func prefixed(prefix string, values []string) []string {
	out := make([]string, len(values))
	for i, v := range values {
		out[i] = prefix + v
	}
	return out
}

var warrantyCols = []string{"reports.col.devices", "reports.col.under", "reports.col.expiring30",
	"reports.col.expiring60", "reports.col.expiring90", "reports.col.expired", "reports.col.unknown"}

func warrantyCells(c WarrantyCounts) []Cell {
	return []Cell{num(c.Devices), num(c.Under), num(c.Expiring30), num(c.Expiring60), num(c.Expiring90),
		num(c.Expired), num(c.Unknown)}
}

func (r *Report) fleetSection() Section {
	f := r.Fleet
	s := Section{ID: SectionFleet, Figures: []Figure{
		{Label: "reports.fig.devices", Value: num(f.Total.Devices)},
		{Label: "reports.fig.under", Value: num(f.Total.Under)},
		{Label: "reports.fig.expiring90", Value: num(f.Total.Expiring90)},
		{Label: "reports.fig.expired", Value: num(f.Total.Expired)},
	}}
	models := Table{ID: "models", Title: "reports.table.models", Columns: cols(append([]string{"reports.col.model"}, warrantyCols...)...)}
	byModel := Chart{ID: "devices_model", Title: "reports.chart.devices_model", Kind: BarChart, Unit: KindInt}
	for _, row := range f.ByModel {
		models.Rows = append(models.Rows, append([]Cell{modelCell(row.Key)}, warrantyCells(row.WarrantyCounts)...))
		byModel.Points = append(byModel.Points, pointOf(modelCell(row.Key), float64(row.Devices)))
	}
	models.Foot = append([]Cell{key("reports.total")}, warrantyCells(f.Total)...)
	batches := Table{ID: "batches", Title: "reports.table.batches", Columns: cols(append([]string{"reports.col.batch"}, warrantyCols...)...)}
	for _, row := range f.ByBatch {
		batches.Rows = append(batches.Rows, append([]Cell{batchCell(row.Key)}, warrantyCells(row.WarrantyCounts)...))
	}
	batches.Foot = models.Foot
	t := f.Total
	warranty := Chart{ID: "warranty", Title: "reports.chart.warranty", Kind: BarChart, Unit: KindInt, Points: []Point{
		{LabelKey: "reports.col.under", Value: float64(t.Under)},
		{LabelKey: "reports.col.expiring30", Value: float64(t.Expiring30)},
		{LabelKey: "reports.col.expiring60", Value: float64(t.Expiring60)},
		{LabelKey: "reports.col.expiring90", Value: float64(t.Expiring90)},
		{LabelKey: "reports.col.expired", Value: float64(t.Expired)},
		{LabelKey: "reports.col.unknown", Value: float64(t.Unknown)},
	}}
	s.Charts = []Chart{byModel, warranty}
	s.Tables = []Table{models, batches}
	s.Notes = []Note{{Key: "reports.note.fleet"}}
	return s
}

func pointOf(c Cell, v float64) Point { return Point{Label: c.Text, LabelKey: c.Key, Value: v} }

var faultCols = []string{"reports.col.devices", "reports.col.faults", "reports.col.faulty_devices", "reports.col.per100"}

func faultCells(r FaultRow) []Cell {
	return []Cell{num(r.Devices), num(r.Faults), num(r.FaultyDevices), dec(r.Per100)}
}

func doaCells(r DOARow) []Cell {
	return []Cell{num(r.Cohort30), num(r.DOA30), pct(r.Rate30), num(r.Cohort90), num(r.DOA90), pct(r.Rate90)}
}

// Per100 is the failures' hardware faults per 100 devices overall.
func (f Failures) Per100() float64 { return rate(f.Faults, f.Devices) }

func (r *Report) failuresSection() Section {
	f := r.Failures
	s := Section{ID: SectionFailures, Figures: []Figure{
		{Label: "reports.fig.faults", Value: num(f.Faults)},
		{Label: "reports.fig.per100", Value: dec(f.Per100())},
		{Label: "reports.fig.doa30", Value: pct(f.DOATotal.Rate30)},
		{Label: "reports.fig.doa90", Value: pct(f.DOATotal.Rate90)},
		{Label: "reports.fig.repeats", Value: num(len(f.Repeats))},
	}}
	byModel := Table{ID: "fault_models", Title: "reports.table.fault_models", Columns: cols(append([]string{"reports.col.model"}, faultCols...)...)}
	chartModel := Chart{ID: "per100_model", Title: "reports.chart.per100_model", Kind: BarChart, Unit: KindDec}
	for _, row := range f.ByModel {
		byModel.Rows = append(byModel.Rows, append([]Cell{modelCell(row.Key)}, faultCells(row)...))
		chartModel.Points = append(chartModel.Points, pointOf(modelCell(row.Key), row.Per100))
	}
	total := FaultRow{Devices: f.Devices, Faults: f.Faults, FaultyDevices: f.FaultyDevices, Per100: f.Per100()}
	byModel.Foot = append([]Cell{key("reports.total")}, faultCells(total)...)
	byBatch := Table{ID: "fault_batches", Title: "reports.table.fault_batches", Columns: cols(append([]string{"reports.col.batch"}, faultCols...)...)}
	chartBatch := Chart{ID: "per100_batch", Title: "reports.chart.per100_batch", Kind: BarChart, Unit: KindDec}
	for _, row := range f.ByBatch {
		byBatch.Rows = append(byBatch.Rows, append([]Cell{batchCell(row.Key)}, faultCells(row)...))
		chartBatch.Points = append(chartBatch.Points, pointOf(batchCell(row.Key), row.Per100))
	}
	byBatch.Foot = byModel.Foot
	doa := Table{ID: "doa", Title: "reports.table.doa", Columns: cols("reports.col.model", "reports.col.cohort30",
		"reports.col.doa30", "reports.col.rate30", "reports.col.cohort90", "reports.col.doa90", "reports.col.rate90")}
	for _, row := range f.DOA {
		doa.Rows = append(doa.Rows, append([]Cell{modelCell(row.Key)}, doaCells(row)...))
	}
	doa.Foot = append([]Cell{key("reports.total")}, doaCells(f.DOATotal)...)
	repeats := Table{ID: "repeats", Title: "reports.table.repeats", Columns: []Column{{Key: "reports.col.serial"},
		{Key: "reports.col.model"}, {Key: "reports.col.faults", Num: true}, {Key: "reports.col.first"},
		{Key: "reports.col.last"}, {Key: "reports.col.tickets"}}}
	for _, rp := range f.Repeats {
		tickets := ""
		for i, n := range rp.Tickets {
			if i > 0 {
				tickets += ", "
			}
			tickets += "#" + strconv.FormatInt(n, 10)
		}
		repeats.Rows = append(repeats.Rows, []Cell{{Kind: KindText, Text: rp.Serial, URL: "/assets/" + url.PathEscape(rp.Serial)},
			modelCell(rp.Model), num(rp.Faults), date(rp.First), date(rp.Last), text(tickets)})
	}
	comps := Table{ID: "components", Title: "reports.table.components", Columns: cols("reports.col.component",
		"reports.col.faults", "reports.col.share")}
	chartComp := Chart{ID: "components", Title: "reports.chart.components", Kind: BarChart, Unit: KindInt}
	for _, c := range f.Components {
		comps.Rows = append(comps.Rows, []Cell{key("reports.component." + c.Name), num(c.Count), pct(c.Share)})
		chartComp.Points = append(chartComp.Points, Point{LabelKey: "reports.component." + c.Name, Value: float64(c.Count)})
	}
	s.Charts = []Chart{chartModel, chartBatch, chartComp}
	s.Tables = []Table{byModel, byBatch, doa, repeats, comps}
	s.Notes = []Note{{Key: "reports.note.failures"}, {Key: "reports.note.doa"}, {Key: "reports.note.components"}}
	return s
}

func scoreCells(v VendorScore) []Cell {
	agreed := none()
	if v.AgreedDays > 0 {
		agreed = num(v.AgreedDays)
	}
	fix := none()
	if v.FixEligible > 0 {
		fix = pct(v.FirstFixRate)
	}
	return []Cell{text(v.Vendor), num(v.Cases), num(v.Completed), num(v.Open), decOr(v.MedianDays, v.HasTurnaround),
		decOr(v.P90Days, v.HasTurnaround), agreed, num(v.Over), num(v.FixEligible), num(v.FirstFix), fix}
}

func (r *Report) vendorsSection() Section {
	s := Section{ID: SectionVendors}
	score := Table{ID: "scorecard", Title: "reports.table.scorecard", Columns: cols("reports.col.vendor",
		"reports.col.cases", "reports.col.completed", "reports.col.open", "reports.col.median_days",
		"reports.col.p90_days", "reports.col.agreed_days", "reports.col.over_turnaround",
		"reports.col.fix_eligible", "reports.col.first_fix", "reports.col.first_fix_rate")}
	trend := Table{ID: "trend", Title: "reports.table.trend", Columns: []Column{{Key: "reports.col.vendor"},
		{Key: "reports.col.month"}, {Key: "reports.col.cases", Num: true}, {Key: "reports.col.completed", Num: true},
		{Key: "reports.col.median_days", Num: true}}}
	for _, v := range r.Vendors {
		score.Rows = append(score.Rows, scoreCells(v))
		line := Chart{ID: "trend", Title: "reports.chart.trend", TitleArgs: []string{v.Vendor}, Kind: LineChart, Unit: KindDec}
		cases := Chart{ID: "cases", Title: "reports.chart.cases", TitleArgs: []string{v.Vendor}, Kind: BarChart, Unit: KindInt}
		for _, p := range v.Trend {
			trend.Rows = append(trend.Rows, []Cell{text(v.Vendor), text(p.Month), num(p.Cases), num(p.Completed),
				decOr(p.MedianDays, p.HasTurnaround)})
			line.Points = append(line.Points, Point{Label: p.Month, Value: p.MedianDays, Missing: !p.HasTurnaround})
			cases.Points = append(cases.Points, Point{Label: p.Month, Value: float64(p.Cases)})
		}
		if v.AgreedDays > 0 {
			line.Reference, line.ReferenceKey = float64(v.AgreedDays), "reports.chart.agreed"
		}
		s.Charts = append(s.Charts, line, cases)
	}
	s.Tables = []Table{score, trend}
	s.Notes = []Note{{Key: "reports.note.turnaround"}, {Key: "reports.note.first_fix", Args: []Cell{num(FirstFixDays)}}}
	return s
}

func (r *Report) impactSection() Section {
	im := r.Impact
	cur := im.Currency
	s := Section{ID: SectionImpact, Figures: []Figure{
		{Label: "reports.fig.saved", Value: money(im.Saved, cur), Sub: pct(im.SavedPercent)},
		{Label: "reports.fig.co2e", Value: kg(im.CO2eKg)},
		{Label: "reports.fig.repair_value", Value: money(im.RepairValue, cur)},
		{Label: "reports.fig.warranty_cases", Value: num(im.WarrantyCases)},
	}}
	t := Table{ID: "impact", Title: "reports.table.impact", Columns: cols("reports.col.model", "reports.col.devices",
		"reports.col.new_price", "reports.col.refurb_price", "reports.col.saved", "reports.col.co2e_device",
		"reports.col.co2e_total")}
	t.Columns = append(t.Columns, Column{Key: "reports.col.figures"})
	chart := Chart{ID: "saved_model", Title: "reports.chart.saved_model", Kind: BarChart, Unit: KindMoney, UnitText: cur}
	for _, row := range im.ByModel {
		src := key("reports.figures.default")
		if row.Configured {
			src = key("reports.figures.configured")
		}
		t.Rows = append(t.Rows, []Cell{modelCell(row.Model), num(row.Devices), money(row.NewPrice, cur),
			money(row.RefurbPrice, cur), money(row.Saved, cur), kg(row.CO2ePerDevice), kg(row.CO2eKg), src})
		chart.Points = append(chart.Points, pointOf(modelCell(row.Model), float64(row.Saved)))
	}
	t.Foot = []Cell{key("reports.total"), num(im.Devices), money(im.NewCost, cur), money(im.RefurbCost, cur),
		money(im.Saved, cur), none(), kg(im.CO2eKg), text("")}
	s.Charts = []Chart{chart}
	s.Tables = []Table{t}
	s.Notes = []Note{
		{Key: "reports.note.prices"},
		{Key: "reports.note.co2e", Args: []Cell{kg(r.Config.CO2eKgAvoidedPerDevice), kg(TypicalNewLaptopCO2eKg)}},
		{Key: "reports.note.repairs", Args: []Cell{num(im.WarrantyCases), money(im.AvgRepairCost, cur), money(im.RepairValue, cur)}},
	}
	return s
}

// summarySection is the one-page summary for management: the headline
// figures of the reuse, fleet and failure reports, two charts, the reseller
// scorecard and the savings per model.
func (r *Report) summarySection() Section {
	s := Section{ID: SectionSummary}
	imp, fail, fleet := r.impactSection(), r.failuresSection(), r.fleetSection()
	// Eight figures: two rows of four on paper.
	s.Figures = append(s.Figures, imp.Figures...)
	s.Figures = append(s.Figures, fleet.Figures[0], fail.Figures[1], fail.Figures[2], fail.Figures[3])
	s.Charts = []Chart{fail.Charts[0], fail.Charts[2]}
	vend := r.vendorsSection()
	s.Tables = []Table{vend.Tables[0], imp.Tables[0]}
	s.Notes = imp.Notes[1:2]
	return s
}
