#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>

#include "buf.h"
#include "catalog.h"
#include "db.h"
#include "err.h"
#include "log.h"
#include "mem.h"
#include "util.h"

static struct catalog	 cat;
static int		 loaded;
static time_t		 checked_at;

const struct catalog *
catalog_get(void)
{
	return loaded ? &cat : NULL;
}

void
catalog_etag(const char *body, size_t n, char *out)
{
	snprintf(out, 20, "\"%016llx\"",
	    (unsigned long long)util_fnv1a(body, n));
}

static char *
etag_of(const char *body)
{
	char	tag[20];

	catalog_etag(body, strlen(body), tag);
	return xstrdup(tag);
}

/* Postgres renders JSON with spaces; store the compact form. */
static char *
compact(const char *json)
{
	cJSON	*tree = cJSON_Parse(json);
	char	*out, *copy;

	if (tree == NULL)
		return xstrdup(json);
	out = cJSON_PrintUnformatted(tree);
	cJSON_Delete(tree);
	if (out == NULL)
		return xstrdup(json);
	copy = xstrdup(out);
	cJSON_free(out);
	return copy;
}

static void
free_list(char **l)
{
	char	**p;

	for (p = l; p != NULL && *p != NULL; p++)
		free(*p);
	free(l);
}

static void
free_catalog(struct catalog *c)
{
	size_t	i;

	for (i = 0; i < c->nmuscles; i++) {
		free(c->muscles[i].id);
		free(c->muscles[i].group);
		free(c->muscles[i].json);
	}
	for (i = 0; i < c->nexercises; i++) {
		struct exercise	*e = &c->exercises[i];

		free(e->id);
		free(e->name);
		free_list(e->locations);
		free_list(e->equipment_required);
		free_list(e->primary_muscles);
		free(e->movement_pattern);
		free(e->json);
		free(e->acts);
		free(e->acts_json);
		free(e->acts_etag);
	}
	free(c->muscles);
	free(c->exercises);
	free(c->muscles_json);
	free(c->muscles_etag);
	free(c->exercises_json);
	free(c->exercises_etag);
	memset(c, 0, sizeof(*c));
}

void
catalog_free(void)
{
	free_catalog(&cat);
	loaded = 0;
}

/* A JSON array of strings as a NULL-terminated list. */
static char **
parse_list(const char *json)
{
	cJSON	*arr = cJSON_Parse(json), *it;
	char	**l;
	size_t	 n = 0;

	l = xcalloc((size_t)(cJSON_IsArray(arr) ?
	    cJSON_GetArraySize(arr) : 0) + 1, sizeof(char *));
	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it))
			l[n++] = xstrdup(it->valuestring);
	cJSON_Delete(arr);
	return l;
}

