/*
 * Unit tests of the request core: buffers, UTF-8 and body checks, field
 * validation, route matching and the error envelope.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cJSON.h>

#include "buf.h"
#include "cfg.h"
#include "err.h"
#include "http.h"
#include "json.h"
#include "route.h"
#include "valid.h"

static char *env_json[] = {
	"REQUEST_METHOD=POST", "PATH_INFO=/api/x",
	"CONTENT_TYPE=application/json; charset=utf-8",
	"QUERY_STRING=a=1&b=hello%20world&c=&d=x+y&a=2", NULL,
};

static void
setup_req(struct req *r, const char *body)
{
	req_init(r, env_json);
	r->body = strdup(body);
	r->body_len = strlen(body);
}

START_TEST(test_buf_json_str_escapes)
{
	struct buf	b = { 0 };

	buf_json_str(&b, "a\"b\\c\n\x01");
	ck_assert_str_eq(b.s, "\"a\\\"b\\\\c\\n\\u0001\"");
	buf_reset(&b);
	buf_json_str(&b, NULL);
	ck_assert_str_eq(b.s, "null");
	buf_free(&b);
}
END_TEST

START_TEST(test_buf_printf_grows)
{
	struct buf	b = { 0 };
	int		i;

	for (i = 0; i < 1000; i++)
		buf_printf(&b, "%d,", i);
	ck_assert_uint_eq(b.len, strlen(b.s));
	ck_assert(strncmp(b.s, "0,1,2,", 6) == 0);
	buf_free(&b);
}
END_TEST

START_TEST(test_utf8_valid_accepts_and_rejects)
{
	ck_assert(utf8_valid("plain", 5));
	ck_assert(utf8_valid("h\xc3\xa9llo \xf0\x9f\x92\xaa", 11));
	ck_assert(!utf8_valid("\xc3", 1));		/* truncated */
	ck_assert(!utf8_valid("\xc0\xaf", 2));		/* overlong */
	ck_assert(!utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	ck_assert(!utf8_valid("\xf5\x80\x80\x80", 4));	/* > U+10FFFF */
	ck_assert_uint_eq(utf8_len("h\xc3\xa9\xf0\x9f\x92\xaa"), 3);
}
END_TEST

START_TEST(test_json_parse_body_object)
{
	struct req	r;

	setup_req(&r, "{\"a\": 1} \n");
	ck_assert_int_eq(json_parse_body(&r, 0), 0);
	ck_assert(cJSON_IsObject(r.json));
	free(r.body);
	r.body = NULL;
	req_free(&r);
}
END_TEST

START_TEST(test_json_parse_body_bad_rejects)
{
	static const char *const bad[] = {
		"[1,2]", "\"s\"", "{\"a\":1} x", "{\"a\":\"\\u0000\"}",
		"{\"a\":", "{\"a\":\"\xff\"}", "",
	};
	size_t	i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct req	r;

		setup_req(&r, bad[i]);
		ck_assert_msg(json_parse_body(&r, 0) == -1, "accepted %s",
		    bad[i]);
		ck_assert_int_eq(r.status, 400);
		ck_assert(strstr(r.out.s, "VALIDATION_ERROR") != NULL);
		req_free(&r);
	}
}
END_TEST

START_TEST(test_json_parse_body_escaped_backslash_ok)
{
	struct req	r;

	/* A literal backslash followed by u0000 text is not a NUL. */
	setup_req(&r, "{\"a\":\"\\\\u0000\"}");
	ck_assert_int_eq(json_parse_body(&r, 0), 0);
	req_free(&r);
}
END_TEST

START_TEST(test_json_parse_body_empty_allowed)
{
	struct req	r;

	setup_req(&r, "");
	ck_assert_int_eq(json_parse_body(&r, 1), 0);
	ck_assert(cJSON_IsObject(r.json));
	req_free(&r);
}
END_TEST

START_TEST(test_valid_int_strict)
{
	struct req	 r;
	long		 v = 0;

	setup_req(&r, "{\"n\":3,\"s\":\"3\",\"f\":2.5,\"big\":101}");
	ck_assert_int_eq(json_parse_body(&r, 0), 0);
	ck_assert_int_eq(valid_int(&r, r.json, NULL, "n", V_REQUIRED, 1, 100,
	    &v), 1);
	ck_assert_int_eq(v, 3);
	ck_assert_int_eq(valid_int(&r, r.json, NULL, "missing", V_OPTIONAL,
	    1, 100, &v), 0);
	ck_assert_int_eq(valid_int(&r, r.json, NULL, "s", V_REQUIRED, 1, 100,
	    &v), -1);
	ck_assert(strstr(r.out.s, "s must be an integer from 1 to 100"));
	ck_assert_int_eq(valid_int(&r, r.json, "ex[0]", "f", V_REQUIRED, 1,
	    100, &v), -1);
	ck_assert(strstr(r.out.s, "ex[0].f must be an integer"));
	ck_assert_int_eq(valid_int(&r, r.json, NULL, "big", V_REQUIRED, 1,
	    100, &v), -1);
	req_free(&r);
}
END_TEST

START_TEST(test_valid_str_counts_characters)
{
	struct req	 r;
	const char	*s;

	/* Three characters, six bytes. */
	setup_req(&r, "{\"s\":\"\xc3\xa9\xc3\xa9\xc3\xa9\",\"n\":null}");
	ck_assert_int_eq(json_parse_body(&r, 0), 0);
	ck_assert_int_eq(valid_str(&r, r.json, NULL, "s", V_REQUIRED, 1, 3,
	    &s), 1);
	ck_assert_int_eq(valid_str(&r, r.json, NULL, "s", V_REQUIRED, 1, 2,
	    &s), -1);
	ck_assert_int_eq(valid_str(&r, r.json, NULL, "n", V_OPTIONAL, 1, 2,
	    &s), 0);
	ck_assert_int_eq(valid_str(&r, r.json, NULL, "n", V_REQUIRED, 1, 2,
	    &s), -1);
	ck_assert(strstr(r.out.s, "n is required"));
	req_free(&r);
}
END_TEST

