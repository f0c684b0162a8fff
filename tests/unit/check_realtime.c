/*
 * Unit tests of the real-time publisher: stream messages and identity
 * stripping, subscriber channels, and the requests sent to nchan's
 * publisher (against a fake publisher on a unix socket).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "buf.h"
#include "cfg.h"
#include "realtime.h"

#define EVENT	"{\"id\":\"evt_1\",\"eventType\":\"workout_completed\"," \
		"\"userId\":\"user_a\",\"username\":\"alice\",\"displayName\":\"A\"," \
		"\"payload\":{\"workoutId\":\"workout_1\",\"userId\":\"user_a\"," \
		"\"username\":\"alice\",\"totalTu\":91.67}," \
		"\"visibilityScope\":\"public_anon\",\"createdAt\":\"2026-01-04T18:30:00.000Z\"}"

static char	sock_dir[32], sock_file[64], log_file[64];
static pid_t	server;

/*
 * A fake nchan publisher: answers every request with status, appending
 * "<request line>\n<body>\n" to log_file.
 */
static void
fake_publisher(int status)
{
	struct sockaddr_un	sun;
	int			fd, c;

	unlink(sock_file);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sock_file);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	if ((server = fork()) != 0) {
		close(fd);
		return;
	}
	for (;;) {
		char	 buf[65536], *hdr_end, *cl, line[512];
		size_t	 got = 0;
		ssize_t	 n;
		long	 len = 0;
		FILE	*log;

		if ((c = accept(fd, NULL, NULL)) == -1)
			_exit(0);
		for (;;) {
			n = read(c, buf + got, sizeof(buf) - 1 - got);
			if (n <= 0)
				break;
			got += (size_t)n;
			buf[got] = '\0';
			if ((hdr_end = strstr(buf, "\r\n\r\n")) == NULL)
				continue;
			cl = strstr(buf, "Content-Length: ");
			len = cl ? atol(cl + 16) : 0;
			if ((size_t)(hdr_end + 4 - buf) + (size_t)len <= got)
				break;
		}
		hdr_end = strstr(buf, "\r\n\r\n");
		snprintf(line, sizeof(line), "%.*s", (int)strcspn(buf, "\r"),
		    buf);
		log = fopen(log_file, "a");
		fprintf(log, "%s\n%.*s\n", line, (int)len,
		    hdr_end ? hdr_end + 4 : "");
		fclose(log);
		n = snprintf(buf, sizeof(buf), "HTTP/1.1 %d X\r\n"
		    "Content-Length: 2\r\n\r\n{}", status);
		(void)!write(c, buf, (size_t)n);
		close(c);
	}
}

static void
stop_publisher(void)
{
	if (server > 0) {
		kill(server, SIGKILL);
		waitpid(server, NULL, 0);
		server = 0;
	}
	unlink(sock_file);
}

static char *
read_log(void)
{
	static char	 buf[65536];
	FILE		*f = fopen(log_file, "r");
	size_t		 n = 0;

	if (f != NULL) {
		n = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return buf;
}

static void
setup(void)
{
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/mm-rt-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(sock_dir));
	snprintf(sock_file, sizeof(sock_file), "%s/nchan.sock", sock_dir);
	snprintf(log_file, sizeof(log_file), "%s/requests.log", sock_dir);
	realtime_set_socket(sock_file);
}

static void
teardown(void)
{
	stop_publisher();
	unlink(log_file);
	rmdir(sock_dir);
}

START_TEST(test_realtime_activity_message_wraps)
{
	char	*m = realtime_activity_message(EVENT, 0);
	cJSON	*j = cJSON_Parse(m), *ev = cJSON_Parse(EVENT);

	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "type")->valuestring,
	    "activity");
	ck_assert(cJSON_Compare(cJSON_GetObjectItem(j, "data"), ev, 1));
	ck_assert_ptr_null(strchr(m, '\n'));	/* one SSE data: line */
	cJSON_Delete(j);
	cJSON_Delete(ev);
	cJSON_free(m);
}
END_TEST

START_TEST(test_realtime_activity_message_anon_strips)
{
	char		*m = realtime_activity_message(EVENT, 1);
	cJSON		*j = cJSON_Parse(m), *d, *p;

	d = cJSON_GetObjectItem(j, "data");
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "userId")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "username")));
	ck_assert(cJSON_IsNull(cJSON_GetObjectItem(d, "displayName")));
	p = cJSON_GetObjectItem(d, "payload");
	ck_assert_ptr_null(cJSON_GetObjectItem(p, "userId"));
	ck_assert_ptr_null(cJSON_GetObjectItem(p, "username"));
	ck_assert_str_eq(cJSON_GetObjectItem(p, "workoutId")->valuestring,
	    "workout_1");
	ck_assert_str_eq(cJSON_GetObjectItem(d, "id")->valuestring, "evt_1");
	ck_assert_ptr_null(strstr(m, "alice"));
	ck_assert_ptr_null(strstr(m, "user_a"));
	cJSON_Delete(j);
	cJSON_free(m);
}
END_TEST

