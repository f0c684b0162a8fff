/*
 * messaging: direct and group conversations, messages, read markers and
 * blocks (contract §9), and the authorization of the messaging streams
 * (§8), which nginx's nchan module serves.
 *
 * Every user reads one private stream channel, messaging.u.<userId>,
 * chosen here from the subscriber's ?token= (the client never names a
 * channel).  A sent or deleted message is published, after its statement
 * committed, to the channels of the conversation's participants only.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "realtime.h"
#include "route.h"
#include "server.h"
#include "valid.h"

#define RT_CHAN_MESSAGING	"messaging.u."	/* + user id */

/* Publishes {"type":type,"data":{"conversationId":conv,key:value}}. */
static void
publish(const char *channels, const char *type, const char *conv,
    const char *key, const char *value, int value_is_json)
{
	struct buf	 b = { 0 };

	if (channels == NULL || *channels == '\0')
		return;
	buf_puts(&b, "{\"type\":");
	buf_json_str(&b, type);
	buf_puts(&b, ",\"data\":{\"conversationId\":");
	buf_json_str(&b, conv);
	buf_putc(&b, ',');
	buf_json_str(&b, key);
	buf_putc(&b, ':');
	if (value_is_json)
		buf_puts(&b, value);
	else
		buf_json_str(&b, value);
	buf_puts(&b, "}}");
	if (realtime_publish(channels, b.s, b.len) == -1)
		log_warnx("messaging: publishing %s failed", type);
	buf_free(&b);
}

/* GET /api/messaging/conversations: 200, 401, 403, 503. */
static void
get_conversations(struct req *r)
{
	const char	*p[1] = { r->user->id };

	(void)db_reply_json(r, DB_READ, STMT_MSG_CONVERSATIONS, p, 200);
}

