"""Community endpoints (contract §7): feed, presence, stats, leaderboard,
high-fives, competitions and groups, through nginx."""
import json
import os
import random
import subprocess
import time

import mm

STACK = os.path.join(mm.ROOT, "etc", "stack.sh")
EVENT_KEYS = {"id", "eventType", "userId", "username", "displayName", "payload",
              "visibilityScope", "createdAt"}


def event(user_id, etype="workout_completed", scope="public_anon", payload=None):
    """Creates a feed event through the one stored function that does it."""
    row = mm.psql("SELECT activity_event_create(:'p1', :'p2', :'p3'::jsonb, :'p4')::text;",
                  user_id, etype, json.dumps(payload or {}), scope)
    return json.loads(row[0][0])


def workout(user_id, tu, public=True, days_ago=0, exercises=None):
    mm.psql("INSERT INTO workouts (user_id, date, total_tu, is_public, exercise_data, credits_used) "
            "VALUES (:'p1', (now() at time zone 'UTC')::date - :p4::int, :p2::real, :p3::boolean, "
            ":'p5'::jsonb, 0);", user_id, str(tu), "true" if public else "false",
            str(days_ago), json.dumps(exercises or []))


def balance(user_id):
    return int(mm.psql("SELECT balance FROM credit_balances WHERE user_id = :'p1';", user_id)[0][0])


# ---------------------------------------------------------------- feed

def test_feed_anonymous_sees_public_anon_without_identity():
    uid, _, uname = mm.create_user()
    pub = event(uid, payload={"workoutId": "workout_1", "userId": uid, "username": uname,
                              "totalTu": 10.5})
    prof = event(uid, "level_up", "public_profile", {"level": 2})
    priv = event(uid, "milestone_achieved", "private", {"milestoneId": "ms_x"})
    r = mm.Client().get("/api/community/feed?limit=100")
    mm.status(r, 200)
    body = r.json
    mm.eq(set(body), {"events", "nextCursor"}, "feed keys")
    ids = [e["id"] for e in body["events"]]
    mm.check(pub["id"] in ids, "public_anon event listed")
    mm.check(prof["id"] not in ids and priv["id"] not in ids, "no profile/private events")
    e = next(e for e in body["events"] if e["id"] == pub["id"])
    mm.eq(set(e), EVENT_KEYS, "event keys")
    mm.eq((e["userId"], e["username"], e["displayName"]), (None, None, None), "identity stripped")
    mm.eq(e["payload"], {"workoutId": "workout_1", "totalTu": 10.5}, "payload stripped")
    mm.check(all(x["visibilityScope"] == "public_anon" for x in body["events"]), "scopes")


def test_feed_signed_in_visibility_and_identity():
    me, tok, uname = mm.create_user()
    other, _, _ = mm.create_user()
    mine_priv = event(me, "milestone_achieved", "private", {"milestoneId": "ms_first_workout"})
    their_priv = event(other, "milestone_achieved", "private")
    their_prof = event(other, "level_up", "public_profile", {"level": 3})
    mine_pub = event(me, payload={"userId": me, "username": uname})
    evs = mm.Client(tok).get("/api/community/feed?limit=100").json["events"]
    ids = [e["id"] for e in evs]
    for e in (mine_priv, their_prof, mine_pub):
        mm.check(e["id"] in ids, "%s visible" % e["eventType"])
    mm.check(their_priv["id"] not in ids, "another user's private event hidden")
    got = next(e for e in evs if e["id"] == mine_pub["id"])
    mm.eq(got["userId"], me, "userId")
    mm.eq(got["username"], uname, "username")
    mm.eq(got["payload"]["userId"], me, "payload identity kept")
    # Newest first.  (createdAt is shown to the millisecond; events of the
    # same millisecond are ordered by the stored microseconds, then id.)
    stamps = [e["createdAt"] for e in evs]
    mm.eq(stamps, sorted(stamps, reverse=True), "newest first")


def test_feed_blocks_in_both_directions():
    me, tok, _ = mm.create_user()
    blocked, btok, _ = mm.create_user()
    blocker, _, _ = mm.create_user()
    mm.psql("INSERT INTO user_blocks (blocker_id, blocked_id) VALUES (:'p1', :'p2'), (:'p3', :'p1');",
            me, blocked, blocker)
    e1 = event(blocked)
    e2 = event(blocker, "level_up", "public_profile")
    e3 = event(me)
    ids = {e["id"] for e in mm.Client(tok).get("/api/community/feed?limit=100").json["events"]}
    mm.check(e1["id"] not in ids, "events of a user I blocked are hidden")
    mm.check(e2["id"] not in ids, "events of a user who blocked me are hidden")
    mm.check(e3["id"] in ids, "own events shown")
    ids = {e["id"] for e in mm.Client(btok).get("/api/community/feed?limit=100").json["events"]}
    mm.check(e3["id"] not in ids, "the blocked user does not see mine")
    # Anonymous readers are not subject to anyone's blocks.
    ids = {e["id"] for e in mm.Client().get("/api/community/feed?limit=100").json["events"]}
    mm.check(e1["id"] in ids, "anonymous sees public_anon of everyone")


def test_feed_cursor_pagination():
    uid, tok, _ = mm.create_user()
    mine = [event(uid, "milestone_achieved", "private")["id"] for _ in range(5)]
    c = mm.Client(tok)
    seen, before, pages = [], None, 0
    while True:
        path = "/api/community/feed?limit=2" + ("&before=" + before if before else "")
        r = c.get(path)
        mm.status(r, 200)
        body = r.json
        mm.check(len(body["events"]) <= 2, "page size")
        seen += [e["id"] for e in body["events"]]
        pages += 1
        if body["nextCursor"] is None:
            break
        mm.eq(body["nextCursor"], body["events"][-1]["id"], "nextCursor = last id")
        before = body["nextCursor"]
        if pages > 10 and all(m in seen for m in mine):
            break
    mm.eq(len(seen), len(set(seen)), "no duplicates across pages")
    order = [x for x in seen if x in mine]
    mm.eq(order, list(reversed(mine)), "private events newest first across pages")
    # Default limit 20 and a full page when older items exist.
    r = c.get("/api/community/feed?before=" + mine[2])
    mm.status(r, 200)
    ids = [e["id"] for e in r.json["events"]]
    mm.eq(ids[:2], [mine[1], mine[0]], "strictly older than the cursor")


