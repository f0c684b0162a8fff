/*
 * route: a binary's table of routes and the dispatcher that runs the
 * checks in the contract's order of precedence (§1.3): rate limit, then
 * routing (404/405), then authentication (401/403), then body parsing
 * (400), then the handler.
 */
#ifndef MM_ROUTE_H
#define MM_ROUTE_H

#include <stddef.h>

struct req;

#define R_AUTH_OPTIONAL	0x01	/* anonymous allowed, bad token 401 */
#define R_AUTH_REQUIRED	0x02
#define R_BODY		0x04	/* a JSON object body is required */
#define R_BODY_OPT	0x08	/* a JSON object body, or none ({}) */
#define R_AUTH_LIMIT	0x10	/* counts against the stricter auth limit */
#define R_NO_LIMIT	0x20	/* internal subrequests (stream auth) */
#define R_AUTH_DOC	0x40	/* load the /me document with the user */

typedef void route_fn(struct req *);

struct route {
	const char	*method;
	const char	*pattern;	/* "/api/exercises/:id/activations" */
	route_fn	*fn;
	unsigned	 flags;
};

/*
 * Finds the route for r, runs the checks and the handler.  On return r
 * holds a response (a handler that wrote none gets a 500).
 */
void	route_dispatch(struct req *, const struct route *, size_t n);

/* Matches path against pattern, filling r->params; 1 on a match. */
int	route_match(struct req *, const char *pattern, const char *path);

#endif
