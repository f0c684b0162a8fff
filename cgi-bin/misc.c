/*
 * misc: health, readiness and the small endpoints of contract §11:
 * settings, themes, places, languages, front-end logs and alternatives.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "auth.h"
#include "buf.h"
#include "catalog.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "ops.h"
#include "prescribe.h"
#include "rds.h"
#include "redact.h"
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

/* GET /api/settings: 200, 401, 403, 503. */
static void
get_settings(struct req *r)
{
	const char	*params[1] = { r->user->id };

	db_reply_json(r, DB_READ, STMT_SETTINGS_GET, params, 200);
}

/*
 * PATCH /api/settings: 200, 400, 401, 403, 503.  The stored function
 * checks every section, key and type and saves nothing on a mistake.
 */
static void
patch_settings(struct req *r)
{
	const char	*params[2] = { r->user->id, r->body };

	db_reply_json(r, DB_SERIALIZABLE, STMT_SETTINGS_PATCH, params, 200);
}

/* GET /api/settings/themes: 200, 503. */
static void
get_themes(struct req *r)
{
	db_reply_json(r, DB_READ, STMT_SETTINGS_THEMES, NULL, 200);
}

/* GET /api/i18n/languages: 200.  The product's texts exist in English. */
static void
get_languages(struct req *r)
{
	static const char	body[] =
	    "{\"languages\":[{\"code\":\"en\",\"name\":\"English\"}]}";

	http_json(r, 200, body, sizeof(body) - 1);
}

/*
 * A decimal number query parameter within [min, max] (min itself excluded
 * when min_open).  Absent or empty: def, or 400 when required.  Returns 0,
 * or -1 after the 400 reply.
 */
static int
query_number(struct req *r, const char *name, int required, double min,
    int min_open, double max, double def, double *out)
{
	const char	*v = req_query(r, name), *p;
	char		*end;
	double		 d;

	*out = def;
	if (v == NULL || *v == '\0') {
		if (!required)
			return 0;
		err_replyf(r, ERR_VALIDATION, "Query parameter %s is required",
		    name);
		return -1;
	}
	/* Plain decimal notation only: no hex, inf, nan or blanks. */
	for (p = v; *p != '\0'; p++)
		if (!isdigit((unsigned char)*p) && strchr("+-.eE", *p) == NULL)
			break;
	d = *p == '\0' ? strtod(v, &end) : NAN;
	if (*p != '\0' || *end != '\0' || !isfinite(d) || d > max ||
	    (min_open ? d <= min : d < min)) {
		err_replyf(r, ERR_VALIDATION, "Query parameter %s must be a "
		    "number %s %g and at most %g", name,
		    min_open ? "above" : "of at least", min, max);
		return -1;
	}
	*out = d;
	return 0;
}

/* GET /api/locations/nearby: 200, 400, 503. */
static void
get_nearby(struct req *r)
{
	double		 lat, lng, radius;
	char		 a[32], b[32], c[32];
	const char	*params[3] = { a, b, c };

	if (query_number(r, "lat", 1, -90, 0, 90, 0, &lat) == -1 ||
	    query_number(r, "lng", 1, -180, 0, 180, 0, &lng) == -1 ||
	    query_number(r, "radius", 0, 0, 1, 100, 10, &radius) == -1)
		return;
	snprintf(a, sizeof(a), "%.17g", lat);
	snprintf(b, sizeof(b), "%.17g", lng);
	snprintf(c, sizeof(c), "%.17g", radius);
	db_reply_json(r, DB_READ, STMT_LOCATIONS_NEARBY, params, 200);
}

/*
 * Longest serialized entry logged as it is; a longer one is logged as its
 * first bytes, as a string.  The whole line stays below log.c's limit.
 */
#define LOG_ENTRY_MAX	1500
#define LOG_ENTRIES_MAX	100

/* Cuts s to at most max bytes without splitting a UTF-8 sequence. */
static void
utf8_cut(char *s, size_t max)
{
	size_t	n = strlen(s);

	if (n <= max)
		return;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--;
	s[max] = '\0';
}

/*
 * POST /api/trace/frontend-log: 204, 400, 401, 403, 413, 429.
 * Each entry becomes one JSON log line (with the request id, the caller
 * when signed in, and the entry with secrets replaced); nothing is stored
 * elsewhere.
 */
static void
post_frontend_log(struct req *r)
{
	const cJSON	*entries, *e;
	cJSON		*copy, *line;
	char		*s;
	int		 i = 0, n;

	if (valid_array(r, r->json, NULL, "entries", V_REQUIRED, 0,
	    LOG_ENTRIES_MAX, &entries) == -1)
		return;
	cJSON_ArrayForEach(e, entries) {
		if (!cJSON_IsObject(e)) {
			err_replyf(r, ERR_VALIDATION, "entries[%d] must be an "
			    "object", i);
			return;
		}
		i++;
	}
	n = i;
	i = 0;
	cJSON_ArrayForEach(e, entries) {
		copy = cJSON_Duplicate(e, 1);
		redact_json(copy);
		s = cJSON_PrintUnformatted(copy);
		line = cJSON_CreateObject();
		cJSON_AddStringToObject(line, "source", "frontend");
		if (r->user != NULL)
			cJSON_AddStringToObject(line, "userId", r->user->id);
		cJSON_AddNumberToObject(line, "index", i);
		cJSON_AddNumberToObject(line, "count", n);
		if (s != NULL && strlen(s) <= LOG_ENTRY_MAX)
			cJSON_AddItemToObject(line, "entry", copy);
		else {
			cJSON_AddNumberToObject(line, "entryBytes",
			    s != NULL ? (double)strlen(s) : 0);
			if (s != NULL) {
				utf8_cut(s, LOG_ENTRY_MAX);
				cJSON_AddStringToObject(line, "entryTruncated",
				    s);
			}
			cJSON_Delete(copy);
		}
		cJSON_free(s);
		s = cJSON_PrintUnformatted(line);
		cJSON_Delete(line);
		if (s != NULL)
			log_info("%s", s);
		cJSON_free(s);
		i++;
	}
	http_empty(r, 204);
}

static const struct route routes[] = {
	{ "GET", "/api/health", get_health, 0 },
	{ "GET", "/api/ready", get_ready, 0 },
	{ "GET", "/api/health/detailed", ops_health_detailed, 0 },
	{ "GET", "/api/metrics", ops_metrics, 0 },
	{ "GET", "/api/alternatives/seated", get_alt_seated, 0 },
	{ "GET", "/api/alternatives/low-impact", get_alt_low_impact, 0 },
	{ "GET", "/api/settings", get_settings, R_AUTH_REQUIRED },
	{ "PATCH", "/api/settings", patch_settings,
	    R_AUTH_REQUIRED | R_BODY },
	{ "GET", "/api/settings/themes", get_themes, 0 },
	{ "GET", "/api/locations/nearby", get_nearby, 0 },
	{ "GET", "/api/i18n/languages", get_languages, 0 },
	{ "POST", "/api/trace/frontend-log", post_frontend_log,
	    R_AUTH_OPTIONAL | R_BODY },
};

static const struct app app = {
	"misc", routes, sizeof(routes) / sizeof(routes[0]), NULL,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
