// wd_snippet: where a search result's snippet is cut, found by FTS5
// itself. See addSnippets (views.go); the window is snippetAround's
// (views_snippet.go), which cuts PostgreSQL's snippets.

#include <stdint.h>
#include <string.h>
#include "fts5rank.h"

// wdMaxSnippetWords bounds n: the words after the first match are marked
// in a 64-bit mask (n + 1 of them at most).
#define wdMaxSnippetWords 62

typedef struct {
	int start, end; // bytes of the word in the column's text
} wdWord;

// wdSnip is the state of one row's tokenization: the words before the
// first match go round a ring of n, the first match and the words after
// it fill after[].
typedef struct {
	int n;         // words a snippet shows
	int first;     // token index of the first match
	int iTok;      // index of the next token
	int nBefore;   // tokens seen before the first match
	int nAfter;    // words in after[]
	int wantAfter; // words after[] needs (known at the first match)
	wdWord ring[wdMaxSnippetWords];
	wdWord after[wdMaxSnippetWords + 2];
} wdSnip;

static int wdSnipToken(void *user, int tflags, const char *token, int nToken, int start, int end) {
	(void)token;
	(void)nToken;
	wdSnip *s = user;
	if (tflags & FTS5_TOKEN_COLOCATED) {
		return SQLITE_OK; // another form of the same word: no new position
	}
	int i = s->iTok++;
	if (i < s->first) {
		s->ring[s->nBefore % s->n] = (wdWord){start, end};
		s->nBefore++;
		return SQLITE_OK;
	}
	if (i == s->first) {
		// As many words after the match as the snippet can show when
		// it starts n/3 words before it (the window below).
		int b = s->nBefore < s->n ? s->nBefore : s->n;
		int from = b - s->n / 3 > 0 ? b - s->n / 3 : 0;
		s->wantAfter = from + s->n + 1 - b;
	}
	s->after[s->nAfter++] = (wdWord){start, end};
	return s->nAfter >= s->wantAfter ? SQLITE_DONE : SQLITE_OK;
}

static void wdPut32(unsigned char *p, uint32_t v) {
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

// wdSnippet is wd_snippet(table, n): the words of a snippet of n words
// around the first match of the row, in the body (column 1) or, when only
// the subject (column 0) matches, in the subject; NULL when neither does.
// The words are the tokenizer's and the matches the index's own, so that a
// snippet marks exactly what the search matched. The value is a blob of
// little-endian 32-bit numbers: column, 1 if words before the window were
// left out, 1 if words after it were, the number of words k, then for each
// word its start and end (bytes from the window's start) and 1 if it is
// marked; then the window's text, from its first word to its last (to the
// end of the text when no word follows).
void wdSnippet(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nVal,
               sqlite3_value **apVal) {
	if (nVal != 1) {
		sqlite3_result_error(ctx, "wd_snippet: one argument, the number of words", -1);
		return;
	}
	int n = sqlite3_value_int(apVal[0]);
	if (n < 1 || n > wdMaxSnippetWords) {
		sqlite3_result_error(ctx, "wd_snippet: the number of words must be 1-62", -1);
		return;
	}
	int nInst = 0, rc = api->xInstCount(fts, &nInst);
	// The column and the token of the first match: the body's if any.
	int col = -1, first = 0;
	for (int i = 0; rc == SQLITE_OK && i < nInst; i++) {
		int phrase, c, off;
		rc = api->xInst(fts, i, &phrase, &c, &off);
		if (rc != SQLITE_OK || (c != 0 && c != 1)) {
			continue;
		}
		if (col < 0 || c > col || (c == col && off < first)) {
			col = c;
			first = off;
		}
	}
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	if (col < 0) {
		sqlite3_result_null(ctx);
		return;
	}
	// The tokens a match covers from the first on, as bits from first.
	uint64_t marked = 0;
	for (int i = 0; rc == SQLITE_OK && i < nInst; i++) {
		int phrase, c, off;
		rc = api->xInst(fts, i, &phrase, &c, &off);
		if (rc != SQLITE_OK || c != col) {
			continue;
		}
		int size = api->xPhraseSize(fts, phrase);
		for (int t = off; t < off + size; t++) {
			if (t >= first && t - first < 64) {
				marked |= (uint64_t)1 << (t - first);
			}
		}
	}
	const char *text = NULL;
	int nText = 0;
	if (rc == SQLITE_OK) {
		rc = api->xColumnText(fts, col, &text, &nText);
	}
	wdSnip snip, *s = &snip;
	s->n = n;
	s->first = first;
	s->iTok = s->nBefore = s->nAfter = 0;
	s->wantAfter = n + 2;
	if (rc == SQLITE_OK) {
		rc = api->xTokenize(fts, text, nText, s, wdSnipToken);
		if (rc == SQLITE_DONE) {
			rc = SQLITE_OK;
		}
	}
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	if (s->nAfter == 0) {
		// The index and the tokenizer disagree on the text (it cannot
		// happen with a content table): no snippet rather than a wrong one.
		sqlite3_result_null(ctx);
		return;
	}
	// The window, as snippetAround cuts it: words[from, to) of the b words
	// before the match and the words from it on.
	int b = s->nBefore < n ? s->nBefore : n;
	int nWords = b + s->nAfter;
	int from = b - n / 3 > 0 ? b - n / 3 : 0;
	int to = from + n < nWords ? from + n : nWords;
	if (to - n < from) {
		from = to - n > 0 ? to - n : 0;
	}
	wdWord words[2 * wdMaxSnippetWords + 2];
	for (int i = 0; i < b; i++) {
		words[i] = s->ring[(s->nBefore - b + i) % n];
	}
	memcpy(&words[b], s->after, sizeof(wdWord) * (size_t)s->nAfter);
	int lead = from > 0, trail = to < nWords;
	int base = words[from].start;
	int end = trail ? words[to - 1].end : nText;
	int k = to - from;
	int nOut = 4 * (4 + 3 * k) + (end - base);
	unsigned char *out = sqlite3_malloc64((unsigned long long)nOut);
	if (out == NULL) {
		sqlite3_result_error_code(ctx, SQLITE_NOMEM);
		return;
	}
	wdPut32(out, (uint32_t)col);
	wdPut32(out + 4, (uint32_t)lead);
	wdPut32(out + 8, (uint32_t)trail);
	wdPut32(out + 12, (uint32_t)k);
	unsigned char *p = out + 16;
	for (int i = from; i < to; i++, p += 12) {
		int t = i - b; // tokens from the first match
		int mark = t == 0 || (t > 0 && t < 64 && (marked >> t & 1));
		wdPut32(p, (uint32_t)(words[i].start - base));
		wdPut32(p + 4, (uint32_t)(words[i].end - base));
		wdPut32(p + 8, (uint32_t)mark);
	}
	memcpy(p, text + base, (size_t)(end - base));
	sqlite3_result_blob(ctx, out, nOut, sqlite3_free);
}
