/*
 * buf: a growable byte buffer, used for response headers and bodies and for
 * building JSON by hand on hot paths.
 */
#ifndef MM_BUF_H
#define MM_BUF_H

#include <stddef.h>

struct buf {
	char	*s;	/* always NUL-terminated once anything was added */
	size_t	 len;
	size_t	 cap;
};

void	buf_add(struct buf *, const void *, size_t);
void	buf_puts(struct buf *, const char *);
void	buf_putc(struct buf *, char);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
/* Appends s as a JSON string literal, quotes included; NULL gives null. */
void	buf_json_str(struct buf *, const char *);
void	buf_json_strn(struct buf *, const char *, size_t);
void	buf_reset(struct buf *);
/* Releases the storage; the buffer may be reused afterwards. */
void	buf_free(struct buf *);
/* Hands the storage to the caller (who frees it) and empties the buffer. */
char	*buf_take(struct buf *);

#endif
