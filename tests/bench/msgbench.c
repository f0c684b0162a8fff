/*
 * msgbench: sending messages in one conversation while every participant
 * is connected to the live stream (contract §8, §9.4).
 *
 * Opens one SSE subscriber on /api/messaging/events?token= per participant
 * token, then keeps SENDERS keep-alive connections (connection i signed in
 * as participant i mod N) each sending
 * POST /api/messaging/conversations/CONV/messages back to back: WARMUP
 * seconds not counted, then SECONDS measured.  Every message's content
 * carries this run's mark and the send's sequence number, so each arrival
 * on a subscriber is matched to its send and timed from just before the
 * send's request was written.  After the run no new send starts; the tool
 * waits for the answers in flight and for the last deliveries (3 s at
 * most after the last answer), then prints one line:
 *
 *   subscribers refused senders seconds    the setup
 *   sends send_errors send_rps send_p50_ms send_p99_ms
 *                                          measured sends (errors: non-2xx
 *                                          answers and failed connections)
 *   expected delivered deliv_rate p50_ms p99_ms max_ms
 *                                          deliveries of the measured 2xx
 *                                          sends to every subscriber
 *
 *   msgbench [-c SENDERS] [-d SECONDS] [-w WARMUP] CONV_ID TOKENS_FILE
 *
 * TOKENS_FILE holds one participant's access token a line.  Loopback only
 * (127.0.0.1:MM_HTTP_PORT).  Subscribers refused their stream, and those
 * that missed messages (with the range of sequence numbers), are reported
 * on stderr.  Exits 0 when every measured send answered 2xx and reached
 * every subscriber, else 1 (2 on bad usage).
 */
#include <sys/epoll.h>
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define CONN_BUF	16384
#define DRAIN_US	3000000LL	/* wait for deliveries after the run */
#define ANSWER_US	10000000LL	/* wait for answers in flight */
#define SETUP_US	5000000LL	/* wait for the subscribers' 200 */

enum { SUB, SENDER };
enum { WAIT_HEADERS, STREAMING, DEAD };	/* a subscriber's state */

struct conn {
	int		 kind;
	int		 fd;
	int		 who;		/* token index */
	int		 state;		/* subscriber: enum above */
	int		 counted;	/* subscriber: streaming at the start */
	long		 seq;		/* sender: the send in flight, or -1 */
	size_t		 len;
	char		 buf[CONN_BUF];
};

struct send {
	long long	 t0, t1;	/* us; t1 0 until answered */
	int		 status;	/* 0: no answer (connection failed) */
	int		 measured;
};

struct arrival {
	long		 seq;
	long long	 at;
};

static struct sockaddr_in	 sin_srv;
static char			 mark[32];	/* "MB<run>#" */
static size_t			 marklen;
static const char		*conv;
static char			**tokens;
static int			 ntokens, nsubs, ep;

static struct send		*sends;
static long			 nsend, capsend;
static unsigned char		*seen;		/* [seq * nsubs + sub] */
static struct arrival		*arr;
static size_t			 narr, caparr;

static long long
now_us(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void *
xrealloc(void *p, size_t n)
{
	if ((p = realloc(p, n)) == NULL) {
		fprintf(stderr, "msgbench: out of memory\n");
		exit(1);
	}
	return p;
}

static int
dial(void)
{
	int	fd, one = 1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sin_srv, sizeof(sin_srv)) == -1) {
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static void
watch(struct conn *c)
{
	struct epoll_event	ev;

	fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
}

static void
drop(struct conn *c)
{
	if (c->fd != -1) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
	}
	c->fd = -1;
	c->len = 0;
}

