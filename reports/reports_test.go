package reports

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
	"time"
	"warrantydesk/internal/teststore"

	"warrantydesk/models"
)

// The seeded desk: "now" is 2025-06-15 12:00 UTC; the desk is in Stockholm.
//
//	model           devices                                 delivered
//	Alpha 14        A1–A10 (A10 retired, swapped for R1)    2024-01-10
//	                R1 (the replacement unit)               2025-03-01
//	Beta 13         B1–B3                                   2024-01-10
//	                B4–B6                                   2025-05-20
//	Gamma <b>&"x    C1–C3                                   2025-05-20
//	                C4                                      unknown
//
// Hardware tickets (component from FaultMatches):
//
//	T1  A1  2024-01-20 screen      (10 days after delivery)
//	T2  A1  2024-06-01 battery
//	T3  A2  2024-03-15 keyboard    (65 days)
//	T4  A3  2024-08-01 charger+port
//	T5  A10 2024-02-01 other       (22 days)
//	T6  B1  2024-05-01 fan
//	T7  C1  2025-05-25 hinge       (at the reseller)
//	T8  C2  2025-06-01 screen+port (at the reseller)
//	T9  R1  2025-03-20 touchpad    (19 days)
//	T10 A1  2025-01-10 disk
//	T11 B1  2024-07-01 battery     (40 days after B1's repair came back)
var (
	now        = time.Date(2025, 6, 15, 12, 0, 0, 0, time.UTC)
	batchOld   = day(2024, 1, 10)
	batchNew   = day(2025, 5, 20)
	swapDay    = day(2025, 3, 1)
	hostile    = `Gamma <b>&"x`
	stockholm  = mustLoc("Europe/Stockholm")
	testConfig = Config{Currency: "SEK", DefaultNewPrice: 10000, DefaultRefurbPrice: 4000,
		CO2eKgAvoidedPerDevice: MunicipalityCO2eKgAvoided, RefurbCO2eKg: 50, AvgRepairCost: 2000,
		Models: []ModelConfig{{Model: " alpha 14 ", NewPrice: 15000, RefurbPrice: 6000, CO2eKgNew: 300}}}
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func at(y int, m time.Month, d, h int) *time.Time {
	t := time.Date(y, m, d, h, 0, 0, 0, time.UTC)
	return &t
}

func mustLoc(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// seed is the store with the data set above.
type seed struct {
	t       *testing.T
	store   *models.Store
	assets  map[string]*models.Asset
	tickets map[string]*models.Ticket
	req     *models.Requester
}

func newSeed(t *testing.T) *seed {
	t.Helper()
	ctx := context.Background()
	store := teststore.Open(t, models.Options{})
	var err error
	s := &seed{t: t, store: store, assets: map[string]*models.Asset{}, tickets: map[string]*models.Ticket{}}
	if s.req, err = store.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv"); err != nil {
		t.Fatal(err)
	}
	atea := s.vendor("Atea", 10)
	dustin := s.vendor("Dustin", 5)

	s.asset("R1", "Alpha 14", atea, &swapDay, nil, models.AssetInUse, nil)
	for _, n := range []string{"A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"} {
		s.asset(n, "Alpha 14", atea, &batchOld, nil, models.AssetInUse, nil)
	}
	s.asset("A9", "Alpha 14", atea, &batchOld, at(2025, 6, 1, 0), models.AssetInUse, nil)
	s.asset("A10", "Alpha 14", atea, &batchOld, nil, models.AssetRetired, &s.assets["R1"].ID)
	s.asset("B1", "Beta 13", atea, &batchOld, at(2025, 7, 1, 0), models.AssetInUse, nil)
	s.asset("B2", "Beta 13", atea, &batchOld, at(2025, 8, 10, 0), models.AssetInUse, nil)
	s.asset("B3", "Beta 13", atea, &batchOld, at(2025, 9, 1, 0), models.AssetInUse, nil)
	for _, n := range []string{"B4", "B5", "B6"} {
		s.asset(n, "Beta 13", atea, &batchNew, nil, models.AssetInUse, nil)
	}
	for _, n := range []string{"C1", "C2", "C3"} {
		s.asset(n, hostile, atea, &batchNew, nil, models.AssetInUse, nil)
	}
	s.asset("C4", hostile, atea, nil, nil, models.AssetInUse, nil)

	hw := models.CategoryHardware
	s.ticket("T1", "A1", models.StatusClosed, hw, "skärmen, flimrar", at(2024, 1, 20, 9), nil, nil)
	s.ticket("T2", "A1", models.StatusClosed, hw, "batteriet", at(2024, 6, 1, 9), nil, nil)
	s.ticket("T3", "A2", models.StatusResolved, hw, "tangentbordet, mellanslagstangenten", at(2024, 3, 15, 9), nil, nil)
	s.ticket("T4", "A3", models.StatusClosed, hw, "laddare, usb-porten", at(2024, 8, 1, 9), nil, nil)
	s.ticket("T5", "A10", models.StatusClosed, hw, "trasig", at(2024, 2, 1, 9), nil, nil)
	s.ticket("T6", "B1", models.StatusClosed, hw, "fläkten, överhettas", at(2024, 5, 1, 9), nil, nil)
	s.ticket("T7", "C1", models.StatusAtVendor, hw, "gångjärnet", at(2025, 5, 25, 9), at(2025, 5, 26, 9), at(2025, 6, 10, 9))
	s.ticket("T8", "C2", models.StatusAtVendor, hw, "skärm, displayport", at(2025, 6, 1, 9), nil, at(2025, 6, 2, 9))
	s.ticket("T9", "R1", models.StatusClosed, hw, "pekplattan", at(2025, 3, 20, 9), nil, nil)
	s.ticket("T10", "A1", models.StatusClosed, hw, "hårddisken", at(2025, 1, 10, 9), nil, nil)
	s.ticket("T11", "B1", models.StatusClosed, hw, "batteri", at(2024, 7, 1, 9), nil, nil)
	// Open tickets that are no hardware faults on a device.
	s.ticket("X1", "", models.StatusNew, models.CategorySoftware, "", at(2025, 6, 14, 9), at(2025, 6, 15, 10), nil)
	s.ticket("X2", "", models.StatusOpen, hw, "skärmen", at(2025, 6, 14, 9), at(2025, 6, 15, 11), nil)
	s.ticket("X3", "", models.StatusPending, models.CategoryAccount, "", at(2025, 6, 14, 9), at(2025, 6, 15, 17), nil)
	s.ticket("X4", "", models.StatusOpen, models.CategoryOther, "", at(2025, 6, 14, 9), at(2025, 6, 15, 9), at(2025, 6, 15, 8))
	s.ticket("X5", "A4", models.StatusOpen, models.CategorySoftware, "", at(2025, 6, 14, 9), nil, nil)

	// Vendor cases: turnaround Atea 7, 12, 5 (closed), 20, 9 (paid) days;
	// two open (one past its 10 days). Dustin 6 and 4 days.
	s.vcase("T2", atea, models.CaseShippedBack, at(2024, 6, 2, 10), at(2024, 6, 9, 10), nil, false)
	s.vcase("T3", atea, models.CaseClosed, at(2024, 3, 16, 10), at(2024, 3, 28, 10), at(2024, 4, 1, 10), false)
	s.vcase("T4", atea, models.CaseClosed, at(2024, 8, 2, 10), nil, at(2024, 8, 7, 10), false)
	s.vcase("T6", atea, models.CaseShippedBack, at(2024, 5, 2, 10), at(2024, 5, 22, 10), nil, false)
	s.vcase("T8", atea, models.CaseInRepair, at(2025, 6, 2, 10), nil, nil, false)
	s.vcase("T7", atea, models.CaseForwarded, at(2025, 6, 10, 10), nil, nil, false)
	s.vcase("T10", atea, models.CaseShippedBack, at(2025, 1, 11, 10), at(2025, 1, 20, 10), nil, true)
	s.vcase("T9", dustin, models.CaseShippedBack, at(2025, 3, 21, 10), at(2025, 3, 27, 10), nil, false)
	s.vcase("T5", dustin, models.CaseClosed, at(2024, 2, 2, 10), at(2024, 2, 6, 10), at(2024, 2, 7, 10), false)
	return s
}

func (s *seed) vendor(name string, turnaround int) *models.Vendor {
	s.t.Helper()
	ctx := context.Background()
	if err := s.store.UpsertVendor(ctx, &models.Vendor{Name: name, Email: "service@" + strings.ToLower(name) + ".test",
		WarrantyMonths: 36, TurnaroundDays: turnaround}); err != nil {
		s.t.Fatal(err)
	}
	v, err := s.store.VendorByName(ctx, name)
	if err != nil {
		s.t.Fatal(err)
	}
	return v
}

func (s *seed) asset(serial, model string, v *models.Vendor, delivered, ends *time.Time, state string, replacedBy *uint) {
	s.t.Helper()
	a := &models.Asset{Serial: serial, Model: model, VendorID: &v.ID, DeliveredOn: delivered, WarrantyEndsOn: ends,
		State: state, ReplacedByID: replacedBy}
	if err := s.store.CreateAsset(context.Background(), a); err != nil {
		s.t.Fatal(err)
	}
	s.assets[serial] = a
}

func (s *seed) ticket(name, serial, status, category, matches string, created, slaDue, paused *time.Time) {
	s.t.Helper()
	t := &models.Ticket{Subject: name + " <i>subject</i>", RequesterID: s.req.ID, Status: status, Priority: "normal",
		Category: category, FaultMatches: matches, CreatedAt: *created, SLADueAt: slaDue, SLAPausedAt: paused}
	if serial != "" {
		t.AssetID = &s.assets[serial].ID
	}
	if err := s.store.CreateTicket(context.Background(), t); err != nil {
		s.t.Fatal(err)
	}
	s.tickets[name] = t
}

func (s *seed) vcase(ticket string, v *models.Vendor, state string, forwarded, returned, closed *time.Time, paid bool) {
	s.t.Helper()
	t := s.tickets[ticket]
	c := &models.VendorCase{TicketID: t.ID, VendorID: v.ID, AssetID: t.AssetID, State: state, ForwardedAt: forwarded,
		ReturnedAt: returned, ClosedAt: closed, PaidRepair: paid}
	if err := s.store.SaveVendorCase(context.Background(), c); err != nil {
		s.t.Fatal(err)
	}
}

// build computes the report on the seeded store, with the desk's SLA rule.
func (s *seed) build() *Report {
	s.t.Helper()
	overdue := func(ctx context.Context, now time.Time) ([]models.Ticket, error) {
		return s.store.SLABreached(ctx, now, []string{models.StatusAtVendor})
	}
	r, err := New(s.store, testConfig, stockholm, overdue).Build(context.Background(), now, IntakeHealth{})
	if err != nil {
		s.t.Fatalf("build: %v", err)
	}
	return r
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-6 }

func checkF(t *testing.T, name string, got, want float64) {
	t.Helper()
	if !near(got, want) {
		t.Errorf("%s = %v, want %v", name, got, want)
	}
}

func checkI(t *testing.T, name string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %d, want %d", name, got, want)
	}
}

