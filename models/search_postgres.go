package models

// Full-text search on PostgreSQL. ticket_fts is an ordinary table there,
// with the same columns (rowid is the ticket id, as in the FTS5 table) and
// a generated tsvector over them in the text search configuration
// warrantydesk_sv: Swedish stemming after unaccent, so that "skarm" finds
// "skärmen" as remove_diacritics does on SQLite. The subject weighs most,
// then the serial, the requester and the body, in the proportions of
// bm25Weights.

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// pgSearchConfig is the text search configuration of ticket_fts;
// pgPrefixConfig reads a search's words for prefix matching (unstemmed);
// pgQueryFunc makes the tsquery of a search (see createTicketSearchPostgres).
const (
	pgSearchConfig = "warrantydesk_sv"
	pgPrefixConfig = "warrantydesk_prefix"
	pgQueryFunc    = "warrantydesk_query"
)

// pgRankWeights are ts_rank's weights of the D, C, B and A labels: body,
// requester, serial and subject, as bm25Weights weigh them on SQLite.
const pgRankWeights = "'{0.1, 0.4, 0.6, 1.0}'"

// pgSeparators are read as spaces by the index (pgSearchText): the
// separators of mail addresses, serials and paths, so that "anna" finds
// anna.berg@kommun.se and "PF1" finds PF1-ABC, as unicode61 splits them;
// and angle brackets, or PostgreSQL's parser would take "<script>" in a
// mail for a tag and leave the word out.
const pgSeparators = "@._-/:+<>"

// pgSearchText is a column as the index reads it.
func pgSearchText(column string) string {
	return "translate(" + column + ", '" + pgSeparators + "', '" + strings.Repeat(" ", len(pgSeparators)) + "')"
}

// pgHeadlineText is a column as ts_headline reads it: each of pgSeparators
// as its own private-use character, which the parser takes for a space as
// the index does, and which pgUnseparate puts back.
func pgHeadlineText(column string) string {
	return "translate(" + column + ", '" + pgSeparators + "', '" + pgSeparatorStandIns + "')"
}

// pgSeparatorStandIns are the private-use characters (U+E010 on) standing
// for pgSeparators in a headline; pgUnseparate undoes pgHeadlineText.
var pgSeparatorStandIns, pgUnseparate = func() (string, *strings.Replacer) {
	var stand strings.Builder
	var pairs []string
	for i, c := range pgSeparators {
		r := rune(0xE010 + i)
		stand.WriteRune(r)
		pairs = append(pairs, string(r), string(c))
	}
	return stand.String(), strings.NewReplacer(pairs...)
}()

// tsConfig is the statement creating text search configuration name, a
// copy of pg_catalog's copyOf whose words go through unaccent, then dict;
// unless the schema has it already.
func tsConfig(name, copyOf, dict string) string {
	return `DO $$ BEGIN
			IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '` + name + `' AND cfgnamespace = current_schema()::regnamespace) THEN
				CREATE TEXT SEARCH CONFIGURATION ` + name + ` (COPY = pg_catalog.` + copyOf + `);
				ALTER TEXT SEARCH CONFIGURATION ` + name + `
					ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
					WITH unaccent, ` + dict + `;
			END IF;
		END $$`
}

// createTicketSearchPostgres is migration 2 on PostgreSQL.
func createTicketSearchPostgres(tx *gorm.DB) error {
	vector := func(column, weight string) string {
		return "setweight(to_tsvector('" + pgSearchConfig + "', " + pgSearchText(column) + "), '" + weight + "')"
	}
	stmts := []string{
		// unaccent is a trusted extension: a database owner may create it.
		`CREATE EXTENSION IF NOT EXISTS unaccent`,
		tsConfig(pgSearchConfig, "swedish", "swedish_stem"),
		// The same words unstemmed, for prefixes: "tangentb" finds
		// "tangentbordet" (stemmed: tangentbord), and "tangenter" (stemmed:
		// tangent) does not find it, as on SQLite.
		tsConfig(pgPrefixConfig, "simple", "simple"),
		// pgQueryFunc turns the words of a search (PGSearchQuery) into a
		// tsquery: every word must match, either a word of the same stem
		// or a word starting with it; stop words ("och") are left out, as
		// the index leaves them out. NULL (matching nothing) without words.
		`CREATE OR REPLACE FUNCTION ` + pgQueryFunc + `(words text) RETURNS tsquery
		LANGUAGE plpgsql IMMUTABLE STRICT AS $$
		DECLARE
			q tsquery;
			stem tsquery;
			w text;
		BEGIN
			FOREACH w IN ARRAY regexp_split_to_array(btrim(words), '\s+') LOOP
				CONTINUE WHEN w = '';
				stem := to_tsquery('` + pgSearchConfig + `', quote_literal(w));
				CONTINUE WHEN numnode(stem) = 0;
				stem := stem || to_tsquery('` + pgPrefixConfig + `', quote_literal(w) || ':*');
				q := CASE WHEN q IS NULL THEN stem ELSE q && stem END;
			END LOOP;
			RETURN q;
		END $$`,
		`CREATE TABLE ticket_fts (
			rowid bigint PRIMARY KEY,
			subject text NOT NULL DEFAULT '',
			body text NOT NULL DEFAULT '',
			requester text NOT NULL DEFAULT '',
			serial text NOT NULL DEFAULT '',
			document tsvector GENERATED ALWAYS AS (` +
			vector("subject", "A") + " || " + vector("serial", "B") + " || " +
			vector("requester", "C") + " || " + vector("body", "D") + `) STORED)`,
		`CREATE INDEX idx_ticket_fts_document ON ticket_fts USING gin (document)`,
	}
	for i, q := range stmts {
		if err := tx.Exec(q).Error; err != nil {
			if i == 0 {
				return fmt.Errorf("full-text search needs the PostgreSQL extension unaccent (Debian: postgresql-contrib), "+
					"created by the database's owner or a superuser: %w", err)
			}
			return fmt.Errorf("%.60s: %w", q, err)
		}
	}
	return nil
}

