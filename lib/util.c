#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util.h"

static const char	hexdigits[] = "0123456789abcdef";

static void
tohex(const unsigned char *in, size_t n, char *out)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hexdigits[in[i] >> 4];
		out[2 * i + 1] = hexdigits[in[i] & 15];
	}
	out[2 * n] = '\0';
}

void
util_random_hex(char *out, size_t nbytes)
{
	unsigned char	raw[64];

	if (nbytes > sizeof(raw))
		nbytes = sizeof(raw);
	if (RAND_bytes(raw, (int)nbytes) != 1) {
		fprintf(stderr, "RAND_bytes failed\n");
		abort();
	}
	tohex(raw, nbytes, out);
}

void
util_sha256_hex(const void *data, size_t n, char out[65])
{
	unsigned char	md[32];
	unsigned int	len = 0;

	EVP_Digest(data, n, md, &len, EVP_sha256(), NULL);
	tohex(md, 32, out);
}

uint64_t
util_fnv1a(const void *data, size_t n)
{
	const unsigned char	*p = data;
	uint64_t		 h = 1469598103934665603ULL;
	size_t			 i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

int
util_is_idchar(int c)
{
	return isalnum(c) || c == '.' || c == '_' || c == '-';
}

int
util_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