def test_feed_errors():
    uid, tok, _ = mm.create_user()
    other, _, _ = mm.create_user()
    c = mm.Client(tok)
    for q in ("limit=0", "limit=101", "limit=abc", "limit=1.5", "before=evt_nope",
              "before=" + event(other, "milestone_achieved", "private")["id"]):
        mm.error(c.get("/api/community/feed?" + q), "VALIDATION_ERROR", 400)
    # A profile event is not in the anonymous list: its id is no cursor there.
    prof = event(other, "level_up", "public_profile")
    mm.error(mm.Client().get("/api/community/feed?before=" + prof["id"]), "VALIDATION_ERROR", 400)
    mm.status(c.get("/api/community/feed?before=" + prof["id"]), 200)
    mm.error(mm.Client().get("/api/community/feed", headers={"Authorization": "Bearer nope"}),
             "UNAUTHORIZED", 401)
    r = mm.Client().post("/api/community/feed", body={})
    mm.error(r, "METHOD_NOT_ALLOWED", 405)


def test_feed_page_uses_the_indexes():
    """A page is an ordered index range scan, never a sort of the scope:
    EXPLAIN of the statements community_feed() runs (seq scans disabled so
    that the plan is the one a big table gets)."""
    uid, _, _ = mm.create_user()
    cursor = "(a.created_at, a.id) < ('infinity'::timestamptz, '')"
    anon = ("SELECT a.id FROM activity_events a WHERE a.visibility_scope = 'public_anon' AND "
            + cursor + " ORDER BY a.created_at DESC, a.id DESC LIMIT 21")
    signed = ("SELECT * FROM ((SELECT a.id, a.created_at FROM activity_events a "
              "WHERE a.visibility_scope <> 'private' AND " + cursor +
              " ORDER BY a.created_at DESC, a.id DESC LIMIT 21) UNION ALL "
              "(SELECT a.id, a.created_at FROM activity_events a WHERE a.visibility_scope = "
              "'private' AND a.user_id = '" + uid + "' AND " + cursor +
              " ORDER BY a.created_at DESC, a.id DESC LIMIT 21)) b "
              "ORDER BY b.created_at DESC, b.id DESC LIMIT 21")
    for sql in (anon, signed):
        plan = "\n".join(r[0] for r in mm.psql("SET enable_seqscan = off; SET enable_bitmapscan = off; "
                                               "EXPLAIN " + sql + ";"))
        mm.check("Sort  " not in plan and "Sort (" not in plan, "no sort:\n" + plan)
        mm.check("Seq Scan" not in plan, "no sequential scan:\n" + plan)
        # Which ordered index the planner takes depends on the data (on
        # a young database the time index with a filter is as good);
        # either way every branch is an ordered index scan.
        scans = plan.count("Index Scan") + plan.count("Index Only Scan")
        mm.check(scans >= (2 if sql is signed else 1), "ordered index scans:\n" + plan)


# ---------------------------------------------------------------- presence

def redis(*args):
    return subprocess.run(["redis-cli", "-p", str(mm.REDIS_PORT)] + list(args),
                          capture_output=True, text=True).stdout.strip()


def redis_on():
    return redis("PING") == "PONG"


def test_presence_heartbeat_counts_once_and_expires():
    a, atok, _ = mm.create_user()
    b, btok, _ = mm.create_user()
    geo = mm.unique("geo-")
    for tok in (atok, atok, btok):
        r = mm.Client(tok).post("/api/community/presence", {"geoBucket": geo, "stageId": "warmup"})
        mm.status(r, 200)
        mm.eq(r.json, {"acknowledged": True}, "ack")
    r = mm.Client().get("/api/community/presence")
    mm.status(r, 200)
    body = r.json
    mm.eq(set(body), {"total", "byGeoBucket", "redisEnabled"}, "presence keys")
    mm.check(body["total"] >= 2, "both present")
    mine = [x for x in body["byGeoBucket"] if x["geoBucket"] == geo]
    mm.eq(mine, [{"geoBucket": geo, "count": 2}], "each user counted once")
    counts = [x["count"] for x in body["byGeoBucket"]]
    mm.eq(counts, sorted(counts, reverse=True), "sorted by count desc")
    geo_doc = mm.Client().get("/api/community/presence/geo").json
    mm.eq(geo_doc["buckets"].get(geo), 2, "presence/geo")
    au = mm.Client().get("/api/community/active-users").json
    mm.eq(set(au), {"count", "lastUpdated"}, "active-users keys")
    mm.check(au["count"] >= 2 and au["lastUpdated"].endswith("Z"), au)
    if body["redisEnabled"]:
        mm.check(redis("ZSCORE", "presence:zset", a) != "", "ZADD presence:zset")
        ttl = int(redis("TTL", "presence:meta:" + a))
        mm.check(0 < ttl <= 120, "presence:meta TTL %d" % ttl)
        meta = json.loads(redis("GET", "presence:meta:" + a))
        mm.eq(meta, {"geoBucket": geo, "stageId": "warmup"}, "meta")
        mm.eq(redis("GET", "presence:bucket:" + geo), "3", "INCR per heartbeat")
        minute = time.strftime("%Y%m%d%H%M", time.gmtime())
        mm.check(int(redis("HGET", "now:stage:entered:" + minute, "warmup") or "0") >= 3, "stage")
        # A heartbeat older than 120 s no longer counts.
        redis("ZADD", "presence:zset", str(int(time.time() * 1000) - 121000), a)
    else:
        mm.psql("UPDATE presence SET last_seen = now() - interval '121 seconds' "
                "WHERE user_id = :'p1';", a)
    mine = [x for x in mm.Client().get("/api/community/presence").json["byGeoBucket"]
            if x["geoBucket"] == geo]
    mm.eq(mine, [{"geoBucket": geo, "count": 1}], "stale heartbeat expired")


