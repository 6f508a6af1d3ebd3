package models

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"warrantydesk/internal/testenv"
)

// searchFixture opens a fresh store and returns a function adding a
// ticket with a subject and a body to it and to the search index.
func searchFixture(t *testing.T) (*Store, func(subject, body string) *Ticket) {
	t.Helper()
	ctx := context.Background()
	s := openTest(t, filepath.Join(t.TempDir(), "wd.db"))
	r, err := s.UpsertRequester(ctx, "eva@corp.test", "Eva", "sv")
	if err != nil {
		t.Fatal(err)
	}
	return s, func(subject, body string) *Ticket {
		t.Helper()
		tk := &Ticket{Subject: subject, RequesterID: r.ID, Requester: *r, Status: StatusNew, Priority: "normal", Category: CategoryOther}
		if err := s.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		if err := s.IndexNewTicket(ctx, tk, []string{body}); err != nil {
			t.Fatal(err)
		}
		return tk
	}
}

// TestWdBm25IsBm25: given each phrase's number of matching rows, wd_bm25
// is FTS5's bm25 to the last bit; without them, a one-word search is bm25
// divided by its IDF (the same order), and several words are counted as
// bm25 counts them (also when the numbers do not fit the phrases).
func TestWdBm25IsBm25(t *testing.T) {
	ctx := context.Background()
	s, add := searchFixture(t)
	if !s.sqlite() {
		t.Skip("wd_bm25 ranks SQLite's FTS5 index; PostgreSQL ranks with ts_rank")
	}
	words := []string{"skärmen", "fläkten", "batteriet", "tangentbordet", "laddaren"}
	for i := range 60 {
		var body []string
		for j := range 3 + i%7 {
			body = append(body, words[(i*j+i/3)%len(words)], "ord")
		}
		add(words[i%len(words)]+" "+fmt.Sprint(i), strings.Join(body, " "))
	}
	type row struct {
		ID         int64
		Bm25, Wd   float64
		IDFOrRatio float64
	}
	rank := func(q, wd string, args ...any) []row {
		t.Helper()
		var rows []row
		err := s.r.WithContext(ctx).Raw("SELECT rowid AS id, bm25(ticket_fts, "+bm25Weights+") AS bm25, "+wd+" AS wd "+
			"FROM ticket_fts WHERE ticket_fts MATCH ? ORDER BY rowid", append(args, FTSQuery(q))...).Scan(&rows).Error
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 5 {
			t.Fatalf("q=%q: %d rows, the fixture should match more", q, len(rows))
		}
		return rows
	}
	counted := func(q string) (string, []any) {
		t.Helper()
		rank, args, err := s.sqliteRank(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		return rank, args
	}
	// "€" is a phrase of no word, matching nothing, that FTS5 leaves out of an AND.
	for _, q := range []string{"skarm flakt", "batteri ladd tangent", "skärmen ord", "€ skarm ord"} {
		wd, args := counted(q)
		if len(args) != len(ftsPhrases(q)) {
			t.Fatalf("q=%q: rank %s with %d arguments", q, wd, len(args))
		}
		for _, r := range rank(q, wd, args...) {
			if r.Wd != r.Bm25 {
				t.Errorf("q=%q: row %d: wd_bm25 %v, bm25 %v", q, r.ID, r.Wd, r.Bm25)
			}
		}
		// Not counted (or counted for the wrong phrases): as bm25 counts.
		for _, wd := range []string{"wd_bm25(ticket_fts, " + bm25Weights + ")", "wd_bm25(ticket_fts, " + bm25Weights + ", 1)"} {
			for _, r := range rank(q, wd) {
				if r.Wd != r.Bm25 {
					t.Errorf("q=%q, %s: row %d: %v, bm25 %v", q, wd, r.ID, r.Wd, r.Bm25)
				}
			}
		}
	}
	// More words than SQLite takes function arguments: not passed, counted.
	long := strings.Repeat("ord ", maxCountedPhrases+30)
	if wd, args := counted(long); len(args) != 0 {
		t.Errorf("a %d-word search passes %d numbers: %s", maxCountedPhrases+30, len(args), wd)
	} else {
		for _, r := range rank(long, wd) {
			if r.Wd != r.Bm25 {
				t.Errorf("long search: row %d: wd_bm25 %v, bm25 %v", r.ID, r.Wd, r.Bm25)
			}
		}
	}
	for _, q := range []string{"skarm", "ord"} {
		wd, args := counted(q)
		if len(args) != 0 {
			t.Errorf("q=%q: a one-word search should not count its word: %s %v", q, wd, args)
		}
		rows := rank(q, wd)
		idf := rows[0].Bm25 / rows[0].Wd
		for _, r := range rows {
			if diff := r.Bm25 - idf*r.Wd; diff > 1e-9 || diff < -1e-9 || r.Wd >= 0 {
				t.Errorf("q=%q: row %d: wd_bm25 %v × IDF %v is not bm25 %v", q, r.ID, r.Wd, idf, r.Bm25)
			}
		}
	}
}

// TestSearchRankOrder: a search lists first the ticket whose subject
// matches, then more occurrences before fewer, and on SQLite a short text
// before a long one with as many and, in a search of several words, the
// rarer word weighing more, as counted after the latest write.
func TestSearchRankOrder(t *testing.T) {
	ctx := context.Background()
	s, add := searchFixture(t)
	filler := strings.Repeat("ord ", 30)
	once := add("Fråga", "skärmen "+filler)
	long := add("Fråga", "skärmen "+filler+filler+filler)
	thrice := add("Fråga", "skärmen skärmen skärmen "+filler)
	subject := add("Skärmen", filler)
	order := func(q string) []uint {
		t.Helper()
		p, err := s.TicketPage(ctx, TicketFilter{Q: q})
		if err != nil {
			t.Fatal(err)
		}
		var ids []uint
		for _, it := range p.Items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	got, want := order("skarm"), []uint{subject.ID, thrice.ID, once.ID, long.ID}
	if !s.sqlite() && len(got) == 4 && got[2] == long.ID {
		// ts_rank (normalization 0) ranks a text by its matches alone, not
		// by its length: the two texts with one match tie.
		got[2], got[3] = got[3], got[2]
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("skarm: got ticket ids %v, want %v (subject, three times, once, once in a long text)", got, want)
	}
	if !s.sqlite() {
		return // ts_rank weighs no word by its rarity
	}
	// Both words in both tickets, each twice in one of them: the rarer
	// word's ticket first.
	fan := add("Fråga", "fläkten fläkten laddaren "+filler)
	charger := add("Fråga", "fläkten laddaren laddaren "+filler)
	for range 10 {
		add("Fråga", "fläkten "+filler)
	}
	if got := order("flakt ladd"); len(got) != 2 || got[0] != charger.ID {
		t.Errorf("flakt ladd with fläkten in most tickets: got %v, want #%d (laddaren twice) first", got, charger.ID)
	}
	for range 20 {
		add("Fråga", "laddaren "+filler)
	}
	if got := order("flakt ladd"); len(got) != 2 || got[0] != fan.ID {
		t.Errorf("flakt ladd after laddaren became the commoner word: got %v, want #%d (fläkten twice) first", got, fan.ID)
	}
}

// TestSQLiteMemoryStatisticsOff: opening a store starts SQLite with its
// memory statistics off (wdRegisterSearchRank), so that no allocation of a
// connection takes SQLite's process-wide memory mutex.
func TestSQLiteMemoryStatisticsOff(t *testing.T) {
	if testenv.OnPostgres() {
		t.Skip("SQLite's own setting: this pass opens PostgreSQL")
	}
	s, add := searchFixture(t)
	add("Skärmen flimrar", "skärmen flimrar hela dagen")
	p, err := s.TicketPage(context.Background(), TicketFilter{Q: "skarm"})
	if err != nil || len(p.Items) != 1 {
		t.Fatalf("search: %+v %v", p, err)
	}
	if sqliteCountsMemory() {
		t.Error("SQLite keeps memory statistics: it was started before the store set them off")
	}
}