int
catalog_list_has(char *const *list, const char *s)
{
	for (; list != NULL && *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

static long
muscle_index(const struct catalog *c, const char *id)
{
	size_t	i;

	for (i = 0; i < c->nmuscles; i++)
		if (strcmp(c->muscles[i].id, id) == 0)
			return (long)i;
	return -1;
}

long
catalog_muscle_index(const char *id)
{
	return loaded ? muscle_index(&cat, id) : -1;
}

static struct exercise *
find_exercise(const struct catalog *c, const char *id)
{
	size_t	i;

	for (i = 0; i < c->nexercises; i++)
		if (strcmp(c->exercises[i].id, id) == 0)
			return &c->exercises[i];
	return NULL;
}

const struct exercise *
catalog_exercise(const char *id)
{
	return loaded ? find_exercise(&cat, id) : NULL;
}

static int
load_muscles(struct catalog *c)
{
	PGresult	*res = db_exec(NULL, DB_REPLICA, STMT_CATALOG_MUSCLES, NULL);
	struct buf	 b = { 0 };
	int		 i, n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	c->muscles = xcalloc((size_t)n, sizeof(struct muscle));
	c->nmuscles = (size_t)n;
	buf_putc(&b, '[');
	for (i = 0; i < n; i++) {
		struct muscle	*m = &c->muscles[i];

		m->id = xstrdup(PQgetvalue(res, i, 0));
		m->group = xstrdup(PQgetvalue(res, i, 1));
		m->bias_weight = strtod(PQgetvalue(res, i, 2), NULL);
		m->json = compact(PQgetvalue(res, i, 3));
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, m->json);
	}
	buf_putc(&b, ']');
	PQclear(res);
	c->muscles_json = buf_take(&b);
	c->muscles_etag = etag_of(c->muscles_json);
	return 0;
}

static int
load_exercises(struct catalog *c)
{
	PGresult	*res = db_exec(NULL, DB_REPLICA, STMT_CATALOG_EXERCISES,
	    NULL);
	struct buf	 b = { 0 };
	int		 i, n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	c->exercises = xcalloc((size_t)n, sizeof(struct exercise));
	c->nexercises = (size_t)n;
	buf_putc(&b, '[');
	for (i = 0; i < n; i++) {
		struct exercise	*e = &c->exercises[i];

		e->id = xstrdup(PQgetvalue(res, i, 0));
		e->name = xstrdup(PQgetvalue(res, i, 1));
		e->difficulty = atoi(PQgetvalue(res, i, 2));
		e->locations = parse_list(PQgetvalue(res, i, 3));
		e->equipment_required = parse_list(PQgetvalue(res, i, 4));
		e->primary_muscles = parse_list(PQgetvalue(res, i, 5));
		e->estimated_seconds = atoi(PQgetvalue(res, i, 6));
		e->rest_seconds = atoi(PQgetvalue(res, i, 7));
		e->movement_pattern = PQgetisnull(res, i, 8) ? NULL :
		    xstrdup(PQgetvalue(res, i, 8));
		e->is_compound = PQgetvalue(res, i, 9)[0] == 't';
		e->json = compact(PQgetvalue(res, i, 10));
		if (i > 0)
			buf_putc(&b, ',');
		buf_puts(&b, e->json);
	}
	buf_putc(&b, ']');
	PQclear(res);
	c->exercises_json = buf_take(&b);
	c->exercises_etag = etag_of(c->exercises_json);
	return 0;
}

static int
load_activations(struct catalog *c)
{
	PGresult	*res = db_exec(NULL, DB_REPLICA, STMT_CATALOG_ACTIVATIONS,
	    NULL);
	struct buf	 b = { 0 };
	size_t		 i, k;
	int		 row, n;

	if (res == NULL)
		return -1;
	n = PQntuples(res);
	for (row = 0; row < n; row++) {
		struct exercise	*e = find_exercise(c, PQgetvalue(res, row, 0));
		long		 m = muscle_index(c, PQgetvalue(res, row, 1));

		if (e == NULL || m < 0)
			continue;
		e->acts = xrealloc(e->acts, (e->nacts + 1) *
		    sizeof(struct activation));
		e->acts[e->nacts].muscle = (size_t)m;
		e->acts[e->nacts].activation = atoi(PQgetvalue(res, row, 2));
		e->nacts++;
	}
	PQclear(res);
	for (i = 0; i < c->nexercises; i++) {
		struct exercise	*e = &c->exercises[i];

		buf_reset(&b);
		buf_puts(&b, "{\"exerciseId\":");
		buf_json_str(&b, e->id);
		buf_puts(&b, ",\"activations\":[");
		for (k = 0; k < e->nacts; k++) {
			buf_puts(&b, k ? ",{\"muscleId\":" : "{\"muscleId\":");
			buf_json_str(&b, c->muscles[e->acts[k].muscle].id);
			buf_printf(&b, ",\"activation\":%d}",
			    e->acts[k].activation);
		}
		buf_puts(&b, "]}");
		e->acts_json = xstrdup(b.s);
		e->acts_etag = etag_of(e->acts_json);
	}
	buf_free(&b);
	return 0;
}

static long
current_version(void)
{
	PGresult	*res = db_exec(NULL, DB_REPLICA, STMT_CATALOG_VERSION, NULL);
	long		 v = -1;

	if (res == NULL)
		return -1;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0))
		v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

int
catalog_refresh(struct req *r)
{
	struct catalog	next;
	time_t		now = time(NULL);
	long		v;

	if (loaded && now == checked_at)
		return 0;
	v = current_version();
	if (v < 0) {
		if (loaded)
			return 0;	/* serve what we have */
		if (r != NULL)
			err_reply(r, ERR_SERVICE_UNAVAILABLE,
			    "Catalog unavailable");
		return -1;
	}
	checked_at = now;
	if (loaded && v == cat.version)
		return 0;
	memset(&next, 0, sizeof(next));
	next.version = v;
	if (load_muscles(&next) == -1 || load_exercises(&next) == -1 ||
	    load_activations(&next) == -1) {
		free_catalog(&next);
		if (loaded)
			return 0;
		if (r != NULL)
			err_reply(r, ERR_SERVICE_UNAVAILABLE,
			    "Catalog unavailable");
		return -1;
	}
	free_catalog(&cat);
	cat = next;
	loaded = 1;
	log_info("catalog version %ld loaded: %lu muscles, %lu exercises",
	    v, (unsigned long)cat.nmuscles, (unsigned long)cat.nexercises);
	return 1;
}

static int
write_atomic(const char *dir, const char *name, const char *data)
{
	char	path[4096], tmp[4200];
	size_t	n = strlen(data);
	int	fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) == -1) {
		log_warn("open %s", tmp);
		return -1;
	}
	if (write(fd, data, n) != (ssize_t)n || close(fd) == -1) {
		log_warn("write %s", tmp);
		unlink(tmp);
		return -1;
	}
	if (rename(tmp, path) == -1) {
		log_warn("rename %s", path);
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Creates dir and its parents (like mkdir -p). */
static int
mkdirs(const char *dir)
{
	char	p[4096], *s;

	snprintf(p, sizeof(p), "%s", dir);
	for (s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) == -1 && errno != EEXIST)
			return -1;
		*s = '/';
	}
	return (mkdir(p, 0755) == -1 && errno != EEXIST) ? -1 : 0;
}

int
catalog_render_static(const char *dir)
{
	char	api[4096];

	if (!loaded)
		return -1;
	snprintf(api, sizeof(api), "%s/api", dir);
	if (mkdirs(api) == -1) {
		log_warn("mkdir %s", api);
		return -1;
	}
	if (write_atomic(api, "muscles.json", cat.muscles_json) == -1 ||
	    write_atomic(api, "exercises.json", cat.exercises_json) == -1)
		return -1;
	return 0;
}
