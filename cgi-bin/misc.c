/*
 * misc: health, readiness and the small endpoints of contract §11:
 * settings, themes, places, languages, front-end logs, alternatives, and
 * the route list with its OpenAPI document.
 *
 * The route list covers every binary.  The other binaries' tables are
 * compiled in from routes.inc, which the Makefile generates by running
 * each built cgi-bin binary with --route-table (a binary added or rebuilt
 * regenerates it and relinks misc); misc adds its own table at run time.
 * summaries.inc (from etc/api-summaries.tsv) gives each route a summary
 * and its success status for the OpenAPI document.
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
#include "mem.h"
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

/* ------------------------------------------------------------ routes */

struct api_route {
	const char	*binary;
	const char	*method;
	const char	*path;
	const char	*auth;		/* none, optional, required */
	int		 internal;	/* a subrequest, not an API */
};

struct api_summary {
	const char	*method;
	const char	*path;
	int		 status;
	const char	*summary;
};

static const struct api_route gen_routes[] = {
#include "routes.inc"
	{ NULL, NULL, NULL, NULL, 0 },
};

static const struct api_summary gen_summaries[] = {
#include "summaries.inc"
	{ NULL, NULL, 0, NULL },
};

/* This binary's own table, set by main() (it is defined below). */
static const struct route	*own_routes;
static size_t			 own_nroutes;

static struct api_route	*all_routes;
static size_t		 nall_routes;
static char		*routes_json;
static char		*openapi_json;

static int
method_rank(const char *m)
{
	static const char *const order[] = {
		"GET", "POST", "PUT", "PATCH", "DELETE",
	};
	size_t	i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (strcmp(m, order[i]) == 0)
			return (int)i;
	return 99;
}

static int
cmp_routes(const void *a, const void *b)
{
	const struct api_route	*x = a, *y = b;
	int			 c = strcmp(x->path, y->path);

	return c != 0 ? c : method_rank(x->method) - method_rank(y->method);
}

/* Every public route of every binary, sorted by path then method. */
static void
collect_routes(void)
{
	size_t	i, n = 0, ngen = 0;
	unsigned f;

	if (all_routes != NULL)
		return;
	while (gen_routes[ngen].binary != NULL)
		ngen++;
	all_routes = xcalloc(ngen + own_nroutes + 1, sizeof(*all_routes));
	for (i = 0; i < ngen; i++)
		if (!gen_routes[i].internal)
			all_routes[n++] = gen_routes[i];
	for (i = 0; i < own_nroutes; i++) {
		f = own_routes[i].flags;
		if (f & R_NO_LIMIT)
			continue;
		all_routes[n].binary = "misc";
		all_routes[n].method = own_routes[i].method;
		all_routes[n].path = own_routes[i].pattern;
		all_routes[n].auth = (f & R_AUTH_REQUIRED) ? "required" :
		    (f & R_AUTH_OPTIONAL) ? "optional" : "none";
		n++;
	}
	qsort(all_routes, n, sizeof(*all_routes), cmp_routes);
	nall_routes = n;
}

static const struct api_summary *
summary_of(const struct api_route *rt)
{
	size_t	i;

	for (i = 0; gen_summaries[i].method != NULL; i++)
		if (strcmp(gen_summaries[i].method, rt->method) == 0 &&
		    strcmp(gen_summaries[i].path, rt->path) == 0)
			return &gen_summaries[i];
	return NULL;
}

/* GET /api/__routes: 200. */
static void
get_routes(struct req *r)
{
	struct buf	b = { 0 };
	char		line[512];
	size_t		i;

	if (routes_json == NULL) {
		collect_routes();
		buf_puts(&b, "{\"routes\":[");
		for (i = 0; i < nall_routes; i++) {
			snprintf(line, sizeof(line), "%s %s",
			    all_routes[i].method, all_routes[i].path);
			if (i > 0)
				buf_putc(&b, ',');
			buf_json_str(&b, line);
		}
		buf_puts(&b, "]}");
		routes_json = buf_take(&b);
	}
	http_json(r, 200, routes_json, strlen(routes_json));
}

