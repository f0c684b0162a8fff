#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>
#include <libpq-fe.h>

#include "buf.h"
#include "cfg.h"
#include "db.h"
#include "job.h"
#include "log.h"
#include "valid.h"

static volatile sig_atomic_t	stop_requested;

static void
on_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

int
job_parse_args(struct job_opts *o, int argc, char **argv, char *err,
    size_t errlen)
{
	const char	*arg, *val;
	char		*end;
	int		 i;

	memset(o, 0, sizeof(*o));
	o->batch_size = JOB_BATCH_DEFAULT;
	err[0] = '\0';
	for (i = 1; i < argc; i++) {
		arg = argv[i];
		if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
			return 1;
		if (strcmp(arg, "--dry-run") == 0 || strcmp(arg, "-n") == 0) {
			o->dry_run = 1;
			continue;
		}
		if (strcmp(arg, "--verbose") == 0 || strcmp(arg, "-v") == 0) {
			o->verbose = 1;
			continue;
		}
		if (strcmp(arg, "--batch-size") != 0 &&
		    strcmp(arg, "--date") != 0) {
			snprintf(err, errlen, "unknown option %s", arg);
			return -1;
		}
		if (i + 1 >= argc) {
			snprintf(err, errlen, "%s needs a value", arg);
			return -1;
		}
		val = argv[++i];
		if (strcmp(arg, "--batch-size") == 0) {
			errno = 0;
			o->batch_size = strtol(val, &end, 10);
			if (errno != 0 || *val == '\0' || *end != '\0' ||
			    o->batch_size < 1 ||
			    o->batch_size > JOB_BATCH_MAX) {
				snprintf(err, errlen, "--batch-size must be an "
				    "integer from 1 to %d", JOB_BATCH_MAX);
				return -1;
			}
		} else {
			if (!valid_date(val)) {
				snprintf(err, errlen, "--date must be a real "
				    "date written YYYY-MM-DD");
				return -1;
			}
			memcpy(o->date, val, sizeof(o->date));
		}
	}
	return 0;
}

int
job_parse_step(const char *json, long *processed, long *changed,
    char *next, size_t nextlen)
{
	cJSON		*root;
	const cJSON	*p, *c, *n;
	int		 rc = -1;

	*processed = *changed = 0;
	next[0] = '\0';
	if (json == NULL || (root = cJSON_Parse(json)) == NULL)
		return -1;
	p = cJSON_GetObjectItemCaseSensitive(root, "processed");
	c = cJSON_GetObjectItemCaseSensitive(root, "changed");
	n = cJSON_GetObjectItemCaseSensitive(root, "next");
	if (cJSON_IsNumber(p) && cJSON_IsNumber(c) && p->valuedouble >= 0 &&
	    c->valuedouble >= 0 && (n == NULL || cJSON_IsNull(n) ||
	    (cJSON_IsString(n) && *n->valuestring != '\0' &&
	    strlen(n->valuestring) < nextlen))) {
		*processed = (long)p->valuedouble;
		*changed = (long)c->valuedouble;
		if (cJSON_IsString(n))
			memcpy(next, n->valuestring,
			    strlen(n->valuestring) + 1);
		rc = 0;
	}
	cJSON_Delete(root);
	return rc;
}

void
job_format_summary(struct buf *b, const struct job_opts *o,
    const struct job_totals *t, double seconds, const char *status)
{
	buf_printf(b, "summary: status=%s batches=%ld processed=%ld "
	    "changed=%ld dry_run=%s date=%s elapsed=%.2fs", status,
	    t->batches, t->processed, t->changed,
	    o->dry_run ? "true" : "false",
	    o->date[0] != '\0' ? o->date : "today", seconds);
}