func TestDashboard(t *testing.T) {
	d := newSeed(t).build().Dashboard
	checkI(t, "open total", d.OpenTotal, 7)
	want := map[string]map[string]int{
		models.StatusNew:      {models.CategorySoftware: 1},
		models.StatusOpen:     {models.CategoryHardware: 1, models.CategoryOther: 1, models.CategorySoftware: 1},
		models.StatusPending:  {models.CategoryAccount: 1},
		models.StatusAtVendor: {models.CategoryHardware: 2},
	}
	if len(d.Open) != 4 {
		t.Fatalf("open rows = %+v, want new, open, pending, at_vendor", d.Open)
	}
	for _, row := range d.Open {
		total := 0
		for _, c := range models.Categories {
			checkI(t, row.Status+"/"+c, row.ByCategory[c], want[row.Status][c])
			total += want[row.Status][c]
		}
		checkI(t, row.Status+" total", row.Total, total)
	}
	checkI(t, "open hardware", d.OpenByCategory[models.CategoryHardware], 3)
	// X1 (due 10:00) and X2 (11:00); X3 is not due, X4 is paused, T7 is at the reseller.
	checkI(t, "breaches", d.BreachCount, 2)
	if len(d.Breaches) != 2 || !strings.HasPrefix(d.Breaches[0].Subject, "X1") || !strings.HasPrefix(d.Breaches[1].Subject, "X2") {
		t.Errorf("breaches = %+v, want X1 then X2", d.Breaches)
	}
	checkI(t, "at reseller", d.AtResellerTotal, 2)
	checkI(t, "at reseller overdue", d.AtResellerOverdue, 1)
	if len(d.AtReseller) != 1 || d.AtReseller[0] != (ResellerLoad{Vendor: "Atea", Cases: 2, Overdue: 1}) {
		t.Errorf("at reseller = %+v", d.AtReseller)
	}
	if d.Intake.Known {
		t.Errorf("intake = %+v, want unknown (no mailbox read yet)", d.Intake)
	}
}

