/*
 * The prescription solver and the alternatives rules; see prescribe.h for
 * the algorithm and the rules, and the README ("Journey: levels, balance
 * and prescriptions") for the reasoning behind the numbers.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "catalog.h"
#include "mem.h"
#include "prescribe.h"

/* Weight of a muscle that is not a target, so filler work stays useful. */
#define OFF_TARGET_WEIGHT	0.05
/*
 * Effective sets (sets x activation / 100) at which a muscle is about 63%
 * covered in a 45-minute session; proportional to the duration.
 */
#define SETS_AT_45		4.0
/* A new exercise pays a small change-over cost against one more set. */
#define NEW_EXERCISE_FACTOR	0.9
/* The fill pass stops below this share of the best first set's gain. */
#define STOP_SHARE		0.05
/* The longest rest of a circuit (the last resort for coverage). */
#define CIRCUIT_REST		20
/* Exercises at or above this many seconds a set are timed efforts. */
#define TIMED_SECONDS		120

/* Sets, reps and rest for a goal (one row per primary goal). */
struct scheme {
	const char	*name;
	int		 base[3];	/* by level: beginner, any/inter, adv */
	int		 max_sets;
	const char	*reps[2];	/* beginner, others */
	const char	*hold[2];	/* for holds: beginner, others */
	int		 rest_compound;	/* 0: the exercise's own rest */
	int		 rest_isolation;
};

static const struct scheme schemes[] = {
	{ "general", { 3, 3, 4 }, 5, { "10-12", "8-12" },
	    { "20-30 s", "30-45 s" }, 0, 0 },
	{ "strength", { 3, 4, 5 }, 6, { "5-6", "3-5" },
	    { "10-20 s", "10-20 s" }, 180, 120 },
	{ "hypertrophy", { 3, 3, 4 }, 5, { "10-12", "8-12" },
	    { "20-30 s", "30-45 s" }, 90, 60 },
	{ "fat_loss", { 2, 3, 3 }, 4, { "12-15", "12-15" },
	    { "20-30 s", "30-45 s" }, 30, 30 },
	{ "endurance", { 2, 3, 3 }, 4, { "15-20", "15-20" },
	    { "30-45 s", "45-60 s" }, 45, 30 },
	{ "mobility", { 2, 2, 3 }, 3, { "8-10", "8-10" },
	    { "30-60 s", "30-60 s" }, 30, 30 },
};

/* The primary goal picks the scheme: the first of this order present. */
static const struct scheme *
scheme_for(unsigned goals)
{
	if (goals & RX_GOAL_STRENGTH)
		return &schemes[1];
	if (goals & RX_GOAL_HYPERTROPHY)
		return &schemes[2];
	if (goals & RX_GOAL_FAT_LOSS)
		return &schemes[3];
	if (goals & RX_GOAL_ENDURANCE)
		return &schemes[4];
	if (goals & RX_GOAL_MOBILITY)
		return &schemes[5];
	return &schemes[0];
}

static int
level_index(enum rx_level l)
{
	return l == RX_LEVEL_BEGINNER ? 0 : l == RX_LEVEL_ADVANCED ? 2 : 1;
}

static int
pattern_has(const struct exercise *e, const char *word)
{
	return e->movement_pattern != NULL &&
	    strstr(e->movement_pattern, word) != NULL;
}

static int
is_timed(const struct exercise *e)
{
	return e->estimated_seconds >= TIMED_SECONDS;
}

/* Static holds and positions: reps are given as a time. */
static int
is_hold(const struct exercise *e)
{
	static const char *const words[] = { "isometric", "hold", "hang",
	    "balance", "anti_", "split", "backbend", "forward_fold",
	    "inversion", "carry", NULL };
	size_t	i;

	for (i = 0; words[i] != NULL; i++)
		if (pattern_has(e, words[i]))
			return 1;
	return 0;
}

static int
is_conditioning(const struct exercise *e)
{
	return pattern_has(e, "conditioning");
}

/*
 * Patterns that train range of motion (2) or trunk control (1) rather
 * than load; 0 for the others.
 */
static int
mobility_kind(const struct exercise *e)
{
	static const char *const words[] = { "split", "backbend",
	    "forward_fold", "crawl", "bridge", "hold", NULL };
	size_t	i;

	for (i = 0; words[i] != NULL; i++)
		if (pattern_has(e, words[i]))
			return 2;
	if (e->movement_pattern != NULL &&
	    (strcmp(e->movement_pattern, "core") == 0 ||
	    strcmp(e->movement_pattern, "anti_extension") == 0))
		return 1;
	return 0;
}

/*
 * The exercise's type, which struct exercise does not carry: read from
 * its §3.2 document.
 */
static int
has_type(const struct exercise *e, const char *type)
{
	char	needle[96];

	snprintf(needle, sizeof(needle), "\"type\":\"%s\"", type);
	return e->json != NULL && strstr(e->json, needle) != NULL;
}

/* External load: free weights, machines, implements. */
static int
is_loaded(const struct exercise *e)
{
	static const char *const load[] = { "barbell", "dumbbells",
	    "kettlebell", "trap_bar", "plates", "sandbag", "cable_machine",
	    "leg_press", "lat_pulldown", "pec_deck", "chest_press_machine",
	    "leg_extension_machine", "leg_curl_machine", "hack_squat_machine",
	    "seated_calf_machine", "abductor_adductor_machine", "sled",
	    "tire", NULL };
	size_t	i;

	for (i = 0; load[i] != NULL; i++)
		if (catalog_list_has(e->equipment_required, load[i]))
			return 1;
	return 0;
}

/* Ballistic, technical lifts (catches, explosive pulls). */
static int
is_ballistic(const struct exercise *e)
{
	return pattern_has(e, "catch") || pattern_has(e, "explosive") ||
	    has_type(e, "olympic_weightlifting");
}

