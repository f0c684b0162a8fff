/*
 * community: the activity feed, presence, stats, leaderboard, high-fives,
 * competitions and groups (contract §7), and the authorization of the
 * community streams (§8), which nginx's nchan module serves.
 *
 * Events this binary creates go through activity_event_create() inside
 * their stored function and are published with realtime_publish_event()
 * once that function's transaction committed (db_exec returns after the
 * commit).
 *
 * Presence (§7.2) lives in Redis under the seed's keys when Redis is
 * enabled and reachable; otherwise in the presence table.  Reads follow
 * the same rule, so a Redis outage switches both sides at once (clients
 * heartbeat every 30 s, so the fallback is complete within 120 s).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "err.h"
#include "events.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "mem.h"
#include "rds.h"
#include "realtime.h"
#include "route.h"
#include "server.h"
#include "valid.h"

#define PRESENCE_TTL	120	/* seconds a heartbeat keeps a user present */
#define UID(r)		((r)->user ? (r)->user->id : NULL)

/* ------------------------------------------------------------ helpers */

static long long
now_ms(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Runs a statement whose result is one JSON document and replies 200. */
static void
reply(struct req *r, enum db_mode mode, enum stmt s, const char *const *p)
{
	(void)db_reply_json(r, mode, s, p, 200);
}

/* A string of 1-64 characters of [A-Za-z0-9_-]. */
static int
is_slug(const char *s)
{
	size_t	n = 0;

	for (; s[n] != '\0'; n++)
		if (!isalnum((unsigned char)s[n]) && s[n] != '_' &&
		    s[n] != '-')
			return 0;
	return n >= 1 && n <= 64;
}

/*
 * An ISO 8601 timestamp with a time and a zone: YYYY-MM-DDTHH:MM[:SS[.f]]
 * then Z or +HH:MM / -HH:MM.  PostgreSQL checks that the date is real.
 */
static int
is_timestamp(const char *s)
{
	const char	*p;
	int		 i;

	if (strlen(s) < 16)
		return 0;
	for (i = 0; i < 10; i++)
		if (!(i == 4 || i == 7 ? s[i] == '-' :
		    isdigit((unsigned char)s[i])))
			return 0;
	{
		char	d[11];

		memcpy(d, s, 10);
		d[10] = '\0';
		if (!valid_date(d))
			return 0;
	}
	p = s + 10;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return 0;
	p++;
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
	    p[2] != ':' || !isdigit((unsigned char)p[3]) ||
	    !isdigit((unsigned char)p[4]))
		return 0;
	p += 5;
	if (*p == ':') {
		if (!isdigit((unsigned char)p[1]) ||
		    !isdigit((unsigned char)p[2]))
			return 0;
		p += 3;
		if (*p == '.') {
			p++;
			if (!isdigit((unsigned char)*p))
				return 0;
			while (isdigit((unsigned char)*p))
				p++;
		}
	}
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return 1;
	if ((*p == '+' || *p == '-') && isdigit((unsigned char)p[1]) &&
	    isdigit((unsigned char)p[2]) && p[3] == ':' &&
	    isdigit((unsigned char)p[4]) && isdigit((unsigned char)p[5]) &&
	    p[6] == '\0')
		return 1;
	return 0;
}

/* http(s) URL of at most 2048 characters. */
static int
is_http_url(const char *s)
{
	return (strncmp(s, "http://", 7) == 0 && s[7] != '\0') ||
	    (strncmp(s, "https://", 8) == 0 && s[8] != '\0');
}

/* ------------------------------------------------------------ presence */

struct bucket {
	char	*geo;
	long	 n;
};

static int
bucket_cmp(const void *a, const void *b)
{
	const struct bucket	*x = a, *y = b;

	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	return strcmp(x->geo, y->geo);
}

/*
 * Present users from Redis: drops stale members of presence:zset, then
 * counts the rest and, when out is given, groups them by the geoBucket of
 * their presence:meta.  Returns the total, or -1 when Redis is off or down.
 */
