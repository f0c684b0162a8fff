#include <stdarg.h>
#include <stdio.h>

#include "buf.h"
#include "err.h"
#include "http.h"

static const struct {
	const char	*code;
	int		 status;
	const char	*message;
} errs[ERR__MAX] = {
	{ "VALIDATION_ERROR", 400, "The request is not valid" },
	{ "INSUFFICIENT_CREDITS", 400, "Not enough credits" },
	{ "UNAUTHORIZED", 401, "Authentication required" },
	{ "FORBIDDEN", 403, "You are not allowed to do this" },
	{ "NOT_FOUND", 404, "Not found" },
	{ "METHOD_NOT_ALLOWED", 405, "Method not allowed" },
	{ "CONFLICT", 409, "Conflict" },
	{ "PAYLOAD_TOO_LARGE", 413, "Request body too large" },
	{ "RATE_LIMITED", 429, "Too many requests" },
	{ "INTERNAL_ERROR", 500, "Internal server error" },
	{ "SERVICE_UNAVAILABLE", 503, "Service temporarily unavailable" },
};

const char *
err_code(enum err e)
{
	return errs[e].code;
}

int
err_status(enum err e)
{
	return errs[e].status;
}

void
err_reply(struct req *r, enum err e, const char *message)
{
	struct buf	b = { 0 };

	if (message == NULL || *message == '\0')
		message = errs[e].message;
	buf_puts(&b, "{\"error\":{\"code\":\"");
	buf_puts(&b, errs[e].code);
	buf_puts(&b, "\",\"message\":");
	buf_json_str(&b, message);
	buf_printf(&b, ",\"statusCode\":%d}}", errs[e].status);
	/* An error replaces whatever the handler had started to write. */
	buf_reset(&r->out);
	http_json_buf(r, errs[e].status, &b);
}

void
err_replyf(struct req *r, enum err e, const char *fmt, ...)
{
	va_list	ap;
	char	msg[512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	err_reply(r, e, msg);
}