static double
goal_factor(const struct exercise *e, unsigned goal)
{
	double	f = 1.0;

	switch (goal) {
	case RX_GOAL_STRENGTH:
		if (e->is_compound)
			f *= 1.25;
		if (is_loaded(e))
			f *= 1.3;
		else if (e->difficulty <= 2)
			f *= 0.7;
		if (is_timed(e))
			f *= 0.3;
		if (is_conditioning(e))
			f *= 0.5;
		if (is_hold(e))
			f *= 0.8;
		break;
	case RX_GOAL_HYPERTROPHY:
		if (is_loaded(e))
			f *= 1.15;
		if (is_ballistic(e))
			f *= 0.5;
		if (is_timed(e))
			f *= 0.3;
		if (is_conditioning(e))
			f *= 0.5;
		if (is_hold(e))
			f *= 0.7;
		break;
	case RX_GOAL_ENDURANCE:
		if (is_conditioning(e))
			f *= 1.5;
		if (is_timed(e))
			f *= 1.3;
		break;
	case RX_GOAL_FAT_LOSS:
		if (is_conditioning(e))
			f *= 1.6;
		if (e->is_compound)
			f *= 1.2;
		break;
	case RX_GOAL_MOBILITY:
		if (mobility_kind(e) == 2)
			f *= 2.5;
		else if (mobility_kind(e) == 1)
			f *= 1.5;
		if (e->difficulty <= 2)
			f *= 1.2;
		if (is_timed(e))
			f *= 0.5;
		if (is_conditioning(e) || is_ballistic(e))
			f *= 0.5;
		break;
	default:		/* no goal: a general resistance session */
		if (is_timed(e))
			f *= 0.5;
		if (is_conditioning(e))
			f *= 0.6;
		break;
	}
	return f;
}

/* The goals in the order their factors are averaged. */
static const unsigned all_goals[] = { RX_GOAL_STRENGTH, RX_GOAL_HYPERTROPHY,
    RX_GOAL_ENDURANCE, RX_GOAL_MOBILITY, RX_GOAL_FAT_LOSS };
#define NGOALS	(sizeof(all_goals) / sizeof(all_goals[0]))

/*
 * What the solver derives from one exercise alone: its primary muscles as
 * catalog indices (unknown ids left out, in their order), how many ids it
 * lists (nall, unknown ones included) and its factor for no goal (goal[0])
 * and for each of all_goals (goal[1 + i]).
 */
struct rx_exfacts {
	const size_t	*primary;
	size_t		 nprimary;
	size_t		 nall;
	double		 goal[1 + NGOALS];
};

struct rx_facts {
	/* The load they describe (addresses only: it may be gone). */
	uintptr_t		 exercises;
	size_t			 nexercises;
	uintptr_t		 muscles;
	size_t			 nmuscles;
	long			 version;
	struct rx_exfacts	*ex;		/* per catalog exercise */
	size_t			*pool;		/* every primary index */
};

/*
 * How much the request wants e, a positive factor on its gain: the
 * difficulty against the fitness level, compound or not, and the mean of
 * the goals' factors (f->goal, goal_factor() of each).
 */
static double
preference(const struct rx_request *req, const struct exercise *e,
    const struct rx_exfacts *f)
{
	double			 p = 1.0, g = 0;
	int			 cap, over, n = 0;
	size_t			 i;

	cap = req->level == RX_LEVEL_BEGINNER ? 2 :
	    req->level == RX_LEVEL_ADVANCED ? 5 : 3;
	for (over = e->difficulty - cap; over > 0; over--)
		p *= 0.3;
	if (req->level == RX_LEVEL_ADVANCED)
		p *= e->difficulty >= 3 ? 1.15 : e->difficulty <= 1 ? 0.85 : 1;

	if (req->prefer_compound == 1)
		p *= e->is_compound ? 1.5 : 0.8;
	else if (req->prefer_compound == 0)
		p *= e->is_compound ? 1.0 : 1.3;
	else if (e->is_compound)
		p *= 1.1;

	for (i = 0; i < NGOALS; i++)
		if (req->goals & all_goals[i]) {
			g += f->goal[1 + i];
			n++;
		}
	p *= n > 0 ? g / n : f->goal[0];
	return p;
}

static long
muscle_idx(const struct catalog *c, const char *id)
{
	size_t	i;

	/* The first byte settles most comparisons without a call. */
	for (i = 0; i < c->nmuscles; i++)
		if (c->muscles[i].id[0] == id[0] &&
		    strcmp(c->muscles[i].id, id) == 0)
			return (long)i;
	return -1;
}

int
prescribe_target(const struct catalog *c, const char *name,
    struct rx_target *t)
{
	size_t	i;

	for (i = 0; i < c->nmuscles; i++)
		if (strcasecmp(c->muscles[i].id, name) == 0) {
			t->muscle = (long)i;
			t->group = NULL;
			return 0;
		}
	for (i = 0; i < c->nmuscles; i++)
		if (strcasecmp(c->muscles[i].group, name) == 0) {
			t->muscle = -1;
			t->group = c->muscles[i].group;
			return 0;
		}
	return -1;
}

int
prescribe_target_has(const struct catalog *c, const struct rx_target *t,
    size_t m)
{
	if (t->group != NULL)
		return strcmp(c->muscles[m].group, t->group) == 0;
	return t->muscle >= 0 && (size_t)t->muscle == m;
}

static int
has_str(const char *const *list, size_t n, const char *s)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/* The hard filters but the excluded muscles. */
static int
allowed_but_muscles(const struct rx_request *req, const struct exercise *e)
{
	char	**p;

	if (!catalog_list_has(e->locations, req->location))
		return 0;
	for (p = e->equipment_required; p != NULL && *p != NULL; p++)
		if (!has_str(req->equipment, req->nequipment, *p))
			return 0;
	if (has_str(req->exclude_exercises, req->nexclude_exercises, e->id))
		return 0;
	return 1;
}

