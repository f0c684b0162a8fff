/*
 * Unit tests of the Training Unit computation (contract §4.1) against a
 * catalog built here, so no database is needed.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalog.h"
#include "tu.h"

/* The seven muscles of the §4.1 worked example plus two others. */
static struct muscle muscles[] = {
	{ "chest-mid", "Chest", 18, NULL },
	{ "chest-upper", "Chest", 15, NULL },
	{ "chest-lower", "Chest", 12, NULL },
	{ "triceps-lateral", "Arms", 8, NULL },
	{ "triceps-long", "Arms", 10, NULL },
	{ "delt-front", "Shoulders", 10, NULL },
	{ "serratus", "Core", 6, NULL },
	{ "glute-max", "Glutes", 22, NULL },
	{ "odd-bias", "Test", 7.5, NULL },
};

static struct activation pushup_acts[] = {
	{ 0, 70 }, { 1, 40 }, { 2, 30 }, { 3, 60 }, { 4, 40 }, { 5, 50 },
	{ 6, 30 },
};
/* Hits delt-front as well, plus a zero activation that must not count. */
static struct activation press_acts[] = {
	{ 5, 80 }, { 3, 30 }, { 7, 0 },
};
static struct activation odd_acts[] = {
	{ 8, 10 },
};

static struct exercise exercises[] = {
	{ .id = "bw-pushup", .acts = pushup_acts, .nacts = 7 },
	{ .id = "db-press", .acts = press_acts, .nacts = 3 },
	{ .id = "odd", .acts = odd_acts, .nacts = 1 },
};

static struct catalog cat = {
	.muscles = muscles, .nmuscles = 9,
	.exercises = exercises, .nexercises = 3,
};

static long long
cents_of(const struct tu *t, const char *id)
{
	size_t	i;

	for (i = 0; i < t->nvalues; i++)
		if (strcmp(cat.muscles[t->values[i].muscle].id, id) == 0)
			return t->values[i].cents;
	return -1;
}

START_TEST(test_tu_worked_example)
{
	struct tu	t;
	struct buf	b = { 0 };
	char		num[32];

	tu_init(&t, &cat);
	tu_add(&t, &exercises[0], 3);
	tu_finish(&t);
	ck_assert_uint_eq(t.nvalues, 7);
	ck_assert_int_eq(cents_of(&t, "chest-mid"), 1167);
	ck_assert_int_eq(cents_of(&t, "chest-upper"), 800);
	ck_assert_int_eq(cents_of(&t, "chest-lower"), 750);
	ck_assert_int_eq(cents_of(&t, "triceps-lateral"), 2250);
	ck_assert_int_eq(cents_of(&t, "triceps-long"), 1200);
	ck_assert_int_eq(cents_of(&t, "delt-front"), 1500);
	ck_assert_int_eq(cents_of(&t, "serratus"), 1500);
	ck_assert_int_eq(cents_of(&t, "glute-max"), -1);
	ck_assert_int_eq(t.total_cents, 9167);
	ck_assert(fabs(t.total - 91.6666667) < 1e-6);
	tu_format(t.total_cents, num);
	ck_assert_str_eq(num, "91.67");

	/* Largest first; delt-front and serratus tie and go by id. */
	tu_json_top(&t, 3, &b);
	ck_assert_str_eq(b.s, "[\"triceps-lateral\",\"delt-front\",\"serratus\"]");
	buf_reset(&b);
	tu_json_activations(&t, &b);
	ck_assert_str_eq(b.s, "{\"triceps-lateral\":22.50,\"delt-front\":15.00,"
	    "\"serratus\":15.00,\"triceps-long\":12.00,\"chest-mid\":11.67,"
	    "\"chest-upper\":8.00,\"chest-lower\":7.50}");
	buf_free(&b);
	tu_free(&t);
}
END_TEST

START_TEST(test_tu_same_muscle_adds_up)
{
	struct tu	t;

	tu_init(&t, &cat);
	tu_add(&t, &exercises[0], 3);
	tu_add(&t, &exercises[1], 2);	/* delt-front +2*80/10, tri-lat +2*30/8 */
	tu_finish(&t);
	ck_assert_uint_eq(t.nvalues, 7);	/* glute-max at 0 % is absent */
	ck_assert_int_eq(cents_of(&t, "delt-front"), 3100);
	ck_assert_int_eq(cents_of(&t, "triceps-lateral"), 3000);
	/* 91.6667 + 16 + 7.5 */
	ck_assert_int_eq(t.total_cents, 11517);
	tu_free(&t);
}
END_TEST

