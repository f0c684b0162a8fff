/*
 * log: one JSON object per line on stderr (UTC time, level, program, pid,
 * request id, client address, message).  The stack redirects each program's
 * stderr to var/log/<program>.log.
 *
 * The non-x forms append strerror(errno), as in OpenBSD's log.c.
 */
#ifndef MM_LOG_H
#define MM_LOG_H

enum log_level {
	LOG_LVL_ERROR,
	LOG_LVL_WARN,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG,
	LOG_LVL__MAX
};

void	log_init(const char *prog, enum log_level);
/* Parses "error", "warn", "info" or "debug"; -1 when unknown. */
int	log_level_parse(const char *);
/* Sets the request the following lines belong to; NULLs clear it. */
void	log_set_request(const char *request_id, const char *remote);
/* Sets the signed-in user of the current request (cleared with it). */
void	log_set_user(const char *user_id);
int	log_enabled(enum log_level);

void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_errorx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));

#endif
