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

struct rl_slot {
	uint64_t	key;	/* hash of bucket and address; 0 = free */
	uint64_t	state;	/* minute << 32 | count */
};

static struct rl_slot	*slots;
static int		 shm_failed;

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

long
rl_shm_incr(const char *key, long minute)
{
	uint64_t	 h = fnv1a(key), k, st, next;
	struct rl_slot	*s = NULL;
	unsigned	 i;

	if (shm_open_table() == -1)
		return -1;
	for (i = 0; i < RL_PROBES && s == NULL; i++) {
		struct rl_slot	*c = &slots[(h + i) & (RL_SLOTS - 1)];

		k = __atomic_load_n(&c->key, __ATOMIC_ACQUIRE);
		if (k == h) {
			s = c;
			break;
		}
		st = __atomic_load_n(&c->state, __ATOMIC_ACQUIRE);
		/* Free, or held by a window that has ended: take it over. */
		if (k == 0 || (long)(st >> 32) < minute) {
			if (__atomic_compare_exchange_n(&c->key, &k, h, 0,
			    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE) || k == h)
				s = c;
		}
	}
	if (s == NULL)
		return -1;	/* table crowded: fail open */
	st = __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
	do {
		if ((long)(st >> 32) != minute)
			next = ((uint64_t)minute << 32) | 1;
		else
			next = st + 1;
	} while (!__atomic_compare_exchange_n(&s->state, &st, next, 0,
	    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return (long)(next & 0xffffffffULL);
}

/* INCR and EXPIRE in one round trip; -1 when Redis is unusable. */
static long
redis_incr(const char *key)
{
	redisContext	*c = rds_ctx();
	redisReply	*reply;
	long		 count = -1;

	if (c == NULL)
		return -1;
	if (redisAppendCommand(c, "INCR %s", key) != REDIS_OK ||
	    redisAppendCommand(c, "EXPIRE %s 120", key) != REDIS_OK)
		goto fail;
	if (redisGetReply(c, (void **)&reply) != REDIS_OK || reply == NULL)
		goto fail;
	if (reply->type == REDIS_REPLY_INTEGER)
		count = (long)reply->integer;
	freeReplyObject(reply);
	if (redisGetReply(c, (void **)&reply) != REDIS_OK || reply == NULL)
		goto fail;
	freeReplyObject(reply);
	return count;
fail:
	log_warnx("redis rate limit failed: %s", c->errstr);
	rds_fail();
	return -1;
}

int
rl_check(struct req *r, const char *bucket, int limit)
{
	time_t	now = time(NULL);
	long	minute = (long)(now / 60), count;
	long	reset = (minute + 1) * 60;
	char	key[256];

	snprintf(key, sizeof(key), "rl:%s:%s:%ld", bucket, r->remote_addr,
	    minute);
	count = redis_incr(key);
	if (count < 0) {
		if (rds_enabled())
			rds_count_fallback();
		count = rl_shm_incr(key, minute);
	}
	if (count < 0)
		count = 0;	/* no counter at all: fail open */
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