static int
excluded_muscle(const struct rx_request *req, size_t m)
{
	size_t	i;

	for (i = 0; i < req->nexclude_muscles; i++)
		if (req->exclude_muscles[i] == m)
			return 1;
	return 0;
}

int
prescribe_allowed(const struct catalog *c, const struct rx_request *req,
    const struct exercise *e)
{
	char	**p;
	long	  m;

	if (!allowed_but_muscles(req, e))
		return 0;
	for (p = e->primary_muscles; p != NULL && *p != NULL; p++)
		if ((m = muscle_idx(c, *p)) >= 0 &&
		    excluded_muscle(req, (size_t)m))
			return 0;
	return 1;
}

/* prescribe_allowed() with e's primary muscles already resolved. */
static int
allowed(const struct rx_request *req, const struct exercise *e,
    const struct rx_exfacts *f)
{
	size_t	i;

	if (!allowed_but_muscles(req, e))
		return 0;
	for (i = 0; i < f->nprimary; i++)
		if (excluded_muscle(req, f->primary[i]))
			return 0;
	return 1;
}

struct rx_facts *
prescribe_facts(const struct catalog *c)
{
	struct rx_facts	 *f = xcalloc(1, sizeof(*f));
	char		**p;
	size_t		  i, k, n = 0;
	long		  m;

	f->exercises = (uintptr_t)c->exercises;
	f->nexercises = c->nexercises;
	f->muscles = (uintptr_t)c->muscles;
	f->nmuscles = c->nmuscles;
	f->version = c->version;
	for (i = 0; i < c->nexercises; i++)
		for (p = c->exercises[i].primary_muscles; p != NULL &&
		    *p != NULL; p++)
			n++;
	f->pool = xcalloc(n ? n : 1, sizeof(*f->pool));
	f->ex = xcalloc(c->nexercises ? c->nexercises : 1, sizeof(*f->ex));
	n = 0;
	for (i = 0; i < c->nexercises; i++) {
		const struct exercise	*e = &c->exercises[i];
		struct rx_exfacts	*x = &f->ex[i];

		x->primary = f->pool + n;
		for (p = e->primary_muscles; p != NULL && *p != NULL; p++,
		    x->nall++)
			if ((m = muscle_idx(c, *p)) >= 0) {
				f->pool[n++] = (size_t)m;
				x->nprimary++;
			}
		x->goal[0] = goal_factor(e, 0);
		for (k = 0; k < NGOALS; k++)
			x->goal[1 + k] = goal_factor(e, all_goals[k]);
	}
	return f;
}

int
prescribe_facts_fit(const struct rx_facts *f, const struct catalog *c)
{
	return f != NULL && f->exercises == (uintptr_t)c->exercises &&
	    f->nexercises == c->nexercises &&
	    f->muscles == (uintptr_t)c->muscles &&
	    f->nmuscles == c->nmuscles && f->version == c->version;
}

void
prescribe_facts_free(struct rx_facts *f)
{
	if (f == NULL)
		return;
	free(f->pool);
	free(f->ex);
	free(f);
}

/* Solver state: the allowed exercises and the plan being built. */
struct cand {
	const struct exercise	*ex;
	const struct rx_exfacts	*facts;
	double			 pref;
	int			 rest;		/* seconds after each set */
	int			 base;		/* base sets */
	int			 max_sets;
	long			 entry;		/* index in the plan, or -1 */
	int			 on_target;	/* a primary muscle is a target */
};

struct solver {
	const struct catalog	*cat;
	const struct rx_request	*req;
	const struct scheme	*sch;
	struct cand		*cands;
	size_t			 ncands;
	double			*weight;	/* per muscle */
	double			*stim;		/* per muscle, TU */
	double			*caps;		/* per muscle, saturation TU */
	double			*satv;		/* per muscle, sat(stim, cap) */
	double			 volume;	/* effective sets of saturation */
	unsigned char		*umask;		/* per unit, per muscle */
	long			 budget;	/* seconds for the main work */
	long			 used;
	struct rx_plan		*plan;
	size_t			*order;		/* cand index per entry */
	size_t			 nentries;
	int			 any_on_target;
	int			 count_only;	/* cover by count, not gain */
	size_t			 units_coverable;
	size_t			 units_covered;
};

static long
cost(const struct cand *c, int sets)
{
	return (long)sets * (c->ex->estimated_seconds + c->rest);
}

static double
sat(double s, double c)
{
	return c * (1.0 - exp(-s / c));
}

/* Value gained by adding sets of c to the plan. */
static double
gain(const struct solver *s, const struct cand *c, int sets)
{
	const struct exercise	*e = c->ex;
	double			 g = 0, u;
	size_t			 k;

	for (k = 0; k < e->nacts; k++) {
		size_t	m = e->acts[k].muscle;

		if (e->acts[k].activation <= 0)
			continue;
		u = (double)e->acts[k].activation /
		    s->cat->muscles[m].bias_weight;
		g += s->weight[m] * (sat(s->stim[m] + sets * u, s->caps[m]) -
		    s->satv[m]);
	}
	return g * c->pref;
}

static void
apply(struct solver *s, size_t ci, int sets)
{
	struct cand		*c = &s->cands[ci];
	const struct exercise	*e = c->ex;
	size_t			 k;

	for (k = 0; k < e->nacts; k++) {
		size_t	m = e->acts[k].muscle;

		if (e->acts[k].activation <= 0)
			continue;
		s->stim[m] += sets * (double)e->acts[k].activation /
		    s->cat->muscles[m].bias_weight;
		s->satv[m] = sat(s->stim[m], s->caps[m]);
	}
	s->used += cost(c, sets);
	if (c->entry < 0) {
		c->entry = (long)s->nentries;
		s->order[s->nentries] = ci;
		s->plan->entries[s->nentries].sets = 0;
		s->nentries++;
	}
	s->plan->entries[c->entry].sets += sets;
}

static int
fits(const struct solver *s, const struct cand *c, int sets)
{
	return s->used + cost(c, sets) <= s->budget;
}