static long
redis_presence(struct buf *out)
{
	redisContext	*c;
	redisReply	*ids, *meta, *rr;
	struct bucket	*bk = NULL;
	const char	**argv;
	char		**keys, since[32];
	size_t		 nb = 0, i, j, k;
	long		 total;

	if ((c = rds_ctx()) == NULL)
		return -1;
	snprintf(since, sizeof(since), "(%lld", now_ms() -
	    PRESENCE_TTL * 1000LL);
	if ((rr = rds_command("ZREMRANGEBYSCORE presence:zset -inf %s",
	    since)) == NULL)
		return -1;
	freeReplyObject(rr);
	if (out == NULL) {
		if ((rr = rds_command("ZCOUNT presence:zset %s +inf",
		    since + 1)) == NULL)
			return -1;
		total = rr->type == REDIS_REPLY_INTEGER ? (long)rr->integer : 0;
		freeReplyObject(rr);
		return total;
	}
	if ((ids = rds_command("ZRANGEBYSCORE presence:zset %s +inf",
	    since + 1)) == NULL)
		return -1;
	total = ids->type == REDIS_REPLY_ARRAY ? (long)ids->elements : 0;
	for (i = 0; i < (size_t)total; i += 500) {
		size_t	n = (size_t)total - i < 500 ? (size_t)total - i : 500;

		argv = xcalloc(n + 1, sizeof(char *));
		keys = xcalloc(n, sizeof(char *));
		argv[0] = "MGET";
		for (j = 0; j < n; j++)
			argv[j + 1] = keys[j] = xasprintf("presence:meta:%s",
			    ids->element[i + j]->str);
		if ((c = rds_ctx()) == NULL)
			meta = NULL;
		else
			meta = redisCommandArgv(c, (int)n + 1, argv, NULL);
		for (j = 0; j < n; j++)
			free(keys[j]);
		free(keys);
		free(argv);
		if (meta == NULL) {
			rds_fail();
			for (k = 0; k < nb; k++)
				free(bk[k].geo);
			free(bk);
			freeReplyObject(ids);
			return -1;
		}
		for (j = 0; meta->type == REDIS_REPLY_ARRAY &&
		    j < meta->elements; j++) {
			cJSON		*m;
			const cJSON	*g;

			if (meta->element[j]->type != REDIS_REPLY_STRING)
				continue;
			m = cJSON_Parse(meta->element[j]->str);
			g = cJSON_GetObjectItemCaseSensitive(m, "geoBucket");
			if (cJSON_IsString(g)) {
				for (k = 0; k < nb; k++)
					if (strcmp(bk[k].geo,
					    g->valuestring) == 0)
						break;
				if (k == nb) {
					bk = xrealloc(bk, (nb + 1) *
					    sizeof(*bk));
					bk[nb].geo = xstrdup(g->valuestring);
					bk[nb++].n = 0;
				}
				bk[k].n++;
			}
			cJSON_Delete(m);
		}
		freeReplyObject(meta);
	}
	freeReplyObject(ids);
	if (nb > 0)
		qsort(bk, nb, sizeof(*bk), bucket_cmp);
	buf_printf(out, "{\"total\":%ld,\"byGeoBucket\":[", total);
	for (k = 0; k < nb; k++) {
		buf_puts(out, k ? ",{\"geoBucket\":" : "{\"geoBucket\":");
		buf_json_str(out, bk[k].geo);
		buf_printf(out, ",\"count\":%ld}", bk[k].n);
		free(bk[k].geo);
	}
	buf_puts(out, "]}");
	free(bk);
	return total;
}

/*
 * The presence summary {"total","byGeoBucket"} into out, from Redis or
 * PostgreSQL.  Sets *redis to whether Redis answered.  0, or -1 after an
 * error reply.
 */
