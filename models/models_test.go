package models

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"warrantydesk/internal/testenv"
)

func openTest(t *testing.T, path string) *Store {
	t.Helper()
	s, err := Open(context.Background(), testOptions(t, path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// testDatabases maps the SQLite paths of the tests to their PostgreSQL
// databases when the suite runs on PostgreSQL, so that a test reopening
// "its file" reopens its database.
var testDatabases sync.Map

// testOptions are the Options of the test database path: that SQLite file,
// or the PostgreSQL database standing for it (created at first use).
func testOptions(t testing.TB, path string) Options {
	t.Helper()
	if !testenv.OnPostgres() {
		return Options{DSN: path}
	}
	if dsn, ok := testDatabases.Load(path); ok {
		return Options{Driver: DriverPostgres, DSN: dsn.(string)}
	}
	_, dsn := testenv.Database(t)
	testDatabases.Store(path, dsn)
	return Options{Driver: DriverPostgres, DSN: dsn}
}

func TestMigrationsAreRecordedAndIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "wd.db")
	s := openTest(t, path)
	applied, err := s.AppliedMigrations(context.Background())
	if err != nil || len(applied) != len(allMigrations) { // versions have gaps between feature areas
		t.Fatalf("applied %v (%v), want %d", applied, err, len(allMigrations))
	}
	s.Close()
	again := openTest(t, path) // a second start applies nothing and loses nothing
	applied2, _ := again.AppliedMigrations(context.Background())
	if len(applied2) != len(applied) || !applied2[0].AppliedAt.Equal(applied[0].AppliedAt) {
		t.Errorf("re-open changed the migration record: %v → %v", applied, applied2)
	}
	// A database from a newer binary is refused with a clear message.
	if err := again.w.Create(&SchemaMigration{Version: SchemaVersion() + 1, Description: "future"}).Error; err != nil {
		t.Fatal(err)
	}
	again.Close()
	_, err = Open(context.Background(), testOptions(t, path))
	if err == nil || !strings.Contains(err.Error(), "newer than this binary") {
		t.Errorf("want refusal of a newer schema, got %v", err)
	}
}

func TestPragmas(t *testing.T) {
	testenv.SkipOnPostgres(t, "SQLite pragmas")
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	var mode string
	var fk int
	s.w.Raw("PRAGMA journal_mode").Scan(&mode)
	s.w.Raw("PRAGMA foreign_keys").Scan(&fk)
	if mode != "wal" || fk != 1 {
		t.Errorf("journal_mode %q foreign_keys %d, want wal and 1", mode, fk)
	}
}

func TestRecordFetchedIsIdempotentPerUID(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	ctx := context.Background()
	mails := []FetchedMail{{UID: 1, Raw: []byte("Subject: a\r\n\r\nA")}, {UID: 2, Raw: []byte("Subject: b\r\n\r\nB")}}
	ids, err := s.RecordFetched(ctx, "INBOX", 7, mails)
	if err != nil || len(ids) != 2 {
		t.Fatalf("%v %v", ids, err)
	}
	ids, err = s.RecordFetched(ctx, "INBOX", 7, mails) // a crash before the cursor moved: fetched again
	if err != nil || len(ids) != 0 {
		t.Errorf("second record of the same UIDs created %v (%v)", ids, err)
	}
	c, _ := s.Cursor(ctx, "INBOX")
	if c.UIDValidity != 7 || c.LastUID != 2 {
		t.Errorf("cursor %+v", c)
	}
	// The cursor never moves backwards.
	if _, err := s.RecordFetched(ctx, "INBOX", 7, []FetchedMail{{UID: 1, Raw: []byte("x")}}); err != nil {
		t.Fatal(err)
	}
	if c, _ := s.Cursor(ctx, "INBOX"); c.LastUID != 2 {
		t.Errorf("cursor went back to %d", c.LastUID)
	}
	raw, err := s.Blob(ctx, SHA256Hex(mails[0].Raw))
	if err != nil || string(raw) != string(mails[0].Raw) {
		t.Errorf("raw mail not kept byte for byte: %q %v", raw, err)
	}
}

// Hostile search input never reaches FTS5 as syntax.
func TestFTSQueryIsAlwaysSafe(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	ctx := context.Background()
	r, err := s.UpsertRequester(ctx, "anna@kommun.test", "Anna", "sv")
	if err != nil {
		t.Fatal(err)
	}
	tk := &Ticket{Subject: "Skärmen är sprucken", RequesterID: r.ID, Status: StatusNew, Category: CategoryHardware, Priority: "normal"}
	if err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatal(err)
	}
	if err := s.IndexTicket(ctx, tk.ID); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`"`, `*`, `NEAR(a b)`, `skärm OR`, `AND`, `a:b`, `'); DROP TABLE tickets; --`, `^`, `"unbalanced`, `(`, `-`, `   `} {
		if _, _, err := s.ListTickets(ctx, TicketFilter{Q: q}); err != nil {
			t.Errorf("query %q: %v", q, err)
		}
	}
	for _, q := range []string{"skarm", "skärm", "SKÄRMEN", "sprucken", "1001", "#1001", "anna"} {
		_, n, err := s.ListTickets(ctx, TicketFilter{Q: q})
		if err != nil || n != 1 {
			t.Errorf("search %q found %d (%v), want the ticket", q, n, err)
		}
	}
}

