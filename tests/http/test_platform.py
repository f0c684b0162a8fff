"""The request path every endpoint shares (contract §1): nginx headers,
CORS, request ids, size limits, rate limits, TLS, compression, routing and
the error envelope for errors nginx makes itself."""
import gzip
import os
import re
import time

import mm

RUN_DIR = os.environ.get("MM_RUN_DIR", os.path.join(mm.VAR_DIR, "run"))


def test_request_id_echoed_or_generated():
    c = mm.Client()
    r = c.get("/api/health", headers={"X-Request-Id": "abc.DEF_123-x"})
    mm.eq(r.header("X-Request-Id"), "abc.DEF_123-x", "echoed id")
    mm.eq(len(r.headers_named("X-Request-Id")), 1, "one X-Request-Id header")
    r = c.get("/api/health", headers={"X-Request-Id": "bad id with spaces"})
    rid = r.header("X-Request-Id")
    mm.check(rid and rid != "bad id with spaces" and re.match(r"^[A-Za-z0-9._-]{1,128}$", rid),
             "generated id: %r" % rid)
    r = c.get("/api/health", headers={"X-Request-Id": "x" * 129})
    mm.check(r.header("X-Request-Id") != "x" * 129, "over-long id replaced")
    r = c.get("/api/health")
    mm.check(r.header("X-Request-Id"), "id without one sent")


def test_request_id_reaches_the_binary_log():
    rid = mm.unique("trace")
    mm.Client().get("/api/exercises/nope/activations", headers={"X-Request-Id": rid})
    # The access log is JSON lines carrying the same id.
    deadline = time.time() + 3
    found = False
    while time.time() < deadline and not found:
        with open(os.path.join(mm.VAR_DIR, "log", "access.log"), errors="replace") as f:
            found = rid in f.read()
        time.sleep(0.2)
    mm.check(found, "request id in access.log")


def test_security_headers_everywhere():
    c = mm.Client()
    for path in ("/api/health", "/api/muscles", "/api/nope", "/"):
        r = c.get(path)
        mm.eq(r.header("X-Content-Type-Options"), "nosniff", path + " nosniff")
        mm.eq(r.header("X-Frame-Options"), "DENY", path + " frame")
        mm.check(r.header("Referrer-Policy"), path + " referrer policy")
        if not path.startswith("/api/"):
            mm.check("script-src 'self'" in (r.header("Content-Security-Policy") or ""),
                     path + " CSP for the web app")
        mm.check(r.header("X-Request-Id"), path + " request id")
        mm.eq(r.header("Strict-Transport-Security"), None, path + " no HSTS over http")


def test_https_serves_the_api_with_hsts():
    r = mm.Client().get("/api/health", tls=True)
    mm.status(r, 200)
    mm.check("max-age=" in (r.header("Strict-Transport-Security") or ""), "HSTS over https")


