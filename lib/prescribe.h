/*
 * prescribe: the workout prescription solver (contract §6.7) and the
 * seated and low-impact alternatives (§11.5), over an in-memory catalog.
 *
 * Everything here is a pure function of its inputs and the catalog it is
 * given (no database, no clock, no randomness), so the same request over
 * the same catalog always gives the same plan, and the unit tests can run
 * it against catalogs they build themselves.
 *
 * The solver works in three passes over the exercises that pass the hard
 * filters (location, equipment, exclusions):
 *   1. cover: while some target (a muscle, or a muscle group) is not yet
 *      worked by the plan and some allowed exercise works it, add the
 *      exercise that covers the most uncovered targets per second, with
 *      one set;
 *   2. base volume: raise each chosen exercise to the goal's base sets;
 *   3. fill: greedily add a set to a chosen exercise or a new exercise
 *      aimed at a target, whichever gains the most per second, until the
 *      gain per second drops below 5% of the best first set's on an empty
 *      plan, or nothing more fits.
 * The gain of a step is the growth of Σ_m w_m · f(s_m) · p(e), where s_m
 * is muscle m's Training Units in the plan (Σ sets × activation ÷ bias
 * weight, contract §4.1), f(s) = C (1 − e^(−s/C)) saturates at the
 * muscle's TU for a number of effective sets (sets × activation / 100)
 * that grows with the duration, w_m is 1 for target
 * muscles (all muscles when there are no targets) and 0.05 for the rest,
 * and p(e) is the exercise's preference from fitnessLevel, preferCompound
 * and goals.  No step is taken that would make the plan longer than the
 * duration: Σ sets × (estimatedSeconds + restSeconds) + warm-up +
 * cool-down ≤ duration × 60 holds at every step.
 *
 * When a target that some allowed exercise works is left uncovered (many
 * targets, little time), the plan is built again with the cover pass
 * ranking by count alone, then also with a one-minute warm-up and
 * cool-down, then also as a circuit (rests of at most 20 s); the first
 * attempt that covers every such target, or else the one covering most,
 * is kept.
 */
#ifndef MM_PRESCRIBE_H
#define MM_PRESCRIBE_H

#include <stddef.h>

struct buf;
struct catalog;
struct exercise;

/* Goals, as a bit set. */
#define RX_GOAL_STRENGTH	0x01
#define RX_GOAL_HYPERTROPHY	0x02
#define RX_GOAL_ENDURANCE	0x04
#define RX_GOAL_MOBILITY	0x08
#define RX_GOAL_FAT_LOSS	0x10

enum rx_level {
	RX_LEVEL_ANY,		/* not given */
	RX_LEVEL_BEGINNER,
	RX_LEVEL_INTERMEDIATE,
	RX_LEVEL_ADVANCED,
};

/* One target: a muscle (group NULL) or every muscle of a group. */
struct rx_target {
	long		 muscle;	/* catalog muscle index, or -1 */
	const char	*group;		/* the catalog's spelling, or NULL */
};

struct rx_request {
	int			 duration;	/* minutes, 15..120 */
	const char		*location;
	const char *const	*equipment;	/* available equipment ids */
	size_t			 nequipment;
	const char *const	*exclude_exercises;
	size_t			 nexclude_exercises;
	const size_t		*exclude_muscles;	/* muscle indices */
	size_t			 nexclude_muscles;
	const struct rx_target	*targets;
	size_t			 ntargets;
	unsigned		 goals;		/* RX_GOAL_* */
	enum rx_level		 level;
	int			 prefer_compound;	/* -1 unset, 0, 1 */
};

struct rx_entry {
	const struct exercise	 *ex;
	int			  sets;
	char			  reps[24];
	int			  rest_seconds;
	int			  estimated_seconds;
	const struct exercise	**subs;		/* substitutions */
	size_t			  nsubs;
};

struct rx_block {
	const char	*type;		/* "cardio", "static_stretch", ... */
	const char	*description;	/* static text */
	int		 duration;	/* seconds */
};

#define RX_MAX_BLOCKS	4
#define RX_MAX_SUBS	3

struct rx_plan {
	struct rx_entry	*entries;	/* in workout order */
	size_t		 nentries;
	struct rx_block	 warmup[RX_MAX_BLOCKS];
	size_t		 nwarmup;
	struct rx_block	 cooldown[RX_MAX_BLOCKS];
	size_t		 ncooldown;
	double		*stimulus;	/* TU per catalog muscle */
	double		*coverage;	/* percent per catalog muscle */
	unsigned char	*reported;	/* muscles in muscleCoverage */
	size_t		 nmuscles;
	long		 seconds;	/* the plan's exact length */
	int		 minutes;	/* ceil(seconds / 60) */
};

