/*
 * rtemit: creates activity events the way the binaries do (the stored
 * function activity_event_create(), then realtime_publish_event() after
 * the commit) and prints one line per event: its id and the Unix time in
 * milliseconds just before it was created.  The real-time tests use it for
 * event types no community endpoint creates; the fan-out benchmark for
 * bursts.
 *
 *   rtemit USER_ID TYPE SCOPE [PAYLOAD_JSON [COUNT [INTERVAL_MS]]]
 *
 * Environment: DATABASE_URL, REDIS_ENABLED, MM_REDIS_URL, MM_RUN_DIR (the
 * nchan publisher socket is $MM_RUN_DIR/nchan.sock).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "realtime.h"

static long long
now_ms(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

int
main(int argc, char **argv)
{
	const char	*params[5];
	char		 err[256];
	PGresult	*res;
	cJSON		*ev;
	long		 i, count = 1, interval = 0;
	long long	 t0;
	int		 rc = 0;

	if (argc < 4) {
		fprintf(stderr, "usage: rtemit USER_ID TYPE SCOPE "
		    "[PAYLOAD_JSON [COUNT [INTERVAL_MS]]]\n");
		return 2;
	}
	if (cfg_load(err, sizeof(err)) == -1) {
		fprintf(stderr, "rtemit: %s\n", err);
		return 1;
	}
	log_init("rtemit", LOG_LVL_WARN);
	if (argc > 5)
		count = atol(argv[5]);
	if (argc > 6)
		interval = atol(argv[6]);
	params[0] = argv[1];
	params[1] = argv[2];
	params[2] = argc > 4 ? argv[4] : "{}";
	params[3] = argv[3];
	params[4] = NULL;
	for (i = 0; i < count; i++) {
		t0 = now_ms();
		res = db_exec(NULL, DB_SERIALIZABLE, STMT_EVENT_CREATE, params);
		if (res == NULL) {
			fprintf(stderr, "rtemit: could not create the event\n");
			return 1;
		}
		if (realtime_publish_event(PQgetvalue(res, 0, 0), argv[3],
		    argv[1]) == -1)
			rc = 1;
		ev = cJSON_Parse(PQgetvalue(res, 0, 0));
		printf("%s %lld\n", cJSON_GetStringValue(cJSON_GetObjectItem(
		    ev, "id")), t0);
		fflush(stdout);
		cJSON_Delete(ev);
		PQclear(res);
		if (interval > 0) {
			struct timespec	ts = { interval / 1000,
			    (interval % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	db_disconnect();
	return rc;
}
