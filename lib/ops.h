/*
 * ops: the operator endpoints (contract §11.6), reachable only from the
 * networks in MM_ALLOWED_NETWORKS (loopback by default), else 403.
 *
 *   GET /api/metrics          Prometheus text (lib/metrics.h)
 *   GET /api/health/detailed  health plus workers per binary, migration,
 *                             database pool, Redis and real-time engine
 */
#ifndef MM_OPS_H
#define MM_OPS_H

struct req;

void	ops_metrics(struct req *);
void	ops_health_detailed(struct req *);

#endif
