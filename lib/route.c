#include <string.h>

#include "auth.h"
#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "log.h"
#include "ratelimit.h"
#include "route.h"

int
route_match(struct req *r, const char *pat, const char *path)
{
	const char	*pe, *se;

	r->nparams = 0;
	for (;;) {
		if (*pat == '\0' || *path == '\0')
			return *pat == '\0' && (*path == '\0' ||
			    strcmp(path, "/") == 0);
		if (*pat != '/' || *path != '/')
			return 0;
		pat++;
		path++;
		pe = pat + strcspn(pat, "/");
		se = path + strcspn(path, "/");
		if (*pat == ':') {
			if (se == path || r->nparams == REQ_MAX_PARAMS)
				return 0;
			r->params[r->nparams++] = req_strndup(r, path,
			    (size_t)(se - path));
		} else if (pe - pat != se - path ||
		    strncmp(pat, path, (size_t)(pe - pat)) != 0)
			return 0;
		pat = pe;
		path = se;
	}
}

void
route_dispatch(struct req *r, const struct route *routes, size_t n)
{
	const struct route	*hit = NULL;
	struct buf		 allow = { 0 };
	int			 path_known = 0, limited;
	size_t			 i;

	for (i = 0; i < n && hit == NULL; i++) {
		if (!route_match(r, routes[i].pattern, r->path))
			continue;
		path_known = 1;
		if (strcmp(routes[i].method, r->method) == 0)
			hit = &routes[i];
	}

	if (hit == NULL || !(hit->flags & R_NO_LIMIT)) {
		if (hit != NULL && (hit->flags & R_AUTH_LIMIT))
			limited = rl_check(r, "auth",
			    cfg->auth_rate_limit_per_min);
		else
			limited = rl_check(r, "api", cfg->rate_limit_per_min);
		if (limited == -1)
			return;
	}

	if (hit == NULL) {
		if (!path_known) {
			err_reply(r, ERR_NOT_FOUND, "No such endpoint");
			return;
		}
		for (i = 0; i < n; i++) {
			struct req	probe = { 0 };

			/* Collect the methods this path answers to. */
			if (!route_match(&probe, routes[i].pattern, r->path)) {
				req_free(&probe);
				continue;
			}
			req_free(&probe);
			if (strstr(allow.s ? allow.s : "", routes[i].method))
				continue;
			if (allow.len > 0)
				buf_puts(&allow, ", ");
			buf_puts(&allow, routes[i].method);
		}
		http_header(r, "Allow", allow.s ? allow.s : "");
		buf_free(&allow);
		err_replyf(r, ERR_METHOD_NOT_ALLOWED, "Method %s is not "
		    "allowed here", r->method);
		return;
	}

	r->route = hit->pattern;
	r->want_user_doc = (hit->flags & R_AUTH_DOC) != 0;
	if (auth_request(r, (hit->flags & R_AUTH_REQUIRED) ? AUTH_REQUIRED :
	    (hit->flags & R_AUTH_OPTIONAL) ? AUTH_OPTIONAL : AUTH_NONE) == -1)
		return;
	if (r->user != NULL) {
		/* For nginx's access log (hidden from the client) and ours. */
		http_header(r, "X-User-Id", r->user->id);
		log_set_user(r->user->id);
	}
	if ((hit->flags & (R_BODY | R_BODY_OPT)) &&
	    json_parse_body(r, (hit->flags & R_BODY_OPT) != 0) == -1)
		return;
	hit->fn(r);
	if (!r->responded) {
		log_errorx("handler for %s %s wrote no response", hit->method,
		    hit->pattern);
		err_reply(r, ERR_INTERNAL, NULL);
	}
}
