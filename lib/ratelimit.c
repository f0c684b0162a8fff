#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "ratelimit.h"
#include "rds.h"

#define RL_SLOTS	65536		/* power of two */
#define RL_PROBES	16
#define RL_SYNC_MS	250		/* how often a window talks to Redis */

/*
 * One client's window.  The 64-bit words pack the window's minute in the
 * high half and a count in the low half, so a word from an older window is
 * recognisably stale and one compare-and-swap updates it.
 */
struct rl_slot {
	uint64_t	key;		/* hash of the window key; 0 = free */
	uint64_t	count;		/* minute | requests counted here */
	uint64_t	pushed;		/* minute | of those, pushed to Redis */
	uint64_t	total;		/* minute | all hosts, at the last push */
	uint64_t	sync_ms;	/* when the last push started */
};

static struct rl_slot	*slots;
static int		 shm_failed;

#define MINUTE(w)	((long)((w) >> 32))
#define COUNT(w)	((long)((w) & 0xffffffffULL))
#define WORD(m, n)	(((uint64_t)(m) << 32) | (uint64_t)(n))

static uint64_t
fnv1a(const char *s)
{
	uint64_t	h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h | 1;	/* never 0, which marks a free slot */
}

static uint64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
shm_open_table(void)
{
	char	path[4096];
	size_t	size = sizeof(struct rl_slot) * RL_SLOTS;
	void	*p;
	int	fd;

	if (slots != NULL)
		return 0;
	if (shm_failed)
		return -1;
	snprintf(path, sizeof(path), "%s/ratelimit.shm", cfg->var_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1 || ftruncate(fd, (off_t)size) == -1) {
		log_warn("rate limit table %s", path);
		if (fd != -1)
			close(fd);
		shm_failed = 1;
		return -1;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		log_warn("mmap %s", path);
		shm_failed = 1;
		return -1;
	}
	slots = p;
	return 0;
}

/* The slot holding key's window, claiming a free or stale one. */
static struct rl_slot *
find_slot(const char *key, long minute)
{
	uint64_t	h = fnv1a(key), k;
	unsigned	i;

	if (shm_open_table() == -1)
		return NULL;
	for (i = 0; i < RL_PROBES; i++) {
		struct rl_slot	*c = &slots[(h + i) & (RL_SLOTS - 1)];

		k = __atomic_load_n(&c->key, __ATOMIC_ACQUIRE);
		if (k == h)
			return c;
		/* Free, or held by a window that has ended: take it over. */
		if (k == 0 || MINUTE(__atomic_load_n(&c->count,
		    __ATOMIC_ACQUIRE)) < minute) {
			if (__atomic_compare_exchange_n(&c->key, &k, h, 0,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) || k == h)
				return c;
		}
	}
	return NULL;	/* table crowded: the caller fails open */
}

/* Adds one to w's count in window minute (starting it at 1 if stale). */
static long
bump(uint64_t *w, long minute)
{
	uint64_t	cur = __atomic_load_n(w, __ATOMIC_ACQUIRE), next;

	do {
		next = MINUTE(cur) == minute ? cur + 1 : WORD(minute, 1);
	} while (!__atomic_compare_exchange_n(w, &cur, next, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return COUNT(next);
}

long
rl_shm_incr(const char *key, long minute)
{
	struct rl_slot	*s = find_slot(key, minute);

	return s == NULL ? -1 : bump(&s->count, minute);
}

/*
 * Pushes this host's new requests of the window to Redis and records the
 * total of all hosts.  Only one worker at a time pushes a given slot.
 */
static void
push(struct rl_slot *s, const char *key, long minute, long count)
{
	redisContext	*c;
	redisReply	*reply = NULL;
	uint64_t	 at = __atomic_load_n(&s->sync_ms, __ATOMIC_ACQUIRE);
	uint64_t	 now = now_ms(), pw;
	long		 pushed, delta;

	if (now - at < RL_SYNC_MS || !__atomic_compare_exchange_n(&s->sync_ms,
	    &at, now, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	if ((c = rds_ctx()) == NULL) {
		rds_count_fallback();
		return;
	}
	pw = __atomic_load_n(&s->pushed, __ATOMIC_ACQUIRE);
	pushed = MINUTE(pw) == minute ? COUNT(pw) : 0;
	delta = count - pushed;
	if (delta < 0)
		delta = 0;
	if (redisAppendCommand(c, "INCRBY %s %ld", key, delta) != REDIS_OK ||
	    redisAppendCommand(c, "EXPIRE %s 120", key) != REDIS_OK ||
	    redisGetReply(c, (void **)&reply) != REDIS_OK || reply == NULL)
		goto fail;
	if (reply->type == REDIS_REPLY_INTEGER) {
		__atomic_store_n(&s->pushed, WORD(minute, pushed + delta),
		    __ATOMIC_RELEASE);
		__atomic_store_n(&s->total, WORD(minute, reply->integer),
		    __ATOMIC_RELEASE);
	}
	freeReplyObject(reply);
	reply = NULL;
	if (redisGetReply(c, (void **)&reply) != REDIS_OK || reply == NULL)
		goto fail;
	freeReplyObject(reply);
	return;
fail:
	log_warnx("redis rate limit push failed: %s", c->errstr);
	rds_fail();
	rds_count_fallback();
}

/* Requests of this window across hosts, as far as this host knows. */
static long
effective(struct rl_slot *s, long minute, long count)
{
	uint64_t	tw = __atomic_load_n(&s->total, __ATOMIC_ACQUIRE);
	uint64_t	pw = __atomic_load_n(&s->pushed, __ATOMIC_ACQUIRE);
	long		pushed = MINUTE(pw) == minute ? COUNT(pw) : 0;

	if (MINUTE(tw) != minute)
		return count;
	return COUNT(tw) + (count - pushed);
}

int
rl_check(struct req *r, const char *bucket, int limit)
{
	time_t	now = time(NULL);
	long	minute = (long)(now / 60), count;
	long	reset = (minute + 1) * 60;
	char	key[256];
	struct rl_slot	*s;

	snprintf(key, sizeof(key), "rl:%s:%s:%ld", bucket, r->remote_addr,
	    minute);
	if ((s = find_slot(key, minute)) == NULL)
		count = 0;	/* no table: fail open rather than refuse all */
	else {
		count = bump(&s->count, minute);
		if (rds_enabled())
			push(s, key, minute, count);
		count = effective(s, minute, count);
	}
	http_headerf(r, "X-RateLimit-Limit", "%d", limit);
	http_headerf(r, "X-RateLimit-Remaining", "%ld",
	    count >= limit ? 0L : limit - count);
	http_headerf(r, "X-RateLimit-Reset", "%ld", reset);
	if (count > limit) {
		http_headerf(r, "Retry-After", "%ld", reset - (long)now);
		err_replyf(r, ERR_RATE_LIMITED, "Too many requests: limit is "
		    "%d per minute, retry in %ld seconds", limit,
		    reset - (long)now);
		return -1;
	}
	return 0;
}
