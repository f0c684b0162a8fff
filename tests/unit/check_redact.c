/*
 * Unit tests of the secret scrubber used for client diagnostics
 * (lib/redact.c, contract §11.7).
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <cJSON.h>

#include "redact.h"

#define JWT	"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyXzEyMyJ9.c2lnbmF0dXJlX3NpZw"

START_TEST(test_redact_key_is_secret_names)
{
	const char *const yes[] = {
		"password", "Password", "newPassword", "user_password", "passwd",
		"token", "accessToken", "refresh_token", "X-Auth-Token", "jwt",
		"secret", "clientSecret", "Authorization", "authorization",
		"cookie", "Set-Cookie", "apiKey", "api_key", "API-KEY",
		"sessionId", "credentials", "privateKey", "signature",
		"cardNumber", "cvc", "passphrase",
	};
	const char *const no[] = {
		"message", "level", "url", "stack", "author", "className",
		"footprint", "keyboard", "userId", "count", "", NULL,
	};
	size_t	i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		ck_assert_msg(redact_key_is_secret(yes[i]), "%s", yes[i]);
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		ck_assert_msg(!redact_key_is_secret(no[i]), "%s",
		    no[i] ? no[i] : "(null)");
}
END_TEST

START_TEST(test_redact_value_is_secret_shapes)
{
	ck_assert(redact_value_is_secret(JWT));
	ck_assert(redact_value_is_secret("token was " JWT " here"));
	ck_assert(redact_value_is_secret("Bearer abcdefgh12345"));
	ck_assert(redact_value_is_secret("authorization: bearer abc.def.ghijk"));
	ck_assert(redact_value_is_secret("Basic dXNlcjpwYXNzd29yZA=="));
	ck_assert(redact_value_is_secret("https://x.test/cb?code=1&token=abc"));
	ck_assert(redact_value_is_secret("/reset?password=hunter2"));
	ck_assert(redact_value_is_secret("token=abc"));
	ck_assert(redact_value_is_secret("a=1; session=xyz"));
	ck_assert(!redact_value_is_secret("TypeError: x is undefined"));
	ck_assert(!redact_value_is_secret("https://x.test/workouts?page=2"));
	ck_assert(!redact_value_is_secret("monkey=1"));
	ck_assert(!redact_value_is_secret("the bearer of good news"));
	ck_assert(!redact_value_is_secret("eyJ short.one.x"));
	ck_assert(!redact_value_is_secret(""));
	ck_assert(!redact_value_is_secret(NULL));
}
END_TEST

START_TEST(test_redact_json_scrubs_any_depth)
{
	cJSON	*j = cJSON_Parse("{\"msg\":\"ok\",\"password\":\"hunter2\","
	    "\"nested\":{\"accessToken\":{\"v\":1},\"list\":[\"fine\",\"Bearer "
	    "abcdefghijk\",{\"apiKey\":42}]},\"cookie\":null,"
	    "\"url\":\"/x?token=abc\",\"n\":3}");
	char	*s;

	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(redact_json(j), 5);
	s = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(s, "{\"msg\":\"ok\",\"password\":\"[REDACTED]\","
	    "\"nested\":{\"accessToken\":\"[REDACTED]\",\"list\":[\"fine\","
	    "\"[REDACTED]\",{\"apiKey\":\"[REDACTED]\"}]},\"cookie\":null,"
	    "\"url\":\"[REDACTED]\",\"n\":3}");
	cJSON_free(s);
	ck_assert_int_eq(redact_json(j), 0);
	cJSON_Delete(j);
	ck_assert_int_eq(redact_json(NULL), 0);
}
END_TEST

START_TEST(test_redact_json_duplicate_keys_terminate)
{
	cJSON	*j = cJSON_Parse("{\"token\":\"a\",\"token\":\"b\",\"x\":[]}");
	char	*s;

	ck_assert_int_eq(redact_json(j), 2);
	s = cJSON_PrintUnformatted(j);
	ck_assert_str_eq(s, "{\"token\":\"[REDACTED]\",\"token\":\"[REDACTED]\","
	    "\"x\":[]}");
	cJSON_free(s);
	cJSON_Delete(j);
}
END_TEST

static Suite *
redact_suite(void)
{
	Suite	*s = suite_create("redact");
	TCase	*tc = tcase_create("redact");

	tcase_add_test(tc, test_redact_key_is_secret_names);
	tcase_add_test(tc, test_redact_value_is_secret_shapes);
	tcase_add_test(tc, test_redact_json_scrubs_any_depth);
	tcase_add_test(tc, test_redact_json_duplicate_keys_terminate);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(redact_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
