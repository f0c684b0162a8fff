/*
 * snapshot-leaderboards: freezes the leaderboards as they stood at the end
 * of yesterday: the all-time board (Training Units of public workouts) and
 * the board of the last seven days.  Each is built in two batched passes,
 * collect then rank; a complete snapshot is never touched again, and a run
 * that stopped half way is finished by the next one.  Weekly, Sunday 00:00
 * UTC.
 *
 * Idempotent, batched, one copy at a time: see lib/job.h for the options,
 * the lock and the exit status, and sql/functions/jobs.sql for the work.
 */
#include <stdio.h>

#include "job.h"

static int
run(struct job *j)
{
	static const char *const boards[] = { "all_time", "weekly" };
	char	what[64];
	size_t	i;

	for (i = 0; i < sizeof(boards) / sizeof(boards[0]); i++) {
		snprintf(what, sizeof(what), "%s collect", boards[i]);
		if (job_batches(j, STMT_JOB_LEADERBOARD_COLLECT, boards[i],
		    what) == -1)
			return -1;
		snprintf(what, sizeof(what), "%s rank", boards[i]);
		if (job_batches(j, STMT_JOB_LEADERBOARD_RANK, boards[i],
		    what) == -1)
			return -1;
	}
	return 0;
}

static const struct job_def def = {
	"snapshot-leaderboards",
	"Snapshot the all-time and weekly leaderboards (weekly).",
	run,
};

int
main(int argc, char **argv)
{
	return job_main(&def, argc, argv);
}
