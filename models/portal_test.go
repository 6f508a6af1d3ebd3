package models

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"warrantydesk/internal/testenv"

	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// TestPortalMigrationUpgrade runs migration 80 on agents and vendors tables
// as they were before it (an upgrade with users in it): the column is added
// empty, it is a foreign key to vendors, and running it again changes nothing.
func TestPortalMigrationUpgrade(t *testing.T) {
	driver, dsn := testenv.Database(t)
	dialector := sqlite.Open(dsn + "?_pragma=foreign_keys(1)&_foreign_keys=1")
	if driver == DriverPostgres {
		dialector = postgres.Open(dsn)
	}
	db, err := gorm.Open(dialector, &gorm.Config{Logger: logger.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if sqlDB, err := db.DB(); err == nil {
		t.Cleanup(func() { _ = sqlDB.Close() })
	}
	for _, q := range []string{
		`CREATE TABLE vendors (id integer PRIMARY KEY AUTOINCREMENT, name text NOT NULL)`,
		`CREATE TABLE agents (id integer PRIMARY KEY AUTOINCREMENT, email text NOT NULL, role text NOT NULL)`,
		`INSERT INTO vendors (name) VALUES ('Refurbo AB')`,
		`INSERT INTO agents (email, role) VALUES ('anna@desk.test', 'agent')`,
	} {
		if err := db.Exec(ddl(db, q)).Error; err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	for round := range 2 {
		if err := db.Transaction(migratePortalVendorID); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
	}
	var n int64
	if err := db.Raw(`SELECT COUNT(*) FROM agents WHERE vendor_id IS NULL`).Scan(&n).Error; err != nil || n != 1 {
		t.Fatalf("existing agent: %d rows with vendor_id NULL (%v), want 1", n, err)
	}
	if err := db.Exec(`INSERT INTO agents (email, role, vendor_id) VALUES ('v@refurbo.test', 'vendor', 1)`).Error; err != nil {
		t.Fatalf("vendor user of an existing vendor: %v", err)
	}
	if err := db.Exec(`INSERT INTO agents (email, role, vendor_id) VALUES ('x@nowhere.test', 'vendor', 99)`).Error; err == nil {
		t.Error("a vendor user of a vendor that does not exist was stored")
	}
	if err := db.Exec(`DELETE FROM vendors WHERE id = 1`).Error; err == nil {
		t.Error("a vendor with users was deleted")
	}
	indexes := `SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = 'idx_agents_vendor_id'`
	if driver == DriverPostgres {
		indexes = `SELECT COUNT(*) FROM pg_indexes WHERE indexname = 'idx_agents_vendor_id'`
	}
	if err := db.Raw(indexes).Scan(&n).Error; err != nil || n != 1 {
		t.Errorf("index idx_agents_vendor_id: %d (%v)", n, err)
	}
}

// TestPortalQueriesAreScopedByVendor checks that a vendor's queries return
// its own cases and users only.
func TestPortalQueriesAreScopedByVendor(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	ctx := context.Background()
	var vendors [2]*Vendor
	for i, name := range []string{"Atea", "Refurbo AB"} {
		if err := s.UpsertVendor(ctx, &Vendor{Name: name, Email: "cases@" + name[:4] + ".test"}); err != nil {
			t.Fatal(err)
		}
		v, err := s.VendorByName(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		vendors[i] = v
	}
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv")
	if err != nil {
		t.Fatal(err)
	}
	var tickets [2]*Ticket
	for i := range tickets {
		tickets[i] = &Ticket{Subject: "Trasig", RequesterID: r.ID, Status: StatusAtVendor, Category: CategoryHardware}
		if err := s.CreateTicket(ctx, tickets[i]); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveVendorCase(ctx, &VendorCase{TicketID: tickets[i].ID, VendorID: vendors[i].ID, State: CaseForwarded}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateAgent(ctx, &Agent{Email: "u" + string(rune('a'+i)) + "@v.test", Name: "U", Role: RoleVendor,
			PasswordHash: "x", VendorID: &vendors[i].ID}); err != nil {
			t.Fatal(err)
		}
	}
	cases, err := s.VendorCasesOfVendor(ctx, vendors[0].ID)
	if err != nil || len(cases) != 1 || cases[0].TicketID != tickets[0].ID || cases[0].Vendor.Name != "Atea" {
		t.Fatalf("Atea's cases: %+v, %v", cases, err)
	}
	if _, err := s.VendorCaseOfVendor(ctx, tickets[1].ID, vendors[0].ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("Refurbo's ticket as Atea: %v, want ErrNotFound", err)
	}
	ids, err := s.VendorUserIDs(ctx, vendors[1].ID)
	if err != nil || len(ids) != 1 {
		t.Errorf("Refurbo's users: %v, %v", ids, err)
	}
}
