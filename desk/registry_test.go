package desk

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"warrantydesk/models"
)

// importCSV imports a delivery list into the fixture and fails on any error.
func (f *fixture) importCSV(csv string) ImportSummary {
	f.t.Helper()
	sum, err := f.desk.ImportAssets(context.Background(), strings.NewReader(csv), nil)
	if err != nil || sum.Failed > 0 {
		f.t.Fatalf("import: %v %v", err, sum.Errors)
	}
	return sum
}

func (f *fixture) asset(serial string) *models.Asset {
	f.t.Helper()
	a, err := f.store.AssetBySerial(context.Background(), serial)
	if err != nil {
		f.t.Fatalf("asset %s: %v", serial, err)
	}
	return a
}

func (f *fixture) admin() *models.Agent {
	f.t.Helper()
	a, err := f.desk.CreateAgent(context.Background(), "boss@kommun.test", "Boss", models.RoleAdmin, "a long enough password")
	if err != nil {
		f.t.Fatal(err)
	}
	return a
}

func serials(assets []models.Asset) []string {
	out := []string{}
	for _, a := range assets {
		out = append(out, a.Serial)
	}
	return out
}

// TestAssetListFilters checks every warranty bucket, state, department and
// search on a seeded fleet whose answers are known. Today is 2026-11-25.
func TestAssetListFilters(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	// The fixture has PF3KX2A1 (ends 2028-05-31), PC1M8QWE (ended 2025-01-09)
	// and 5CG2341XYZ (fixed end 2027-01-31, 67 days left).
	f.importCSV("serial;asset_tag;model;warranty_ends_on;delivered_on;department\n" +
		"E10;T-10;Latitude 5440;2026-12-05;;Skola\n" + // 10 days left
		"E45;;Latitude 5440;2027-01-09;;Skola\n" + // 45 days
		"E80;;Latitude 5440;2027-02-13;;Vård\n" + // 80 days
		"E200;;Latitude 5440;2027-06-13;;Vård\n" +
		"T0;;Latitude 5440;2026-11-25;;\n" + // the last covered day is today
		"X1;;Latitude 5440;2026-11-24;;\n" + // ended yesterday
		"U1;;Latitude 5440;;;\n" + // unknown
		"D30;;Latitude 5440;;2023-12-26;\n") // delivered + 36 months - 1 day = 2026-12-25: 30 days left
	tests := []struct {
		name string
		q    AssetQuery
		want []string // in list order
	}{
		{"expiring within 30 days, soonest first", AssetQuery{Warranty: models.WarrantyExpiring30}, []string{"T0", "E10", "D30"}},
		{"expiring within 60 days", AssetQuery{Warranty: models.WarrantyExpiring60}, []string{"T0", "E10", "D30", "E45"}},
		{"expiring within 90 days", AssetQuery{Warranty: models.WarrantyExpiring90}, []string{"T0", "E10", "D30", "E45", "5CG2341XYZ", "E80"}},
		{"expired, most recent first", AssetQuery{Warranty: models.WarrantyExpired}, []string{"X1", "PC1M8QWE"}},
		{"unknown", AssetQuery{Warranty: models.WarrantyUnknown}, []string{"U1"}},
		{"under warranty", AssetQuery{Warranty: models.WarrantyUnder}, []string{"T0", "E10", "D30", "E45", "5CG2341XYZ", "E80", "E200", "PF3KX2A1"}},
		{"department", AssetQuery{Department: "Vård"}, []string{"E200", "E80"}},
		{"department and warranty", AssetQuery{Department: "Vård", Warranty: models.WarrantyExpiring90}, []string{"E80"}},
		{"asset tag, normalised", AssetQuery{Q: "kom 000-17"}, []string{"PF3KX2A1"}},
		{"serial, normalised", AssetQuery{Q: "pc1m-8q"}, []string{"PC1M8QWE"}},
		{"model", AssetQuery{Q: "t480"}, []string{"PC1M8QWE"}},
		{"exact serial or tag", AssetQuery{Serial: "t-10"}, []string{"E10"}},
		{"like wildcards are literal", AssetQuery{Q: "%"}, []string{}},
		{"state", AssetQuery{State: models.AssetRetired}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := f.desk.ListAssets(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(serials(got), tt.want) || total != int64(len(tt.want)) {
				t.Errorf("got %v (total %d), want %v", serials(got), total, tt.want)
			}
			// The badge and the filter agree.
			for i := range got {
				w := WarrantyOf(&got[i], f.desk.Today())
				switch tt.q.Warranty {
				case models.WarrantyExpired:
					if !w.Known || w.Under {
						t.Errorf("%s listed as expired but %+v", got[i].Serial, w)
					}
				case models.WarrantyExpiring30:
					if !w.Under || w.DaysLeft > 30 {
						t.Errorf("%s listed as expiring within 30 days but %+v", got[i].Serial, w)
					}
				}
			}
		})
	}
	t.Run("pages keep the total", func(t *testing.T) {
		got, total, err := f.desk.ListAssets(ctx, AssetQuery{Warranty: models.WarrantyUnder, Limit: 3, Offset: 3})
		if err != nil || total != 8 || !slices.Equal(serials(got), []string{"E45", "5CG2341XYZ", "E80"}) {
			t.Errorf("page 2: %v total %d err %v", serials(got), total, err)
		}
	})
	t.Run("bad filters are refused", func(t *testing.T) {
		var verr *ValidationError
		if _, _, err := f.desk.ListAssets(ctx, AssetQuery{Warranty: "soon"}); !errors.As(err, &verr) {
			t.Errorf("warranty=soon: %v", err)
		}
		if _, _, err := f.desk.ListAssets(ctx, AssetQuery{State: "lost"}); !errors.As(err, &verr) {
			t.Errorf("state=lost: %v", err)
		}
	})
}

