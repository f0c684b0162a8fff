/*
 * token: HS256 access tokens (contract §1.4) on top of libjwt 1.10.
 *
 * libjwt 1.10 accepts "alg":"none" when no key is given and never checks
 * "exp", so verification always passes the key and then checks the
 * algorithm, the expiry and the subject itself.
 */
#ifndef MM_TOKEN_H
#define MM_TOKEN_H

#include <time.h>

/* Returns a signed token (caller frees), or NULL on failure. */
char	*token_sign(const char *sub, const char *secret, time_t iat, int ttl);
/*
 * Verifies token against secret at time now.  On success returns 0 and
 * sets *sub to the subject (caller frees).  Otherwise returns -1; *sub is
 * NULL.  Tokens that passed are remembered (64 of them, per process), so
 * the same token again costs a string compare and the expiry check.
 */
int	 token_verify(const char *token, const char *secret, time_t now,
	    char **sub);

#endif
