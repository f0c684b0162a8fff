/*
 * cfg: configuration read once from the environment, before the first
 * FastCGI accept (afterwards getenv() sees request parameters, not the
 * process environment).  Every setting lives in one table in cfg.c with its
 * default and bounds; a bad value fails start-up naming the variable.
 */
#ifndef MM_CFG_H
#define MM_CFG_H

struct cfg {
	const char	*database_url;
	const char	*database_read_url;	/* NULL: reads use the primary */
	int		 db_pooled;		/* behind PgBouncer (transaction) */
	int		 redis_enabled;
	const char	*redis_url;
	char		 redis_host[256];
	int		 redis_port;
	int		 redis_timeout_ms;
	const char	*jwt_secret;		/* NULL until known */
	int		 jwt_ttl;
	int		 refresh_ttl;
	int		 pbkdf2_iterations;
	int		 rate_limit_per_min;
	int		 auth_rate_limit_per_min;
	const char	*stripe_webhook_secret;	/* NULL: webhook answers 503 */
	const char	*var_dir;
	int		 workers;
	const char	*log_level;
	int		 db_connect_timeout;
	int		 db_statement_timeout_ms;
	int		 upload_max_bytes;
	const char	*allowed_networks;	/* for metrics/health/detailed */
	const char	*version;
};

extern const struct cfg *cfg;

/*
 * Reads the environment into the global cfg.  On a bad value writes a
 * message naming the variable into err (size errlen) and returns -1.
 */
int	cfg_load(char *err, unsigned long errlen);
/* Prints every setting (secrets masked) to stdout, for --check. */
void	cfg_dump(void);

#endif