func TestFleet(t *testing.T) {
	f := newSeed(t).build().Fleet
	want := WarrantyCounts{Devices: 20, Under: 18, Expiring30: 1, Expiring60: 2, Expiring90: 3, Expired: 1, Unknown: 1}
	if f.Total != want {
		t.Errorf("total = %+v\nwant    %+v", f.Total, want)
	}
	byModel := map[string]WarrantyCounts{
		"Alpha 14": {Devices: 10, Under: 9, Expired: 1},
		"Beta 13":  {Devices: 6, Under: 6, Expiring30: 1, Expiring60: 2, Expiring90: 3},
		hostile:    {Devices: 4, Under: 3, Unknown: 1},
	}
	if len(f.ByModel) != 3 || f.ByModel[0].Key != "Alpha 14" {
		t.Errorf("models = %+v, want 3, most devices first", f.ByModel)
	}
	for _, r := range f.ByModel {
		if r.WarrantyCounts != byModel[r.Key] {
			t.Errorf("model %q = %+v, want %+v", r.Key, r.WarrantyCounts, byModel[r.Key])
		}
	}
	wantBatches := []WarrantyRow{
		{Key: "2024-01", WarrantyCounts: WarrantyCounts{Devices: 12, Under: 11, Expiring30: 1, Expiring60: 2, Expiring90: 3, Expired: 1}},
		{Key: "2025-03", WarrantyCounts: WarrantyCounts{Devices: 1, Under: 1}},
		{Key: "2025-05", WarrantyCounts: WarrantyCounts{Devices: 6, Under: 6}},
		{Key: "", WarrantyCounts: WarrantyCounts{Devices: 1, Unknown: 1}},
	}
	if len(f.ByBatch) != len(wantBatches) {
		t.Fatalf("batches = %+v", f.ByBatch)
	}
	for i, w := range wantBatches {
		if f.ByBatch[i] != w {
			t.Errorf("batch %d = %+v, want %+v", i, f.ByBatch[i], w)
		}
	}
}

