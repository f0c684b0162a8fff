/*
 * Unit tests of the scheduled jobs' frame (lib/job.c): option parsing, the
 * batch answer protocol and the summary line.  The database side is
 * covered by sql/tests/82_jobs.sql and tests/jobs/.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "job.h"

static int
parse(struct job_opts *o, char *err, int argc, ...)
{
	char	*argv[16];
	va_list	 ap;
	int	 i;

	argv[0] = "job";
	va_start(ap, argc);
	for (i = 1; i < argc; i++)
		argv[i] = va_arg(ap, char *);
	va_end(ap);
	argv[argc] = NULL;
	return job_parse_args(o, argc, argv, err, 256);
}

START_TEST(test_job_parse_args_defaults)
{
	struct job_opts	o;
	char		err[256];

	ck_assert_int_eq(parse(&o, err, 1), 0);
	ck_assert_int_eq(o.dry_run, 0);
	ck_assert_int_eq(o.verbose, 0);
	ck_assert_int_eq(o.batch_size, JOB_BATCH_DEFAULT);
	ck_assert_str_eq(o.date, "");
}
END_TEST

START_TEST(test_job_parse_args_all_options)
{
	struct job_opts	o;
	char		err[256];

	ck_assert_int_eq(parse(&o, err, 7, "--dry-run", "--verbose",
	    "--batch-size", "250", "--date", "2024-02-29"), 0);
	ck_assert_int_eq(o.dry_run, 1);
	ck_assert_int_eq(o.verbose, 1);
	ck_assert_int_eq(o.batch_size, 250);
	ck_assert_str_eq(o.date, "2024-02-29");
	ck_assert_int_eq(parse(&o, err, 3, "-n", "-v"), 0);
	ck_assert_int_eq(o.dry_run && o.verbose, 1);
	ck_assert_int_eq(parse(&o, err, 3, "--batch-size", "100000"), 0);
	ck_assert_int_eq(parse(&o, err, 2, "--help"), 1);
	ck_assert_int_eq(parse(&o, err, 3, "--dry-run", "-h"), 1);
}
END_TEST

START_TEST(test_job_parse_args_bad_rejects)
{
	struct job_opts	o;
	char		err[256];

	ck_assert_int_eq(parse(&o, err, 2, "--nope"), -1);
	ck_assert_ptr_nonnull(strstr(err, "--nope"));
	ck_assert_int_eq(parse(&o, err, 2, "--batch-size"), -1);
	ck_assert_ptr_nonnull(strstr(err, "needs a value"));
	ck_assert_int_eq(parse(&o, err, 3, "--batch-size", "0"), -1);
	ck_assert_int_eq(parse(&o, err, 3, "--batch-size", "100001"), -1);
	ck_assert_int_eq(parse(&o, err, 3, "--batch-size", "12x"), -1);
	ck_assert_int_eq(parse(&o, err, 3, "--batch-size", ""), -1);
	ck_assert_int_eq(parse(&o, err, 3, "--batch-size", "-5"), -1);
	ck_assert_int_eq(parse(&o, err, 3, "--date", "2023-02-29"), -1);
	ck_assert_int_eq(parse(&o, err, 3, "--date", "2024-13-01"), -1);
	ck_assert_int_eq(parse(&o, err, 3, "--date", "tomorrow"), -1);
	ck_assert_int_eq(parse(&o, err, 3, "--date", "2024-01-01x"), -1);
	ck_assert_int_eq(parse(&o, err, 2, "dry-run"), -1);
}
END_TEST

START_TEST(test_job_parse_step_reads_the_answer)
{
	char	next[32];
	long	p, c;

	ck_assert_int_eq(job_parse_step("{\"processed\": 1000, \"changed\": 7, "
	    "\"next\": \"user_abc\"}", &p, &c, next, sizeof(next)), 0);
	ck_assert_int_eq(p, 1000);
	ck_assert_int_eq(c, 7);
	ck_assert_str_eq(next, "user_abc");
	ck_assert_int_eq(job_parse_step("{\"processed\": 3, \"changed\": 0, "
	    "\"next\": null}", &p, &c, next, sizeof(next)), 0);
	ck_assert_str_eq(next, "");
	ck_assert_int_eq(job_parse_step("{\"processed\": 0, \"changed\": 0}",
	    &p, &c, next, sizeof(next)), 0);
	ck_assert_str_eq(next, "");
}
END_TEST

START_TEST(test_job_parse_step_bad_rejects)
{
	char	next[8];
	long	p, c;

	ck_assert_int_eq(job_parse_step(NULL, &p, &c, next, sizeof(next)), -1);
	ck_assert_int_eq(job_parse_step("", &p, &c, next, sizeof(next)), -1);
	ck_assert_int_eq(job_parse_step("[1]", &p, &c, next, sizeof(next)), -1);
	ck_assert_int_eq(job_parse_step("{\"changed\": 1}", &p, &c, next,
	    sizeof(next)), -1);
	ck_assert_int_eq(job_parse_step("{\"processed\": \"1\", "
	    "\"changed\": 1}", &p, &c, next, sizeof(next)), -1);
	ck_assert_int_eq(job_parse_step("{\"processed\": -1, \"changed\": 1}",
	    &p, &c, next, sizeof(next)), -1);
	ck_assert_int_eq(job_parse_step("{\"processed\": 1, \"changed\": 1, "
	    "\"next\": 5}", &p, &c, next, sizeof(next)), -1);
	ck_assert_int_eq(job_parse_step("{\"processed\": 1, \"changed\": 1, "
	    "\"next\": \"\"}", &p, &c, next, sizeof(next)), -1);
	/* A cursor that does not fit is refused, never cut. */
	ck_assert_int_eq(job_parse_step("{\"processed\": 1, \"changed\": 1, "
	    "\"next\": \"12345678\"}", &p, &c, next, sizeof(next)), -1);
}
END_TEST

START_TEST(test_job_format_summary_line)
{
	struct job_opts		o = { 1, 0, 500, "2024-05-06" };
	struct job_totals	t = { 3, 1200, 45 };
	struct buf		b = { 0 };

	job_format_summary(&b, &o, &t, 1.234, "ok");
	ck_assert_str_eq(b.s, "summary: status=ok batches=3 processed=1200 "
	    "changed=45 dry_run=true date=2024-05-06 elapsed=1.23s");
	buf_reset(&b);
	o.dry_run = 0;
	o.date[0] = '\0';
	job_format_summary(&b, &o, &t, 0, "locked");
	ck_assert_str_eq(b.s, "summary: status=locked batches=3 processed=1200 "
	    "changed=45 dry_run=false date=today elapsed=0.00s");
	buf_free(&b);
}
END_TEST

static Suite *
job_suite(void)
{
	Suite	*s = suite_create("job");
	TCase	*tc = tcase_create("job");

	tcase_add_test(tc, test_job_parse_args_defaults);
	tcase_add_test(tc, test_job_parse_args_all_options);
	tcase_add_test(tc, test_job_parse_args_bad_rejects);
	tcase_add_test(tc, test_job_parse_step_reads_the_answer);
	tcase_add_test(tc, test_job_parse_step_bad_rejects);
	tcase_add_test(tc, test_job_format_summary_line);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(job_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
