#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "mem.h"
#include "token.h"

char *
token_sign(const char *sub, const char *secret, time_t iat, int ttl)
{
	jwt_t	*jwt = NULL;
	char	*out = NULL;

	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grant(jwt, "sub", sub) == 0 &&
	    jwt_add_grant_int(jwt, "iat", (long)iat) == 0 &&
	    jwt_add_grant_int(jwt, "exp", (long)iat + ttl) == 0 &&
	    jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret,
	    (int)strlen(secret)) == 0)
		out = jwt_encode_str(jwt);
	jwt_free(jwt);
	return out;
}

int
token_verify(const char *token, const char *secret, time_t now, char **sub)
{
	jwt_t		*jwt = NULL;
	const char	*s, *p;
	long		 exp;
	int		 dots = 0, rc = -1;

	*sub = NULL;
	if (token == NULL || secret == NULL || *token == '\0' ||
	    strlen(token) > 8192)
		return -1;
	for (p = token; *p; p++)
		if (*p == '.')
			dots++;
	if (dots != 2)
		return -1;
	if (jwt_decode(&jwt, token, (const unsigned char *)secret,
	    (int)strlen(secret)) != 0 || jwt == NULL)
		return -1;
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto out;
	errno = 0;
	exp = jwt_get_grant_int(jwt, "exp");
	if (errno != 0 || exp <= (long)now)
		goto out;
	s = jwt_get_grant(jwt, "sub");
	if (s == NULL || *s == '\0' || strlen(s) > 64)
		goto out;
	*sub = xstrdup(s);
	rc = 0;
out:
	jwt_free(jwt);
	return rc;
}
