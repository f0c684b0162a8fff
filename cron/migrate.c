/*
 * migrate: brings the database schema up to date and loads the reference
 * data.  The stack runs it on every start, as the product has always run
 * its migrations on server start.
 *
 *   migrate [--seed DATADIR] [--status] [--dry-run] [--verbose]
 *
 * 1. sql/migrations/NNNN_*.sql not yet in schema_migrations are applied in
 *    order, each in its own transaction together with its bookkeeping row.
 * 2. Every file in sql/functions/ (CREATE OR REPLACE only) is applied, on
 *    every run.
 * 3. With --seed, the reference CSV files are loaded in one transaction:
 *    sql/seed/stage.sql makes staging tables, each CSV is copied in, and
 *    sql/seed/upsert.sql merges them into the catalog tables.  When the
 *    catalog version moved, nginx's pre-rendered catalog files are removed
 *    so the next request renders them afresh.
 *
 * An advisory lock keeps two copies from migrating at once.  Environment:
 * DATABASE_URL, MM_SQL_DIR (default "sql"), MM_VAR_DIR (default "var").
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "mem.h"

static int	 verbose, dry_run;
static PGconn	*conn;

static const char *const seed_files[] = {
	"muscles", "equipment", "locations", "exercises",
	"exercise_activations", "archetypes", "archetype_levels", "tips",
	"milestones", "credit_actions",
};

static char *
slurp(const char *path)
{
	struct buf	 b = { 0 };
	char		 chunk[8192];
	size_t		 n;
	FILE		*f = fopen(path, "r");

	if (f == NULL) {
		fprintf(stderr, "migrate: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, n);
	fclose(f);
	return buf_take(&b);
}

static int
exec_ok(const char *sql, const char *what)
{
	PGresult	*res = PQexec(conn, sql);
	ExecStatusType	 st = PQresultStatus(res);
	int		 ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "migrate: %s: %s", what,
		    PQresultErrorMessage(res));
	PQclear(res);
	return ok ? 0 : -1;
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted list of *.sql names in dir; *n set; caller frees each and list. */
static char **
list_sql(const char *dir, size_t *n)
{
	DIR		*d = opendir(dir);
	struct dirent	*de;
	char		**names = NULL;
	size_t		 len;

	*n = 0;
	if (d == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 5 || strcmp(de->d_name + len - 4, ".sql") != 0)
			continue;
		names = xrealloc(names, (*n + 1) * sizeof(char *));
		names[(*n)++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (*n > 0)
		qsort(names, *n, sizeof(char *), cmp_names);
	return names;
}

static int
applied(const char *version)
{
	const char	*params[1] = { version };
	PGresult	*res = PQexecParams(conn, "SELECT 1 FROM "
	    "schema_migrations WHERE version = $1", 1, NULL, params, NULL,
	    NULL, 0);
	int		 yes = PQresultStatus(res) == PGRES_TUPLES_OK &&
	    PQntuples(res) == 1;

	PQclear(res);
	return yes;
}

static int
migrate(const char *sqldir, int status_only)
{
	char		 dir[4096], path[8192], version[16];
	char		**names;
	size_t		 n, i;
	int		 rc = 0, pending = 0;
	const char	*params[2];

	snprintf(dir, sizeof(dir), "%s/migrations", sqldir);
	if ((names = list_sql(dir, &n)) == NULL) {
		fprintf(stderr, "migrate: no migrations in %s\n", dir);
		return -1;
	}
	for (i = 0; i < n && rc == 0; i++) {
		char	*sql;

		snprintf(version, sizeof(version), "%.4s", names[i]);
		if (applied(version))
			continue;
		pending++;
		if (status_only || dry_run) {
			printf("pending %s\n", names[i]);
			continue;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		if ((sql = slurp(path)) == NULL) {
			rc = -1;
			break;
		}
		params[0] = version;
		params[1] = names[i];
		if (exec_ok("BEGIN", "begin") == -1 ||
		    exec_ok(sql, names[i]) == -1) {
			exec_ok("ROLLBACK", "rollback");
			rc = -1;
		} else {
			PGresult *res = PQexecParams(conn, "INSERT INTO "
			    "schema_migrations (version, name) VALUES ($1, $2)",
			    2, NULL, params, NULL, NULL, 0);

			if (PQresultStatus(res) != PGRES_COMMAND_OK ||
			    exec_ok("COMMIT", "commit") == -1) {
				fprintf(stderr, "migrate: recording %s: %s",
				    names[i], PQresultErrorMessage(res));
				exec_ok("ROLLBACK", "rollback");
				rc = -1;
			} else if (verbose)
				printf("applied %s\n", names[i]);
			PQclear(res);
		}
		free(sql);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	if (rc == 0 && (status_only || verbose))
		printf("migrations: %d pending\n", pending);
	return rc;
}

static int
apply_functions(const char *sqldir)
{
	char	 dir[4096], path[8192];
	char	**names;
	size_t	 n, i;
	int	 rc = 0;

	snprintf(dir, sizeof(dir), "%s/functions", sqldir);
	names = list_sql(dir, &n);
	for (i = 0; i < n; i++) {
		char	*sql;

		if (rc == 0 && !dry_run) {
			snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
			if ((sql = slurp(path)) == NULL)
				rc = -1;
			else {
				if (exec_ok("BEGIN", "begin") == -1 ||
				    exec_ok(sql, names[i]) == -1 ||
				    exec_ok("COMMIT", "commit") == -1) {
					exec_ok("ROLLBACK", "rollback");
					rc = -1;
				} else if (verbose)
					printf("functions %s\n", names[i]);
				free(sql);
			}
		}
		free(names[i]);
	}
	free(names);
	return rc;
}

static int
copy_file(const char *table, const char *path)
{
	char		 sql[256], chunk[65536];
	PGresult	*res;
	FILE		*f;
	size_t		 n;
	int		 rc = 0;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "migrate: %s: %s\n", path, strerror(errno));
		return -1;
	}
	snprintf(sql, sizeof(sql), "COPY %s FROM STDIN WITH (FORMAT csv, "
	    "HEADER true)", table);
	res = PQexec(conn, sql);
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		fprintf(stderr, "migrate: %s: %s", sql,
		    PQresultErrorMessage(res));
		PQclear(res);
		fclose(f);
		return -1;
	}
	PQclear(res);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (PQputCopyData(conn, chunk, (int)n) != 1) {
			rc = -1;
			break;
		}
	fclose(f);
	PQputCopyEnd(conn, rc == 0 ? NULL : "read error");
	while ((res = PQgetResult(conn)) != NULL) {
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			fprintf(stderr, "migrate: loading %s: %s", path,
			    PQresultErrorMessage(res));
			rc = -1;
		}
		PQclear(res);
	}
	return rc;
}

