package models

import (
	"context"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestMessagesMatchGORM compares the hand-scanned conversation with GORM's
// reading of the same rows (Preload of the attachments), field by field: a
// message with every field, one with attachments, one whose optional
// columns hold NULL, two at the same time (ordered by id), and a ticket
// without messages.
func TestMessagesMatchGORM(t *testing.T) {
	ctx := context.Background()
	s, r, bo, _ := partiesFixture(t)
	tk := &Ticket{Subject: "Skärmen", RequesterID: r.ID, Status: StatusNew, Priority: "normal", Category: CategoryOther}
	empty := &Ticket{Subject: "Tomt", RequesterID: r.ID, Status: StatusNew, Priority: "normal", Category: CategoryOther}
	for _, x := range []*Ticket{tk, empty} {
		if err := s.CreateTicket(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := s.PutBlob(ctx, []byte("bild"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 3, 1, 9, 0, 0, 123456789, time.UTC)
	full := &Message{TicketID: tk.ID, Direction: "in", Kind: "email", FromName: "Eva Ek", FromEmail: "eva@corp.test",
		To: "it@desk.test", Cc: "x@corp.test", Subject: "Skärmen", Text: "Hej!\nDen är svart.", HTML: "<p>Hej!</p>",
		MessageID: "<a@corp.test>", InReplyTo: "<b@corp.test>", References: "<c@corp.test> <b@corp.test>", AutoClass: "personal",
		CreatedAt: at}
	withFiles := &Message{TicketID: tk.ID, Direction: "in", Kind: "email", Text: "Bilder", CreatedAt: at.Add(time.Hour),
		Attachments: []Attachment{
			{BlobSHA256: sum, Filename: "bild.jpg", ContentType: "image/jpeg", Size: 4, ContentID: "<img1>", Inline: true, CreatedAt: at},
			{BlobSHA256: sum, Filename: "kvitto.pdf", ContentType: "application/pdf", Size: 4},
		}}
	reply := &Message{TicketID: tk.ID, Direction: "out", Kind: "email", Text: "Vi tittar.", AgentID: &bo.ID, CreatedAt: at.Add(2 * time.Hour)}
	sameTime := &Message{TicketID: tk.ID, Direction: "out", Kind: KindNote, Text: "Anteckning", AgentID: &bo.ID, CreatedAt: at.Add(2 * time.Hour)}
	nulls := &Message{TicketID: tk.ID, Direction: "in", Kind: "email", Text: "Importerad", CreatedAt: at.Add(3 * time.Hour)}
	for _, m := range []*Message{sameTime, full, withFiles, reply, nulls} { // not in time order
		if err := s.AddMessage(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.w.Exec(`UPDATE messages SET from_name = NULL, from_email = NULL, "to" = NULL, cc = NULL, subject = NULL, html = NULL,
		message_id = NULL, in_reply_to = NULL, "references" = NULL, auto_class = NULL WHERE id = ?`, nulls.ID).Error; err != nil {
		t.Fatal(err)
	}
	if err := s.w.Exec("UPDATE attachments SET filename = NULL, content_type = NULL, size = NULL, content_id = NULL, inline = NULL WHERE id = ?",
		withFiles.Attachments[1].ID).Error; err != nil {
		t.Fatal(err)
	}
	for _, x := range []*Ticket{tk, empty} {
		t.Run(x.Subject, func(t *testing.T) {
			got, err := s.Messages(ctx, x.ID)
			if err != nil {
				t.Fatal(err)
			}
			var want []Message
			if err := s.r.Preload("Attachments").Where("ticket_id = ?", x.ID).Order("created_at, id").Find(&want).Error; err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || (got == nil) != (want == nil) {
				t.Fatalf("%d messages (nil %v), want %d (nil %v)", len(got), got == nil, len(want), want == nil)
			}
			for i := range want {
				if !reflect.DeepEqual(got[i], want[i]) {
					t.Errorf("message %d:\n got %+v\nwant %+v", i, got[i], want[i])
				}
			}
		})
	}
	got, err := s.Messages(ctx, tk.ID)
	if err != nil || len(got) != 5 || got[0].ID != full.ID || got[2].ID != sameTime.ID || got[3].ID != reply.ID ||
		len(got[1].Attachments) != 2 || got[1].Attachments[0].Filename != "bild.jpg" || !got[1].Attachments[0].Inline {
		t.Errorf("conversation: %+v, %v", got, err)
	}
}

// TestAuditMatchesGORM compares the hand-scanned audit of a ticket with
// GORM's reading of the same rows: in time order (id breaking ties), NULL
// texts, another object's events left out, and an object without any.
func TestAuditMatchesGORM(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	at := time.Date(2024, 3, 1, 9, 0, 0, 123456000, time.UTC)
	for _, e := range []AuditEvent{
		{Actor: "anna@desk.test", Object: "ticket", ObjectID: 7, Field: "status", Old: "new", New: "open", At: at.Add(time.Hour)},
		{Actor: "intake", Object: "ticket", ObjectID: 7, Field: "asset", Old: "", New: "PF2ABC12", At: at},
		{Actor: "system", Object: "ticket", ObjectID: 7, Field: "sla", Old: "a", New: "b", At: at},
		{Actor: "anna@desk.test", Object: "asset", ObjectID: 7, Field: "state", Old: "in_use", New: "retired", At: at},
		{Actor: "anna@desk.test", Object: "ticket", ObjectID: 8, Field: "status", At: at},
	} {
		if err := s.AddAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.w.Exec("UPDATE audit_events SET field = NULL, old = NULL, new = NULL WHERE actor = 'system'").Error; err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		object string
		id     uint
		n      int
	}{{"ticket", 7, 3}, {"asset", 7, 1}, {"ticket", 9, 0}} {
		got, err := s.Audit(ctx, tc.object, tc.id)
		if err != nil {
			t.Fatal(err)
		}
		var want []AuditEvent
		if err := s.r.Where("object = ? AND object_id = ?", tc.object, tc.id).Order("at, id").Find(&want).Error; err != nil {
			t.Fatal(err)
		}
		if len(got) != tc.n || !reflect.DeepEqual(got, want) {
			t.Errorf("%s %d:\n got %+v\nwant %+v", tc.object, tc.id, got, want)
		}
	}
}

// assetFixture opens a fresh store with one reseller, for the tests that
// compare hand-scanned devices with GORM's reading of them.
func assetFixture(t *testing.T) (*Store, *Vendor) {
	t.Helper()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	v := &Vendor{Name: "Atea", Email: "rma@atea.test", CasePattern: `RMA-\d+`, WarrantyMonths: 24, TurnaroundDays: 7, AutoForward: true}
	if err := s.w.Create(v).Error; err != nil {
		t.Fatal(err)
	}
	return s, v
}

// nullAssetTexts sets the optional texts of a device to NULL, as rows
// written before those columns had defaults have them.
func nullAssetTexts(t *testing.T, s *Store, serial string) {
	t.Helper()
	if err := s.w.Exec("UPDATE assets SET asset_tag = NULL, model = NULL, manufacturer = NULL, department = NULL WHERE serial = ?", serial).Error; err != nil {
		t.Fatal(err)
	}
}

// TestAssetsAssignedToMatchesGORM compares the hand-scanned devices of a
// requester with GORM's reading of the same rows (Preload of the
// reseller): every field set, a device without reseller, NULL texts, a
// retired device and another requester's left out, the address in any case.
func TestAssetsAssignedToMatchesGORM(t *testing.T) {
	ctx := context.Background()
	s, v := assetFixture(t)
	delivered, ends := time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, a := range []*Asset{
		{Serial: "PF2ABC12", AssetTag: "IT-1", Model: "ThinkPad T14", Manufacturer: "Lenovo", VendorID: &v.ID, DeliveredOn: &delivered,
			WarrantyMonths: 36, WarrantyEndsOn: &ends, AssignedTo: "Eva@Corp.test", Department: "Ekonomi", State: AssetInUse},
		{Serial: "C02XYZ", AssignedTo: "eva@corp.test", State: AssetAtVendor},
		{Serial: "OLD1", AssignedTo: "eva@corp.test", State: AssetRetired},
		{Serial: "BOS1", AssignedTo: "bo@corp.test", State: AssetInUse},
	} {
		if _, err := s.UpsertAsset(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	nullAssetTexts(t, s, "C02XYZ")
	later := time.Date(2025, 5, 6, 7, 8, 9, 0, time.UTC)
	for _, table := range []string{"assets", "vendors"} {
		if err := s.w.Exec("UPDATE "+table+" SET updated_at = ?", later).Error; err != nil {
			t.Fatal(err)
		}
	}
	for _, email := range []string{"EVA@corp.test", "nobody@corp.test"} {
		got, err := s.AssetsAssignedTo(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		var want []Asset
		if err := s.r.Preload("Vendor").Where("LOWER(assigned_to) = ? AND state <> ?", strings.ToLower(email), AssetRetired).
			Order("id").Find(&want).Error; err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", email, got, want)
		}
	}
	if got, _ := s.AssetsAssignedTo(ctx, "eva@corp.test"); len(got) != 2 || got[0].Vendor == nil || got[0].Vendor.Name != "Atea" || got[1].Vendor != nil {
		t.Errorf("devices of eva: %+v", got)
	}
}

// TestAssetsByCandidatesMatchesGORM compares the hand-scanned assets found
// for serial candidates with what GORM's Find with Preload("Vendor") gave,
// in and outside a transaction: candidate order, a match by asset tag
// written with dashes and spaces, two assets matching one candidate (one by
// serial, the other by tag), an asset without vendor and with NULL texts, a
// candidate given twice, and none found.
func TestAssetsByCandidatesMatchesGORM(t *testing.T) {
	ctx := context.Background()
	s, v := assetFixture(t)
	delivered, ends := time.Date(2023, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC)
	for _, a := range []*Asset{
		{Serial: "PF2ABC12", AssetTag: "it-1", Model: "ThinkPad T14", Manufacturer: "Lenovo", VendorID: &v.ID, DeliveredOn: &delivered,
			WarrantyMonths: 36, WarrantyEndsOn: &ends, AssignedTo: "eva@corp.test", Department: "Ekonomi", State: AssetInUse},
		{Serial: "C02XYZ", State: AssetAtVendor},
		{Serial: "IT1", AssetTag: "X-9", VendorID: &v.ID, DeliveredOn: &delivered, State: AssetInUse},
		{Serial: "SN777", AssetTag: "ab 12-3", State: AssetRetired},
	} {
		if _, err := s.UpsertAsset(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	nullAssetTexts(t, s, "C02XYZ")
	// What AssetsByCandidates was before it scanned by hand.
	viaGORM := func(db *Store, candidates []string) []Asset {
		t.Helper()
		if len(candidates) == 0 {
			return nil
		}
		var found []Asset
		if err := db.r.Preload("Vendor").Where("serial IN ? OR "+normTagSQL+" IN ?", candidates, candidates).Find(&found).Error; err != nil {
			t.Fatal(err)
		}
		var out []Asset
		seen := map[uint]bool{}
		for _, c := range candidates {
			for _, a := range found {
				tag := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(a.AssetTag))
				if !seen[a.ID] && (a.Serial == c || tag == c) {
					seen[a.ID] = true
					out = append(out, a)
				}
			}
		}
		return out
	}
	cases := []struct {
		name       string
		candidates []string
		serials    []string // of the assets found, in order
	}{
		{"serial and tag of two assets", []string{"IT1"}, []string{"IT1", "PF2ABC12"}},
		{"candidate order", []string{"C02XYZ", "PF2ABC12"}, []string{"C02XYZ", "PF2ABC12"}},
		{"tag with dashes and spaces, repeats, unknown", []string{"AB123", "NOPE", "PF2ABC12", "AB123", "IT1"}, []string{"SN777", "PF2ABC12", "IT1"}},
		{"none found", []string{"NOPE"}, nil},
		{"no candidates", nil, nil},
	}
	check := func(t *testing.T, db *Store, candidates, serials []string) {
		t.Helper()
		got, err := db.AssetsByCandidates(ctx, candidates)
		if err != nil {
			t.Fatal(err)
		}
		if want := viaGORM(db, candidates); !reflect.DeepEqual(got, want) {
			t.Errorf("\n got %+v\nwant %+v", got, want)
		}
		var gotSerials []string
		for _, a := range got {
			gotSerials = append(gotSerials, a.Serial)
			if (a.VendorID != nil) != (a.Vendor != nil) {
				t.Errorf("%s: vendor id %v, vendor %v", a.Serial, a.VendorID, a.Vendor)
			}
		}
		if !s.sqlite() {
			// Without an ORDER BY, PostgreSQL's plan decides which of two
			// assets matching one candidate comes first, before as now.
			serials = slices.Clone(serials)
			slices.Sort(gotSerials)
			slices.Sort(serials)
		}
		if !slices.Equal(gotSerials, serials) {
			t.Errorf("found %v; want %v", gotSerials, serials)
		}
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			check(t, s, c.candidates, c.serials)
			if err := s.Tx(ctx, func(tx *Store) error { check(t, tx, c.candidates, c.serials); return nil }); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestUpsertRequesterKeepsAndUpdates checks what a later mail from a known
// sender changes: a missing name is filled in but a known one kept, the
// language follows the latest mail, updated_at moves with a change (the
// returned requester as stored) and stays without one.
func TestUpsertRequesterKeepsAndUpdates(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	stored := func(id uint) Requester {
		t.Helper()
		var r Requester
		if err := s.r.First(&r, id).Error; err != nil {
			t.Fatal(err)
		}
		return r
	}
	first, err := s.UpsertRequester(ctx, "Eva@Corp.test", "", "sv")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, given, lang  string
		wantName, wantLang string
		changed            bool
	}{
		{"a name where none was", "Eva Ek", "", "Eva Ek", "sv", true},
		{"a known name is kept", "Someone Else", "", "Eva Ek", "sv", false},
		{"the language follows", "", "en", "Eva Ek", "en", true},
		{"name and language at once", "Other", "sv", "Eva Ek", "sv", true},
		{"nothing new", "", "", "Eva Ek", "sv", false},
	}
	before := stored(first.ID)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			time.Sleep(2 * time.Millisecond) // updated_at must be able to move
			got, err := s.UpsertRequester(ctx, "eva@corp.test", c.given, c.lang)
			if err != nil {
				t.Fatal(err)
			}
			row := stored(first.ID)
			if got.ID != first.ID || got.Name != c.wantName || got.Language != c.wantLang || row.Name != c.wantName || row.Language != c.wantLang {
				t.Errorf("returned %q/%q, stored %q/%q; want %q/%q", got.Name, got.Language, row.Name, row.Language, c.wantName, c.wantLang)
			}
			// PostgreSQL keeps microseconds.
			if d := got.UpdatedAt.Sub(row.UpdatedAt); d < 0 || d >= time.Microsecond {
				t.Errorf("returned updated_at %v, stored %v", got.UpdatedAt, row.UpdatedAt)
			}
			if moved := row.UpdatedAt.After(before.UpdatedAt); moved != c.changed {
				t.Errorf("updated_at moved %v; want %v", moved, c.changed)
			}
			before = row
		})
	}
}
