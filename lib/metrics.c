#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "buf.h"
#include "cfg.h"
#include "log.h"
#include "metrics.h"

#define REQ_SLOTS	1024
#define CNT_SLOTS	256
#define NBUCKETS	12

static const double	bounds[NBUCKETS] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5,
};

struct req_slot {
	uint64_t	key;		/* hash of the labels; 0 = free */
	char		binary[16];
	char		method[8];
	char		route[72];
	uint32_t	status;
	uint32_t	ready;		/* labels written */
	uint64_t	count;
	uint64_t	sum_us;
	uint64_t	buckets[NBUCKETS];
};

struct cnt_slot {
	uint64_t	key;
	char		binary[16];
	char		name[48];
	uint32_t	ready;
	uint32_t	pad;
	uint64_t	value;
};

struct table {
	struct req_slot	req[REQ_SLOTS];
	struct cnt_slot	cnt[CNT_SLOTS];
};

static struct table	*tab;
static int		 tab_failed;
static char		 self[16] = "?";

void
metrics_init(const char *binary)
{
	snprintf(self, sizeof(self), "%s", binary);
}

static int
open_table(void)
{
	char	path[4096];
	void	*p;
	int	fd;

	if (tab != NULL)
		return 0;
	if (tab_failed)
		return -1;
	snprintf(path, sizeof(path), "%s/metrics.shm", cfg->var_dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd == -1 || ftruncate(fd, (off_t)sizeof(struct table)) == -1) {
		log_warn("metrics table %s", path);
		if (fd != -1)
			close(fd);
		tab_failed = 1;
		return -1;
	}
	p = mmap(NULL, sizeof(struct table), PROT_READ | PROT_WRITE,
	    MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		tab_failed = 1;
		return -1;
	}
	tab = p;
	return 0;
}

static uint64_t
hash(const char *a, const char *b, const char *c, uint32_t d)
{
	uint64_t	h = 1469598103934665603ULL;
	const char	*parts[3] = { a, b, c };
	int		i;

	for (i = 0; i < 3; i++) {
		const char	*s = parts[i];

		for (; s != NULL && *s; s++) {
			h ^= (unsigned char)*s;
			h *= 1099511628211ULL;
		}
		h ^= 0xff;
		h *= 1099511628211ULL;
	}
	h ^= d;
	h *= 1099511628211ULL;
	return h | 1;
}

/*
 * Finds or claims the slot for key in a table of n slots of size sz whose
 * first member is the key.  The claimer writes the labels, then `ready`.
 */
static void *
slot(void *base, size_t n, size_t sz, uint64_t key, int *claimed)
{
	size_t	i;

	*claimed = 0;
	for (i = 0; i < n; i++) {
		uint64_t	*k = (uint64_t *)(void *)((char *)base +
		    ((key + i) % n) * sz);
		uint64_t	 cur = __atomic_load_n(k, __ATOMIC_ACQUIRE);

		if (cur == key)
			return k;
		if (cur == 0 && __atomic_compare_exchange_n(k, &cur, key, 0,
		    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			*claimed = 1;
			return k;
		}
		if (cur == key)
			return k;
	}
	return NULL;	/* full: the number is dropped */
}

void
metrics_request(const char *method, const char *route, int status,
    double seconds)
{
	struct req_slot	*s;
	uint64_t	 key;
	int		 claimed, i;

	if (open_table() == -1)
		return;
	key = hash(self, method, route, (uint32_t)status);
	s = slot(tab->req, REQ_SLOTS, sizeof(struct req_slot), key, &claimed);
	if (s == NULL)
		return;
	if (claimed) {
		snprintf(s->binary, sizeof(s->binary), "%s", self);
		snprintf(s->method, sizeof(s->method), "%s", method);
		snprintf(s->route, sizeof(s->route), "%s", route);
		s->status = (uint32_t)status;
		__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
	}
	__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&s->sum_us, (uint64_t)(seconds * 1e6),
	    __ATOMIC_RELAXED);
	for (i = 0; i < NBUCKETS; i++)
		if (seconds <= bounds[i]) {
			__atomic_add_fetch(&s->buckets[i], 1,
			    __ATOMIC_RELAXED);
			break;
		}
}

