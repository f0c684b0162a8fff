#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>
#include <jwt.h>

#include "mem.h"
#include "token.h"
#include "util.h"

#define HEADER_MAX	512	/* longest encoded header looked at */

/*
 * 1 when the token's header (its first segment, unpadded base64url JSON)
 * names exactly "alg":"HS256".  libjwt compares algorithm names without
 * regard to case, so it takes "hs256" for HS256; JOSE names are
 * case-sensitive and the contract accepts HS256 only.
 */
static int
header_is_hs256(const char *token)
{
	char		 json[HEADER_MAX];
	const cJSON	*alg;
	cJSON		*hdr;
	size_t		 n = strcspn(token, "."), i, len = 0;
	unsigned long	 acc = 0;
	int		 bits = 0, v, ok;

	if (n == 0 || n >= HEADER_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if ((v = util_b64_value((unsigned char)token[i], 1)) < 0)
			return 0;
		acc = (acc << 6) | (unsigned long)v;
		if ((bits += 6) >= 8) {
			bits -= 8;
			json[len++] = (char)((acc >> bits) & 0xff);
		}
	}
	json[len] = '\0';
	if ((hdr = cJSON_ParseWithLength(json, len)) == NULL)
		return 0;
	alg = cJSON_GetObjectItemCaseSensitive(hdr, "alg");
	ok = cJSON_IsObject(hdr) && cJSON_IsString(alg) &&
	    strcmp(alg->valuestring, "HS256") == 0;
	cJSON_Delete(hdr);
	return ok;
}

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

/*
 * Tokens this process verified lately.  A client sends the same access
 * token with every request until it expires, and decoding it again (an
 * HMAC through OpenSSL's provider lookup, two JSON parses) was the
 * largest part of an authenticated read.  A hit needs the very same token
 * string and secret that passed the full check, so it proves what the
 * check proved; the expiry is still compared with the clock on every use.
 */
#define CACHE_SLOTS	64

struct verified {
	char	*token;
	char	*secret;
	char	 sub[65];
	long	 exp;
};

static struct verified	cache[CACHE_SLOTS];

static void
cache_free(void)
{
	size_t	i;

	for (i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i].token);
		free(cache[i].secret);
	}
	memset(cache, 0, sizeof(cache));
}

static struct verified *
cache_slot(const char *token)
{
	return &cache[util_fnv1a(token, strlen(token)) % CACHE_SLOTS];
}

static void
cache_put(struct verified *v, const char *token, const char *secret,
    const char *sub, long exp)
{
	static int	registered;

	if (!registered && atexit(cache_free) == 0)
		registered = 1;
	free(v->token);
	free(v->secret);
	v->token = xstrdup(token);
	v->secret = xstrdup(secret);
	snprintf(v->sub, sizeof(v->sub), "%s", sub);
	v->exp = exp;
}

int
token_verify(const char *token, const char *secret, time_t now, char **sub)
{
	struct verified	*v;
	jwt_t		*jwt = NULL;
	const char	*s, *p;
	long		 exp;
	int		 dots = 0, rc = -1;

	*sub = NULL;
	if (token == NULL || secret == NULL || *token == '\0' ||
	    strlen(token) > 8192)
		return -1;
	v = cache_slot(token);
	if (v->token != NULL && strcmp(v->token, token) == 0 &&
	    strcmp(v->secret, secret) == 0) {
		if (v->exp <= (long)now)
			return -1;
		*sub = xstrdup(v->sub);
		return 0;
	}
	for (p = token; *p; p++)
		if (*p == '.')
			dots++;
	if (dots != 2 || !header_is_hs256(token))
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
	cache_put(v, token, secret, s, exp);
	rc = 0;
out:
	jwt_free(jwt);
	return rc;
}
