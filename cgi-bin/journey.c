/*
 * journey: archetypes, levels, weekly progress and workout prescriptions
 * (contract §6).
 *
 * Archetypes, levels and progress are answered by stored functions in
 * sql/functions/journey.sql.  A prescription is planned here, from the
 * in-memory catalog, by the solver in lib/prescribe.c; one stored function
 * call in autocommit then stores it for unlimited users (or answers a
 * replayed key), and only the free tier's, which is charged, takes a
 * SERIALIZABLE transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "auth.h"
#include "buf.h"
#include "catalog.h"
#include "db.h"
#include "err.h"
#include "http.h"
#include "prescribe.h"
#include "route.h"
#include "server.h"
#include "valid.h"

#define MAX_EQUIPMENT	100
#define MAX_TARGETS	50
#define MAX_EXCLUDE_EX	200
#define MAX_EXCLUDE_MUS	50
#define MAX_GOALS	100

static const char *const locations[] = { "gym", "home", "outdoor", "park",
    "hotel", "office", "travel", NULL };

/* Goal names in the contract's order, with their bits. */
static const struct {
	const char	*name;
	unsigned	 bit;
} goal_names[] = {
	{ "strength", RX_GOAL_STRENGTH },
	{ "hypertrophy", RX_GOAL_HYPERTROPHY },
	{ "endurance", RX_GOAL_ENDURANCE },
	{ "mobility", RX_GOAL_MOBILITY },
	{ "fat_loss", RX_GOAL_FAT_LOSS },
};

static const char *const levels[] = { "beginner", "intermediate",
    "advanced", NULL };

/* GET /api/archetypes: 200, 503. */
static void
get_archetypes(struct req *r)
{
	(void)db_reply_json(r, DB_READ, STMT_JOURNEY_ARCHETYPES, NULL, 200);
}

/* GET /api/archetypes/:id/levels: 200, 404, 503. */
static void
get_levels(struct req *r)
{
	const char	*params[1] = { r->params[0] };

	(void)db_reply_json(r, DB_READ, STMT_JOURNEY_LEVELS, params, 200);
}

/*
 * POST /api/journey/select-archetype and POST /api/archetypes/select:
 * 200, 400, 401, 403, 404 (unknown archetype), 503.
 */
static void
post_select(struct req *r)
{
	const char	*id, *params[2];

	if (valid_str(r, r->json, NULL, "archetypeId", V_REQUIRED, 0, 1000,
	    &id) == -1)
		return;
	params[0] = r->user->id;
	params[1] = id;
	(void)db_reply_json(r, DB_SERIALIZABLE, STMT_JOURNEY_SELECT, params,
	    200);
}

/* GET /api/journey: 200, 401, 403, 503. */
static void
get_journey(struct req *r)
{
	const char	*params[1] = { r->user->id };

	(void)db_reply_json(r, DB_READ, STMT_JOURNEY_OVERVIEW, params, 200);
}

/* GET /api/journey/progress: 200, 401, 403, 503. */
static void
get_progress(struct req *r)
{
	const char	*params[1] = { r->user->id };

	(void)db_reply_json(r, DB_READ, STMT_JOURNEY_PROGRESS, params, 200);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts list and drops duplicates; returns the new length. */
static size_t
sort_unique(const char **list, size_t n)
{
	size_t	i, k = 0;

	qsort(list, n, sizeof(*list), cmp_str);
	for (i = 0; i < n; i++)
		if (k == 0 || strcmp(list[k - 1], list[i]) != 0)
			list[k++] = list[i];
	return k;
}

static int
in_list(const char *const *list, const char *s)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, s) == 0)
			return 1;
	return 0;
}

/*
 * Reads an optional array of strings into out (request memory); sets *n.
 * Returns 0, or -1 after a 400.
 */