static int
presence_summary(struct req *r, struct buf *out, int *redis)
{
	PGresult	*res;

	if (redis_presence(out) >= 0) {
		*redis = 1;
		return 0;
	}
	*redis = 0;
	buf_reset(out);
	if (rds_enabled())
		rds_count_fallback();
	if ((res = db_exec(r, DB_READ, STMT_PRESENCE_SUMMARY, NULL)) == NULL)
		return -1;
	buf_puts(out, PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

/* The number of present users; -1 after an error reply. */
static long
presence_count(struct req *r)
{
	struct buf	 b = { 0 };
	cJSON		*j;
	long		 n;
	int		 redis;

	if ((n = redis_presence(NULL)) >= 0)
		return n;
	if (presence_summary(r, &b, &redis) == -1) {
		buf_free(&b);
		return -1;
	}
	j = cJSON_Parse(b.s);
	n = (long)cJSON_GetNumberValue(cJSON_GetObjectItem(j, "total"));
	cJSON_Delete(j);
	buf_free(&b);
	return n < 0 ? 0 : n;
}

/* Writes the heartbeat to Redis; -1 when Redis is off or failed. */
static int
redis_beat(const char *uid, const char *geo, const char *stage)
{
	redisReply	*rr;
	struct buf	 meta = { 0 };
	char		 minute[16];
	time_t		 t = time(NULL);
	struct tm	 tm;

	if (rds_ctx() == NULL)
		return -1;
	if ((rr = rds_command("ZADD presence:zset %lld %s", now_ms(),
	    uid)) == NULL)
		return -1;
	freeReplyObject(rr);
	buf_puts(&meta, "{\"geoBucket\":");
	buf_json_str(&meta, geo);
	buf_puts(&meta, ",\"stageId\":");
	buf_json_str(&meta, stage);
	buf_putc(&meta, '}');
	rr = rds_command("SETEX presence:meta:%s %d %s", uid, PRESENCE_TTL,
	    meta.s);
	buf_free(&meta);
	if (rr == NULL)
		return -1;
	freeReplyObject(rr);
	if (geo != NULL) {
		if ((rr = rds_command("INCR presence:bucket:%s", geo)) == NULL)
			return -1;
		freeReplyObject(rr);
	}
	if (stage != NULL) {
		gmtime_r(&t, &tm);
		strftime(minute, sizeof(minute), "%Y%m%d%H%M", &tm);
		if ((rr = rds_command("HINCRBY now:stage:entered:%s %s 1",
		    minute, stage)) == NULL)
			return -1;
		freeReplyObject(rr);
		if ((rr = rds_command("EXPIRE now:stage:entered:%s 1800",
		    minute)) == NULL)
			return -1;
		freeReplyObject(rr);
	}
	return 0;
}

/* POST /api/community/presence: 200, 400, 401, 403, 503. */
static void
post_presence(struct req *r)
{
	const char	*geo = NULL, *stage = NULL;
	const char	*p[3];
	PGresult	*res;

	if (valid_str(r, r->json, NULL, "geoBucket", V_OPTIONAL, 1, 64,
	    &geo) == -1 || valid_str(r, r->json, NULL, "stageId", V_OPTIONAL,
	    1, 64, &stage) == -1)
		return;
	if (geo != NULL && !is_slug(geo)) {
		err_reply(r, ERR_VALIDATION, "geoBucket must be 1 to 64 "
		    "characters of letters, digits, _ and -");
		return;
	}
	if (redis_beat(r->user->id, geo, stage) == -1) {
		if (rds_enabled())
			rds_count_fallback();
		p[0] = r->user->id;
		p[1] = geo;
		p[2] = stage;
		if ((res = db_exec(r, DB_READ, STMT_PRESENCE_BEAT, p)) == NULL)
			return;
		PQclear(res);
	}
	http_json(r, 200, "{\"acknowledged\":true}", 21);
}

/* GET /api/community/presence: 200, 503. */
static void
get_presence(struct req *r)
{
	struct buf	b = { 0 }, o = { 0 };
	int		redis;

	if (presence_summary(r, &b, &redis) == -1) {
		buf_free(&b);
		return;
	}
	/* {"total":..,"byGeoBucket":[..]} + redisEnabled */
	buf_add(&o, b.s, b.len - 1);
	buf_printf(&o, ",\"redisEnabled\":%s}", redis ? "true" : "false");
	buf_free(&b);
	http_json_buf(r, 200, &o);
}

/* GET /api/community/active-users: 200, 503. */
static void
get_active_users(struct req *r)
{
	struct buf	 b = { 0 };
	char		 ts[32];
	time_t		 t = time(NULL);
	struct tm	 tm;
	long		 n;

	if ((n = presence_count(r)) < 0)
		return;
	gmtime_r(&t, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_printf(&b, "{\"count\":%ld,\"lastUpdated\":\"%s\"}", n, ts);
	http_json_buf(r, 200, &b);
}

/* GET /api/community/presence/geo: 200, 503. */
static void
get_presence_geo(struct req *r)
{
	struct buf	 b = { 0 }, o = { 0 };
	cJSON		*j, *it;
	int		 redis, first = 1;

	if (presence_summary(r, &b, &redis) == -1) {
		buf_free(&b);
		return;
	}
	j = cJSON_Parse(b.s);
	buf_puts(&o, "{\"buckets\":{");
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(j, "byGeoBucket")) {
		const cJSON	*g = cJSON_GetObjectItem(it, "geoBucket");

		if (!cJSON_IsString(g))
			continue;
		if (!first)
			buf_putc(&o, ',');
		first = 0;
		buf_json_str(&o, g->valuestring);
		buf_printf(&o, ":%ld", (long)cJSON_GetNumberValue(
		    cJSON_GetObjectItem(it, "count")));
	}
	buf_puts(&o, "}}");
	cJSON_Delete(j);
	buf_free(&b);
	http_json_buf(r, 200, &o);
}

/* ------------------------------------------------------------ stats */

static void
stats_common(struct req *r, enum stmt s)
{
	char		 n[32];
	const char	*p[1] = { n };
	long		 active;

	if ((active = presence_count(r)) < 0)
		return;
	snprintf(n, sizeof(n), "%ld", active);
	reply(r, DB_READ, s, p);
}

/* GET /api/community/stats: 200, 503. */
static void
get_stats(struct req *r)
{
	stats_common(r, STMT_COMMUNITY_STATS);
}

/* GET /api/community/stats/public: 200, 503. */
static void
get_stats_public(struct req *r)
{
	stats_common(r, STMT_COMMUNITY_STATS_PUBLIC);
}

/*
 * GET /api/community/monitor: 200, 401, 403, 503.  The same document is
 * published on the Redis channel rt:monitor.
 */
static void
get_monitor(struct req *r)
{
	const char	*p[1] = { "100" };
	struct buf	 pres = { 0 }, o = { 0 };
	PGresult	*res;
	redisReply	*rr;
	int		 redis;

	if (auth_require_role(r, "admin", "moderator") == -1)
		return;
	if (presence_summary(r, &pres, &redis) == -1) {
		buf_free(&pres);
		return;
	}
	if ((res = db_exec(r, DB_READ, STMT_COMMUNITY_RECENT, p)) == NULL) {
		buf_free(&pres);
		return;
	}
	buf_puts(&o, "{\"presence\":");
	buf_add(&o, pres.s, pres.len);
	buf_puts(&o, ",\"recentEvents\":");
	buf_puts(&o, PQgetvalue(res, 0, 0));
	buf_printf(&o, ",\"redisEnabled\":%s}", redis ? "true" : "false");
	PQclear(res);
	buf_free(&pres);
	if (redis && (rr = rds_command("PUBLISH rt:monitor %b", o.s,
	    o.len)) != NULL)
		freeReplyObject(rr);
	http_json_buf(r, 200, &o);
}

/* GET /api/community/percentile: 200, 401, 403, 503. */
static void
get_percentile(struct req *r)
{
	const char	*p[1] = { r->user->id };

	reply(r, DB_READ, STMT_COMMUNITY_PERCENTILE, p);
}

/* GET /api/progression/leaderboard: 200, 400, 503. */
static void
get_leaderboard(struct req *r)
{
	char		 n[16];
	const char	*p[1] = { n };
	long		 limit;

	if (valid_query_int(r, "limit", 1, 100, 100, &limit) == -1)
		return;
	snprintf(n, sizeof(n), "%ld", limit);
	reply(r, DB_READ, STMT_LEADERBOARD, p);
}

/* ------------------------------------------------------------ feed */

/* GET /api/community/feed: 200, 400, 401, 403, 503. */
static void
get_feed(struct req *r)
{
	char		 n[16];
	const char	*before, *p[3];
	long		 limit;

	if (valid_query_int(r, "limit", 1, 100, 20, &limit) == -1 ||
	    valid_query_str(r, "before", 64, &before) == -1)
		return;
	if (before != NULL && *before == '\0')
		before = NULL;
	snprintf(n, sizeof(n), "%ld", limit);
	p[0] = UID(r);
	p[1] = before;
	p[2] = n;
	reply(r, DB_READ, STMT_COMMUNITY_FEED, p);
}

/*
 * GET /api/community/_rt/authorize: nginx's auth_request for the stream
 * locations, through the internal listener only (MM_RT_AUTH; anything
 * else gets 404).  The subscriber's URI comes in X-Original-URI; its
 * ?token= decides the channels, answered in X-MM-Channels.
 * 200, 401 (bad or expired token), 403 (banned), 404, 503.
 */
static void
get_rt_authorize(struct req *r)
{
	const char	*internal = req_env(r, "MM_RT_AUTH");
	const char	*uri = req_env(r, "HTTP_X_ORIGINAL_URI");
	const char	*q, *token, *p[1];
	struct buf	 chans = { 0 };
	PGresult	*res;
	int		 filtered = 0;

	if (internal == NULL || strcmp(internal, "1") != 0) {
		err_reply(r, ERR_NOT_FOUND, "No such endpoint");
		return;
	}
	q = uri != NULL ? strchr(uri, '?') : NULL;
	r->query = q != NULL ? q + 1 : "";
	token = req_query(r, "token");
	if (auth_token(r, token, AUTH_OPTIONAL) == -1)
		return;
	if (r->user != NULL) {
		p[0] = r->user->id;
		if ((res = db_exec(r, DB_READ, STMT_RT_USER_FILTERED,
		    p)) == NULL)
			return;
		filtered = PQgetvalue(res, 0, 0)[0] == 't';
		PQclear(res);
	}
	realtime_subscriber_channels(&chans, UID(r), filtered);
	http_header(r, "X-MM-Channels", chans.s);
	buf_free(&chans);
	http_json(r, 200, "{\"authorized\":true}", 19);
}

/* ------------------------------------------------------------ high-fives */

/* Seconds until the next UTC midnight, when the daily quota resets. */
static long
secs_to_midnight(void)
{
	time_t	t = time(NULL);

	return 86400 - (long)(t % 86400);
}

/* POST /api/highfives/send: 200, 400, 401, 403, 404, 429, 503. */
static void
post_highfive(struct req *r)
{
	const char	*to, *reason = NULL, *p[3];
	PGresult	*res;
	char		*event;

	if (valid_str(r, r->json, NULL, "recipientId", V_REQUIRED, 1, 200,
	    &to) == -1 || valid_str(r, r->json, NULL, "reason", V_OPTIONAL,
	    0, 280, &reason) == -1)
		return;
	p[0] = r->user->id;
	p[1] = to;
	p[2] = reason;
	if ((res = db_exec(r, DB_SERIALIZABLE, STMT_HIGHFIVE_SEND,
	    p)) == NULL) {
		if (r->status == 429)
			http_headerf(r, "Retry-After", "%ld",
			    secs_to_midnight());
		return;
	}
	event = req_strdup(r, PQgetvalue(res, 0, 0));
	PQclear(res);
	http_json(r, 200, "{\"success\":true}", 16);
	(void)realtime_publish_event(event, "public_profile", r->user->id);
	/* high_fives_sent milestones (§10.6) move now, not at next read. */
	events_after_activity(r->user->id);
}

/* GET /api/highfives/stats: 200, 401, 403, 503. */
static void
get_highfive_stats(struct req *r)
{
	const char	*p[1] = { r->user->id };

	reply(r, DB_READ, STMT_HIGHFIVE_STATS, p);
}

/* GET /api/highfives/users: 200, 401, 403, 503. */
static void
get_highfive_users(struct req *r)
{
	const char	*p[1] = { r->user->id };

	reply(r, DB_READ, STMT_HIGHFIVE_USERS, p);
}

/* ------------------------------------------------------------ competitions */

/* GET /api/competitions: 200, 401, 403, 503. */
static void
get_competitions(struct req *r)
{
	const char	*p[1] = { UID(r) };

	reply(r, DB_READ, STMT_COMP_LIST, p);
}

/* GET /api/competitions/:id: 200, 401, 403, 404, 503. */
static void
get_competition(struct req *r)
{
	const char	*p[2] = { r->params[0], UID(r) };

	reply(r, DB_READ, STMT_COMP_GET, p);
}

/* GET /api/competitions/:id/standings: 200, 401, 403, 404, 503. */
static void
get_standings(struct req *r)
{
	const char	*p[2] = { r->params[0], UID(r) };

	reply(r, DB_READ, STMT_COMP_STANDINGS, p);
}

/* POST /api/competitions: 201, 400, 401, 403, 503. */
static void
post_competition(struct req *r)
{
	static const char *const types[] = { "total_tu", "streak",
	    "workouts", "custom", NULL };
	const char	*name, *desc = NULL, *type, *start, *end, *p[10];
	const cJSON	*rules = NULL;
	char		 maxs[16], fees[16], *rules_s = NULL;
	long		 max = 0, fee = 0;
	int		 pub = 1, has_max, i;

	if (valid_str(r, r->json, NULL, "name", V_REQUIRED, 1, 100,
	    &name) == -1 ||
	    valid_str(r, r->json, NULL, "description", V_OPTIONAL, 0, 2000,
	    &desc) == -1 ||
	    valid_str(r, r->json, NULL, "type", V_REQUIRED, 1, 32,
	    &type) == -1 ||
	    valid_str(r, r->json, NULL, "startDate", V_REQUIRED, 1, 64,
	    &start) == -1 ||
	    valid_str(r, r->json, NULL, "endDate", V_REQUIRED, 1, 64,
	    &end) == -1 ||
	    (has_max = valid_int(r, r->json, NULL, "maxParticipants",
	    V_OPTIONAL, 2, 10000, &max)) == -1 ||
	    valid_int(r, r->json, NULL, "entryFee", V_OPTIONAL, 0, 100000,
	    &fee) == -1 ||
	    valid_object(r, r->json, NULL, "rules", V_OPTIONAL, &rules) == -1 ||
	    valid_bool(r, r->json, NULL, "isPublic", V_OPTIONAL, &pub) == -1)
		return;
	for (i = 0; types[i] != NULL; i++)
		if (strcmp(type, types[i]) == 0)
			break;
	if (types[i] == NULL) {
		err_reply(r, ERR_VALIDATION, "type must be one of total_tu, "
		    "streak, workouts, custom");
		return;
	}
	if (!is_timestamp(start) || !is_timestamp(end)) {
		err_reply(r, ERR_VALIDATION, "startDate and endDate must be "
		    "ISO 8601 timestamps such as 2026-01-04T18:30:00Z");
		return;
	}
	snprintf(maxs, sizeof(maxs), "%ld", max);
	snprintf(fees, sizeof(fees), "%ld", fee);
	if (rules != NULL) {
		rules_s = cJSON_PrintUnformatted(rules);
		req_own(r, rules_s);
	}
	p[0] = r->user->id;
	p[1] = name;
	p[2] = desc;
	p[3] = type;
	p[4] = start;
	p[5] = end;
	p[6] = has_max == 1 ? maxs : NULL;
	p[7] = fees;
	p[8] = rules_s;
	p[9] = pub ? "true" : "false";
	(void)db_reply_json(r, DB_SERIALIZABLE, STMT_COMP_CREATE, p, 201);
}

static void
comp_write(struct req *r, enum stmt s)
{
	const char	*p[2] = { r->params[0], r->user->id };

	reply(r, DB_SERIALIZABLE, s, p);
}

/* POST /api/competitions/:id/join: 200, 400, 401, 403, 404, 409, 503. */
static void
post_comp_join(struct req *r)
{
	comp_write(r, STMT_COMP_JOIN);
}

/* POST /api/competitions/:id/leave: 200, 401, 403, 404, 409, 503. */
static void
post_comp_leave(struct req *r)
{
	comp_write(r, STMT_COMP_LEAVE);
}

/* POST /api/competitions/:id/cancel: 200, 401, 403, 404, 409, 503. */
static void
post_comp_cancel(struct req *r)
{
	comp_write(r, STMT_COMP_CANCEL);
}

/* ------------------------------------------------------------ groups */

/*
 * Validates the group fields of a create or PATCH body into patch (the
 * fields sent, as they will be stored).  0, or -1 after a 400 reply.
 */
static int
group_fields(struct req *r, int create, cJSON *patch)
{
	const char	*name = NULL, *desc = NULL, *avatar = NULL;
	const cJSON	*settings = NULL, *vis;
	int		 rc;

	if ((rc = valid_str(r, r->json, NULL, "name", create ? V_REQUIRED :
	    V_OPTIONAL, 1, 100, &name)) == -1)
		return -1;
	if (rc == 1)
		cJSON_AddStringToObject(patch, "name", name);
	if ((rc = valid_str(r, r->json, NULL, "description", V_OPTIONAL, 0,
	    1000, &desc)) == -1)
		return -1;
	if (rc == 1)
		cJSON_AddStringToObject(patch, "description", desc);
	if ((rc = valid_str(r, r->json, NULL, "avatarUrl", V_OPTIONAL, 1,
	    2048, &avatar)) == -1)
		return -1;
	if (rc == 1) {
		if (!is_http_url(avatar)) {
			err_reply(r, ERR_VALIDATION, "avatarUrl must be an "
			    "http:// or https:// URL");
			return -1;
		}
		cJSON_AddStringToObject(patch, "avatarUrl", avatar);
	}
	if ((rc = valid_object(r, r->json, NULL, "settings", V_OPTIONAL,
	    &settings)) == -1)
		return -1;
	if (rc == 1) {
		vis = cJSON_GetObjectItemCaseSensitive(settings, "visibility");
		if (vis != NULL && (!cJSON_IsString(vis) ||
		    (strcmp(vis->valuestring, "public") != 0 &&
		    strcmp(vis->valuestring, "private") != 0))) {
			err_reply(r, ERR_VALIDATION, "settings.visibility "
			    "must be \"public\" or \"private\"");
			return -1;
		}
		cJSON_AddItemToObject(patch, "settings",
		    cJSON_Duplicate(settings, 1));
	}
	return 0;
}

static const char *
patch_str(cJSON *patch, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(patch, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* POST /api/groups: 201, 400, 401, 403, 503. */
static void
post_group(struct req *r)
{
	cJSON		*f = cJSON_CreateObject();
	char		*settings = NULL;
	const char	*p[5];

	if (group_fields(r, 1, f) == -1) {
		cJSON_Delete(f);
		return;
	}
	if (cJSON_GetObjectItem(f, "settings") != NULL) {
		settings = cJSON_PrintUnformatted(cJSON_GetObjectItem(f,
		    "settings"));
		req_own(r, settings);
	}
	p[0] = r->user->id;
	p[1] = patch_str(f, "name");
	p[2] = patch_str(f, "description");
	p[3] = patch_str(f, "avatarUrl");
	p[4] = settings;
	(void)db_reply_json(r, DB_SERIALIZABLE, STMT_GROUP_CREATE, p, 201);
	cJSON_Delete(f);
}

/* GET /api/groups: 200, 400, 401, 403, 503. */
static void
get_groups(struct req *r)
{
	const char	*mine, *search, *p[5];
	char		 lim[16], off[16];
	long		 limit, offset;

	if (valid_query_str(r, "mine", 5, &mine) == -1 ||
	    valid_query_str(r, "search", 100, &search) == -1 ||
	    valid_query_int(r, "limit", 1, 100, 20, &limit) == -1 ||
	    valid_query_int(r, "offset", 0, 1000000000, 0, &offset) == -1)
		return;
	if (mine != NULL && *mine != '\0' && strcmp(mine, "true") != 0 &&
	    strcmp(mine, "false") != 0) {
		err_reply(r, ERR_VALIDATION, "Query parameter mine must be "
		    "true or false");
		return;
	}
	snprintf(lim, sizeof(lim), "%ld", limit);
	snprintf(off, sizeof(off), "%ld", offset);
	p[0] = r->user->id;
	p[1] = mine != NULL && strcmp(mine, "true") == 0 ? "true" : "false";
	p[2] = search;
	p[3] = lim;
	p[4] = off;
	reply(r, DB_READ, STMT_GROUP_LIST, p);
}

/* GET /api/groups/:id: 200, 401, 403, 404, 503. */
static void
get_group(struct req *r)
{
	const char	*p[2] = { r->params[0], r->user->id };

	reply(r, DB_READ, STMT_GROUP_GET, p);
}

/* PATCH /api/groups/:id: 200, 400, 401, 403, 404, 503. */
static void
patch_group(struct req *r)
{
	cJSON		*f = cJSON_CreateObject();
	const char	*p[3];
	char		*s;

	if (group_fields(r, 0, f) == -1) {
		cJSON_Delete(f);
		return;
	}
	s = cJSON_PrintUnformatted(f);
	req_own(r, s);
	cJSON_Delete(f);
	p[0] = r->params[0];
	p[1] = r->user->id;
	p[2] = s;
	reply(r, DB_SERIALIZABLE, STMT_GROUP_UPDATE, p);
}

static void
group_write(struct req *r, enum stmt s)
{
	const char	*p[2] = { r->params[0], r->user->id };

	reply(r, DB_SERIALIZABLE, s, p);
}

/* DELETE /api/groups/:id: 200, 401, 403, 404, 503. */
static void
delete_group(struct req *r)
{
	group_write(r, STMT_GROUP_DELETE);
}

/* POST /api/groups/:id/join: 200, 401, 403, 404, 503. */
static void
post_group_join(struct req *r)
{
	group_write(r, STMT_GROUP_JOIN);
}

/* POST /api/groups/:id/leave: 200, 401, 403, 404, 409, 503. */
static void
post_group_leave(struct req *r)
{
	group_write(r, STMT_GROUP_LEAVE);
}

/* GET /api/groups/:id/members: 200, 401, 403, 404, 503. */
static void
get_group_members(struct req *r)
{
	const char	*p[2] = { r->params[0], r->user->id };

	reply(r, DB_READ, STMT_GROUP_MEMBERS, p);
}

/* POST /api/groups/:id/invite: 200, 400, 401, 403, 404, 503. */
static void
post_group_invite(struct req *r)
{
	const char	*who, *p[3];

	if (valid_str(r, r->json, NULL, "userId", V_REQUIRED, 1, 200,
	    &who) == -1)
		return;
	p[0] = r->params[0];
	p[1] = r->user->id;
	p[2] = who;
	reply(r, DB_SERIALIZABLE, STMT_GROUP_INVITE, p);
}

/* PATCH /api/groups/:id/members/:userId: 200, 400, 401, 403, 404, 409, 503. */
static void
patch_group_member(struct req *r)
{
	const char	*role, *p[4];

	if (valid_str(r, r->json, NULL, "role", V_REQUIRED, 1, 16,
	    &role) == -1)
		return;
	if (strcmp(role, "owner") != 0 && strcmp(role, "admin") != 0 &&
	    strcmp(role, "moderator") != 0 && strcmp(role, "member") != 0) {
		err_reply(r, ERR_VALIDATION, "role must be one of owner, "
		    "admin, moderator, member");
		return;
	}
	p[0] = r->params[0];
	p[1] = r->user->id;
	p[2] = r->params[1];
	p[3] = role;
	reply(r, DB_SERIALIZABLE, STMT_GROUP_SET_ROLE, p);
}

/* DELETE /api/groups/:id/members/:userId: 200, 401, 403, 404, 503. */
static void
delete_group_member(struct req *r)
{
	const char	*p[3] = { r->params[0], r->user->id, r->params[1] };

	reply(r, DB_SERIALIZABLE, STMT_GROUP_REMOVE, p);
}

/* ------------------------------------------------------------ table */

#define OPT	R_AUTH_OPTIONAL
#define REQ	R_AUTH_REQUIRED

static const struct route routes[] = {
	{ "GET", "/api/community/feed", get_feed, OPT },
	{ "GET", "/api/community/_rt/authorize", get_rt_authorize, R_NO_LIMIT },
	{ "GET", "/api/community/stats", get_stats, 0 },
	{ "GET", "/api/community/stats/public", get_stats_public, 0 },
	{ "GET", "/api/community/presence", get_presence, 0 },
	{ "POST", "/api/community/presence", post_presence, REQ | R_BODY_OPT },
	{ "GET", "/api/community/active-users", get_active_users, 0 },
	{ "GET", "/api/community/presence/geo", get_presence_geo, 0 },
	{ "GET", "/api/community/monitor", get_monitor, REQ },
	{ "GET", "/api/community/percentile", get_percentile, REQ },
	{ "GET", "/api/progression/leaderboard", get_leaderboard, 0 },
	{ "POST", "/api/highfives/send", post_highfive, REQ | R_BODY },
	{ "GET", "/api/highfives/stats", get_highfive_stats, REQ },
	{ "GET", "/api/highfives/users", get_highfive_users, REQ },
	{ "GET", "/api/competitions", get_competitions, OPT },
	{ "POST", "/api/competitions", post_competition, REQ | R_BODY },
	{ "GET", "/api/competitions/:id", get_competition, OPT },
	{ "GET", "/api/competitions/:id/standings", get_standings, OPT },
	{ "POST", "/api/competitions/:id/join", post_comp_join, REQ },
	{ "POST", "/api/competitions/:id/leave", post_comp_leave, REQ },
	{ "POST", "/api/competitions/:id/cancel", post_comp_cancel, REQ },
	{ "POST", "/api/groups", post_group, REQ | R_BODY },
	{ "GET", "/api/groups", get_groups, REQ },
	{ "GET", "/api/groups/:id", get_group, REQ },
	{ "PATCH", "/api/groups/:id", patch_group, REQ | R_BODY },
	{ "DELETE", "/api/groups/:id", delete_group, REQ },
	{ "POST", "/api/groups/:id/join", post_group_join, REQ },
	{ "POST", "/api/groups/:id/invite", post_group_invite, REQ | R_BODY },
	{ "POST", "/api/groups/:id/leave", post_group_leave, REQ },
	{ "GET", "/api/groups/:id/members", get_group_members, REQ },
	{ "PATCH", "/api/groups/:id/members/:userId", patch_group_member,
	  REQ | R_BODY },
	{ "DELETE", "/api/groups/:id/members/:userId", delete_group_member,
	  REQ },
};

static int
init(void)
{
	/* Resolve the publisher socket from the process environment now. */
	log_debug("realtime publisher at %s", realtime_socket());
	return 0;
}

static const struct app app = {
	"community", routes, sizeof(routes) / sizeof(routes[0]), init,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
