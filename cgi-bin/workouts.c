/*
 * workouts: logging workouts and reading them back (contract §4).
 *
 * POST /api/workouts follows the seed's workout logging flow: the body is
 * validated here against the in-memory catalog, the Training Units are
 * computed here (lib/tu.c), and one stored function run SERIALIZABLE does
 * the replay check, the entitlement check, the insert, the charge and the
 * activity event in a single transaction (sql/functions/workouts.sql).
 * Only after it committed is the event published and the exercise
 * selections counted (lib/events.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "auth.h"
#include "buf.h"
#include "catalog.h"
#include "db.h"
#include "err.h"
#include "events.h"
#include "http.h"
#include "route.h"
#include "server.h"
#include "tu.h"
#include "valid.h"

#define MAX_EXERCISES	50
#define TOP_MUSCLES	3

/* Appends a JSON number the way cJSON prints it (shortest exact form). */
static void
put_number(struct buf *b, double d)
{
	char	s[64];

	snprintf(s, sizeof(s), "%.15g", d);
	if (strtod(s, NULL) != d)
		snprintf(s, sizeof(s), "%.17g", d);
	buf_puts(b, s);
}

/*
 * Validates body.exercises (§4.2 field rules), adds each entry to t, and
 * when data is not NULL appends the normalised exerciseData array to it
 * (absent optional values as null).  The exercise ids go to ids (at least
 * MAX_EXERCISES slots) when not NULL.  Returns the number of entries, or
 * -1 after a 400 reply.
 */
static int
read_exercises(struct req *r, const cJSON *body, struct tu *t,
    struct buf *data, const char **ids)
{
	const cJSON	*arr, *it;
	char		 path[32];
	int		 n = 0;

	if (valid_array(r, body, NULL, "exercises", V_REQUIRED, 1,
	    MAX_EXERCISES, &arr) == -1)
		return -1;
	if (data != NULL)
		buf_putc(data, '[');
	cJSON_ArrayForEach(it, arr) {
		const struct exercise	*e;
		const char		*id, *notes;
		long			 sets, reps, duration;
		double			 weight;
		int			 has_reps, has_weight, has_duration;

		snprintf(path, sizeof(path), "exercises[%d]", n);
		if (!cJSON_IsObject(it)) {
			err_replyf(r, ERR_VALIDATION, "%s must be an object",
			    path);
			return -1;
		}
		if (valid_str(r, it, path, "exerciseId", V_REQUIRED, 1, 100,
		    &id) == -1)
			return -1;
		if ((e = catalog_exercise(id)) == NULL) {
			err_replyf(r, ERR_VALIDATION, "%s.exerciseId: unknown "
			    "exercise '%s'", path, id);
			return -1;
		}
		if (valid_int(r, it, path, "sets", V_REQUIRED, 1, 100,
		    &sets) == -1 ||
		    (has_reps = valid_int(r, it, path, "reps", V_OPTIONAL, 1,
		    1000, &reps)) == -1 ||
		    (has_weight = valid_num(r, it, path, "weight", V_OPTIONAL,
		    0, 10000, &weight)) == -1 ||
		    (has_duration = valid_int(r, it, path, "duration",
		    V_OPTIONAL, 0, 86400, &duration)) == -1 ||
		    valid_str(r, it, path, "notes", V_OPTIONAL, 0, 500,
		    &notes) == -1)
			return -1;
		tu_add(t, e, sets);
		if (ids != NULL)
			ids[n] = e->id;
		if (data != NULL) {
			if (n > 0)
				buf_putc(data, ',');
			buf_puts(data, "{\"exerciseId\":");
			buf_json_str(data, e->id);
			buf_printf(data, ",\"sets\":%ld,\"reps\":", sets);
			if (has_reps)
				buf_printf(data, "%ld", reps);
			else
				buf_puts(data, "null");
			buf_puts(data, ",\"weight\":");
			if (has_weight)
				put_number(data, weight);
			else
				buf_puts(data, "null");
			buf_puts(data, ",\"duration\":");
			if (has_duration)
				buf_printf(data, "%ld", duration);
			else
				buf_puts(data, "null");
			buf_puts(data, ",\"notes\":");
			buf_json_str(data, notes);
			buf_putc(data, '}');
		}
		n++;
	}
	if (data != NULL)
		buf_putc(data, ']');
	return n;
}