def test_presence_errors():
    _, tok, _ = mm.create_user()
    c = mm.Client(tok)
    mm.status(c.post("/api/community/presence"), 200)       # empty body is {}
    mm.status(c.post("/api/community/presence", {}), 200)
    for body in ({"geoBucket": "eu west"}, {"geoBucket": ""}, {"geoBucket": "x" * 65},
                 {"geoBucket": 5}, {"stageId": ""}, {"stageId": "s" * 65}, {"stageId": []}):
        mm.error(c.post("/api/community/presence", body), "VALIDATION_ERROR", 400)
    mm.error(c.post("/api/community/presence", raw=b"[1]",
                    headers={"Content-Type": "application/json"}), "VALIDATION_ERROR", 400)
    mm.error(mm.Client().post("/api/community/presence", {}), "UNAUTHORIZED", 401)


def test_presence_falls_back_to_postgres_without_redis():
    if not redis_on():
        return
    a, atok, _ = mm.create_user()
    geo = mm.unique("pg-")
    redis("SHUTDOWN", "NOSAVE")
    try:
        time.sleep(1.2)   # workers retry a dead Redis at most once a second
        r = mm.Client(atok).post("/api/community/presence", {"geoBucket": geo})
        mm.status(r, 200)
        body = mm.Client().get("/api/community/presence").json
        mm.eq(body["redisEnabled"], False, "redisEnabled false while down")
        mm.eq([x for x in body["byGeoBucket"] if x["geoBucket"] == geo],
              [{"geoBucket": geo, "count": 1}], "counted from PostgreSQL")
        mm.status(mm.Client().get("/api/community/active-users"), 200)
        mm.status(mm.Client().get("/api/community/stats"), 200)
        mm.eq(mm.Client().get("/api/health").json["status"], "degraded", "health degraded")
    finally:
        subprocess.run([STACK, "start"], check=True, stdout=subprocess.DEVNULL)
        # Each worker notices the new Redis server on its next command (the
        # first one on the old connection fails): touch them all before
        # other tests rely on Redis again.
        time.sleep(1.2)
        for _ in range(40):
            mm.Client().get("/api/health")
            mm.Client().get("/api/community/presence")


# ---------------------------------------------------------------- stats

def test_stats_and_public_stats():
    uid, tok, _ = mm.create_user()
    s0 = mm.Client().get("/api/community/stats").json
    mm.eq(set(s0), {"activeNow", "totalUsers", "workoutsToday"}, "stats keys")
    ex = mm.unique("ex-")
    # Selections are counted per exercise entry; 2 here plus 198 more
    # keep the exercise in the top list whatever else the shared database
    # saw in the last 30 minutes.
    workout(uid, 10, exercises=[{"exerciseId": ex, "sets": 3}, {"exerciseId": ex, "sets": 1}])
    for _ in range(4):
        workout(uid, 1, days_ago=1, exercises=[{"exerciseId": ex, "sets": 1}] * 50)
    workout(uid, 5, days_ago=3)
    mm.Client(tok).post("/api/community/presence", {})
    s1 = mm.Client().get("/api/community/stats").json
    mm.eq(s1["workoutsToday"], s0["workoutsToday"] + 1, "workoutsToday")
    mm.check(s1["totalUsers"] >= s0["totalUsers"], "totalUsers")
    mm.check(s1["activeNow"] >= 1, "activeNow")
    p = mm.Client().get("/api/community/stats/public")
    mm.status(p, 200)
    p = p.json
    mm.eq(set(p), {"activeNow", "workoutsToday", "workoutsThisWeek", "topExercises"}, "keys")
    mm.check(p["workoutsThisWeek"] >= p["workoutsToday"] >= 1, "week >= today")
    top = {t["exerciseId"]: t["count"] for t in p["topExercises"]}
    mm.eq(top.get(ex), 202, "selections of the last 30 minutes")


def test_monitor_roles():
    _, utok, _ = mm.create_user()
    _, atok, _ = mm.create_user(roles=["user", "admin"])
    _, mtok, _ = mm.create_user(roles=["user", "moderator"])
    mm.error(mm.Client().get("/api/community/monitor"), "UNAUTHORIZED", 401)
    mm.error(mm.Client(utok).get("/api/community/monitor"), "FORBIDDEN", 403)
    for tok in (atok, mtok):
        r = mm.Client(tok).get("/api/community/monitor")
        mm.status(r, 200)
        body = r.json
        mm.eq(set(body), {"presence", "recentEvents", "redisEnabled"}, "monitor keys")
        mm.eq(set(body["presence"]), {"total", "byGeoBucket"}, "presence keys")
        mm.check(len(body["recentEvents"]) <= 100, "at most 100 events")
        for e in body["recentEvents"][:5]:
            mm.eq(set(e), EVENT_KEYS, "event keys")


def test_percentile():
    lo, lotok, _ = mm.create_user()
    hi, hitok, _ = mm.create_user()
    workout(hi, 1e15, public=False)     # private workouts count here too
    r = mm.Client(hitok).get("/api/community/percentile")
    mm.status(r, 200)
    mm.eq(r.json, {"percentile": 100}, "top user")
    p = mm.Client(lotok).get("/api/community/percentile").json["percentile"]
    mm.check(isinstance(p, int) and 0 <= p < 100, "percentile %r" % p)
    mm.error(mm.Client().get("/api/community/percentile"), "UNAUTHORIZED", 401)


# ---------------------------------------------------------------- leaderboard

def test_leaderboard():
    a, _, aname = mm.create_user()
    b, _, _ = mm.create_user()
    banned, _, _ = mm.create_user(flags={"verified": False, "banned": True,
                                         "suspended": False, "emailConfirmed": False})
    # A total exact in REAL, distinct from other runs' users.
    tu = 2 ** 30 + 128 * random.randrange(1, 1 << 20)
    workout(a, tu)
    workout(a, 1000, public=False)
    workout(b, tu)
    workout(banned, 2 ** 31)
    mm.psql("SELECT leaderboard_refresh();")
    mm.check(len(mm.Client().get("/api/progression/leaderboard?limit=5").json["leaderboard"]) <= 5,
             "limit")
    r = mm.Client().get("/api/progression/leaderboard?limit=100")
    mm.status(r, 200)
    lb = r.json["leaderboard"]
    mm.eq(set(lb[0]), {"rank", "userId", "username", "displayName", "avatarUrl", "archetypeId",
                       "level", "totalTu", "workoutCount"}, "row keys")
    rows = {x["userId"]: x for x in lb}
    mm.check(banned not in rows, "banned excluded")
    mm.eq(rows[a]["totalTu"], tu, "public workouts only")
    mm.eq(rows[a]["workoutCount"], 1, "workoutCount")
    mm.eq(rows[a]["username"], aname, "username")
    mm.eq(rows[a]["rank"], rows[b]["rank"], "ties share a rank")
    mm.eq(lb[0]["rank"], 1, "ranks start at 1")
    tus = [x["totalTu"] for x in lb]
    mm.eq(tus, sorted(tus, reverse=True), "sorted by totalTu desc")
    mm.check(len(mm.Client().get("/api/progression/leaderboard").json["leaderboard"]) <= 100,
             "default limit 100")
    for q in ("limit=0", "limit=101", "limit=x"):
        mm.error(mm.Client().get("/api/progression/leaderboard?" + q), "VALIDATION_ERROR", 400)


