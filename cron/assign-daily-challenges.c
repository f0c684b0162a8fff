/*
 * assign-daily-challenges: gives every recently active user one challenge
 * for the day, fitted to their recent training.  Daily, 00:00 UTC.
 *
 * Idempotent, batched, one copy at a time: see lib/job.h for the options,
 * the lock and the exit status, and sql/functions/jobs.sql for the work.
 */
#include "job.h"

static int
run(struct job *j)
{
	return job_batches(j, STMT_JOB_ASSIGN_DAILY_CHALLENGES, NULL, "users");
}

static const struct job_def def = {
	"assign-daily-challenges",
	"Assign today's challenge to recently active users (daily).",
	run,
};

int
main(int argc, char **argv)
{
	return job_main(&def, argc, argv);
}
