/*
 * Unit tests of tokens, the rate-limit table and the crypto helpers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "cfg.h"
#include "ratelimit.h"
#include "token.h"
#include "util.h"

#define SECRET	"0123456789abcdef0123456789abcdef"

static void
b64url(const unsigned char *in, size_t n, char *out)
{
	size_t	i, j = 0;

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	for (i = 0; out[i]; i++) {
		if (out[i] == '=')
			break;
		out[j++] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	}
	out[j] = '\0';
}

/* Builds header.payload.signature by hand, signing with key (or none). */
static char *
forge(const char *header, const char *payload, const char *key)
{
	char		 h[512], p[512], sig[128], *tok;
	unsigned char	 mac[32];
	unsigned int	 maclen = 0;
	size_t		 n;

	b64url((const unsigned char *)header, strlen(header), h);
	b64url((const unsigned char *)payload, strlen(payload), p);
	n = strlen(h) + strlen(p) + 200;
	tok = malloc(n);
	snprintf(tok, n, "%s.%s", h, p);
	if (key == NULL)
		sig[0] = '\0';
	else {
		HMAC(EVP_sha256(), key, (int)strlen(key),
		    (unsigned char *)tok, strlen(tok), mac, &maclen);
		b64url(mac, maclen, sig);
	}
	strcat(tok, ".");
	strcat(tok, sig);
	return tok;
}

START_TEST(test_token_roundtrip)
{
	time_t	 now = time(NULL);
	char	*tok = token_sign("user_abc", SECRET, now, 3600), *sub;

	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), 0);
	ck_assert_str_eq(sub, "user_abc");
	free(sub);
	/* Expired one second after exp. */
	ck_assert_int_eq(token_verify(tok, SECRET, now + 3601, &sub), -1);
	ck_assert_ptr_null(sub);
	/* Wrong key. */
	ck_assert_int_eq(token_verify(tok, "another-secret-of-length", now,
	    &sub), -1);
	free(tok);
}
END_TEST

START_TEST(test_token_bad_rejects_alg_none_and_tampering)
{
	char	 payload[128], *tok, *sub;
	time_t	 now = time(NULL);

	snprintf(payload, sizeof(payload), "{\"sub\":\"user_x\",\"iat\":%ld,"
	    "\"exp\":%ld}", (long)now, (long)now + 600);
	tok = forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, NULL);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);
	tok = forge("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, SECRET);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);
	/* A correct signature over a payload without exp. */
	tok = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}",
	    "{\"sub\":\"user_x\"}", SECRET);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);
	/* A correct signature with everything in place is accepted. */
	tok = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload, SECRET);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), 0);
	free(sub);
	/* Flip one payload character: the signature no longer matches. */
	tok[strchr(tok, '.') - tok + 3] ^= 1;
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);
	ck_assert_int_eq(token_verify("a.b", SECRET, now, &sub), -1);
	ck_assert_int_eq(token_verify("", SECRET, now, &sub), -1);
}
END_TEST

START_TEST(test_ratelimit_shm_counts_per_key_and_window)
{
	char	dir[] = "/tmp/mm-rl-XXXXXX", err[256];
	long	i, n = 0;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	setenv("MM_VAR_DIR", dir, 1);
	ck_assert_int_eq(cfg_load(err, sizeof(err)), 0);
	for (i = 0; i < 5; i++)
		n = rl_shm_incr("rl:api:10.0.0.1", 100);
	ck_assert_int_eq(n, 5);
	ck_assert_int_eq(rl_shm_incr("rl:api:10.0.0.2", 100), 1);
	/* A new window starts again at one. */
	ck_assert_int_eq(rl_shm_incr("rl:api:10.0.0.1", 101), 1);
	/* A second process sees the same counters. */
	if (fork() == 0)
		_exit(rl_shm_incr("rl:api:10.0.0.2", 100) == 2 ? 0 : 1);
	else {
		int	status;

		wait(&status);
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	ck_assert_int_eq(rl_shm_incr("rl:api:10.0.0.2", 100), 3);
	snprintf(err, sizeof(err), "%s/ratelimit.shm", dir);
	unlink(err);
	rmdir(dir);
}
END_TEST

START_TEST(test_util_sha256_and_ct_equal)
{
	char	hex[65];

	util_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	ck_assert(util_ct_equal("abcd", "abcd", 4));
	ck_assert(!util_ct_equal("abcd", "abce", 4));
	util_random_hex(hex, 16);
	ck_assert_uint_eq(strlen(hex), 32);
}
END_TEST

static Suite *
security_suite(void)
{
	Suite	*s = suite_create("security");
	TCase	*tc = tcase_create("security");

	tcase_add_test(tc, test_token_roundtrip);
	tcase_add_test(tc, test_token_bad_rejects_alg_none_and_tampering);
	tcase_add_test(tc, test_ratelimit_shm_counts_per_key_and_window);
	tcase_add_test(tc, test_util_sha256_and_ct_equal);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(security_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
