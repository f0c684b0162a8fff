#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "log.h"
#include "mem.h"
#include "rds.h"
#include "realtime.h"
#include "util.h"

#define RT_TIMEOUT_MS	1000

static char			*sock_path;
static struct realtime_stats	 stats;

const struct realtime_stats *
realtime_stats(void)
{
	return &stats;
}

void
realtime_set_socket(const char *path)
{
	free(sock_path);
	sock_path = path ? xstrdup(path) : NULL;
}

const char *
realtime_socket(void)
{
	const char	*v;

	if (sock_path != NULL)
		return sock_path;
	if ((v = getenv("MM_NCHAN_SOCKET")) != NULL && *v != '\0')
		sock_path = xstrdup(v);
	else if ((v = getenv("MM_RUN_DIR")) != NULL && *v != '\0')
		sock_path = xasprintf("%s/nchan.sock", v);
	else
		sock_path = xasprintf("%s/run/nchan.sock",
		    cfg != NULL && cfg->var_dir ? cfg->var_dir : "var");
	return sock_path;
}

char *
realtime_activity_message(const char *event_json, int anon)
{
	cJSON	*ev, *msg, *payload;
	char	*out;

	if (event_json == NULL || (ev = cJSON_Parse(event_json)) == NULL)
		return NULL;
	if (!cJSON_IsObject(ev)) {
		cJSON_Delete(ev);
		return NULL;
	}
	if (anon) {
		/* The same view as the anonymous feed (community_feed()). */
		cJSON_ReplaceItemInObjectCaseSensitive(ev, "userId",
		    cJSON_CreateNull());
		cJSON_ReplaceItemInObjectCaseSensitive(ev, "username",
		    cJSON_CreateNull());
		cJSON_ReplaceItemInObjectCaseSensitive(ev, "displayName",
		    cJSON_CreateNull());
		payload = cJSON_GetObjectItemCaseSensitive(ev, "payload");
		if (cJSON_IsObject(payload)) {
			cJSON_DeleteItemFromObjectCaseSensitive(payload,
			    "userId");
			cJSON_DeleteItemFromObjectCaseSensitive(payload,
			    "username");
		}
	}
	msg = cJSON_CreateObject();
	cJSON_AddStringToObject(msg, "type", "activity");
	cJSON_AddItemToObject(msg, "data", ev);
	out = cJSON_PrintUnformatted(msg);
	cJSON_Delete(msg);
	return out;
}

void
realtime_subscriber_channels(struct buf *out, const char *user_id,
    int filtered)
{
	if (user_id == NULL) {
		buf_puts(out, RT_CHAN_ANON);
		return;
	}
	if (filtered) {
		buf_puts(out, RT_CHAN_FILTERED);
		buf_puts(out, user_id);
	} else
		buf_puts(out, RT_CHAN_MEMBERS);
	buf_putc(out, ',');
	buf_puts(out, RT_CHAN_USER);
	buf_puts(out, user_id);
}

static int
connect_publisher(void)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv;
	const char		*path = realtime_socket();
	int			 fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		log_warnx("realtime: socket path too long: %s", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("realtime: socket");
		return -1;
	}
	tv.tv_sec = RT_TIMEOUT_MS / 1000;
	tv.tv_usec = (RT_TIMEOUT_MS % 1000) * 1000;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		log_warn("realtime: connect %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

int
realtime_publish(const char *channels, const char *msg, size_t len)
{
	struct buf	 req = { 0 };
	char		 resp[512];
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd, status = 0;

	if ((fd = connect_publisher()) == -1) {
		stats.failed++;
		return -1;
	}
	buf_printf(&req, "POST /pub?id=%s HTTP/1.0\r\nHost: localhost\r\n"
	    "Content-Type: application/json\r\nAccept: application/json\r\n"
	    "Content-Length: %lu\r\n\r\n", channels, (unsigned long)len);
	buf_add(&req, msg, len);
	if (util_write_all(fd, req.s, req.len) == -1) {
		log_warn("realtime: write to publisher");
		goto fail;
	}
	/* The status line is all we need; nchan answers 201 or 202. */
	while (got < sizeof(resp) - 1) {
		n = recv(fd, resp + got, sizeof(resp) - 1 - got, 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(resp, '\n', got) != NULL)
			break;
	}
	resp[got] = '\0';
	if (sscanf(resp, "HTTP/%*d.%*d %d", &status) != 1 ||
	    status < 200 || status > 299) {
		log_warnx("realtime: publisher answered \"%.*s\"",
		    (int)strcspn(resp, "\r\n"), resp);
		goto fail;
	}
	close(fd);
	buf_free(&req);
	stats.published++;
	return 0;
fail:
	close(fd);
	buf_free(&req);
	stats.failed++;
	return -1;
}

/* Publishes msg to community.f.<id> of every filtered user who may see it. */
static int
publish_filtered(const char *owner_id, const char *msg, size_t len)
{
	const char	*params[1] = { owner_id };
	struct buf	 chans = { 0 };
	PGresult	*res;
	int		 i, n, batch = 0, rc = 0;

	res = db_exec(NULL, DB_READ, STMT_RT_FILTERED_RECIPIENTS, params);
	if (res == NULL)
		return -1;
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		if (batch > 0)
			buf_putc(&chans, ',');
		buf_puts(&chans, RT_CHAN_FILTERED);
		buf_puts(&chans, PQgetvalue(res, i, 0));
		if (++batch == RT_MAX_CHANNELS || i == n - 1) {
			if (realtime_publish(chans.s, msg, len) == -1)
				rc = -1;
			buf_reset(&chans);
			batch = 0;
		}
	}
	PQclear(res);
	buf_free(&chans);
	return rc;
}

int
realtime_publish_event(const char *event_json, const char *scope,
    const char *owner_id)
{
	char		*full = NULL, *anon = NULL, *chan = NULL;
	redisReply	*rr;
	int		 rc = 0, is_anon, is_profile;

	if (event_json == NULL || scope == NULL) {
		log_warnx("realtime: event or scope missing");
		return -1;
	}
	is_anon = strcmp(scope, "public_anon") == 0;
	is_profile = strcmp(scope, "public_profile") == 0;
	if (!is_anon && !is_profile && strcmp(scope, "private") != 0) {
		log_warnx("realtime: unknown visibility scope %s", scope);
		return -1;
	}
	if ((full = realtime_activity_message(event_json, 0)) == NULL) {
		log_warnx("realtime: event is not a JSON object");
		return -1;
	}
	if (is_anon) {
		anon = realtime_activity_message(event_json, 1);
		if (realtime_publish(RT_CHAN_ANON, anon, strlen(anon)) == -1)
			rc = -1;
	}
	if (is_anon || is_profile) {
		if (realtime_publish(RT_CHAN_MEMBERS, full, strlen(full)) == -1)
			rc = -1;
		if (publish_filtered(owner_id, full, strlen(full)) == -1)
			rc = -1;
	} else if (owner_id != NULL) {
		chan = xasprintf("%s%s", RT_CHAN_USER, owner_id);
		if (realtime_publish(chan, full, strlen(full)) == -1)
			rc = -1;
	}
	if (rds_enabled() &&
	    (rr = rds_command("PUBLISH rt:community %s", event_json)) != NULL)
		freeReplyObject(rr);
	free(chan);
	cJSON_free(anon);
	cJSON_free(full);
	return rc;
}