START_TEST(test_realtime_activity_message_bad_rejects)
{
	ck_assert_ptr_null(realtime_activity_message(NULL, 0));
	ck_assert_ptr_null(realtime_activity_message("[1,2]", 1));
	ck_assert_ptr_null(realtime_activity_message("{\"id\":", 0));
}
END_TEST

START_TEST(test_realtime_subscriber_channels)
{
	struct buf	b = { 0 };

	realtime_subscriber_channels(&b, NULL, 0);
	ck_assert_str_eq(b.s, "community.anon");
	buf_reset(&b);
	realtime_subscriber_channels(&b, "user_x", 0);
	ck_assert_str_eq(b.s, "community.members,community.u.user_x");
	buf_reset(&b);
	realtime_subscriber_channels(&b, "user_x", 1);
	ck_assert_str_eq(b.s, "community.f.user_x,community.u.user_x");
	buf_free(&b);
}
END_TEST

START_TEST(test_realtime_publish_request)
{
	fake_publisher(201);
	ck_assert_int_eq(realtime_publish("a.b,c.d", "{\"x\":1}", 7), 0);
	ck_assert_str_eq(read_log(), "POST /pub?id=a.b,c.d HTTP/1.0\n"
	    "{\"x\":1}\n");
}
END_TEST

START_TEST(test_realtime_publish_bad_status_fails)
{
	fake_publisher(500);
	ck_assert_int_eq(realtime_publish("a", "{}", 2), -1);
}
END_TEST

START_TEST(test_realtime_publish_no_publisher_fails)
{
	ck_assert_int_eq(realtime_publish("a", "{}", 2), -1);
}
END_TEST

START_TEST(test_realtime_publish_event_private_to_owner_only)
{
	char	*log;

	fake_publisher(201);
	ck_assert_int_eq(realtime_publish_event(EVENT, "private", "user_a"),
	    0);
	log = read_log();
	ck_assert_ptr_nonnull(strstr(log,
	    "POST /pub?id=community.u.user_a HTTP/1.0\n"));
	ck_assert_ptr_null(strstr(log, "community.anon"));
	ck_assert_ptr_null(strstr(log, "community.members"));
}
END_TEST

START_TEST(test_realtime_publish_event_public_anon_two_views)
{
	char	*log, *anon, *members;

	fake_publisher(201);
	/* The database is unreachable here: the filtered copies fail. */
	ck_assert_int_eq(realtime_publish_event(EVENT, "public_anon",
	    "user_a"), -1);
	log = read_log();
	anon = strstr(log, "POST /pub?id=community.anon HTTP/1.0\n");
	members = strstr(log, "POST /pub?id=community.members HTTP/1.0\n");
	ck_assert_ptr_nonnull(anon);
	ck_assert_ptr_nonnull(members);
	/* The anonymous copy carries no identity, the members' copy does. */
	ck_assert(strncmp(strchr(anon, '\n') + 1, "{\"type\":\"activity\"", 18)
	    == 0);
	*members = '\0';
	ck_assert_ptr_null(strstr(anon, "alice"));
	ck_assert_ptr_nonnull(strstr(members + 1, "alice"));
	ck_assert_ptr_null(strstr(log, "community.u."));
}
END_TEST

START_TEST(test_realtime_publish_event_profile_not_anonymous)
{
	char	*log;

	fake_publisher(201);
	(void)realtime_publish_event(EVENT, "public_profile", "user_a");
	log = read_log();
	ck_assert_ptr_nonnull(strstr(log, "community.members"));
	ck_assert_ptr_null(strstr(log, "community.anon"));
}
END_TEST

START_TEST(test_realtime_publish_event_bad_input_rejects)
{
	fake_publisher(201);
	ck_assert_int_eq(realtime_publish_event(EVENT, "friends", "u"), -1);
	ck_assert_int_eq(realtime_publish_event("nope", "private", "u"), -1);
	ck_assert_int_eq(realtime_publish_event(NULL, "private", "u"), -1);
	ck_assert_str_eq(read_log(), "");
}
END_TEST

static Suite *
realtime_suite(void)
{
	Suite	*s = suite_create("realtime");
	TCase	*tc = tcase_create("realtime");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_realtime_activity_message_wraps);
	tcase_add_test(tc, test_realtime_activity_message_anon_strips);
	tcase_add_test(tc, test_realtime_activity_message_bad_rejects);
	tcase_add_test(tc, test_realtime_subscriber_channels);
	tcase_add_test(tc, test_realtime_publish_request);
	tcase_add_test(tc, test_realtime_publish_bad_status_fails);
	tcase_add_test(tc, test_realtime_publish_no_publisher_fails);
	tcase_add_test(tc, test_realtime_publish_event_private_to_owner_only);
	tcase_add_test(tc, test_realtime_publish_event_public_anon_two_views);
	tcase_add_test(tc, test_realtime_publish_event_profile_not_anonymous);
	tcase_add_test(tc, test_realtime_publish_event_bad_input_rejects);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr;
	char	 err[256];
	int	 failed;

	/* Nothing listens on port 1: database calls fail at once. */
	setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none", 1);
	setenv("REDIS_ENABLED", "false", 1);
	setenv("MM_LOG_LEVEL", "error", 1);
	if (cfg_load(err, sizeof(err)) == -1)
		return 1;
	sr = srunner_create(realtime_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
