/*
 * tu: Training Units of a workout (contract §4.1).
 *
 * For every exercise entry with s sets and every muscle m it activates
 * with a > 0 percent, muscleActivations[m] += s * a / biasWeight(m); the
 * total is the sum over muscles.  Each muscle value and the total are
 * rounded to 2 decimals (half up) at the end, the total from the
 * unrounded values.
 *
 * A muscle's value is N / b with N = sum of sets * activation (an integer)
 * and b its bias weight.  The reference bias weights are integers, so the
 * rounding is done exactly in integer arithmetic (the total over a common
 * denominator); a non-integral bias weight falls back to floating point.
 *
 * Usage: tu_init(), tu_add() per exercise entry, tu_finish(), read
 * values/total_cents, tu_free().  The catalog must stay loaded (no
 * catalog_refresh()) between tu_init() and tu_free().
 */
#ifndef MM_TU_H
#define MM_TU_H

#include <stddef.h>

struct buf;
struct catalog;
struct exercise;

struct tu_value {
	size_t		 muscle;	/* index into catalog->muscles */
	double		 raw;		/* unrounded value */
	long long	 cents;		/* rounded value times 100 */
};

struct tu {
	const struct catalog	*cat;
	long long		*num;		/* per muscle: sum of sets * act */
	struct tu_value		*values;	/* after tu_finish(): positive
						   muscles, largest first, ties
						   by muscle id */
	size_t			 nvalues;
	long long		 total_cents;	/* rounded total times 100 */
	double			 total;		/* unrounded total */
};

void	tu_init(struct tu *, const struct catalog *);
/* Adds sets of exercise e (an exercise of the same catalog). */
void	tu_add(struct tu *, const struct exercise *e, long sets);
/* Computes values, total_cents and total from what was added. */
void	tu_finish(struct tu *);
void	tu_free(struct tu *);

/* Writes cents as a decimal with two places ("91.67") into out. */
void	tu_format(long long cents, char out[32]);
/* Appends {"muscle-id":11.67,...} (largest first). */
void	tu_json_activations(const struct tu *, struct buf *);
/* Appends the ids of the (up to) n largest muscles as a JSON array. */
void	tu_json_top(const struct tu *, size_t n, struct buf *);

#endif
