"""Two application hosts on one machine (contract §1.6, README "Growing"):
host A is the stack; host B is a second nginx with its own binaries on
ports shifted by 100, sharing A's PostgreSQL (through PgBouncer in
transaction mode, reads from a streaming replica) and A's Redis."""
import os
import time

import mm

B = int(os.environ["MM_HOST_B_PORT"])


def b_client(**kw):
    c = mm.Client(**kw)
    real = c.request

    def request(method, path, **k):
        k.setdefault("port", B)
        return real(method, path, **k)
    c.request = request
    return c


def test_host_b_serves_through_pooler_and_replica():
    r = b_client().get("/api/health/detailed")
    mm.status(r, 200)
    mm.eq(r.json["database"], "connected", "database via PgBouncer")
    mm.eq(r.json["readReplica"], True, "read replica configured")
    a = mm.Client().get("/api/exercises?search=row&location=gym").json
    b = b_client().get("/api/exercises?search=row&location=gym").json
    mm.eq(b, a, "the catalog read from the replica")


def test_accounts_work_across_hosts():
    name = mm.unique("s_")
    body = {"email": name + "@example.test", "username": name, "password": "correct horse 1"}
    r = b_client().post("/api/auth/register", body)  # written through PgBouncer
    mm.status(r, 201)
    token = r.json["token"]
    me = mm.Client(token=token).get("/api/auth/me")
    mm.status(me, 200)
    mm.eq(me.json["username"], name, "host A sees host B's user")
    mm.eq(me.json["creditBalance"], 100, "signup bonus written in one transaction")
    login = mm.Client().post("/api/auth/login", {"email": body["email"],
                                                 "password": body["password"]})
    mm.status(login, 200)
    mm.status(b_client(token=login.json["token"]).get("/api/auth/me"), 200)


def test_rate_limit_is_shared_by_both_hosts():
    ip = mm.fresh_ip()
    a = mm.Client(pinned=True, ip=ip)
    b = b_client(pinned=True, ip=ip)
    first = a.get("/api/ready")
    limit = int(first.header("X-RateLimit-Limit"))
    if int(time.time()) % 60 > 50:
        time.sleep(11)  # stay inside one window
    for _ in range(limit):
        if a.get("/api/ready").status == 429:
            break
    time.sleep(0.3)
    a.get("/api/ready")  # pushes host A's count to Redis
    r = b.get("/api/ready")
    mm.error(r, "RATE_LIMITED", 429)


def test_real_time_channels_are_shared_by_hosts_through_redis():
    """An event published on host B reaches subscribers on host C within a
    second: nchan keeps the channels in the shared Redis
    (MM_NCHAN_USE_REDIS=true on both hosts)."""
    import test_realtime as rt
    c_port = int(os.environ["MM_HOST_C_PORT"])
    owner, _, _ = mm.create_user()
    _, tok, _ = mm.create_user()
    saved = mm.HTTP_PORT
    try:
        mm.HTTP_PORT = c_port
        far = [rt.opened("sse"), rt.opened("ws", tok)]
        mm.HTTP_PORT = B
        near = [rt.opened("sse")]
    finally:
        mm.HTTP_PORT = saved
    rt.RUN_DIR = os.environ["MM_HOST_B_RUN_DIR"]  # publish through host B
    eid, t0 = rt.emit(owner, "workout_completed", "public_anon", {})
    try:
        for s in far + near:
            t, _ = s.wait_for(eid)
            mm.check(t * 1000 - t0 < 1000, "delivered within a second on every host")
    finally:
        for s in far + near:
            s.close()
