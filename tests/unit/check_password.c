/*
 * Unit tests of password hashing (PBKDF2-HMAC-SHA256 in the stored form
 * pbkdf2_sha256$<iterations>$<salt b64>$<hash b64>), of access-token edge
 * cases that check_security.c does not cover, and of the role check that
 * admin endpoints use.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "http.h"
#include "password.h"
#include "token.h"

#define SECRET	"0123456789abcdef0123456789abcdef"
#define PW	"correct horse battery"

/*
 * Computed independently (Python's hashlib.pbkdf2_hmac) for PW, the salt
 * "0123456789abcdef" and 1000 / 1234 iterations.
 */
#define SALT64	"MDEyMzQ1Njc4OWFiY2RlZg=="
#define KNOWN_1000 \
	"pbkdf2_sha256$1000$" SALT64 \
	"$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4="
#define KNOWN_1234 \
	"pbkdf2_sha256$1234$" SALT64 \
	"$AGBhp2QIga1o2iAPfXOIqX4aI4E7KfyGv8nTVpHlpZg="
/* The same salt, 1000 iterations, password "pässwörd✓" in UTF-8. */
#define KNOWN_UTF8 \
	"pbkdf2_sha256$1000$" SALT64 \
	"$Xl9/tbSJmjOpl3fm26HgHbQPO1HFjSAj7SgxUP0aAv0="

/* Splits a stored hash into its four '$' fields; returns the count. */
static int
fields(const char *s, char out[4][128])
{
	int	n = 0;
	size_t	k = 0;

	memset(out, 0, 4 * 128);
	for (; *s != '\0'; s++) {
		if (*s == '$') {
			if (++n == 4)
				return 5;
			k = 0;
			continue;
		}
		if (k < 127)
			out[n][k++] = *s;
	}
	return n + 1;
}

static int
b64_len(const char *s)
{
	unsigned char	buf[128];
	int		n, pad = 0;

	if (strlen(s) % 4 != 0)
		return -1;
	n = EVP_DecodeBlock(buf, (const unsigned char *)s, (int)strlen(s));
	if (n < 0)
		return -1;
	if (strlen(s) > 0 && s[strlen(s) - 1] == '=')
		pad++;
	if (strlen(s) > 1 && s[strlen(s) - 2] == '=')
		pad++;
	return n - pad;
}

START_TEST(test_password_hash_format)
{
	char	*h = password_hash(PW, 1000), f[4][128];

	ck_assert_ptr_nonnull(h);
	ck_assert_int_eq(fields(h, f), 4);
	ck_assert_str_eq(f[0], "pbkdf2_sha256");
	ck_assert_str_eq(f[1], "1000");
	ck_assert_int_eq(b64_len(f[2]), PASSWORD_SALT_LEN);
	ck_assert_int_eq(b64_len(f[3]), PASSWORD_KEY_LEN);
	ck_assert_int_eq(password_iterations(h), 1000);
	ck_assert_ptr_null(strstr(h, PW));
	free(h);

	/* The configured default cost is written as is. */
	h = password_hash(PW, 600000);
	ck_assert_ptr_nonnull(h);
	ck_assert(strncmp(h, "pbkdf2_sha256$600000$", 21) == 0);
	ck_assert_int_eq(password_verify(PW, h), 1);
	free(h);
}
END_TEST

START_TEST(test_password_hash_salts_differ)
{
	char	*a = password_hash(PW, 1000), *b = password_hash(PW, 1000);
	char	 fa[4][128], fb[4][128];

	fields(a, fa);
	fields(b, fb);
	ck_assert_str_ne(fa[2], fb[2]);
	ck_assert_str_ne(fa[3], fb[3]);
	ck_assert_int_eq(password_verify(PW, a), 1);
	ck_assert_int_eq(password_verify(PW, b), 1);
	free(a);
	free(b);
}
END_TEST

START_TEST(test_password_hash_bad_iterations)
{
	ck_assert_ptr_null(password_hash(PW, 0));
	ck_assert_ptr_null(password_hash(PW, -1));
	ck_assert_ptr_null(password_hash(PW, PASSWORD_MAX_ITERATIONS + 1));
	ck_assert_ptr_null(password_hash(NULL, 1000));
}
END_TEST

