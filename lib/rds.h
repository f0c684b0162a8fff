/*
 * rds: the optional Redis connection (REDIS_ENABLED).
 *
 * Redis holds caches, counters and presence, never the source of truth.
 * Every call has a timeout; when Redis is off or unreachable the calls
 * return NULL at once and callers use their fallback.  A dead connection
 * is retried at most once a second.
 */
#ifndef MM_RDS_H
#define MM_RDS_H

#include <hiredis.h>

int		 rds_enabled(void);
/* The live context, connecting if needed; NULL when off or down. */
redisContext	*rds_ctx(void);
/*
 * Runs one command; returns the reply (free with freeReplyObject) or NULL
 * when Redis is off, down, or answered with an error.
 */
redisReply	*rds_command(const char *fmt, ...);
/* Marks the connection dead after an I/O error seen by a caller. */
void		 rds_fail(void);
/* "connected", "disconnected" or "disabled", probing the server. */
const char	*rds_status(void);
unsigned long	 rds_fallbacks(void);
void		 rds_count_fallback(void);

#endif
