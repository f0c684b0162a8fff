/*
 * Unit tests of the prescription solver and the alternatives rules
 * (lib/prescribe.c), property style: a seeded generator builds catalogs
 * and hundreds of random requests, and every plan is checked against the
 * contract's rules (§6.7) by code that does not share the solver's
 * helpers: location, equipment, exclusions, duration, coverage,
 * substitutions, determinism.
 */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cJSON.h>

#include "buf.h"
#include "catalog.h"
#include "mem.h"
#include "prescribe.h"

#define NMUSCLES	12
#define NGROUPS		4
#define NEXERCISES	90
#define NREQUESTS	600

static const char *const all_locations[] = { "gym", "home", "outdoor",
    "park", "hotel", "office", "travel" };
static const char *const all_equipment[] = { "barbell", "dumbbells",
    "flat_bench", "bands", "pullup_bar", "kettlebell", "rower" };
static const char *const all_patterns[] = { "push", "pull", "squat",
    "hinge", "core", "isolation", "conditioning", "carry",
    "pull_isometric", "split", "pull_explosive" };
static const char *const group_names[NGROUPS] = { "Chest", "Back", "Legs",
    "Core" };

/* xorshift64*: small, seeded, the same everywhere. */
static unsigned long long	rng_state;

static void
rng_seed(unsigned long long s)
{
	rng_state = s ? s : 0x9e3779b97f4a7c15ULL;
}

static unsigned
rng(unsigned n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (unsigned)((rng_state * 0x2545f4914f6cdd1dULL) >> 33) % n;
}

static char **
list_new(void)
{
	return xcalloc(16, sizeof(char *));
}

static void
list_add(char **l, const char *s)
{
	size_t	n;

	for (n = 0; l[n] != NULL; n++)
		if (strcmp(l[n], s) == 0)
			return;
	l[n] = xstrdup(s);
}

static void
list_free(char **l)
{
	size_t	i;

	for (i = 0; l != NULL && l[i] != NULL; i++)
		free(l[i]);
	free(l);
}

/*
 * A random catalog: NMUSCLES muscles in NGROUPS groups, NEXERCISES
 * exercises with random locations, equipment, primary muscles,
 * activations, timings and patterns; a few are timed efforts.
 */
static void
make_catalog(struct catalog *c, unsigned long long seed)
{
	size_t	i, k;
	char	buf[64];

	rng_seed(seed);
	memset(c, 0, sizeof(*c));
	c->nmuscles = NMUSCLES;
	c->muscles = xcalloc(NMUSCLES, sizeof(struct muscle));
	for (i = 0; i < NMUSCLES; i++) {
		snprintf(buf, sizeof(buf), "m-%02lu", (unsigned long)i);
		c->muscles[i].id = xstrdup(buf);
		c->muscles[i].group = xstrdup(group_names[i % NGROUPS]);
		c->muscles[i].bias_weight = 4 + rng(19);
	}
	c->nexercises = NEXERCISES;
	c->exercises = xcalloc(NEXERCISES, sizeof(struct exercise));
	for (i = 0; i < NEXERCISES; i++) {
		struct exercise	*e = &c->exercises[i];
		size_t		 np = 1 + rng(3), m;
		int		 used[NMUSCLES] = { 0 };

		snprintf(buf, sizeof(buf), "ex-%02lu", (unsigned long)i);
		e->id = xstrdup(buf);
		snprintf(buf, sizeof(buf), "%s %02lu", rng(8) == 0 ? "Seated" :
		    rng(8) == 0 ? "Jump" : "Exercise", (unsigned long)i);
		e->name = xstrdup(buf);
		e->difficulty = 1 + (int)rng(5);
		e->locations = list_new();
		list_add(e->locations, all_locations[rng(7)]);
		for (k = rng(4); k > 0; k--)
			list_add(e->locations, all_locations[rng(7)]);
		e->equipment_required = list_new();
		for (k = rng(3) == 0 ? 1 + rng(2) : 0; k > 0; k--)
			list_add(e->equipment_required, all_equipment[rng(7)]);
		e->primary_muscles = list_new();
		e->acts = xcalloc(8, sizeof(struct activation));
		/* Some exercises share their primaries with a neighbour. */
		if (i > 0 && rng(4) == 0) {
			const struct exercise	*p = &c->exercises[i - 1];

			for (k = 0; p->primary_muscles[k] != NULL; k++)
				list_add(e->primary_muscles,
				    p->primary_muscles[k]);
			for (k = 0; k < p->nacts; k++) {
				e->acts[e->nacts].muscle = p->acts[k].muscle;
				e->acts[e->nacts++].activation =
				    20 + (int)rng(81);
				used[p->acts[k].muscle] = 1;
			}
		} else {
			for (k = 0; k < np; k++) {
				m = rng(NMUSCLES);
				if (used[m])
					continue;
				used[m] = 1;
				list_add(e->primary_muscles,
				    c->muscles[m].id);
				e->acts[e->nacts].muscle = m;
				e->acts[e->nacts++].activation =
				    50 + (int)rng(51);
			}
			for (k = rng(4); k > 0; k--) {
				m = rng(NMUSCLES);
				if (used[m])
					continue;
				used[m] = 1;
				e->acts[e->nacts].muscle = m;
				e->acts[e->nacts++].activation =
				    (int)rng(50);	/* 0 counts as none */
			}
		}
		e->estimated_seconds = rng(12) == 0 ? 120 + 60 * (int)rng(9) :
		    20 + (int)rng(41);
		e->rest_seconds = 15 * (int)rng(13);
		e->is_compound = rng(2);
		e->movement_pattern = rng(10) == 0 ? NULL :
		    xstrdup(all_patterns[rng(11)]);
	}
}

