// wd_bm25: FTS5's bm25 ranking with the document frequencies of the
// query's phrases passed in, instead of counted on every query. See
// fts5rank.go.

#include <math.h>
#include <stddef.h>
#include "fts5rank.h"

// wdBm25Query is what a query's first row computes and the others reuse
// (xSetAuxdata): the average row size, each phrase's IDF and a frequency
// array to fill per row.
typedef struct {
	int nPhrase;
	double avgdl;
	double *aIDF;
	double *aFreq;
} wdBm25Query;

static int wdCountRow(const Fts5ExtensionApi *api, Fts5Context *fts, void *user) {
	(void)api;
	(void)fts;
	(*(sqlite3_int64 *)user)++;
	return SQLITE_OK;
}

// wdIDF is bm25's inverse document frequency of a phrase matching nHit of
// nRow rows (fts5_aux.c): never below 1e-6, even when most rows match.
static double wdIDF(sqlite3_int64 nRow, sqlite3_int64 nHit) {
	double idf = log(((double)(nRow - nHit) + 0.5) / ((double)nHit + 0.5));
	return idf <= 0.0 ? 1e-6 : idf;
}

static int wdBm25Prepare(const Fts5ExtensionApi *api, Fts5Context *fts, int nVal, sqlite3_value **apVal,
                         wdBm25Query **out) {
	int nCol = api->xColumnCount(fts);
	int nPhrase = api->xPhraseCount(fts);
	wdBm25Query *q = sqlite3_malloc64(sizeof(wdBm25Query) + 2 * sizeof(double) * (size_t)nPhrase);
	if (q == NULL) {
		return SQLITE_NOMEM;
	}
	q->nPhrase = nPhrase;
	q->aIDF = (double *)&q[1];
	q->aFreq = &q->aIDF[nPhrase];
	sqlite3_int64 nRow = 0, nToken = 0;
	int rc = api->xRowCount(fts, &nRow);
	if (rc == SQLITE_OK) {
		rc = api->xColumnTotalSize(fts, -1, &nToken);
	}
	q->avgdl = nRow > 0 ? (double)nToken / (double)nRow : 1.0;
	for (int i = 0; rc == SQLITE_OK && i < nPhrase; i++) {
		if (nVal == nCol + nPhrase) {
			q->aIDF[i] = wdIDF(nRow, sqlite3_value_int64(apVal[nCol + i]));
		} else if (nVal == nCol && nPhrase == 1) {
			// One phrase: its IDF multiplies every row's score alike
			// and cannot change their order.
			q->aIDF[i] = 1.0;
		} else {
			// No (or not every) document frequency given: count the
			// phrase's rows as bm25 does.
			sqlite3_int64 nHit = 0;
			rc = api->xQueryPhrase(fts, i, &nHit, wdCountRow);
			q->aIDF[i] = wdIDF(nRow, nHit);
		}
	}
	if (rc != SQLITE_OK) {
		sqlite3_free(q);
		return rc;
	}
	// On failure xSetAuxdata has freed q itself.
	if ((rc = api->xSetAuxdata(fts, q, sqlite3_free)) != SQLITE_OK) {
		return rc;
	}
	*out = q;
	return SQLITE_OK;
}

