/*
 * db: the worker's PostgreSQL connection and its named statements.
 *
 * One libpq connection per worker process, opened lazily with a 5 s connect
 * timeout and a 30 s statement timeout.  Statements come from the table in
 * stmt.c, are prepared on first use on each connection and run with bound
 * parameters only.  A broken connection (the server restarted) is reopened
 * and the statement run again once; writes are safe to run again because a
 * statement that lost its connection never committed.
 */
#ifndef MM_DB_H
#define MM_DB_H

#include <libpq-fe.h>

#include "stmt.h"

struct req;

enum db_mode {
	DB_READ,		/* autocommit, READ COMMITTED, on the primary */
	DB_REPLICA,		/* the same on MM_PG_READ_URL when set and up:
				   for reads that tolerate replication lag */
	DB_SERIALIZABLE,	/* own SERIALIZABLE transaction, retried;
				   BEGIN and the statement go out together,
				   COMMIT once the result is seen */
	DB_DRY_RUN,		/* own transaction, always rolled back:
				   what a write would do, without it */
};

struct db_stats {
	unsigned long	queries;
	unsigned long	reconnects;
	unsigned long	serialization_retries;
	unsigned long	errors;
};

/* Names the connection (application_name) after the program. */
void		 db_set_application(const char *);
/* Opens the connection now; 0 or -1 (logged).  Optional: calls connect. */
int		 db_connect(void);
void		 db_disconnect(void);
int		 db_connected(void);
const struct db_stats *db_stats(void);

/*
 * Runs stmt with params (stmt_nparams(stmt) strings, NULL for SQL NULL).
 * Returns the result (the caller PQclear()s it) when the statement
 * succeeded.  Otherwise writes the matching error envelope into r (when r
 * is not NULL), logs, and returns NULL.  Errors the stored functions raise
 * with SQLSTATE MMnnn become contract errors with the function's message.
 */
PGresult	*db_exec(struct req *r, enum db_mode, enum stmt,
		    const char *const *params);

/*
 * Runs stmt as DB_SERIALIZABLE does, queued behind every other call with
 * the same key (a user id, say): a session advisory lock on the key is
 * taken before the transaction begins, so that its snapshot already holds
 * what the previous holder committed, and released after the commit.
 * Concurrent writers of one user's balance then take turns instead of
 * failing each other's serialization and retrying.  The lock goes out
 * with BEGIN and the statement, the unlock with COMMIT, so the lock is
 * held across one round trip to this process only.  The commit does not
 * wait for the disk inside the turn: the call returns once
 * db_wait_durable() has seen the WAL flushed past it.  Behind a pooler in
 * transaction mode, which has no session locks, the key is ignored and
 * retries alone keep it correct (and commits are synchronous).
 */
PGresult	*db_exec_queued(struct req *r, const char *key, enum stmt,
		    const char *const *params);

/*
 * Runs a statement whose one column of one row is a JSON document, and
 * replies with it and the given status.  Returns 0, or -1 after an error
 * reply.  An empty result or SQL NULL answers 404.
 */
int		 db_reply_json(struct req *r, enum db_mode, enum stmt,
		    const char *const *params, int status);
/*
 * The reply of db_reply_json() for a result already in hand (from
 * db_exec_queued(), say), which it frees; NULL means the error reply was
 * made.
 */
int		 db_reply_result(struct req *r, PGresult *res, int status);

/* Runs a plain SQL string outside the statement table (tools only). */
PGresult	*db_exec_sql(const char *sql);
PGconn		*db_conn(void);

#endif