/* POST /api/messaging/conversations: 200, 201, 400, 401, 403, 503. */
static void
post_conversation(struct req *r)
{
	const char		*type = "direct", *name = NULL, *p[4];
	const struct cJSON	*ids, *it;
	PGresult		*res;
	char			*idjson;
	int			 rc;

	if ((rc = valid_str(r, r->json, NULL, "type", V_OPTIONAL, 1, 16,
	    &type)) == -1)
		return;
	if (rc == 0)
		type = "direct";
	if (strcmp(type, "direct") != 0 && strcmp(type, "group") != 0) {
		err_reply(r, ERR_VALIDATION,
		    "type must be \"direct\" or \"group\"");
		return;
	}
	if (valid_array(r, r->json, NULL, "participantIds", V_REQUIRED, 1,
	    1000, &ids) == -1)
		return;
	cJSON_ArrayForEach(it, ids) {
		if (!cJSON_IsString(it) || it->valuestring[0] == '\0' ||
		    strlen(it->valuestring) > 200) {
			err_reply(r, ERR_VALIDATION,
			    "participantIds must hold user ids");
			return;
		}
	}
	if (strcmp(type, "group") == 0 && valid_str(r, r->json, NULL, "name",
	    V_REQUIRED, 1, 100, &name) == -1)
		return;
	idjson = cJSON_PrintUnformatted(ids);
	p[0] = r->user->id;
	p[1] = type;
	p[2] = idjson;
	p[3] = name;
	res = db_exec(r, DB_READ, STMT_MSG_CREATE, p);
	cJSON_free(idjson);
	if (res == NULL)
		return;
	http_json(r, atoi(PQgetvalue(res, 0, 1)), PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
}

/* GET /api/messaging/conversations/:id/messages: 200, 400, 401, 403, 404, 503. */
static void
get_messages(struct req *r)
{
	char		 n[16];
	const char	*before, *p[4];
	long		 limit;

	if (valid_query_int(r, "limit", 1, 100, 50, &limit) == -1 ||
	    valid_query_str(r, "before", 200, &before) == -1)
		return;
	if (before != NULL && *before == '\0')
		before = NULL;
	snprintf(n, sizeof(n), "%ld", limit);
	p[0] = r->user->id;
	p[1] = r->params[0];
	p[2] = before;
	p[3] = n;
	(void)db_reply_json(r, DB_READ, STMT_MSG_MESSAGES, p, 200);
}

/*
 * POST /api/messaging/conversations/:id/messages: 201, 400, 401, 403,
 * 404, 503.  Publishes the message to every participant after commit.
 */
static void
post_message(struct req *r)
{
	const char	*content, *ctype = "text", *reply = NULL, *p[5];
	PGresult	*res;
	int		 rc;

	if (valid_str(r, r->json, NULL, "content", V_REQUIRED, 1, 4000,
	    &content) == -1 ||
	    (rc = valid_str(r, r->json, NULL, "contentType", V_OPTIONAL, 1,
	    16, &ctype)) == -1 ||
	    valid_str(r, r->json, NULL, "replyToId", V_OPTIONAL, 1, 200,
	    &reply) == -1)
		return;
	if (rc == 0)
		ctype = "text";
	if (strcmp(ctype, "text") != 0 && strcmp(ctype, "image") != 0 &&
	    strcmp(ctype, "file") != 0) {
		err_reply(r, ERR_VALIDATION,
		    "contentType must be \"text\", \"image\" or \"file\"");
		return;
	}
	p[0] = r->user->id;
	p[1] = r->params[0];
	p[2] = content;
	p[3] = ctype;
	p[4] = reply;
	/*
	 * READ COMMITTED is enough: the function locks the conversation row
	 * before inserting, so concurrent sends queue instead of failing.
	 */
	if ((res = db_exec(r, DB_READ, STMT_MSG_SEND, p)) == NULL)
		return;
	http_json(r, 201, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
	publish(PQgetvalue(res, 0, 1), "message", r->params[0], "message",
	    PQgetvalue(res, 0, 0), 1);
	PQclear(res);
}

/* POST /api/messaging/conversations/:id/read: 200, 401, 403, 404, 503. */
static void
post_read(struct req *r)
{
	const char	*p[2] = { r->user->id, r->params[0] };

	(void)db_reply_json(r, DB_READ, STMT_MSG_READ, p, 200);
}

/*
 * DELETE /api/messaging/messages/:id: 200, 401, 403, 404, 503.  The first
 * deletion is published to every participant after commit.
 */
static void
delete_message(struct req *r)
{
	const char	*p[2] = { r->user->id, r->params[0] };
	PGresult	*res;

	if ((res = db_exec(r, DB_READ, STMT_MSG_DELETE, p)) == NULL)
		return;
	http_json(r, 200, "{\"success\":true,\"deleted\":true}", 31);
	if (!PQgetisnull(res, 0, 0))
		publish(PQgetvalue(res, 0, 1), "message_deleted",
		    PQgetvalue(res, 0, 0), "messageId", r->params[0], 0);
	PQclear(res);
}

/* POST /api/messaging/block/:userId: 200, 400, 401, 403, 404, 503. */
static void
post_block(struct req *r)
{
	const char	*p[2] = { r->user->id, r->params[0] };

	(void)db_reply_json(r, DB_READ, STMT_MSG_BLOCK, p, 200);
}

/* DELETE /api/messaging/block/:userId: 200, 401, 403, 503. */
static void
delete_block(struct req *r)
{
	const char	*p[2] = { r->user->id, r->params[0] };

	(void)db_reply_json(r, DB_READ, STMT_MSG_UNBLOCK, p, 200);
}

/*
 * GET /api/messaging/_rt/authorize: nginx's auth_request for the messaging
 * stream locations, through the internal listener only (MM_RT_AUTH;
 * anything else gets 404).  The subscriber's URI comes in X-Original-URI;
 * its ?token= (required) names the one channel it reads, answered in
 * X-MM-Channels.  200, 401 (missing, bad or expired token), 403 (banned),
 * 404, 503.
 */
static void
get_rt_authorize(struct req *r)
{
	const char	*internal = req_env(r, "MM_RT_AUTH");
	const char	*uri = req_env(r, "HTTP_X_ORIGINAL_URI");
	const char	*q, *token;
	struct buf	 chan = { 0 };

	if (internal == NULL || strcmp(internal, "1") != 0) {
		err_reply(r, ERR_NOT_FOUND, "No such endpoint");
		return;
	}
	q = uri != NULL ? strchr(uri, '?') : NULL;
	r->query = q != NULL ? q + 1 : "";
	token = req_query(r, "token");
	if (token == NULL || *token == '\0') {
		err_reply(r, ERR_UNAUTHORIZED, "A token is required");
		return;
	}
	if (auth_token(r, token, AUTH_REQUIRED) == -1)
		return;
	buf_puts(&chan, RT_CHAN_MESSAGING);
	buf_puts(&chan, r->user->id);
	http_header(r, "X-MM-Channels", chan.s);
	buf_free(&chan);
	http_json(r, 200, "{\"authorized\":true}", 19);
}

/* ------------------------------------------------------------ table */

#define REQ	R_AUTH_REQUIRED

static const struct route routes[] = {
	{ "GET", "/api/messaging/conversations", get_conversations, REQ },
	{ "POST", "/api/messaging/conversations", post_conversation,
	  REQ | R_BODY },
	{ "GET", "/api/messaging/conversations/:id/messages", get_messages,
	  REQ },
	{ "POST", "/api/messaging/conversations/:id/messages", post_message,
	  REQ | R_BODY },
	{ "POST", "/api/messaging/conversations/:id/read", post_read, REQ },
	{ "DELETE", "/api/messaging/messages/:id", delete_message, REQ },
	{ "POST", "/api/messaging/block/:userId", post_block, REQ },
	{ "DELETE", "/api/messaging/block/:userId", delete_block, REQ },
	{ "GET", "/api/messaging/_rt/authorize", get_rt_authorize,
	  R_NO_LIMIT },
};

static int
init(void)
{
	/* Resolve the publisher socket from the process environment now. */
	log_debug("realtime publisher at %s", realtime_socket());
	return 0;
}

static const struct app app = {
	"messaging", routes, sizeof(routes) / sizeof(routes[0]), init,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
