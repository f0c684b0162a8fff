#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

#define DB_MAX_ATTEMPTS	10	/* serialization retries before giving up */

/*
 * A connection and what belongs to it: prepared statements exist per
 * connection, so the set is forgotten whenever the connection is.
 */
struct link {
	const char	*name;		/* "primary" or "replica" */
	PGconn		*conn;
	unsigned char	 prepared[STMT__MAX];
	time_t		 last_failure;
};

static struct link	 primary = { "primary", NULL, { 0 }, 0 };
static struct link	 replica = { "replica", NULL, { 0 }, 0 };
static struct link	*cur = &primary;	/* the link statements run on */
static PGconn		*conn;			/* cur->conn, for brevity */
static struct db_stats	 stats;
static const char	*app_name = "musclemap";

const struct db_stats *
db_stats(void)
{
	return &stats;
}

void
db_set_application(const char *name)
{
	app_name = name;
}

PGconn *
db_conn(void)
{
	return primary.conn;
}

int
db_connected(void)
{
	return primary.conn != NULL && PQstatus(primary.conn) == CONNECTION_OK;
}

static void
link_close(struct link *l)
{
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	memset(l->prepared, 0, sizeof(l->prepared));
	if (cur == l)
		conn = NULL;
}

void
db_disconnect(void)
{
	link_close(&primary);
	link_close(&replica);
}

/*
 * Opens l to url if it is not open.  With a pooler in transaction mode
 * (MM_PG_POOLER=transaction) no startup options are sent (PgBouncer
 * refuses unknown ones; set statement_timeout on the role instead).
 */
static int
link_open(struct link *l, const char *url)
{
	const char	*keys[6], *vals[6];
	char		 timeout[16], options[128];
	time_t		 now = time(NULL);
	int		 k = 0;

	if (l->conn != NULL && PQstatus(l->conn) == CONNECTION_OK)
		return 0;
	link_close(l);
	/* While the server is down, fail fast instead of per request. */
	if (l->last_failure != 0 && now - l->last_failure < 1)
		return -1;
	snprintf(timeout, sizeof(timeout), "%d", cfg->db_connect_timeout);
	/*
	 * The connection check makes the server notice within 100 ms that a
	 * worker died with a statement running (waiting for a lock, say),
	 * and stop working for no one.
	 */
	snprintf(options, sizeof(options), "-c statement_timeout=%d "
	    "-c client_connection_check_interval=100",
	    cfg->db_statement_timeout_ms);
	keys[k] = "dbname";		vals[k++] = url;
	keys[k] = "connect_timeout";	vals[k++] = timeout;
	keys[k] = "application_name";	vals[k++] = app_name;
	keys[k] = "client_encoding";	vals[k++] = "UTF8";
	if (!cfg->db_pooled) {
		keys[k] = "options";
		vals[k++] = options;
	}
	keys[k] = NULL;
	vals[k] = NULL;
	l->conn = PQconnectdbParams(keys, vals, 1);
	if (PQstatus(l->conn) != CONNECTION_OK) {
		log_warnx("%s database connection failed: %s", l->name,
		    PQerrorMessage(l->conn));
		link_close(l);
		l->last_failure = now;
		return -1;
	}
	l->last_failure = 0;
	stats.reconnects++;
	metrics_add("db_connects_total", 1);
	return 0;
}

int
db_connect(void)
{
	return link_open(&primary, cfg->database_url);
}

/* Points the statement helpers at l. */
static void
use(struct link *l)
{
	cur = l;
	conn = l->conn;
}

