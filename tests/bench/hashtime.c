/*
 * hashtime: milliseconds one password derivation takes on this machine at
 * MM_PBKDF2_ITERATIONS (default 600000), the cost that bounds logins.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "cfg.h"
#include "password.h"

int
main(void)
{
	struct timespec	t0, t1;
	char		err[256];
	int		i, n = 5;

	if (cfg_load(err, sizeof(err)) == -1) {
		fprintf(stderr, "hashtime: %s\n", err);
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < n; i++)
		free(password_hash("bench password 1", cfg->pbkdf2_iterations));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.1f\n", ((double)(t1.tv_sec - t0.tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e6) / n);
	return 0;
}
