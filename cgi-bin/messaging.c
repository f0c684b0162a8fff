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
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>
#include <gd.h>
#include <libpq-fe.h>
#include <magic.h>

#include "auth.h"
#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "log.h"
#include "realtime.h"
#include "route.h"
#include "server.h"
#include "valid.h"

#define RT_CHAN_MESSAGING	"messaging.u."	/* + user id */
#define UPLOAD_MAX		(10L * 1024 * 1024)	/* MM_UPLOAD_MAX_BYTES */
#define THUMB_MAX		256	/* thumbnail box, pixels */
#define ACCEL_PREFIX		"/_mm_attachments/"	/* nginx internal */

static magic_t	 magic;		/* libmagic, loaded once per process */

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

/* ------------------------------------------------------------ attachments */

struct part {
	const char	*data;
	size_t		 len;
	char		*filename;	/* req-owned; NULL when none */
	int		 found;
};

/* The value of a "name=" parameter in a header line (quotes removed). */
static char *
header_param(struct req *r, const char *h, size_t hlen, const char *name)
{
	const char	*p = h, *end = h + hlen, *v;
	size_t		 n = strlen(name);

	while ((p = memmem(p, (size_t)(end - p), name, n)) != NULL) {
		if (p > h && (p[-1] == ' ' || p[-1] == ';') &&
		    p + n < end && p[n] == '=') {
			v = p + n + 1;
			if (v < end && *v == '"') {
				const char *q = memchr(v + 1, '"',
				    (size_t)(end - v - 1));
				if (q == NULL)
					return NULL;
				return req_strndup(r, v + 1, (size_t)(q - v - 1));
			}
			p = v;
			while (p < end && *p != ';' && *p != '\r')
				p++;
			return req_strndup(r, v, (size_t)(p - v));
		}
		p += n;
	}
	return NULL;
}

/*
 * Splits a multipart/form-data body into its "file" and "content" parts.
 * Returns 0, or -1 when the body is not well-formed multipart.
 */
static int
multipart_parse(struct req *r, struct part *file, struct part *content)
{
	const char	*ct = req_env(r, "CONTENT_TYPE");
	const char	*body = r->body, *end = r->body + r->body_len;
	const char	*p, *hend, *next;
	char		*boundary, *delim, *name;
	size_t		 dlen;

	if (ct == NULL || strncasecmp(ct, "multipart/form-data", 19) != 0)
		return -1;
	boundary = header_param(r, ct, strlen(ct), "boundary");
	if (boundary == NULL || *boundary == '\0' || strlen(boundary) > 200)
		return -1;
	delim = req_alloc(r, strlen(boundary) + 5);
	dlen = (size_t)snprintf(delim, strlen(boundary) + 5, "\r\n--%s",
	    boundary);
	/* The first delimiter may open the body without its CRLF. */
	if (r->body_len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0)
		p = body + dlen - 2;
	else if ((p = memmem(body, r->body_len, delim, dlen)) != NULL)
		p += dlen;
	else
		return -1;
	for (;;) {
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			return 0;		/* closing delimiter */
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return -1;
		p += 2;
		hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		if (hend == NULL)
			return -1;
		next = memmem(hend + 4, (size_t)(end - hend - 4), delim, dlen);
		if (next == NULL)
			return -1;
		name = header_param(r, p, (size_t)(hend - p), "name");
		if (name != NULL && strcmp(name, "file") == 0) {
			file->data = hend + 4;
			file->len = (size_t)(next - hend - 4);
			file->filename = header_param(r, p,
			    (size_t)(hend - p), "filename");
			file->found = 1;
		} else if (name != NULL && strcmp(name, "content") == 0) {
			content->data = hend + 4;
			content->len = (size_t)(next - hend - 4);
			content->found = 1;
		}
		p = next + dlen;
	}
}

/* Characters in valid UTF-8 without NUL, or -1. */
static long
utf8_chars(const char *s, size_t len)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, n, k;
	long			 chars = 0;

	while (i < len) {
		if (u[i] == 0)
			return -1;
		n = u[i] < 0x80 ? 1 : (u[i] >> 5) == 6 ? 2 :
		    (u[i] >> 4) == 14 ? 3 : (u[i] >> 3) == 30 ? 4 : 0;
		if (n == 0 || i + n > len)
			return -1;
		for (k = 1; k < n; k++)
			if ((u[i + k] & 0xC0) != 0x80)
				return -1;
		i += n;
		chars++;
	}
	return chars;
}

/* The attachments directory (outside the web root), created on demand. */
static const char *
att_dir(struct req *r)
{
	size_t	 n = strlen(cfg->var_dir) + 16;
	char	*d = req_alloc(r, n);

	snprintf(d, n, "%s/attachments", cfg->var_dir);
	if (mkdir(d, 0755) == -1 && errno != EEXIST)
		log_warn("mkdir %s", d);
	return d;
}

