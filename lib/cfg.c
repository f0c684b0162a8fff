#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfg.h"
#include "mem.h"

#ifndef MM_VERSION
#define MM_VERSION "0.1.0"
#endif

enum cfg_type {
	CFG_STR,
	CFG_SECRET,	/* a string never printed */
	CFG_INT,
	CFG_BOOL,
};

struct cfg_key {
	const char	*name;
	enum cfg_type	 type;
	const char	*def;		/* NULL: unset by default */
	long		 min, max;	/* for CFG_INT */
	size_t		 off;		/* offset into struct cfg */
};

#define OFF(f)	offsetof(struct cfg, f)

static const struct cfg_key keys[] = {
	{ "DATABASE_URL", CFG_STR,
	  "postgresql://musclemap@127.0.0.1:55432/musclemap", 0, 0,
	  OFF(database_url) },
	{ "MM_PG_READ_URL", CFG_STR, NULL, 0, 0, OFF(database_read_url) },
	{ "MM_PG_POOLED", CFG_BOOL, "false", 0, 0, OFF(db_pooled) },
	{ "REDIS_ENABLED", CFG_BOOL, "false", 0, 0, OFF(redis_enabled) },
	{ "MM_REDIS_URL", CFG_STR, "redis://127.0.0.1:56379", 0, 0,
	  OFF(redis_url) },
	{ "MM_REDIS_TIMEOUT_MS", CFG_INT, "250", 10, 10000,
	  OFF(redis_timeout_ms) },
	{ "MM_JWT_SECRET", CFG_SECRET, NULL, 0, 0, OFF(jwt_secret) },
	{ "MM_JWT_TTL", CFG_INT, "3600", 60, 31536000, OFF(jwt_ttl) },
	{ "MM_REFRESH_TTL", CFG_INT, "2592000", 60, 315360000,
	  OFF(refresh_ttl) },
	{ "MM_PBKDF2_ITERATIONS", CFG_INT, "600000", 1000, 100000000,
	  OFF(pbkdf2_iterations) },
	{ "MM_RATE_LIMIT_PER_MIN", CFG_INT, "100", 1, 1000000000,
	  OFF(rate_limit_per_min) },
	{ "MM_AUTH_RATE_LIMIT_PER_MIN", CFG_INT, "10", 1, 1000000000,
	  OFF(auth_rate_limit_per_min) },
	{ "MM_STRIPE_WEBHOOK_SECRET", CFG_SECRET, NULL, 0, 0,
	  OFF(stripe_webhook_secret) },
	{ "MM_VAR_DIR", CFG_STR, "var", 0, 0, OFF(var_dir) },
	{ "MM_WORKERS", CFG_INT, "4", 1, 256, OFF(workers) },
	{ "MM_LOG_LEVEL", CFG_STR, "info", 0, 0, OFF(log_level) },
	{ "MM_DB_CONNECT_TIMEOUT", CFG_INT, "5", 1, 600,
	  OFF(db_connect_timeout) },
	{ "MM_DB_STATEMENT_TIMEOUT_MS", CFG_INT, "30000", 100, 3600000,
	  OFF(db_statement_timeout_ms) },
	{ "MM_UPLOAD_MAX_BYTES", CFG_INT, "10485760", 1024, 1073741824,
	  OFF(upload_max_bytes) },
	{ "MM_ALLOWED_NETWORKS", CFG_STR, "127.0.0.0/8,::1/128", 0, 0,
	  OFF(allowed_networks) },
};

static struct cfg	cfg_store;
const struct cfg	*cfg = &cfg_store;

static int
parse_bool(const char *s, int *out)
{
	if (!strcasecmp(s, "true") || !strcmp(s, "1") ||
	    !strcasecmp(s, "yes") || !strcasecmp(s, "on"))
		*out = 1;
	else if (!strcasecmp(s, "false") || !strcmp(s, "0") ||
	    !strcasecmp(s, "no") || !strcasecmp(s, "off") || *s == '\0')
		*out = 0;
	else
		return -1;
	return 0;
}

