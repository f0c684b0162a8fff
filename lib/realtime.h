/*
 * realtime: delivery of committed activity events to the community
 * streams (contract §8) through nginx's nchan module.
 *
 * Channels.  A subscriber can only read what its channels carry, and each
 * channel carries one audience's view, so nobody can receive an event it
 * may not see (contract §7.1, §8):
 *
 *   community.anon       public_anon events, identity stripped (userId,
 *                        username, displayName null; no payload.userId or
 *                        payload.username): the anonymous stream
 *   community.members    public_anon and public_profile events with
 *                        identity: signed-in subscribers without blocks
 *   community.u.<id>     <id>'s own private events
 *   community.f.<id>     a filtered copy of community.members for a user
 *                        involved in a block (either direction): every
 *                        public event except those of users blocked with
 *                        <id>
 *
 * An anonymous subscriber reads community.anon; a signed-in one
 * community.members (or community.f.<id> when it has any block at connect
 * time) plus community.u.<id>.  The community binary decides this from the
 * ?token= when nginx asks it (auth_request); the client never names a
 * channel.
 *
 * Blocks on the live stream (the rule, as in the feed, §7.1, §9.7): a
 * subscriber never receives a public event of a user it blocked or who
 * blocked it, as long as that block existed when it connected and when the
 * event was published; for a block made while it is connected, the rule
 * holds from its next connection (clients reconnect; nginx closes idle
 * streams that stop answering pings).  On connecting, a subscriber first
 * receives what its channels carried in the last 30 seconds (nchan's
 * message buffer), so a reconnect loses nothing; clients skip event ids
 * they have already seen.
 * Events of users who block nobody and are blocked by nobody travel once
 * on the shared channel; only users involved in blocks cost one extra copy
 * per event.
 *
 * Publishing goes over HTTP to nchan's publisher location on the internal
 * unix socket (POST /pub?id=a,b publishes one message to several channels);
 * with Redis enabled nchan stores the channels there (nchan_redis_pass in
 * every nchan location), so every nginx host sharing that Redis delivers
 * them.  While that Redis is down, publishing and new subscriptions fail
 * (the events stay in the feed) and resume when it is back.  The event is
 * also sent on the Redis pub/sub channel rt:community when Redis is enabled
 * (the seed's activity fan-out), for other consumers.
 */
#ifndef MM_REALTIME_H
#define MM_REALTIME_H

#include <stddef.h>

struct buf;

#define RT_CHAN_ANON		"community.anon"
#define RT_CHAN_MEMBERS		"community.members"
#define RT_CHAN_USER		"community.u."	/* + user id */
#define RT_CHAN_FILTERED	"community.f."	/* + user id */

/*
 * Delivers one committed feed event to exactly the subscribers allowed to
 * see it.  event_json is the §7.1 event object with full identity (as
 * activity_event_create() returns it), scope its visibility_scope
 * ("public_anon", "public_profile" or "private") and owner_id its user
 * (NULL when the user is gone).  Call it only after the transaction that
 * created the event committed.  Never writes a response: a failure is
 * logged and returns -1 (the event stays in the feed); 0 on success.
 * Uses the worker's database connection (for the filtered copies) and its
 * Redis connection.
 */
int	 realtime_publish_event(const char *event_json, const char *scope,
	    const char *owner_id);

/*
 * The stream message {"type":"activity","data":<event>} for an event
 * object, with the identity stripped when anon is set.  Returns a string
 * the caller frees, or NULL when event_json is not a JSON object.
 */
char	*realtime_activity_message(const char *event_json, int anon);

/*
 * Appends to out the comma-separated channels a subscriber reads: user_id
 * NULL for an anonymous one; filtered when the user is involved in a block.
 */
void	 realtime_subscriber_channels(struct buf *out, const char *user_id,
	    int filtered);

/*
 * Publishes one message (len bytes) to the comma-separated channels (at
 * most RT_MAX_CHANNELS per call); 0, or -1 (logged).
 */
#define RT_MAX_CHANNELS	100
int	 realtime_publish(const char *channels, const char *msg, size_t len);

/*
 * The publisher socket: MM_NCHAN_SOCKET, else $MM_RUN_DIR/nchan.sock, else
 * <MM_VAR_DIR>/run/nchan.sock; read from the process environment on first
 * use.  realtime_set_socket() overrides it (tests).
 */
const char	*realtime_socket(void);
void		 realtime_set_socket(const char *path);

struct realtime_stats {
	unsigned long	published;	/* messages accepted by nchan */
	unsigned long	failed;
};
const struct realtime_stats *realtime_stats(void);

#endif