// checkEffective compares the persisted effective warranty end of every
// asset with WarrantyOf, the rule the badges use.
func (f *fixture) checkEffective(t *testing.T, when string) {
	t.Helper()
	all, _, err := f.store.ListAssets(context.Background(), models.AssetFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for i := range all {
		a := &all[i]
		w := WarrantyOf(a, f.now)
		got := ""
		if a.WarrantyEndsOnEffective != nil {
			got = a.WarrantyEndsOnEffective.Format(time.DateOnly)
		}
		want := ""
		if w.Known {
			want = w.EndsOn.Format(time.DateOnly)
		}
		if got != want {
			t.Errorf("%s: %s: effective end %q, WarrantyOf %q", when, a.Serial, got, want)
		}
	}
}

// TestEffectiveWarrantyEndKeptRight checks the persisted column against
// WarrantyOf after import, re-import, a vendor's new months, and the admin's
// edits, including month ends (the 31st plus one month, leap days).
func TestEffectiveWarrantyEndKeptRight(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.importCSV("serial,vendor,delivered_on,warranty_months,warranty_ends_on\n" +
		"M31,Refurbo AB,2024-01-31,1,\n" + // 2024-02-30 → 2024-03-01
		"LEAP,Refurbo AB,2024-02-29,12,\n" +
		"VEND,Refurbo AB,2023-08-31,,\n" + // the vendor's 36 months
		"NOVEND,,2023-08-31,,\n" + // the default 36 months
		"FIXED,Refurbo AB,2020-01-01,12,2030-01-31\n" +
		"NONE,Refurbo AB,,,\n")
	f.checkEffective(t, "after import")
	if got := f.asset("M31").WarrantyEndsOnEffective; got == nil || got.Format(time.DateOnly) != "2024-03-01" {
		t.Errorf("M31 effective end %v, want 2024-03-01", got)
	}

	f.importCSV("serial,vendor,delivered_on,warranty_months\nVEND,Refurbo AB,2024-05-31,\nFIXED,Refurbo AB,2020-01-01,12\n")
	f.checkEffective(t, "after re-import")
	if got := f.asset("FIXED").WarrantyEndsOnEffective; got == nil || got.Format(time.DateOnly) != "2020-12-31" {
		t.Errorf("FIXED without its end date: %v, want 2020-12-31", got)
	}

	if err := f.store.UpsertVendor(ctx, &models.Vendor{Name: "Refurbo AB", Email: "garanti@refurbo.test", WarrantyMonths: 24}); err != nil {
		t.Fatal(err)
	}
	f.checkEffective(t, "after the vendor's months changed")
	if got := f.asset("VEND").WarrantyEndsOnEffective; got == nil || got.Format(time.DateOnly) != "2026-05-30" {
		t.Errorf("VEND with 24 vendor months: %v, want 2026-05-30", got)
	}

	admin := f.admin()
	end := time.Date(2029, 2, 28, 0, 0, 0, 0, time.UTC)
	if err := f.desk.UpdateWarranty(ctx, admin, "vend", WarrantyEdit{EndsOn: &end}); err != nil {
		t.Fatal(err)
	}
	if err := f.desk.UpdateWarranty(ctx, admin, "NOVEND", WarrantyEdit{Months: 48}); err != nil {
		t.Fatal(err)
	}
	f.checkEffective(t, "after the admin's edits")
	if got := f.asset("VEND").WarrantyEndsOnEffective; got == nil || !got.Equal(end) {
		t.Errorf("VEND fixed end: %v", got)
	}
}

// TestImportRecordsWarrantyHistory: a re-import that changes a device's
// warranty records each changed field, by actor "import"; unchanged rows and
// new devices record nothing.
func TestImportRecordsWarrantyHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	sum := f.importCSV("serial,asset_tag,model,vendor,delivered_on,warranty_months,assigned_to\n" +
		"PF3KX2A1,KOM-00017,ThinkPad T14,Refurbo AB,2025-07-01,24,anna@kommun.test\n" +
		"NEW1,,ThinkPad T14,Refurbo AB,2025-07-01,,\n")
	if sum.Imported != 1 || sum.Updated != 1 {
		t.Fatalf("summary %s", sum)
	}
	events, err := f.store.Audit(ctx, "asset", f.asset("PF3KX2A1").ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.Actor+" "+e.Field+" "+e.Old+"→"+e.New)
	}
	want := []string{"import delivered_on 2025-06-01→2025-07-01", "import warranty_months →24"}
	if !slices.Equal(got, want) {
		t.Errorf("history %q, want %q", got, want)
	}
	if events, _ := f.store.Audit(ctx, "asset", f.asset("NEW1").ID); len(events) != 0 {
		t.Errorf("a new device has history: %v", events)
	}
	// The same list again changes nothing and records nothing.
	f.importCSV("serial,asset_tag,model,vendor,delivered_on,warranty_months,assigned_to\n" +
		"PF3KX2A1,KOM-00017,ThinkPad T14,Refurbo AB,2025-07-01,24,anna@kommun.test\n")
	if again, _ := f.store.Audit(ctx, "asset", f.asset("PF3KX2A1").ID); len(again) != len(events) {
		t.Errorf("unchanged re-import recorded %d events", len(again)-len(events))
	}
	// Dropping the vendor is a warranty change too.
	f.importCSV("serial,delivered_on,warranty_months\nPF3KX2A1,2025-07-01,24\n")
	last, _ := f.store.Audit(ctx, "asset", f.asset("PF3KX2A1").ID)
	if e := last[len(last)-1]; e.Field != FieldVendor || e.Old != "Refurbo AB" || e.New != "" {
		t.Errorf("vendor change recorded as %+v", e)
	}
}