START_TEST(test_password_verify_right_and_wrong)
{
	char	*h = password_hash(PW, 1000);

	ck_assert_int_eq(password_verify(PW, h), 1);
	ck_assert_int_eq(password_verify("correct horse batterY", h), 0);
	ck_assert_int_eq(password_verify("correct horse battery ", h), 0);
	ck_assert_int_eq(password_verify("correct horse batter", h), 0);
	ck_assert_int_eq(password_verify("", h), 0);
	ck_assert_int_eq(password_verify(NULL, h), -1);
	free(h);

	h = password_hash("", 1000);
	ck_assert_int_eq(password_verify("", h), 1);
	ck_assert_int_eq(password_verify(" ", h), 0);
	free(h);
}
END_TEST

START_TEST(test_password_verify_known_vectors)
{
	ck_assert_int_eq(password_verify(PW, KNOWN_1000), 1);
	ck_assert_int_eq(password_verify(PW, KNOWN_1234), 1);
	ck_assert_int_eq(password_verify("p\xc3\xa4ssw\xc3\xb6rd\xe2\x9c\x93",
	    KNOWN_UTF8), 1);
	ck_assert_int_eq(password_verify("passwoerd", KNOWN_UTF8), 0);
	ck_assert_int_eq(password_iterations(KNOWN_1234), 1234);
}
END_TEST