def test_cors_preflight_and_simple_requests():
    c = mm.Client()
    r = c.request("OPTIONS", "/api/workouts", headers={
        "Origin": "http://example.test", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type"})
    mm.eq(r.status, 204, "preflight status")
    mm.check(r.header("Access-Control-Allow-Origin") in ("*", "http://example.test"), "allow origin")
    allowed = (r.header("Access-Control-Allow-Headers") or "").lower()
    for h in ("authorization", "content-type", "x-request-id"):
        mm.check(h in allowed, "preflight allows " + h)
    mm.check("POST" in (r.header("Access-Control-Allow-Methods") or ""), "allow methods")
    r = c.get("/api/muscles", headers={"Origin": "http://example.test"})
    mm.check(r.header("Access-Control-Allow-Origin"), "CORS on a normal answer")


def test_body_over_one_mebibyte_is_413_json():
    c = mm.Client()
    big = b'{"x":"' + b"a" * (1024 * 1024) + b'"}'
    r = c.request("POST", "/api/workout/complete", raw=big,
                  headers={"Content-Type": "application/json"})
    mm.error(r, "PAYLOAD_TOO_LARGE", 413)


def test_unknown_paths_and_groups_are_404_json():
    c = mm.Client()
    for path in ("/api/", "/api/nothing", "/api/muscles/extra/segments", "/api/healthz"):
        mm.error(c.get(path), "NOT_FOUND", 404)


def test_rate_limit_headers_and_429():
    c = mm.Client(pinned=True)
    first = c.get("/api/health")
    mm.status(first, 200)
    limit = int(first.header("X-RateLimit-Limit"))
    remaining = int(first.header("X-RateLimit-Remaining"))
    reset = int(first.header("X-RateLimit-Reset"))
    mm.check(0 <= remaining < limit, "remaining below limit")
    mm.check(time.time() - 1 <= reset <= time.time() + 61, "reset within the minute")
    mm.check(limit <= 5000, "limit small enough to exhaust in a test (%d)" % limit)
    last = first
    for _ in range(remaining + 1):
        last = c.get("/api/health")
        if last.status == 429:
            break
    # The window may have rolled over mid-loop; then one more pass does it.
    if last.status != 429:
        for _ in range(limit + 1):
            last = c.get("/api/health")
            if last.status == 429:
                break
    err = mm.error(last, "RATE_LIMITED", 429)
    mm.check(int(last.header("Retry-After")) >= 1, "Retry-After")
    mm.eq(last.header("X-RateLimit-Remaining"), "0", "remaining at the limit")
    mm.check(err["message"], "message")
    # Counters are shared by all binaries: the catalog binary sees the same window.
    mm.error(c.get("/api/exercises?location=gym"), "RATE_LIMITED", 429)
    # Another client is unaffected.
    mm.status(mm.Client().get("/api/health"), 200)


def test_gzip_for_json_and_static():
    c = mm.Client()
    r = c.get("/api/exercises", headers={"Accept-Encoding": "gzip"})
    mm.eq(r.header("Content-Encoding"), "gzip", "gzip on the catalog")
    mm.check(len(gzip.decompress(r.body)) > len(r.body), "compressed body")
    r = c.get("/api/exercises?difficulty=2", headers={"Accept-Encoding": "gzip"})
    mm.eq(r.header("Content-Encoding"), "gzip", "gzip on a binary's JSON")


def test_health_and_ready():
    c = mm.Client()
    r = c.get("/api/health")
    mm.status(r, 200)
    h = r.json
    mm.check(h["status"] in ("healthy", "degraded"), "status")
    mm.check(isinstance(h["version"], str) and h["version"], "version")
    mm.eq(h["database"], "connected", "database")
    mm.check(h["redis"] in ("connected", "disconnected", "disabled"), "redis")
    for k in ("total", "idle", "waiting"):
        mm.check(isinstance(h["poolStats"][k], int), "poolStats." + k)
    r = c.get("/api/ready")
    mm.status(r, 200)
    mm.eq(r.json, {"ready": True}, "ready")


def test_rate_limit_counts_are_shared_through_redis():
    """Several hosts share a client's window through Redis: what another
    host counted (added here straight into Redis) counts here too."""
    import subprocess
    c = mm.Client(pinned=True)
    r = c.get("/api/health")
    mm.status(r, 200)
    if r.json["redis"] != "connected":
        raise mm.Failure("this test needs the stack's Redis (REDIS_ENABLED=true)")
    limit = int(r.header("X-RateLimit-Limit"))
    minute = int(time.time()) // 60
    if int(time.time()) % 60 > 55:
        time.sleep(6)  # keep the whole test inside one window
        minute = int(time.time()) // 60
        mm.status(c.get("/api/health"), 200)
    key = "rl:api:%s:%d" % (c.ip, minute)
    time.sleep(0.3)
    mm.status(c.get("/api/health"), 200)  # pushes this host's count
    out = subprocess.run(["redis-cli", "-p", str(mm.REDIS_PORT), "GET", key],
                         capture_output=True, text=True).stdout.strip()
    mm.check(out.isdigit() and int(out) >= 1, "this host's count is in Redis: %r" % out)
    subprocess.run(["redis-cli", "-p", str(mm.REDIS_PORT), "INCRBY", key, str(limit)],
                   capture_output=True, check=True)
    time.sleep(0.3)
    c.get("/api/health")  # the next push reads the shared total back
    mm.error(c.get("/api/health"), "RATE_LIMITED", 429)
