#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "cfg.h"
#include "log.h"
#include "metrics.h"
#include "rds.h"

static redisContext	*ctx;
static time_t		 connected_at;
static time_t		 last_failure;
static unsigned long	 fallbacks;

int
rds_enabled(void)
{
	return cfg->redis_enabled;
}

void
rds_fail(void)
{
	time_t	now = time(NULL);

	/*
	 * A connection that had been up a while most likely went stale
	 * (Redis restarted under it): let the next call reconnect at once.
	 * One that fails as soon as it is made means Redis is down: wait a
	 * second before trying again.
	 */
	last_failure = (ctx != NULL && now - connected_at >= 1) ? 0 : now;
	if (ctx != NULL)
		redisFree(ctx);
	ctx = NULL;
}

redisContext *
rds_ctx(void)
{
	struct timeval	tv;
	time_t		now;

	if (!cfg->redis_enabled)
		return NULL;
	if (ctx != NULL)
		return ctx;
	now = time(NULL);
	if (last_failure != 0 && now - last_failure < 1)
		return NULL;
	tv.tv_sec = cfg->redis_timeout_ms / 1000;
	tv.tv_usec = (cfg->redis_timeout_ms % 1000) * 1000;
	ctx = redisConnectWithTimeout(cfg->redis_host, cfg->redis_port, tv);
	if (ctx == NULL || ctx->err) {
		log_warnx("redis connection to %s:%d failed: %s",
		    cfg->redis_host, cfg->redis_port,
		    ctx ? ctx->errstr : "out of memory");
		rds_fail();
		return NULL;
	}
	redisSetTimeout(ctx, tv);
	last_failure = 0;
	connected_at = now;
	return ctx;
}

redisReply *
rds_command(const char *fmt, ...)
{
	redisContext	*c;
	redisReply	*reply = NULL;
	va_list		 ap;
	int		 attempt;
	time_t		 born;

	/* A stale connection gets one immediate second try on a new one. */
	for (attempt = 0; attempt < 2 && reply == NULL; attempt++) {
		if ((c = rds_ctx()) == NULL)
			return NULL;
		born = connected_at;
		va_start(ap, fmt);
		reply = redisvCommand(c, fmt, ap);
		va_end(ap);
		if (reply == NULL) {
			log_warnx("redis command failed: %s", c->errstr);
			rds_fail();
			if (time(NULL) - born < 1)
				return NULL;	/* fresh and failed: down */
		}
	}
	if (reply == NULL)
		return NULL;
	if (reply->type == REDIS_REPLY_ERROR) {
		log_warnx("redis error: %s", reply->str);
		freeReplyObject(reply);
		return NULL;
	}
	return reply;
}

const char *
rds_status(void)
{
	redisReply	*r;

	if (!cfg->redis_enabled)
		return "disabled";
	if ((r = rds_command("PING")) == NULL)
		return "disconnected";
	freeReplyObject(r);
	return "connected";
}

unsigned long
rds_fallbacks(void)
{
	return fallbacks;
}

void
rds_count_fallback(void)
{
	fallbacks++;
	metrics_add("redis_fallbacks_total", 1);
}
