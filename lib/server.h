/*
 * server: the process model every cgi-bin binary shares.
 *
 * Under spawn-fcgi (fd 0 is the listening socket) the binary becomes a
 * small supervisor that forks MM_WORKERS workers and replaces any that
 * dies; each worker runs the accept loop with its own database and Redis
 * connections.  Started from a shell (fd 0 is not a socket) it serves one
 * request as plain CGI and exits, so an admin can run
 *   REQUEST_METHOD=GET PATH_INFO=/api/muscles cgi-bin/catalog
 *
 * Signals to the supervisor: TERM/INT stop (workers finish the request in
 * hand), HUP replaces the workers one at a time.
 */
#ifndef MM_SERVER_H
#define MM_SERVER_H

#include <stddef.h>

struct route;

struct app {
	const char		*name;
	const struct route	*routes;
	size_t			 nroutes;
	/* Runs once in each worker before its first request; may be NULL. */
	int			(*init)(void);
};

/* Never returns on the FastCGI path; returns the exit status otherwise. */
int	server_main(const struct app *, int argc, char **argv);

#endif