/* Reads the secret file var/jwt.secret written once by the stack. */
static char *
read_secret_file(const char *dir)
{
	char	 path[4096], line[1024];
	FILE	*f;
	size_t	 n;

	snprintf(path, sizeof(path), "%s/jwt.secret", dir);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = '\0';
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return n >= 16 ? xstrdup(line) : NULL;
}

/* Accepts redis://host:port with an optional trailing slash and db. */
static int
parse_redis_url(const char *url, char *host, size_t hostlen, int *port)
{
	const char	*p, *colon;
	char		*end;
	long		 v;

	if (strncmp(url, "redis://", 8) != 0)
		return -1;
	p = url + 8;
	if (strchr(p, '@') != NULL)
		p = strchr(p, '@') + 1;
	colon = strchr(p, ':');
	if (colon == NULL) {
		snprintf(host, hostlen, "%.*s", (int)strcspn(p, "/"), p);
		*port = 6379;
		return host[0] ? 0 : -1;
	}
	snprintf(host, hostlen, "%.*s", (int)(colon - p), p);
	errno = 0;
	v = strtol(colon + 1, &end, 10);
	if (errno || v < 1 || v > 65535 || (*end != '\0' && *end != '/'))
		return -1;
	*port = (int)v;
	return host[0] ? 0 : -1;
}

int
cfg_load(char *err, unsigned long errlen)
{
	size_t	i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct cfg_key	*k = &keys[i];
		const char		*v = getenv(k->name);
		char			*base = (char *)&cfg_store + k->off;
		char			*end;
		long			 n;

		if (v == NULL || (*v == '\0' && k->type != CFG_BOOL))
			v = k->def;
		switch (k->type) {
		case CFG_STR:
		case CFG_SECRET:
			*(const char **)(void *)base = v ? xstrdup(v) : NULL;
			break;
		case CFG_BOOL:
			if (parse_bool(v ? v : "", (int *)(void *)base) == -1) {
				snprintf(err, errlen, "%s: expected true or "
				    "false, got \"%s\"", k->name, v);
				return -1;
			}
			break;
		case CFG_INT:
			errno = 0;
			n = strtol(v, &end, 10);
			if (errno || *end != '\0' || end == v ||
			    n < k->min || n > k->max) {
				snprintf(err, errlen, "%s: expected an integer "
				    "from %ld to %ld, got \"%s\"", k->name,
				    k->min, k->max, v);
				return -1;
			}
			*(int *)(void *)base = (int)n;
			break;
		}
	}
	if (parse_redis_url(cfg_store.redis_url, cfg_store.redis_host,
	    sizeof(cfg_store.redis_host), &cfg_store.redis_port) == -1) {
		snprintf(err, errlen, "MM_REDIS_URL: expected "
		    "redis://host:port, got \"%s\"", cfg_store.redis_url);
		return -1;
	}
	if (cfg_store.jwt_secret == NULL)
		cfg_store.jwt_secret = read_secret_file(cfg_store.var_dir);
	if (cfg_store.jwt_secret != NULL && strlen(cfg_store.jwt_secret) < 16) {
		snprintf(err, errlen, "MM_JWT_SECRET: must be at least 16 "
		    "characters");
		return -1;
	}
	cfg_store.version = MM_VERSION;
	return 0;
}

void
cfg_dump(void)
{
	size_t	i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const struct cfg_key	*k = &keys[i];
		const char		*base = (const char *)&cfg_store + k->off;
		const char		*s;

		switch (k->type) {
		case CFG_STR:
			s = *(const char *const *)(const void *)base;
			printf("%s=%s\n", k->name, s ? s : "(unset)");
			break;
		case CFG_SECRET:
			s = *(const char *const *)(const void *)base;
			printf("%s=%s\n", k->name, s ? "(set)" : "(unset)");
			break;
		case CFG_BOOL:
			printf("%s=%s\n", k->name,
			    *(const int *)(const void *)base ? "true" : "false");
			break;
		case CFG_INT:
			printf("%s=%d\n", k->name,
			    *(const int *)(const void *)base);
			break;
		}
	}
}