func TestFailures(t *testing.T) {
	f := newSeed(t).build().Failures
	checkI(t, "devices", f.Devices, 21)
	checkI(t, "faults", f.Faults, 11)
	checkI(t, "faulty devices", f.FaultyDevices, 8)
	checkF(t, "per 100", f.Per100(), 1100.0/21)
	wantModels := []FaultRow{
		{Key: "Alpha 14", Devices: 11, Faults: 7, FaultyDevices: 5, Per100: 700.0 / 11},
		{Key: hostile, Devices: 4, Faults: 2, FaultyDevices: 2, Per100: 50},
		{Key: "Beta 13", Devices: 6, Faults: 2, FaultyDevices: 1, Per100: 200.0 / 6},
	}
	checkRows(t, "model", f.ByModel, wantModels)
	wantBatches := []FaultRow{
		{Key: "2024-01", Devices: 13, Faults: 8, FaultyDevices: 5, Per100: 800.0 / 13},
		{Key: "2025-03", Devices: 1, Faults: 1, FaultyDevices: 1, Per100: 100},
		{Key: "2025-05", Devices: 6, Faults: 2, FaultyDevices: 2, Per100: 200.0 / 6},
		{Key: "", Devices: 1},
	}
	checkRows(t, "batch", f.ByBatch, wantBatches)

	// Delivered at least 30 (90) days before 2025-06-15: the 13 of January 2024 and R1.
	// Within 30 days: A1 (10 days), A10 (22), R1 (19); within 90 also A2 (65).
	total := DOARow{Cohort30: 14, DOA30: 3, Rate30: 300.0 / 14, Cohort90: 14, DOA90: 4, Rate90: 400.0 / 14}
	if !sameDOA(f.DOATotal, total) {
		t.Errorf("DOA total = %+v, want %+v", f.DOATotal, total)
	}
	wantDOA := []DOARow{
		{Key: "Alpha 14", Cohort30: 11, DOA30: 3, Rate30: 300.0 / 11, Cohort90: 11, DOA90: 4, Rate90: 400.0 / 11},
		{Key: "Beta 13", Cohort30: 3, Cohort90: 3},
		{Key: hostile},
	}
	if len(f.DOA) != len(wantDOA) {
		t.Fatalf("DOA rows = %+v", f.DOA)
	}
	for i, w := range wantDOA {
		if !sameDOA(f.DOA[i], w) {
			t.Errorf("DOA %q = %+v, want %+v", w.Key, f.DOA[i], w)
		}
	}

	if len(f.Repeats) != 2 {
		t.Fatalf("repeats = %+v, want A1 and B1", f.Repeats)
	}
	a1, b1 := f.Repeats[0], f.Repeats[1]
	if a1.Serial != "A1" || a1.Faults != 3 || !a1.First.Equal(*at(2024, 1, 20, 9)) || !a1.Last.Equal(*at(2025, 1, 10, 9)) || len(a1.Tickets) != 3 {
		t.Errorf("repeat A1 = %+v", a1)
	}
	if b1.Serial != "B1" || b1.Faults != 2 || b1.Model != "Beta 13" {
		t.Errorf("repeat B1 = %+v", b1)
	}

	wantComp := map[string]int{CompScreen: 2, CompBattery: 2, CompKeyboard: 1, CompCharger: 1, CompFan: 1,
		CompTouchpad: 1, CompHinge: 1, CompPort: 2, CompDisk: 1, CompOther: 1}
	for i, c := range f.Components {
		if c.Name != ComponentNames[i] {
			t.Errorf("component %d = %s, want %s", i, c.Name, ComponentNames[i])
		}
		checkI(t, "component "+c.Name, c.Count, wantComp[c.Name])
		checkF(t, "share "+c.Name, c.Share, float64(wantComp[c.Name])*100/11)
	}
}