static long
catalog_version(void)
{
	PGresult	*res = PQexec(conn, "SELECT version FROM catalog_meta "
	    "WHERE id = 1");
	long		 v = -1;

	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1)
		v = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return v;
}

static int
seed(const char *sqldir, const char *datadir)
{
	char	 path[8192], table[128];
	char	*stage, *upsert;
	long	 before, after;
	size_t	 i;
	int	 rc = -1;

	snprintf(path, sizeof(path), "%s/seed/stage.sql", sqldir);
	stage = slurp(path);
	snprintf(path, sizeof(path), "%s/seed/upsert.sql", sqldir);
	upsert = slurp(path);
	if (stage == NULL || upsert == NULL)
		goto out;
	before = catalog_version();
	if (exec_ok("BEGIN", "begin") == -1 ||
	    exec_ok(stage, "seed/stage.sql") == -1)
		goto rollback;
	for (i = 0; i < sizeof(seed_files) / sizeof(seed_files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s.csv", datadir,
		    seed_files[i]);
		snprintf(table, sizeof(table), "stage_%s", seed_files[i]);
		if (copy_file(table, path) == -1)
			goto rollback;
	}
	if (exec_ok(upsert, "seed/upsert.sql") == -1)
		goto rollback;
	if (dry_run) {
		exec_ok("ROLLBACK", "rollback");
		rc = 0;
		goto out;
	}
	if (exec_ok("COMMIT", "commit") == -1)
		goto rollback;
	after = catalog_version();
	if (after != before) {
		/* nginx must not keep serving the old catalog files. */
		snprintf(path, sizeof(path), "%s/cache/static/api/muscles.json",
		    cfg->var_dir);
		unlink(path);
		snprintf(path, sizeof(path),
		    "%s/cache/static/api/exercises.json", cfg->var_dir);
		unlink(path);
	}
	if (verbose)
		printf("seeded from %s (catalog version %ld -> %ld)\n",
		    datadir, before, after);
	rc = 0;
	goto out;
rollback:
	exec_ok("ROLLBACK", "rollback");
out:
	free(stage);
	free(upsert);
	return rc;
}

static void
usage(void)
{
	fprintf(stderr, "usage: migrate [--seed DATADIR] [--status] "
	    "[--dry-run] [--verbose]\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	const char	*seeddir = NULL, *sqldir = getenv("MM_SQL_DIR");
	char		 errbuf[512];
	int		 i, status_only = 0, rc = 1;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
			seeddir = argv[++i];
		else if (strcmp(argv[i], "--status") == 0)
			status_only = 1;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = 1;
		else if (strcmp(argv[i], "--verbose") == 0)
			verbose = 1;
		else
			usage();
	}
	if (sqldir == NULL || *sqldir == '\0')
		sqldir = "sql";
	if (cfg_load(errbuf, sizeof(errbuf)) == -1) {
		fprintf(stderr, "migrate: configuration error: %s\n", errbuf);
		return 1;
	}
	conn = PQconnectdb(cfg->database_url);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "migrate: cannot connect: %s",
		    PQerrorMessage(conn));
		PQfinish(conn);
		return 1;
	}
	PQsetNoticeProcessor(conn, NULL, NULL);
	if (exec_ok("SET client_min_messages = warning", "set") == -1 ||
	    /* One migrator at a time; the key is arbitrary but fixed. */
	    exec_ok("SELECT pg_advisory_lock(727274)", "lock") == -1 ||
	    exec_ok("CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "version text PRIMARY KEY, name text NOT NULL, "
	    "applied_at timestamptz NOT NULL DEFAULT now())",
	    "schema_migrations") == -1)
		goto out;
	if (migrate(sqldir, status_only) == -1)
		goto out;
	if (!status_only && apply_functions(sqldir) == -1)
		goto out;
	if (!status_only && seeddir != NULL && seed(sqldir, seeddir) == -1)
		goto out;
	rc = 0;
out:
	PQfinish(conn);
	return rc;
}