static void
free_catalog(struct catalog *c)
{
	size_t	i;

	for (i = 0; i < c->nmuscles; i++) {
		free(c->muscles[i].id);
		free(c->muscles[i].group);
	}
	for (i = 0; i < c->nexercises; i++) {
		struct exercise	*e = &c->exercises[i];

		free(e->id);
		free(e->name);
		list_free(e->locations);
		list_free(e->equipment_required);
		list_free(e->primary_muscles);
		free(e->movement_pattern);
		free(e->acts);
	}
	free(c->muscles);
	free(c->exercises);
}

/* A random request; its arrays live in r_* below. */
struct rand_req {
	struct rx_request	rq;
	const char		*equip[8];
	const char		*exex[12];
	size_t			 exmus[NMUSCLES];
	struct rx_target	 targets[5];
};

static void
make_request(const struct catalog *c, struct rand_req *q)
{
	size_t	i, n;

	memset(q, 0, sizeof(*q));
	q->rq.duration = 15 + (int)rng(106);
	q->rq.location = all_locations[rng(7)];
	for (i = 0; i < 7; i++)
		if (rng(2))
			q->equip[q->rq.nequipment++] = all_equipment[i];
	q->rq.equipment = q->equip;
	for (n = rng(4) == 0 ? rng(12) : 0, i = 0; i < n; i++)
		q->exex[q->rq.nexclude_exercises++] =
		    c->exercises[rng(NEXERCISES)].id;
	q->rq.exclude_exercises = q->exex;
	/* Now and then every muscle: an impossible request. */
	if (rng(12) == 0)
		for (i = 0; i < NMUSCLES; i++)
			q->exmus[q->rq.nexclude_muscles++] = i;
	else
		for (n = rng(3) == 0 ? rng(3) : 0, i = 0; i < n; i++)
			q->exmus[q->rq.nexclude_muscles++] = rng(NMUSCLES);
	q->rq.exclude_muscles = q->exmus;
	for (n = rng(5), i = 0; i < n; i++) {
		if (rng(3) == 0) {
			q->targets[i].muscle = -1;
			q->targets[i].group = c->muscles[rng(NGROUPS)].group;
		} else {
			q->targets[i].muscle = rng(NMUSCLES);
			q->targets[i].group = NULL;
		}
	}
	q->rq.ntargets = n;
	q->rq.targets = q->targets;
	q->rq.goals = rng(32);
	q->rq.level = (enum rx_level)rng(4);
	q->rq.prefer_compound = (int)rng(3) - 1;
}