/* Starts a new send on a sender connection (its socket open); 0 or -1. */
static int
start_send(struct conn *c, int measured)
{
	char	body[256], req[4096];
	int	blen, rlen;

	if (nsend == capsend) {
		capsend = capsend ? capsend * 2 : 4096;
		sends = xrealloc(sends, (size_t)capsend * sizeof(*sends));
		seen = xrealloc(seen, (size_t)capsend * (size_t)nsubs);
		memset(seen + (size_t)nsend * (size_t)nsubs, 0,
		    (size_t)(capsend - nsend) * (size_t)nsubs);
	}
	blen = snprintf(body, sizeof(body), "{\"content\":\"%s%ld. A message "
	    "of an ordinary length, sent while everyone is connected.\"}",
	    mark, nsend);
	rlen = snprintf(req, sizeof(req), "POST /api/messaging/conversations/"
	    "%s/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
	    "Content-Length: %d\r\n\r\n%s", conv, tokens[c->who], blen, body);
	c->seq = nsend;
	c->len = 0;
	sends[nsend].t0 = now_us();
	sends[nsend].t1 = 0;
	sends[nsend].status = 0;
	sends[nsend].measured = measured;
	nsend++;
	if (util_write_all(c->fd, req, (size_t)rlen) == -1)
		return -1;
	return 0;
}

/*
 * Length of the complete HTTP response at the start of buf (Content-Length
 * or chunked), 0 when more bytes are needed, -1 when it cannot be framed.
 * Sets *status, and *closing when the server closes the connection after
 * it.
 */
static long
response_len(const char *buf, size_t len, int *status, int *closing)
{
	const char	*h, *end = buf + len, *p, *cl, *te;
	size_t		 hlen;
	char		*e;
	long		 n;

	if ((h = memmem(buf, len, "\r\n\r\n", 4)) == NULL)
		return len > CONN_BUF / 2 ? -1 : 0;
	hlen = (size_t)(h + 4 - buf);
	if (sscanf(buf, "HTTP/1.%*d %d", status) != 1)
		return -1;
	cl = te = NULL;
	for (p = buf; p < h; p++) {
		if (*p != '\n')
			continue;
		if (strncasecmp(p + 1, "content-length:", 15) == 0)
			cl = p + 16;
		else if (strncasecmp(p + 1, "transfer-encoding:", 18) == 0)
			te = p + 19;
		else if (strncasecmp(p + 1, "connection: close", 17) == 0)
			*closing = 1;
	}
	if (cl != NULL) {
		n = strtol(cl, NULL, 10);
		return (long)hlen + n <= (long)len ? (long)hlen + n : 0;
	}
	if (te == NULL || strncasecmp(te + strspn(te, " "), "chunked", 7) != 0)
		return -1;
	for (p = h + 4;;) {
		if ((e = memmem(p, (size_t)(end - p), "\r\n", 2)) == NULL)
			return 0;
		n = strtol(p, NULL, 16);
		p = e + 2;
		if (n == 0)
			return end - p >= 2 ? (long)(p + 2 - buf) : 0;
		if (end - p < n + 2)
			return 0;
		p += n + 2;
	}
}

/*
 * Reads a sender's answer: 1 when the send in flight (*seq) was answered
 * (2 when the server then closes the connection), 0 when more bytes are
 * needed, -1 when the connection failed.
 */
static int
sender_read(struct conn *c, long *seq)
{
	ssize_t	r;
	long	n;
	int	status = 0, closing = 0;

	r = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (r <= 0)
		return -1;
	c->len += (size_t)r;
	if ((n = response_len(c->buf, c->len, &status, &closing)) == 0)
		return 0;
	if (n < 0 || c->seq < 0)
		return -1;
	sends[c->seq].t1 = now_us();
	sends[c->seq].status = status;
	*seq = c->seq;
	c->seq = -1;
	c->len = 0;
	return closing ? 2 : 1;
}