// Under a batch cache the configuration tables are read once; elsewhere every read is fresh.
func TestBatchCacheReadsConfigurationOnce(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	ctx := context.Background()
	if err := s.UpsertVendor(ctx, &Vendor{Name: "Refurbo AB", Email: "g@refurbo.test"}); err != nil {
		t.Fatal(err)
	}
	batch := WithBatchCache(ctx)
	first, err := s.ListVendors(batch)
	if err != nil || len(first) != 1 {
		t.Fatalf("%v %v", first, err)
	}
	first[0].Name = "changed by the caller" // callers get their own copy
	if err := s.UpsertVendor(ctx, &Vendor{Name: "Datacycle", Email: "s@datacycle.test"}); err != nil {
		t.Fatal(err)
	}
	again, _ := s.ListVendors(batch)
	if len(again) != 1 || again[0].Name != "Refurbo AB" {
		t.Errorf("batch read: %+v", again)
	}
	if fresh, _ := s.ListVendors(ctx); len(fresh) != 2 {
		t.Errorf("read outside the batch: %+v", fresh)
	}
}

// TestLongValuesAreStored: a subject, Message-ID or name longer than the
// structs' size tags is stored, as SQLite (which ignores a varchar's
// length) always stored it; PostgreSQL must not refuse the mail.
func TestLongValuesAreStored(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	ctx := context.Background()
	long := strings.Repeat("skärm ", 200) // 1 400 bytes, 1 200 characters
	r, err := s.UpsertRequester(ctx, "eva@corp.test", long, "sv")
	if err != nil {
		t.Fatal(err)
	}
	tk := &Ticket{Subject: long, RequesterID: r.ID, Status: StatusNew, Priority: "normal", Category: CategoryOther}
	if err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatalf("ticket with a long subject: %v", err)
	}
	m := &Message{TicketID: tk.ID, Direction: DirIn, Kind: KindEmail, Subject: long, MessageID: long + "@x", InReplyTo: long}
	if err := s.AddMessage(ctx, m); err != nil {
		t.Fatalf("message with a long Message-ID: %v", err)
	}
	if id, err := s.TicketIDByMessageID(ctx, long+"@x"); err != nil || id != tk.ID {
		t.Errorf("found by its long Message-ID: %d, %v", id, err)
	}
}

// TestBrokenTextIsStored: NUL bytes and invalid UTF-8 (a broken mail) in a
// subject, a name or a Message-ID are stored, and found again by the same
// value: SQLite keeps the bytes, PostgreSQL (which refuses both in text)
// drops the NULs and replaces the broken bytes.
func TestBrokenTextIsStored(t *testing.T) {
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	ctx := context.Background()
	broken := "Sk\xe4rmen\x00 \xff\xfe trasig"
	r, err := s.UpsertRequester(ctx, "eva@corp.test", broken, "sv")
	if err != nil {
		t.Fatal(err)
	}
	tk := &Ticket{Subject: broken, RequesterID: r.ID, Requester: *r, Status: StatusNew, Priority: "normal", Category: CategoryOther}
	if err := s.CreateTicket(ctx, tk); err != nil {
		t.Fatalf("ticket with a broken subject: %v", err)
	}
	if err := s.AddMessage(ctx, &Message{TicketID: tk.ID, Direction: DirIn, Kind: KindEmail, Subject: broken, Text: broken,
		MessageID: broken + "@x"}); err != nil {
		t.Fatalf("message with broken text: %v", err)
	}
	if err := s.IndexTicket(ctx, tk.ID); err != nil {
		t.Fatalf("index broken text: %v", err)
	}
	if id, err := s.TicketIDByMessageID(ctx, broken+"@x"); err != nil || id != tk.ID {
		t.Errorf("found by its broken Message-ID: %d, %v", id, err)
	}
	got, err := s.TicketByID(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !s.sqlite() && (strings.ContainsRune(got.Subject, 0) || !utf8.ValidString(got.Subject)) {
		t.Errorf("PostgreSQL stored %q", got.Subject)
	}
}