/* "/api/tips/:id/seen" -> "/api/tips/{id}/seen", with its parameters. */
static char *
openapi_path(const char *pattern, cJSON *params)
{
	struct buf	 b = { 0 };
	const char	*p = pattern, *e;
	cJSON		*prm, *schema;
	char		*name;

	while (*p != '\0') {
		if (*p == ':' && p > pattern && p[-1] == '/') {
			e = p + 1 + strcspn(p + 1, "/");
			name = xstrndup(p + 1, (size_t)(e - p - 1));
			buf_printf(&b, "{%s}", name);
			prm = cJSON_CreateObject();
			cJSON_AddStringToObject(prm, "name", name);
			cJSON_AddStringToObject(prm, "in", "path");
			cJSON_AddTrueToObject(prm, "required");
			schema = cJSON_AddObjectToObject(prm, "schema");
			cJSON_AddStringToObject(schema, "type", "string");
			cJSON_AddItemToArray(params, prm);
			free(name);
			p = e;
		} else
			buf_putc(&b, *p++);
	}
	return buf_take(&b);
}

static void
add_security(cJSON *op, const char *auth)
{
	cJSON	*sec = cJSON_AddArrayToObject(op, "security"), *req;

	if (strcmp(auth, "none") == 0)
		return;
	if (strcmp(auth, "optional") == 0)
		cJSON_AddItemToArray(sec, cJSON_CreateObject());
	req = cJSON_CreateObject();
	cJSON_AddArrayToObject(req, "bearerAuth");
	cJSON_AddItemToArray(sec, req);
}

static cJSON *
openapi_components(void)
{
	cJSON	*c = cJSON_CreateObject(), *o, *p, *q;

	o = cJSON_AddObjectToObject(c, "securitySchemes");
	o = cJSON_AddObjectToObject(o, "bearerAuth");
	cJSON_AddStringToObject(o, "type", "http");
	cJSON_AddStringToObject(o, "scheme", "bearer");
	cJSON_AddStringToObject(o, "bearerFormat", "JWT");

	o = cJSON_AddObjectToObject(c, "schemas");
	o = cJSON_AddObjectToObject(o, "Error");
	cJSON_AddStringToObject(o, "type", "object");
	cJSON_AddItemToObject(o, "required",
	    cJSON_CreateStringArray((const char *[]){ "error" }, 1));
	p = cJSON_AddObjectToObject(o, "properties");
	p = cJSON_AddObjectToObject(p, "error");
	cJSON_AddStringToObject(p, "type", "object");
	cJSON_AddItemToObject(p, "required", cJSON_CreateStringArray(
	    (const char *[]){ "code", "message", "statusCode" }, 3));
	p = cJSON_AddObjectToObject(p, "properties");
	q = cJSON_AddObjectToObject(p, "code");
	cJSON_AddStringToObject(q, "type", "string");
	q = cJSON_AddObjectToObject(p, "message");
	cJSON_AddStringToObject(q, "type", "string");
	q = cJSON_AddObjectToObject(p, "statusCode");
	cJSON_AddStringToObject(q, "type", "integer");

	o = cJSON_AddObjectToObject(c, "responses");
	o = cJSON_AddObjectToObject(o, "Error");
	cJSON_AddStringToObject(o, "description", "The contract's error "
	    "envelope (code, message, statusCode)");
	o = cJSON_AddObjectToObject(o, "content");
	o = cJSON_AddObjectToObject(o, "application/json");
	o = cJSON_AddObjectToObject(o, "schema");
	cJSON_AddStringToObject(o, "$ref", "#/components/schemas/Error");
	return c;
}

