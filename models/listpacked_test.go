package models

import (
	"context"
	"fmt"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTicketsWithPartiesMatchGORM compares the list's tickets, read packed
// on SQLite (scanned on PostgreSQL), field by field with GORM's reading of
// the same rows: tickets with and without each party, NULL text columns,
// times with and without a fraction or an offset, and texts holding the
// packing's separator or a time that is not text, which the packed reading
// must leave to the driver.
func TestTicketsWithPartiesMatchGORM(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva Ek", "sv")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SetRequesterDepartment(ctx, r.Email, "Ekonomi"); err != nil {
		t.Fatal(err)
	}
	v := &Vendor{Name: "Atea", Email: "rma@atea.test"}
	if err := s.w.Create(v).Error; err != nil {
		t.Fatal(err)
	}
	bo := &Agent{Email: "bo@desk.test", Name: "Bo Å", Role: RoleAgent, PasswordHash: "x"}
	if err := s.w.Create(bo).Error; err != nil {
		t.Fatal(err)
	}
	withVendor := &Asset{Serial: "PF2ABC12", AssetTag: "IT-1", Model: "ThinkPad T14", Manufacturer: "Lenovo", VendorID: &v.ID}
	bare := &Asset{Serial: "C02XYZ"}
	for _, a := range []*Asset{withVendor, bare} {
		if _, err := s.UpsertAsset(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	due := time.Date(2024, 3, 1, 9, 30, 0, 0, time.UTC)
	newTicket := func(subject string, mod func(*Ticket)) *Ticket {
		t.Helper()
		tk := &Ticket{Subject: subject, RequesterID: r.ID, Status: StatusOpen, Priority: "high", Category: CategoryHardware,
			FaultMatches: "skärm", Language: "sv", Cc: "x@corp.test, y@corp.test"}
		if mod != nil {
			mod(tk)
		}
		if err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		return tk
	}
	everything := newTicket("Skärmen: 12 rader, \"citat\" & <tagg>", func(tk *Ticket) {
		tk.AssigneeID, tk.AssetID, tk.SLADueAt = &bo.ID, &withVendor.ID, &due
	})
	nothing := newTicket("", func(tk *Ticket) { tk.Priority, tk.Category, tk.FaultMatches, tk.Cc = "normal", CategoryOther, "", "" })
	nulls := newTicket("Importerad", func(tk *Ticket) { tk.AssetID = &bare.ID })
	offset := newTicket("Tid med förskjutning", nil)
	separator := newTicket("Avgränsare\x1fi ämnet", nil)
	if err := s.w.Exec("UPDATE tickets SET fault_matches = NULL, cc = NULL, language = NULL WHERE id = ?", nulls.ID).Error; err != nil {
		t.Fatal(err)
	}
	// Times written by hand: whole seconds, an offset other than UTC.
	if err := s.w.Exec("UPDATE tickets SET resolved_at = ?, sla_paused_at = ? WHERE id = ?",
		"2024-03-02 10:00:00+00:00", "2024-03-02 12:00:00.5+02:00", offset.ID).Error; err != nil {
		t.Fatal(err)
	}
	ids := []uint{separator.ID, everything.ID, nulls.ID, 999_999, nothing.ID, offset.ID}

	check := func(t *testing.T, ids []uint) {
		t.Helper()
		got, err := s.ticketsWithParties(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		var full []Ticket
		if err := s.r.Joins("Requester").Joins("Asset").Joins("Assignee").Where("tickets.id IN ?", ids).Find(&full).Error; err != nil {
			t.Fatal(err)
		}
		byID := map[uint]Ticket{}
		for _, tk := range full {
			byID[tk.ID] = tk
		}
		var want []Ticket
		for _, id := range ids {
			tk, ok := byID[id]
			if !ok {
				continue // an unknown id is left out
			}
			// What a list reads of each party.
			tk.Requester = Requester{ID: tk.Requester.ID, Email: tk.Requester.Email, Name: tk.Requester.Name,
				Department: tk.Requester.Department, Language: tk.Requester.Language}
			if tk.Assignee != nil {
				tk.Assignee = &Agent{ID: tk.Assignee.ID, Email: tk.Assignee.Email, Name: tk.Assignee.Name, Role: tk.Assignee.Role}
			}
			if tk.Asset != nil {
				tk.Asset = &Asset{ID: tk.Asset.ID, Serial: tk.Asset.Serial, AssetTag: tk.Asset.AssetTag, Model: tk.Asset.Model,
					Manufacturer: tk.Asset.Manufacturer, VendorID: tk.Asset.VendorID}
			}
			want = append(want, tk)
		}
		if len(got) != len(want) {
			t.Fatalf("%d tickets, want %d", len(got), len(want))
		}
		for i := range want {
			if !reflect.DeepEqual(got[i], want[i]) {
				t.Errorf("ticket %d (%q):\n got %+v\nwant %+v", i, want[i].Subject, got[i], want[i])
			}
		}
	}
	t.Run("a page with a separator in a text", func(t *testing.T) { check(t, ids) })
	// A device's maker that holds a whole row after the separator must not
	// list as a ticket of its own.
	fake := []string{strconv.FormatUint(uint64(nothing.ID), 10), "1", "Falsk", strconv.FormatUint(uint64(r.ID), 10),
		StatusOpen, "high", CategoryOther}
	for len(fake) < len(packedListColumns)-1 {
		fake = append(fake, "")
	}
	fake[14], fake[15] = "@2024-01-01 00:00:00+00:00", "@2024-01-01 00:00:00+00:00"
	forged := &Asset{Serial: "FORGED1", Manufacturer: "Dell" + listSep + strconv.FormatUint(uint64(v.ID), 10) + listSep + strings.Join(fake, listSep)}
	if _, err := s.UpsertAsset(ctx, forged); err != nil {
		t.Fatal(err)
	}
	injected := newTicket("Förfalskad tillverkare", func(tk *Ticket) { tk.AssetID = &forged.ID })
	t.Run("a text holding a row", func(t *testing.T) { check(t, []uint{injected.ID, nothing.ID, everything.ID}) })
	t.Run("a page without", func(t *testing.T) { check(t, []uint{offset.ID, nothing.ID, everything.ID, nulls.ID}) })

	if !s.sqlite() {
		return
	}
	// The packed reading reads what it can and leaves the rest to the driver.
	if _, ok, err := s.packedTicketsWithParties(ctx, []uint{everything.ID, nothing.ID, nulls.ID, offset.ID}); err != nil || !ok {
		t.Errorf("packed reading of ordinary tickets: ok %v, %v; want it used", ok, err)
	}
	for _, id := range []uint{separator.ID, injected.ID} {
		if _, ok, err := s.packedTicketsWithParties(ctx, []uint{everything.ID, id}); err != nil || ok {
			t.Errorf("packed reading of a text holding the separator (ticket %d): ok %v, %v; want the driver's", id, ok, err)
		}
	}
	// A time written as a number: the driver reads it as Unix seconds.
	if err := s.w.Exec("UPDATE tickets SET resolved_at = 1709287200 WHERE id = ?", nothing.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.packedTicketsWithParties(ctx, []uint{nothing.ID}); err != nil || ok {
		t.Errorf("packed reading of a numeric time: ok %v, %v; want the driver's", ok, err)
	}
	t.Run("a numeric time", func(t *testing.T) { check(t, []uint{everything.ID, nothing.ID}) })
	// An empty creation time: the driver reads the zero time.
	if err := s.w.Exec("UPDATE tickets SET created_at = '' WHERE id = ?", nulls.ID).Error; err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.packedTicketsWithParties(ctx, []uint{nulls.ID}); err != nil || ok {
		t.Errorf("packed reading of an empty creation time: ok %v, %v; want the driver's", ok, err)
	}
	t.Run("an empty creation time", func(t *testing.T) { check(t, []uint{everything.ID, nulls.ID}) })
}

// TestParseSQLiteTime: the fast reading of the driver's own format gives
// the time the driver's formats give, and leaves every other text to them.
func TestParseSQLiteTime(t *testing.T) {
	for _, text := range []string{
		"2024-01-19 10:12:31.707434735+00:00",
		"2024-01-19 10:12:31.7+00:00",
		"2024-01-19 10:12:31+00:00",
		"2024-02-29 23:59:59.000000001+00:00",
		"2024-01-19 10:12:31.707434735+01:00",
		"2024-01-19T10:12:31Z",
		"2024-01-19 10:12",
		"2024-01-19",
		"2023-02-29 10:00:00+00:00", // no such day
		"2024-01-19 24:00:00+00:00",
		"2024-01-19 10:12:31.+00:00",
		"2024-01-19 10:12:31.1234567890+00:00",
		"2024-01-19 10:12:31.70743473x+00:00",
		"1709287200",
		"",
	} {
		got, ok := parseSQLiteTime(text)
		var want time.Time
		var wantOK bool
		for _, layout := range []string{
			"2006-01-02 15:04:05.999999999-07:00", "2006-01-02T15:04:05.999999999-07:00",
			"2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999",
			"2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02",
		} {
			var err error
			if want, err = time.ParseInLocation(layout, trimZ(text), time.UTC); err == nil {
				wantOK = true
				break
			}
		}
		if !wantOK {
			want = time.Time{}
		}
		if ok != wantOK || !reflect.DeepEqual(got, want) {
			t.Errorf("%q: %v (%v), want %v (%v)", text, got, ok, want, wantOK)
		}
	}
}

func trimZ(s string) string {
	if len(s) > 0 && s[len(s)-1] == 'Z' {
		return s[:len(s)-1]
	}
	return s
}

// TestTypedNumberSearch: a search for a ticket number lists that ticket and
// every ticket whose text the number matches, the typed one first, whether
// the number matches only its ticket (which skips ranking the text
// matches), text as well, or text alone; each page is what the ranked
// search gives (SkipCount takes that path).
func TestTypedNumberSearch(t *testing.T) {
	ctx := context.Background()
	s, add := searchFixture(t)
	alone := add("Skärmen flimrar", "Den blinkar.")
	cited := add("Tangentbordet", "Hej, skärmen är svart.")
	citing := add("Samma fel", fmt.Sprintf("Som i ärende %d är skärmen svart.", cited.Number))
	textOnly := add("Beställning", "Order 777123 har inte kommit.")
	for _, tc := range []struct {
		name string
		q    string
		want []uint
	}{
		{"the number's ticket alone", fmt.Sprintf("#%d", alone.Number), []uint{alone.ID}},
		{"the number's ticket alone, without #", fmt.Sprint(alone.Number), []uint{alone.ID}},
		{"the number's ticket and a text citing it", fmt.Sprintf("#%d", cited.Number), []uint{cited.ID, citing.ID}},
		{"a number only text holds", "777123", []uint{textOnly.ID}},
		{"a number nothing holds", "#999999", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := s.TicketPage(ctx, TicketFilter{Q: tc.q, CountCap: 10_000})
			if err != nil {
				t.Fatal(err)
			}
			ranked, err := s.TicketPage(ctx, TicketFilter{Q: tc.q, SkipCount: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []uint
			for i, it := range p.Items {
				got = append(got, it.ID)
				if it.Snippet != ranked.Items[i].Snippet || !reflect.DeepEqual(it.Ticket, ranked.Items[i].Ticket) {
					t.Errorf("item %d: %+v, ranked search %+v", i, it, ranked.Items[i])
				}
			}
			if !reflect.DeepEqual(got, tc.want) || p.Total != int64(len(tc.want)) || len(ranked.Items) != len(tc.want) {
				t.Errorf("ids %v (total %d, ranked search %d items), want %v", got, p.Total, len(ranked.Items), tc.want)
			}
			second, err := s.TicketPage(ctx, TicketFilter{Q: tc.q, Offset: 50})
			if err != nil || len(second.Items) != 0 {
				t.Errorf("second page: %d items, %v", len(second.Items), err)
			}
		})
	}
}
