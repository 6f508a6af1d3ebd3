package models

// Search ranking on SQLite: wd_bm25 (fts5rank.c), FTS5's bm25 with the
// document frequencies of the query's words passed in. bm25 computes each
// phrase's IDF on a query's first row by reading every match of every
// phrase (xQueryPhrase): a fixed 0.4 ms per search for a word in a fifth of
// 100 000 tickets, more than ranking the candidates (rankCandidates).
// wd_bm25 ranks as bm25 does; a one-word search needs no IDF at all (it
// multiplies every score alike), and the words of a longer one are counted
// once per data version (phraseMatches).

// #cgo LDFLAGS: -lm
// #include "fts5rank.h"
import "C"

import (
	"context"
	"fmt"
	"strings"
	"sync"
)

var registerSearchRank = sync.OnceValue(func() error {
	if rc := C.wdRegisterSearchRank(); rc != 0 {
		return fmt.Errorf("register wd_bm25: SQLite error %d", int(rc))
	}
	return nil
})

// sqliteCountsMemory reports whether SQLite keeps its memory statistics
// (wdRegisterSearchRank turns them off): with them on, the memory in use
// is never 0 once a connection is open.
func sqliteCountsMemory() bool {
	return C.sqlite3_memory_used() != 0
}

// maxCountedPhrases is the most words a search passes the numbers of
// matching rows of to wd_bm25 (after the 4 column weights: SQLite takes up
// to 127 arguments); a longer search lets wd_bm25 count them as bm25 does.
const maxCountedPhrases = 100

// sqliteRank returns the rank of a row of searchFrom on SQLite (see
// searchRank) for the search q, with its arguments.
func (s *Store) sqliteRank(ctx context.Context, q string) (string, []any, error) {
	phrases := ftsPhrases(q)
	if len(phrases) <= 1 || len(phrases) > maxCountedPhrases {
		return "wd_bm25(ticket_fts, " + bm25Weights + ")", nil, nil
	}
	args := make([]any, len(phrases))
	for i, p := range phrases {
		n, err := s.phraseMatches(ctx, p)
		if err != nil {
			return "", nil, err
		}
		args[i] = n
	}
	return "wd_bm25(ticket_fts, " + bm25Weights + strings.Repeat(", ?", len(args)) + ")", args, nil
}

// phraseMatches counts the rows of ticket_fts matching one phrase of an
// FTS5 query, kept until the next committed write (countCache): an
// index statistic, as bm25 counts it, not a search result.
func (s *Store) phraseMatches(ctx context.Context, phrase string) (int64, error) {
	return s.counts.get(ctx, s, "fts phrase "+phrase, func(ctx context.Context) (int64, error) {
		var n int64
		if err := s.r.WithContext(ctx).Raw("SELECT COUNT(*) FROM ticket_fts WHERE ticket_fts MATCH ?", phrase).Scan(&n).Error; err != nil {
			return 0, fmt.Errorf("count search word %s: %w", phrase, err)
		}
		return n, nil
	})
}

// OptimizeSearch merges the full-text index into one piece (FTS5's
// "optimize"). Every write adds a small piece (a segment) to the index and
// FTS5 merges them only level by level, so that a search reads a score of
// them after a day of mail: the page of a common word costs a third more
// than on a merged index. The merge rewrites the whole index in one write
// transaction (~10 s at 100 000 tickets). PostgreSQL's GIN index needs no
// such merge: nothing is done there.
func (s *Store) OptimizeSearch(ctx context.Context) error {
	if !s.sqlite() {
		return nil
	}
	if err := s.w.WithContext(ctx).Exec("INSERT INTO ticket_fts(ticket_fts) VALUES('optimize')").Error; err != nil {
		return fmt.Errorf("optimize the search index: %w", err)
	}
	return nil
}

// SearchSegments is the number of pieces (segments) the full-text index is
// in on SQLite (see OptimizeSearch); 0 on PostgreSQL.
func (s *Store) SearchSegments(ctx context.Context) (int, error) {
	if !s.sqlite() {
		return 0, nil
	}
	var n int
	if err := s.r.WithContext(ctx).Raw("SELECT COUNT(DISTINCT segid) FROM ticket_fts_idx").Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("count search index segments: %w", err)
	}
	return n, nil
}
