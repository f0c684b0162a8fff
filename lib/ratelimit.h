/*
 * ratelimit: fixed one-minute windows per client address (contract §1.6).
 *
 * Every worker of every binary on a host counts in one shared-memory table
 * (a file under var/ that each process maps), so the count is exact and
 * costs a few atomic operations.  When Redis is enabled the hosts share
 * their counts through it: a window's slot pushes what it counted since its
 * last push (INCRBY) at most every RL_SYNC_MS and reads the total of all
 * hosts back, and the limit applies to that total plus what this host has
 * counted since.  A Redis round trip per request would cost more than the
 * request itself on a busy host; a Redis outage only stops the sharing.
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
 * Counts one event for key in window `minute` and returns the count this
 * host has seen in that window (-1 without a table); used by the tests.
 */
long	rl_shm_incr(const char *key, long minute);

#endif