/* The contract's filters, written out again (not the solver's code). */
static int
passes(const struct catalog *c, const struct rx_request *rq,
    const struct exercise *e)
{
	size_t	i, k;
	int	ok;

	for (ok = 0, i = 0; e->locations[i] != NULL; i++)
		if (strcmp(e->locations[i], rq->location) == 0)
			ok = 1;
	if (!ok)
		return 0;
	for (i = 0; e->equipment_required[i] != NULL; i++) {
		for (ok = 0, k = 0; k < rq->nequipment; k++)
			if (strcmp(rq->equipment[k],
			    e->equipment_required[i]) == 0)
				ok = 1;
		if (!ok)
			return 0;
	}
	for (k = 0; k < rq->nexclude_exercises; k++)
		if (strcmp(rq->exclude_exercises[k], e->id) == 0)
			return 0;
	for (i = 0; e->primary_muscles[i] != NULL; i++)
		for (k = 0; k < rq->nexclude_muscles; k++)
			if (strcmp(c->muscles[rq->exclude_muscles[k]].id,
			    e->primary_muscles[i]) == 0)
				return 0;
	return 1;
}

static int
works_target(const struct catalog *c, const struct exercise *e,
    const struct rx_target *t)
{
	size_t	k;

	for (k = 0; k < e->nacts; k++) {
		size_t	m = e->acts[k].muscle;

		if (e->acts[k].activation <= 0)
			continue;
		if (t->group != NULL ? strcmp(c->muscles[m].group,
		    t->group) == 0 : (size_t)t->muscle == m)
			return 1;
	}
	return 0;
}

static int
same_set(char *const *a, char *const *b)
{
	size_t	na, nb;

	for (na = 0; a[na] != NULL; na++)
		if (!catalog_list_has(b, a[na]))
			return 0;
	for (nb = 0; b[nb] != NULL; nb++)
		if (!catalog_list_has(a, b[nb]))
			return 0;
	return na == nb && na > 0;
}

static char *
plan_json(const struct catalog *c, const struct rx_plan *p)
{
	struct buf	b = { 0 };

	prescribe_json_exercises(p, &b);
	buf_putc(&b, '|');
	prescribe_json_blocks(p->warmup, p->nwarmup, &b);
	buf_putc(&b, '|');
	prescribe_json_blocks(p->cooldown, p->ncooldown, &b);
	buf_putc(&b, '|');
	prescribe_json_substitutions(p, &b);
	buf_putc(&b, '|');
	prescribe_json_coverage(c, p, &b);
	return buf_take(&b);
}

