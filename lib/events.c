#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "db.h"
#include "events.h"
#include "log.h"
#include "rds.h"
#include "realtime.h"

int
events_publish(const char *event_json)
{
	cJSON		*ev;
	const cJSON	*scope, *user;
	int		 rc = -1;

	if (event_json == NULL || (ev = cJSON_Parse(event_json)) == NULL)
		return -1;
	scope = cJSON_GetObjectItemCaseSensitive(ev, "visibilityScope");
	user = cJSON_GetObjectItemCaseSensitive(ev, "userId");
	if (cJSON_IsString(scope))
		rc = realtime_publish_event(event_json, scope->valuestring,
		    cJSON_IsString(user) ? user->valuestring : NULL);
	cJSON_Delete(ev);
	return rc;
}

int
events_publish_array(const char *json_array)
{
	cJSON	*arr, *it;
	char	*one;
	int	 n = 0;

	if (json_array == NULL || (arr = cJSON_Parse(json_array)) == NULL)
		return 0;
	cJSON_ArrayForEach(it, arr) {
		if ((one = cJSON_PrintUnformatted(it)) == NULL)
			continue;
		if (events_publish(one) == 0)
			n++;
		cJSON_free(one);
	}
	cJSON_Delete(arr);
	return n;
}

void
events_after_activity(const char *user_id)
{
	const char	*params[1] = { user_id };
	PGresult	*res;

	/* Cheap when nothing is reached: sql/functions/activity.sql. */
	if ((res = db_exec(NULL, DB_READ, STMT_ACTIVITY_AFTER, params)) == NULL)
		return;		/* logged by db_exec */
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		(void)events_publish_array(PQgetvalue(res, 0, 0));
	PQclear(res);
}

int
events_exercises_selected(const char *const *ids, size_t n, time_t now)
{
	redisContext	*c;
	redisReply	*reply;
	struct tm	 tm;
	char		 key[64];
	size_t		 i, pending = 0;
	int		 rc = 0;

	if (n == 0 || !rds_enabled())
		return n == 0 ? 0 : -1;
	if ((c = rds_ctx()) == NULL) {
		rds_count_fallback();
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(key, sizeof(key), "now:exercise:selected:%Y%m%d%H%M", &tm);
	for (i = 0; i < n; i++) {
		if (redisAppendCommand(c, "HINCRBY %s %s 1", key, ids[i]) !=
		    REDIS_OK)
			break;
		pending++;
	}
	if (redisAppendCommand(c, "EXPIRE %s %d", key, EVENTS_BUCKET_TTL) ==
	    REDIS_OK)
		pending++;
	/* Read every reply so the connection stays in step. */
	for (i = 0; i < pending; i++) {
		if (redisGetReply(c, (void **)&reply) != REDIS_OK) {
			log_warnx("redis pipeline failed: %s", c->errstr);
			rds_fail();
			rds_count_fallback();
			return -1;
		}
		if (reply->type == REDIS_REPLY_ERROR) {
			log_warnx("redis error: %s", reply->str);
			rc = -1;
		}
		freeReplyObject(reply);
	}
	return rc;
}
