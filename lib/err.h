/*
 * err: the error table and the one writer of the error envelope
 * {"error":{"code","message","statusCode"}} (contract §1.3).
 */
#ifndef MM_ERR_H
#define MM_ERR_H

struct req;

enum err {
	ERR_VALIDATION,
	ERR_INSUFFICIENT_CREDITS,
	ERR_UNAUTHORIZED,
	ERR_FORBIDDEN,
	ERR_NOT_FOUND,
	ERR_METHOD_NOT_ALLOWED,
	ERR_CONFLICT,
	ERR_PAYLOAD_TOO_LARGE,
	ERR_RATE_LIMITED,
	ERR_INTERNAL,
	ERR_SERVICE_UNAVAILABLE,
	ERR__MAX
};

const char	*err_code(enum err);
int		 err_status(enum err);
/*
 * Replaces any response written so far with the envelope for e.  A NULL
 * message uses the table's safe default.  Never put internal detail (SQL,
 * paths, library text) in the message: log it instead.
 */
void	err_reply(struct req *, enum err, const char *message);
void	err_replyf(struct req *, enum err, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