func checkRows(t *testing.T, what string, got, want []FaultRow) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s rows = %+v, want %d", what, got, len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Key != w.Key || g.Devices != w.Devices || g.Faults != w.Faults || g.FaultyDevices != w.FaultyDevices || !near(g.Per100, w.Per100) {
			t.Errorf("%s %d = %+v, want %+v", what, i, g, w)
		}
	}
}

func sameDOA(a, b DOARow) bool {
	return a.Key == b.Key && a.Cohort30 == b.Cohort30 && a.DOA30 == b.DOA30 && near(a.Rate30, b.Rate30) &&
		a.Cohort90 == b.Cohort90 && a.DOA90 == b.DOA90 && near(a.Rate90, b.Rate90)
}

func TestVendorScorecard(t *testing.T) {
	vs := newSeed(t).build().Vendors
	if len(vs) != 2 || vs[0].Vendor != "Atea" || vs[1].Vendor != "Dustin" {
		t.Fatalf("vendors = %+v", vs)
	}
	atea, dustin := vs[0], vs[1]
	// Atea: completed 5, 7, 9, 12, 20 days; open: one 13 days in (past 10), one 5 days in.
	checkI(t, "atea cases", atea.Cases, 7)
	checkI(t, "atea completed", atea.Completed, 5)
	checkI(t, "atea open", atea.Open, 2)
	checkF(t, "atea median", atea.MedianDays, 9)
	checkF(t, "atea p90", atea.P90Days, 20)
	checkI(t, "atea over", atea.Over, 3) // 12 and 20 days, and the open case past due
	// All five came back more than 90 days ago; B1 failed again 40 days after its repair.
	checkI(t, "atea fix eligible", atea.FixEligible, 5)
	checkI(t, "atea first fix", atea.FirstFix, 4)
	checkF(t, "atea first fix rate", atea.FirstFixRate, 80)
	wantTrend := []TrendPoint{
		{Month: "2024-03", Cases: 1, Completed: 1, MedianDays: 12, HasTurnaround: true},
		{Month: "2024-05", Cases: 1, Completed: 1, MedianDays: 20, HasTurnaround: true},
		{Month: "2024-06", Cases: 1, Completed: 1, MedianDays: 7, HasTurnaround: true},
		{Month: "2024-08", Cases: 1, Completed: 1, MedianDays: 5, HasTurnaround: true},
		{Month: "2025-01", Cases: 1, Completed: 1, MedianDays: 9, HasTurnaround: true},
		{Month: "2025-06", Cases: 2},
	}
	if len(atea.Trend) != len(wantTrend) {
		t.Fatalf("atea trend = %+v", atea.Trend)
	}
	for i, w := range wantTrend {
		if atea.Trend[i] != w {
			t.Errorf("trend %d = %+v, want %+v", i, atea.Trend[i], w)
		}
	}
	// Dustin: 4 and 6 days against 5 agreed; R1's repair came back less than 90 days ago.
	checkI(t, "dustin cases", dustin.Cases, 2)
	checkF(t, "dustin median", dustin.MedianDays, 5)
	checkF(t, "dustin p90", dustin.P90Days, 6)
	checkI(t, "dustin over", dustin.Over, 1)
	checkI(t, "dustin fix eligible", dustin.FixEligible, 1)
	checkF(t, "dustin first fix rate", dustin.FirstFixRate, 100)
}