/* Today + days as YYYY-MM-DD (UTC). */
static void
utc_date(int days, char out[11])
{
	time_t		now = time(NULL) + (time_t)days * 86400;
	struct tm	tm;

	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/*
 * What a committed new workout causes outside its transaction, before the
 * response: the event reaches the real-time stream, the exercise
 * selections reach the "now" counters.  Neither can fail the request.
 */
static void
after_commit(const char *user_id, const char *event,
    const char *const *ids, size_t nids)
{
	(void)events_publish(event);
	(void)events_exercises_selected(ids, nids, time(NULL));
	/* The journey level (§6.5) and milestone progress (§10.6). */
	events_after_activity(user_id);
}

/*
 * POST /api/workouts: 201 new workout, 200 replay of an idempotencyKey,
 * 400 VALIDATION_ERROR, 400 INSUFFICIENT_CREDITS, 401, 403, 409 (key spent
 * by a workout that no longer exists), 503.
 */
static void
post_workout(struct req *r)
{
	const cJSON	*body = r->json;
	const char	*date, *notes, *key, *params[9], *ids[MAX_EXERCISES];
	struct tu	 t;
	struct buf	 data = { 0 }, acts = { 0 }, top = { 0 };
	char		 total[32], tomorrow[11];
	PGresult	*res;
	int		 is_public = 1, n, status;

	if (catalog_refresh(r) == -1)
		return;
	tu_init(&t, catalog_get());
	if ((n = read_exercises(r, body, &t, &data, ids)) == -1)
		goto out;
	if (valid_str(r, body, NULL, "date", V_OPTIONAL, 0, 64, &date) ==
	    -1 || valid_str(r, body, NULL, "notes", V_OPTIONAL, 0, 2000,
	    &notes) == -1 || valid_bool(r, body, NULL, "isPublic",
	    V_OPTIONAL, &is_public) == -1 || valid_str(r, body, NULL,
	    "idempotencyKey", V_OPTIONAL, 1, 128, &key) == -1)
		goto out;
	if (date != NULL && !valid_date(date)) {
		err_reply(r, ERR_VALIDATION, "date must be a calendar date "
		    "written YYYY-MM-DD");
		goto out;
	}
	utc_date(1, tomorrow);
	if (date != NULL && strcmp(date, tomorrow) > 0) {
		err_reply(r, ERR_VALIDATION, "date must not be after tomorrow "
		    "(UTC)");
		goto out;
	}

	tu_finish(&t);
	tu_format(t.total_cents, total);
	tu_json_activations(&t, &acts);
	tu_json_top(&t, TOP_MUSCLES, &top);
	params[0] = r->user->id;
	params[1] = date;
	params[2] = total;
	params[3] = data.s;
	params[4] = acts.s;
	params[5] = notes;
	params[6] = is_public ? "true" : "false";
	params[7] = key;
	params[8] = top.s;
	/*
	 * Queued per user: concurrent workouts of one user write the same
	 * balance and running totals (sql/migrations/0090_activity_totals.sql)
	 * and would otherwise fail each other's serialization.
	 */
	res = db_exec_queued(r, r->user->id, STMT_WORKOUT_CREATE, params);
	if (res == NULL)
		goto out;
	if (PQntuples(res) != 1) {
		PQclear(res);
		err_reply(r, ERR_INTERNAL, NULL);
		goto out;
	}
	status = atoi(PQgetvalue(res, 0, 0));
	if (status == 201)
		after_commit(r->user->id, PQgetisnull(res, 0, 2) ? NULL :
		    PQgetvalue(res, 0, 2), ids, (size_t)n);
	http_json(r, status, PQgetvalue(res, 0, 1),
	    (size_t)PQgetlength(res, 0, 1));
	PQclear(res);
out:
	tu_free(&t);
	buf_free(&data);
	buf_free(&acts);
	buf_free(&top);
}

/* POST /api/workouts/preview: 200, 400, 401, 403, 503.  Stores nothing. */
static void
post_preview(struct req *r)
{
	struct tu	t;
	struct buf	b = { 0 };
	char		total[32];

	if (catalog_refresh(r) == -1)
		return;
	tu_init(&t, catalog_get());
	if (read_exercises(r, r->json, &t, NULL, NULL) == -1) {
		tu_free(&t);
		return;
	}
	tu_finish(&t);
	tu_format(t.total_cents, total);
	buf_printf(&b, "{\"totalTu\":%s,\"muscleActivations\":", total);
	tu_json_activations(&t, &b);
	buf_putc(&b, '}');
	tu_free(&t);
	http_json_buf(r, 200, &b);
}

/* Reads an optional YYYY-MM-DD query parameter; 0, or -1 after a 400. */
static int
query_date(struct req *r, const char *name, const char **out)
{
	if (valid_query_str(r, name, 10, out) == -1)
		return -1;
	if (*out != NULL && **out == '\0')
		*out = NULL;
	if (*out != NULL && !valid_date(*out)) {
		err_replyf(r, ERR_VALIDATION, "Query parameter %s must be a "
		    "calendar date written YYYY-MM-DD", name);
		return -1;
	}
	return 0;
}

/* GET /api/workouts and /api/workouts/me: 200, 400, 401, 403, 503. */
static void
get_workouts(struct req *r)
{
	const char	*start, *end, *params[5];
	char		 limit_s[24], offset_s[24];
	long		 limit, offset;

	if (valid_query_int(r, "limit", 1, 100, 20, &limit) == -1 ||
	    valid_query_int(r, "offset", 0, 9007199254740991L, 0,
	    &offset) == -1 ||
	    query_date(r, "startDate", &start) == -1 ||
	    query_date(r, "endDate", &end) == -1)
		return;
	snprintf(limit_s, sizeof(limit_s), "%ld", limit);
	snprintf(offset_s, sizeof(offset_s), "%ld", offset);
	params[0] = r->user->id;
	params[1] = limit_s;
	params[2] = offset_s;
	params[3] = start;
	params[4] = end;
	(void)db_reply_json(r, DB_READ, STMT_WORKOUT_LIST, params, 200);
}

/* GET /api/workouts/:id: 200, 401, 403, 404 (unknown or private), 503. */
static void
get_workout(struct req *r)
{
	const char	*params[2] = { r->params[0], r->user->id };
	PGresult	*res;

	if ((res = db_exec(r, DB_READ, STMT_WORKOUT_GET, params)) == NULL)
		return;
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0))
		err_reply(r, ERR_NOT_FOUND, "Workout not found");
	else
		http_json(r, 200, PQgetvalue(res, 0, 0),
		    (size_t)PQgetlength(res, 0, 0));
	PQclear(res);
}

