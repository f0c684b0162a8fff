/*
 * expire-challenges: closes the daily challenges of past days, recording
 * the progress made that day, as completed or expired.  Daily, 00:00 UTC.
 *
 * Idempotent, batched, one copy at a time: see lib/job.h for the options,
 * the lock and the exit status, and sql/functions/jobs.sql for the work.
 */
#include "job.h"

static int
run(struct job *j)
{
	return job_batches(j, STMT_JOB_EXPIRE_CHALLENGES, NULL, "challenges");
}

static const struct job_def def = {
	"expire-challenges",
	"Close the daily challenges of past days (daily).",
	run,
};

int
main(int argc, char **argv)
{
	return job_main(&def, argc, argv);
}