func TestImpact(t *testing.T) {
	im := newSeed(t).build().Impact
	// 20 devices bought (R1 was the warranty's replacement for A10):
	// Alpha 10 × (15,000 − 6,000), Beta 6 and Gamma 4 × (10,000 − 4,000).
	checkI(t, "devices", im.Devices, 20)
	checkI(t, "saved", im.Saved, 90000+36000+24000)
	checkI(t, "new cost", im.NewCost, 150000+60000+40000)
	checkF(t, "saved %", im.SavedPercent, 60)
	// Alpha: 10 × (300 − 50) kg; the others the municipality's 74,300 / 2,234 kg each.
	checkF(t, "co2e", im.CO2eKg, 2500+10*74300.0/2234)
	if len(im.ByModel) != 3 || im.ByModel[0].Model != "Alpha 14" || !im.ByModel[0].Configured || im.ByModel[0].Saved != 90000 ||
		!near(im.ByModel[0].CO2ePerDevice, 250) || im.ByModel[1].Configured {
		t.Errorf("by model = %+v", im.ByModel)
	}
	// 9 cases, one a paid repair.
	checkI(t, "warranty cases", im.WarrantyCases, 8)
	checkI(t, "repair value", im.RepairValue, 16000)
}

func TestMedianPercentile(t *testing.T) {
	tests := []struct {
		name     string
		in       []float64
		med, p90 float64
		ok       bool
	}{
		{"empty", nil, 0, 0, false},
		{"one", []float64{4}, 4, 4, true},
		{"even", []float64{6, 4}, 5, 6, true},
		{"odd unsorted", []float64{20, 5, 12, 7, 9}, 9, 20, true},
		{"ten", []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 5.5, 9, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := Median(tc.in)
			p, ok2 := Percentile(tc.in, 90)
			if ok != tc.ok || ok2 != tc.ok || !near(m, tc.med) || !near(p, tc.p90) {
				t.Errorf("median %v %v, p90 %v %v; want %v %v %v", m, ok, p, ok2, tc.med, tc.p90, tc.ok)
			}
		})
	}
}