static int
prepare(enum stmt s)
{
	PGresult	*res;
	int		 ok;

	if (cur->prepared[s])
		return 0;
	res = PQprepare(conn, stmt_name(s), stmt_sql(s), stmt_nparams(s),
	    NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		log_warnx("prepare %s failed: %s", stmt_name(s),
		    PQresultErrorMessage(res));
	PQclear(res);
	if (!ok)
		return -1;
	cur->prepared[s] = 1;
	return 0;
}

static const char *
sqlstate(const PGresult *res)
{
	const char	*s;

	if (res == NULL)
		return "08006";
	s = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	return s ? s : "";
}

static int
is_conn_error(const PGresult *res)
{
	const char	*s = sqlstate(res);

	return PQstatus(conn) != CONNECTION_OK || strncmp(s, "08", 2) == 0 ||
	    strcmp(s, "57P01") == 0 || strcmp(s, "57P02") == 0 ||
	    strcmp(s, "57P03") == 0;
}

static int
is_retryable(const PGresult *res)
{
	const char	*s = sqlstate(res);

	return strcmp(s, "40001") == 0 || strcmp(s, "40P01") == 0;
}

static int
ok_status(const PGresult *res)
{
	ExecStatusType	st = PQresultStatus(res);

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* Maps a failed result to the contract's envelope; logs internal detail. */
static void
reply_pg_error(struct req *r, enum stmt s, const PGresult *res)
{
	const char	*state = sqlstate(res);
	const char	*msg = res ? PQresultErrorField(res,
	    PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (strncmp(state, "MM", 2) == 0) {
		/* Raised on purpose by a stored function: message is safe. */
		static const struct { const char *st; enum err e; } map[] = {
			{ "MM400", ERR_VALIDATION },
			{ "MM402", ERR_INSUFFICIENT_CREDITS },
			{ "MM401", ERR_UNAUTHORIZED },
			{ "MM403", ERR_FORBIDDEN },
			{ "MM404", ERR_NOT_FOUND },
			{ "MM409", ERR_CONFLICT },
			{ "MM429", ERR_RATE_LIMITED },
			{ "MM503", ERR_SERVICE_UNAVAILABLE },
		};
		size_t	i;

		for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
			if (strcmp(state, map[i].st) == 0) {
				if (r != NULL)
					err_reply(r, map[i].e, msg);
				return;
			}
	}
	stats.errors++;
	metrics_add("db_errors_total", 1);
	log_warnx("statement %s failed (%s): %s", stmt_name(s), state,
	    res ? PQresultErrorMessage(res) : PQerrorMessage(conn));
	if (r == NULL)
		return;
	if (res == NULL || is_conn_error(res) || strcmp(state, "57014") == 0)
		err_reply(r, ERR_SERVICE_UNAVAILABLE, "Database unavailable");
	else if (strcmp(state, "23505") == 0)
		err_reply(r, ERR_CONFLICT, "This already exists");
	else if (strncmp(state, "22", 2) == 0 || strcmp(state, "23514") == 0)
		err_reply(r, ERR_VALIDATION, "A value is out of range");
	else
		err_reply(r, ERR_INTERNAL, NULL);
}

/*
 * Runs a statement: prepared once per connection, or, behind a pooler in
 * transaction mode, where a prepared statement would land on whichever
 * server connection the pooler picks, as an unnamed statement each time.
 */
static PGresult *
run(enum stmt s, const char *const *params)
{
	stats.queries++;
	metrics_add("db_round_trips_total", 1);
	if (cfg->db_pooled)
		return PQexecParams(conn, stmt_sql(s), stmt_nparams(s), NULL,
		    params, NULL, NULL, 0);
	if (prepare(s) == -1)
		return NULL;
	return PQexecPrepared(conn, stmt_name(s), stmt_nparams(s), params,
	    NULL, NULL, 0);
}

static int
simple(const char *sql)
{
	PGresult	*res;
	int		 ok;

	metrics_add("db_round_trips_total", 1);
	res = PQexec(conn, sql);
	ok = ok_status(res);
	if (!ok && is_retryable(res)) {
		PQclear(res);
		return 1;
	}
	if (!ok)
		log_warnx("%s failed: %s", sql, PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

/* Sleeps 2^attempt ms with jitter, capped, before a retry. */
static void
backoff(int attempt)
{
	struct timespec	ts;
	long		ms = 1L << (attempt < 7 ? attempt : 7);

	ms = ms / 2 + (long)(rand() % (int)(ms + 1));
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

static PGresult *
run_serializable(enum stmt s, const char *const *params, int *retryable)
{
	PGresult	*res;
	int		 rc;

	*retryable = 0;
	if ((rc = simple("BEGIN ISOLATION LEVEL SERIALIZABLE")) != 0)
		return NULL;
	res = run(s, params);
	if (res == NULL || !ok_status(res)) {
		*retryable = is_retryable(res);
		(void)simple("ROLLBACK");
		return res;
	}
	if ((rc = simple("COMMIT")) != 0) {
		*retryable = rc == 1;
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Pipelines: several statements sent at once, their results read after. */
static int
pipe_stmt(enum stmt s, const char *const *params)
{
	return PQsendQueryPrepared(conn, stmt_name(s), stmt_nparams(s), params,
	    NULL, NULL, 0);
}

static int
pipe_sql(const char *sql)
{
	return PQsendQueryParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);
}

/*
 * The next result of the pipeline, with the NULL that ends a statement's
 * results consumed.  NULL when the connection failed.
 */
static PGresult *
pipe_result(void)
{
	PGresult	*res, *more;

	if ((res = PQgetResult(conn)) == NULL ||
	    PQresultStatus(res) == PGRES_PIPELINE_SYNC)
		return res;
	while ((more = PQgetResult(conn)) != NULL)
		PQclear(more);
	return res;
}

/* Reads a sync point; 0, or -1 when the pipeline is out of step. */
static int
pipe_sync(void)
{
	PGresult	*res = pipe_result();
	int		 ok = PQresultStatus(res) == PGRES_PIPELINE_SYNC;

	PQclear(res);
	return ok ? 0 : -1;
}

/* Reads a result that only has to succeed; 1 when it did. */
static int
pipe_ok(void)
{
	PGresult	*res = pipe_result();
	int		 ok = res != NULL && ok_status(res);

	PQclear(res);
	return ok;
}

/*
 * DB_SERIALIZABLE in two round trips instead of three (five with a queue
 * key): the key's lock (behind its own sync point, so that the
 * transaction's snapshot is taken after it), BEGIN and the statement go
 * out together; COMMIT (or ROLLBACK when the statement failed) and the
 * unlock follow together.  COMMIT is only sent once this process has seen
 * the statement succeed, so a worker that dies in between commits
 * nothing.  The lock is held across one round trip only.
 *
 * With a queue key the transaction also commits asynchronously, and
 * db_wait_durable() follows the unlock in the same round trip: the next
 * transaction of that key starts without waiting for this one's WAL flush,
 * while this caller still only sees success once the flush covered its
 * commit (a later commit in the WAL cannot be on disk without it).  The
 * flushes of concurrent callers share one fsync.
 */
static PGresult *
run_pipelined(enum stmt s, const char *const *params, const char *key,
    int *retryable)
{
	const char	*kp[1] = { key };
	PGresult	*res = NULL, *end = NULL;
	int		 sent, locked = 0, unlocked = 0, ok;

	*retryable = 0;
	if (prepare(s) == -1 || (key != NULL && (prepare(STMT_QUEUE_LOCK) ==
	    -1 || prepare(STMT_QUEUE_UNLOCK) == -1 ||
	    prepare(STMT_WAIT_DURABLE) == -1)))
		return NULL;
	if (!PQenterPipelineMode(conn))
		return NULL;
	stats.queries++;
	metrics_add("db_round_trips_total", 2);

	sent = (key == NULL || (pipe_stmt(STMT_QUEUE_LOCK, kp) &&
	    PQpipelineSync(conn))) &&
	    pipe_sql("BEGIN ISOLATION LEVEL SERIALIZABLE") &&
	    (key == NULL ||
	    pipe_sql("SET LOCAL synchronous_commit TO off")) &&
	    pipe_stmt(s, params) && PQsendFlushRequest(conn) &&
	    PQflush(conn) == 0;
	if (!sent)
		goto broken;
	if (key != NULL) {
		locked = pipe_ok();
		if (pipe_sync() == -1)
			goto broken;
		if (!locked)
			log_warnx("queue lock failed: running unqueued");
	}
	ok = pipe_ok();		/* BEGIN */
	if (key != NULL)
		ok = pipe_ok() && ok;	/* SET LOCAL */
	res = pipe_result();
	ok = ok && res != NULL && ok_status(res);

	/* After a failure the server skips to the next sync point. */
	sent = (ok ? pipe_sql("COMMIT") : PQpipelineSync(conn) &&
	    pipe_sql("ROLLBACK")) && PQpipelineSync(conn) &&
	    (key == NULL || (pipe_stmt(STMT_QUEUE_UNLOCK, kp) &&
	    PQpipelineSync(conn) && (!ok ||
	    (pipe_stmt(STMT_WAIT_DURABLE, NULL) && PQpipelineSync(conn)))));
	if (!sent || (!ok && pipe_sync() == -1))
		goto broken;
	end = pipe_result();
	if (pipe_sync() == -1)
		goto broken;
	if (key != NULL) {
		unlocked = pipe_ok();
		if (pipe_sync() == -1)
			goto broken;
		/*
		 * Not knowing whether the commit reached the disk, answer
		 * nothing: the caller runs the statement again on a new
		 * connection, and an idempotent one finds what committed.
		 */
		if (ok && (!pipe_ok() || pipe_sync() == -1))
			goto broken;
	}
	if (!PQexitPipelineMode(conn))
		goto broken;
	if (locked && !unlocked)
		PQclear(run(STMT_QUEUE_UNLOCK, kp));

	if (ok && end != NULL && ok_status(end)) {
		PQclear(end);
		return res;
	}
	if (ok) {
		/* COMMIT failed, and ended the transaction. */
		PQclear(res);
		res = end;
	} else
		PQclear(end);
	*retryable = is_retryable(res);
	return res;
broken:
	/*
	 * Out of step with the server: drop the connection (which also
	 * ends the transaction and releases the lock); the caller
	 * reconnects and runs the statement again.
	 */
	PQclear(res);
	PQclear(end);
	log_warnx("pipeline failed: %s", PQerrorMessage(conn));
	link_close(cur);
	return NULL;
}

/* Runs a statement in a transaction that is then rolled back. */
static PGresult *
run_rolled_back(enum stmt s, const char *const *params)
{
	PGresult	*res;

	if (simple("BEGIN") != 0)
		return NULL;
	res = run(s, params);
	(void)simple("ROLLBACK");
	return res;
}

static PGresult *
exec(struct req *r, enum db_mode mode, enum stmt s,
    const char *const *params, const char *key)
{
	PGresult	*res = NULL;
	struct link	*l = &primary;
	int		 attempt, retryable, reconnected = 0;

	/* Reads that tolerate lag go to the replica while it answers. */
	if (mode == DB_REPLICA && cfg->database_read_url != NULL &&
	    link_open(&replica, cfg->database_read_url) == 0)
		l = &replica;
	for (attempt = 0; attempt < DB_MAX_ATTEMPTS; attempt++) {
		if (link_open(l, l == &replica ? cfg->database_read_url :
		    cfg->database_url) == -1) {
			if (l == &replica) {
				l = &primary;	/* fall back, try again */
				continue;
			}
			if (r != NULL)
				err_reply(r, ERR_SERVICE_UNAVAILABLE,
				    "Database unavailable");
			return NULL;
		}
		use(l);
		retryable = 0;
		if (mode == DB_SERIALIZABLE && cfg->db_pooled)
			res = run_serializable(s, params, &retryable);
		else if (mode == DB_SERIALIZABLE)
			res = run_pipelined(s, params, key, &retryable);
		else if (mode == DB_DRY_RUN)
			res = run_rolled_back(s, params);
		else
			res = run(s, params);
		if (res != NULL && ok_status(res))
			return res;
		if (retryable) {
			PQclear(res);
			res = NULL;
			stats.serialization_retries++;
			metrics_add("db_serialization_retries_total", 1);
			backoff(attempt);
			continue;
		}
		if (is_conn_error(res) && !reconnected) {
			/* The server went away under us: reopen once. */
			PQclear(res);
			res = NULL;
			link_close(l);
			l->last_failure = 0;
			reconnected = 1;
			continue;
		}
		break;
	}
	reply_pg_error(r, s, res);
	PQclear(res);
	return NULL;
}

PGresult *
db_exec(struct req *r, enum db_mode mode, enum stmt s,
    const char *const *params)
{
	return exec(r, mode, s, params, NULL);
}

PGresult *
db_exec_queued(struct req *r, const char *key, enum stmt s,
    const char *const *params)
{
	return exec(r, DB_SERIALIZABLE, s, params, key);
}

int
db_reply_result(struct req *r, PGresult *res, int status)
{
	if (res == NULL)
		return -1;	/* db_exec() has replied */
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		err_reply(r, ERR_NOT_FOUND, NULL);
		return -1;
	}
	http_json(r, status, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
	return 0;
}

int
db_reply_json(struct req *r, enum db_mode mode, enum stmt s,
    const char *const *params, int status)
{
	return db_reply_result(r, db_exec(r, mode, s, params), status);
}

PGresult *
db_exec_sql(const char *sql)
{
	if (db_connect() == -1)
		return NULL;
	return PQexec(primary.conn, sql);
}
