/*
 * password: PBKDF2-HMAC-SHA256 password hashing (contract §2.1).
 *
 * Stored form: "pbkdf2_sha256$<iterations>$<salt base64>$<hash base64>",
 * standard base64 with padding, a random 16-byte salt per password and a
 * 32-byte derived key.  The iteration count travels with the hash, so the
 * configured cost (MM_PBKDF2_ITERATIONS) can be raised later: old hashes
 * still verify with their own count, and password_needs_rehash() says when
 * a login should store a fresh one.
 *
 * Hashing happens here, never in SQL, and nothing in this module logs:
 * neither the password nor the hash may reach a log line.
 */
#ifndef MM_PASSWORD_H
#define MM_PASSWORD_H

#define PASSWORD_SALT_LEN	16
#define PASSWORD_KEY_LEN	32
/* The largest iteration count accepted, stored or configured. */
#define PASSWORD_MAX_ITERATIONS	100000000

/*
 * Hashes pw with a fresh random salt and the given iteration count
 * (1 to PASSWORD_MAX_ITERATIONS).  Returns the stored form (the caller
 * frees it), or NULL when the count is out of range or the random source
 * or the key derivation failed.
 */
char	*password_hash(const char *pw, int iterations);

/*
 * Checks pw against a stored form, with the iteration count and salt it
 * names; the derived keys are compared in constant time.  Returns 1 on a
 * match, 0 on a mismatch, -1 when stored is not a well-formed hash (NULL,
 * another scheme, a bad count, bad base64, wrong salt or key length).
 */
int	 password_verify(const char *pw, const char *stored);

/*
 * Runs one key derivation of the given cost and discards it: used for
 * unknown accounts so that a login takes about as long either way.
 */
void	 password_dummy(const char *pw, int iterations);

/* The iteration count of a well-formed stored form, or -1. */
int	 password_iterations(const char *stored);

/*
 * 1 when stored is well formed but uses fewer iterations than the
 * configured count (a login should then store a new hash), else 0.
 */
int	 password_needs_rehash(const char *stored, int iterations);

#endif