// wdBm25 is wd_bm25(table, weight of column 1, ..., weight of column N
// [, rows matching phrase 1, ..., rows matching phrase P]): bm25 (k1 1.2,
// b 0.75, negative: lower is better) with each phrase's IDF computed from
// the given number of matching rows. Without the numbers, the IDF of a
// single phrase is 1 (the order of the rows is bm25's), and several
// phrases are counted as bm25 counts them.
static void wdBm25(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nVal,
                   sqlite3_value **apVal) {
	const double k1 = 1.2, b = 0.75;
	int nCol = api->xColumnCount(fts);
	if (nVal < nCol) {
		sqlite3_result_error(ctx, "wd_bm25: a weight for every column", -1);
		return;
	}
	wdBm25Query *q = api->xGetAuxdata(fts, 0);
	int rc = SQLITE_OK;
	if (q == NULL) {
		rc = wdBm25Prepare(api, fts, nVal, apVal, &q);
	}
	int nInst = 0;
	if (rc == SQLITE_OK) {
		for (int i = 0; i < q->nPhrase; i++) {
			q->aFreq[i] = 0.0;
		}
		rc = api->xInstCount(fts, &nInst);
	}
	for (int i = 0; rc == SQLITE_OK && i < nInst; i++) {
		int phrase, col, off;
		rc = api->xInst(fts, i, &phrase, &col, &off);
		if (rc == SQLITE_OK) {
			q->aFreq[phrase] += sqlite3_value_double(apVal[col]);
		}
	}
	int nTok = 0;
	if (rc == SQLITE_OK) {
		rc = api->xColumnSize(fts, -1, &nTok);
	}
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	double score = 0.0, norm = k1 * (1 - b + b * (double)nTok / q->avgdl);
	for (int i = 0; i < q->nPhrase; i++) {
		score += q->aIDF[i] * ((q->aFreq[i] * (k1 + 1.0)) / (q->aFreq[i] + norm));
	}
	sqlite3_result_double(ctx, -score);
}

// wdInit sets up a new connection (sqlite3_auto_extension): the query
// planner stability guarantee, then wd_bm25 and wd_snippet (fts5snippet.c).
// A build without FTS5 has no fts5() function: the connection opens
// without them.
//
// Without the guarantee, SQLite plans some statements with the values
// bound to them (an equality's value may be 0 or 1, a LIMIT's size, a LIKE
// pattern's prefix) and then prepares such a statement again on every
// execution — parse and plan, every time, for statements that database/sql
// and the desk keep prepared: the ticket page's read of a ticket with its
// parties cost 18 µs instead of 6, 22 µs instead of 9 with a new number
// each time. The desk's queries do not need value-dependent plans (no
// prefix LIKE on an index; TestTicketListPlans pins the list's plans).
static int wdInit(sqlite3 *db, const char **errMsg, const sqlite3_api_routines *routines) {
	(void)routines;
	int on = 0;
	if (sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_QPSG, 1, &on) != SQLITE_OK || !on) {
		*errMsg = sqlite3_mprintf("warrantydesk: SQLite refused the query planner stability guarantee");
		return SQLITE_ERROR;
	}
	// Preparing a statement reads the schema, which waits while another
	// connection recovers the WAL after a crash: wait as the DSN's busy
	// timeout will (the driver sets it after this), instead of failing.
	sqlite3_busy_timeout(db, 10000);
	fts5_api *fts5 = NULL;
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL);
	if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) {
		// Not opened without the search's functions: the open fails
		// and the pool tries again.
		*errMsg = sqlite3_mprintf("warrantydesk: database busy while setting up the connection");
		return rc;
	}
	if (rc != SQLITE_OK) {
		return SQLITE_OK;
	}
	sqlite3_bind_pointer(stmt, 1, (void *)&fts5, "fts5_api_ptr", NULL);
	sqlite3_step(stmt);
	sqlite3_finalize(stmt);
	if (fts5 == NULL || fts5->iVersion < 2) {
		return SQLITE_OK;
	}
	rc = fts5->xCreateFunction(fts5, "wd_bm25", NULL, wdBm25, NULL);
	if (rc == SQLITE_OK) {
		rc = fts5->xCreateFunction(fts5, "wd_snippet", NULL, wdSnippet, NULL);
	}
	return rc;
}

// wdRegisterSearchRank makes every new connection of the process run
// wdInit. It first turns SQLite's memory statistics off, which only works
// before SQLite starts (sqlite3_auto_extension starts it): with them on,
// every sqlite3_malloc and sqlite3_free of every connection takes one
// process-wide mutex, which two readers on two cores contend for (a search
// page allocates thousands of times; perf showed the lock and its futex
// waits at ~4 % of the CPU under benchdesk). Nothing in the desk reads
// those statistics (sqlite3_memory_used). When SQLite was started already
// the call fails harmlessly and the statistics stay on.
int wdRegisterSearchRank(void) {
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	return sqlite3_auto_extension((void (*)(void))wdInit);
}
