/*
 * tips: tips, milestones, insights and progression (contract §10).
 *
 * Every handler validates its query or body and calls one stored function
 * in sql/functions/tips.sql, which builds the answer.  Milestone progress
 * is brought up to date by the database (milestones_after_activity) on the
 * endpoints that show or claim milestones; the milestone_achieved events a
 * call creates come back with the answer and are published after commit.
 */
#include <stdio.h>

#include <libpq-fe.h>

#include "auth.h"
#include "db.h"
#include "err.h"
#include "events.h"
#include "http.h"
#include "route.h"
#include "server.h"
#include "valid.h"

/* An absent or empty query value means "no filter". */
static const char *
nonempty(const char *s)
{
	return (s == NULL || *s == '\0') ? NULL : s;
}

/*
 * Runs a statement answering (body, events): replies with body and the
 * given status, then publishes the events.
 */
static void
reply_and_publish(struct req *r, enum db_mode mode, enum stmt s,
    const char *const *params)
{
	PGresult	*res;

	if ((res = db_exec(r, mode, s, params)) == NULL)
		return;
	if (PQntuples(res) < 1 || PQgetisnull(res, 0, 0)) {
		PQclear(res);
		err_reply(r, ERR_NOT_FOUND, NULL);
		return;
	}
	http_json(r, 200, PQgetvalue(res, 0, 0),
	    (size_t)PQgetlength(res, 0, 0));
	/* Milestone events are private: only their owner sees them. */
	if (!PQgetisnull(res, 0, 1))
		(void)events_publish_array(PQgetvalue(res, 0, 1));
	PQclear(res);
}

/* GET /api/tips: 200, 400, 401, 403, 503. */
static void
get_tips(struct req *r)
{
	const char	*type, *value, *category, *context, *params[6];
	char		 limit_s[16];
	long		 limit;

	if (valid_query_str(r, "triggerType", 64, &type) == -1 ||
	    valid_query_str(r, "triggerValue", 200, &value) == -1 ||
	    valid_query_str(r, "category", 64, &category) == -1 ||
	    valid_query_str(r, "context", 64, &context) == -1 ||
	    valid_query_int(r, "limit", 1, 50, 5, &limit) == -1)
		return;
	snprintf(limit_s, sizeof(limit_s), "%ld", limit);
	params[0] = r->user != NULL ? r->user->id : NULL;
	params[1] = nonempty(type);
	params[2] = nonempty(value);
	params[3] = nonempty(category);
	params[4] = nonempty(context);
	params[5] = limit_s;
	db_reply_json(r, DB_READ, STMT_TIPS_LIST, params, 200);
}

/* GET /api/tips/contextual: 200, 400, 401, 403, 503. */
static void
get_tips_contextual(struct req *r)
{
	const char	*context, *params[2];

	if (valid_query_str(r, "context", 64, &context) == -1)
		return;
	params[0] = r->user->id;
	params[1] = nonempty(context);
	db_reply_json(r, DB_READ, STMT_TIPS_CONTEXTUAL, params, 200);
}

static void
mark_tip(struct req *r, const char *dismiss)
{
	const char	*params[3] = { r->user->id, r->params[0], dismiss };

	db_reply_json(r, DB_READ, STMT_TIPS_MARK, params, 200);
}

/* POST /api/tips/:id/seen: 200, 401, 403, 404, 503. */
static void
post_tip_seen(struct req *r)
{
	mark_tip(r, "false");
}

/* POST /api/tips/:id/dismiss: 200, 401, 403, 404, 503. */
static void
post_tip_dismiss(struct req *r)
{
	mark_tip(r, "true");
}

/* GET /api/insights: 200, 401, 403, 503. */
static void
get_insights(struct req *r)
{
	const char	*params[1] = { r->user->id };

	db_reply_json(r, DB_READ, STMT_INSIGHTS, params, 200);
}

/* GET /api/milestones: 200, 401, 403, 503. */
static void
get_milestones(struct req *r)
{
	const char	*params[1] = { r->user->id };

	reply_and_publish(r, DB_READ, STMT_MILESTONES_LIST, params);
}

/* POST /api/milestones/:id/claim: 200, 401, 403, 404, 409, 503. */
static void
post_milestone_claim(struct req *r)
{
	const char	*params[2] = { r->user->id, r->params[0] };

	reply_and_publish(r, DB_SERIALIZABLE, STMT_MILESTONES_CLAIM, params);
}

/* POST /api/milestones/:id/progress: 200, 400, 401, 403, 404, 409, 503. */
static void
post_milestone_progress(struct req *r)
{
	const char	*params[3];
	char		 progress_s[16];
	long		 progress;

	if (valid_int(r, r->json, NULL, "progress", V_REQUIRED, 0,
	    1000000000L, &progress) == -1)
		return;
	snprintf(progress_s, sizeof(progress_s), "%ld", progress);
	params[0] = r->user->id;
	params[1] = r->params[0];
	params[2] = progress_s;
	reply_and_publish(r, DB_SERIALIZABLE, STMT_MILESTONES_PROGRESS,
	    params);
}

/* GET /api/progression/mastery-levels: 200, 400, 401, 403, 404, 503. */
static void
get_mastery_levels(struct req *r)
{
	const char	*archetype, *params[2];

	if (valid_query_str(r, "archetypeId", 64, &archetype) == -1)
		return;
	params[0] = r->user != NULL ? r->user->id : NULL;
	params[1] = nonempty(archetype);
	db_reply_json(r, DB_READ, STMT_MASTERY_LEVELS, params, 200);
}

/* GET /api/progression/achievements: 200, 401, 403, 503. */
static void
get_achievements(struct req *r)
{
	const char	*params[1] = { r->user->id };

	reply_and_publish(r, DB_READ, STMT_ACHIEVEMENTS, params);
}

/* GET /api/progress/stats: 200, 401, 403, 503. */
static void
get_progress_stats(struct req *r)
{
	const char	*params[1] = { r->user->id };

	db_reply_json(r, DB_READ, STMT_PROGRESS_STATS, params, 200);
}

static const struct route routes[] = {
	{ "GET", "/api/tips", get_tips, R_AUTH_OPTIONAL },
	{ "GET", "/api/tips/contextual", get_tips_contextual,
	    R_AUTH_REQUIRED },
	{ "POST", "/api/tips/:id/seen", post_tip_seen, R_AUTH_REQUIRED },
	{ "POST", "/api/tips/:id/dismiss", post_tip_dismiss,
	    R_AUTH_REQUIRED },
	{ "GET", "/api/insights", get_insights, R_AUTH_REQUIRED },
	{ "GET", "/api/milestones", get_milestones, R_AUTH_REQUIRED },
	{ "POST", "/api/milestones/:id/claim", post_milestone_claim,
	    R_AUTH_REQUIRED },
	{ "POST", "/api/milestones/:id/progress", post_milestone_progress,
	    R_AUTH_REQUIRED | R_BODY },
	{ "GET", "/api/progression/mastery-levels", get_mastery_levels,
	    R_AUTH_OPTIONAL },
	{ "GET", "/api/progression/achievements", get_achievements,
	    R_AUTH_REQUIRED },
	{ "GET", "/api/progress/stats", get_progress_stats, R_AUTH_REQUIRED },
};

static const struct app app = {
	"tips", routes, sizeof(routes) / sizeof(routes[0]), NULL,
};

int
main(int argc, char **argv)
{
	return server_main(&app, argc, argv);
}
