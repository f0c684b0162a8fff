/*
 * Statements of the misc binary (API §11: settings, places) and of the
 * scheduled jobs in cron/ (lib/job.h).  Functions in sql/functions/misc.sql
 * and sql/functions/jobs.sql.
 */
#ifndef MM_STMT_MISC_H
#define MM_STMT_MISC_H

#define STMT_MISC(X)							\
	X(SETTINGS_GET, "SELECT settings_get($1)", 1)			\
	X(SETTINGS_PATCH, "SELECT settings_patch($1, $2::jsonb)", 2)	\
	X(SETTINGS_THEMES, "SELECT settings_themes_doc()", 0)		\
	X(LOCATIONS_NEARBY, "SELECT locations_nearby($1::float8, "	\
	    "$2::float8, $3::float8)", 3)				\
	STMT_JOBS(X)

/*
 * Every batch statement takes (cursor, batch size, day, argument) and
 * answers {"processed","changed","next"}: see sql/functions/jobs.sql.
 */
#define JOB_STMT(X, name, fn)						\
	X(name, "SELECT " fn "($1, $2::integer, $3::date, $4)", 4)

#define STMT_JOBS(X)							\
	X(JOB_TRY_LOCK, "SELECT job_try_lock($1)", 1)			\
	JOB_STMT(X, JOB_CHECK_STREAKS, "job_check_streaks")		\
	JOB_STMT(X, JOB_UPDATE_RIVAL_SCORES, "job_update_rival_scores")	\
	JOB_STMT(X, JOB_EXPIRE_CHALLENGES, "job_expire_challenges")	\
	JOB_STMT(X, JOB_ASSIGN_DAILY_CHALLENGES,			\
	    "job_assign_daily_challenges")				\
	JOB_STMT(X, JOB_CREATE_WEEKLY_SNAPSHOTS,			\
	    "job_create_weekly_snapshots")				\
	JOB_STMT(X, JOB_LEADERBOARD_COLLECT, "job_leaderboard_collect")	\
	JOB_STMT(X, JOB_LEADERBOARD_RANK, "job_leaderboard_rank")

#endif