/* GET /api/workouts/me/stats: 200, 401, 403, 503. */
static void
get_stats(struct req *r)
{
	const char	*params[1] = { r->user->id };

	(void)db_reply_json(r, DB_READ, STMT_WORKOUT_STATS, params, 200);
}

/* GET /api/workouts/me/muscles: 200, 400, 401, 403, 503. */
static void
get_muscles(struct req *r)
{
	const char	*params[2];
	char		 days_s[16];
	long		 days;

	if (valid_query_int(r, "days", 1, 365, 7, &days) == -1)
		return;
	snprintf(days_s, sizeof(days_s), "%ld", days);
	params[0] = r->user->id;
	params[1] = days_s;
	(void)db_reply_json(r, DB_READ, STMT_WORKOUT_MUSCLES, params, 200);
}

/* POST /api/workout/complete (legacy): 200, 400, 401, 403.  No effect. */
static void
post_complete(struct req *r)
{
	http_json(r, 200, "{\"ok\":true}", 11);
}

static int
init(void)
{
	/* Load now so the first workout does not wait for it. */
	(void)catalog_refresh(NULL);
	return 0;
}

/* Literal paths come before /api/workouts/:id, which would match them. */
static const struct route routes[] = {
	{ "POST", "/api/workouts", post_workout, R_AUTH_REQUIRED | R_BODY },
	{ "GET", "/api/workouts", get_workouts, R_AUTH_REQUIRED },
	{ "GET", "/api/workouts/me", get_workouts, R_AUTH_REQUIRED },
	{ "GET", "/api/workouts/me/stats", get_stats, R_AUTH_REQUIRED },
	{ "GET", "/api/workouts/me/muscles", get_muscles, R_AUTH_REQUIRED },
	{ "POST", "/api/workouts/preview", post_preview,
	  R_AUTH_REQUIRED | R_BODY },
	{ "GET", "/api/workouts/:id", get_workout, R_AUTH_REQUIRED },
	{ "POST", "/api/workout/complete", post_complete,
	  R_AUTH_REQUIRED | R_BODY },
};

static const struct app app = {
	"workouts", routes, sizeof(routes) / sizeof(routes[0]), init,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
