/*
 * create-weekly-snapshots: records each user's totals for the last
 * completed ISO week (workouts, days trained, Training Units, TU per
 * muscle group).  Daily, so that a missed run is caught up the next day.
 *
 * Idempotent, batched, one copy at a time: see lib/job.h for the options,
 * the lock and the exit status, and sql/functions/jobs.sql for the work.
 */
#include "job.h"

static int
run(struct job *j)
{
	return job_batches(j, STMT_JOB_CREATE_WEEKLY_SNAPSHOTS, NULL, "users");
}

static const struct job_def def = {
	"create-weekly-snapshots",
	"Snapshot last week's training of every user who trained (daily).",
	run,
};

int
main(int argc, char **argv)
{
	return job_main(&def, argc, argv);
}