def test_leaderboard_refreshes_when_stale():
    a, _, _ = mm.create_user()
    mm.psql("SELECT leaderboard_refresh();")
    workout(a, 2 ** 40 + 2 ** 17 * random.randrange(1, 1 << 20))
    mm.psql("UPDATE leaderboard_meta SET refreshed_at = now() - interval '61 seconds';")
    lb = mm.Client().get("/api/progression/leaderboard?limit=100").json["leaderboard"]
    mm.check(a in {x["userId"] for x in lb}, "a snapshot older than a minute is rebuilt on read")


# ---------------------------------------------------------------- high-fives

def test_high_five_flow():
    a, atok, aname = mm.create_user()
    b, btok, bname = mm.create_user()
    s0 = mm.Client(atok).get("/api/highfives/stats").json
    mm.eq(s0, {"sent": 0, "received": 0}, "fresh stats")
    r = mm.Client(atok).post("/api/highfives/send", {"recipientId": b, "reason": "PR!"})
    mm.status(r, 200)
    mm.eq(r.json, {"success": True}, "body")
    mm.status(mm.Client(atok).post("/api/highfives/send", {"recipientId": b}), 200)
    mm.eq(mm.Client(atok).get("/api/highfives/stats").json, {"sent": 2, "received": 0}, "sender")
    mm.eq(mm.Client(btok).get("/api/highfives/stats").json, {"sent": 0, "received": 2}, "recipient")
    users = mm.Client(btok).get("/api/highfives/users").json["users"]
    mm.eq(len(users), 1, "one sender")
    u = users[0]
    mm.eq(set(u), {"userId", "username", "displayName", "avatarUrl", "count", "lastAt"}, "keys")
    mm.eq((u["userId"], u["username"], u["count"]), (a, aname, 2), "sender row")
    # The event: user = sender, public_profile, payload as §7.5.
    evs = [e for e in mm.Client(btok).get("/api/community/feed?limit=100").json["events"]
           if e["eventType"] == "high_five" and e["userId"] == a]
    mm.eq(len(evs), 2, "one event per high-five")
    mm.eq(evs[1]["payload"], {"recipientId": b, "recipientUsername": bname, "reason": "PR!"},
          "payload")
    mm.eq(evs[1]["visibilityScope"], "public_profile", "scope")
    anon = {e["id"] for e in mm.Client().get("/api/community/feed?limit=100").json["events"]}
    mm.check(evs[0]["id"] not in anon, "not in the anonymous feed")


def test_high_five_errors():
    a, atok, _ = mm.create_user()
    b, btok, _ = mm.create_user()
    c = mm.Client(atok)
    mm.error(c.post("/api/highfives/send", {"recipientId": a}), "VALIDATION_ERROR", 400)
    mm.error(c.post("/api/highfives/send", {"recipientId": "user_" + "0" * 32}), "NOT_FOUND", 404)
    mm.error(c.post("/api/highfives/send", {}), "VALIDATION_ERROR", 400)
    mm.error(c.post("/api/highfives/send", {"recipientId": 5}), "VALIDATION_ERROR", 400)
    mm.error(c.post("/api/highfives/send", {"recipientId": b, "reason": "r" * 281}),
             "VALIDATION_ERROR", 400)
    mm.status(c.post("/api/highfives/send", {"recipientId": b, "reason": "r" * 280}), 200)
    mm.error(mm.Client().post("/api/highfives/send", {"recipientId": b}), "UNAUTHORIZED", 401)
    mm.error(mm.Client().get("/api/highfives/stats"), "UNAUTHORIZED", 401)
    mm.error(mm.Client().get("/api/highfives/users"), "UNAUTHORIZED", 401)
    mm.psql("INSERT INTO user_blocks (blocker_id, blocked_id) VALUES (:'p1', :'p2');", b, a)
    mm.error(c.post("/api/highfives/send", {"recipientId": b}), "FORBIDDEN", 403)
    mm.error(mm.Client(btok).post("/api/highfives/send", {"recipientId": a}), "FORBIDDEN", 403)


def test_high_five_daily_limit():
    a, atok, _ = mm.create_user()
    b, _, _ = mm.create_user()
    mm.psql("INSERT INTO high_fives (sender_id, recipient_id, created_at) "
            "SELECT :'p1', :'p2', greatest(date_trunc('day', now() at time zone 'UTC') "
            "at time zone 'UTC', now() - interval '1 minute') FROM generate_series(1, 99);", a, b)
    mm.status(mm.Client(atok).post("/api/highfives/send", {"recipientId": b}), 200)
    r = mm.Client(atok).post("/api/highfives/send", {"recipientId": b})
    mm.error(r, "RATE_LIMITED", 429)
    mm.check(int(r.header("Retry-After") or "0") > 0, "Retry-After")
    mm.eq(mm.psql("SELECT count(*) FROM high_fives WHERE sender_id = :'p1';", a)[0][0], "100",
          "nothing stored past the limit")


