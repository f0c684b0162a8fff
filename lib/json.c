#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "err.h"
#include "http.h"
#include "json.h"

int
utf8_valid(const char *str, size_t n)
{
	const unsigned char	*s = (const unsigned char *)str;
	size_t			 i = 0;

	while (i < n) {
		unsigned char	c = s[i];
		unsigned	cp, need, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (i + need >= n)
			return 0;
		for (k = 1; k <= need; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

size_t
utf8_len(const char *s)
{
	size_t	n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

/*
 * Finds a \u0000 escape (or an escaped lone surrogate pair that would
 * decode to it) in raw JSON text.  Backslash pairs are skipped so that
 * "\\u0000" (a backslash followed by text) is not mistaken for one.
 */
static int
has_nul_escape(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i + 1 < n; i++) {
		if (s[i] != '\\')
			continue;
		if (s[i + 1] == 'u' && i + 5 < n &&
		    memcmp(s + i + 2, "0000", 4) == 0)
			return 1;
		i++;	/* skip the escaped character */
	}
	return 0;
}

int
json_parse_body(struct req *r, int allow_empty)
{
	const char	*ct = req_env(r, "CONTENT_TYPE");
	const char	*end = NULL;
	size_t		 i;

	for (i = 0; i < r->body_len; i++)
		if (r->body[i] != ' ' && r->body[i] != '\n' &&
		    r->body[i] != '\r' && r->body[i] != '\t')
			break;
	if (i == r->body_len) {
		if (allow_empty) {
			r->json = cJSON_CreateObject();
			return 0;
		}
		err_reply(r, ERR_VALIDATION, "Request body must be a JSON "
		    "object");
		return -1;
	}
	if (ct == NULL || strncasecmp(ct, "application/json", 16) != 0 ||
	    (ct[16] != '\0' && ct[16] != ';' && ct[16] != ' ')) {
		err_reply(r, ERR_VALIDATION, "Content-Type must be "
		    "application/json");
		return -1;
	}
	if (memchr(r->body, '\0', r->body_len) != NULL ||
	    !utf8_valid(r->body, r->body_len)) {
		err_reply(r, ERR_VALIDATION, "Request body must be valid "
		    "UTF-8 without NUL characters");
		return -1;
	}
	if (has_nul_escape(r->body, r->body_len)) {
		err_reply(r, ERR_VALIDATION, "Strings must not contain "
		    "U+0000");
		return -1;
	}
	r->json = cJSON_ParseWithLengthOpts(r->body, r->body_len, &end, 0);
	if (r->json != NULL) {
		/* Only white space may follow the value. */
		for (; end < r->body + r->body_len; end++)
			if (*end != ' ' && *end != '\n' && *end != '\r' &&
			    *end != '\t')
				break;
		if (end < r->body + r->body_len) {
			cJSON_Delete(r->json);
			r->json = NULL;
		}
	}
	if (r->json == NULL) {
		err_reply(r, ERR_VALIDATION, "Request body is not valid JSON");
		return -1;
	}
	if (!cJSON_IsObject(r->json)) {
		err_reply(r, ERR_VALIDATION, "Request body must be a JSON "
		    "object");
		return -1;
	}
	return 0;
}