static int
str_array(struct req *r, const char *key, size_t max, const char ***out,
    size_t *n)
{
	const cJSON	*arr, *it;
	int		 rc;

	*out = NULL;
	*n = 0;
	if ((rc = valid_array(r, r->json, NULL, key, V_OPTIONAL, 0, max,
	    &arr)) == -1)
		return -1;
	*out = req_alloc(r, (max + 1) * sizeof(**out));
	if (rc == 0)
		return 0;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsString(it)) {
			err_replyf(r, ERR_VALIDATION, "%s[%lu] must be a "
			    "string", key, (unsigned long)*n);
			return -1;
		}
		(*out)[(*n)++] = it->valuestring;
	}
	return 0;
}

static void
json_str_list(struct buf *b, const char *key, const char *const *l, size_t n)
{
	size_t	i;

	buf_printf(b, ",\"%s\":[", key);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_json_str(b, l[i]);
	}
	buf_putc(b, ']');
}

/*
 * Validates the §6.7 body into req and writes the normalized request
 * (defaults filled in, lists sorted and without duplicates, targets and
 * muscles in the catalog's spelling) into constraints.  The plan depends
 * on the normalized request only, so equal requests give equal plans
 * whatever their order.  Returns 0, or -1 after a 400.
 */
static int
read_request(struct req *r, const struct catalog *cat, struct rx_request *rq,
    struct buf *constraints, const char **key)
{
	const cJSON		 *body = r->json;
	const char		**equip, **targets, **exex, **exmus, **goals;
	const char		 *location, *level;
	struct rx_target	 *tg;
	size_t			 neq, ntg, nexex, nexmus, ngoals, i, k, n;
	size_t			 *mus;
	long			  duration = 45;
	int			  prefer = -1, rc;

	memset(rq, 0, sizeof(*rq));
	if (valid_int(r, body, NULL, "duration", V_OPTIONAL, 15, 120,
	    &duration) == -1 ||
	    valid_str(r, body, NULL, "location", V_OPTIONAL, 0, 64,
	    &location) == -1)
		return -1;
	if (location == NULL)
		location = "gym";
	else if (!in_list(locations, location)) {
		err_reply(r, ERR_VALIDATION, "location must be one of gym, "
		    "home, outdoor, park, hotel, office, travel");
		return -1;
	}
	if (str_array(r, "equipment", MAX_EQUIPMENT, &equip, &neq) == -1 ||
	    str_array(r, "muscleTargets", MAX_TARGETS, &targets, &ntg) == -1 ||
	    str_array(r, "excludeExercises", MAX_EXCLUDE_EX, &exex,
	    &nexex) == -1 ||
	    str_array(r, "excludeMuscles", MAX_EXCLUDE_MUS, &exmus,
	    &nexmus) == -1 ||
	    str_array(r, "goals", MAX_GOALS, &goals, &ngoals) == -1)
		return -1;
	if (valid_str(r, body, NULL, "fitnessLevel", V_OPTIONAL, 0, 64,
	    &level) == -1)
		return -1;
	if (level != NULL && !in_list(levels, level)) {
		err_reply(r, ERR_VALIDATION, "fitnessLevel must be one of "
		    "beginner, intermediate, advanced");
		return -1;
	}
	if ((rc = valid_bool(r, body, NULL, "preferCompound", V_OPTIONAL,
	    &prefer)) == -1)
		return -1;
	if (rc == 0)
		prefer = -1;
	if (valid_str(r, body, NULL, "idempotencyKey", V_OPTIONAL, 1, 128,
	    key) == -1)
		return -1;

	/* Targets: muscle ids or groups, case-insensitive, canonicalized. */
	for (i = 0; i < ntg; i++) {
		struct rx_target	t;

		if (prescribe_target(cat, targets[i], &t) == -1) {
			err_replyf(r, ERR_VALIDATION, "muscleTargets[%lu] is "
			    "neither a muscle id nor a muscle group",
			    (unsigned long)i);
			return -1;
		}
		targets[i] = t.group != NULL ? t.group :
		    cat->muscles[t.muscle].id;
	}
	ntg = sort_unique(targets, ntg);
	tg = req_alloc(r, (ntg + 1) * sizeof(*tg));
	for (i = 0; i < ntg; i++)
		(void)prescribe_target(cat, targets[i], &tg[i]);