def test_high_five_limit_holds_under_concurrency():
    a, atok, _ = mm.create_user()
    b, _, _ = mm.create_user()
    mm.psql("INSERT INTO high_fives (sender_id, recipient_id, created_at) "
            "SELECT :'p1', :'p2', greatest(date_trunc('day', now() at time zone 'UTC') "
            "at time zone 'UTC', now() - interval '1 minute') FROM generate_series(1, 95);", a, b)
    res = mm.parallel(12, lambda i: mm.Client(atok).post("/api/highfives/send",
                                                         {"recipientId": b}).status)
    mm.eq(sorted(res), [200] * 5 + [429] * 7, "exactly the quota succeeds")
    mm.eq(mm.psql("SELECT count(*) FROM high_fives WHERE sender_id = :'p1';", a)[0][0], "100",
          "100 stored")


# ---------------------------------------------------------------- competitions

def iso(offset_s):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + offset_s))


def new_comp(tok, **kw):
    body = {"name": "Comp " + mm.unique(), "type": "total_tu", "startDate": iso(86400),
            "endDate": iso(7 * 86400)}
    body.update(kw)
    r = mm.Client(tok).post("/api/competitions", body)
    mm.status(r, 201)
    return r.json


COMP_KEYS = {"id", "name", "description", "creatorId", "type", "status", "startDate", "endDate",
             "maxParticipants", "entryFee", "prizePool", "rules", "isPublic", "participantCount",
             "createdAt"}


def test_competition_create_and_read():
    uid, tok, _ = mm.create_user()
    c = new_comp(tok, description="d", maxParticipants=10, entryFee=5, rules={"a": 1})
    mm.eq(set(c), COMP_KEYS, "keys")
    mm.check(c["id"].startswith("comp_"), "id prefix")
    mm.eq((c["status"], c["creatorId"], c["entryFee"], c["prizePool"], c["participantCount"],
           c["rules"], c["isPublic"], c["maxParticipants"]),
          ("draft", uid, 5, 0, 0, {"a": 1}, True, 10), "fields")
    active = new_comp(tok, startDate=iso(-3600))
    mm.eq(active["status"], "active", "started already")
    done = new_comp(tok, startDate=iso(-7200), endDate=iso(-3600))
    mm.eq(done["status"], "completed", "after endDate")
    r = mm.Client().get("/api/competitions/" + c["id"])
    mm.status(r, 200)
    mm.eq(r.json["participants"], [], "no participants: the creator does not join")
    ids = [x["id"] for x in mm.Client().get("/api/competitions").json["competitions"]]
    mm.check(c["id"] in ids, "public competition listed")
    private = new_comp(tok, isPublic=False)
    _, otok, _ = mm.create_user()
    mm.error(mm.Client(otok).get("/api/competitions/" + private["id"]), "NOT_FOUND", 404)
    mm.error(mm.Client().get("/api/competitions/" + private["id"] + "/standings"), "NOT_FOUND", 404)
    mm.status(mm.Client(tok).get("/api/competitions/" + private["id"]), 200)
    mm.check(private["id"] not in [x["id"] for x in
                                   mm.Client(otok).get("/api/competitions").json["competitions"]],
             "private hidden from others")
    mm.check(private["id"] in [x["id"] for x in
                               mm.Client(tok).get("/api/competitions").json["competitions"]],
             "private listed for its creator")
    mm.error(mm.Client().get("/api/competitions/comp_nope"), "NOT_FOUND", 404)


def test_competition_create_validation():
    _, tok, _ = mm.create_user()
    good = {"name": "x", "type": "workouts", "startDate": iso(60), "endDate": iso(120)}
    bad = [dict(good, name=""), dict(good, name="n" * 101), dict(good, type="fastest"),
           dict(good, endDate=good["startDate"]), dict(good, endDate=iso(0)),
           dict(good, startDate="tomorrow"), dict(good, startDate="2026-02-30T00:00:00Z"),
           dict(good, maxParticipants=1), dict(good, maxParticipants=10001),
           dict(good, entryFee=-1), dict(good, entryFee=100001), dict(good, rules=[1]),
           dict(good, isPublic="yes"), dict(good, description="d" * 2001),
           {k: v for k, v in good.items() if k != "endDate"}]
    for body in bad:
        mm.error(mm.Client(tok).post("/api/competitions", body), "VALIDATION_ERROR", 400)
    mm.error(mm.Client().post("/api/competitions", good), "UNAUTHORIZED", 401)


def test_competition_join_charges_once_and_leave_refunds():
    _, ctok, _ = mm.create_user()
    u, utok, _ = mm.create_user(balance=100)
    comp = new_comp(ctok, entryFee=30)
    c = mm.Client(utok)
    r = c.post("/api/competitions/%s/join" % comp["id"])
    mm.status(r, 200)
    mm.eq(r.json, {"success": True, "competitionId": comp["id"], "entryFeeCharged": 30,
                   "alreadyJoined": False}, "join")
    mm.eq(balance(u), 70, "charged")
    r = c.post("/api/competitions/%s/join" % comp["id"])
    mm.eq(r.json["alreadyJoined"], True, "already joined")
    mm.eq(r.json["entryFeeCharged"], 0, "no second charge")
    mm.eq(balance(u), 70, "still charged once")
    mm.eq(mm.Client().get("/api/competitions/" + comp["id"]).json["prizePool"], 30, "prize pool")
    r = c.post("/api/competitions/%s/leave" % comp["id"])
    mm.status(r, 200)
    mm.eq(r.json, {"success": True, "refunded": 30}, "leave")
    mm.eq(balance(u), 100, "refunded")
    mm.error(c.post("/api/competitions/%s/leave" % comp["id"]), "NOT_FOUND", 404)
    # Rejoining is a new entry: charged again, refunded again.
    mm.eq(c.post("/api/competitions/%s/join" % comp["id"]).json["entryFeeCharged"], 30, "rejoin")
    mm.eq(balance(u), 70, "charged again")
    mm.eq(c.post("/api/competitions/%s/leave" % comp["id"]).json["refunded"], 30, "second refund")
    mm.eq(balance(u), 100, "refunded again")
    actions = [r[0] for r in mm.psql("SELECT action FROM credit_ledger WHERE user_id = :'p1' "
                                     "ORDER BY created_at;", u)]
    mm.eq(actions, ["signup_bonus", "competition_entry", "competition_refund",
                    "competition_entry", "competition_refund"], "ledger")


