/*
 * update-rival-scores: scores every active rivalry for the current ISO
 * week (each side's Training Units since Monday) and names the leader.
 * Hourly.
 *
 * Idempotent, batched, one copy at a time: see lib/job.h for the options,
 * the lock and the exit status, and sql/functions/jobs.sql for the work.
 */
#include "job.h"

static int
run(struct job *j)
{
	return job_batches(j, STMT_JOB_UPDATE_RIVAL_SCORES, NULL, "rivalries");
}

static const struct job_def def = {
	"update-rival-scores",
	"Score the active rivalries for this week (hourly).",
	run,
};

int
main(int argc, char **argv)
{
	return job_main(&def, argc, argv);
}