	for (i = 0; i < nexmus; i++) {
		struct rx_target	t;

		if (prescribe_target(cat, exmus[i], &t) == -1 ||
		    t.group != NULL) {
			err_replyf(r, ERR_VALIDATION, "excludeMuscles[%lu] is "
			    "not a muscle id", (unsigned long)i);
			return -1;
		}
		exmus[i] = cat->muscles[t.muscle].id;
	}
	nexmus = sort_unique(exmus, nexmus);
	mus = req_alloc(r, (nexmus + 1) * sizeof(*mus));
	for (i = 0; i < nexmus; i++) {
		struct rx_target	t;

		(void)prescribe_target(cat, exmus[i], &t);
		mus[i] = (size_t)t.muscle;
	}

	/* Unknown exercise ids are ignored. */
	for (i = k = 0; i < nexex; i++)
		if (catalog_exercise(exex[i]) != NULL)
			exex[k++] = exex[i];
	nexex = sort_unique(exex, k);
	neq = sort_unique(equip, neq);

	for (i = 0; i < ngoals; i++) {
		for (k = 0; k < sizeof(goal_names) / sizeof(goal_names[0]); k++)
			if (strcmp(goals[i], goal_names[k].name) == 0)
				break;
		if (k == sizeof(goal_names) / sizeof(goal_names[0])) {
			err_replyf(r, ERR_VALIDATION, "goals[%lu] must be one "
			    "of strength, hypertrophy, endurance, mobility, "
			    "fat_loss", (unsigned long)i);
			return -1;
		}
		rq->goals |= goal_names[k].bit;
	}

	rq->duration = (int)duration;
	rq->location = location;
	rq->equipment = equip;
	rq->nequipment = neq;
	rq->exclude_exercises = exex;
	rq->nexclude_exercises = nexex;
	rq->exclude_muscles = mus;
	rq->nexclude_muscles = nexmus;
	rq->targets = tg;
	rq->ntargets = ntg;
	rq->level = level == NULL ? RX_LEVEL_ANY :
	    strcmp(level, "beginner") == 0 ? RX_LEVEL_BEGINNER :
	    strcmp(level, "intermediate") == 0 ? RX_LEVEL_INTERMEDIATE :
	    RX_LEVEL_ADVANCED;
	rq->prefer_compound = prefer;

	buf_printf(constraints, "{\"duration\":%d,\"location\":",
	    rq->duration);
	buf_json_str(constraints, location);
	json_str_list(constraints, "equipment", equip, neq);
	json_str_list(constraints, "muscleTargets", targets, ntg);
	json_str_list(constraints, "excludeExercises", exex, nexex);
	json_str_list(constraints, "excludeMuscles", exmus, nexmus);
	buf_puts(constraints, ",\"goals\":[");
	for (k = n = 0; k < sizeof(goal_names) / sizeof(goal_names[0]); k++)
		if (rq->goals & goal_names[k].bit) {
			if (n++ > 0)
				buf_putc(constraints, ',');
			buf_json_str(constraints, goal_names[k].name);
		}
	buf_puts(constraints, "],\"fitnessLevel\":");
	buf_json_str(constraints, level);
	buf_printf(constraints, ",\"preferCompound\":%s}",
	    prefer == -1 ? "null" : prefer ? "true" : "false");
	return 0;
}

/*
 * What the solver derives from the catalog alone, built again only when
 * the catalog reloads.
 */
static struct rx_facts	*facts;

static const struct rx_facts *
current_facts(const struct catalog *cat)
{
	if (!prescribe_facts_fit(facts, cat)) {
		prescribe_facts_free(facts);
		facts = prescribe_facts(cat);
	}
	return facts;
}

/*
 * POST /api/prescription/generate and POST /api/v1/prescription/generate:
 * 200 (new, or the original for a replayed idempotencyKey), 400
 * VALIDATION_ERROR (bad field, unknown target, no exercise fits), 400
 * INSUFFICIENT_CREDITS, 401, 403, 409 (key spent by a prescription that no
 * longer exists), 503.
 */
