/*
 * check-streaks: keeps every user's current and longest training streak
 * (user_streaks) in step with their workouts.  Hourly.
 *
 * Idempotent, batched, one copy at a time: see lib/job.h for the options,
 * the lock and the exit status, and sql/functions/jobs.sql for the work.
 */
#include "job.h"

static int
run(struct job *j)
{
	return job_batches(j, STMT_JOB_CHECK_STREAKS, NULL, "users");
}

static const struct job_def def = {
	"check-streaks",
	"Update user_streaks from the workouts (hourly).",
	run,
};

int
main(int argc, char **argv)
{
	return job_main(&def, argc, argv);
}