/* Records the marks in a subscriber's stream; keeps an unscanned tail. */
static void
sub_scan(struct conn *c, int sub, long long at)
{
	char	*p = c->buf, *end = c->buf + c->len, *m, *d;
	long	 seq;
	size_t	 keep;

	while ((m = memmem(p, (size_t)(end - p), mark, marklen)) != NULL) {
		d = m + marklen;
		while (d < end && isdigit((unsigned char)*d))
			d++;
		if (d == end) {
			p = m;
			break;
		}
		seq = strtol(m + marklen, NULL, 10);
		if (seq >= 0 && seq < nsend &&
		    !seen[(size_t)seq * (size_t)nsubs + (size_t)sub]) {
			seen[(size_t)seq * (size_t)nsubs + (size_t)sub] = 1;
			if (narr == caparr) {
				caparr = caparr ? caparr * 2 : 65536;
				arr = xrealloc(arr, caparr * sizeof(*arr));
			}
			arr[narr].seq = seq;
			arr[narr++].at = at;
		}
		p = d;
	}
	if (m == NULL) {
		keep = (size_t)(end - p) < marklen + 24 ?
		    (size_t)(end - p) : marklen + 24;
		p = end - keep;
	}
	memmove(c->buf, p, (size_t)(end - p));
	c->len = (size_t)(end - p);
}

/* Reads a subscriber: its 200 first, then the stream. */
static void
sub_read(struct conn *c, int sub)
{
	ssize_t	 r;
	char	*h;
	int	 status = 0;

	r = read(c->fd, c->buf + c->len, sizeof(c->buf) - 1 - c->len);
	if (r == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		drop(c);
		c->state = DEAD;
		return;
	}
	c->len += (size_t)r;
	c->buf[c->len] = '\0';
	if (c->state == WAIT_HEADERS) {
		if ((h = memmem(c->buf, c->len, "\r\n\r\n", 4)) == NULL)
			return;
		if (sscanf(c->buf, "HTTP/1.%*d %d", &status) != 1 ||
		    status != 200) {
			fprintf(stderr, "msgbench: subscriber %d refused: "
			    "%d\n", sub, status);
			drop(c);
			c->state = DEAD;
			return;
		}
		c->state = STREAMING;
		h += 4;
		c->len -= (size_t)(h - c->buf);
		memmove(c->buf, h, c->len);
	}
	sub_scan(c, sub, now_us());
}

static int
cmp_ll(const void *a, const void *b)
{
	long long	x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

static double
pct(const long long *v, size_t n, int p)
{
	size_t	i;

	if (n == 0)
		return -1;
	i = n * (size_t)p / 100;
	return (double)v[i < n ? i : n - 1] / 1000.0;
}

static int
load_tokens(const char *path)
{
	FILE	*f;
	char	 line[4096];
	size_t	 n;

	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		n = strcspn(line, "\r\n ");
		if (n == 0)
			continue;
		line[n] = '\0';
		tokens = xrealloc(tokens, (size_t)(ntokens + 1) *
		    sizeof(*tokens));
		if ((tokens[ntokens++] = strdup(line)) == NULL)
			return -1;
	}
	fclose(f);
	return ntokens > 0 ? 0 : -1;
}