static void
post_generate(struct req *r)
{
	const struct catalog	*cat;
	struct rx_request	 rq;
	struct rx_plan		 plan;
	struct buf		 cons = { 0 }, ex = { 0 }, wu = { 0 },
				 cd = { 0 }, subs = { 0 }, cov = { 0 };
	const char		*key = NULL, *params[9], *err;
	char			 secs[32];
	PGresult		*res;

	memset(&plan, 0, sizeof(plan));
	if (catalog_refresh(r) == -1)
		return;
	cat = catalog_get();
	if (read_request(r, cat, &rq, &cons, &key) == -1)
		goto out;

	if (prescribe_with(cat, current_facts(cat), &rq, &plan, &err) == -1) {
		/* A replayed key answers the original, whatever the body. */
		if (key != NULL) {
			params[0] = r->user->id;
			params[1] = key;
			if ((res = db_exec(r, DB_READ, STMT_PRESCRIPTION_REPLAY,
			    params)) == NULL)
				goto out;
			if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
				http_json(r, 200, PQgetvalue(res, 0, 0),
				    (size_t)PQgetlength(res, 0, 0));
				PQclear(res);
				goto out;
			}
			PQclear(res);
		}
		err_reply(r, ERR_VALIDATION, err);
		goto out;
	}
	prescribe_json_exercises(&plan, &ex);
	prescribe_json_blocks(plan.warmup, plan.nwarmup, &wu);
	prescribe_json_blocks(plan.cooldown, plan.ncooldown, &cd);
	prescribe_json_substitutions(&plan, &subs);
	prescribe_json_coverage(cat, &plan, &cov);
	snprintf(secs, sizeof(secs), "%ld", plan.seconds);
	params[0] = r->user->id;
	params[1] = cons.s;
	params[2] = ex.s;
	params[3] = wu.s;
	params[4] = cd.s;
	params[5] = subs.s;
	params[6] = cov.s;
	params[7] = secs;
	params[8] = key;
	/*
	 * One round trip answers replays and unlimited users; only a
	 * prescription that moves credits needs the SERIALIZABLE one.
	 */
	if ((res = db_exec(r, DB_READ, STMT_PRESCRIPTION_CREATE_FREE,
	    params)) == NULL)
		goto out;
	if (PQntuples(res) == 1 && !PQgetisnull(res, 0, 0)) {
		http_json(r, 200, PQgetvalue(res, 0, 0),
		    (size_t)PQgetlength(res, 0, 0));
		PQclear(res);
		goto out;
	}
	PQclear(res);
	(void)db_reply_json(r, DB_SERIALIZABLE, STMT_PRESCRIPTION_CREATE,
	    params, 200);
out:
	prescribe_free(&plan);
	buf_free(&cons);
	buf_free(&ex);
	buf_free(&wu);
	buf_free(&cd);
	buf_free(&subs);
	buf_free(&cov);
}

/* GET /api/prescription/:id: 200, 401, 403, 404 (unknown or not the
 * caller's), 503. */
static void
get_prescription(struct req *r)
{
	const char	*params[2] = { r->user->id, r->params[0] };

	(void)db_reply_json(r, DB_READ, STMT_PRESCRIPTION_GET, params, 200);
}

static int
init(void)
{
	(void)catalog_refresh(NULL);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/archetypes", get_archetypes, 0 },
	{ "GET", "/api/archetypes/:id/levels", get_levels, 0 },
	{ "POST", "/api/archetypes/select", post_select,
	    R_AUTH_REQUIRED | R_BODY },
	{ "POST", "/api/journey/select-archetype", post_select,
	    R_AUTH_REQUIRED | R_BODY },
	{ "GET", "/api/journey", get_journey, R_AUTH_REQUIRED },
	{ "GET", "/api/journey/progress", get_progress, R_AUTH_REQUIRED },
	{ "POST", "/api/prescription/generate", post_generate,
	    R_AUTH_REQUIRED | R_BODY },
	{ "POST", "/api/v1/prescription/generate", post_generate,
	    R_AUTH_REQUIRED | R_BODY },
	{ "GET", "/api/prescription/:id", get_prescription,
	    R_AUTH_REQUIRED },
};

static const struct app app = {
	"journey", routes, sizeof(routes) / sizeof(routes[0]), init,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