/*
 * Resolves a muscleTargets entry, case-insensitively: a muscle id first,
 * then a muscle group.  Returns 0 and fills t, or -1 when it names
 * neither.
 */
int	prescribe_target(const struct catalog *, const char *name,
	    struct rx_target *t);

/* 1 when t includes catalog muscle m. */
int	prescribe_target_has(const struct catalog *,
	    const struct rx_target *, size_t m);

/*
 * 1 when e passes the hard filters of req: available at req->location, all
 * its required equipment in req->equipment, not excluded, no primary
 * muscle in req->exclude_muscles.
 */
int	prescribe_allowed(const struct catalog *, const struct rx_request *,
	    const struct exercise *);

/*
 * Builds the plan for req into plan (which the caller releases with
 * prescribe_free(), also after a failure).  Returns 0, or -1 with *err
 * set to a message for users when no catalog exercise passes the filters
 * or none fits the duration.
 */
int	prescribe(const struct catalog *, const struct rx_request *,
	    struct rx_plan *plan, const char **err);
void	prescribe_free(struct rx_plan *);

/*
 * What the solver derives from the catalog alone (each exercise's primary
 * muscles as indices, its factor for each goal), to build once per
 * catalog load rather than once per plan.  prescribe_facts() builds it
 * (the caller frees it with prescribe_facts_free()); prescribe_with()
 * plans with it, giving exactly what prescribe() gives, which builds it
 * for the one plan.  prescribe_facts_fit() is 1 when f was built from
 * this load of the catalog (same arrays, same version); prescribe_with()
 * builds its own when it was not, so stale facts are never used.
 */
struct rx_facts;
struct rx_facts	*prescribe_facts(const struct catalog *);
void		 prescribe_facts_free(struct rx_facts *);
int		 prescribe_facts_fit(const struct rx_facts *,
		    const struct catalog *);
int		 prescribe_with(const struct catalog *, const struct rx_facts *,
		    const struct rx_request *, struct rx_plan *plan,
		    const char **err);

/*
 * Appends the plan's JSON parts (contract §6.7): the exercises array, the
 * warmup and cooldown arrays, the substitutions object and the
 * muscleCoverage object.
 */
void	prescribe_json_exercises(const struct rx_plan *, struct buf *);
void	prescribe_json_blocks(const struct rx_block *, size_t,
	    struct buf *);
void	prescribe_json_substitutions(const struct rx_plan *, struct buf *);
void	prescribe_json_coverage(const struct catalog *,
	    const struct rx_plan *, struct buf *);

/*
 * Alternatives (contract §11.5).  The reference data has no seated or
 * low-impact flag, so both are derived from the catalog's attributes:
 *
 * seated (done sitting or lying, never standing): the exercise needs a
 * seat or bench (a bench, a seated machine, a rower or a bike), or its
 * name says "seated", "sitting" or "lying", or it is floor core work
 * (movement pattern core or anti_extension) that needs no equipment.
 *
 * low impact (no jumping, landing, striking or ballistic catching): the
 * difficulty is at most 2; the type is not olympic_weightlifting,
 * combat_conditioning or wrestling; the movement pattern is not
 * explosive, a catch, a strike or a release; the name does not mention
 * jumping, hopping, bounding, skipping, sprinting, running or burpees; and
 * a conditioning exercise counts only on a cyclic machine (bike, bicycle,
 * elliptical, rower, stair climber, swimming pool) or as walking.
 *
 * With like (an exercise) only alternatives sharing at least one primary
 * muscle with it are kept, most shared primary muscles first, then most
 * overlapping activation, then catalog order; like itself is left out.
 * Without like every matching exercise comes in catalog order.  Fills
 * out (allocated, the caller frees it) and returns the count.
 */
enum rx_alt {
	RX_ALT_SEATED,
	RX_ALT_LOW_IMPACT,
};

int	prescribe_is_seated(const struct exercise *);
int	prescribe_is_low_impact(const struct exercise *);
size_t	prescribe_alternatives(const struct catalog *, enum rx_alt,
	    const struct exercise *like, const struct exercise ***out);
/* Appends {"exercises":[...]} of §11.5 with the §3.2 objects to b. */
void	prescribe_json_alternatives(const struct catalog *, enum rx_alt,
	    const struct exercise *like, struct buf *b);

#endif
