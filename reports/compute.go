package reports

import (
	"cmp"
	"slices"
	"time"

	"warrantydesk/desk"
	"warrantydesk/models"
)

// Windows of the reports, in days.
const (
	// ExpiringWindows are the "expiring within" columns of the warranty
	// report (cumulative, like the asset list's filters).
	Expiring30, Expiring60, Expiring90 = 30, 60, 90
	// DOAWindows: a hardware fault this soon after delivery counts as dead
	// on arrival.
	DOAShort, DOALong = 30, 90
	// FirstFixDays: a repair is a first-time fix when no new hardware ticket
	// on that device is opened within this many days of its return.
	FirstFixDays = 90
	// breachListMax caps the SLA breaches listed on the dashboard.
	breachListMax = 10
)

// Data is what the reports are computed from, as loaded by Service.Build
// (tests may fill it directly).
type Data struct {
	Now     time.Time
	Loc     *time.Location // the desk's zone: months and days are its
	Assets  []models.ReportAsset
	Tickets []models.ReportTicket
	Cases   []models.ReportCase
	Vendors []models.Vendor
	// Overdue are the tickets whose SLA is breached (desk.Service.Overdue).
	Overdue []models.Ticket
	Intake  IntakeHealth
}

// Report holds every figure of every report.
type Report struct {
	Now       time.Time
	Config    Config
	Dashboard Dashboard
	Fleet     Fleet
	Failures  Failures
	Vendors   []VendorScore
	Impact    Impact
}

// IntakeHealth is the state of mail intake shown on the dashboard.
type IntakeHealth struct {
	Known       bool // false when intake is not monitored (off)
	OK          bool
	Detail      string
	LastSuccess *time.Time
}

// Dashboard is the state of the desk now.
type Dashboard struct {
	// Open counts the tickets not resolved or closed, by status (rows, in
	// workflow order) and category.
	Open           []OpenRow
	OpenByCategory map[string]int
	OpenTotal      int
	// BreachCount counts the tickets whose SLA is breached; Breaches lists
	// the most overdue of them.
	BreachCount int
	Breaches    []Breach
	// AtReseller counts, per vendor, the cases the reseller holds (not
	// shipped back or closed) and how many of those are past turnaround.
	AtReseller        []ResellerLoad
	AtResellerTotal   int
	AtResellerOverdue int
	Intake            IntakeHealth
}

// OpenRow is one status of the open-ticket table.
type OpenRow struct {
	Status     string
	ByCategory map[string]int
	Total      int
}

// Breach is one ticket past its SLA.
type Breach struct {
	Number  int64
	Subject string
	Status  string
	DueAt   time.Time
}

// ResellerLoad is what one vendor holds.
type ResellerLoad struct {
	Vendor         string
	Cases, Overdue int
}

// Fleet is the devices in use (not retired) and their warranty.
type Fleet struct {
	Total   WarrantyCounts
	ByModel []WarrantyRow
	ByBatch []WarrantyRow
}

// WarrantyRow is the warranty counts of one model or delivery batch.
type WarrantyRow struct {
	Key string // model name or delivery month "2024-03"; "" = unknown
	WarrantyCounts
}

// WarrantyCounts counts devices by warranty on the report's day. The
// expiring counts are cumulative and part of Under.
type WarrantyCounts struct {
	Devices                                   int
	Under, Expiring30, Expiring60, Expiring90 int
	Expired, Unknown                          int
}

// Failures are the hardware-fault figures. They count every device ever
// delivered (retired ones included: their faults happened) and every
// hardware ticket on a known device.
type Failures struct {
	Devices, Faults, FaultyDevices int
	ByModel                        []FaultRow
	ByBatch                        []FaultRow
	// DOA per model and in total (Key "").
	DOA      []DOARow
	DOATotal DOARow
	// Repeats lists the devices with more than one hardware ticket.
	Repeats []Repeat
	// Components counts hardware tickets per component, in ComponentNames
	// order (a ticket naming two parts counts for both).
	Components []ComponentCount
}

// FaultRow is the fault rate of one model or delivery batch.
type FaultRow struct {
	Key           string
	Devices       int
	Faults        int     // hardware tickets
	FaultyDevices int     // devices with at least one
	Per100        float64 // Faults per 100 devices
}

// DOARow is the dead-on-arrival rate of one model (or all, Key "").
// Cohort30 counts the devices delivered at least 30 days before the report
// day (only they can be judged), DOA30 those of them with a hardware ticket
// opened within 30 days of delivery; likewise for 90 days.
type DOARow struct {
	Key             string
	Cohort30, DOA30 int
	Rate30          float64
	Cohort90, DOA90 int
	Rate90          float64
}