def test_competition_join_errors():
    _, ctok, _ = mm.create_user()
    poor, ptok, _ = mm.create_user(balance=10)
    comp = new_comp(ctok, entryFee=25)
    err = mm.error(mm.Client(ptok).post("/api/competitions/%s/join" % comp["id"]),
                   "INSUFFICIENT_CREDITS", 400)
    mm.eq(err["message"], "You need 25 credits but only have 10", "message")
    mm.eq(balance(poor), 10, "nothing charged")
    full = new_comp(ctok, maxParticipants=2)
    for _ in range(2):
        _, t, _ = mm.create_user()
        mm.status(mm.Client(t).post("/api/competitions/%s/join" % full["id"]), 200)
    _, t, _ = mm.create_user()
    mm.error(mm.Client(t).post("/api/competitions/%s/join" % full["id"]), "CONFLICT", 409)
    done = new_comp(ctok, startDate=iso(-7200), endDate=iso(-3600))
    mm.error(mm.Client(t).post("/api/competitions/%s/join" % done["id"]), "CONFLICT", 409)
    mm.error(mm.Client(t).post("/api/competitions/comp_nope/join"), "NOT_FOUND", 404)
    mm.error(mm.Client().post("/api/competitions/%s/join" % comp["id"]), "UNAUTHORIZED", 401)
    active = new_comp(ctok, startDate=iso(-60))
    mm.status(mm.Client(t).post("/api/competitions/%s/join" % active["id"]), 200)
    mm.error(mm.Client(t).post("/api/competitions/%s/leave" % active["id"]), "CONFLICT", 409)


def test_competition_concurrent_joins_charge_once():
    _, ctok, _ = mm.create_user()
    u, utok, _ = mm.create_user(balance=100)
    comp = new_comp(ctok, entryFee=10)
    res = mm.parallel(8, lambda i: mm.Client(utok).post("/api/competitions/%s/join" % comp["id"]))
    mm.check(all(r.status == 200 for r in res), [r.status for r in res])
    mm.eq(sum(1 for r in res if not r.json["alreadyJoined"]), 1, "one real join")
    mm.eq(balance(u), 90, "charged once")


def test_competition_cancel_refunds_once():
    creator, ctok, _ = mm.create_user()
    comp = new_comp(ctok, entryFee=20)
    users = [mm.create_user(balance=50) for _ in range(3)]
    for uid, tok, _ in users:
        mm.status(mm.Client(tok).post("/api/competitions/%s/join" % comp["id"]), 200)
    mm.error(mm.Client(users[0][1]).post("/api/competitions/%s/cancel" % comp["id"]),
             "FORBIDDEN", 403)
    res = mm.parallel(4, lambda i: mm.Client(ctok).post("/api/competitions/%s/cancel" % comp["id"]))
    mm.check(all(r.status == 200 for r in res), res)
    mm.eq(sorted(r.json["refunded"] for r in res), [0, 0, 0, 60], "refunded exactly once")
    mm.eq(res[0].json["status"], "canceled", "status")
    for uid, _, _ in users:
        mm.eq(balance(uid), 50, "fee back")
    mm.eq(mm.Client().get("/api/competitions/" + comp["id"]).json["status"], "canceled", "read")
    mm.check(comp["id"] not in [x["id"] for x in
                                mm.Client().get("/api/competitions").json["competitions"]],
             "canceled not listed publicly")
    mm.check(comp["id"] in [x["id"] for x in
                            mm.Client(users[0][1]).get("/api/competitions").json["competitions"]],
             "listed for a participant")
    _, late, _ = mm.create_user()
    mm.error(mm.Client(late).post("/api/competitions/%s/join" % comp["id"]), "CONFLICT", 409)
    done = new_comp(ctok, startDate=iso(-7200), endDate=iso(-3600))
    mm.error(mm.Client(ctok).post("/api/competitions/%s/cancel" % done["id"]), "CONFLICT", 409)
    _, atok, _ = mm.create_user(roles=["user", "admin"])
    other = new_comp(ctok)
    mm.eq(mm.Client(atok).post("/api/competitions/%s/cancel" % other["id"]).json["status"],
          "canceled", "an admin may cancel")


def test_competition_standings_by_type():
    _, ctok, _ = mm.create_user()
    start, end = iso(-3 * 86400), iso(3 * 86400)
    comps = {t: new_comp(ctok, type=t, startDate=start, endDate=end)
             for t in ("total_tu", "workouts", "streak")}
    a, atok, aname = mm.create_user()
    b, btok, _ = mm.create_user()
    for cid in [c["id"] for c in comps.values()]:
        for tok in (atok, btok):
            mm.status(mm.Client(tok).post("/api/competitions/%s/join" % cid), 200)
    for d in (0, 1, 2):
        workout(a, 10, days_ago=d)
    workout(b, 100, days_ago=0)
    workout(b, 1, days_ago=2)
    workout(b, 999, days_ago=10)          # before the window
    st = mm.Client().get("/api/competitions/%s/standings" % comps["total_tu"]["id"]).json
    mm.eq(st["competitionId"], comps["total_tu"]["id"], "id")
    mm.eq([(s["userId"], s["score"], s["rank"]) for s in st["standings"]],
          [(b, 101, 1), (a, 30, 2)], "total_tu")
    mm.eq(set(st["standings"][0]), {"rank", "userId", "username", "displayName", "score"}, "keys")
    st = mm.Client().get("/api/competitions/%s/standings" % comps["workouts"]["id"]).json
    mm.eq([(s["userId"], s["score"]) for s in st["standings"]], [(a, 3), (b, 2)], "workouts")
    st = mm.Client().get("/api/competitions/%s/standings" % comps["streak"]["id"]).json
    mm.eq([(s["userId"], s["score"]) for s in st["standings"]], [(a, 3), (b, 1)], "streak")
    det = mm.Client().get("/api/competitions/" + comps["streak"]["id"]).json
    mm.eq(det["participantCount"], 2, "participantCount")
    mm.eq(set(det["participants"][0]), {"userId", "username", "displayName", "score", "rank",
                                        "joinedAt"}, "participant keys")


# ---------------------------------------------------------------- groups

GROUP_KEYS = {"id", "name", "description", "avatarUrl", "ownerId", "settings", "memberCount",
              "myRole", "createdAt", "updatedAt"}


def new_group(tok, **kw):
    body = {"name": "Group " + mm.unique()}
    body.update(kw)
    r = mm.Client(tok).post("/api/groups", body)
    mm.status(r, 201)
    return r.json