/* Checks one successful plan against every rule; returns a message. */
static const char *
check_plan(const struct catalog *c, const struct rx_request *rq,
    const struct rx_plan *p)
{
	long		 secs = 0, limit = (long)rq->duration * 60;
	size_t		 i, j, k, t;
	int		 in_plan;
	struct buf	 b = { 0 };
	cJSON		*cov;

	if (p->nentries == 0)
		return "empty plan";
	if (p->nwarmup == 0 || p->ncooldown == 0)
		return "no warm-up or cool-down";
	for (i = 0; i < p->nwarmup; i++)
		secs += p->warmup[i].duration;
	for (i = 0; i < p->ncooldown; i++)
		secs += p->cooldown[i].duration;
	for (i = 0; i < p->nentries; i++) {
		const struct rx_entry	*en = &p->entries[i];

		if (!passes(c, rq, en->ex))
			return "a main exercise breaks the filters";
		if (en->sets < 1 || en->rest_seconds < 0 ||
		    en->reps[0] == '\0')
			return "bad sets, reps or rest";
		if (en->estimated_seconds != en->ex->estimated_seconds)
			return "estimatedSeconds is not the catalog's";
		for (j = 0; j < i; j++)
			if (p->entries[j].ex == en->ex)
				return "an exercise appears twice";
		secs += (long)en->sets * (en->estimated_seconds +
		    en->rest_seconds);
	}
	if (secs != p->seconds)
		return "seconds is not the sum of the entries and blocks";
	if (p->minutes != (int)((secs + 59) / 60) || secs > limit)
		return "estimatedDuration over the duration";
	for (i = 0; i < p->nentries; i++) {
		const struct rx_entry	*en = &p->entries[i];

		for (k = 0; k < en->nsubs; k++) {
			const struct exercise	*s = en->subs[k];

			if (!passes(c, rq, s))
				return "a substitution breaks the filters";
			if (!same_set(s->primary_muscles,
			    en->ex->primary_muscles))
				return "a substitution has other primaries";
			for (j = 0; j < p->nentries; j++)
				if (p->entries[j].ex == s)
					return "a substitution is in the plan";
			/* Swapping (same sets and rest) keeps the duration. */
			if (secs + (long)en->sets * (s->estimated_seconds -
			    en->ex->estimated_seconds) > limit)
				return "a substitution breaks the duration";
		}
	}
	/* A target some allowed exercise works is covered, time allowing. */
	for (t = 0; t < rq->ntargets; t++) {
		int	hit = 0, could = 0;

		for (i = 0; i < p->nentries; i++)
			if (works_target(c, p->entries[i].ex, &rq->targets[t]))
				hit = 1;
		for (k = 0; k < c->nexercises && !hit; k++) {
			const struct exercise	*e = &c->exercises[k];

			for (in_plan = 0, j = 0; j < p->nentries; j++)
				if (p->entries[j].ex == e)
					in_plan = 1;
			if (!in_plan && passes(c, rq, e) &&
			    works_target(c, e, &rq->targets[t]) &&
			    e->estimated_seconds + 180 <= limit - secs)
				could = 1;
		}
		if (!hit && could)
			return "a coverable target was left out";
	}
	/* muscleCoverage: numbers >= 0, > 0 exactly for worked muscles. */
	prescribe_json_coverage(c, p, &b);
	cov = cJSON_Parse(b.s);
	buf_free(&b);
	if (!cJSON_IsObject(cov)) {
		cJSON_Delete(cov);
		return "muscleCoverage is not an object";
	}
	for (i = 0; i < c->nmuscles; i++) {
		cJSON	*v = cJSON_GetObjectItemCaseSensitive(cov,
		    c->muscles[i].id);

		if (p->stimulus[i] > 0 && (!cJSON_IsNumber(v) ||
		    v->valuedouble <= 0 || v->valuedouble > 100)) {
			cJSON_Delete(cov);
			return "a worked muscle lacks a positive coverage";
		}
		if (v != NULL && (!cJSON_IsNumber(v) || v->valuedouble < 0)) {
			cJSON_Delete(cov);
			return "a negative coverage";
		}
	}
	for (t = 0; t < rq->ntargets; t++)
		if (rq->targets[t].group == NULL &&
		    cJSON_GetObjectItemCaseSensitive(cov,
		    c->muscles[rq->targets[t].muscle].id) == NULL) {
			cJSON_Delete(cov);
			return "a target muscle is missing from muscleCoverage";
		}
	cJSON_Delete(cov);
	return NULL;
}

/* Reverses the request's arrays (the plan must not depend on order). */
static void
reverse_request(struct rand_req *q)
{
	size_t			i, n;
	const char		*s;
	size_t			 m;
	struct rx_target	 t;

	for (n = q->rq.nequipment, i = 0; i < n / 2; i++) {
		s = q->equip[i];
		q->equip[i] = q->equip[n - 1 - i];
		q->equip[n - 1 - i] = s;
	}
	for (n = q->rq.nexclude_exercises, i = 0; i < n / 2; i++) {
		s = q->exex[i];
		q->exex[i] = q->exex[n - 1 - i];
		q->exex[n - 1 - i] = s;
	}
	for (n = q->rq.nexclude_muscles, i = 0; i < n / 2; i++) {
		m = q->exmus[i];
		q->exmus[i] = q->exmus[n - 1 - i];
		q->exmus[n - 1 - i] = m;
	}
	for (n = q->rq.ntargets, i = 0; i < n / 2; i++) {
		t = q->targets[i];
		q->targets[i] = q->targets[n - 1 - i];
		q->targets[n - 1 - i] = t;
	}
}

