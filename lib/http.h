/*
 * http: one request and its response.
 *
 * A struct req lives for one turn of the accept loop.  Everything it points
 * to is owned by it: strings come from req_strdup()/req_alloc() and are
 * released together by req_free(), so handlers never free what they take
 * from the request.
 */
#ifndef MM_HTTP_H
#define MM_HTTP_H

#include <stddef.h>

#include "buf.h"

#define REQ_MAX_PARAMS	4
#define MM_JSON_TYPE	"application/json; charset=utf-8"

struct cJSON;
struct user;

struct req {
	/* Request, filled by req_init(). */
	char		**envp;		/* FastCGI params, or environ */
	const char	*method;	/* "GET", "POST", ... */
	const char	*path;		/* PATH_INFO, e.g. "/api/muscles" */
	const char	*query;		/* QUERY_STRING, never NULL */
	const char	*remote_addr;	/* REMOTE_ADDR, never NULL */
	char		 request_id[129];
	char		*body;		/* NUL-terminated copy of the body */
	size_t		 body_len;
	struct cJSON	*json;		/* parsed body (route flag BODY) */
	const char	*params[REQ_MAX_PARAMS];	/* :param values */
	size_t		 nparams;
	struct user	*user;		/* NULL when anonymous */
	const char	*route;		/* matched pattern, for metrics */
	int		 want_user_doc;	/* load user->doc with the user */

	/* Response, written by the handler through http_*() and err_*(). */
	int		 status;
	const char	*content_type;	/* static string or NULL */
	struct buf	 headers;	/* "Name: value\r\n" lines */
	struct buf	 out;		/* body */
	int		 responded;

	/* Request-scope allocations released by req_free(). */
	void		**pool;
	size_t		 npool, cappool;
};

/* Sets up req from the params in envp; the body is read separately. */
void	 req_init(struct req *, char **envp);
/* Frees everything the request owns (including the parsed JSON). */
void	 req_free(struct req *);
void	*req_alloc(struct req *, size_t);
char	*req_strdup(struct req *, const char *);
char	*req_strndup(struct req *, const char *, size_t);
/* Hands a malloc'd pointer to the request, which frees it at the end. */
void	 req_own(struct req *, void *);

/* A FastCGI param or request header (e.g. "HTTP_AUTHORIZATION"). */
const char	*req_env(const struct req *, const char *name);
/*
 * Looks up a query parameter, percent-decoded.  Returns NULL when absent;
 * an empty value is returned as "".  The first occurrence wins.
 */
const char	*req_query(struct req *, const char *name);

/* Response helpers. */
void	http_header(struct req *, const char *name, const char *value);
void	http_headerf(struct req *, const char *name, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* A JSON response: status, Content-Type and the body bytes (copied). */
void	http_json(struct req *, int status, const char *json, size_t len);
/* The same, taking the bytes of b (b is emptied). */
void	http_json_buf(struct req *, int status, struct buf *b);
/* The same for a cJSON tree, which is deleted. */
void	http_json_tree(struct req *, int status, struct cJSON *);
/* A response with no body (204, 304). */
void	http_empty(struct req *, int status);
const char	*http_status_text(int);

/*
 * Serialises status, headers and body into out (CGI/FastCGI response
 * format: "Status:" line, headers, blank line, body).
 */
void	http_serialize(const struct req *, struct buf *out);

#endif