// Repeat is a device with repeated hardware faults.
type Repeat struct {
	Serial, Model string
	Faults        int
	First, Last   time.Time
	Tickets       []int64
}

// ComponentCount is how many hardware tickets name one component.
type ComponentCount struct {
	Name   string
	Count  int
	Share  float64 // per cent of the hardware tickets
	Faults int     // hardware tickets in all (the share's base)
}

// VendorScore is the scorecard of one reseller.
type VendorScore struct {
	Vendor string
	// AgreedDays is the vendor's turnaround_days (0: none agreed).
	AgreedDays int
	// Cases counts every case; Completed those shipped back or closed
	// (ForwardedAt → ReturnedAt, else ClosedAt: the turnaround), Open the rest.
	Cases, Completed, Open int
	// MedianDays and P90Days are over the completed cases' turnaround in
	// days (HasTurnaround false when none is completed).
	MedianDays, P90Days float64
	HasTurnaround       bool
	// Over counts the cases over the agreed turnaround: completed ones that
	// took longer and open ones already past it.
	Over int
	// FixEligible counts the completed cases on a known device returned at
	// least FirstFixDays ago; FirstFix those of them with no new hardware
	// ticket on the device within FirstFixDays of the return.
	FixEligible, FirstFix int
	FirstFixRate          float64
	Trend                 []TrendPoint
}

// TrendPoint is one month of a vendor's cases (by the month forwarded).
type TrendPoint struct {
	Month         string // "2025-03"
	Cases         int
	Completed     int
	MedianDays    float64
	HasTurnaround bool
}

// Impact is what reuse saved.
type Impact struct {
	Currency string
	// Devices counts the refurbished devices bought: every device except
	// the replacement units of swaps (the warranty paid for those).
	Devices                    int
	ByModel                    []ImpactRow
	NewCost, RefurbCost, Saved int
	SavedPercent               float64
	CO2eKg                     float64
	// WarrantyCases counts the vendor cases that were warranty claims (not
	// paid repairs); RepairValue is WarrantyCases × AvgRepairCost.
	WarrantyCases              int
	AvgRepairCost, RepairValue int
}

// ImpactRow is the reuse figures of one model.
type ImpactRow struct {
	Model                 string
	Devices               int
	NewPrice, RefurbPrice int
	Saved                 int
	CO2ePerDevice, CO2eKg float64
	Configured            bool
}

// Compute builds every report from d with cfg's prices and factors.
func Compute(d Data, cfg Config) *Report {
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	r := &Report{Now: d.Now, Config: cfg}
	r.Dashboard = dashboard(d)
	r.Fleet = fleet(d)
	r.Failures = failures(d)
	r.Vendors = vendorScores(d)
	r.Impact = impact(d, cfg)
	return r
}

// today is the report day in the desk's zone, as a UTC midnight (the way
// dates are stored).
func today(d Data) time.Time { return dateOf(d.Now.In(d.Loc)) }

func dateOf(t time.Time) time.Time {
	y, m, dd := t.Date()
	return time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
}

func isOpen(status string) bool {
	return status != models.StatusResolved && status != models.StatusClosed
}

// caseAtReseller reports whether the reseller holds the case.
func caseAtReseller(state string) bool {
	return state == models.CaseForwarded || state == models.CaseAcknowledged || state == models.CaseInRepair
}

func dashboard(d Data) Dashboard {
	out := Dashboard{OpenByCategory: map[string]int{}, Intake: d.Intake}
	rows := map[string]*OpenRow{}
	for _, t := range d.Tickets {
		if !isOpen(t.Status) {
			continue
		}
		row := rows[t.Status]
		if row == nil {
			row = &OpenRow{Status: t.Status, ByCategory: map[string]int{}}
			rows[t.Status] = row
		}
		row.ByCategory[t.Category]++
		row.Total++
		out.OpenByCategory[t.Category]++
		out.OpenTotal++
	}
	for _, st := range models.Statuses {
		if isOpen(st) {
			row := rows[st]
			if row == nil {
				row = &OpenRow{Status: st, ByCategory: map[string]int{}}
			}
			out.Open = append(out.Open, *row)
		}
	}
	out.BreachCount = len(d.Overdue)
	for _, t := range d.Overdue[:min(len(d.Overdue), breachListMax)] {
		b := Breach{Number: t.Number, Subject: t.Subject, Status: t.Status}
		if t.SLADueAt != nil {
			b.DueAt = *t.SLADueAt
		}
		out.Breaches = append(out.Breaches, b)
	}
	vendors := vendorsByID(d.Vendors)
	loads := map[uint]*ResellerLoad{}
	for _, c := range d.Cases {
		if !caseAtReseller(c.State) {
			continue
		}
		v := vendors[c.VendorID]
		l := loads[c.VendorID]
		if l == nil {
			l = &ResellerLoad{Vendor: v.Name}
			loads[c.VendorID] = l
		}
		l.Cases++
		out.AtResellerTotal++
		if due, ok := desk.VendorDueAt(&models.VendorCase{ForwardedAt: c.ForwardedAt, Vendor: v}); ok && d.Now.After(due) {
			l.Overdue++
			out.AtResellerOverdue++
		}
	}
	for _, l := range loads {
		out.AtReseller = append(out.AtReseller, *l)
	}
	slices.SortFunc(out.AtReseller, func(a, b ResellerLoad) int { return cmp.Compare(a.Vendor, b.Vendor) })
	return out
}