START_TEST(test_prescribe_random_requests_keep_every_rule)
{
	struct catalog	c;
	unsigned	seed, i, ok = 0, refused = 0;

	for (seed = 1; seed <= 3; seed++) {
		make_catalog(&c, seed);
		for (i = 0; i < NREQUESTS; i++) {
			struct rand_req	 q;
			struct rx_plan	 p, p2;
			const char	*err, *err2, *why;
			char		*j1, *j2;
			size_t		 k;
			int		 rc, any = 0;

			make_request(&c, &q);
			for (k = 0; k < c.nexercises; k++)
				if (passes(&c, &q.rq, &c.exercises[k]))
					any = 1;
			rc = prescribe(&c, &q.rq, &p, &err);
			if (rc == -1) {
				ck_assert_msg(err != NULL && *err != '\0',
				    "a refusal carries a message");
				ck_assert_msg(!any || strstr(err, "fits") !=
				    NULL, "seed %u request %u refused: %s",
				    seed, i, err);
				refused++;
				prescribe_free(&p);
				continue;
			}
			ck_assert_msg(any, "a plan although nothing passes");
			why = check_plan(&c, &q.rq, &p);
			ck_assert_msg(why == NULL, "seed %u request %u: %s",
			    seed, i, why);

			/* Determinism, also with the arrays reversed. */
			j1 = plan_json(&c, &p);
			reverse_request(&q);
			ck_assert_int_eq(prescribe(&c, &q.rq, &p2, &err2), 0);
			j2 = plan_json(&c, &p2);
			ck_assert_msg(strcmp(j1, j2) == 0,
			    "seed %u request %u is not deterministic", seed, i);
			free(j1);
			free(j2);
			prescribe_free(&p);
			prescribe_free(&p2);
			ok++;
		}
		free_catalog(&c);
	}
	/* The generator must exercise both outcomes. */
	ck_assert_uint_gt(ok, NREQUESTS);
	ck_assert_uint_gt(refused, 10);
}
END_TEST

/* prescribe_with() on facts built once plans exactly as prescribe(). */
static void
same_as_prescribe(const struct catalog *c, const struct rx_facts *f,
    const struct rx_request *rq, unsigned seed, unsigned i)
{
	struct rx_plan	 p1, p2;
	const char	*e1, *e2;
	char		*j1, *j2;
	int		 rc1, rc2;

	rc1 = prescribe(c, rq, &p1, &e1);
	rc2 = prescribe_with(c, f, rq, &p2, &e2);
	ck_assert_msg(rc1 == rc2, "seed %u request %u: %d, with facts %d",
	    seed, i, rc1, rc2);
	if (rc1 == -1)
		ck_assert_str_eq(e1, e2);
	else {
		j1 = plan_json(c, &p1);
		j2 = plan_json(c, &p2);
		ck_assert_msg(strcmp(j1, j2) == 0 && p1.seconds == p2.seconds,
		    "seed %u request %u: another plan with facts", seed, i);
		free(j1);
		free(j2);
	}
	prescribe_free(&p1);
	prescribe_free(&p2);
}

START_TEST(test_prescribe_facts_built_once_change_nothing)
{
	struct catalog	 c, other;
	struct rx_facts	*f, *of;
	unsigned	 seed, i;
	size_t		 k;

	make_catalog(&other, 99);
	of = prescribe_facts(&other);
	for (seed = 1; seed <= 3; seed++) {
		make_catalog(&c, seed);
		/* Some types, which some goals read from the document. */
		for (k = 0; k < c.nexercises; k += 4)
			c.exercises[k].json = xstrdup(k % 8 == 0 ?
			    "{\"type\":\"olympic_weightlifting\"}" :
			    "{\"type\":\"freeweight\"}");
		f = prescribe_facts(&c);
		ck_assert(prescribe_facts_fit(f, &c));
		ck_assert(!prescribe_facts_fit(of, &c));
		ck_assert(!prescribe_facts_fit(NULL, &c));
		for (i = 0; i < NREQUESTS; i++) {
			struct rand_req	q;

			make_request(&c, &q);
			same_as_prescribe(&c, f, &q.rq, seed, i);
			/* Another catalog's facts are not used. */
			if (i % 10 == 0)
				same_as_prescribe(&c, of, &q.rq, seed, i);
		}
		/* A reload (another version) makes the facts stale. */
		c.version++;
		ck_assert(!prescribe_facts_fit(f, &c));
		prescribe_facts_free(f);
		for (k = 0; k < c.nexercises; k += 4) {
			free(c.exercises[k].json);
			c.exercises[k].json = NULL;
		}
		free_catalog(&c);
	}
	prescribe_facts_free(of);
	free_catalog(&other);
}
END_TEST

