/*
 * misc: health, readiness and the small endpoints of contract §11.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "ops.h"
#include "rds.h"
#include "route.h"
#include "server.h"

/*
 * Connection figures across all workers come from pg_stat_activity, which
 * costs more than the rest of the health check together, and Redis is
 * probed with a round trip: a worker reuses both for a second.  The
 * database itself is checked on every call.
 */
static char		 pool_json[256] = "{\"total\":0,\"idle\":0,\"waiting\":0}";
static const char	*redis_state = "disabled";
static time_t		 checked_at;

/* GET /api/health: 200, 503 when the database is unreachable. */
static void
get_health(struct req *r)
{
	PGresult	*res;
	struct buf	 b = { 0 };
	const char	*redis;
	time_t		 now = time(NULL);

	if ((res = db_exec(r, DB_READ, STMT_PING, NULL)) == NULL)
		return;
	PQclear(res);
	if (now != checked_at) {
		redis_state = rds_status();
		if ((res = db_exec(NULL, DB_READ, STMT_HEALTH_POOL,
		    NULL)) != NULL) {
			snprintf(pool_json, sizeof(pool_json), "%s",
			    PQgetvalue(res, 0, 0));
			PQclear(res);
		}
		checked_at = now;
	}
	redis = redis_state;
	buf_printf(&b, "{\"status\":\"%s\",\"version\":",
	    strcmp(redis, "disconnected") == 0 ? "degraded" : "healthy");
	buf_json_str(&b, cfg->version);
	buf_printf(&b, ",\"database\":\"connected\",\"redis\":\"%s\","
	    "\"poolStats\":%s,\"workers\":%d}", redis, pool_json,
	    cfg->workers);
	http_json_buf(r, 200, &b);
}

/* GET /api/ready: 200, 503. */
static void
get_ready(struct req *r)
{
	PGresult	*res;

	if ((res = db_exec(r, DB_READ, STMT_PING, NULL)) == NULL)
		return;
	PQclear(res);
	http_json(r, 200, "{\"ready\":true}", 14);
}

static const struct route routes[] = {
	{ "GET", "/api/health", get_health, 0 },
	{ "GET", "/api/ready", get_ready, 0 },
	{ "GET", "/api/health/detailed", ops_health_detailed, 0 },
	{ "GET", "/api/metrics", ops_metrics, 0 },
};

static const struct app app = {
	"misc", routes, sizeof(routes) / sizeof(routes[0]), NULL,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