START_TEST(test_password_verify_bad_tampered)
{
	char	s[256];
	size_t	key;

	/* Another iteration count with the same salt and key. */
	ck_assert_int_eq(password_verify(PW,
	    "pbkdf2_sha256$1001$" SALT64
	    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4="), 0);
	ck_assert_int_eq(password_verify(PW,
	    "pbkdf2_sha256$1234$" SALT64
	    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4="), 0);

	/* One character of the key changed. */
	snprintf(s, sizeof(s), "%s", KNOWN_1000);
	key = strlen(s) - 10;
	s[key] = s[key] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(password_verify(PW, s), 0);

	/* One character of the salt changed. */
	snprintf(s, sizeof(s), "%s", KNOWN_1000);
	s[strlen("pbkdf2_sha256$1000$") + 2] ^= 1;
	ck_assert_int_eq(password_verify(PW, s), 0);

	/* The key of another password under the same salt. */
	ck_assert_int_eq(password_verify(PW,
	    "pbkdf2_sha256$1000$" SALT64
	    "$Xl9/tbSJmjOpl3fm26HgHbQPO1HFjSAj7SgxUP0aAv0="), 0);
}
END_TEST

START_TEST(test_password_verify_bad_malformed)
{
	static const char *const bad[] = {
		"",
		"x",
		"pbkdf2_sha256",
		"pbkdf2_sha256$",
		"pbkdf2_sha256$1000",
		"pbkdf2_sha256$1000$" SALT64,
		"pbkdf2_sha256$1000$" SALT64 "$",
		"$1000$" SALT64 "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		/* Other schemes and spellings. */
		"pbkdf2_sha1$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"PBKDF2_SHA256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		" pbkdf2_sha256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		/* Bad iteration counts. */
		"pbkdf2_sha256$$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$0$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$01000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$-1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$+1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$1e3$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$ 1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$100000001$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$99999999999999999999$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		/* Bad salts: empty, too short, not base64, unpadded. */
		"pbkdf2_sha256$1000$"
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$1000$MDEyMzQ1Njc4OWFiY2Rl"
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$1000$MDEyMzQ1Njc4OWFiY2RlZg"
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$1000$MDEyMzQ1Njc4OWFi*2RlZg=="
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$1000$MDEyMzQ1Njc4O=FiY2RlZg=="
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=",
		/* Bad keys: 31 and 33 bytes, junk, white space, extra field. */
		"pbkdf2_sha256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWA==",
		"pbkdf2_sha256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4AAA=",
		"pbkdf2_sha256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4",
		"pbkdf2_sha256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4= ",
		"pbkdf2_sha256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5Vg\nJxyPFApArIZRCQsqjEgZWJ4=",
		"pbkdf2_sha256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=$",
		"pbkdf2_sha256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ4=$x",
		/* Non-canonical base64: the last character's spare bits set. */
		"pbkdf2_sha256$1000$" SALT64
		    "$BVALGMmC/K/8ELErc5VgJxyPFApArIZRCQsqjEgZWJ5=",
		NULL,
	};
	size_t	i;

	for (i = 0; bad[i] != NULL; i++) {
		ck_assert_msg(password_verify(PW, bad[i]) == -1,
		    "malformed hash %lu accepted", (unsigned long)i);
		ck_assert_int_eq(password_iterations(bad[i]), -1);
		ck_assert_int_eq(password_needs_rehash(bad[i], 600000), 0);
	}
	ck_assert_int_eq(password_verify(PW, NULL), -1);
	/* The test fixture's placeholder (all-zero key) is well formed. */
	ck_assert_int_eq(password_verify(PW, "pbkdf2_sha256$1000$"
	    "AAAAAAAAAAAAAAAAAAAAAA==$"
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="), 0);
}
END_TEST

START_TEST(test_password_needs_rehash)
{
	ck_assert_int_eq(password_needs_rehash(KNOWN_1000, 600000), 1);
	ck_assert_int_eq(password_needs_rehash(KNOWN_1000, 1001), 1);
	ck_assert_int_eq(password_needs_rehash(KNOWN_1000, 1000), 0);
	/* A lowered configuration never downgrades a stored hash. */
	ck_assert_int_eq(password_needs_rehash(KNOWN_1234, 1000), 0);
}
END_TEST

START_TEST(test_password_dummy_costs_like_verify)
{
	/* It must run (and not crash) for any input, including NULL. */
	password_dummy(PW, 1000);
	password_dummy(NULL, 1000);
	password_dummy(PW, 0);
	password_dummy(PW, PASSWORD_MAX_ITERATIONS + 1);
}
END_TEST

/* ------------------------------------------------------------ tokens */

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

static char *
forge(const char *header, const char *payload, const char *key)
{
	char		 h[1024], p[1024], sig[128], *tok;
	unsigned char	 mac[32];
	unsigned int	 maclen = 0;
	size_t		 n;

	b64url((const unsigned char *)header, strlen(header), h);
	b64url((const unsigned char *)payload, strlen(payload), p);
	n = strlen(h) + strlen(p) + 200;
	tok = malloc(n);
	snprintf(tok, n, "%s.%s", h, p);
	sig[0] = '\0';
	if (key != NULL) {
		HMAC(EVP_sha256(), key, (int)strlen(key),
		    (unsigned char *)tok, strlen(tok), mac, &maclen);
		b64url(mac, maclen, sig);
	}
	strcat(tok, ".");
	strcat(tok, sig);
	return tok;
}

/* Verifies an HS256 token with the given payload, correctly signed. */
static int
verify_payload(const char *payload, time_t now)
{
	char	*tok = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", payload,
	    SECRET), *sub = NULL;
	int	 rc = token_verify(tok, SECRET, now, &sub);

	if (rc == 0)
		ck_assert_ptr_nonnull(sub);
	else
		ck_assert_ptr_null(sub);
	free(sub);
	free(tok);
	return rc;
}

START_TEST(test_token_sign_claims)
{
	time_t		 now = 1700000000;
	char		*tok = token_sign("user_abc", SECRET, now, 3600);
	char		*dot1, *dot2, *sub, buf[512];
	unsigned char	 raw[512];
	int		 n;
	size_t		 len;

	ck_assert_ptr_nonnull(tok);
	dot1 = strchr(tok, '.');
	ck_assert_ptr_nonnull(dot1);
	dot2 = strchr(dot1 + 1, '.');
	ck_assert_ptr_nonnull(dot2);
	ck_assert_ptr_null(strchr(dot2 + 1, '.'));

	/* The payload carries sub, iat and exp = iat + ttl. */
	len = (size_t)(dot2 - dot1 - 1);
	memcpy(buf, dot1 + 1, len);
	while (len % 4 != 0)
		buf[len++] = '=';
	buf[len] = '\0';
	for (n = 0; buf[n]; n++)
		buf[n] = buf[n] == '-' ? '+' : buf[n] == '_' ? '/' : buf[n];
	n = EVP_DecodeBlock(raw, (unsigned char *)buf, (int)len);
	ck_assert_int_gt(n, 0);
	raw[n] = '\0';
	ck_assert_ptr_nonnull(strstr((char *)raw, "\"sub\":\"user_abc\""));
	ck_assert_ptr_nonnull(strstr((char *)raw, "\"iat\":1700000000"));
	ck_assert_ptr_nonnull(strstr((char *)raw, "\"exp\":1700003600"));

	/* Valid until the second before exp, not at exp. */
	ck_assert_int_eq(token_verify(tok, SECRET, now + 3599, &sub), 0);
	ck_assert_str_eq(sub, "user_abc");
	free(sub);
	ck_assert_int_eq(token_verify(tok, SECRET, now + 3600, &sub), -1);
	ck_assert_ptr_null(sub);
	free(tok);
}
END_TEST

/* A remembered token proves no more than the full check did. */
START_TEST(test_token_cache_is_exact)
{
	time_t	 now = time(NULL);
	char	*tok = token_sign("user_cached", SECRET, now, 60), *sub = NULL;
	char	*forged;
	size_t	 n;

	ck_assert_ptr_nonnull(tok);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), 0);
	free(sub);
	/* Again (from the cache): the same answer. */
	ck_assert_int_eq(token_verify(tok, SECRET, now + 1, &sub), 0);
	ck_assert_str_eq(sub, "user_cached");
	free(sub);
	/* The expiry is checked on every use. */
	ck_assert_int_eq(token_verify(tok, SECRET, now + 60, &sub), -1);
	ck_assert_ptr_null(sub);
	/* Another secret does not hit. */
	ck_assert_int_eq(token_verify(tok, "another secret", now, &sub), -1);
	ck_assert_ptr_null(sub);
	/* Nor does a token one signature character away. */
	forged = strdup(tok);
	n = strlen(forged);
	forged[n - 2] = forged[n - 2] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(token_verify(forged, SECRET, now, &sub), -1);
	ck_assert_ptr_null(sub);
	free(forged);
	free(tok);
}
END_TEST

START_TEST(test_token_bad_exp_types)
{
	time_t	now = time(NULL);
	char	p[256];

	snprintf(p, sizeof(p), "{\"sub\":\"u\",\"exp\":%ld}", (long)now + 60);
	ck_assert_int_eq(verify_payload(p, now), 0);
	snprintf(p, sizeof(p), "{\"sub\":\"u\",\"exp\":\"%ld\"}",
	    (long)now + 60);
	ck_assert_int_eq(verify_payload(p, now), -1);
	snprintf(p, sizeof(p), "{\"sub\":\"u\",\"exp\":%ld.5}",
	    (long)now + 60);
	ck_assert_int_eq(verify_payload(p, now), -1);
	ck_assert_int_eq(verify_payload("{\"sub\":\"u\",\"exp\":true}", now),
	    -1);
	ck_assert_int_eq(verify_payload("{\"sub\":\"u\",\"exp\":null}", now),
	    -1);
	ck_assert_int_eq(verify_payload("{\"sub\":\"u\",\"exp\":-1}", now),
	    -1);
	ck_assert_int_eq(verify_payload("{\"sub\":\"u\",\"exp\":0}", now), -1);
	snprintf(p, sizeof(p), "{\"sub\":\"u\",\"exp\":%ld}", (long)now);
	ck_assert_int_eq(verify_payload(p, now), -1);
}
END_TEST

START_TEST(test_token_bad_sub)
{
	time_t	now = time(NULL);
	char	p[512];

	snprintf(p, sizeof(p), "{\"exp\":%ld}", (long)now + 60);
	ck_assert_int_eq(verify_payload(p, now), -1);
	snprintf(p, sizeof(p), "{\"sub\":42,\"exp\":%ld}", (long)now + 60);
	ck_assert_int_eq(verify_payload(p, now), -1);
	snprintf(p, sizeof(p), "{\"sub\":\"\",\"exp\":%ld}", (long)now + 60);
	ck_assert_int_eq(verify_payload(p, now), -1);
	snprintf(p, sizeof(p), "{\"sub\":null,\"exp\":%ld}", (long)now + 60);
	ck_assert_int_eq(verify_payload(p, now), -1);
	snprintf(p, sizeof(p), "{\"sub\":[\"user_x\"],\"exp\":%ld}",
	    (long)now + 60);
	ck_assert_int_eq(verify_payload(p, now), -1);
	snprintf(p, sizeof(p), "{\"sub\":\"%s\",\"exp\":%ld}",
	    "user_0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
	    "abcdef",
	    (long)now + 60);
	ck_assert_int_eq(verify_payload(p, now), -1);
	/* A payload that is not a JSON object. */
	ck_assert_int_eq(verify_payload("[1,2]", now), -1);
	ck_assert_int_eq(verify_payload("not json", now), -1);
}
END_TEST

START_TEST(test_token_bad_header_and_structure)
{
	time_t	 now = time(NULL);
	char	 p[256], *tok, *sub = NULL, *big;
	size_t	 n;

	snprintf(p, sizeof(p), "{\"sub\":\"user_x\",\"iat\":%ld,\"exp\":%ld}",
	    (long)now, (long)now + 600);

	/* Algorithm names are case-sensitive; HS384/HS512 are refused. */
	tok = forge("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", p, SECRET);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);
	tok = forge("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", p, SECRET);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);
	tok = forge("{\"typ\":\"JWT\"}", p, SECRET);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);
	/* alg none signed with the key anyway, and with no signature. */
	tok = forge("{\"alg\":\"none\"}", p, SECRET);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);
	tok = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p, NULL);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);
	/* A key that is a prefix of the real one. */
	tok = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p,
	    "0123456789abcdef0123456789abcde");
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), -1);
	free(tok);

	/* Extra segments, trailing characters, white space. */
	tok = forge("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", p, SECRET);
	ck_assert_int_eq(token_verify(tok, SECRET, now, &sub), 0);
	free(sub);
	n = strlen(tok);
	big = malloc(n + 3);
	snprintf(big, n + 3, "%s.x", tok);
	ck_assert_int_eq(token_verify(big, SECRET, now, &sub), -1);
	snprintf(big, n + 3, " %s", tok);
	ck_assert_int_eq(token_verify(big, SECRET, now, &sub), -1);
	snprintf(big, n + 3, "%sA", tok);
	ck_assert_int_eq(token_verify(big, SECRET, now, &sub), -1);
	free(big);
	ck_assert_int_eq(token_verify("..", SECRET, now, &sub), -1);
	ck_assert_int_eq(token_verify("a.b.c", SECRET, now, &sub), -1);

	/* NULL arguments and an oversized token. */
	ck_assert_int_eq(token_verify(NULL, SECRET, now, &sub), -1);
	ck_assert_ptr_null(sub);
	ck_assert_int_eq(token_verify(tok, NULL, now, &sub), -1);
	ck_assert_ptr_null(sub);
	big = malloc(9000);
	memset(big, 'a', 8999);
	big[8999] = '\0';
	big[100] = '.';
	big[200] = '.';
	ck_assert_int_eq(token_verify(big, SECRET, now, &sub), -1);
	free(big);
	free(tok);
}
END_TEST

