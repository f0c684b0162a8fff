/*
 * metrics: counters and latency histograms shared by every process of the
 * host, rendered in Prometheus text format by GET /api/metrics.
 *
 * Like the rate-limit table, the numbers live in a file under var/ that
 * each process maps; updates are atomic additions, so counting costs no
 * locks and survives worker restarts (a supervisor restart keeps them too;
 * they reset when the file is removed).
 */
#ifndef MM_METRICS_H
#define MM_METRICS_H

struct buf;

/* Names the program whose numbers this process records. */
void	metrics_init(const char *binary);
/* One answered request: route is the matched pattern ("-" when none). */
void	metrics_request(const char *method, const char *route, int status,
	    double seconds);
/*
 * Adds n to a named counter of this program, e.g.
 * metrics_add("db_serialization_retries_total", 1).  Names are
 * [a-z_]+ and get the mm_ prefix when rendered.
 */
void	metrics_add(const char *name, unsigned long n);
/* Appends the Prometheus text exposition of every number. */
void	metrics_render(struct buf *);

#endif