/* Writes len bytes to dir/name (new file, 0644); 0 or -1 (logged). */
static int
write_file(struct req *r, const char *dir, const char *name,
    const void *data, size_t len)
{
	size_t	 n = strlen(dir) + strlen(name) + 2;
	char	*path = req_alloc(r, n);
	int	 fd;
	ssize_t	 w;

	snprintf(path, n, "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) == -1) {
		log_warn("open %s", path);
		return -1;
	}
	w = write(fd, data, len);
	if (close(fd) == -1 || w < 0 || (size_t)w != len) {
		log_warn("write %s", path);
		unlink(path);
		return -1;
	}
	return 0;
}

static void
remove_file(const char *dir, const char *name)
{
	char	path[4096];

	if (name == NULL)
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	(void)unlink(path);
}

/* 32 random hex digits, or -1. */
static int
random_name(char out[33])
{
	unsigned char	b[16];
	int		fd, i;
	ssize_t		n;

	if ((fd = open("/dev/urandom", O_RDONLY)) == -1)
		return -1;
	n = read(fd, b, sizeof(b));
	close(fd);
	if (n != (ssize_t)sizeof(b))
		return -1;
	for (i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return 0;
}

/*
 * Decodes an image and renders a PNG thumbnail that fits THUMB_MAX
 * (re-encoding drops every metadata chunk of the original: EXIF, GPS,
 * comments).  Returns the PNG (gdFree) and its size, or NULL when the
 * bytes do not decode as the detected type.
 */
static void *
thumbnail(const char *type, const void *data, size_t len, int *outlen)
{
	gdImagePtr	 im = NULL, th;
	void		*png;
	int		 w, h, tw, th_h;

	if (len > (size_t)0x7fffffff)
		return NULL;
	if (strcmp(type, "image/png") == 0)
		im = gdImageCreateFromPngPtr((int)len, (void *)(uintptr_t)data);
	else if (strcmp(type, "image/jpeg") == 0)
		im = gdImageCreateFromJpegPtr((int)len,
		    (void *)(uintptr_t)data);
	else if (strcmp(type, "image/gif") == 0)
		im = gdImageCreateFromGifPtr((int)len, (void *)(uintptr_t)data);
	else if (strcmp(type, "image/webp") == 0)
		im = gdImageCreateFromWebpPtr((int)len,
		    (void *)(uintptr_t)data);
	if (im == NULL)
		return NULL;
	w = gdImageSX(im);
	h = gdImageSY(im);
	if (w <= THUMB_MAX && h <= THUMB_MAX) {
		tw = w;
		th_h = h;
	} else if (w >= h) {
		tw = THUMB_MAX;
		th_h = (int)((long)h * THUMB_MAX / w);
	} else {
		th_h = THUMB_MAX;
		tw = (int)((long)w * THUMB_MAX / h);
	}
	if (tw < 1)
		tw = 1;
	if (th_h < 1)
		th_h = 1;
	th = gdImageScale(im, (unsigned)tw, (unsigned)th_h);
	gdImageDestroy(im);
	if (th == NULL)
		return NULL;
	png = gdImagePngPtr(th, outlen);
	gdImageDestroy(th);
	return png;
}

/*
 * POST /api/messaging/conversations/:id/attachments: 201, 400, 401, 403,
 * 404, 413, 503.  multipart/form-data with part "file" (1 byte to 10 MiB)
 * and an optional caption "content".  The type comes from the bytes; the
 * file is stored under a random name outside the web root, images get a
 * re-encoded thumbnail, and the automated moderation approves what decodes
 * as its type and rejects the rest.
 */
static void
post_attachment(struct req *r)
{
	struct part	 file = { 0 }, content = { 0 };
	const char	*type, *dir, *ctype, *fname, *verdict, *reason, *p[11];
	const char	*allowed[] = { "image/png", "image/jpeg", "image/gif",
			    "image/webp", "application/pdf", "text/plain" };
	char		 name[33], tname[48], size[24], *caption = NULL;
	char		*slash, *thumb = NULL;
	void		*png = NULL;
	int		 pnglen = 0, is_image, ok = 0;
	size_t		 i;
	PGresult	*res;

	if (multipart_parse(r, &file, &content) == -1) {
		err_reply(r, ERR_VALIDATION,
		    "The body must be multipart/form-data");
		return;
	}
	if (!file.found || file.len == 0) {
		err_reply(r, ERR_VALIDATION, "file is required (1 byte or more)");
		return;
	}
	if ((long)file.len > UPLOAD_MAX) {
		err_reply(r, ERR_PAYLOAD_TOO_LARGE,
		    "file must be at most 10 MiB");
		return;
	}
	if (content.found) {
		long c = utf8_chars(content.data, content.len);

		if (c < 0 || c > 4000) {
			err_reply(r, ERR_VALIDATION,
			    "content must be valid text of at most 4000 characters");
			return;
		}
		if (c > 0)
			caption = req_strndup(r, content.data, content.len);
	}
	if (magic == NULL) {
		if ((magic = magic_open(MAGIC_MIME_TYPE)) == NULL ||
		    magic_load(magic, NULL) == -1) {
			log_warnx("libmagic: cannot load its database");
			if (magic != NULL)
				magic_close(magic);
			magic = NULL;
			err_reply(r, ERR_INTERNAL, NULL);
			return;
		}
	}
	type = magic_buffer(magic, file.data, file.len);
	for (i = 0; type != NULL && i < sizeof(allowed) / sizeof(*allowed);
	    i++)
		if (strcmp(type, allowed[i]) == 0)
			ok = 1;
	if (!ok) {
		err_reply(r, ERR_VALIDATION, "This file type is not allowed: "
		    "PNG, JPEG, GIF, WebP, PDF or plain text only");
		return;
	}
	type = req_strdup(r, type);
	is_image = strncmp(type, "image/", 6) == 0;
	fname = file.filename;
	if (fname != NULL && (slash = strrchr(fname, '/')) != NULL)
		fname = slash + 1;
	if (fname != NULL && (slash = strrchr(fname, '\\')) != NULL)
		fname = slash + 1;
	if (fname == NULL || *fname == '\0' || utf8_chars(fname,
	    strlen(fname)) < 0)
		fname = "file";
	else if (strlen(fname) > 255)
		fname = req_strndup(r, fname, 255);

	verdict = "approved";
	reason = "automated: content matches its type";
	if (is_image) {
		png = thumbnail(type, file.data, file.len, &pnglen);
		if (png == NULL) {
			verdict = "rejected";
			reason = "automated: the image does not decode";
		}
	}
	dir = att_dir(r);
	if (random_name(name) == -1 ||
	    write_file(r, dir, name, file.data, file.len) == -1) {
		if (png != NULL)
			gdFree(png);
		err_reply(r, ERR_INTERNAL, NULL);
		return;
	}
	if (png != NULL) {
		snprintf(tname, sizeof(tname), "%s_t.png", name);
		if (write_file(r, dir, tname, png, (size_t)pnglen) == 0)
			thumb = tname;
		gdFree(png);
	}
	ctype = is_image ? "image" : "file";
	snprintf(size, sizeof(size), "%lu", (unsigned long)file.len);
	p[0] = r->user->id;
	p[1] = r->params[0];
	p[2] = caption;
	p[3] = ctype;
	p[4] = fname;
	p[5] = type;
	p[6] = size;
	p[7] = name;
	p[8] = thumb;
	p[9] = verdict;
	p[10] = reason;
	if ((res = db_exec(r, DB_READ, STMT_MSG_ATTACH, p)) == NULL) {
		remove_file(dir, name);
		remove_file(dir, thumb);
		return;
	}
	http_json(r, 201, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
	publish(PQgetvalue(res, 0, 1), "message", r->params[0], "message",
	    PQgetvalue(res, 0, 0), 1);
	PQclear(res);
}

/*
 * GET /api/messaging/attachments/:id and .../thumbnail: 200, 401, 403,
 * 404, 503.  Participants only, approved attachments only; nginx sends
 * the bytes from its internal location (X-Accel-Redirect).
 */
static void
serve_attachment(struct req *r, const char *thumb)
{
	const char	*p[3] = { r->user->id, r->params[0], thumb };
	PGresult	*res;
	struct buf	 b = { 0 };

	if ((res = db_exec(r, DB_READ, STMT_MSG_ATTACHMENT_FILE, p)) == NULL)
		return;
	buf_puts(&b, ACCEL_PREFIX);
	buf_puts(&b, PQgetvalue(res, 0, 0));
	http_header(r, "X-Accel-Redirect", b.s);
	http_header(r, "Cache-Control", "private, no-store");
	buf_free(&b);
	http_empty(r, 200);
	r->content_type = req_strdup(r, PQgetvalue(res, 0, 1));
	PQclear(res);
}

static void
get_attachment(struct req *r)
{
	serve_attachment(r, "false");
}

static void
get_attachment_thumb(struct req *r)
{
	serve_attachment(r, "true");
}

/*
 * POST /api/admin/attachments/:id/moderation: 200, 400, 401, 403, 404,
 * 503.  Role admin only.
 */
static void
post_moderation(struct req *r)
{
	const char	*status, *reason = NULL, *p[3];

	if (auth_require_role(r, "admin", NULL) == -1)
		return;
	if (valid_str(r, r->json, NULL, "status", V_REQUIRED, 1, 16,
	    &status) == -1 || valid_str(r, r->json, NULL, "reason",
	    V_OPTIONAL, 0, 1000, &reason) == -1)
		return;
	if (strcmp(status, "approved") != 0 &&
	    strcmp(status, "rejected") != 0) {
		err_reply(r, ERR_VALIDATION,
		    "status must be \"approved\" or \"rejected\"");
		return;
	}
	p[0] = r->params[0];
	p[1] = status;
	p[2] = reason;
	(void)db_reply_json(r, DB_READ, STMT_MSG_ATTACHMENT_MODERATE, p, 200);
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
	{ "POST", "/api/messaging/conversations/:id/attachments",
	  post_attachment, REQ },
	{ "GET", "/api/messaging/attachments/:id", get_attachment, REQ },
	{ "GET", "/api/messaging/attachments/:id/thumbnail",
	  get_attachment_thumb, REQ },
	{ "POST", "/api/admin/attachments/:id/moderation", post_moderation,
	  REQ | R_BODY },
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
