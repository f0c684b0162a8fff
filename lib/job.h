/*
 * job: the frame every scheduled job in cron/ shares (etc/crontab).
 *
 * A job is a small main() that names itself and runs one or more batched
 * statements (sql/functions/jobs.sql).  job_main() does the rest:
 *
 *  - options: --dry-run (count what would change, write nothing),
 *    --verbose (a line per batch), --batch-size N (default 1000 rows per
 *    transaction), --date YYYY-MM-DD (run as of that day, UTC; default
 *    today), --help;
 *  - configuration and logging as the binaries have them (DATABASE_URL,
 *    MM_LOG_LEVEL; JSON lines on stderr);
 *  - a session advisory lock named after the job (SQL job_lock_key(name)),
 *    taken without waiting: a second copy logs that another one is running
 *    and exits at once with JOB_EXIT_LOCKED;
 *  - the batches: each one is a single statement, hence its own short
 *    transaction, and hands back the cursor of the next one, so a million
 *    users are never held in one long transaction; SIGINT/SIGTERM stop the
 *    job between batches;
 *  - one summary line at the end (status, batches, rows processed and
 *    changed, dry run, elapsed time), and the exit status: 0 on success,
 *    JOB_EXIT_FAIL on any failure (also when the database connection, and
 *    with it the lock, was lost half way), JOB_EXIT_USAGE on bad options.
 */
#ifndef MM_JOB_H
#define MM_JOB_H

#include <stddef.h>

#include "stmt.h"

struct buf;

#define JOB_EXIT_OK		0
#define JOB_EXIT_FAIL		1
#define JOB_EXIT_USAGE		2
#define JOB_EXIT_LOCKED		75	/* EX_TEMPFAIL: try later */

#define JOB_BATCH_DEFAULT	1000
#define JOB_BATCH_MAX		100000
#define JOB_CURSOR_MAX		256

struct job_opts {
	int	dry_run;
	int	verbose;
	long	batch_size;
	char	date[11];	/* YYYY-MM-DD, or "" for today (UTC) */
};

struct job_totals {
	long	batches;
	long	processed;
	long	changed;
};

struct job {
	const char		*name;
	struct job_opts		 opts;
	struct job_totals	 totals;
	unsigned long		 reconnects;	/* when locked */
};

struct job_def {
	const char	*name;		/* lock and log name */
	const char	*purpose;	/* one line for --help */
	int		(*run)(struct job *);	/* 0, or -1 (logged) */
};

/* Runs the job; returns the process exit status. */
int	job_main(const struct job_def *, int argc, char **argv);

/*
 * Runs stmt batch after batch, with parameters (cursor, batch size, date,
 * dry run, arg), until it reports no next cursor; adds its counts to the
 * job's totals.  `what` names the pass in verbose lines.  0, or -1 after
 * logging the failure.
 */
int	job_batches(struct job *, enum stmt, const char *arg,
	    const char *what);

/*
 * The parts of the above that need no database, for the unit tests.
 * job_parse_args: 0 to run, 1 for --help, -1 with a message in err.
 * job_parse_step: reads {"processed","changed","next"}; next gets "" when
 * the statement is done; 0, or -1 when the answer is malformed.
 */
int	job_parse_args(struct job_opts *, int argc, char **argv, char *err,
	    size_t errlen);
int	job_parse_step(const char *json, long *processed, long *changed,
	    char *next, size_t nextlen);
void	job_format_summary(struct buf *, const struct job_opts *,
	    const struct job_totals *, double seconds, const char *status);

#endif
