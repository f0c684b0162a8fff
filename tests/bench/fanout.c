/*
 * fanout: real-time delivery latency under many subscribers.
 *
 * Opens N SSE subscribers on /api/community/events (anonymous, or with
 * ?token= when given), then creates E public_anon events the way the
 * binaries do (activity_event_create(), then realtime_publish_event()
 * after the commit), one every INTERVAL ms, and measures for every
 * (subscriber, event) pair the time from just before the event was created
 * to its arrival on that subscriber.
 *
 *   fanout [-n SUBSCRIBERS] [-e EVENTS] [-i INTERVAL_MS] [-t TOKEN] USER_ID
 *
 * Prints one line: subscribers, events, deliveries expected and received,
 * deliveries per second, and latency p50/p99/max in ms.  Environment: as
 * for rtemit, plus MM_HTTP_PORT.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "cfg.h"
#include "db.h"
#include "log.h"
#include "realtime.h"

#define MARK	"\"data\":{\"id\":\""
#define IDLEN	36			/* evt_ + 32 hex digits */

struct sub {
	int	fd;
	char	buf[8192];
	size_t	len;
};

struct arrival {
	char		id[IDLEN + 1];
	long long	at;
};

static long long
now_ms(void)
{
	struct timeval	tv;

	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static const char	*owner;
static long		 nevents = 20, interval = 50;
static char		(*sent_id)[IDLEN + 1];
static long long	*sent_at;
static volatile int	 emitted, emitter_done;

static void *
emitter(void *arg)
{
	const char	*params[5] = { owner, "workout_completed",
	    "{\"totalTu\":1}", "public_anon", NULL };
	PGresult	*res;
	cJSON		*ev;
	long		 i;

	(void)arg;
	for (i = 0; i < nevents; i++) {
		long long	t0 = now_ms();

		res = db_exec(NULL, DB_SERIALIZABLE, STMT_EVENT_CREATE, params);
		if (res == NULL) {
			fprintf(stderr, "fanout: could not create an event\n");
			break;
		}
		ev = cJSON_Parse(PQgetvalue(res, 0, 0));
		snprintf(sent_id[i], IDLEN + 1, "%s",
		    cJSON_GetStringValue(cJSON_GetObjectItem(ev, "id")));
		sent_at[i] = t0;
		__atomic_store_n(&emitted, (int)i + 1, __ATOMIC_RELEASE);
		(void)realtime_publish_event(PQgetvalue(res, 0, 0),
		    "public_anon", owner);
		cJSON_Delete(ev);
		PQclear(res);
		if (interval > 0) {
			struct timespec	ts = { interval / 1000,
			    (interval % 1000) * 1000000L };

			nanosleep(&ts, NULL);
		}
	}
	emitter_done = 1;
	return NULL;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long	x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* Scans a subscriber's buffer for event ids; keeps the unscanned tail. */
static void
scan(struct sub *s, struct arrival *arr, size_t *narr, size_t cap,
    long long at)
{
	char	*p = s->buf, *end = s->buf + s->len, *m;
	size_t	 keep;

	while ((m = memmem(p, (size_t)(end - p), MARK, sizeof(MARK) - 1))
	    != NULL) {
		if (end - (m + sizeof(MARK) - 1) < IDLEN) {
			p = m;
			break;
		}
		if (*narr < cap) {
			memcpy(arr[*narr].id, m + sizeof(MARK) - 1, IDLEN);
			arr[*narr].id[IDLEN] = '\0';
			arr[(*narr)++].at = at;
		}
		p = m + sizeof(MARK) - 1 + IDLEN;
	}
	if (m == NULL) {
		/* Keep enough bytes to match a mark split across reads. */
		keep = (size_t)(end - p) < sizeof(MARK) + IDLEN ?
		    (size_t)(end - p) : sizeof(MARK) + IDLEN;
		p = end - keep;
	}
	memmove(s->buf, p, (size_t)(end - p));
	s->len = (size_t)(end - p);
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	struct epoll_event	 ev, evs[256];
	struct rlimit		 rl;
	struct sub		*subs;
	struct arrival		*arr;
	pthread_t		 th;
	long long		*lat, t_first = 0, t_last = 0, deadline;
	const char		*token = NULL, *port_s = getenv("MM_HTTP_PORT");
	char			 req[4096], err[256];
	size_t			 narr = 0, cap, nlat = 0;
	long			 nsubs = 1000, i, j;
	int			 ep, c, n, connected = 0, port;

	while ((c = getopt(argc, argv, "n:e:i:t:")) != -1) {
		switch (c) {
		case 'n': nsubs = atol(optarg); break;
		case 'e': nevents = atol(optarg); break;
		case 'i': interval = atol(optarg); break;
		case 't': token = optarg; break;
		default:
			fprintf(stderr, "usage: fanout [-n subs] [-e events] "
			    "[-i interval_ms] [-t token] USER_ID\n");
			return 2;
		}
	}
	if (optind >= argc || nsubs < 1 || nevents < 1) {
		fprintf(stderr, "fanout: USER_ID required\n");
		return 2;
	}
	owner = argv[optind];
	port = port_s ? atoi(port_s) : 8080;
	if (cfg_load(err, sizeof(err)) == -1) {
		fprintf(stderr, "fanout: %s\n", err);
		return 1;
	}
	log_init("fanout", LOG_LVL_WARN);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}

	subs = calloc((size_t)nsubs, sizeof(*subs));
	cap = (size_t)(nsubs * nevents) + 16;
	arr = calloc(cap, sizeof(*arr));
	sent_id = calloc((size_t)nevents, sizeof(*sent_id));
	sent_at = calloc((size_t)nevents, sizeof(*sent_at));
	ep = epoll_create1(0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	snprintf(req, sizeof(req), "GET /api/community/events%s%s HTTP/1.1\r\n"
	    "Host: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n",
	    token ? "?token=" : "", token ? token : "");
	for (i = 0; i < nsubs; i++) {
		int	fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd == -1 || connect(fd, (struct sockaddr *)&sin,
		    sizeof(sin)) == -1 || write(fd, req, strlen(req)) !=
		    (ssize_t)strlen(req)) {
			fprintf(stderr, "fanout: subscriber %ld: %s\n", i,
			    strerror(errno));
			if (fd != -1)
				close(fd);
			subs[i].fd = -1;
			continue;
		}
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		subs[i].fd = fd;
		ev.events = EPOLLIN;
		ev.data.ptr = &subs[i];
		epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		connected++;
	}

	/* Let every subscription settle, then emit while reading. */
	deadline = now_ms() + 1500;
	while (now_ms() < deadline) {
		n = epoll_wait(ep, evs, 256, 100);
		for (c = 0; c < n; c++) {
			struct sub	*s = evs[c].data.ptr;
			ssize_t		 r = read(s->fd, s->buf, sizeof(s->buf));

			(void)r;	/* the ": hi" preamble */
			s->len = 0;
		}
	}
	pthread_create(&th, NULL, emitter, NULL);
	deadline = 0;
	while (deadline == 0 || now_ms() < deadline) {
		if (emitter_done && deadline == 0)
			deadline = now_ms() + 3000;
		if (narr >= (size_t)(connected * nevents))
			break;
		n = epoll_wait(ep, evs, 256, 50);
		for (c = 0; c < n; c++) {
			struct sub	*s = evs[c].data.ptr;
			ssize_t		 r;

			r = read(s->fd, s->buf + s->len,
			    sizeof(s->buf) - s->len);
			if (r <= 0) {
				if (r == 0 || errno != EAGAIN) {
					epoll_ctl(ep, EPOLL_CTL_DEL, s->fd,
					    NULL);
					close(s->fd);
					s->fd = -1;
				}
				continue;
			}
			s->len += (size_t)r;
			scan(s, arr, &narr, cap, now_ms());
		}
	}
	pthread_join(th, NULL);

	lat = calloc(narr + 1, sizeof(*lat));
	for (i = 0; i < (long)narr; i++)
		for (j = 0; j < emitted; j++)
			if (strcmp(arr[i].id, sent_id[j]) == 0) {
				lat[nlat++] = arr[i].at - sent_at[j];
				if (t_first == 0 || sent_at[j] < t_first)
					t_first = sent_at[j];
				if (arr[i].at > t_last)
					t_last = arr[i].at;
				break;
			}
	qsort(lat, nlat, sizeof(*lat), cmp_ll);
	printf("subscribers=%d events=%d expected=%ld delivered=%lu "
	    "rate=%.0f p50_ms=%lld p99_ms=%lld max_ms=%lld\n", connected,
	    emitted, (long)connected * emitted, (unsigned long)nlat,
	    t_last > t_first ? nlat * 1000.0 / (double)(t_last - t_first) : 0,
	    nlat ? lat[nlat / 2] : -1,
	    nlat ? lat[(nlat * 99) / 100 < nlat ? (nlat * 99) / 100 :
	    nlat - 1] : -1, nlat ? lat[nlat - 1] : -1);
	for (i = 0; i < nsubs; i++)
		if (subs[i].fd != -1)
			close(subs[i].fd);
	free(lat);
	free(subs);
	free(arr);
	free(sent_id);
	free(sent_at);
	close(ep);
	db_disconnect();
	return nlat == (size_t)connected * (size_t)emitted ? 0 : 1;
}
