#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "metrics.h"
#include "ops.h"
#include "rds.h"
#include "util.h"

static const char *const groups[] = {
	"auth", "auth-hash", "catalog", "workouts", "economy", "journey", "community",
	"messaging", "tips", "misc",
};

/* 0 when the caller may see operator data; else replies 403. */
static int
allowed(struct req *r)
{
	if (util_addr_in(r->remote_addr, cfg->allowed_networks))
		return 0;
	err_reply(r, ERR_FORBIDDEN, "Only operators' networks may read this");
	return -1;
}

/* GET /api/metrics: 200 (text/plain), 403. */
void
ops_metrics(struct req *r)
{
	struct buf	b = { 0 };

	if (allowed(r) == -1)
		return;
	metrics_render(&b);
	if (b.s == NULL)
		buf_puts(&b, "");
	r->status = 200;
	r->responded = 1;
	r->content_type = "text/plain; version=0.0.4; charset=utf-8";
	buf_free(&r->out);
	r->out = b;
}

/* Live workers of a supervisor: its children, from /proc. */
static int
count_children(long pid)
{
	char	 path[64], line[4096];
	FILE	*f;
	int	 n = 0;
	char	*p;

	snprintf(path, sizeof(path), "/proc/%ld/task/%ld/children", pid, pid);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	if (fgets(line, sizeof(line), f) != NULL)
		for (p = strtok(line, " \n"); p != NULL;
		    p = strtok(NULL, " \n"))
			n++;
	fclose(f);
	return n;
}

static void
workers_json(struct buf *b)
{
	const char	*run = getenv("MM_RUN_DIR");
	char		 dir[4096], path[4200];
	size_t		 i;
	int		 first = 1;

	/* The stack exports MM_RUN_DIR; by hand it is var/run. */
	snprintf(dir, sizeof(dir), "%s", run ? run : "");
	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "%s/run", cfg->var_dir);
	buf_putc(b, '{');
	for (i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		FILE	*f;
		long	 pid = 0;

		snprintf(path, sizeof(path), "%s/%s.pid", dir, groups[i]);
		if ((f = fopen(path, "r")) == NULL)
			continue;
		if (fscanf(f, "%ld", &pid) != 1)
			pid = 0;
		fclose(f);
		buf_printf(b, "%s\"%s\":{\"supervisor\":%ld,\"workers\":%d}",
		    first ? "" : ",", groups[i], pid,
		    pid > 0 ? count_children(pid) : 0);
		first = 0;
	}
	buf_putc(b, '}');
}

/* GET /api/health/detailed: 200, 403, 503 without a database. */
void
ops_health_detailed(struct req *r)
{
	PGresult	*pool, *mig;
	struct buf	 b = { 0 };
	const char	*redis;
	const struct db_stats *st = db_stats();

	if (allowed(r) == -1)
		return;
	if ((pool = db_exec(r, DB_READ, STMT_HEALTH_POOL, NULL)) == NULL)
		return;
	if ((mig = db_exec(r, DB_READ, STMT_MIGRATION_VERSION, NULL)) ==
	    NULL) {
		PQclear(pool);
		return;
	}
	redis = rds_status();
	buf_printf(&b, "{\"status\":\"%s\",\"version\":",
	    strcmp(redis, "disconnected") == 0 ? "degraded" : "healthy");
	buf_json_str(&b, cfg->version);
	buf_printf(&b, ",\"database\":\"connected\",\"redis\":\"%s\","
	    "\"poolStats\":%s,\"migration\":", redis,
	    PQgetvalue(pool, 0, 0));
	buf_json_str(&b, PQgetisnull(mig, 0, 0) ? NULL :
	    PQgetvalue(mig, 0, 0));
	buf_printf(&b, ",\"workersPerBinary\":%d,\"binaries\":",
	    cfg->workers);
	workers_json(&b);
	buf_printf(&b, ",\"thisWorker\":{\"queries\":%lu,\"reconnects\":%lu,"
	    "\"serializationRetries\":%lu,\"errors\":%lu,"
	    "\"redisFallbacks\":%lu},\"readReplica\":%s}",
	    st->queries, st->reconnects, st->serialization_retries,
	    st->errors, rds_fallbacks(),
	    cfg->database_read_url ? "true" : "false");
	PQclear(pool);
	PQclear(mig);
	http_json_buf(r, 200, &b);
}