def test_group_create_get_patch_delete():
    owner, otok, _ = mm.create_user()
    g = new_group(otok, description="d", avatarUrl="https://x.test/a.png")
    mm.eq(set(g), GROUP_KEYS, "keys")
    mm.check(g["id"].startswith("grp_"), "id prefix")
    mm.eq((g["ownerId"], g["memberCount"], g["myRole"], g["settings"]), (owner, 1, "owner", {}),
          "fields")
    _, utok, _ = mm.create_user()
    r = mm.Client(utok).get("/api/groups/" + g["id"])
    mm.status(r, 200)
    mm.eq(r.json["myRole"], None, "not a member")
    mm.error(mm.Client(utok).patch("/api/groups/" + g["id"], {"name": "x"}), "FORBIDDEN", 403)
    r = mm.Client(otok).patch("/api/groups/" + g["id"], {"name": "Renamed", "settings": {"k": 1}})
    mm.status(r, 200)
    mm.eq((r.json["name"], r.json["description"], r.json["settings"]), ("Renamed", "d", {"k": 1}),
          "partial patch")
    for body in ({"name": ""}, {"settings": {"visibility": "secret"}}, {"avatarUrl": "ftp://x"},
                 {"description": "d" * 1001}, {"settings": []}):
        mm.error(mm.Client(otok).patch("/api/groups/" + g["id"], body), "VALIDATION_ERROR", 400)
    mm.error(mm.Client(utok).delete("/api/groups/" + g["id"]), "FORBIDDEN", 403)
    r = mm.Client(otok).delete("/api/groups/" + g["id"])
    mm.status(r, 200)
    mm.eq(r.json, {"success": True}, "deleted")
    mm.error(mm.Client(otok).get("/api/groups/" + g["id"]), "NOT_FOUND", 404)
    mm.eq(mm.psql("SELECT count(*) FROM group_memberships WHERE group_id = :'p1';", g["id"])[0][0],
          "0", "memberships gone")


def test_group_create_validation():
    _, tok, _ = mm.create_user()
    for body in ({}, {"name": ""}, {"name": "n" * 101}, {"name": 5},
                 {"name": "x", "settings": {"visibility": "hidden"}},
                 {"name": "x", "settings": {"visibility": 1}}, {"name": "x", "avatarUrl": "nope"},
                 {"name": "x", "description": "d" * 1001}, {"name": "x", "settings": "public"}):
        mm.error(mm.Client(tok).post("/api/groups", body), "VALIDATION_ERROR", 400)
    mm.error(mm.Client().post("/api/groups", {"name": "x"}), "UNAUTHORIZED", 401)
    mm.error(mm.Client().get("/api/groups"), "UNAUTHORIZED", 401)


def test_group_list_search_and_private_visibility():
    _, otok, _ = mm.create_user()
    _, utok, _ = mm.create_user()
    tag = mm.unique("srch")
    pub = new_group(otok, name="Pub " + tag)
    priv = new_group(otok, name="Priv " + tag, settings={"visibility": "private"})
    r = mm.Client(utok).get("/api/groups?search=" + tag)
    mm.status(r, 200)
    body = r.json
    mm.eq(set(body), {"groups", "total", "limit", "offset"}, "keys")
    mm.eq([g["id"] for g in body["groups"]], [pub["id"]], "private hidden from non-members")
    mm.eq((body["total"], body["limit"], body["offset"]), (1, 20, 0), "paging fields")
    body = mm.Client(otok).get("/api/groups?search=" + tag.upper()).json
    mm.eq({g["id"] for g in body["groups"]}, {pub["id"], priv["id"]}, "members see private")
    body = mm.Client(otok).get("/api/groups?search=%s&limit=1&offset=1" % tag).json
    mm.eq((len(body["groups"]), body["total"], body["limit"], body["offset"]), (1, 2, 1, 1), "page")
    mm.eq(mm.Client(utok).get("/api/groups?mine=true&search=" + tag).json["total"], 0, "mine")
    mm.error(mm.Client(utok).get("/api/groups/" + priv["id"]), "NOT_FOUND", 404)
    mm.error(mm.Client(utok).get("/api/groups/%s/members" % priv["id"]), "NOT_FOUND", 404)
    for q in ("limit=0", "limit=101", "offset=-1", "mine=maybe", "search=" + "s" * 101):
        mm.error(mm.Client(utok).get("/api/groups?" + q), "VALIDATION_ERROR", 400)


def test_group_join_invite_leave():
    owner, otok, _ = mm.create_user()
    u, utok, _ = mm.create_user()
    pub = new_group(otok)
    r = mm.Client(utok).post("/api/groups/%s/join" % pub["id"])
    mm.status(r, 200)
    mm.eq((r.json["myRole"], r.json["memberCount"]), ("member", 2), "joined")
    mm.eq(mm.Client(utok).post("/api/groups/%s/join" % pub["id"]).json["memberCount"], 2,
          "join is idempotent")
    priv = new_group(otok, settings={"visibility": "private"})
    mm.error(mm.Client(utok).post("/api/groups/%s/join" % priv["id"]), "FORBIDDEN", 403)
    mm.error(mm.Client(utok).post("/api/groups/%s/invite" % pub["id"], {"userId": owner}),
             "FORBIDDEN", 403)
    mm.error(mm.Client(otok).post("/api/groups/%s/invite" % priv["id"], {"userId": "user_nope"}),
             "NOT_FOUND", 404)
    mm.error(mm.Client(otok).post("/api/groups/%s/invite" % priv["id"], {}), "VALIDATION_ERROR",
             400)
    r = mm.Client(otok).post("/api/groups/%s/invite" % priv["id"], {"userId": u})
    mm.status(r, 200)
    mm.eq(r.json["success"], True, "invited")
    r = mm.Client(utok).post("/api/groups/%s/join" % priv["id"])
    mm.status(r, 200)
    mm.eq(r.json["myRole"], "member", "joined with an invitation")
    mm.status(mm.Client(utok).get("/api/groups/" + priv["id"]), 200)
    r = mm.Client(utok).post("/api/groups/%s/leave" % priv["id"])
    mm.status(r, 200)
    mm.eq(r.json, {"success": True}, "left")
    mm.error(mm.Client(utok).post("/api/groups/%s/join" % priv["id"]), "FORBIDDEN", 403)
    mm.error(mm.Client(otok).post("/api/groups/%s/leave" % pub["id"]), "CONFLICT", 409)
    mm.error(mm.Client(utok).post("/api/groups/grp_nope/join"), "NOT_FOUND", 404)


