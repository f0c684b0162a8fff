"""What the stack does when a piece of it fails: a worker dies under load,
a binary is down, Redis goes away, PostgreSQL restarts.  These tests stop
and restart parts of the running stack and leave it as they found it."""
import os
import signal
import subprocess
import threading
import time

import mm

RUN_DIR = os.environ.get("MM_RUN_DIR", os.path.join(mm.VAR_DIR, "run"))
STACK = os.path.join(mm.ROOT, "etc", "stack.sh")


def pid_of(group):
    with open(os.path.join(RUN_DIR, group + ".pid")) as f:
        return int(f.read().split()[0])


def workers(group):
    out = subprocess.run(["pgrep", "-P", str(pid_of(group))], capture_output=True,
                         text=True).stdout.split()
    return sorted(int(p) for p in out)


def restart_stack():
    """Brings back whatever a test stopped (start is idempotent)."""
    subprocess.run([STACK, "start"], check=True, stdout=subprocess.DEVNULL)


def load(path, seconds, results, stop):
    c = mm.Client()
    end = time.time() + seconds
    while time.time() < end and not stop.is_set():
        try:
            results.append(c.get(path).status)
        except OSError:
            results.append(0)


def test_killed_worker_loses_at_most_the_request_in_flight():
    before = workers("catalog")
    mm.check(len(before) >= 2, "several catalog workers: %r" % before)
    results, stop = [], threading.Event()
    threads = [threading.Thread(target=load, args=(
        "/api/exercises?search=row&location=gym", 4, results, stop)) for _ in range(4)]
    for t in threads:
        t.start()
    time.sleep(1)
    os.kill(before[0], signal.SIGKILL)
    for t in threads:
        t.join()
    failed = [s for s in results if s != 200]
    mm.check(len(results) > 100, "load ran: %d requests" % len(results))
    # Four clients each have at most one request in flight at the kill.
    mm.check(len(failed) <= 1, "failures beyond the one in flight: %r" % failed)
    deadline = time.time() + 5
    while time.time() < deadline and len(workers("catalog")) < len(before):
        time.sleep(0.1)
    after = workers("catalog")
    mm.eq(len(after), len(before), "workers replaced")
    mm.check(before[0] not in after, "the dead worker is gone")


def test_binary_down_answers_json_502_then_recovers():
    pid = pid_of("misc")
    os.kill(pid, signal.SIGTERM)
    try:
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.05)
        r = mm.Client().get("/api/health")
        err = mm.error(r, "SERVICE_UNAVAILABLE", 502)
        mm.check("unavailable" in err["message"], "message says why")
    finally:
        restart_stack()
    mm.status(mm.Client().get("/api/health"), 200)


def redis_cli(*args):
    return subprocess.run(["redis-cli", "-p", str(mm.REDIS_PORT)] + list(args),
                          capture_output=True, text=True)


def test_api_keeps_answering_without_redis():
    h = mm.Client().get("/api/health").json
    if h["redis"] == "disabled":
        return  # this stack runs without Redis: nothing to take away
    redis_cli("shutdown", "nosave")
    try:
        c = mm.Client()
        # Health probes Redis at most once a second per worker.
        deadline = time.time() + 3
        while True:
            r = c.get("/api/health")
            mm.status(r, 200)
            if r.json["redis"] == "disconnected" or time.time() > deadline:
                break
            time.sleep(0.2)
        mm.eq(r.json["redis"], "disconnected", "redis state")
        mm.eq(r.json["status"], "degraded", "health status")
        r = c.get("/api/exercises?location=home")
        mm.status(r, 200)
        # Rate limiting goes on from the shared-memory table.
        mm.check(r.header("X-RateLimit-Remaining") is not None, "rate limit headers")
    finally:
        restart_stack()
    deadline = time.time() + 5
    status = None
    while time.time() < deadline:
        status = mm.Client().get("/api/health").json["redis"]
        if status == "connected":
            break
        time.sleep(0.3)
    mm.eq(status, "connected", "redis back")


def pg_dir():
    with open(os.path.join(mm.VAR_DIR, "pg.location")) as f:
        return f.read().strip()


def test_postgres_restart_heals_without_restarting_binaries():
    before = {g: workers(g) for g in ("catalog", "misc")}
    cmd = ["/usr/lib/postgresql/15/bin/pg_ctl", "-D", os.path.join(pg_dir(), "data"),
           "-m", "fast", "-w", "restart",
           "-o", "-p %d -k %s/sock -c listen_addresses=127.0.0.1 -c max_connections=300 "
           "-c shared_buffers=256MB" % (mm.PG_PORT, pg_dir()),
           "-l", os.path.join(pg_dir(), "pg.log")]
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    subprocess.run(cmd, check=True, capture_output=True)
    c = mm.Client()
    # Every worker holds a connection the restart broke: each one must
    # reconnect on its own and still answer.
    for i in range(40):
        mm.status(c.get("/api/ready"), 200)
        mm.status(c.get("/api/exercises?search=squat&difficulty=%d" % (i % 5 + 1)), 200)
    after = {g: workers(g) for g in ("catalog", "misc")}
    mm.eq(after, before, "same worker processes")


def test_reload_replaces_every_worker_without_dropping_a_request():
    groups = [g for g in ("auth", "catalog", "misc")
              if os.path.exists(os.path.join(RUN_DIR, g + ".pid"))]
    before = {g: workers(g) for g in groups}
    results, stop = [], threading.Event()
    paths = ["/api/exercises?search=press&difficulty=2", "/api/ready"]
    threads = [threading.Thread(target=load, args=(paths[i % 2], 6, results, stop))
               for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(1)
    subprocess.run([STACK, "reload"], check=True)
    for t in threads:
        t.join()
    bad = [s for s in results if s != 200]
    mm.check(len(results) > 200, "load ran: %d requests" % len(results))
    mm.eq(bad, [], "answers other than 200 during the reload")
    deadline = time.time() + 10
    after = {}
    while time.time() < deadline:
        after = {g: workers(g) for g in groups}
        if all(len(after[g]) == len(before[g]) and not set(after[g]) & set(before[g])
               for g in groups):
            break
        time.sleep(0.2)
    for g in groups:
        mm.eq(len(after[g]), len(before[g]), g + " worker count")
        mm.eq(set(after[g]) & set(before[g]), set(), g + " workers all replaced")
