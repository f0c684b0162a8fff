"""Operator endpoints (contract §11.6): metrics and detailed health."""
import os
import re
import subprocess

import mm

BIN = os.path.join(os.environ.get("MM_BIN_DIR", mm.ROOT), "cgi-bin", "misc")


def metric(text, name, labels):
    want = ",".join('%s="%s"' % kv for kv in labels.items())
    for line in text.splitlines():
        if line.startswith(name + "{") and all(
                ('%s="%s"' % kv) in line for kv in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise mm.Failure("no %s{%s} in metrics" % (name, want))


def test_metrics_count_requests_by_route_and_status():
    c = mm.Client()
    before = c.get("/api/metrics")
    mm.status(before, 200)
    mm.check(before.header("Content-Type").startswith("text/plain"), "text/plain")
    labels = {"binary": "catalog", "route": "/api/exercises/:id/activations",
              "status": "404"}
    try:
        n0 = metric(before.body.decode(), "mm_http_requests_total", labels)
    except mm.Failure:
        n0 = 0
    for _ in range(3):
        c.get("/api/exercises/no-such/activations")
    after = c.get("/api/metrics").body.decode()
    mm.eq(metric(after, "mm_http_requests_total", labels), n0 + 3, "404s counted")
    mm.check(metric(after, "mm_http_request_duration_seconds_count", labels) >= 3,
             "latency histogram")
    mm.check(re.search(r'^mm_db_round_trips_total\{binary="catalog"\} \d+', after, re.M),
             "database round trips")
    for line in after.splitlines():
        mm.check(line.startswith("#") or re.match(r'^mm_[a-z_]+(\{[^}]*\})? [0-9.e+-]+$', line),
                 "exposition format: %r" % line)


def test_operator_endpoints_refuse_other_networks():
    for path in ("/api/metrics", "/api/health/detailed"):
        env = dict(os.environ, REQUEST_METHOD="GET", PATH_INFO=path,
                   REMOTE_ADDR="203.0.113.7", MM_VAR_DIR=mm.VAR_DIR)
        out = subprocess.run([BIN], env=env, capture_output=True, timeout=30,
                             stdin=subprocess.DEVNULL).stdout
        head, _, body = out.partition(b"\r\n\r\n")
        mm.check(head.startswith(b"Status: 403"), path + ": %r" % head[:30])
        mm.check(b'"code":"FORBIDDEN"' in body, path + " envelope")


def test_health_detailed_reports_workers_and_migration():
    r = mm.Client().get("/api/health/detailed")
    mm.status(r, 200)
    h = r.json
    mm.eq(h["database"], "connected", "database")
    mm.check(re.match(r"^\d{4}$", h["migration"] or ""), "migration version")
    for g in ("catalog", "misc"):
        mm.check(h["binaries"][g]["workers"] >= 1, g + " workers")
