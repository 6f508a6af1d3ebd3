package models

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// TestVendorLoopMigrationUpgradesALiveDatabase rewinds a database to before
// migration 30 (columns, table and record gone, a ticket waiting at the
// vendor) and checks that the next start adds everything back without
// losing the rows and starts that ticket's SLA pause.
func TestVendorLoopMigrationUpgradesALiveDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wd.db")
	s := openTest(t, path)
	r, err := s.UpsertRequester(ctx, "anna@kommun.test", "Anna", "sv")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.UpsertVendor(ctx, &Vendor{Name: "Refurbo AB", Email: "garanti@refurbo.test"}); err != nil {
		t.Fatal(err)
	}
	v, err := s.VendorByName(ctx, "Refurbo AB")
	if err != nil {
		t.Fatal(err)
	}
	tk := &Ticket{Subject: "Skärmen", RequesterID: r.ID, Status: StatusAtVendor, Category: CategoryHardware}
	if err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	fwd := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	if err := s.SaveVendorCase(ctx, &VendorCase{TicketID: tk.ID, VendorID: v.ID, State: CaseAcknowledged, CaseRef: "RMA-1", ForwardedAt: &fwd}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		// A database from before version 30 has no index of version 51 either.
		"DROP INDEX idx_tickets_running_sla",
		"DELETE FROM schema_migrations WHERE version = 51",
		"ALTER TABLE tickets DROP COLUMN sla_paused_at",
		"ALTER TABLE vendor_cases DROP COLUMN in_repair_at",
		"ALTER TABLE vendor_cases DROP COLUMN closed_at",
		"ALTER TABLE vendor_cases DROP COLUMN reminder_sent_at",
		"ALTER TABLE vendor_cases DROP COLUMN forward_message_id",
		"ALTER TABLE vendor_cases DROP COLUMN paid_repair",
		"DROP INDEX idx_vendor_cases_state",
		"DROP TABLE job_runs",
		"DELETE FROM schema_migrations WHERE version = 30",
	} {
		if err := s.w.Exec(q).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	s.Close()

	s = openTest(t, path)
	for _, col := range []struct{ table, column string }{
		{"tickets", "sla_paused_at"}, {"vendor_cases", "in_repair_at"}, {"vendor_cases", "closed_at"},
		{"vendor_cases", "reminder_sent_at"}, {"vendor_cases", "forward_message_id"}, {"vendor_cases", "paid_repair"},
	} {
		if !s.w.Migrator().HasColumn(col.table, col.column) {
			t.Errorf("%s.%s missing after the upgrade", col.table, col.column)
		}
	}
	// Through the reader pool, whose first connection predates the migration.
	got, err := s.TicketByNumber(ctx, tk.Number)
	if err != nil || got.SLAPausedAt == nil {
		t.Errorf("the ticket at the vendor has no SLA pause after the upgrade: %+v %v", got, err)
	}
	c, err := s.VendorCaseForTicket(ctx, tk.ID)
	if err != nil || c.CaseRef != "RMA-1" || c.State != CaseAcknowledged || !c.ForwardedAt.Equal(fwd) || c.PaidRepair {
		t.Errorf("vendor case after the upgrade: %+v %v", c, err)
	}
	if open, err := s.OpenVendorCases(ctx); err != nil || len(open) != 1 {
		t.Errorf("open cases %v %v", open, err)
	}
	day := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	for i, want := range []bool{true, false} {
		if first, err := s.ClaimJobRun(ctx, "warranty_digest", "2026-11-25", day); err != nil || first != want {
			t.Errorf("claim %d: %v %v, want %v", i, first, err, want)
		}
	}
}