/* 1 when e works (activation > 0) some muscle of unit u. */
static int
works(const struct solver *s, const struct exercise *e, size_t u)
{
	const unsigned char	*mask = s->umask + u * s->cat->nmuscles;
	size_t			 k;

	for (k = 0; k < e->nacts; k++)
		if (e->acts[k].activation > 0 && mask[e->acts[k].muscle])
			return 1;
	return 0;
}

static int
covered(const struct solver *s, size_t u)
{
	const unsigned char	*mask = s->umask + u * s->cat->nmuscles;
	size_t			 m;

	for (m = 0; m < s->cat->nmuscles; m++)
		if (s->stim[m] > 0 && mask[m])
			return 1;
	return 0;
}

/*
 * Pass 1: cover the targets (or, without targets, every muscle group)
 * with one set each of the exercise that covers the most uncovered ones
 * per second.
 */
static void
pass_cover(struct solver *s, size_t nunits)
{
	unsigned char	*done = xcalloc(nunits ? nunits : 1, 1);
	size_t		 i, u, best;
	double		 score, bscore, bgain, g;
	int		 n;

	for (;;) {
		for (u = 0; u < nunits; u++)
			done[u] = (unsigned char)covered(s, u);
		best = s->ncands;
		bscore = 0;
		bgain = 0;
		for (i = 0; i < s->ncands; i++) {
			struct cand	*c = &s->cands[i];

			if (c->entry >= 0 || !fits(s, c, 1))
				continue;
			for (n = 0, u = 0; u < nunits; u++)
				if (!done[u] && works(s, c->ex, u))
					n++;
			if (n == 0)
				continue;
			g = gain(s, c, 1);
			score = n * (s->count_only ? c->pref : g) /
			    (double)cost(c, 1);
			if (score > bscore || (score == bscore && g > bgain)) {
				best = i;
				bscore = score;
				bgain = g;
			}
		}
		if (best == s->ncands)
			break;
		apply(s, best, 1);
	}
	free(done);
}

/* Pass 2: bring every chosen exercise to its base sets, round-robin. */
static void
pass_base(struct solver *s)
{
	size_t	i;
	int	raised;

	do {
		raised = 0;
		for (i = 0; i < s->nentries; i++) {
			struct cand	*c = &s->cands[s->order[i]];

			if (s->plan->entries[i].sets < c->base &&
			    fits(s, c, 1)) {
				apply(s, s->order[i], 1);
				raised = 1;
			}
		}
	} while (raised);
}

/* Pass 3: one more set or one more exercise, best gain per second first. */
static void
pass_fill(struct solver *s, size_t max_entries)
{
	struct solver	 empty = *s;
	double		*zero = xcalloc(s->cat->nmuscles ?
	    s->cat->nmuscles : 1, sizeof(double));
	double		 ref = 0, r, best;
	size_t		 i, bi;
	int		 k, bsets;

	/* The reference: the best first set on an empty plan. */
	empty.stim = zero;
	empty.satv = zero;
	for (i = 0; i < s->ncands; i++) {
		r = gain(&empty, &s->cands[i], 1) /
		    (double)cost(&s->cands[i], 1);
		if (r > ref)
			ref = r;
	}
	free(zero);

	for (;;) {
		best = 0;
		bi = s->ncands;
		bsets = 0;
		for (i = 0; i < s->ncands; i++) {
			struct cand	*c = &s->cands[i];

			if (c->entry >= 0) {
				if (s->plan->entries[c->entry].sets >=
				    c->max_sets || !fits(s, c, 1))
					continue;
				k = 1;
				r = gain(s, c, 1) / (double)cost(c, 1);
			} else {
				if (s->nentries >= max_entries ||
				    (s->any_on_target && !c->on_target))
					continue;
				for (k = c->base; k > 0 && !fits(s, c, k); k--)
					;
				if (k == 0)
					continue;
				r = NEW_EXERCISE_FACTOR * gain(s, c, k) /
				    (double)cost(c, k);
			}
			if (r > best) {
				best = r;
				bi = i;
				bsets = k;
			}
		}
		if (bi == s->ncands || best < STOP_SHARE * ref || best <= 0)
			break;
		apply(s, bi, bsets);
	}
}

static void
set_block(struct rx_block *b, const char *type, const char *desc, int secs)
{
	b->type = type;
	b->description = desc;
	b->duration = secs;
}

/* Warm-up and cool-down, longer for longer sessions. */
static void
blocks(const struct rx_request *req, struct rx_plan *p, int minimal)
{
	const char	*cardio;
	int		 d = req->duration;

	if (strcmp(req->location, "gym") == 0)
		cardio = "Easy cardio on a bike, rower or treadmill, building "
		    "to a light sweat";
	else if (strcmp(req->location, "office") == 0 ||
	    strcmp(req->location, "hotel") == 0 ||
	    strcmp(req->location, "travel") == 0)
		cardio = "March in place with arm circles and step-jacks, "
		    "quietly, until warm";
	else
		cardio = "Jog in place or walk briskly, adding arm swings, "
		    "until warm and breathing a little faster";
	p->nwarmup = p->ncooldown = 0;
	if (minimal || d < 30) {
		set_block(&p->warmup[p->nwarmup++], "cardio", cardio,
		    minimal ? 60 : 120);
		set_block(&p->cooldown[p->ncooldown++], "static_stretch",
		    "Stretch each muscle you trained, 20-30 seconds each, "
		    "breathing slowly", 60);
		return;
	}
	set_block(&p->warmup[p->nwarmup++], "cardio", cardio,
	    d < 60 ? 180 : 300);
	set_block(&p->warmup[p->nwarmup++], "dynamic_stretch",
	    "Leg swings, arm circles, hip circles and bodyweight squats "
	    "through a growing range of motion", d < 60 ? 120 : 180);
	set_block(&p->cooldown[p->ncooldown++], "static_stretch",
	    "Stretch each muscle you trained, 20-30 seconds each, breathing "
	    "slowly", d < 60 ? 180 : 240);
	if (req->goals & RX_GOAL_MOBILITY)
		set_block(&p->cooldown[p->ncooldown++], "mobility",
		    "Long, relaxed holds for hips, hamstrings and shoulders, "
		    "60 seconds each", 120);
	if (d >= 60)
		set_block(&p->cooldown[p->ncooldown++], "breathing",
		    "Slow breathing lying on your back until the heart rate "
		    "settles", 60);
}

