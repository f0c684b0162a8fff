/*
 * json: request bodies and UTF-8 (contract §1.5).
 *
 * A body must be valid UTF-8 without U+0000 and parse as a JSON object.
 * cJSON neither validates UTF-8 nor keeps an escaped \u0000 (it silently
 * truncates the string there), so both are checked on the raw bytes first.
 */
#ifndef MM_JSON_H
#define MM_JSON_H

#include <stddef.h>

struct req;

/* 1 when s[0..n) is well-formed UTF-8 (no overlongs or surrogates). */
int	utf8_valid(const char *s, size_t n);
/* Number of code points in a valid UTF-8 string. */
size_t	utf8_len(const char *s);

/*
 * Parses r->body into r->json.  With allow_empty an empty body stands for
 * {}.  Returns 0, or -1 after a 400 VALIDATION_ERROR reply.
 */
int	json_parse_body(struct req *, int allow_empty);

#endif