func vendorsByID(vs []models.Vendor) map[uint]models.Vendor {
	out := map[uint]models.Vendor{}
	for _, v := range vs {
		out[v.ID] = v
	}
	return out
}

// batchOf is the delivery batch of a device: the month it was delivered
// ("2024-03"), "" when the delivery date is unknown.
func batchOf(a models.ReportAsset) string {
	if a.DeliveredOn == nil {
		return ""
	}
	return a.DeliveredOn.UTC().Format("2006-01")
}

func fleet(d Data) Fleet {
	day := today(d)
	var out Fleet
	byModel, byBatch := map[string]*WarrantyRow{}, map[string]*WarrantyRow{}
	for _, a := range d.Assets {
		if a.State == models.AssetRetired {
			continue
		}
		for _, c := range []*WarrantyCounts{&out.Total, &rowFor(byModel, a.Model).WarrantyCounts,
			&rowFor(byBatch, batchOf(a)).WarrantyCounts} {
			c.add(a.WarrantyEndsOnEffective, day)
		}
	}
	out.ByModel = sortedRows(byModel, false)
	out.ByBatch = sortedRows(byBatch, true)
	return out
}

func rowFor(m map[string]*WarrantyRow, key string) *WarrantyRow {
	if m[key] == nil {
		m[key] = &WarrantyRow{Key: key}
	}
	return m[key]
}

// add counts one device whose warranty ends on end (nil: unknown) as of day.
func (c *WarrantyCounts) add(end *time.Time, day time.Time) {
	c.Devices++
	if end == nil {
		c.Unknown++
		return
	}
	left := int(dateOf(end.UTC()).Sub(day).Hours() / 24)
	if left < 0 {
		c.Expired++
		return
	}
	c.Under++
	if left <= Expiring30 {
		c.Expiring30++
	}
	if left <= Expiring60 {
		c.Expiring60++
	}
	if left <= Expiring90 {
		c.Expiring90++
	}
}

// sortedRows orders rows by key (batches: oldest first, unknown last) or by
// devices (models: most first, then name).
func sortedRows(m map[string]*WarrantyRow, byKey bool) []WarrantyRow {
	var out []WarrantyRow
	for _, r := range m {
		out = append(out, *r)
	}
	slices.SortFunc(out, func(a, b WarrantyRow) int {
		if byKey {
			return compareBatch(a.Key, b.Key)
		}
		return cmp.Or(cmp.Compare(b.Devices, a.Devices), cmp.Compare(a.Key, b.Key))
	})
	return out
}

// compareBatch orders batch keys oldest first, the unknown batch ("") last.
func compareBatch(a, b string) int {
	if (a == "") != (b == "") {
		if a == "" {
			return 1
		}
		return -1
	}
	return cmp.Compare(a, b)
}

// hardwareByAsset returns the hardware tickets on each device, oldest first.
func hardwareByAsset(d Data) map[uint][]models.ReportTicket {
	out := map[uint][]models.ReportTicket{}
	for _, t := range d.Tickets {
		if t.Category == models.CategoryHardware && t.AssetID != nil {
			out[*t.AssetID] = append(out[*t.AssetID], t)
		}
	}
	for _, ts := range out {
		slices.SortFunc(ts, func(a, b models.ReportTicket) int {
			return cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
		})
	}
	return out
}