// TestSwapAsset: the old device is retired and points at the new one; the
// new one is delivered on the swap day with the vendor's warranty from then,
// for the same person; both and the ticket record it.
func TestSwapAsset(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.deliver(mailFrom("anna@kommun.test", "Skärmen är trasig", "Skärmen är sprucken. S/N: PF3KX2A1"))
	tk := f.ticket(1001)
	old := f.asset("PF3KX2A1")
	if tk.AssetID == nil || *tk.AssetID != old.ID {
		t.Fatalf("ticket not linked to PF3KX2A1: %v", tk.AssetID)
	}
	agent, err := f.desk.CreateAgent(ctx, "agent@kommun.test", "Agent", models.RoleAgent, "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.desk.SwapAsset(ctx, agent, "PF3KX2A1", "PF9NEW77", "", 1001); !errors.Is(err, ErrForbidden) {
		t.Fatalf("agent swap: %v, want ErrForbidden", err)
	}
	admin := f.admin()
	f.now = time.Date(2026, 11, 26, 14, 0, 0, 0, time.UTC)
	repl, err := f.desk.SwapAsset(ctx, admin, "pf3kx2a1", "pf9-new77", "ThinkPad T14 Gen 5", 1001)
	if err != nil {
		t.Fatal(err)
	}
	old = f.asset("PF3KX2A1")
	if old.State != models.AssetRetired || old.ReplacedByID == nil || *old.ReplacedByID != repl.ID {
		t.Errorf("old device: state %s, replaced by %v, want retired and %d", old.State, old.ReplacedByID, repl.ID)
	}
	if repl.Serial != "PF9NEW77" || repl.Model != "ThinkPad T14 Gen 5" || repl.AssignedTo != "anna@kommun.test" ||
		repl.VendorID == nil || *repl.VendorID != *old.VendorID || repl.State != models.AssetInUse {
		t.Errorf("new device %+v", repl)
	}
	if d := dayText(repl.DeliveredOn); d != "2026-11-26" {
		t.Errorf("new device delivered %s, want the swap day 2026-11-26", d)
	}
	w := WarrantyOf(repl, f.now)
	if got := w.EndsOn.Format(time.DateOnly); got != "2029-11-25" || dayText(repl.WarrantyEndsOnEffective) != got {
		t.Errorf("new warranty ends %s (stored %s), want 2029-11-25 (36 vendor months from the swap)", got, dayText(repl.WarrantyEndsOnEffective))
	}
	fields := func(id uint) []string {
		events, err := f.store.Audit(ctx, "asset", id)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range events {
			if e.Actor == admin.Email { // routing may have recorded the forward to the vendor before
				out = append(out, e.Field+"="+e.New)
			}
		}
		return out
	}
	if got := fields(old.ID); !slices.Equal(got, []string{"state=retired", "replaced_by=PF9NEW77"}) {
		t.Errorf("old device history %v", got)
	}
	if got := fields(repl.ID); !slices.Equal(got, []string{"replaces=PF3KX2A1"}) {
		t.Errorf("new device history %v", got)
	}
	if tk := f.ticket(1001); tk.AssetID == nil || *tk.AssetID != repl.ID {
		t.Errorf("ticket linked to %v, want the new device %d", tk.AssetID, repl.ID)
	}
	var cerr *ConflictError
	if _, err := f.desk.SwapAsset(ctx, admin, "PF3KX2A1", "PF9NEW78", "", 0); !errors.As(err, &cerr) {
		t.Errorf("swapping a retired device: %v, want a conflict", err)
	}
	var verr *ValidationError
	if _, err := f.desk.SwapAsset(ctx, admin, "PF9NEW77", "pf9new77", "", 0); !errors.As(err, &verr) {
		t.Errorf("swap with itself: %v, want a validation error", err)
	}
	v, err := f.desk.AssetView(ctx, "PF9NEW77")
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Replaces) != 1 || v.Replaces[0].Serial != "PF3KX2A1" || len(v.Tickets) != 1 ||
		v.Basis.Fixed || v.Basis.MonthsFrom != MonthsFromVendor || v.Basis.Months != 36 {
		t.Errorf("asset view: replaces %v, %d tickets, basis %+v", v.Replaces, len(v.Tickets), v.Basis)
	}
}

