/*
 * misc: health, readiness and the small endpoints of contract §11.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "buf.h"
#include "catalog.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "ops.h"
#include "prescribe.h"
#include "rds.h"
#include "route.h"
#include "server.h"
#include "valid.h"

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

/*
 * GET /api/alternatives/seated and GET /api/alternatives/low-impact: 200,
 * 400, 404 (unknown exerciseId), 503.  The rules are in lib/prescribe.h.
 */
static void
alternatives(struct req *r, enum rx_alt kind)
{
	const struct exercise	*like = NULL;
	const char		*id;
	struct buf		 b = { 0 };

	if (valid_query_str(r, "exerciseId", 1000, &id) == -1 ||
	    catalog_refresh(r) == -1)
		return;
	if (id != NULL && *id != '\0' &&
	    (like = catalog_exercise(id)) == NULL) {
		err_reply(r, ERR_NOT_FOUND, "Exercise not found");
		return;
	}
	prescribe_json_alternatives(catalog_get(), kind, like, &b);
	http_json_buf(r, 200, &b);
}

static void
get_alt_seated(struct req *r)
{
	alternatives(r, RX_ALT_SEATED);
}

static void
get_alt_low_impact(struct req *r)
{
	alternatives(r, RX_ALT_LOW_IMPACT);
}

static const struct route routes[] = {
	{ "GET", "/api/health", get_health, 0 },
	{ "GET", "/api/ready", get_ready, 0 },
	{ "GET", "/api/health/detailed", ops_health_detailed, 0 },
	{ "GET", "/api/metrics", ops_metrics, 0 },
	{ "GET", "/api/alternatives/seated", get_alt_seated, 0 },
	{ "GET", "/api/alternatives/low-impact", get_alt_low_impact, 0 },
};

static const struct app app = {
	"misc", routes, sizeof(routes) / sizeof(routes[0]), NULL,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