START_TEST(test_prescribe_bad_nothing_passes_the_filters)
{
	struct catalog		 c;
	struct rx_request	 rq;
	struct rx_plan		 p;
	const char		*err, *none[1] = { NULL };
	const char		*every[NEXERCISES];
	size_t			 i, all_m[NMUSCLES];

	make_catalog(&c, 42);
	memset(&rq, 0, sizeof(rq));
	rq.duration = 45;
	rq.prefer_compound = -1;
	rq.equipment = none;

	/* A location no exercise has. */
	rq.location = "moon";
	ck_assert_int_eq(prescribe(&c, &rq, &p, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "No exercise"));
	prescribe_free(&p);

	/* Every exercise excluded by id. */
	rq.location = "gym";
	for (i = 0; i < c.nexercises; i++)
		every[i] = c.exercises[i].id;
	rq.exclude_exercises = every;
	rq.nexclude_exercises = c.nexercises;
	ck_assert_int_eq(prescribe(&c, &rq, &p, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "No exercise"));
	prescribe_free(&p);

	/* Every muscle excluded. */
	rq.nexclude_exercises = 0;
	for (i = 0; i < NMUSCLES; i++)
		all_m[i] = i;
	rq.exclude_muscles = all_m;
	rq.nexclude_muscles = NMUSCLES;
	ck_assert_int_eq(prescribe(&c, &rq, &p, &err), -1);
	ck_assert_ptr_nonnull(strstr(err, "No exercise"));
	prescribe_free(&p);
	free_catalog(&c);
}
END_TEST

/* A tiny hand-made catalog for the behaviour of the preferences. */
static void
add_ex(struct catalog *c, const char *id, const char *name, int diff,
    const char *loc, const char *equip, const char *prim, int act,
    int est, int rest, int compound, const char *pattern)
{
	struct exercise	*e = &c->exercises[c->nexercises++];

	memset(e, 0, sizeof(*e));
	e->id = xstrdup(id);
	e->name = xstrdup(name);
	e->difficulty = diff;
	e->locations = list_new();
	list_add(e->locations, loc);
	e->equipment_required = list_new();
	if (equip != NULL)
		list_add(e->equipment_required, equip);
	e->primary_muscles = list_new();
	list_add(e->primary_muscles, c->muscles[atoi(prim)].id);
	e->acts = xcalloc(2, sizeof(struct activation));
	e->acts[0].muscle = (size_t)atoi(prim);
	e->acts[0].activation = act;
	e->nacts = 1;
	e->estimated_seconds = est;
	e->rest_seconds = rest;
	e->is_compound = compound;
	e->movement_pattern = pattern ? xstrdup(pattern) : NULL;
}

static void
small_catalog(struct catalog *c)
{
	size_t	i;

	memset(c, 0, sizeof(*c));
	c->nmuscles = 4;
	c->muscles = xcalloc(4, sizeof(struct muscle));
	for (i = 0; i < 4; i++) {
		char	id[16];

		snprintf(id, sizeof(id), "muscle-%lu", (unsigned long)i);
		c->muscles[i].id = xstrdup(id);
		c->muscles[i].group = xstrdup(i < 2 ? "Upper" : "Lower");
		c->muscles[i].bias_weight = 10;
	}
	c->exercises = xcalloc(16, sizeof(struct exercise));
	add_ex(c, "easy-press", "Easy Press", 1, "gym", NULL, "0", 80, 30, 60,
	    1, "push");
	add_ex(c, "hard-press", "Hard Press", 5, "gym", NULL, "0", 90, 30, 60,
	    1, "push");
	add_ex(c, "bar-press", "Bar Press", 2, "gym", "barbell", "0", 90, 40,
	    90, 1, "push");
	add_ex(c, "fly", "Seated Fly", 1, "gym", "flat_bench", "0", 70, 30,
	    60, 0, "isolation");
	add_ex(c, "row", "Row", 2, "gym", NULL, "1", 80, 30, 60, 1, "pull");
	add_ex(c, "squat", "Squat", 2, "gym", NULL, "2", 80, 40, 90, 1,
	    "squat");
	add_ex(c, "jump-squat", "Jump Squat", 2, "gym", NULL, "2", 80, 30, 60,
	    1, "squat");
	add_ex(c, "calf", "Calf Raise", 1, "home", NULL, "3", 80, 30, 45, 0,
	    "isolation");
	add_ex(c, "bike", "Stationary Bike", 1, "gym", "bike", "2", 60, 300,
	    60, 1, "conditioning");
	add_ex(c, "burpee", "Burpee", 2, "gym", NULL, "2", 60, 40, 45, 1,
	    "conditioning");
}

