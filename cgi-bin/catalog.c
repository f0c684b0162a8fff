/*
 * catalog: the exercise catalog (contract §3), served from memory.
 *
 * The unfiltered lists are also written to var/cache/static/ whenever a
 * worker loads a new catalog version; nginx answers those two URLs from
 * the files without coming here, and falls back to this binary when the
 * files are missing.  Filtered lists are rendered once per distinct query
 * and kept in a small direct-mapped cache until the catalog changes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "buf.h"
#include "catalog.h"
#include "cfg.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "mem.h"
#include "route.h"
#include "server.h"
#include "util.h"
#include "valid.h"

#define CACHE_SLOTS	512

struct cached {
	char	*key;		/* normalised query; NULL when empty */
	long	 version;
	char	*body;
	char	 etag[20];
};

static struct cached	cache[CACHE_SLOTS];

/* Loads the catalog; on a new version refreshes nginx's static copies. */
static int
refresh(struct req *r)
{
	char	dir[4096];
	int	rc = catalog_refresh(r);

	if (rc == 1) {
		snprintf(dir, sizeof(dir), "%s/cache/static", cfg->var_dir);
		(void)catalog_render_static(dir);
	}
	return rc < 0 ? -1 : 0;
}

/* Answers 200 with body and etag, or 304 when the client has it. */
static void
reply_cached(struct req *r, const char *body, const char *etag)
{
	const char	*inm = req_env(r, "HTTP_IF_NONE_MATCH");

	http_header(r, "ETag", etag);
	http_header(r, "Cache-Control", "public, max-age=60");
	if (inm != NULL && (strstr(inm, etag) != NULL ||
	    strcmp(inm, "*") == 0)) {
		http_empty(r, 304);
		return;
	}
	http_json(r, 200, body, strlen(body));
}

/* GET /api/muscles: 200, 304, 503. */
static void
get_muscles(struct req *r)
{
	const struct catalog	*c;

	if (refresh(r) == -1)
		return;
	c = catalog_get();
	reply_cached(r, c->muscles_json, c->muscles_etag);
}

/* Fills ids with the exercises matching search, best first, via pg_trgm. */
static int
search_ids(struct req *r, const char *text, char ***ids, int *n)
{
	const char	*params[1] = { text };
	PGresult	*res;
	int		 i;

	if ((res = db_exec(r, DB_REPLICA, STMT_CATALOG_SEARCH, params)) == NULL)
		return -1;
	*n = PQntuples(res);
	*ids = xcalloc((size_t)*n + 1, sizeof(char *));
	for (i = 0; i < *n; i++)
		(*ids)[i] = xstrdup(PQgetvalue(res, i, 0));
	PQclear(res);
	return 0;
}

static int
matches(const struct exercise *e, const char *location,
    const char *equipment, long difficulty)
{
	if (location != NULL && !catalog_list_has(e->locations, location))
		return 0;
	if (equipment != NULL &&
	    !catalog_list_has(e->equipment_required, equipment))
		return 0;
	return difficulty == 0 || e->difficulty == difficulty;
}

/* Renders the filtered list; 0, or -1 after an error reply. */
static int
render(struct req *r, const char *location, const char *equipment,
    long difficulty, const char *search, struct buf *out)
{
	const struct catalog	*c = catalog_get();
	const struct exercise	*e;
	char			**ids = NULL;
	int			 n = 0, i, first = 1;
	size_t			 k;

	buf_putc(out, '[');
	if (search != NULL) {
		if (search_ids(r, search, &ids, &n) == -1)
			return -1;
		for (i = 0; i < n; i++) {
			e = catalog_exercise(ids[i]);
			if (e != NULL && matches(e, location, equipment,
			    difficulty)) {
				if (!first)
					buf_putc(out, ',');
				buf_puts(out, e->json);
				first = 0;
			}
			free(ids[i]);
		}
		free(ids);
	} else {
		for (k = 0; k < c->nexercises; k++) {
			e = &c->exercises[k];
			if (!matches(e, location, equipment, difficulty))
				continue;
			if (!first)
				buf_putc(out, ',');
			buf_puts(out, e->json);
			first = 0;
		}
	}
	buf_putc(out, ']');
	return 0;
}

/* GET /api/exercises: 200, 304, 400, 503. */
static void
get_exercises(struct req *r)
{
	const struct catalog	*c;
	const char		*location, *equipment, *search;
	struct cached		*slot;
	struct buf		 key = { 0 }, body = { 0 };
	long			 difficulty;

	if (valid_query_str(r, "location", 64, &location) == -1 ||
	    valid_query_str(r, "equipment", 64, &equipment) == -1 ||
	    valid_query_int(r, "difficulty", 1, 5, 0, &difficulty) == -1 ||
	    valid_query_str(r, "search", 100, &search) == -1)
		return;
	if (refresh(r) == -1)
		return;
	c = catalog_get();
	if (location != NULL && *location == '\0')
		location = NULL;
	if (equipment != NULL && *equipment == '\0')
		equipment = NULL;
	if (search != NULL && *search == '\0')
		search = NULL;
	if (location == NULL && equipment == NULL && difficulty == 0 &&
	    search == NULL) {
		reply_cached(r, c->exercises_json, c->exercises_etag);
		return;
	}

	/* The key separates fields with NUL-free, unambiguous framing. */
	buf_printf(&key, "%lu:%s|%lu:%s|%ld|%lu:%s",
	    (unsigned long)(location ? strlen(location) : 0),
	    location ? location : "",
	    (unsigned long)(equipment ? strlen(equipment) : 0),
	    equipment ? equipment : "", difficulty,
	    (unsigned long)(search ? strlen(search) : 0),
	    search ? search : "");
	slot = &cache[util_fnv1a(key.s, key.len) % CACHE_SLOTS];
	if (slot->key != NULL && slot->version == c->version &&
	    strcmp(slot->key, key.s) == 0) {
		buf_free(&key);
		reply_cached(r, slot->body, slot->etag);
		return;
	}
	if (render(r, location, equipment, difficulty, search, &body) == -1) {
		buf_free(&key);
		buf_free(&body);
		return;
	}
	free(slot->key);
	free(slot->body);
	slot->key = buf_take(&key);
	slot->version = c->version;
	slot->body = buf_take(&body);
	catalog_etag(slot->body, strlen(slot->body), slot->etag);
	reply_cached(r, slot->body, slot->etag);
}

/* GET /api/exercises/:id/activations: 200, 304, 404, 503. */
static void
get_activations(struct req *r)
{
	const struct exercise	*e;

	if (refresh(r) == -1)
		return;
	if ((e = catalog_exercise(r->params[0])) == NULL) {
		err_reply(r, ERR_NOT_FOUND, "Exercise not found");
		return;
	}
	reply_cached(r, e->acts_json, e->acts_etag);
}

static int
init(void)
{
	/* Load now so the first request is fast and nginx has its files. */
	(void)refresh(NULL);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/muscles", get_muscles, 0 },
	{ "GET", "/api/exercises", get_exercises, 0 },
	{ "GET", "/api/exercises/:id/activations", get_activations, 0 },
};

static const struct app app = {
	"catalog", routes, sizeof(routes) / sizeof(routes[0]), init,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
