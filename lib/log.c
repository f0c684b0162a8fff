#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "log.h"

static const char *const level_names[LOG_LVL__MAX] = {
	"error", "warn", "info", "debug",
};

static const char	*log_prog = "musclemap";
static enum log_level	 log_max = LOG_LVL_INFO;
static char		 log_reqid[130];
static char		 log_remote[64];
static char		 log_user[72];

void
log_init(const char *prog, enum log_level lvl)
{
	log_prog = prog;
	log_max = lvl;
}

int
log_level_parse(const char *s)
{
	int	i;

	for (i = 0; i < LOG_LVL__MAX; i++)
		if (strcmp(s, level_names[i]) == 0)
			return i;
	return -1;
}

void
log_set_request(const char *reqid, const char *remote)
{
	snprintf(log_reqid, sizeof(log_reqid), "%s", reqid ? reqid : "");
	snprintf(log_remote, sizeof(log_remote), "%s", remote ? remote : "");
	log_user[0] = '\0';
}

void
log_set_user(const char *user_id)
{
	snprintf(log_user, sizeof(log_user), "%s", user_id ? user_id : "");
}

int
log_enabled(enum log_level lvl)
{
	return lvl <= log_max;
}

/*
 * Formats and writes one line.  The message is JSON-escaped, so control
 * characters from untrusted input cannot forge extra lines.
 */
static void
vlog(enum log_level lvl, int with_errno, const char *fmt, va_list ap)
{
	struct buf	 b = { 0 };
	struct timeval	 tv;
	struct tm	 tm;
	char		 ts[40], msg[2048];
	int		 saved = errno;
	size_t		 n;

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	if (with_errno)
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));

	buf_printf(&b, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"prog\":",
	    ts, (long)(tv.tv_usec / 1000), level_names[lvl]);
	buf_json_str(&b, log_prog);
	buf_printf(&b, ",\"pid\":%ld", (long)getpid());
	if (log_reqid[0] != '\0') {
		buf_puts(&b, ",\"reqId\":");
		buf_json_str(&b, log_reqid);
	}
	if (log_remote[0] != '\0') {
		buf_puts(&b, ",\"remote\":");
		buf_json_str(&b, log_remote);
	}
	if (log_user[0] != '\0') {
		buf_puts(&b, ",\"userId\":");
		buf_json_str(&b, log_user);
	}
	buf_puts(&b, ",\"msg\":");
	buf_json_str(&b, msg);
	buf_puts(&b, "}\n");
	/* One write(2) per line keeps lines whole when workers share a file. */
	if (write(STDERR_FILENO, b.s, b.len) < 0)
		(void)0;
	buf_free(&b);
	errno = saved;
}

#define LOG_FN(name, lvl, with_errno)				\
void								\
name(const char *fmt, ...)					\
{								\
	va_list	ap;						\
								\
	if (!log_enabled(lvl))					\
		return;						\
	va_start(ap, fmt);					\
	vlog(lvl, with_errno, fmt, ap);				\
	va_end(ap);						\
}

LOG_FN(log_warn, LOG_LVL_WARN, 1)
LOG_FN(log_warnx, LOG_LVL_WARN, 0)
LOG_FN(log_errorx, LOG_LVL_ERROR, 0)
LOG_FN(log_info, LOG_LVL_INFO, 0)
LOG_FN(log_debug, LOG_LVL_DEBUG, 0)