static const struct exercise *
catalog_find_for_test(const struct catalog *c, const char *id)
{
	size_t	i;

	for (i = 0; i < c->nexercises; i++)
		if (strcmp(c->exercises[i].id, id) == 0)
			return &c->exercises[i];
	ck_abort_msg("no exercise %s", id);
	return NULL;
}

static int
plan_has(const struct rx_plan *p, const char *id)
{
	size_t	i;

	for (i = 0; i < p->nentries; i++)
		if (strcmp(p->entries[i].ex->id, id) == 0)
			return 1;
	return 0;
}

START_TEST(test_prescribe_preferences_and_schemes)
{
	struct catalog		 c;
	struct rx_request	 rq;
	struct rx_plan		 p;
	struct rx_target	 t;
	const char		*err, *eq[1] = { "barbell" };
	size_t			 i;

	small_catalog(&c);
	memset(&rq, 0, sizeof(rq));
	rq.duration = 15;
	rq.location = "gym";
	rq.prefer_compound = -1;
	ck_assert_int_eq(prescribe_target(&c, "MUSCLE-0", &t), 0);
	ck_assert_int_eq(t.muscle, 0);
	rq.targets = &t;
	rq.ntargets = 1;

	/* A beginner gets the easy press, not the hard one. */
	rq.level = RX_LEVEL_BEGINNER;
	ck_assert_int_eq(prescribe(&c, &rq, &p, &err), 0);
	ck_assert(plan_has(&p, "easy-press"));
	ck_assert(!plan_has(&p, "hard-press"));
	ck_assert(!plan_has(&p, "bar-press"));	/* no barbell given */
	ck_assert(!plan_has(&p, "fly"));	/* no bench given */
	prescribe_free(&p);

	/* Strength with a barbell: loaded compound, long rest, low reps. */
	rq.level = RX_LEVEL_INTERMEDIATE;
	rq.goals = RX_GOAL_STRENGTH;
	rq.equipment = eq;
	rq.nequipment = 1;
	ck_assert_int_eq(prescribe(&c, &rq, &p, &err), 0);
	ck_assert_str_eq(p.entries[0].ex->id, "bar-press");
	ck_assert_int_eq(p.entries[0].rest_seconds, 180);
	ck_assert_str_eq(p.entries[0].reps, "3-5");
	prescribe_free(&p);

	/* Endurance: short rest, high reps. */
	rq.goals = RX_GOAL_ENDURANCE;
	ck_assert_int_eq(prescribe(&c, &rq, &p, &err), 0);
	for (i = 0; i < p.nentries; i++)
		ck_assert_int_le(p.entries[i].rest_seconds, 45);
	prescribe_free(&p);

	/* A group target, case-insensitive, covered by the lower body. */
	ck_assert_int_eq(prescribe_target(&c, "lower", &t), 0);
	ck_assert_str_eq(t.group, "Lower");
	ck_assert_int_eq(prescribe_target(&c, "nothing", &t), -1);
	ck_assert_int_eq(prescribe_target(&c, "lOWER", &t), 0);
	rq.goals = 0;
	rq.duration = 30;
	ck_assert_int_eq(prescribe(&c, &rq, &p, &err), 0);
	ck_assert(plan_has(&p, "squat") || plan_has(&p, "jump-squat") ||
	    plan_has(&p, "burpee"));
	ck_assert(!plan_has(&p, "calf"));	/* home only */
	prescribe_free(&p);

	/* Warm-up and cool-down grow with the duration. */
	rq.duration = 90;
	ck_assert_int_eq(prescribe(&c, &rq, &p, &err), 0);
	ck_assert_uint_ge(p.nwarmup, 2);
	ck_assert_uint_ge(p.ncooldown, 2);
	ck_assert_int_le(p.minutes, 90);
	prescribe_free(&p);
	free_catalog(&c);
}
END_TEST