void
metrics_add(const char *name, unsigned long n)
{
	struct cnt_slot	*s;
	int		 claimed;

	if (n == 0 || open_table() == -1)
		return;
	s = slot(tab->cnt, CNT_SLOTS, sizeof(struct cnt_slot),
	    hash(self, name, NULL, 0), &claimed);
	if (s == NULL)
		return;
	if (claimed) {
		snprintf(s->binary, sizeof(s->binary), "%s", self);
		snprintf(s->name, sizeof(s->name), "%s", name);
		__atomic_store_n(&s->ready, 1, __ATOMIC_RELEASE);
	}
	__atomic_add_fetch(&s->value, n, __ATOMIC_RELAXED);
}

/* Label values are our own identifiers; escape anyway, as the format asks. */
static void
label(struct buf *b, const char *s)
{
	buf_putc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_putc(b, '\\');
		if (*s == '\n')
			buf_puts(b, "\\n");
		else
			buf_putc(b, *s);
	}
	buf_putc(b, '"');
}

static void
req_labels(struct buf *b, const struct req_slot *s)
{
	buf_puts(b, "binary=");
	label(b, s->binary);
	buf_puts(b, ",method=");
	label(b, s->method);
	buf_puts(b, ",route=");
	label(b, s->route);
	buf_printf(b, ",status=\"%u\"", s->status);
}

void
metrics_render(struct buf *b)
{
	size_t	i, k;
	int	j;

	if (open_table() == -1)
		return;
	buf_puts(b, "# HELP mm_http_requests_total Requests answered by the "
	    "binaries, by route and status.\n"
	    "# TYPE mm_http_requests_total counter\n");
	for (i = 0; i < REQ_SLOTS; i++) {
		const struct req_slot	*s = &tab->req[i];

		if (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE))
			continue;
		buf_puts(b, "mm_http_requests_total{");
		req_labels(b, s);
		buf_printf(b, "} %llu\n", (unsigned long long)s->count);
	}
	buf_puts(b, "# HELP mm_http_request_duration_seconds Time from "
	    "accepting a request to its answer, in the binary.\n"
	    "# TYPE mm_http_request_duration_seconds histogram\n");
	for (i = 0; i < REQ_SLOTS; i++) {
		const struct req_slot	*s = &tab->req[i];
		unsigned long long	 cum = 0;

		if (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE))
			continue;
		for (j = 0; j < NBUCKETS; j++) {
			cum += s->buckets[j];
			buf_puts(b, "mm_http_request_duration_seconds_bucket{");
			req_labels(b, s);
			buf_printf(b, ",le=\"%g\"} %llu\n", bounds[j], cum);
		}
		buf_puts(b, "mm_http_request_duration_seconds_bucket{");
		req_labels(b, s);
		buf_printf(b, ",le=\"+Inf\"} %llu\n",
		    (unsigned long long)s->count);
		buf_puts(b, "mm_http_request_duration_seconds_sum{");
		req_labels(b, s);
		buf_printf(b, "} %.6f\n", (double)s->sum_us / 1e6);
		buf_puts(b, "mm_http_request_duration_seconds_count{");
		req_labels(b, s);
		buf_printf(b, "} %llu\n", (unsigned long long)s->count);
	}
	/* Named counters, grouped by name. */
	for (i = 0; i < CNT_SLOTS; i++) {
		const struct cnt_slot	*s = &tab->cnt[i];
		int			 first = 1;

		if (!__atomic_load_n(&s->ready, __ATOMIC_ACQUIRE))
			continue;
		for (k = 0; k < i; k++)
			if (tab->cnt[k].ready &&
			    strcmp(tab->cnt[k].name, s->name) == 0)
				first = 0;
		if (!first)
			continue;
		buf_printf(b, "# TYPE mm_%s counter\n", s->name);
		for (k = i; k < CNT_SLOTS; k++) {
			const struct cnt_slot	*t = &tab->cnt[k];

			if (!__atomic_load_n(&t->ready, __ATOMIC_ACQUIRE) ||
			    strcmp(t->name, s->name) != 0)
				continue;
			buf_printf(b, "mm_%s{binary=", t->name);
			label(b, t->binary);
			buf_printf(b, "} %llu\n", (unsigned long long)t->value);
		}
	}
}
