#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "catalog.h"
#include "mem.h"
#include "tu.h"

/* Bias weights up to this are handled exactly as integers. */
#define TU_EXACT_MAX_BIAS	1000000.0
/* Common denominators beyond this fall back to floating point. */
#define TU_EXACT_MAX_LCM	1000000000000LL

void
tu_init(struct tu *t, const struct catalog *c)
{
	memset(t, 0, sizeof(*t));
	t->cat = c;
	t->num = xcalloc(c->nmuscles ? c->nmuscles : 1, sizeof(long long));
}

void
tu_add(struct tu *t, const struct exercise *e, long sets)
{
	size_t	i;

	if (sets <= 0)
		return;
	for (i = 0; i < e->nacts; i++)
		if (e->acts[i].activation > 0 &&
		    e->acts[i].muscle < t->cat->nmuscles)
			t->num[e->acts[i].muscle] +=
			    (long long)sets * e->acts[i].activation;
}

/* The bias weight as an exact integer, or 0 when it is not one. */
static long long
int_bias(double b)
{
	if (!(b >= 1.0) || b > TU_EXACT_MAX_BIAS || floor(b) != b)
		return 0;
	return (long long)b;
}

static long long
gcd(long long a, long long b)
{
	while (b != 0) {
		long long	t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/* n / d rounded half up to the nearest integer; n >= 0, d > 0. */
static long long
div_round(__int128 n, __int128 d)
{
	return (long long)((2 * n + d) / (2 * d));
}

static int
cmp_value(const void *a, const void *b, void *arg)
{
	const struct tu_value	*x = a, *y = b;
	const struct catalog	*c = arg;

	if (x->raw != y->raw)
		return x->raw > y->raw ? -1 : 1;
	return strcmp(c->muscles[x->muscle].id, c->muscles[y->muscle].id);
}

void
tu_finish(struct tu *t)
{
	const struct catalog	*c = t->cat;
	__int128		 p = 0;
	long long		 lcm = 1, b;
	int			 exact = 1;
	size_t			 i, n = 0;

	free(t->values);
	t->values = xcalloc(c->nmuscles ? c->nmuscles : 1,
	    sizeof(struct tu_value));
	t->total = 0;
	for (i = 0; i < c->nmuscles; i++) {
		struct tu_value	*v;
		double		 bias = c->muscles[i].bias_weight;

		if (t->num[i] <= 0 || !(bias > 0))
			continue;
		v = &t->values[n++];
		v->muscle = i;
		v->raw = (double)t->num[i] / bias;
		t->total += v->raw;
		if ((b = int_bias(bias)) != 0) {
			v->cents = div_round((__int128)t->num[i] * 100, b);
			if (exact) {
				lcm = lcm / gcd(lcm, b) * b;
				if (lcm > TU_EXACT_MAX_LCM)
					exact = 0;
			}
		} else {
			v->cents = (long long)floor(v->raw * 100.0 + 0.5 +
			    1e-9);
			exact = 0;
		}
	}
	t->nvalues = n;
	if (exact) {
		/* The total over the common denominator, rounded once. */
		for (i = 0; i < n; i++)
			p += (__int128)t->num[t->values[i].muscle] *
			    (lcm / (long long)c->muscles[t->values[i].muscle].
			    bias_weight);
		t->total_cents = div_round(p * 100, lcm);
	} else
		t->total_cents = (long long)floor(t->total * 100.0 + 0.5 +
		    1e-9);
	qsort_r(t->values, n, sizeof(struct tu_value), cmp_value,
	    (void *)(uintptr_t)c);
}

void
tu_free(struct tu *t)
{
	free(t->num);
	free(t->values);
	memset(t, 0, sizeof(*t));
}

void
tu_format(long long cents, char out[32])
{
	snprintf(out, 32, "%s%lld.%02lld", cents < 0 ? "-" : "",
	    llabs(cents) / 100, llabs(cents) % 100);
}

void
tu_json_activations(const struct tu *t, struct buf *b)
{
	char	num[32];
	size_t	i;

	buf_putc(b, '{');
	for (i = 0; i < t->nvalues; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_json_str(b, t->cat->muscles[t->values[i].muscle].id);
		tu_format(t->values[i].cents, num);
		buf_putc(b, ':');
		buf_puts(b, num);
	}
	buf_putc(b, '}');
}

void
tu_json_top(const struct tu *t, size_t n, struct buf *b)
{
	size_t	i;

	buf_putc(b, '[');
	for (i = 0; i < t->nvalues && i < n; i++) {
		if (i > 0)
			buf_putc(b, ',');
		buf_json_str(b, t->cat->muscles[t->values[i].muscle].id);
	}
	buf_putc(b, ']');
}