func failures(d Data) Failures {
	var out Failures
	day := today(d)
	hw := hardwareByAsset(d)
	byModel, byBatch := map[string]*FaultRow{}, map[string]*FaultRow{}
	doa := map[string]*DOARow{}
	compCount := map[string]int{}
	assetIDs := map[uint]bool{}
	for _, a := range d.Assets {
		assetIDs[a.ID] = true
		tickets := hw[a.ID]
		out.Devices++
		out.Faults += len(tickets)
		for _, r := range []*FaultRow{faultRowFor(byModel, a.Model), faultRowFor(byBatch, batchOf(a))} {
			r.Devices++
			r.Faults += len(tickets)
			if len(tickets) > 0 {
				r.FaultyDevices++
			}
		}
		if len(tickets) > 0 {
			out.FaultyDevices++
		}
		if len(tickets) > 1 {
			rp := Repeat{Serial: a.Serial, Model: a.Model, Faults: len(tickets),
				First: tickets[0].CreatedAt, Last: tickets[len(tickets)-1].CreatedAt}
			for _, t := range tickets {
				rp.Tickets = append(rp.Tickets, t.Number)
			}
			out.Repeats = append(out.Repeats, rp)
		}
		if a.DeliveredOn != nil {
			delivered := dateOf(a.DeliveredOn.UTC())
			row := doa[a.Model]
			if row == nil {
				row = &DOARow{Key: a.Model}
				doa[a.Model] = row
			}
			for _, r := range []*DOARow{row, &out.DOATotal} {
				r.addDOA(delivered, day, tickets)
			}
		}
		for _, t := range tickets {
			for _, c := range Components(t.FaultMatches) {
				compCount[c]++
			}
		}
	}
	for _, r := range byModel {
		r.Per100 = rate(r.Faults, r.Devices)
		out.ByModel = append(out.ByModel, *r)
	}
	for _, r := range byBatch {
		r.Per100 = rate(r.Faults, r.Devices)
		out.ByBatch = append(out.ByBatch, *r)
	}
	slices.SortFunc(out.ByModel, func(a, b FaultRow) int {
		return cmp.Or(cmp.Compare(b.Per100, a.Per100), cmp.Compare(a.Key, b.Key))
	})
	slices.SortFunc(out.ByBatch, func(a, b FaultRow) int { return compareBatch(a.Key, b.Key) })
	for _, r := range doa {
		r.rates()
		out.DOA = append(out.DOA, *r)
	}
	out.DOATotal.rates()
	slices.SortFunc(out.DOA, func(a, b DOARow) int { return cmp.Compare(a.Key, b.Key) })
	slices.SortFunc(out.Repeats, func(a, b Repeat) int {
		return cmp.Or(cmp.Compare(b.Faults, a.Faults), cmp.Compare(a.Serial, b.Serial))
	})
	for _, name := range ComponentNames {
		out.Components = append(out.Components, ComponentCount{Name: name, Count: compCount[name],
			Share: rate(compCount[name], out.Faults), Faults: out.Faults})
	}
	return out
}

func faultRowFor(m map[string]*FaultRow, key string) *FaultRow {
	if m[key] == nil {
		m[key] = &FaultRow{Key: key}
	}
	return m[key]
}

// addDOA counts a device delivered on delivered (with its hardware tickets)
// in the cohorts it belongs to on day.
func (r *DOARow) addDOA(delivered, day time.Time, tickets []models.ReportTicket) {
	within := func(days int) bool {
		limit := delivered.AddDate(0, 0, days)
		return slices.ContainsFunc(tickets, func(t models.ReportTicket) bool {
			return !t.CreatedAt.Before(delivered) && t.CreatedAt.Before(limit)
		})
	}
	if !delivered.AddDate(0, 0, DOAShort).After(day) {
		r.Cohort30++
		if within(DOAShort) {
			r.DOA30++
		}
	}
	if !delivered.AddDate(0, 0, DOALong).After(day) {
		r.Cohort90++
		if within(DOALong) {
			r.DOA90++
		}
	}
}

func (r *DOARow) rates() {
	r.Rate30 = rate(r.DOA30, r.Cohort30)
	r.Rate90 = rate(r.DOA90, r.Cohort90)
}

// caseEnd is when the reseller finished a case: shipped back, else closed.
func caseEnd(c models.ReportCase) *time.Time {
	if c.ReturnedAt != nil {
		return c.ReturnedAt
	}
	return c.ClosedAt
}

// turnaroundDays is a finished case's turnaround in days (fractional).
func turnaroundDays(c models.ReportCase) (float64, bool) {
	end := caseEnd(c)
	if c.ForwardedAt == nil || end == nil || end.Before(*c.ForwardedAt) {
		return 0, false
	}
	return end.Sub(*c.ForwardedAt).Hours() / 24, true
}