// PGSearchQuery turns user input into the words pgQueryFunc reads: letters
// and digits separated by spaces, so that nothing typed can be read as
// tsquery syntax. "" when the input has no word.
func PGSearchQuery(input string) string {
	return strings.Join(strings.FieldsFunc(input, notTokenRune), " ")
}

// searchMatch is the bound argument of searchFrom: the user's query in
// db's dialect ("" when it can match nothing).
func searchMatch(db *gorm.DB, q string) string {
	if isSQLite(db) {
		return FTSQuery(q)
	}
	return PGSearchQuery(q)
}

// searchFrom is the FROM clause (after "FROM") of the ticket_fts rows
// matching one bound searchMatch argument; their ticket id is rowid.
func searchFrom(db *gorm.DB) string {
	if isSQLite(db) {
		return "ticket_fts WHERE ticket_fts MATCH ?"
	}
	return "ticket_fts, " + pgQueryFunc + "(?) AS query WHERE document @@ query"
}

// searchRank is the rank of a row of searchFrom for the search q, lower is
// better, with its arguments (bound before searchFrom's): bm25 on SQLite
// (wd_bm25, fts5rank.go), ts_rank negated on PostgreSQL (where higher is
// better).
func (s *Store) searchRank(ctx context.Context, q string) (string, []any, error) {
	if s.sqlite() {
		return s.sqliteRank(ctx, q)
	}
	return "-ts_rank(" + pgRankWeights + ", document, query)::float8", nil, nil
}

// pgSnippets is addSnippets on PostgreSQL: ts_headline marks the words of
// the body (or of the subject when only it matched) that the query matches
// as the index does (stemmed, unaccented); the passage around the first is
// cut as on SQLite (cutSnippet). The text stays raw (not HTML).
func (s *Store) pgSnippets(ctx context.Context, q string, ids []uint) (map[uint]string, error) {
	query := PGSearchQuery(q)
	if query == "" {
		return nil, nil
	}
	opts := "StartSel=" + SnippetStart + ", StopSel=" + SnippetEnd + ", HighlightAll=true"
	var rows []struct {
		ID      uint
		Subject string
		Body    string
	}
	err := s.r.WithContext(ctx).Raw(`SELECT rowid AS id,
			ts_headline('`+pgSearchConfig+`', `+pgHeadlineText("subject")+`, query, @opts) AS subject,
			ts_headline('`+pgSearchConfig+`', `+pgHeadlineText("body")+`, query, @opts) AS body
		FROM ticket_fts, `+pgQueryFunc+`(@query) AS query WHERE rowid IN @ids`,
		map[string]any{"opts": opts, "query": query, "ids": ids}).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("search snippets: %w", err)
	}
	out := make(map[uint]string, len(rows))
	for _, r := range rows {
		snip, ok := markedSnippet(r.Body)
		if !ok {
			snip, _ = markedSnippet(r.Subject)
		}
		out[r.ID] = pgUnseparate.Replace(snip)
	}
	return out, nil
}

// markedSnippet cuts a snippet (cutSnippet) from a text whose matched words
// ts_headline put between SnippetStart and SnippetEnd; false when none is.
func markedSnippet(marked string) (string, bool) {
	var plain strings.Builder
	var spans [][2]int // byte ranges of the marked words in plain
	for {
		i := strings.Index(marked, SnippetStart)
		if i < 0 {
			break
		}
		j := strings.Index(marked[i:], SnippetEnd)
		if j < 0 {
			break
		}
		plain.WriteString(marked[:i])
		from := plain.Len()
		plain.WriteString(marked[i+len(SnippetStart) : i+j])
		spans = append(spans, [2]int{from, plain.Len()})
		marked = marked[i+j+len(SnippetEnd):]
	}
	if len(spans) == 0 {
		return "", false
	}
	plain.WriteString(marked)
	return cutSnippet(plain.String(), func(start, end int) bool {
		for _, sp := range spans {
			if start < sp[1] && sp[0] < end {
				return true
			}
		}
		return false
	}, snippetWords)
}