func TestComponents(t *testing.T) {
	tests := []struct{ matches, want string }{
		{"skärmen, flimrar", "screen"},
		{"Bildskärmen", "screen"},
		{"skarmen", "screen"},
		{"displayport", "port"},
		{"laddar inte, batteriet", "battery charger"},
		{"svullen", "battery"},
		{"mellanslagstangenten", "keyboard"},
		{"keyboard, keys", "keyboard"},
		{"laddsladden", "charger"},
		{"fan, overheating", "fan"},
		{"trackpad", "touchpad"},
		{"hinge, lid", "hinge"},
		{"usb-porten, hdmi", "port"},
		{"hårddisken, ssd", "disk"},
		{"trasig, sönder", "other"},
		{"", "other"},
	}
	for _, tc := range tests {
		if got := strings.Join(Components(tc.matches), " "); got != tc.want {
			t.Errorf("Components(%q) = %q, want %q", tc.matches, got, tc.want)
		}
	}
}

func TestConfig(t *testing.T) {
	f := testConfig.For("ALPHA 14")
	if !f.Configured || f.NewPrice != 15000 || f.RefurbPrice != 6000 || !near(f.CO2eKgAvoided, 250) {
		t.Errorf("For(ALPHA 14) = %+v", f)
	}
	if f := testConfig.For("Beta 13"); f.Configured || f.NewPrice != 10000 || !near(f.CO2eKgAvoided, MunicipalityCO2eKgAvoided) {
		t.Errorf("For(Beta 13) = %+v", f)
	}
	if d := DefaultConfig(); !near(d.CO2eKgAvoidedPerDevice*2234, 74300) || d.Validate() != nil {
		t.Errorf("default = %+v, %v", d, d.Validate())
	}
	if (Config{}).OrDefault().Currency != "SEK" {
		t.Error("zero config does not fall back to the defaults")
	}
	bad := Config{DefaultNewPrice: -1, Models: []ModelConfig{{Model: "X"}, {Model: " x "}, {Model: ""}}}
	err := bad.Validate()
	for _, want := range []string{"reports.default_new_price", "reports.models[1].model", "reports.models[2].model"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate() = %v, want it to name %s", err, want)
		}
	}
}

func TestIntakeFromCursors(t *testing.T) {
	ok, bad := at(2025, 6, 15, 10), at(2025, 6, 15, 11)
	if h := IntakeFromCursors(nil); h.Known {
		t.Errorf("no cursors: %+v", h)
	}
	if h := IntakeFromCursors([]models.MailboxCursor{{Mailbox: "INBOX", LastFetchAt: bad, LastErrorAt: ok, LastError: "x"}}); !h.Known || !h.OK {
		t.Errorf("error before the last fetch: %+v", h)
	}
	h := IntakeFromCursors([]models.MailboxCursor{{Mailbox: "INBOX", LastFetchAt: ok, LastErrorAt: bad, LastError: "login failed"}})
	if !h.Known || h.OK || h.Detail != "INBOX: login failed" || !h.LastSuccess.Equal(*ok) {
		t.Errorf("failing: %+v", h)
	}
}

// localizer translates keys as "[key]" so tests see which key was used.
func localizer(lang string) Localizer {
	return Localizer{Lang: lang, Loc: stockholm, T: func(key string, args ...any) string {
		out := "[" + key + "]"
		for _, a := range args {
			out += " " + a.(string)
		}
		return out
	}}
}

// wellFormed parses svg with encoding/xml and returns its character data.
func wellFormed(t *testing.T, svg string) string {
	t.Helper()
	dec := xml.NewDecoder(strings.NewReader(svg))
	var text strings.Builder
	depth := 0
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not well-formed XML: %v\n%s", err, svg)
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			if depth == 0 && tk.Name.Local != "svg" {
				t.Errorf("root element %s, want svg", tk.Name.Local)
			}
			if tk.Name.Local == "script" || tk.Name.Local == "foreignObject" {
				t.Errorf("SVG contains <%s>", tk.Name.Local)
			}
			for _, a := range tk.Attr {
				if a.Name.Local == "style" || strings.HasPrefix(a.Name.Local, "on") {
					t.Errorf("SVG attribute %s", a.Name.Local)
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			text.Write(tk)
		}
	}
	return text.String()
}