def test_group_members_roles_and_removal():
    owner, otok, _ = mm.create_user()
    g = new_group(otok)
    people = [mm.create_user() for _ in range(4)]
    for uid, tok, _ in people:
        mm.status(mm.Client(tok).post("/api/groups/%s/join" % g["id"]), 200)
    admin, mod, m1, m2 = people
    url = "/api/groups/%s/members/" % g["id"]
    r = mm.Client(otok).patch(url + admin[0], {"role": "admin"})
    mm.status(r, 200)
    mm.eq(r.json["role"], "admin", "owner sets admin")
    mm.status(mm.Client(admin[1]).patch(url + mod[0], {"role": "moderator"}), 200)
    mm.error(mm.Client(admin[1]).patch(url + m1[0], {"role": "admin"}), "FORBIDDEN", 403)
    mm.error(mm.Client(admin[1]).patch(url + owner, {"role": "member"}), "FORBIDDEN", 403)
    mm.error(mm.Client(mod[1]).patch(url + m1[0], {"role": "moderator"}), "FORBIDDEN", 403)
    mm.error(mm.Client(m1[1]).patch(url + m2[0], {"role": "moderator"}), "FORBIDDEN", 403)
    mm.error(mm.Client(otok).patch(url + m1[0], {"role": "king"}), "VALIDATION_ERROR", 400)
    mm.error(mm.Client(otok).patch(url + "user_nope", {"role": "member"}), "NOT_FOUND", 404)
    mm.error(mm.Client(otok).patch(url + owner, {"role": "member"}), "CONFLICT", 409)
    members = mm.Client(m1[1]).get("/api/groups/%s/members" % g["id"]).json["members"]
    mm.eq([m["role"] for m in members], ["owner", "admin", "moderator", "member", "member"],
          "ordered by role")
    mm.eq([m["userId"] for m in members[3:]], [m1[0], m2[0]], "then by joinedAt")
    mm.eq(set(members[0]), {"userId", "username", "displayName", "role", "joinedAt"}, "keys")
    # Removal: strictly lower roles only.
    mm.error(mm.Client(m1[1]).delete(url + m2[0]), "FORBIDDEN", 403)
    mm.error(mm.Client(mod[1]).delete(url + admin[0]), "FORBIDDEN", 403)
    mm.error(mm.Client(admin[1]).delete(url + owner), "FORBIDDEN", 403)
    r = mm.Client(mod[1]).delete(url + m2[0])
    mm.status(r, 200)
    mm.eq(r.json, {"success": True}, "removed")
    mm.error(mm.Client(mod[1]).delete(url + m2[0]), "NOT_FOUND", 404)
    # Ownership transfer: the old owner becomes admin.
    r = mm.Client(otok).patch(url + m1[0], {"role": "owner"})
    mm.status(r, 200)
    mm.eq(r.json["role"], "owner", "new owner")
    g2 = mm.Client(m1[1]).get("/api/groups/" + g["id"]).json
    mm.eq((g2["ownerId"], g2["myRole"]), (m1[0], "owner"), "ownerId moved")
    mm.eq(mm.Client(otok).get("/api/groups/" + g["id"]).json["myRole"], "admin", "old owner admin")
    mm.status(mm.Client(otok).post("/api/groups/%s/leave" % g["id"]), 200)


def test_group_concurrent_ownership_changes_keep_one_owner():
    owner, otok, _ = mm.create_user()
    g = new_group(otok)
    people = [mm.create_user() for _ in range(6)]
    for uid, tok, _ in people:
        mm.status(mm.Client(tok).post("/api/groups/%s/join" % g["id"]), 200)
    url = "/api/groups/%s/members/" % g["id"]
    # The owner transfers to six people at once: the first wins, then the
    # old owner is an admin and the others get 403.
    res = mm.parallel(6, lambda i: mm.Client(otok).patch(url + people[i][0], {"role": "owner"}))
    mm.eq(sorted(r.status for r in res), [200] + [403] * 5, "one transfer")
    rows = mm.psql("SELECT user_id FROM group_memberships WHERE group_id = :'p1' "
                   "AND role = 'owner';", g["id"])
    mm.eq(len(rows), 1, "exactly one owner")
    new_owner = rows[0][0]
    mm.eq(mm.psql("SELECT owner_id FROM groups WHERE id = :'p1';", g["id"])[0][0], new_owner,
          "groups.owner_id follows")
    # Concurrent leave / transfer / promote storms never end with 0 or 2 owners.
    ntok = next(t for u, t, _ in people if u == new_owner)
    others = [p for p in people if p[0] != new_owner]

    def storm(i):
        if i % 3 == 0:
            return mm.Client(ntok).patch(url + others[i % len(others)][0], {"role": "owner"})
        if i % 3 == 1:
            return mm.Client(others[i % len(others)][1]).post("/api/groups/%s/leave" % g["id"])
        return mm.Client(otok).patch(url + others[i % len(others)][0], {"role": "owner"})
    mm.parallel(12, storm)
    n = mm.psql("SELECT count(*) FROM group_memberships WHERE group_id = :'p1' "
                "AND role = 'owner';", g["id"])[0][0]
    mm.eq(n, "1", "still exactly one owner")


def test_group_auth_and_unknown():
    _, tok, _ = mm.create_user()
    c = mm.Client(tok)
    for method, path in (("GET", "/api/groups/grp_nope"), ("PATCH", "/api/groups/grp_nope"),
                         ("DELETE", "/api/groups/grp_nope"), ("GET", "/api/groups/grp_nope/members"),
                         ("POST", "/api/groups/grp_nope/leave")):
        body = {"name": "x"} if method == "PATCH" else None
        mm.error(c.request(method, path, body=body), "NOT_FOUND", 404)
    mm.error(mm.Client().get("/api/groups/grp_nope"), "UNAUTHORIZED", 401)
