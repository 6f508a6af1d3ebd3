package models

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestSearchFirstPageAsGeneral: the first page of a search read in one
// statement (searchFirstPage) holds the same tickets, in the same order and
// with the same parties, as the general way (the ranked ids, then the
// tickets): for one and two words, prefixes, Swedish letters, tied ranks
// (identical texts updated at the same instant), words in few or no tickets and every page size up to
// the candidates. Pages it does not read go the general way.
func TestSearchFirstPageAsGeneral(t *testing.T) {
	ctx := context.Background()
	s, r, bo, a := partiesFixture(t)
	words := strings.Fields("skärmen flimrar batteriet laddar inte tangentbordet saknar tangenter svart kontoret skolan")
	rnd := rand.New(rand.NewPCG(5, 5))
	const n = rankCandidates + 40
	err := s.Tx(ctx, func(tx *Store) error {
		for i := range n {
			subject, body := "Fråga", "hej"
			switch {
			case i%7 == 0: // identical texts: tied ranks
				subject, body = "Skärmen är svart", "skärmen är svart igen"
			case i%11 == 0:
				subject, body = "Sällsynt ord", "ett zebraord här"
			default:
				for range 3 + rnd.IntN(12) {
					body += " " + words[rnd.IntN(len(words))]
				}
			}
			tk := &Ticket{Subject: subject, RequesterID: r.ID, Requester: *r, Status: StatusNew, Priority: "normal", Category: CategoryOther}
			if i%3 == 0 {
				tk.AssigneeID, tk.AssetID = &bo.ID, &a.ID
			}
			if err := tx.CreateTicket(ctx, tk); err != nil {
				return err
			}
			if err := tx.IndexNewTicket(ctx, tk, []string{body}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Half the tickets updated at the same instant: tied ranks fall to the
	// last key of the order, the id.
	if err := s.w.Exec("UPDATE tickets SET updated_at = (SELECT MIN(updated_at) FROM tickets) WHERE id % 2 = 0").Error; err != nil {
		t.Fatal(err)
	}
	general := func(f TicketFilter) []Ticket {
		t.Helper()
		q, err := s.ticketQuery(ctx, &f, false)
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint
		if err := q.Select("tickets.id").Order(orderBy(&f)).Limit(pageLimit(f.Limit)).Pluck("tickets.id", &ids).Error; err != nil {
			t.Fatal(err)
		}
		rows, err := s.ticketsWithParties(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}
	firstPage := func(f TicketFilter) ([]Ticket, bool) {
		t.Helper()
		if _, err := s.ticketQuery(ctx, &f, false); err != nil { // sets the sort, as TicketPage does
			t.Fatal(err)
		}
		rows, read, err := s.searchFirstPage(ctx, &f, pageLimit(f.Limit))
		if err != nil {
			t.Fatal(err)
		}
		return rows, read
	}
	for _, q := range []string{"skarm", "skärm", "skarm svart", "svart skärmen", "tangentb", "batteriet laddar", "zebraord", "fråga", "finnsinte"} {
		for _, limit := range []int{1, 10, 25, 50, rankCandidates} {
			f := TicketFilter{Q: q, Limit: limit}
			got, read := firstPage(f)
			if !s.sqlite() {
				if read {
					t.Fatalf("q=%q: read in one statement on PostgreSQL", q)
				}
				continue
			}
			if !read {
				t.Fatalf("q=%q limit %d: not read in one statement", q, limit)
			}
			want := general(f)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("q=%q limit %d:\n got %v\nwant %v", q, limit, numbersOf(got), numbersOf(want))
			}
			if q == "finnsinte" && len(got) != 0 {
				t.Errorf("q=%q: %d tickets", q, len(got))
			}
			if q == "skarm" && limit == 25 && len(got) != 25 {
				t.Errorf("q=%q: %d tickets, want 25", q, len(got))
			}
		}
	}
	// The page TicketPage shows is this one, parties included.
	if s.sqlite() {
		p, err := s.TicketPage(ctx, TicketFilter{Q: "skärm", Limit: 25})
		if err != nil {
			t.Fatal(err)
		}
		want := general(TicketFilter{Q: "skärm", Limit: 25})
		var got []Ticket
		for _, it := range p.Items {
			got = append(got, it.Ticket)
			if it.Snippet == "" {
				t.Errorf("#%d has no snippet", it.Number)
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("TicketPage: %v, want %v", numbersOf(got), numbersOf(want))
		}
	}
	for _, f := range []TicketFilter{
		{Q: "skarm", Status: StatusNew}, {Q: "skarm", Offset: 25}, {Q: "skarm", Sort: SortRelevance, Asc: true},
		{Q: "skarm", Sort: SortNumber}, {Q: "#1001"}, {Q: "1001"}, {Q: "skarm", Limit: rankCandidates + 1}, {Q: "   "},
	} {
		if _, read := firstPage(f); read {
			t.Errorf("%+v: read in one statement; it is not a first page of a search alone", f)
		}
	}
}

func numbersOf(ts []Ticket) string {
	var b strings.Builder
	for _, t := range ts {
		fmt.Fprintf(&b, "#%d ", t.Number)
	}
	return b.String()
}
