/*
 * redact: keeps secrets out of logs.  Diagnostics that clients send (the
 * front end's log entries, contract §11.7) may carry passwords, tokens or
 * cookies by accident; they are scrubbed before anything is written.
 *
 * A value is replaced by REDACT_MARK when its key names a secret
 * (password, token, secret, authorization, cookie, api key, session,
 * credential, private key, signature, card number, cvc...) whatever its
 * type, or when it is a string that looks like one: a JWT, a
 * "Bearer ..." / "Basic ..." credential, or a URL or text carrying
 * token=, password=, secret=, key= and the like.
 */
#ifndef MM_REDACT_H
#define MM_REDACT_H

struct cJSON;

#define REDACT_MARK	"[REDACTED]"

/* 1 when an object key names a secret (case-insensitive). */
int	redact_key_is_secret(const char *key);
/* 1 when a string value looks like a credential. */
int	redact_value_is_secret(const char *value);
/*
 * Scrubs the tree in place (objects and arrays, any depth) and returns how
 * many values were replaced.  The tree stays owned by the caller.
 */
int	redact_json(struct cJSON *);

#endif