func vendorScores(d Data) []VendorScore {
	hw := hardwareByAsset(d)
	ticketAsset := map[uint]uint{}
	for _, t := range d.Tickets {
		if t.AssetID != nil {
			ticketAsset[t.ID] = *t.AssetID
		}
	}
	byVendor := map[uint][]models.ReportCase{}
	for _, c := range d.Cases {
		byVendor[c.VendorID] = append(byVendor[c.VendorID], c)
	}
	var out []VendorScore
	for _, v := range d.Vendors {
		cases := byVendor[v.ID]
		if len(cases) == 0 {
			continue
		}
		s := VendorScore{Vendor: v.Name, AgreedDays: v.TurnaroundDays, Cases: len(cases)}
		var days []float64
		months := map[string]*TrendPoint{}
		monthDays := map[string][]float64{}
		for _, c := range cases {
			due, hasDue := desk.VendorDueAt(&models.VendorCase{ForwardedAt: c.ForwardedAt, Vendor: v})
			month := ""
			if c.ForwardedAt != nil {
				month = c.ForwardedAt.In(d.Loc).Format("2006-01")
			} else {
				month = c.CreatedAt.In(d.Loc).Format("2006-01")
			}
			tp := months[month]
			if tp == nil {
				tp = &TrendPoint{Month: month}
				months[month] = tp
			}
			tp.Cases++
			td, done := turnaroundDays(c)
			end := caseEnd(c)
			if !done && end == nil {
				s.Open++
				if hasDue && d.Now.After(due) {
					s.Over++
				}
				continue
			}
			s.Completed++
			if !done {
				continue // finished, but no forward date to measure from
			}
			days = append(days, td)
			tp.Completed++
			monthDays[month] = append(monthDays[month], td)
			if hasDue && end.After(due) {
				s.Over++
			}
			asset, ok := ticketAsset[c.TicketID]
			if c.AssetID != nil {
				asset, ok = *c.AssetID, true
			}
			limit := end.AddDate(0, 0, FirstFixDays)
			if !ok || limit.After(d.Now) {
				continue
			}
			s.FixEligible++
			refault := slices.ContainsFunc(hw[asset], func(t models.ReportTicket) bool {
				return t.ID != c.TicketID && t.CreatedAt.After(*end) && !t.CreatedAt.After(limit)
			})
			if !refault {
				s.FirstFix++
			}
		}
		s.MedianDays, s.HasTurnaround = Median(days)
		s.P90Days, _ = Percentile(days, 90)
		s.FirstFixRate = rate(s.FirstFix, s.FixEligible)
		for m, tp := range months {
			tp.MedianDays, tp.HasTurnaround = Median(monthDays[m])
			s.Trend = append(s.Trend, *tp)
		}
		slices.SortFunc(s.Trend, func(a, b TrendPoint) int { return cmp.Compare(a.Month, b.Month) })
		out = append(out, s)
	}
	return out
}

func impact(d Data, cfg Config) Impact {
	out := Impact{Currency: cfg.Currency, AvgRepairCost: cfg.AvgRepairCost}
	replacement := map[uint]bool{}
	for _, a := range d.Assets {
		if a.ReplacedByID != nil {
			replacement[*a.ReplacedByID] = true
		}
	}
	rows := map[string]*ImpactRow{}
	for _, a := range d.Assets {
		if replacement[a.ID] {
			continue
		}
		r := rows[a.Model]
		if r == nil {
			f := cfg.For(a.Model)
			r = &ImpactRow{Model: a.Model, NewPrice: f.NewPrice, RefurbPrice: f.RefurbPrice,
				CO2ePerDevice: f.CO2eKgAvoided, Configured: f.Configured}
			rows[a.Model] = r
		}
		r.Devices++
		out.Devices++
	}
	for _, r := range rows {
		r.Saved = r.Devices * (r.NewPrice - r.RefurbPrice)
		r.CO2eKg = float64(r.Devices) * r.CO2ePerDevice
		out.NewCost += r.Devices * r.NewPrice
		out.RefurbCost += r.Devices * r.RefurbPrice
		out.Saved += r.Saved
		out.CO2eKg += r.CO2eKg
		out.ByModel = append(out.ByModel, *r)
	}
	slices.SortFunc(out.ByModel, func(a, b ImpactRow) int {
		return cmp.Or(cmp.Compare(b.Devices, a.Devices), cmp.Compare(a.Model, b.Model))
	})
	out.SavedPercent = rate(out.Saved, out.NewCost)
	for _, c := range d.Cases {
		if !c.PaidRepair {
			out.WarrantyCases++
		}
	}
	out.RepairValue = out.WarrantyCases * cfg.AvgRepairCost
	return out
}