int
job_batches(struct job *j, enum stmt s, const char *arg, const char *what)
{
	PGresult	*res;
	const char	*params[4];
	char		 cursor[JOB_CURSOR_MAX], next[JOB_CURSOR_MAX];
	char		 size[24];
	long		 processed, changed;
	int		 first = 1;

	snprintf(size, sizeof(size), "%ld", j->opts.batch_size);
	cursor[0] = '\0';
	for (;;) {
		if (stop_requested) {
			log_warnx("%s: interrupted after %ld batches", what,
			    j->totals.batches);
			return -1;
		}
		params[0] = first ? NULL : cursor;
		params[1] = size;
		params[2] = j->opts.date[0] != '\0' ? j->opts.date : NULL;
		params[3] = arg;
		/* A dry run does the batch's work and rolls it back. */
		if ((res = db_exec(NULL, j->opts.dry_run ? DB_DRY_RUN : DB_READ,
		    s, params)) == NULL) {
			log_errorx("%s: batch %ld failed", what,
			    j->totals.batches + 1);
			return -1;
		}
		if (db_stats()->reconnects != j->reconnects) {
			/* A new session no longer holds the job's lock. */
			PQclear(res);
			log_errorx("%s: the database connection was lost, and "
			    "with it the job's lock; stopping", what);
			return -1;
		}
		if (PQntuples(res) != 1 || job_parse_step(PQgetvalue(res, 0,
		    0), &processed, &changed, next, sizeof(next)) == -1) {
			log_errorx("%s: unexpected batch result", what);
			PQclear(res);
			return -1;
		}
		PQclear(res);
		j->totals.batches++;
		j->totals.processed += processed;
		j->totals.changed += changed;
		if (j->opts.verbose)
			log_info("%s: batch %ld: processed=%ld changed=%ld "
			    "next=%s", what, j->totals.batches, processed,
			    changed, next[0] != '\0' ? next : "(done)");
		if (next[0] == '\0')
			return 0;
		if (!first && strcmp(next, cursor) == 0) {
			log_errorx("%s: the batch cursor did not move (%s)",
			    what, next);
			return -1;
		}
		memcpy(cursor, next, sizeof(cursor));
		first = 0;
	}
}

static void
usage(const struct job_def *def, FILE *f)
{
	fprintf(f, "usage: %s [--dry-run] [--verbose] [--batch-size N] "
	    "[--date YYYY-MM-DD]\n"
	    "  %s\n"
	    "  --dry-run     count what would change, write nothing\n"
	    "  --verbose     log every batch\n"
	    "  --batch-size  rows per transaction (default %d)\n"
	    "  --date        run as of that day (UTC; default today)\n"
	    "Exit status: 0 done, %d failed, %d bad usage, %d another copy "
	    "is running.\n", def->name, def->purpose, JOB_BATCH_DEFAULT,
	    JOB_EXIT_FAIL, JOB_EXIT_USAGE, JOB_EXIT_LOCKED);
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

static int
finish(struct job *j, const struct timespec *t0, const char *status,
    int code)
{
	struct buf	b = { 0 };

	job_format_summary(&b, &j->opts, &j->totals, elapsed(t0), status);
	if (code == JOB_EXIT_OK)
		log_info("%s", b.s);
	else
		log_errorx("%s", b.s);
	buf_free(&b);
	db_disconnect();
	return code;
}

int
job_main(const struct job_def *def, int argc, char **argv)
{
	struct job		 j;
	struct sigaction	 sa;
	struct timespec		 t0;
	PGresult		*res;
	const char		*params[1] = { def->name };
	char			 err[256];
	int			 rc, lvl, locked;

	memset(&j, 0, sizeof(j));
	j.name = def->name;
	rc = job_parse_args(&j.opts, argc, argv, err, sizeof(err));
	if (rc == 1) {
		usage(def, stdout);
		return JOB_EXIT_OK;
	}
	if (rc == -1) {
		fprintf(stderr, "%s: %s\n", def->name, err);
		usage(def, stderr);
		return JOB_EXIT_USAGE;
	}
	if (cfg_load(err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: configuration error: %s\n", def->name,
		    err);
		return JOB_EXIT_FAIL;
	}
	if ((lvl = log_level_parse(cfg->log_level)) < LOG_LVL_INFO)
		lvl = LOG_LVL_INFO;
	log_init(def->name, (enum log_level)lvl);
	db_set_application(def->name);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	if (db_connect() == -1) {
		log_errorx("cannot connect to the database");
		return finish(&j, &t0, "failed", JOB_EXIT_FAIL);
	}
	if ((res = db_exec(NULL, DB_READ, STMT_JOB_TRY_LOCK, params)) ==
	    NULL)
		return finish(&j, &t0, "failed", JOB_EXIT_FAIL);
	locked = PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 0),
	    "t") == 0;
	PQclear(res);
	if (!locked) {
		log_warnx("another copy of %s is running (its advisory lock "
		    "is held); exiting without doing anything", def->name);
		return finish(&j, &t0, "locked", JOB_EXIT_LOCKED);
	}
	j.reconnects = db_stats()->reconnects;
	if (j.opts.verbose)
		log_info("started%s, batches of %ld", j.opts.dry_run ?
		    " (dry run)" : "", j.opts.batch_size);
	if (def->run(&j) == -1)
		return finish(&j, &t0, "failed", JOB_EXIT_FAIL);
	return finish(&j, &t0, "ok", JOB_EXIT_OK);
}