/* The OpenAPI 3.0 document of every route, built once per worker. */
static char *
openapi_build(void)
{
	cJSON				*root, *o, *paths, *tags, *op;
	cJSON				*params, *pathobj, *resp, *ok, *x;
	const struct api_route		*rt;
	const struct api_summary	*sm;
	char				 lower[16], status[8], *path, *s;
	struct buf			 opid = { 0 };
	size_t				 i, k;

	collect_routes();
	root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "openapi", "3.0.3");
	o = cJSON_AddObjectToObject(root, "info");
	cJSON_AddStringToObject(o, "title", "MuscleMap API");
	cJSON_AddStringToObject(o, "version", cfg->version);
	cJSON_AddStringToObject(o, "description", "Every route of every "
	    "binary, generated from their route tables. Auth levels: none, "
	    "optional (anonymous allowed, a bad token is 401), required "
	    "(x-auth on each operation).");
	o = cJSON_AddArrayToObject(root, "servers");
	x = cJSON_CreateObject();
	cJSON_AddStringToObject(x, "url", "/");
	cJSON_AddItemToArray(o, x);
	tags = cJSON_AddArrayToObject(root, "tags");
	paths = cJSON_AddObjectToObject(root, "paths");
	for (i = 0; i < nall_routes; i++) {
		rt = &all_routes[i];
		sm = summary_of(rt);
		params = cJSON_CreateArray();
		path = openapi_path(rt->path, params);
		if ((pathobj = cJSON_GetObjectItemCaseSensitive(paths,
		    path)) == NULL)
			pathobj = cJSON_AddObjectToObject(paths, path);
		for (k = 0; rt->method[k] != '\0' && k + 1 < sizeof(lower);
		    k++)
			lower[k] = (char)tolower((unsigned char)rt->method[k]);
		lower[k] = '\0';
		op = cJSON_AddObjectToObject(pathobj, lower);
		buf_reset(&opid);
		buf_puts(&opid, lower);
		for (s = path; *s != '\0'; s++)
			if (isalnum((unsigned char)*s))
				buf_putc(&opid, *s);
			else if (opid.s[opid.len - 1] != '_')
				buf_putc(&opid, '_');
		if (opid.s[opid.len - 1] == '_')
			opid.s[--opid.len] = '\0';
		cJSON_AddStringToObject(op, "operationId", opid.s);
		if (sm != NULL)
			cJSON_AddStringToObject(op, "summary", sm->summary);
		else {
			buf_reset(&opid);
			buf_printf(&opid, "%s %s", rt->method, rt->path);
			cJSON_AddStringToObject(op, "summary", opid.s);
		}
		x = cJSON_AddArrayToObject(op, "tags");
		cJSON_AddItemToArray(x, cJSON_CreateString(rt->binary));
		cJSON_AddStringToObject(op, "x-auth", rt->auth);
		add_security(op, rt->auth);
		if (cJSON_GetArraySize(params) > 0)
			cJSON_AddItemToObject(op, "parameters", params);
		else
			cJSON_Delete(params);
		resp = cJSON_AddObjectToObject(op, "responses");
		snprintf(status, sizeof(status), "%d", sm ? sm->status : 200);
		ok = cJSON_AddObjectToObject(resp, status);
		if (sm != NULL && sm->status == 204)
			cJSON_AddStringToObject(ok, "description",
			    "No content");
		else {
			cJSON_AddStringToObject(ok, "description", "Success");
			x = cJSON_AddObjectToObject(ok, "content");
			cJSON_AddObjectToObject(x, "application/json");
		}
		x = cJSON_AddObjectToObject(resp, "default");
		cJSON_AddStringToObject(x, "$ref",
		    "#/components/responses/Error");
		free(path);
	}
	buf_free(&opid);
	/* One tag per binary, in the order they first appear. */
	for (i = 0; i < nall_routes; i++) {
		int	seen = 0;

		cJSON_ArrayForEach(x, tags)
			if (strcmp(cJSON_GetObjectItem(x, "name")->valuestring,
			    all_routes[i].binary) == 0)
				seen = 1;
		if (seen)
			continue;
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", all_routes[i].binary);
		cJSON_AddItemToArray(tags, x);
	}
	cJSON_AddItemToObject(root, "components", openapi_components());
	s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (s == NULL) {
		log_errorx("cJSON_PrintUnformatted: out of memory");
		abort();
	}
	return s;
}

/* GET /api/docs/openapi.json: 200. */
static void
get_openapi(struct req *r)
{
	if (openapi_json == NULL)
		openapi_json = openapi_build();
	http_json(r, 200, openapi_json, strlen(openapi_json));
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
	{ "GET", "/api/__routes", get_routes, 0 },
	{ "GET", "/api/docs/openapi.json", get_openapi, 0 },
};

static const struct app app = {
	"misc", routes, sizeof(routes) / sizeof(routes[0]), NULL,
};

int
main(int argc, char **argv)
{
	own_routes = routes;
	own_nroutes = sizeof(routes) / sizeof(routes[0]);
	return server_main(&app, argc, argv);
}