/* ------------------------------------------------------------ roles */

static char *env_get[] = { "REQUEST_METHOD=GET", "PATH_INFO=/api/x", NULL };

START_TEST(test_auth_require_role)
{
	static char	*user_roles[] = { "user", NULL };
	static char	*mod_roles[] = { "user", "moderator", NULL };
	struct user	 u = { 0 };
	struct req	 r;

	req_init(&r, env_get);
	u.id = "user_x";
	u.roles = user_roles;
	r.user = &u;
	ck_assert_int_eq(auth_require_role(&r, "admin", NULL), -1);
	ck_assert_int_eq(r.status, 403);
	ck_assert_ptr_nonnull(strstr(r.out.s, "\"FORBIDDEN\""));
	r.user = NULL;
	req_free(&r);

	req_init(&r, env_get);
	u.roles = mod_roles;
	r.user = &u;
	ck_assert_int_eq(auth_require_role(&r, "admin", "moderator"), 0);
	ck_assert_int_eq(auth_require_role(&r, "moderator", NULL), 0);
	ck_assert_int_eq(r.responded, 0);
	ck_assert(user_has_role(&u, "user"));
	ck_assert(!user_has_role(&u, "mod"));
	ck_assert(!user_has_role(NULL, "user"));
	r.user = NULL;
	req_free(&r);

	/* No user at all is a 401, not a 403. */
	req_init(&r, env_get);
	ck_assert_int_eq(auth_require_role(&r, "admin", NULL), -1);
	ck_assert_int_eq(r.status, 401);
	ck_assert_ptr_nonnull(strstr(r.out.s, "\"UNAUTHORIZED\""));
	req_free(&r);
}
END_TEST

static Suite *
password_suite(void)
{
	Suite	*s = suite_create("password");
	TCase	*tc = tcase_create("password");

	/* The default-cost hash takes a fraction of a second. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_password_hash_format);
	tcase_add_test(tc, test_password_hash_salts_differ);
	tcase_add_test(tc, test_password_hash_bad_iterations);
	tcase_add_test(tc, test_password_verify_right_and_wrong);
	tcase_add_test(tc, test_password_verify_known_vectors);
	tcase_add_test(tc, test_password_verify_bad_tampered);
	tcase_add_test(tc, test_password_verify_bad_malformed);
	tcase_add_test(tc, test_password_needs_rehash);
	tcase_add_test(tc, test_password_dummy_costs_like_verify);
	tcase_add_test(tc, test_token_sign_claims);
	tcase_add_test(tc, test_token_bad_exp_types);
	tcase_add_test(tc, test_token_cache_is_exact);
	tcase_add_test(tc, test_token_bad_sub);
	tcase_add_test(tc, test_token_bad_header_and_structure);
	tcase_add_test(tc, test_auth_require_role);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(password_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
