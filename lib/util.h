/*
 * util: small helpers with no better home: randomness, hashing, hex and
 * socket writes.
 */
#ifndef MM_UTIL_H
#define MM_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Fills out with 2*nbytes lowercase hex digits of CSPRNG output + NUL. */
void	 util_random_hex(char *out, size_t nbytes);
/* Lowercase hex SHA-256 of data into out (65 bytes). */
void	 util_sha256_hex(const void *data, size_t n, char out[65]);
/* 64-bit FNV-1a, for ETags and cache keys (not for security). */
uint64_t util_fnv1a(const void *data, size_t n);
/* Characters allowed in a client-supplied X-Request-Id. */
int	 util_is_idchar(int c);
/*
 * 1 when addr (IPv4 or IPv6 text) is inside one of the comma-separated
 * CIDR networks in list ("127.0.0.0/8,::1/128"); a bare address means /32
 * or /128.
 */
int	 util_addr_in(const char *addr, const char *list);
/*
 * The value 0..63 of one base64 digit, -1 for anything else; url selects
 * the URL-safe alphabet ('-' and '_' for '+' and '/').
 */
int	 util_b64_value(int c, int url);
/* Constant-time comparison of two equal-length buffers. */
int	 util_ct_equal(const void *a, const void *b, size_t n);
/*
 * Sends all n bytes to a blocking socket (again after EINTR, never
 * raising SIGPIPE).  0, or -1 when the peer is gone or the send failed.
 */
int	 util_write_all(int fd, const void *p, size_t n);

#endif