static long
block_seconds(const struct rx_plan *p)
{
	long	t = 0;
	size_t	i;

	for (i = 0; i < p->nwarmup; i++)
		t += p->warmup[i].duration;
	for (i = 0; i < p->ncooldown; i++)
		t += p->cooldown[i].duration;
	return t;
}

static int
has_index(const size_t *list, size_t n, size_t m)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (list[i] == m)
			return 1;
	return 0;
}

/* The same primary muscles, as sets, listing as many ids. */
static int
same_primaries(const struct cand *x, const struct cand *y)
{
	const struct exercise	 *a = x->ex, *b = y->ex;
	const struct rx_exfacts	 *fa = x->facts, *fb = y->facts;
	size_t			  na = 0, nb = 0, i;
	char			**p;

	/* Every id a muscle's: equal ids are equal indices. */
	if (fa->nprimary == fa->nall && fb->nprimary == fb->nall) {
		if (fa->nall == 0 || fa->nall != fb->nall)
			return 0;
		for (i = 0; i < fa->nprimary; i++)
			if (!has_index(fb->primary, fb->nprimary,
			    fa->primary[i]))
				return 0;
		for (i = 0; i < fb->nprimary; i++)
			if (!has_index(fa->primary, fa->nprimary,
			    fb->primary[i]))
				return 0;
		return 1;
	}
	for (p = a->primary_muscles; p != NULL && *p != NULL; p++, na++)
		if (!catalog_list_has(b->primary_muscles, *p))
			return 0;
	for (p = b->primary_muscles; p != NULL && *p != NULL; p++, nb++)
		if (!catalog_list_has(a->primary_muscles, *p))
			return 0;
	return na > 0 && na == nb;
}

/* Ranking of a substitution: smaller is better. */
static double
sub_rank(const struct cand *main, const struct cand *c)
{
	double	r = abs(main->ex->difficulty - c->ex->difficulty);

	if (main->ex->movement_pattern == NULL ||
	    c->ex->movement_pattern == NULL ||
	    strcmp(main->ex->movement_pattern, c->ex->movement_pattern) != 0)
		r += 10;
	return r - c->pref / 100.0;
}

/*
 * Substitutions: allowed exercises outside the plan with exactly the same
 * primary muscles, of the same kind (timed or not), that keep the plan
 * within the duration when done with the entry's sets, reps and rest.
 */
static void
substitutions(struct solver *s, long limit)
{
	size_t	i, j, k;

	for (i = 0; i < s->nentries; i++) {
		struct rx_entry	*en = &s->plan->entries[i];
		struct cand	*main = &s->cands[s->order[i]];
		size_t		 best[RX_MAX_SUBS], n = 0;

		for (j = 0; j < s->ncands; j++) {
			struct cand	*c = &s->cands[j];

			/* A swap keeps the entry's sets, reps and rest. */
			if (c->entry >= 0 || is_timed(c->ex) !=
			    is_timed(main->ex) || !same_primaries(main, c) ||
			    s->used + (limit - s->budget) +
			    (long)en->sets * (c->ex->estimated_seconds -
			    main->ex->estimated_seconds) > limit)
				continue;
			/* Insert into the sorted top list. */
			for (k = n; k > 0 && sub_rank(main, c) <
			    sub_rank(main, &s->cands[best[k - 1]]); k--)
				if (k < RX_MAX_SUBS)
					best[k] = best[k - 1];
			if (k < RX_MAX_SUBS) {
				best[k] = j;
				if (n < RX_MAX_SUBS)
					n++;
			}
		}
		en->subs = xcalloc(n ? n : 1, sizeof(*en->subs));
		for (k = 0; k < n; k++)
			en->subs[k] = s->cands[best[k]].ex;
		en->nsubs = n;
	}
}

static void
fill_entry(const struct solver *s, struct rx_entry *en, const struct cand *c)
{
	int	li = level_index(s->req->level) == 0 ? 0 : 1;

	en->ex = c->ex;
	en->rest_seconds = c->rest;
	en->estimated_seconds = c->ex->estimated_seconds;
	if (is_timed(c->ex))
		snprintf(en->reps, sizeof(en->reps), "%d min",
		    (c->ex->estimated_seconds + 59) / 60);
	else if (is_conditioning(c->ex))
		snprintf(en->reps, sizeof(en->reps), "%d s",
		    c->ex->estimated_seconds);
	else
		snprintf(en->reps, sizeof(en->reps), "%s", is_hold(c->ex) ?
		    s->sch->hold[li] : s->sch->reps[li]);
}

/* Workout order: compound lifts, then isolation work, then timed efforts. */
static int
entry_kind(const struct exercise *e)
{
	return is_timed(e) ? 2 : e->is_compound ? 0 : 1;
}

static void
order_entries(struct rx_plan *p)
{
	struct rx_entry	 tmp;
	size_t		 i, j;

	/* Insertion sort: stable, and the lists are short. */
	for (i = 1; i < p->nentries; i++) {
		tmp = p->entries[i];
		for (j = i; j > 0 && entry_kind(p->entries[j - 1].ex) >
		    entry_kind(tmp.ex); j--)
			p->entries[j] = p->entries[j - 1];
		p->entries[j] = tmp;
	}
}

void
prescribe_free(struct rx_plan *p)
{
	size_t	i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nentries; i++)
		free(p->entries[i].subs);
	free(p->entries);
	free(p->stimulus);
	free(p->coverage);
	free(p->reported);
	memset(p, 0, sizeof(*p));
}

