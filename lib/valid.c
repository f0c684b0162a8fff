#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "err.h"
#include "http.h"
#include "json.h"
#include "valid.h"

/* Looks up key; NULL when absent or JSON null. */
static const cJSON *
field(const cJSON *obj, const char *key)
{
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNull(v) ? NULL : v;
}

static void
bad(struct req *r, const char *path, const char *key, const char *what)
{
	if (path != NULL)
		err_replyf(r, ERR_VALIDATION, "%s.%s %s", path, key, what);
	else
		err_replyf(r, ERR_VALIDATION, "%s %s", key, what);
}

static int
absent(struct req *r, const char *path, const char *key, int required)
{
	if (!required)
		return 0;
	bad(r, path, key, "is required");
	return -1;
}

int
valid_str(struct req *r, const cJSON *obj, const char *path, const char *key,
    int required, size_t minlen, size_t maxlen, const char **out)
{
	const cJSON	*v = field(obj, key);
	size_t		 n;
	char		 what[96];

	*out = NULL;
	if (v == NULL)
		return absent(r, path, key, required);
	if (!cJSON_IsString(v)) {
		bad(r, path, key, "must be a string");
		return -1;
	}
	n = utf8_len(v->valuestring);
	if (n < minlen || n > maxlen) {
		if (minlen == maxlen)
			snprintf(what, sizeof(what), "must be %lu characters",
			    (unsigned long)minlen);
		else if (minlen > 0)
			snprintf(what, sizeof(what), "must be %lu to %lu "
			    "characters", (unsigned long)minlen,
			    (unsigned long)maxlen);
		else
			snprintf(what, sizeof(what), "must be at most %lu "
			    "characters", (unsigned long)maxlen);
		bad(r, path, key, what);
		return -1;
	}
	*out = v->valuestring;
	return 1;
}

int
valid_int(struct req *r, const cJSON *obj, const char *path, const char *key,
    int required, long min, long max, long *out)
{
	const cJSON	*v = field(obj, key);
	char		 what[96];
	double		 d;

	if (v == NULL)
		return absent(r, path, key, required);
	snprintf(what, sizeof(what), "must be an integer from %ld to %ld",
	    min, max);
	if (!cJSON_IsNumber(v)) {
		bad(r, path, key, what);
		return -1;
	}
	d = v->valuedouble;
	if (!isfinite(d) || floor(d) != d || d < (double)min ||
	    d > (double)max) {
		bad(r, path, key, what);
		return -1;
	}
	*out = (long)d;
	return 1;
}

int
valid_num(struct req *r, const cJSON *obj, const char *path, const char *key,
    int required, double min, double max, double *out)
{
	const cJSON	*v = field(obj, key);
	char		 what[96];

	if (v == NULL)
		return absent(r, path, key, required);
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < min || v->valuedouble > max) {
		snprintf(what, sizeof(what), "must be a number from %g to %g",
		    min, max);
		bad(r, path, key, what);
		return -1;
	}
	*out = v->valuedouble;
	return 1;
}

int
valid_bool(struct req *r, const cJSON *obj, const char *path, const char *key,
    int required, int *out)
{
	const cJSON	*v = field(obj, key);

	if (v == NULL)
		return absent(r, path, key, required);
	if (!cJSON_IsBool(v)) {
		bad(r, path, key, "must be true or false");
		return -1;
	}
	*out = cJSON_IsTrue(v);
	return 1;
}

int
valid_array(struct req *r, const cJSON *obj, const char *path,
    const char *key, int required, size_t min, size_t max,
    const cJSON **out)
{
	const cJSON	*v = field(obj, key);
	size_t		 n;
	char		 what[96];

	*out = NULL;
	if (v == NULL)
		return absent(r, path, key, required);
	if (!cJSON_IsArray(v)) {
		bad(r, path, key, "must be an array");
		return -1;
	}
	n = (size_t)cJSON_GetArraySize(v);
	if (n < min || n > max) {
		snprintf(what, sizeof(what), "must have %lu to %lu items",
		    (unsigned long)min, (unsigned long)max);
		bad(r, path, key, what);
		return -1;
	}
	*out = v;
	return 1;
}

int
valid_object(struct req *r, const cJSON *obj, const char *path,
    const char *key, int required, const cJSON **out)
{
	const cJSON	*v = field(obj, key);

	*out = NULL;
	if (v == NULL)
		return absent(r, path, key, required);
	if (!cJSON_IsObject(v)) {
		bad(r, path, key, "must be an object");
		return -1;
	}
	*out = v;
	return 1;
}

int
valid_query_int(struct req *r, const char *name, long min, long max,
    long def, long *out)
{
	const char	*v = req_query(r, name);
	char		*end;
	long		 n;

	*out = def;
	if (v == NULL || *v == '\0')
		return 0;
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno || *end != '\0' || !(isdigit((unsigned char)*v) ||
	    *v == '-') || n < min || n > max) {
		err_replyf(r, ERR_VALIDATION, "Query parameter %s must be an "
		    "integer from %ld to %ld", name, min, max);
		return -1;
	}
	*out = n;
	return 1;
}

int
valid_query_str(struct req *r, const char *name, size_t maxlen,
    const char **out)
{
	const char	*v = req_query(r, name);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (!utf8_valid(v, strlen(v)) || utf8_len(v) > maxlen) {
		err_replyf(r, ERR_VALIDATION, "Query parameter %s must be at "
		    "most %lu characters of text", name,
		    (unsigned long)maxlen);
		return -1;
	}
	*out = v;
	return 1;
}

int
valid_date(const char *s)
{
	static const int	days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30,
	    31, 30, 31 };
	int			y, m, d, i, leap;

	if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return 0;
	for (i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return 0;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
		return 0;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days[m - 1] + (m == 2 && leap);
}