START_TEST(test_tu_total_is_rounded_sum_of_unrounded)
{
	struct tu	t;

	/*
	 * 1 set of chest-mid 70 / 18 = 3.8889 (3.89) three times through
	 * separate entries sums to 11.6667 (11.67), not 3 x 3.89.
	 */
	tu_init(&t, &cat);
	tu_add(&t, &exercises[0], 1);
	tu_finish(&t);
	/* 3.8889 + 2.6667 + 2.5 + 7.5 + 4 + 5 + 5 = 30.5556 */
	ck_assert_int_eq(cents_of(&t, "chest-mid"), 389);
	ck_assert_int_eq(cents_of(&t, "chest-upper"), 267);
	ck_assert_int_eq(t.total_cents, 3056);
	tu_free(&t);
}
END_TEST

START_TEST(test_tu_half_rounds_up)
{
	struct tu	t;

	/* 1 x 30 / 8 = 3.75 exactly; 1 x 10 / 7.5 = 1.3333 (float path). */
	tu_init(&t, &cat);
	tu_add(&t, &exercises[1], 1);
	tu_add(&t, &exercises[2], 1);
	tu_finish(&t);
	ck_assert_int_eq(cents_of(&t, "triceps-lateral"), 375);
	ck_assert_int_eq(cents_of(&t, "odd-bias"), 133);
	/* 8 + 3.75 + 1.3333 = 13.0833 */
	ck_assert_int_eq(t.total_cents, 1308);
	tu_free(&t);

	/* 1 / 8 = 0.125 is a half cent: half up gives 0.13. */
	{
		static struct activation a[] = { { 3, 1 } };
		struct exercise	e = { .id = "x", .acts = a, .nacts = 1 };

		tu_init(&t, &cat);
		tu_add(&t, &e, 1);
		tu_finish(&t);
		ck_assert_int_eq(cents_of(&t, "triceps-lateral"), 13);
		ck_assert_int_eq(t.total_cents, 13);
		tu_free(&t);
	}
}
END_TEST

START_TEST(test_tu_large_workout_exact)
{
	struct tu	t;
	int		i;
	char		num[32];

	/* 50 entries of 100 sets: 5000 x 30.5556 = 152777.78 */
	tu_init(&t, &cat);
	for (i = 0; i < 50; i++)
		tu_add(&t, &exercises[0], 100);
	tu_finish(&t);
	ck_assert_int_eq(t.total_cents, 15277778);
	tu_format(t.total_cents, num);
	ck_assert_str_eq(num, "152777.78");
	ck_assert_int_eq(cents_of(&t, "chest-mid"), 1944444);	/* 350000/18 */
	tu_free(&t);
}
END_TEST

START_TEST(test_tu_empty_and_bad_sets)
{
	struct tu	t;
	struct buf	b = { 0 };

	tu_init(&t, &cat);
	tu_add(&t, &exercises[0], 0);
	tu_add(&t, &exercises[0], -3);
	tu_finish(&t);
	ck_assert_uint_eq(t.nvalues, 0);
	ck_assert_int_eq(t.total_cents, 0);
	tu_json_activations(&t, &b);
	ck_assert_str_eq(b.s, "{}");
	buf_reset(&b);
	tu_json_top(&t, 3, &b);
	ck_assert_str_eq(b.s, "[]");
	buf_free(&b);
	tu_free(&t);
}
END_TEST

static Suite *
tu_suite(void)
{
	Suite	*s = suite_create("tu");
	TCase	*tc = tcase_create("tu");

	tcase_add_test(tc, test_tu_worked_example);
	tcase_add_test(tc, test_tu_same_muscle_adds_up);
	tcase_add_test(tc, test_tu_total_is_rounded_sum_of_unrounded);
	tcase_add_test(tc, test_tu_half_rounds_up);
	tcase_add_test(tc, test_tu_large_workout_exact);
	tcase_add_test(tc, test_tu_empty_and_bad_sets);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(tu_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