/* An exercise that passes the hard filters, and how much it is wanted. */
struct pick {
	const struct exercise	*ex;
	const struct rx_exfacts	*facts;
	double			 pref;
};

/*
 * One attempt at a plan from the allowed exercises (picks, in catalog
 * order): with count_only the cover pass ranks exercises by how many
 * targets they cover per second rather than by their gain, with minimal
 * the warm-up and cool-down are cut to a minute each, and with circuit no
 * rest is longer than CIRCUIT_REST (many targets in little time are
 * trained as a circuit).
 */
static int
solve(const struct catalog *cat, const struct rx_request *req,
    const struct pick *picks, size_t npicks, struct rx_plan *plan,
    const char **err, int count_only, int minimal, int circuit,
    size_t *covered_units, size_t *coverable_units)
{
	struct solver		 s;
	struct rx_target	*units = NULL;
	size_t			 nunits = 0, i, j, m, max_entries;
	long			 limit = (long)req->duration * 60;
	long			 minc = -1;
	int			 li = level_index(req->level), rc = -1;

	memset(plan, 0, sizeof(*plan));
	memset(&s, 0, sizeof(s));
	*err = NULL;
	s.count_only = count_only;
	s.cat = cat;
	s.req = req;
	s.sch = scheme_for(req->goals);
	s.plan = plan;
	s.volume = SETS_AT_45 * req->duration / 45.0;
	s.cands = xcalloc(npicks ? npicks : 1, sizeof(*s.cands));
	for (i = 0; i < npicks; i++) {
		const struct exercise	*e = picks[i].ex;
		struct cand		*c = &s.cands[s.ncands];

		c->ex = e;
		c->facts = picks[i].facts;
		c->pref = picks[i].pref;
		c->rest = e->is_compound ? s.sch->rest_compound :
		    s.sch->rest_isolation;
		if (c->rest == 0)
			c->rest = e->rest_seconds;
		c->base = s.sch->base[li];
		c->max_sets = s.sch->max_sets;
		if (is_timed(e)) {
			/* One timed effort; rest no longer than its own. */
			c->base = c->max_sets = 1;
			if (c->rest > e->rest_seconds)
				c->rest = e->rest_seconds;
		}
		if (circuit && c->rest > CIRCUIT_REST)
			c->rest = CIRCUIT_REST;
		c->entry = -1;
		if (minc < 0 || cost(c, 1) < minc)
			minc = cost(c, 1);
		s.ncands++;
	}
	if (s.ncands == 0) {
		*err = "No exercise in the catalog can be done at this "
		    "location with this equipment and these exclusions";
		goto out;
	}

	blocks(req, plan, minimal);
	if (limit - block_seconds(plan) < minc)
		blocks(req, plan, 1);	/* make room for one set */
	s.budget = limit - block_seconds(plan);
	if (s.budget < minc) {
		*err = "No allowed exercise fits in this duration";
		goto out;
	}

	plan->nmuscles = cat->nmuscles;
	plan->stimulus = xcalloc(cat->nmuscles ? cat->nmuscles : 1,
	    sizeof(double));
	plan->coverage = xcalloc(cat->nmuscles ? cat->nmuscles : 1,
	    sizeof(double));
	plan->reported = xcalloc(cat->nmuscles ? cat->nmuscles : 1, 1);
	s.stim = plan->stimulus;
	s.weight = xcalloc(cat->nmuscles ? cat->nmuscles : 1, sizeof(double));
	s.satv = xcalloc(cat->nmuscles ? cat->nmuscles : 1, sizeof(double));
	/* Saturation: the session's effective sets, in TU for muscle m. */
	s.caps = xcalloc(cat->nmuscles ? cat->nmuscles : 1, sizeof(double));
	for (m = 0; m < cat->nmuscles; m++)
		s.caps[m] = s.volume * 100.0 / cat->muscles[m].bias_weight;
	for (m = 0; m < cat->nmuscles; m++) {
		s.weight[m] = req->ntargets == 0 ? 1.0 : OFF_TARGET_WEIGHT;
		for (j = 0; j < req->ntargets; j++)
			if (prescribe_target_has(cat, &req->targets[j], m)) {
				s.weight[m] = 1.0;
				plan->reported[m] = 1;
			}
	}

	/* New exercises in the fill pass must aim a primary at a target. */
	for (i = 0; i < s.ncands; i++) {
		const struct rx_exfacts	*f = s.cands[i].facts;

		for (j = 0; j < f->nprimary && !s.cands[i].on_target; j++)
			if (s.weight[f->primary[j]] == 1.0)
				s.cands[i].on_target = 1;
		if (s.cands[i].on_target)
			s.any_on_target = 1;
	}

	/* Units to cover: the targets, else one per muscle group. */
	units = xcalloc(cat->nmuscles + req->ntargets + 1, sizeof(*units));
	if (req->ntargets > 0) {
		for (j = 0; j < req->ntargets; j++)
			units[nunits++] = req->targets[j];
	} else {
		for (m = 0; m < cat->nmuscles; m++) {
			for (j = 0; j < nunits; j++)
				if (strcmp(units[j].group,
				    cat->muscles[m].group) == 0)
					break;
			if (j == nunits) {
				units[nunits].muscle = -1;
				units[nunits++].group = cat->muscles[m].group;
			}
		}
	}

	max_entries = (size_t)(req->duration / 6);
	if (max_entries < 3)
		max_entries = 3;
	if (max_entries > 12)
		max_entries = 12;
	/* At most one entry per candidate; cover may exceed max_entries. */
	plan->entries = xcalloc(s.ncands, sizeof(*plan->entries));
	s.order = xcalloc(s.ncands, sizeof(*s.order));

	s.umask = xcalloc(nunits * cat->nmuscles + 1, 1);
	for (j = 0; j < nunits; j++)
		for (m = 0; m < cat->nmuscles; m++)
			s.umask[j * cat->nmuscles + m] = (unsigned char)
			    prescribe_target_has(cat, &units[j], m);
	pass_cover(&s, nunits);
	for (j = 0; j < nunits; j++) {
		for (i = 0; i < s.ncands; i++)
			if (works(&s, s.cands[i].ex, j))
				break;
		if (i < s.ncands) {
			s.units_coverable++;
			s.units_covered += (size_t)covered(&s, j);
		}
	}
	*covered_units = s.units_covered;
	*coverable_units = s.units_coverable;
	pass_base(&s);
	pass_fill(&s, max_entries);
	if (s.nentries == 0) {
		/* Nothing gains anything: the most wanted one that fits. */
		size_t	best = s.ncands;

		for (i = 0; i < s.ncands; i++)
			if (fits(&s, &s.cands[i], 1) && (best == s.ncands ||
			    s.cands[i].pref > s.cands[best].pref))
				best = i;
		if (best < s.ncands) {
			apply(&s, best, 1);
			pass_base(&s);
		}
	}
	if (s.nentries == 0) {
		*err = "No allowed exercise fits in this duration";
		goto out;
	}

	plan->nentries = s.nentries;
	for (i = 0; i < s.nentries; i++)
		fill_entry(&s, &plan->entries[i], &s.cands[s.order[i]]);
	substitutions(&s, limit);
	order_entries(plan);

	plan->seconds = s.used + block_seconds(plan);
	plan->minutes = (int)((plan->seconds + 59) / 60);
	for (m = 0; m < cat->nmuscles; m++) {
		if (plan->stimulus[m] > 0)
			plan->reported[m] = 1;
		plan->coverage[m] = 100.0 * (1.0 - exp(-plan->stimulus[m] /
		    s.caps[m]));
	}
	rc = 0;
out:
	free(units);
	free(s.umask);
	free(s.caps);
	free(s.satv);
	free(s.weight);
	free(s.order);
	free(s.cands);
	return rc;
}