START_TEST(test_valid_date_calendar)
{
	ck_assert(valid_date("2026-01-31"));
	ck_assert(valid_date("2024-02-29"));
	ck_assert(!valid_date("2026-02-29"));
	ck_assert(!valid_date("2026-13-01"));
	ck_assert(!valid_date("2026-1-01"));
	ck_assert(!valid_date("20260101xx"));
}
END_TEST

START_TEST(test_req_query_decodes)
{
	struct req	 r;

	setup_req(&r, "");
	ck_assert_str_eq(req_query(&r, "a"), "1");
	ck_assert_str_eq(req_query(&r, "b"), "hello world");
	ck_assert_str_eq(req_query(&r, "c"), "");
	ck_assert_str_eq(req_query(&r, "d"), "x y");
	ck_assert_ptr_null(req_query(&r, "zz"));
	req_free(&r);
}
END_TEST

START_TEST(test_route_match_params)
{
	struct req	 r;

	setup_req(&r, "");
	ck_assert(route_match(&r, "/api/exercises/:id/activations",
	    "/api/exercises/bw-pushup/activations"));
	ck_assert_uint_eq(r.nparams, 1);
	ck_assert_str_eq(r.params[0], "bw-pushup");
	ck_assert(!route_match(&r, "/api/exercises/:id/activations",
	    "/api/exercises//activations"));
	ck_assert(!route_match(&r, "/api/exercises", "/api/exercises/x"));
	ck_assert(route_match(&r, "/api/exercises", "/api/exercises/"));
	ck_assert(!route_match(&r, "/api/muscles", "/api/musclesx"));
	req_free(&r);
}
END_TEST

static int	handled;

static void
h_ok(struct req *r)
{
	handled++;
	http_json(r, 200, "{}", 2);
}

START_TEST(test_route_dispatch_405_lists_methods)
{
	static const struct route routes[] = {
		{ "GET", "/api/x", h_ok, 0 },
		{ "PUT", "/api/x", h_ok, 0 },
	};
	struct req	 r;

	setup_req(&r, "");	/* POST /api/x */
	route_dispatch(&r, routes, 2);
	ck_assert_int_eq(r.status, 405);
	ck_assert(strstr(r.headers.s, "Allow: GET, PUT\r\n") != NULL);
	ck_assert(strstr(r.out.s, "METHOD_NOT_ALLOWED") != NULL);
	ck_assert_int_eq(handled, 0);
	req_free(&r);
}
END_TEST

START_TEST(test_err_reply_envelope)
{
	struct req	 r;
	struct buf	 o = { 0 };
	char		 cl[64];

	setup_req(&r, "");
	http_json(&r, 200, "{\"partial\":1}", 13);
	err_reply(&r, ERR_INSUFFICIENT_CREDITS,
	    "You need 25 credits but only have 10");
	ck_assert_int_eq(r.status, 400);
	ck_assert_str_eq(r.out.s, "{\"error\":{\"code\":\"INSUFFICIENT_CREDITS"
	    "\",\"message\":\"You need 25 credits but only have 10\","
	    "\"statusCode\":400}}");
	http_serialize(&r, &o);
	ck_assert(strncmp(o.s, "Status: 400 Bad Request\r\n", 25) == 0);
	snprintf(cl, sizeof(cl), "Content-Length: %lu\r\n",
	    (unsigned long)strlen(r.out.s));
	ck_assert(strstr(o.s, cl) != NULL);
	ck_assert(strstr(o.s, "\r\n\r\n{\"error\"") != NULL);
	buf_free(&o);
	req_free(&r);
}
END_TEST

static Suite *
core_suite(void)
{
	Suite	*s = suite_create("core");
	TCase	*tc = tcase_create("core");

	tcase_add_test(tc, test_buf_json_str_escapes);
	tcase_add_test(tc, test_buf_printf_grows);
	tcase_add_test(tc, test_utf8_valid_accepts_and_rejects);
	tcase_add_test(tc, test_json_parse_body_object);
	tcase_add_test(tc, test_json_parse_body_bad_rejects);
	tcase_add_test(tc, test_json_parse_body_escaped_backslash_ok);
	tcase_add_test(tc, test_json_parse_body_empty_allowed);
	tcase_add_test(tc, test_valid_int_strict);
	tcase_add_test(tc, test_valid_str_counts_characters);
	tcase_add_test(tc, test_valid_date_calendar);
	tcase_add_test(tc, test_req_query_decodes);
	tcase_add_test(tc, test_route_match_params);
	tcase_add_test(tc, test_route_dispatch_405_lists_methods);
	tcase_add_test(tc, test_err_reply_envelope);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	char	 dir[] = "/tmp/mm-core-XXXXXX", err[256];
	int	 failed;

	/* The dispatcher counts requests in a rate-limit table under var. */
	if (mkdtemp(dir) == NULL)
		return 1;
	setenv("MM_VAR_DIR", dir, 1);
	if (cfg_load(err, sizeof(err)) == -1)
		return 1;
	sr = srunner_create(core_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	snprintf(err, sizeof(err), "%s/ratelimit.shm", dir);
	unlink(err);
	rmdir(dir);
	return failed == 0 ? 0 : 1;
}
