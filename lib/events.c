#include <string.h>
#include <time.h>

#include "events.h"
#include "log.h"
#include "rds.h"

int
events_publish(const char *event_json)
{
	redisReply	*reply;

	if (event_json == NULL || !rds_enabled())
		return -1;
	reply = rds_command("PUBLISH %s %s", EVENTS_CHANNEL, event_json);
	if (reply == NULL) {
		rds_count_fallback();
		log_warnx("activity event not published: redis unavailable");
		return -1;
	}
	freeReplyObject(reply);
	return 0;
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