int
prescribe_with(const struct catalog *cat, const struct rx_facts *facts,
    const struct rx_request *req, struct rx_plan *plan, const char **err)
{
	/*
	 * Tried in order until every coverable target is covered; otherwise
	 * the attempt covering the most wins (the earliest on a tie).
	 */
	static const struct {
		int	count_only, minimal, circuit;
	} modes[] = { { 0, 0, 0 }, { 1, 0, 0 }, { 1, 1, 0 }, { 1, 1, 1 } };
	struct rx_facts	*own = NULL;
	struct pick	*picks;
	struct rx_plan	 p;
	size_t		 i, npicks = 0, cov, coverable, best_cov = 0;
	int		 have = 0;
	const char	*e;

	memset(plan, 0, sizeof(*plan));
	*err = NULL;
	if (!prescribe_facts_fit(facts, cat))
		facts = own = prescribe_facts(cat);
	/* The filters and preferences do not depend on the attempt. */
	picks = xcalloc(cat->nexercises ? cat->nexercises : 1, sizeof(*picks));
	for (i = 0; i < cat->nexercises; i++) {
		const struct exercise	*ex = &cat->exercises[i];
		const struct rx_exfacts	*f = &facts->ex[i];

		if (!allowed(req, ex, f))
			continue;
		picks[npicks].ex = ex;
		picks[npicks].facts = f;
		picks[npicks].pref = preference(req, ex, f);
		npicks++;
	}
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		cov = coverable = 0;
		if (solve(cat, req, picks, npicks, &p, &e,
		    modes[i].count_only, modes[i].minimal, modes[i].circuit,
		    &cov, &coverable) == -1) {
			prescribe_free(&p);
			if (!have && *err == NULL)
				*err = e;
			continue;
		}
		if (!have || cov > best_cov) {
			prescribe_free(plan);
			*plan = p;
			best_cov = cov;
			have = 1;
		} else
			prescribe_free(&p);
		if (best_cov >= coverable)
			break;
	}
	free(picks);
	prescribe_facts_free(own);
	if (have)
		*err = NULL;
	return have ? 0 : -1;
}

int
prescribe(const struct catalog *cat, const struct rx_request *req,
    struct rx_plan *plan, const char **err)
{
	return prescribe_with(cat, NULL, req, plan, err);
}

/* A number with at most 2 decimals, never 0 when v > 0. */
static void
put_num(struct buf *b, double v)
{
	char	s[64], *p;

	if (v > 0 && v < 0.005)
		v = 0.01;
	snprintf(s, sizeof(s), "%.2f", v);
	if (strchr(s, '.') != NULL) {
		p = s + strlen(s) - 1;
		while (*p == '0')
			*p-- = '\0';
		if (*p == '.')
			*p = '\0';
	}
	buf_puts(b, s);
}

void
prescribe_json_exercises(const struct rx_plan *p, struct buf *b)
{
	size_t	i;

	buf_putc(b, '[');
	for (i = 0; i < p->nentries; i++) {
		const struct rx_entry	*en = &p->entries[i];

		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, "{\"exerciseId\":");
		buf_json_str(b, en->ex->id);
		buf_puts(b, ",\"name\":");
		buf_json_str(b, en->ex->name);
		buf_printf(b, ",\"sets\":%d,\"reps\":", en->sets);
		buf_json_str(b, en->reps);
		buf_printf(b, ",\"restSeconds\":%d,\"estimatedSeconds\":%d}",
		    en->rest_seconds, en->estimated_seconds);
	}
	buf_putc(b, ']');
}

void
prescribe_json_blocks(const struct rx_block *bl, size_t n, struct buf *b)
{
	size_t	i;

	buf_putc(b, '[');
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, "{\"exerciseId\":null,\"type\":");
		buf_json_str(b, bl[i].type);
		buf_puts(b, ",\"description\":");
		buf_json_str(b, bl[i].description);
		buf_printf(b, ",\"duration\":%d}", bl[i].duration);
	}
	buf_putc(b, ']');
}

