/*
 * valid: field checks that answer 400 VALIDATION_ERROR with a message
 * naming the field (contract §1.5: strict types, lengths in characters,
 * null counts as absent only for optional fields).
 *
 * JSON getters return 1 when the field is present and valid, 0 when it is
 * absent (or null) and optional, and -1 after the 400 reply.  `path`
 * prefixes the field name in messages, e.g. "exercises[2]"; NULL for the
 * top level.
 */
#ifndef MM_VALID_H
#define MM_VALID_H

#include <stddef.h>

struct cJSON;
struct req;

#define V_OPTIONAL	0
#define V_REQUIRED	1

int	valid_str(struct req *, const struct cJSON *obj, const char *path,
	    const char *key, int required, size_t minlen, size_t maxlen,
	    const char **out);
int	valid_int(struct req *, const struct cJSON *obj, const char *path,
	    const char *key, int required, long min, long max, long *out);
int	valid_num(struct req *, const struct cJSON *obj, const char *path,
	    const char *key, int required, double min, double max,
	    double *out);
int	valid_bool(struct req *, const struct cJSON *obj, const char *path,
	    const char *key, int required, int *out);
int	valid_array(struct req *, const struct cJSON *obj, const char *path,
	    const char *key, int required, size_t min, size_t max,
	    const struct cJSON **out);
int	valid_object(struct req *, const struct cJSON *obj, const char *path,
	    const char *key, int required, const struct cJSON **out);

/*
 * Query parameters.  Absent (or empty) gives def and 0; a bad value
 * answers 400 and gives -1.
 */
int	valid_query_int(struct req *, const char *name, long min, long max,
	    long def, long *out);
/* A string of at most maxlen characters; NULL when absent. */
int	valid_query_str(struct req *, const char *name, size_t maxlen,
	    const char **out);
/* 1 when s is a real calendar date written YYYY-MM-DD. */
int	valid_date(const char *s);

#endif