START_TEST(test_prescribe_substitutions_share_primaries)
{
	struct catalog		 c;
	struct rx_request	 rq;
	struct rx_plan		 p;
	struct rx_target	 t;
	const char		*err;
	size_t			 i, k, total = 0;

	small_catalog(&c);
	memset(&rq, 0, sizeof(rq));
	rq.duration = 20;
	rq.location = "gym";
	rq.prefer_compound = -1;
	ck_assert_int_eq(prescribe_target(&c, "muscle-0", &t), 0);
	rq.targets = &t;
	rq.ntargets = 1;
	ck_assert_int_eq(prescribe(&c, &rq, &p, &err), 0);
	for (i = 0; i < p.nentries; i++)
		for (k = 0; k < p.entries[i].nsubs; k++) {
			const struct exercise	*sub = p.entries[i].subs[k];

			ck_assert(same_set(sub->primary_muscles,
			    p.entries[i].ex->primary_muscles));
			ck_assert(!plan_has(&p, sub->id));
			total++;
		}
	/* Three presses share muscle-0: some substitution is offered. */
	ck_assert_uint_gt(total, 0);
	prescribe_free(&p);
	free_catalog(&c);
}
END_TEST

START_TEST(test_prescribe_alternatives_rules)
{
	struct catalog		  c;
	const struct exercise	**out;
	size_t			  n, i;

	small_catalog(&c);
	/* Seated: the bench fly (bench, name) and the bike. */
	ck_assert(prescribe_is_seated(catalog_find_for_test(&c, "fly")));
	ck_assert(prescribe_is_seated(catalog_find_for_test(&c, "bike")));
	ck_assert(!prescribe_is_seated(catalog_find_for_test(&c, "squat")));
	/* Low impact: no jumping, no burpees, no hard moves. */
	ck_assert(prescribe_is_low_impact(catalog_find_for_test(&c, "squat")));
	ck_assert(prescribe_is_low_impact(catalog_find_for_test(&c, "bike")));
	ck_assert(!prescribe_is_low_impact(catalog_find_for_test(&c,
	    "jump-squat")));
	ck_assert(!prescribe_is_low_impact(catalog_find_for_test(&c,
	    "burpee")));
	ck_assert(!prescribe_is_low_impact(catalog_find_for_test(&c,
	    "hard-press")));

	n = prescribe_alternatives(&c, RX_ALT_SEATED, NULL, &out);
	ck_assert_uint_eq(n, 2);
	free(out);
	/* Similar to the easy press: shares muscle-0, itself left out. */
	n = prescribe_alternatives(&c, RX_ALT_LOW_IMPACT,
	    catalog_find_for_test(&c, "easy-press"), &out);
	ck_assert_uint_gt(n, 0);
	for (i = 0; i < n; i++) {
		ck_assert(catalog_list_has(out[i]->primary_muscles,
		    "muscle-0"));
		ck_assert_str_ne(out[i]->id, "easy-press");
		ck_assert(prescribe_is_low_impact(out[i]));
	}
	free(out);
	free_catalog(&c);
}
END_TEST

static Suite *
prescribe_suite(void)
{
	Suite	*s = suite_create("prescribe");
	TCase	*tc = tcase_create("prescribe");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_prescribe_random_requests_keep_every_rule);
	tcase_add_test(tc, test_prescribe_facts_built_once_change_nothing);
	tcase_add_test(tc, test_prescribe_bad_nothing_passes_the_filters);
	tcase_add_test(tc, test_prescribe_preferences_and_schemes);
	tcase_add_test(tc, test_prescribe_substitutions_share_primaries);
	tcase_add_test(tc, test_prescribe_alternatives_rules);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner	*sr = srunner_create(prescribe_suite());
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
