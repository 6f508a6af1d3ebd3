/*
** The declarations of sqlite3.h and fts5.h (SQLite 3.54) that fts5rank.c
** uses, copied from the amalgamation that github.com/mattn/go-sqlite3
** compiles into the binary: its functions are linked from there, so no
** SQLite headers or library need to be installed. fts5_api and
** Fts5ExtensionApi are versioned structs that only ever grow at their end.
**
** The original notice of sqlite3.h and fts5.h:
**
** The author disclaims copyright to this source code.  In place of
** a legal notice, here is a blessing:
**
**    May you do good and not evil.
**    May you find forgiveness for yourself and forgive others.
**    May you share freely, never taking more than you give.
*/
#ifndef WARRANTYDESK_FTS5RANK_H
#define WARRANTYDESK_FTS5RANK_H

typedef long long int sqlite3_int64;
typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef struct sqlite3_context sqlite3_context;
typedef struct sqlite3_value sqlite3_value;
typedef struct sqlite3_api_routines sqlite3_api_routines;

#define SQLITE_OK 0
#define SQLITE_ERROR 1
#define SQLITE_BUSY 5
#define SQLITE_LOCKED 6
#define SQLITE_DBCONFIG_ENABLE_QPSG 1007
#define SQLITE_CONFIG_MEMSTATUS 9
#define SQLITE_NOMEM 7
#define SQLITE_ROW 100
#define SQLITE_DONE 101

int sqlite3_auto_extension(void (*xEntryPoint)(void));
int sqlite3_config(int, ...);
sqlite3_int64 sqlite3_memory_used(void);
int sqlite3_db_config(sqlite3 *, int op, ...);
int sqlite3_busy_timeout(sqlite3 *, int ms);
char *sqlite3_mprintf(const char *, ...);
int sqlite3_prepare_v2(sqlite3 *db, const char *zSql, int nByte, sqlite3_stmt **ppStmt, const char **pzTail);
int sqlite3_bind_pointer(sqlite3_stmt *, int, void *, const char *, void (*)(void *));
int sqlite3_step(sqlite3_stmt *);
int sqlite3_finalize(sqlite3_stmt *pStmt);
int sqlite3_value_type(sqlite3_value *);
sqlite3_int64 sqlite3_value_int64(sqlite3_value *);
double sqlite3_value_double(sqlite3_value *);
void *sqlite3_malloc64(unsigned long long);
void sqlite3_free(void *);
int sqlite3_value_int(sqlite3_value *);
void sqlite3_result_double(sqlite3_context *, double);
void sqlite3_result_blob(sqlite3_context *, const void *, int, void (*)(void *));
void sqlite3_result_null(sqlite3_context *);
void sqlite3_result_error(sqlite3_context *, const char *, int);
void sqlite3_result_error_code(sqlite3_context *, int);

#define SQLITE_NULL 5
#define SQLITE_TRANSIENT ((void (*)(void *)) - 1)

#define FTS5_TOKEN_COLOCATED 0x0001

typedef struct Fts5ExtensionApi Fts5ExtensionApi;
typedef struct Fts5Context Fts5Context;
typedef struct Fts5PhraseIter Fts5PhraseIter;
typedef struct fts5_api fts5_api;
typedef struct fts5_tokenizer fts5_tokenizer;

typedef void (*fts5_extension_function)(
    const Fts5ExtensionApi *pApi, Fts5Context *pFts, sqlite3_context *pCtx, int nVal, sqlite3_value **apVal);

struct Fts5PhraseIter {
	const unsigned char *a;
	const unsigned char *b;
};

struct Fts5ExtensionApi {
	int iVersion;
	void *(*xUserData)(Fts5Context *);
	int (*xColumnCount)(Fts5Context *);
	int (*xRowCount)(Fts5Context *, sqlite3_int64 *pnRow);
	int (*xColumnTotalSize)(Fts5Context *, int iCol, sqlite3_int64 *pnToken);
	int (*xTokenize)(Fts5Context *, const char *pText, int nText, void *pCtx,
	                 int (*xToken)(void *, int, const char *, int, int, int));
	int (*xPhraseCount)(Fts5Context *);
	int (*xPhraseSize)(Fts5Context *, int iPhrase);
	int (*xInstCount)(Fts5Context *, int *pnInst);
	int (*xInst)(Fts5Context *, int iIdx, int *piPhrase, int *piCol, int *piOff);
	sqlite3_int64 (*xRowid)(Fts5Context *);
	int (*xColumnText)(Fts5Context *, int iCol, const char **pz, int *pn);
	int (*xColumnSize)(Fts5Context *, int iCol, int *pnToken);
	int (*xQueryPhrase)(Fts5Context *, int iPhrase, void *pUserData,
	                    int (*)(const Fts5ExtensionApi *, Fts5Context *, void *));
	int (*xSetAuxdata)(Fts5Context *, void *pAux, void (*xDelete)(void *));
	void *(*xGetAuxdata)(Fts5Context *, int bClear);
	int (*xPhraseFirst)(Fts5Context *, int iPhrase, Fts5PhraseIter *, int *, int *);
	void (*xPhraseNext)(Fts5Context *, Fts5PhraseIter *, int *piCol, int *piOff);
	int (*xPhraseFirstColumn)(Fts5Context *, int iPhrase, Fts5PhraseIter *, int *);
	void (*xPhraseNextColumn)(Fts5Context *, Fts5PhraseIter *, int *piCol);
};

struct fts5_api {
	int iVersion;
	int (*xCreateTokenizer)(fts5_api *pApi, const char *zName, void *pUserData, fts5_tokenizer *pTokenizer,
	                        void (*xDestroy)(void *));
	int (*xFindTokenizer)(fts5_api *pApi, const char *zName, void **ppUserData, fts5_tokenizer *pTokenizer);
	int (*xCreateFunction)(fts5_api *pApi, const char *zName, void *pUserData, fts5_extension_function xFunction,
	                       void (*xDestroy)(void *));
};

/* warrantydesk's own: fts5rank.c (wd_bm25) and fts5snippet.c (wd_snippet) */
int wdRegisterSearchRank(void);
void wdSnippet(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nVal, sqlite3_value **apVal);

#endif
