/*
 * ratelimit: fixed one-minute windows per client address (contract §1.6).
 *
 * Counters are shared by every worker of every binary: in Redis when it is
 * enabled and up, otherwise in a small shared-memory table (a file under
 * var/ that every process maps), so a Redis outage never turns into a
 * database write per request or an unlimited API.
 */
#ifndef MM_RATELIMIT_H
#define MM_RATELIMIT_H

struct req;

/*
 * Counts this request in the client's window of the named bucket ("api",
 * "auth") and sets the X-RateLimit-* headers.  Returns 0, or -1 after a
 * 429 reply with Retry-After.
 */
int	rl_check(struct req *, const char *bucket, int limit);

/*
 * Counts one event for key in the shared-memory table and returns the
 * count in the current window; used directly by the tests.
 */
long	rl_shm_incr(const char *key, long minute);

#endif
