#include <sys/socket.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <string.h>
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

/* Parses an address into 16 bytes (IPv4 mapped into ::ffff:0:0/96). */
static int
parse_addr(const char *s, unsigned char out[16], int *v4)
{
	struct in_addr	a4;

	if (inet_pton(AF_INET6, s, out) == 1) {
		*v4 = 0;
		return 0;
	}
	if (inet_pton(AF_INET, s, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		*v4 = 1;
		return 0;
	}
	return -1;
}

int
util_addr_in(const char *addr, const char *list)
{
	unsigned char	a[16], n[16];
	char		item[128], *slash;
	const char	*p = list;
	int		v4, nv4, bits, i;

	if (addr == NULL || list == NULL || parse_addr(addr, a, &v4) == -1)
		return 0;
	while (*p != '\0') {
		size_t	len;

		while (*p == ' ')
			p++;
		len = strcspn(p, ", ");
		snprintf(item, sizeof(item), "%.*s", (int)len, p);
		p += len;
		while (*p == ' ' || *p == ',')
			p++;
		if ((slash = strchr(item, '/')) != NULL)
			*slash++ = '\0';
		if (parse_addr(item, n, &nv4) == -1)
			continue;
		bits = slash ? atoi(slash) : (nv4 ? 32 : 128);
		if (nv4)
			bits += 96;
		if (bits < 0 || bits > 128)
			continue;
		for (i = 0; i < bits; i++)
			if (((a[i / 8] >> (7 - i % 8)) & 1) !=
			    ((n[i / 8] >> (7 - i % 8)) & 1))
				break;
		if (i == bits)
			return 1;
	}
	return 0;
}

int
util_b64_value(int c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}

int
util_write_all(int fd, const void *p, size_t n)
{
	const char	*c = p;
	ssize_t		 w;

	while (n > 0) {
		w = send(fd, c, n, MSG_NOSIGNAL);
		if (w == -1 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= (size_t)w;
	}
	return 0;
}
