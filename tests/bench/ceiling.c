/*
 * ceiling: the minimal FastCGI responders the benchmark compares the
 * binaries with.  No routing, no rate limiting, no logging.
 *
 *   ceiling FILE        answers every request with FILE's bytes, from memory
 *   ceiling --pk        runs one prepared primary-key SELECT per request
 *                       (DATABASE_URL) and answers its row as JSON
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <libpq-fe.h>

#include "buf.h"

static char *
slurp(const char *path, size_t *n)
{
	struct buf	 b = { 0 };
	char		 chunk[65536];
	size_t		 got;
	FILE		*f = fopen(path, "r");

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_add(&b, chunk, got);
	fclose(f);
	*n = b.len;
	return buf_take(&b);
}

int
main(int argc, char **argv)
{
	FCGX_Request	 r;
	PGconn		*db = NULL;
	char		*body = NULL, head[256];
	size_t		 n = 0;
	int		 pk = argc > 1 && strcmp(argv[1], "--pk") == 0;

	if (argc < 2) {
		fprintf(stderr, "usage: ceiling FILE | --pk\n");
		return 2;
	}
	if (pk) {
		const char	*url = getenv("DATABASE_URL");

		db = PQconnectdb(url ? url : "");
		if (PQstatus(db) != CONNECTION_OK ||
		    PQresultStatus(PQprepare(db, "pk", "SELECT json_build_object("
		    "'id', id, 'username', username, 'email', email)::text FROM users "
		    "WHERE id = (SELECT min(id) FROM users) AND id IS NOT NULL "
		    "AND $1::int = 1", 1, NULL)) != PGRES_COMMAND_OK) {
			fprintf(stderr, "ceiling: %s", PQerrorMessage(db));
			return 1;
		}
	} else
		body = slurp(argv[1], &n);
	FCGX_Init();
	FCGX_InitRequest(&r, 0, 0);
	while (FCGX_Accept_r(&r) >= 0) {
		if (pk) {
			const char	*params[1] = { "1" };
			PGresult	*res = PQexecPrepared(db, "pk", 1, params,
			    NULL, NULL, 0);
			const char	*v = PQntuples(res) ? PQgetvalue(res, 0, 0) :
			    "null";

			n = strlen(v);
			snprintf(head, sizeof(head), "Status: 200 OK\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: %lu\r\n\r\n", (unsigned long)n);
			FCGX_PutS(head, r.out);
			FCGX_PutStr(v, (int)n, r.out);
			PQclear(res);
		} else {
			snprintf(head, sizeof(head), "Status: 200 OK\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: %lu\r\n\r\n", (unsigned long)n);
			FCGX_PutS(head, r.out);
			FCGX_PutStr(body, (int)n, r.out);
		}
		FCGX_Finish_r(&r);
	}
	free(body);
	if (db != NULL)
		PQfinish(db);
	return 0;
}
