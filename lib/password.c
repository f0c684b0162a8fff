#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mem.h"
#include "password.h"
#include "util.h"

#define PREFIX		"pbkdf2_sha256$"
#define PREFIX_LEN	(sizeof(PREFIX) - 1)
#define SALT_MAX	64	/* longest salt accepted when verifying */

struct parsed {
	int		iterations;
	unsigned char	salt[SALT_MAX];
	size_t		saltlen;
	unsigned char	key[PASSWORD_KEY_LEN];
};

/*
 * Decodes canonical padded base64 s[0..n) into out (room for cap bytes):
 * no white space, padding only at the end, unused bits zero.  Returns the
 * decoded length, or -1.
 */
static long
b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	size_t		i, len = 0, pad = 0;
	unsigned long	acc;
	int		v, k;

	if (n == 0 || n % 4 != 0)
		return -1;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > cap)
		return -1;
	for (i = 0; i < n; i += 4) {
		acc = 0;
		for (k = 0; k < 4; k++) {
			if (i + (size_t)k >= n - pad) {
				acc <<= 6;
				continue;
			}
			if ((v = util_b64_value(s[i + (size_t)k], 0)) < 0)
				return -1;
			acc = (acc << 6) | (unsigned long)v;
		}
		out[len++] = (unsigned char)(acc >> 16);
		if (i + 4 < n || pad < 2)
			out[len++] = (unsigned char)(acc >> 8);
		if (i + 4 < n || pad < 1)
			out[len++] = (unsigned char)acc;
		/* The bits the padding stands for must be zero. */
		if (i + 4 == n && ((pad == 1 && (acc & 0xff) != 0) ||
		    (pad == 2 && (acc & 0xffff) != 0)))
			return -1;
	}
	return (long)len;
}

/* Parses the iteration count s[0..n): digits, no leading zero. */
static int
parse_iterations(const char *s, size_t n)
{
	long	v = 0;
	size_t	i;

	if (n == 0 || n > 9 || s[0] == '0')
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v >= 1 && v <= PASSWORD_MAX_ITERATIONS ? (int)v : -1;
}

static int
parse(const char *stored, struct parsed *p)
{
	const char	*it, *salt, *key, *end;
	long		 n;

	if (stored == NULL || strncmp(stored, PREFIX, PREFIX_LEN) != 0)
		return -1;
	it = stored + PREFIX_LEN;
	if ((salt = strchr(it, '$')) == NULL)
		return -1;
	salt++;
	if ((key = strchr(salt, '$')) == NULL)
		return -1;
	key++;
	if (strchr(key, '$') != NULL)
		return -1;
	end = key + strlen(key);
	if ((p->iterations = parse_iterations(it,
	    (size_t)(salt - 1 - it))) < 0)
		return -1;
	n = b64_decode(salt, (size_t)(key - 1 - salt), p->salt,
	    sizeof(p->salt));
	if (n < PASSWORD_SALT_LEN)
		return -1;
	p->saltlen = (size_t)n;
	n = b64_decode(key, (size_t)(end - key), p->key, sizeof(p->key));
	if (n != PASSWORD_KEY_LEN)
		return -1;
	return 0;
}

static int
derive(const char *pw, const unsigned char *salt, size_t saltlen,
    int iterations, unsigned char out[PASSWORD_KEY_LEN])
{
	return PKCS5_PBKDF2_HMAC(pw, (int)strlen(pw), salt, (int)saltlen,
	    iterations, EVP_sha256(), PASSWORD_KEY_LEN, out) == 1 ? 0 : -1;
}

char *
password_hash(const char *pw, int iterations)
{
	unsigned char	salt[PASSWORD_SALT_LEN], key[PASSWORD_KEY_LEN];
	unsigned char	salt64[4 * ((PASSWORD_SALT_LEN + 2) / 3) + 1];
	unsigned char	key64[4 * ((PASSWORD_KEY_LEN + 2) / 3) + 1];
	char		*out = NULL;

	if (pw == NULL || iterations < 1 ||
	    iterations > PASSWORD_MAX_ITERATIONS)
		return NULL;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return NULL;
	if (derive(pw, salt, sizeof(salt), iterations, key) == 0) {
		EVP_EncodeBlock(salt64, salt, sizeof(salt));
		EVP_EncodeBlock(key64, key, sizeof(key));
		out = xasprintf("%s%d$%s$%s", PREFIX, iterations,
		    (char *)salt64, (char *)key64);
	}
	OPENSSL_cleanse(key, sizeof(key));
	return out;
}

int
password_verify(const char *pw, const char *stored)
{
	struct parsed	p;
	unsigned char	key[PASSWORD_KEY_LEN];
	int		rc;

	if (pw == NULL || parse(stored, &p) == -1)
		return -1;
	if (derive(pw, p.salt, p.saltlen, p.iterations, key) == -1)
		return -1;
	rc = CRYPTO_memcmp(key, p.key, sizeof(key)) == 0;
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(&p, sizeof(p));
	return rc;
}

void
password_dummy(const char *pw, int iterations)
{
	static const unsigned char	salt[PASSWORD_SALT_LEN] =
	    "musclemap-dummy";
	unsigned char			key[PASSWORD_KEY_LEN];

	if (iterations < 1 || iterations > PASSWORD_MAX_ITERATIONS)
		return;
	(void)derive(pw ? pw : "", salt, sizeof(salt), iterations, key);
	OPENSSL_cleanse(key, sizeof(key));
}

int
password_iterations(const char *stored)
{
	struct parsed	p;

	return parse(stored, &p) == 0 ? p.iterations : -1;
}

int
password_needs_rehash(const char *stored, int iterations)
{
	int	n = password_iterations(stored);

	return n > 0 && n < iterations;
}