func TestLookAlikeSerials(t *testing.T) {
	got := LookAlikeSerials("PFOAB5I2")
	want := []string{"PF0AB5I2", "PFOA85I2", "PFOABSI2", "PFOAB512"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

// TestSerialCandidates: the ticket page offers the other known serials of
// the first mail, and registered near matches of an unknown one (O/0).
func TestSerialCandidates(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.importCSV("serial,model\nPF0ABC12,ThinkPad X13\n")
	f.deliver(mailFrom("anna@kommun.test", "Två datorer", "Serienummer: PF3KX2A1\nDen andra har S/N: PC1M8QWE"))
	got, err := f.desk.SerialCandidates(ctx, 1001)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Asset.Serial != "PC1M8QWE" || got[0].Near {
		t.Errorf("known serials: %+v, want PC1M8QWE (the linked PF3KX2A1 left out)", got)
	}
	f.deliver(mailFrom("bo@kommun.test", "Trasig dator", "Serienummer: PFOABC12"))
	if tk := f.ticket(1002); tk.AssetID != nil {
		t.Fatalf("the misread serial was linked: %v", tk.AssetID)
	}
	got, err = f.desk.SerialCandidates(ctx, 1002)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Asset.Serial != "PF0ABC12" || !got[0].Near || got[0].Found != "PFOABC12" {
		t.Errorf("near match: %+v, want PF0ABC12 for PFOABC12", got)
	}
}