func TestChartsSVG(t *testing.T) {
	r := newSeed(t).build()
	l := localizer("sv")
	n := 0
	for _, id := range append(Sections, SectionSummary) {
		sec, _ := r.Section(id)
		for _, c := range sec.Charts {
			n++
			svg := c.SVG(l)
			text := wellFormed(t, svg)
			if strings.Contains(svg, "<b>") {
				t.Errorf("chart %s: unescaped model name in\n%s", c.ID, svg)
			}
			if !strings.Contains(text, "["+c.Title+"]") {
				t.Errorf("chart %s has no title text", c.ID)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d charts", n)
	}
	// The hostile model's bar is labelled with its name (escaped) and value.
	fail, _ := r.Section(SectionFailures)
	svg := fail.Charts[0].SVG(l)
	text := wellFormed(t, svg)
	if !strings.Contains(text, hostile) || !strings.Contains(svg, "Gamma &lt;b&gt;&amp;&#34;x") || !strings.Contains(text, "50,0") {
		t.Errorf("per-100 chart lacks the hostile label or its value:\n%s", svg)
	}
	// Line chart: the trend with its agreed-turnaround line.
	vend, _ := r.Section(SectionVendors)
	line := wellFormed(t, vend.Charts[0].SVG(l))
	for _, want := range []string{"2024-03", "12,0", "20,0", "[reports.chart.agreed]: 10,0"} {
		if !strings.Contains(line, want) {
			t.Errorf("trend chart lacks %q: %s", want, line)
		}
	}
	// An empty chart says so.
	empty := Chart{Title: "t", Kind: BarChart, Points: []Point{{Label: "a"}}}.SVG(l)
	if !strings.Contains(wellFormed(t, empty), "[reports.chart.empty]") {
		t.Error("empty chart does not say so")
	}
	// Characters XML cannot carry do not break the SVG.
	odd := Chart{Title: "t", Kind: BarChart, Points: []Point{{Label: "a\x00b\x1b]]>", Value: 1}}}.SVG(l)
	wellFormed(t, odd)
}

func TestCSV(t *testing.T) {
	r := newSeed(t).build()
	fail, _ := r.Section(SectionFailures)
	tbl, ok := fail.Table("fault_models")
	if !ok {
		t.Fatal("no fault_models table")
	}
	tbl.Rows = tbl.AllRows()
	var b strings.Builder
	if err := WriteCSV(&b, tbl, localizer("sv")); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if !strings.HasPrefix(out, "\ufeff[reports.col.model],[reports.col.devices],") {
		t.Errorf("CSV lacks the BOM or the header:\n%s", out)
	}
	for _, want := range []string{"Alpha 14,11,7,5,63.6\r\n", `"Gamma <b>&""x",4,2,2,50.0` + "\r\n", "[reports.total],21,11,8,52.4\r\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("CSV lacks %q:\n%s", want, out)
		}
	}
	// A cell a spreadsheet would run as a formula is defused.
	var f strings.Builder
	evil := Table{Columns: cols("a"), Rows: [][]Cell{{text("=HYPERLINK(\"x\")")}, {text("-1")}}}
	if err := WriteCSV(&f, evil, localizer("en")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(f.String(), `"'=HYPERLINK(""x"")"`) || !strings.Contains(f.String(), "'-1") {
		t.Errorf("formula not defused: %q", f.String())
	}
}

func TestFormat(t *testing.T) {
	sv, en := localizer("sv"), localizer("en")
	tests := []struct {
		c      Cell
		sv, en string
	}{
		{num(1234567), "1\u00a0234\u00a0567", "1,234,567"},
		{dec(63.636), "63,6", "63.6"},
		{pct(21.4286), "21,4\u00a0%", "21.4\u00a0%"},
		{money(150000, "SEK"), "150\u00a0000\u00a0SEK", "150,000\u00a0SEK"},
		{kg(2832.59), "2\u00a0833\u00a0kg", "2,833\u00a0kg"},
		{none(), "–", "–"},
		{date(time.Date(2025, 6, 14, 23, 30, 0, 0, time.UTC)), "2025-06-15", "2025-06-15"},
	}
	for _, tc := range tests {
		if got := sv.Format(tc.c); got != tc.sv {
			t.Errorf("sv %+v = %q, want %q", tc.c, got, tc.sv)
		}
		if got := en.Format(tc.c); got != tc.en {
			t.Errorf("en %+v = %q, want %q", tc.c, got, tc.en)
		}
	}
}
