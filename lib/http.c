#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "http.h"
#include "mem.h"

void
req_init(struct req *r, char **envp)
{
	const char	*v;

	memset(r, 0, sizeof(*r));
	r->envp = envp;
	r->status = 0;
	v = req_env(r, "REQUEST_METHOD");
	r->method = v ? v : "GET";
	v = req_env(r, "PATH_INFO");
	if (v == NULL || *v == '\0')
		v = req_env(r, "DOCUMENT_URI");
	r->path = v ? v : "/";
	v = req_env(r, "QUERY_STRING");
	r->query = v ? v : "";
	v = req_env(r, "REMOTE_ADDR");
	r->remote_addr = v ? v : "local";
}

void *
req_alloc(struct req *r, size_t n)
{
	void	*p = xcalloc(1, n);

	req_own(r, p);
	return p;
}

void
req_own(struct req *r, void *p)
{
	if (r->npool == r->cappool) {
		r->cappool = r->cappool ? r->cappool * 2 : 16;
		r->pool = xrealloc(r->pool, r->cappool * sizeof(void *));
	}
	r->pool[r->npool++] = p;
}

char *
req_strdup(struct req *r, const char *s)
{
	char	*p = xstrdup(s);

	req_own(r, p);
	return p;
}

char *
req_strndup(struct req *r, const char *s, size_t n)
{
	char	*p = xstrndup(s, n);

	req_own(r, p);
	return p;
}

void
req_free(struct req *r)
{
	size_t	i;

	for (i = 0; i < r->npool; i++)
		free(r->pool[i]);
	free(r->pool);
	free(r->body);
	cJSON_Delete(r->json);
	buf_free(&r->headers);
	buf_free(&r->out);
	memset(r, 0, sizeof(*r));
}

const char *
req_env(const struct req *r, const char *name)
{
	size_t	 n = strlen(name);
	char	**e;

	if (r->envp == NULL)
		return NULL;
	for (e = r->envp; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes %XX and '+' into a new request-owned string. */
static char *
url_decode(struct req *r, const char *s, size_t n)
{
	char	*out = req_alloc(r, n + 1), *p = out;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			*p++ = ' ';
		else if (s[i] == '%' && i + 2 < n &&
		    hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
			*p++ = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
		} else
			*p++ = s[i];
	}
	*p = '\0';
	return out;
}

const char *
req_query(struct req *r, const char *name)
{
	const char	*q = r->query, *amp, *eq;
	size_t		 n = strlen(name);

	while (*q != '\0') {
		amp = strchr(q, '&');
		if (amp == NULL)
			amp = q + strlen(q);
		eq = memchr(q, '=', (size_t)(amp - q));
		if (eq == NULL)
			eq = amp;
		/* Parameter names are plain ASCII here; compare raw. */
		if ((size_t)(eq - q) == n && strncmp(q, name, n) == 0)
			return eq == amp ? "" :
			    url_decode(r, eq + 1, (size_t)(amp - eq - 1));
		q = *amp ? amp + 1 : amp;
	}
	return NULL;
}

void
http_header(struct req *r, const char *name, const char *value)
{
	buf_puts(&r->headers, name);
	buf_puts(&r->headers, ": ");
	buf_puts(&r->headers, value);
	buf_puts(&r->headers, "\r\n");
}

void
http_headerf(struct req *r, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	 val[512];

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	http_header(r, name, val);
}

void
http_json(struct req *r, int status, const char *json, size_t len)
{
	r->status = status;
	r->responded = 1;
	buf_reset(&r->out);
	buf_add(&r->out, json, len);
	r->content_type = MM_JSON_TYPE;
}

void
http_json_buf(struct req *r, int status, struct buf *b)
{
	r->status = status;
	r->responded = 1;
	buf_free(&r->out);
	r->out = *b;
	if (r->out.s == NULL)
		buf_add(&r->out, "", 0);
	memset(b, 0, sizeof(*b));
	r->content_type = MM_JSON_TYPE;
}

void
http_json_tree(struct req *r, int status, cJSON *tree)
{
	char	*s = cJSON_PrintUnformatted(tree);

	cJSON_Delete(tree);
	if (s == NULL) {
		fprintf(stderr, "cJSON_PrintUnformatted: out of memory\n");
		abort();
	}
	http_json(r, status, s, strlen(s));
	cJSON_free(s);
}

void
http_empty(struct req *r, int status)
{
	r->status = status;
	r->responded = 1;
	r->content_type = NULL;
	buf_reset(&r->out);
}

const char *
http_status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

void
http_serialize(const struct req *r, struct buf *o)
{
	int	status = r->status ? r->status : 500;

	buf_printf(o, "Status: %d %s\r\n", status, http_status_text(status));
	buf_printf(o, "X-Request-Id: %s\r\n", r->request_id);
	if (r->content_type != NULL && status != 204 && status != 304)
		buf_printf(o, "Content-Type: %s\r\n", r->content_type);
	if (r->headers.len > 0)
		buf_add(o, r->headers.s, r->headers.len);
	if (status != 204 && status != 304)
		buf_printf(o, "Content-Length: %lu\r\n",
		    (unsigned long)r->out.len);
	buf_puts(o, "\r\n");
	if (status != 204 && status != 304 && r->out.len > 0)
		buf_add(o, r->out.s, r->out.len);
}