void
prescribe_json_substitutions(const struct rx_plan *p, struct buf *b)
{
	size_t	i, k;

	buf_putc(b, '{');
	for (i = 0; i < p->nentries; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_json_str(b, p->entries[i].ex->id);
		buf_puts(b, ":[");
		for (k = 0; k < p->entries[i].nsubs; k++) {
			if (k > 0)
				buf_putc(b, ',');
			buf_json_str(b, p->entries[i].subs[k]->id);
		}
		buf_putc(b, ']');
	}
	buf_putc(b, '}');
}

void
prescribe_json_coverage(const struct catalog *c, const struct rx_plan *p,
    struct buf *b)
{
	size_t	m;
	int	first = 1;

	buf_putc(b, '{');
	for (m = 0; m < p->nmuscles && m < c->nmuscles; m++) {
		if (!p->reported[m])
			continue;
		if (!first)
			buf_putc(b, ',');
		first = 0;
		buf_json_str(b, c->muscles[m].id);
		buf_putc(b, ':');
		put_num(b, p->coverage[m]);
	}
	buf_putc(b, '}');
}

/* Alternatives (contract §11.5). */

static int
name_has(const struct exercise *e, const char *word)
{
	return e->name != NULL && strcasestr(e->name, word) != NULL;
}

static int
needs_any(const struct exercise *e, const char *const *items)
{
	size_t	i;

	for (i = 0; items[i] != NULL; i++)
		if (catalog_list_has(e->equipment_required, items[i]))
			return 1;
	return 0;
}

int
prescribe_is_seated(const struct exercise *e)
{
	static const char *const seats[] = { "flat_bench",
	    "adjustable_bench", "preacher_bench", "chest_press_machine",
	    "pec_deck", "lat_pulldown", "leg_extension_machine",
	    "leg_curl_machine", "seated_calf_machine",
	    "abductor_adductor_machine", "leg_press", "rower", "bike",
	    NULL };

	if (needs_any(e, seats))
		return 1;
	if (name_has(e, "seated") || name_has(e, "sitting") ||
	    name_has(e, "lying"))
		return 1;
	return e->movement_pattern != NULL &&
	    (strcmp(e->movement_pattern, "core") == 0 ||
	    strcmp(e->movement_pattern, "anti_extension") == 0) &&
	    (e->equipment_required == NULL || e->equipment_required[0] == NULL);
}

int
prescribe_is_low_impact(const struct exercise *e)
{
	static const char *const machines[] = { "bike", "bicycle",
	    "elliptical", "rower", "stair_climber", "swimming_pool", NULL };
	static const char *const names[] = { "jump", "hop", "bound", "skip",
	    "sprint", "running", "burpee", NULL };
	static const char *const patterns[] = { "explosive", "catch",
	    "strik", "release", NULL };
	size_t	i;

	if (e->difficulty > 2)
		return 0;
	if (has_type(e, "olympic_weightlifting") ||
	    has_type(e, "combat_conditioning") || has_type(e, "wrestling"))
		return 0;
	for (i = 0; patterns[i] != NULL; i++)
		if (pattern_has(e, patterns[i]))
			return 0;
	for (i = 0; names[i] != NULL; i++)
		if (name_has(e, names[i]))
			return 0;
	if (is_conditioning(e))
		return needs_any(e, machines) || name_has(e, "walk");
	return 1;
}

/* Similarity to like: shared primary muscles, then activation overlap. */
struct alt {
	const struct exercise	*ex;
	size_t			 idx;
	int			 shared;
	int			 overlap;
};

static int
alt_cmp(const void *a, const void *b)
{
	const struct alt	*x = a, *y = b;

	if (x->shared != y->shared)
		return y->shared - x->shared;
	if (x->overlap != y->overlap)
		return y->overlap - x->overlap;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int
overlap(const struct exercise *a, const struct exercise *b)
{
	size_t	i, j;
	int	t = 0;

	for (i = 0; i < a->nacts; i++)
		for (j = 0; j < b->nacts; j++)
			if (a->acts[i].muscle == b->acts[j].muscle)
				t += a->acts[i].activation <
				    b->acts[j].activation ?
				    a->acts[i].activation :
				    b->acts[j].activation;
	return t;
}

size_t
prescribe_alternatives(const struct catalog *c, enum rx_alt kind,
    const struct exercise *like, const struct exercise ***out)
{
	struct alt	*alts = xcalloc(c->nexercises ? c->nexercises : 1,
	    sizeof(*alts));
	size_t		 i, n = 0;
	char		**p;

	for (i = 0; i < c->nexercises; i++) {
		const struct exercise	*e = &c->exercises[i];
		struct alt		*a = &alts[n];

		if (e == like || !(kind == RX_ALT_SEATED ?
		    prescribe_is_seated(e) : prescribe_is_low_impact(e)))
			continue;
		a->ex = e;
		a->idx = i;
		if (like != NULL) {
			for (p = like->primary_muscles; p != NULL && *p != NULL;
			    p++)
				if (catalog_list_has(e->primary_muscles, *p))
					a->shared++;
			if (a->shared == 0)
				continue;
			a->overlap = overlap(like, e);
		}
		n++;
	}
	if (like != NULL)
		qsort(alts, n, sizeof(*alts), alt_cmp);
	*out = xcalloc(n ? n : 1, sizeof(**out));
	for (i = 0; i < n; i++)
		(*out)[i] = alts[i].ex;
	free(alts);
	return n;
}

void
prescribe_json_alternatives(const struct catalog *c, enum rx_alt kind,
    const struct exercise *like, struct buf *b)
{
	const struct exercise	**list;
	size_t			  i, n;

	n = prescribe_alternatives(c, kind, like, &list);
	buf_puts(b, "{\"exercises\":[");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_puts(b, list[i]->json);
	}
	buf_puts(b, "]}");
	free(list);
}