int
main(int argc, char **argv)
{
	struct epoll_event	 evs[256];
	struct conn		*subs, *snd;
	const char		*port_s = getenv("MM_HTTP_PORT");
	long long		 t_setup, t_meas, t_end, t_quiet = 0, t, *lat;
	long long		 t_last = 0, t_first = 0;
	long			 seq = -1;
	long			 seconds = 10, warmup = 2, i, ok_all = 0;
	long			 meas = 0, meas_err = 0, meas_ok = 0, conn_err = 0;
	size_t			 nlat = 0, expected, delivered = 0;
	int			 nsenders = 16, c, n, k, ready = 0, refused = 0;
	int			 running = 1, inflight = 0, rc;
	char			 req[4096];

	while ((c = getopt(argc, argv, "c:d:w:")) != -1) {
		switch (c) {
		case 'c': nsenders = atoi(optarg); break;
		case 'd': seconds = atol(optarg); break;
		case 'w': warmup = atol(optarg); break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 2 || nsenders < 1 || seconds < 1 ||
	    warmup < 0) {
usage:
		fprintf(stderr, "usage: msgbench [-c senders] [-d seconds] "
		    "[-w warmup] CONV_ID TOKENS_FILE\n");
		return 2;
	}
	conv = argv[optind];
	if (load_tokens(argv[optind + 1]) == -1) {
		fprintf(stderr, "msgbench: no tokens in %s\n",
		    argv[optind + 1]);
		return 2;
	}
	nsubs = ntokens;
	snprintf(mark, sizeof(mark), "MB%lx#",
	    (unsigned long)(now_us() ^ (long long)getpid()) & 0xffffff);
	marklen = strlen(mark);
	memset(&sin_srv, 0, sizeof(sin_srv));
	sin_srv.sin_family = AF_INET;
	sin_srv.sin_port = htons((unsigned short)(port_s ? atoi(port_s) :
	    8080));
	sin_srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ep = epoll_create1(0);
	subs = calloc((size_t)nsubs, sizeof(*subs));
	snd = calloc((size_t)nsenders, sizeof(*snd));
	if (subs == NULL || snd == NULL || ep == -1) {
		fprintf(stderr, "msgbench: out of memory\n");
		return 1;
	}

	/* Every participant subscribes; wait for each one's 200. */
	for (i = 0; i < nsubs; i++) {
		subs[i].kind = SUB;
		subs[i].who = (int)i;
		subs[i].state = WAIT_HEADERS;
		n = snprintf(req, sizeof(req), "GET /api/messaging/events?"
		    "token=%s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		    "Accept: text/event-stream\r\n\r\n", tokens[i]);
		if ((subs[i].fd = dial()) == -1 ||
		    util_write_all(subs[i].fd, req, (size_t)n) == -1) {
			fprintf(stderr, "msgbench: subscriber %ld: %s\n", i,
			    strerror(errno));
			drop(&subs[i]);
			subs[i].state = DEAD;
			continue;
		}
		watch(&subs[i]);
	}
	t_setup = now_us() + SETUP_US;
	while (now_us() < t_setup) {
		for (i = ready = refused = 0; i < nsubs; i++) {
			ready += subs[i].state == STREAMING;
			refused += subs[i].state == DEAD;
		}
		if (ready + refused == nsubs)
			break;
		n = epoll_wait(ep, evs, 256, 50);
		for (k = 0; k < n; k++) {
			struct conn *cn = evs[k].data.ptr;

			sub_read(cn, cn->who);
		}
	}
	/* Those not streaming by now are refused and left out. */
	for (i = ready = 0; i < nsubs; i++) {
		subs[i].counted = subs[i].state == STREAMING;
		ready += subs[i].counted;
		if (!subs[i].counted) {
			drop(&subs[i]);
			subs[i].state = DEAD;
		}
	}
	refused = nsubs - ready;

	/* The senders, back to back. */
	t_meas = now_us() + warmup * 1000000LL;
	t_end = t_meas + seconds * 1000000LL;
	for (i = 0; i < nsenders; i++) {
		snd[i].kind = SENDER;
		snd[i].who = (int)(i % ntokens);
		snd[i].seq = -1;
		if ((snd[i].fd = dial()) == -1) {
			conn_err++;
			continue;
		}
		watch(&snd[i]);
		if (start_send(&snd[i], warmup == 0) == -1) {
			drop(&snd[i]);
			continue;
		}
		inflight++;
	}
	for (;;) {
		t = now_us();
		if (running && t >= t_end)
			running = 0;
		if (!running) {
			if (inflight == 0 && t_quiet == 0)
				t_quiet = t;
			if (t_quiet != 0 && ((size_t)ok_all * (size_t)ready
			    <= narr || t - t_quiet > DRAIN_US))
				break;
			if (t - t_end > ANSWER_US)
				break;
		}
		n = epoll_wait(ep, evs, 256, 20);
		for (k = 0; k < n; k++) {
			struct conn *cn = evs[k].data.ptr;

			if (cn->kind == SUB) {
				sub_read(cn, cn->who);
				continue;
			}
			if ((rc = sender_read(cn, &seq)) == 0)
				continue;
			if (rc > 0) {
				inflight--;
				if (sends[seq].status >= 200 &&
				    sends[seq].status <= 299)
					ok_all++;
			}
			if (rc != 1) {
				/*
				 * Closed by the server after an answer, or
				 * failed (the send in flight has no answer):
				 * reopen.
				 */
				if (cn->seq >= 0) {
					inflight--;
					cn->seq = -1;
				}
				drop(cn);
				if (!running)
					continue;
				if ((cn->fd = dial()) == -1) {
					conn_err++;
					continue;
				}
				watch(cn);
			}
			if (!running)
				continue;
			if (start_send(cn, now_us() >= t_meas) == -1) {
				drop(cn);
				continue;
			}
			inflight++;
		}
	}

	/* Sends: the measured ones. */
	lat = xrealloc(NULL, ((size_t)nsend + narr + 1) * sizeof(*lat));
	for (i = 0; i < nsend; i++) {
		if (!sends[i].measured)
			continue;
		meas++;
		if (sends[i].status >= 200 && sends[i].status <= 299) {
			meas_ok++;
			lat[nlat++] = sends[i].t1 - sends[i].t0;
			if (sends[i].t1 > t_last)
				t_last = sends[i].t1;
		} else
			meas_err++;
	}
	qsort(lat, nlat, sizeof(*lat), cmp_ll);
	printf("subscribers=%d refused=%d senders=%d seconds=%ld sends=%ld "
	    "send_errors=%ld send_rps=%.0f send_p50_ms=%.2f "
	    "send_p99_ms=%.2f", ready, refused, nsenders, seconds, meas,
	    meas_err + conn_err, t_last > t_meas ? (double)meas_ok *
	    1e6 / (double)(t_last - t_meas) : 0, pct(lat, nlat, 50),
	    pct(lat, nlat, 99));

	/* Deliveries of the measured 2xx sends. */
	nlat = 0;
	t_last = 0;
	t_first = 0;
	for (i = 0; i < (long)narr; i++) {
		struct send *s = &sends[arr[i].seq];

		if (!s->measured || s->status < 200 || s->status > 299)
			continue;
		lat[nlat++] = arr[i].at - s->t0;
		if (t_first == 0 || s->t0 < t_first)
			t_first = s->t0;
		if (arr[i].at > t_last)
			t_last = arr[i].at;
	}
	delivered = nlat;
	expected = (size_t)meas_ok * (size_t)ready;
	/* Which subscribers missed which messages (stderr). */
	for (c = 0; c < nsubs && delivered < expected; c++) {
		long	missed = 0, first = -1, last = -1;

		for (i = 0; i < nsend; i++) {
			if (!sends[i].measured || sends[i].status < 200 ||
			    sends[i].status > 299 ||
			    seen[(size_t)i * (size_t)nsubs + (size_t)c])
				continue;
			missed++;
			if (first == -1)
				first = i;
			last = i;
		}
		if (missed > 0 && subs[c].counted)
			fprintf(stderr, "msgbench: subscriber %d%s missed %ld "
			    "messages, #%ld to #%ld of %ld\n", c,
			    subs[c].state == DEAD ? " (stream closed)" : "",
			    missed, first, last, nsend);
	}
	qsort(lat, nlat, sizeof(*lat), cmp_ll);
	printf(" expected=%lu delivered=%lu deliv_rate=%.0f p50_ms=%.2f "
	    "p99_ms=%.2f max_ms=%.2f\n", (unsigned long)expected,
	    (unsigned long)delivered, t_last > t_first ? (double)nlat * 1e6 /
	    (double)(t_last - t_first) : 0, pct(lat, nlat, 50),
	    pct(lat, nlat, 99), nlat ? (double)lat[nlat - 1] / 1000.0 : -1);

	for (i = 0; i < nsubs; i++)
		drop(&subs[i]);
	for (i = 0; i < nsenders; i++)
		drop(&snd[i]);
	for (i = 0; i < ntokens; i++)
		free(tokens[i]);
	free(tokens);
	free(lat);
	free(subs);
	free(snd);
	free(sends);
	free(seen);
	free(arr);
	close(ep);
	return meas_err + conn_err == 0 && refused == 0 &&
	    delivered == expected ? 0 : 1;
}
