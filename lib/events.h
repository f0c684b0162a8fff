/*
 * events: what an activity causes outside the database once its
 * transaction has committed (contract §1.9, §4.2 step 5, §8).
 *
 * The event row itself is written by the stored function, in the same
 * transaction as the change it reports; these calls only fan it out.
 * They are best effort: Redis is a cache and a bus, never the source of
 * truth, so a failure is logged and counted and the request still
 * succeeds.  Never call them before the commit (a rolled-back event must
 * not reach anyone).
 */
#ifndef MM_EVENTS_H
#define MM_EVENTS_H

#include <stddef.h>
#include <time.h>

/* The Redis channel the community stream relays to subscribers. */
#define EVENTS_CHANNEL	"rt:community"
/* Seconds a per-minute exercise selection bucket lives. */
#define EVENTS_BUCKET_TTL	1800

/*
 * Publishes one committed activity event, the §7.1 event object with full
 * identity ({"id","eventType","userId","username","displayName",
 * "payload","visibilityScope","createdAt"}), to the real-time channels
 * that may see it (lib/realtime.h, which also sends it on EVENTS_CHANNEL
 * when Redis is enabled).  Returns 0, or -1 when it could not be
 * delivered (it stays in the feed).
 */
int	events_publish(const char *event_json);

/*
 * Publishes each event of a JSON array of event objects, as the stored
 * functions that react to an activity (level-ups, milestones) return
 * them.  Returns how many were published.
 */
int	events_publish_array(const char *json_array);

/*
 * Runs what follows a committed activity of user_id, in one transaction
 * of its own: the journey level (§6.5) and milestone progress (§10.6),
 * publishing the events they create.  Best effort: a failure is
 * logged and the activity stands.
 */
void	events_after_activity(const char *user_id);

/*
 * Counts each exercise id once in the minute bucket of now (UTC):
 * HINCRBY now:exercise:selected:{YYYYMMDDHHMM} <id> 1, then EXPIRE
 * EVENTS_BUCKET_TTL, pipelined.  Returns 0, or -1 when Redis is off or
 * failed.
 */
int	events_exercises_selected(const char *const *ids, size_t n,
	    time_t now);

#endif
