"""Workouts (contract §4): logging with Training Units, charging and replay,
the activity event, lists, stats, muscles, preview, and what a killed
worker leaves behind."""
import datetime
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from fractions import Fraction

import mm

RUN_DIR = os.environ.get("MM_RUN_DIR", os.path.join(mm.VAR_DIR, "run"))
WORKOUT_KEYS = {"id", "userId", "date", "totalTu", "creditsUsed", "exerciseData",
                "muscleActivations", "notes", "isPublic", "createdAt"}
ENTRY_KEYS = {"exerciseId", "sets", "reps", "weight", "duration", "notes"}
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
PUSHUP = {"exerciseId": "bw-pushup", "sets": 3}
# §4.1 worked example.
PUSHUP_X3 = {"chest-mid": 11.67, "chest-upper": 8.0, "chest-lower": 7.5,
             "triceps-lateral": 22.5, "triceps-long": 12.0, "delt-front": 15.0,
             "serratus": 15.0}


def today(delta=0):
    return (datetime.datetime.now(datetime.timezone.utc).date() +
            datetime.timedelta(days=delta)).isoformat()


def count(sql, *args):
    return int(mm.psql(sql, *args)[0][0])


def workouts_of(uid):
    return count("SELECT count(*) FROM workouts WHERE user_id = :'p1';", uid)


def events_of(uid):
    # Workout events only: a workout may also complete a milestone (§10.6).
    return count("SELECT count(*) FROM activity_events WHERE user_id = :'p1' "
                 "AND event_type = 'workout_completed';", uid)


def ledger_of(uid):
    return count("SELECT count(*) FROM credit_ledger WHERE user_id = :'p1';", uid)


def balance_of(uid):
    return count("SELECT balance FROM credit_balances WHERE user_id = :'p1';", uid)



_catalog = {}


def catalog():
    if not _catalog:
        c = mm.Client()
        _catalog["bias"] = {m["id"]: m["biasWeight"] for m in c.get("/api/muscles").json}
        _catalog["acts"] = {}
    return _catalog


def activations(exercise_id):
    cat = catalog()
    if exercise_id not in cat["acts"]:
        r = mm.Client().get("/api/exercises/%s/activations" % exercise_id)
        mm.status(r, 200)
        cat["acts"][exercise_id] = {a["muscleId"]: a["activation"] for a in r.json["activations"]}
    return cat["acts"][exercise_id]


def round2(f):
    """Half-up rounding of an exact fraction to 2 decimals."""
    cents = (f * 100 * 2 + 1) // 2
    return float(Fraction(cents, 100))


def expected_tu(entries):
    """§4.1 computed independently, with exact fractions."""
    bias = catalog()["bias"]
    vals = {}
    for e in entries:
        for m, a in activations(e["exerciseId"]).items():
            if a > 0:
                vals[m] = vals.get(m, Fraction(0)) + Fraction(e["sets"] * a) / Fraction(bias[m])
    vals = {m: v for m, v in vals.items() if v > 0}
    return round2(sum(vals.values(), Fraction(0))), {m: round2(v) for m, v in vals.items()}, vals


def post(client, body):
    return client.post("/api/workouts", body)


def check_workout(w, uid):
    mm.eq(set(w), WORKOUT_KEYS, "workout keys")
    mm.check(re.match(r"^workout_[0-9a-f]{32}$", w["id"]), "workout id format: %r" % w["id"])
    mm.eq(w["userId"], uid, "userId")
    mm.check(TS_RE.match(w["createdAt"]), "createdAt format: %r" % w["createdAt"])
    for e in w["exerciseData"]:
        mm.eq(set(e), ENTRY_KEYS, "exerciseData keys")


def test_create_trial_user_not_charged():
    uid, tok, _ = mm.create_user(trial=True, balance=100)
    c = mm.Client(tok)
    r = post(c, {"exercises": [PUSHUP]})
    mm.status(r, 201)
    w = r.json
    check_workout(w, uid)
    mm.eq(w["totalTu"], 91.67, "totalTu of the worked example")
    mm.eq(w["muscleActivations"], PUSHUP_X3, "muscleActivations of the worked example")
    mm.eq(w["creditsUsed"], 0, "unlimited users are not charged")
    mm.eq(w["date"], today(), "date defaults to today (UTC)")
    mm.eq(w["notes"], None, "notes null")
    mm.eq(w["isPublic"], True, "isPublic default")
    mm.eq(w["exerciseData"], [{"exerciseId": "bw-pushup", "sets": 3, "reps": None,
                               "weight": None, "duration": None, "notes": None}], "exerciseData")
    mm.eq(balance_of(uid), 100, "balance untouched")
    mm.eq(ledger_of(uid), 1, "only the signup row")
    mm.eq(events_of(uid), 1, "one workout_completed event")
    # Stored as returned.
    row = mm.psql("SELECT user_id, date::text, credits_used, is_public, total_tu FROM workouts "
                  "WHERE id = :'p1';", w["id"])
    mm.eq(row[0][:4], [uid, today(), "0", "t"], "stored row")
    mm.check(abs(float(row[0][4]) - 91.67) < 0.001, "total_tu column")


def test_create_free_tier_charges_25():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    c = mm.Client(tok)
    r = post(c, {"exercises": [PUSHUP], "notes": "leg day? no",
                 "isPublic": False, "date": today(-3)})
    mm.status(r, 201)
    w = r.json
    check_workout(w, uid)
    mm.eq(w["creditsUsed"], 25, "free tier pays 25")
    mm.eq(w["notes"], "leg day? no", "notes")
    mm.eq(w["isPublic"], False, "isPublic")
    mm.eq(w["date"], today(-3), "date as sent")
    mm.eq(balance_of(uid), 75, "balance after the charge")
    rows = mm.psql("SELECT action, amount, balance_after, metadata::text, idempotency_key "
                   "FROM credit_ledger WHERE user_id = :'p1' AND action = 'workout';", uid)
    mm.eq(len(rows), 1, "one workout ledger row")
    mm.eq(rows[0][:3], ["workout", "-25", "75"], "ledger row")
    mm.eq(json.loads(rows[0][3]), {"workoutId": w["id"]}, "ledger metadata")
    mm.eq(rows[0][4], "%s:workout:%s" % (uid, w["id"]), "ledger key from the workout id")
    r = post(c, {"exercises": [PUSHUP], "idempotencyKey": "k-1"})
    mm.status(r, 201)
    key = mm.psql("SELECT idempotency_key FROM credit_ledger WHERE metadata->>'workoutId' = :'p1';",
                  r.json["id"])
    mm.eq(key[0][0], "%s:workout:k-1" % uid, "ledger key from the client key")
    bal = mm.Client(tok).get("/api/economy/balance").json
    mm.eq(bal["balance"], 50, "balance endpoint follows")
    mm.ledger_invariant(uid)


def test_subscription_is_unlimited_until_not_active():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    mm.psql("INSERT INTO subscriptions (user_id, stripe_subscription_id, status) "
            "VALUES (:'p1', :'p2', 'active');", uid, mm.unique("sub_test_"))
    c = mm.Client(tok)
    r = post(c, {"exercises": [PUSHUP]})
    mm.status(r, 201)
    mm.eq(r.json["creditsUsed"], 0, "active subscription: not charged")
    mm.psql("UPDATE subscriptions SET status = 'past_due' WHERE user_id = :'p1';", uid)
    r = post(c, {"exercises": [PUSHUP]})
    mm.status(r, 201)
    mm.eq(r.json["creditsUsed"], 25, "past_due subscription: charged")
    mm.eq(balance_of(uid), 75, "balance")


def test_insufficient_credits_exact_message_and_nothing_written():
    uid, tok, _ = mm.create_user(trial=False, balance=10)
    c = mm.Client(tok)
    r = post(c, {"exercises": [PUSHUP], "idempotencyKey": "broke"})
    err = mm.error(r, "INSUFFICIENT_CREDITS", 400)
    mm.eq(err["message"], "You need 25 credits but only have 10", "exact message")
    mm.eq(workouts_of(uid), 0, "no workout")
    mm.eq(events_of(uid), 0, "no event")
    mm.eq(ledger_of(uid), 1, "no ledger row")
    uid0, tok0, _ = mm.create_user(trial=False, balance=0)
    err = mm.error(post(mm.Client(tok0), {"exercises": [PUSHUP]}), "INSUFFICIENT_CREDITS", 400)
    mm.eq(err["message"], "You need 25 credits but only have 0", "exact message at 0")
    # The key stays unused: after a top-up the same key logs a new workout.
    mm.psql("SELECT update_credit_balance(:'p1', 15, 'test_topup', NULL, :'p1' || ':topup');", uid)
    r = post(c, {"exercises": [PUSHUP], "idempotencyKey": "broke"})
    mm.status(r, 201)
    mm.eq(balance_of(uid), 0, "charged once credits sufficed")
    mm.ledger_invariant(uid)


def test_replay_returns_original_and_writes_nothing():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    c = mm.Client(tok)
    body = {"exercises": [PUSHUP], "idempotencyKey": "replay-1", "notes": "first"}
    first = post(c, body)
    mm.status(first, 201)
    again = post(c, body)
    mm.status(again, 200)
    mm.eq(again.json, first.json, "replay answers the original workout")
    other_body = post(c, {"exercises": [{"exerciseId": "bw-squat", "sets": 1}],
                          "idempotencyKey": "replay-1", "notes": "second"})
    mm.status(other_body, 200)
    mm.eq(other_body.json["id"], first.json["id"], "any body with the key: the original")
    mm.eq(other_body.json["notes"], "first", "original content")
    mm.eq(workouts_of(uid), 1, "one workout")
    mm.eq(events_of(uid), 1, "one event")
    mm.eq(balance_of(uid), 75, "charged once")
    # Keys are per user.
    uid2, tok2, _ = mm.create_user(trial=False, balance=100)
    r = post(mm.Client(tok2), body)
    mm.status(r, 201)
    mm.check(r.json["id"] != first.json["id"], "another user's key is another workout")
    mm.eq(balance_of(uid2), 75, "other user charged")
    mm.ledger_invariant(uid)
    mm.ledger_invariant(uid2)


def test_replay_after_credits_ran_out_still_200():
    uid, tok, _ = mm.create_user(trial=False, balance=25)
    c = mm.Client(tok)
    body = {"exercises": [PUSHUP], "idempotencyKey": "last-credits"}
    mm.status(post(c, body), 201)
    mm.eq(balance_of(uid), 0, "spent")
    mm.status(post(c, body), 200)
    mm.error(post(c, {"exercises": [PUSHUP]}), "INSUFFICIENT_CREDITS", 400)


def test_concurrent_replays_one_201():
    for trial in (False, True):
        uid, tok, _ = mm.create_user(trial=trial, balance=100)
        body = {"exercises": [PUSHUP], "idempotencyKey": "same-key"}
        res = mm.parallel(20, lambda i: post(mm.Client(tok), body))
        for r in res:
            mm.check(isinstance(r, mm.Response), "request failed: %r" % (r,))
        statuses = sorted(r.status for r in res)
        mm.eq(statuses, [200] * 19 + [201], "exactly one 201, the others 200")
        mm.eq(len({r.json["id"] for r in res}), 1, "all answer the same workout")
        mm.eq(workouts_of(uid), 1, "one workout stored")
        mm.eq(events_of(uid), 1, "one event")
        mm.eq(balance_of(uid), 100 if trial else 75, "charged at most once")
        mm.ledger_invariant(uid)


def test_concurrent_workouts_never_overspend():
    uid, tok, _ = mm.create_user(trial=False, balance=130)
    res = mm.parallel(16, lambda i: post(mm.Client(tok), {"exercises": [PUSHUP]}))
    ok = [r for r in res if r.status == 201]
    bad = [r for r in res if r.status != 201]
    mm.eq(len(ok), 5, "130 credits buy exactly 5 workouts")
    for r in bad:
        err = mm.error(r, "INSUFFICIENT_CREDITS", 400)
        mm.eq(err["message"], "You need 25 credits but only have 5", "message once spent")
    mm.eq(mm.ledger_invariant(uid), 5, "5 credits left")
    mm.eq(workouts_of(uid), 5, "5 workouts")
    mm.eq(events_of(uid), 5, "5 events")


def test_validation_errors_store_nothing():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    c = mm.Client(tok)
    ok = {"exerciseId": "bw-pushup", "sets": 3}

    def entry(**kw):
        e = dict(ok)
        e.update(kw)
        for k in [k for k, v in kw.items() if v is ...]:
            del e[k]
        return e

    bad_bodies = [
        {},
        {"exercises": None},
        {"exercises": []},
        {"exercises": [ok] * 51},
        {"exercises": "bw-pushup"},
        {"exercises": [["bw-pushup", 3]]},
        {"exercises": [42]},
        {"exercises": [entry(exerciseId=...)]},
        {"exercises": [entry(exerciseId=7)]},
        {"exercises": [entry(sets=...)]},
        {"exercises": [entry(sets=0)]},
        {"exercises": [entry(sets=101)]},
        {"exercises": [entry(sets="3")]},
        {"exercises": [entry(sets=2.5)]},
        {"exercises": [entry(sets=None)]},
        {"exercises": [entry(reps=0)]},
        {"exercises": [entry(reps=1001)]},
        {"exercises": [entry(reps=1.5)]},
        {"exercises": [entry(weight=-0.5)]},
        {"exercises": [entry(weight=10000.5)]},
        {"exercises": [entry(weight="10")]},
        {"exercises": [entry(duration=-1)]},
        {"exercises": [entry(duration=86401)]},
        {"exercises": [entry(duration=True)]},
        {"exercises": [entry(notes="x" * 501)]},
        {"exercises": [entry(notes=5)]},
        {"exercises": [ok], "date": "2026-02-30"},
        {"exercises": [ok], "date": "2025-13-01"},
        {"exercises": [ok], "date": "2025-1-1"},
        {"exercises": [ok], "date": "tomorrow"},
        {"exercises": [ok], "date": 20250101},
        {"exercises": [ok], "date": today(2)},
        {"exercises": [ok], "date": "2026-01-01T00:00:00Z"},
        {"exercises": [ok], "notes": "n" * 2001},
        {"exercises": [ok], "isPublic": "yes"},
        {"exercises": [ok], "isPublic": 1},
        {"exercises": [ok], "idempotencyKey": ""},
        {"exercises": [ok], "idempotencyKey": "k" * 129},
        {"exercises": [ok], "idempotencyKey": 12},
    ]
    for body in bad_bodies:
        r = post(c, body)
        mm.error(r, "VALIDATION_ERROR", 400)
    for raw, ctype in ((b"[]", "application/json"), (b"", "application/json"),
                       (b"{\"exercises\":", "application/json"),
                       (json.dumps({"exercises": [ok]}).encode(), "text/plain")):
        r = c.request("POST", "/api/workouts", raw=raw, headers={"Content-Type": ctype})
        mm.error(r, "VALIDATION_ERROR", 400)
    mm.eq(workouts_of(uid), 0, "nothing stored")
    mm.eq(balance_of(uid), 100, "nothing charged")
    mm.eq(events_of(uid), 0, "no events")


def test_unknown_exercise_is_named():
    uid, tok, _ = mm.create_user(trial=True)
    r = post(mm.Client(tok), {"exercises": [PUSHUP, {"exerciseId": "no-such-lift", "sets": 2}]})
    err = mm.error(r, "VALIDATION_ERROR", 400)
    mm.check("no-such-lift" in err["message"], "message names the exercise: %r" % err["message"])
    mm.eq(workouts_of(uid), 0, "nothing stored")


def test_boundaries_accepted_and_stored_verbatim():
    uid, tok, _ = mm.create_user(trial=True)
    c = mm.Client(tok)
    notes = "Ünïcödé 💪 <b>'; DROP TABLE workouts;--</b>" + "x" * 450
    entries = [
        {"exerciseId": "bw-pushup", "sets": 100, "reps": 1000, "weight": 10000,
         "duration": 86400, "notes": "n" * 500},
        {"exerciseId": "bw-pushup", "sets": 1, "reps": 1, "weight": 0, "duration": 0,
         "notes": ""},
        {"exerciseId": "bw-pushup", "sets": 2, "weight": 62.5, "reps": None},
    ]
    r = post(c, {"exercises": entries, "date": today(1), "notes": notes, "isPublic": True,
                 "idempotencyKey": "k" * 128, "totalTu": 1, "creditsUsed": 99, "id": "x"})
    mm.status(r, 201)
    w = r.json
    mm.eq(w["date"], today(1), "tomorrow is accepted")
    mm.eq(w["notes"], notes, "notes byte for byte")
    mm.eq(w["exerciseData"], [
        {"exerciseId": "bw-pushup", "sets": 100, "reps": 1000, "weight": 10000,
         "duration": 86400, "notes": "n" * 500},
        {"exerciseId": "bw-pushup", "sets": 1, "reps": 1, "weight": 0, "duration": 0,
         "notes": ""},
        {"exerciseId": "bw-pushup", "sets": 2, "reps": None, "weight": 62.5,
         "duration": None, "notes": None}], "exerciseData normalised")
    total, per_muscle, _ = expected_tu(entries)
    mm.eq(w["totalTu"], total, "server-computed totalTu (client value ignored)")
    mm.eq(w["muscleActivations"], per_muscle, "muscleActivations")
    mm.eq(w["creditsUsed"], 0, "client creditsUsed ignored")
    r = post(c, {"exercises": [PUSHUP] * 50, "date": "2000-02-29"})
    mm.status(r, 201)
    mm.eq(r.json["date"], "2000-02-29", "a leap day long ago")


def test_tu_adds_shared_muscles_and_rounds_at_the_end():
    uid, tok, _ = mm.create_user(trial=True)
    c = mm.Client(tok)
    # Find a second exercise that also works delt-front (§4.1's note).
    exercises = [e["id"] for e in mm.Client().get("/api/exercises").json]
    other = None
    for eid in exercises:
        if eid != "bw-pushup" and activations(eid).get("delt-front", 0) > 0:
            other = eid
            break
    mm.check(other, "some other exercise works delt-front")
    entries = [{"exerciseId": "bw-pushup", "sets": 3}, {"exerciseId": other, "sets": 2}]
    r = post(c, {"exercises": entries})
    mm.status(r, 201)
    total, per_muscle, raw = expected_tu(entries)
    mm.eq(r.json["muscleActivations"], per_muscle, "per-muscle sums")
    mm.eq(r.json["totalTu"], total, "total = rounded sum of unrounded values")
    mm.eq(r.json["muscleActivations"]["delt-front"],
          round2(Fraction(3 * 50, 10) + Fraction(2 * activations(other)["delt-front"],
                                                  catalog()["bias"]["delt-front"])),
          "delt-front adds up")
    mm.check(all(v > 0 for v in r.json["muscleActivations"].values()), "positive values only")
    # Every exercise of the catalog, one set each, against the same formula.
    batch = [{"exerciseId": eid, "sets": 1 + i % 5} for i, eid in enumerate(exercises[:50])]
    r = post(c, {"exercises": batch})
    mm.status(r, 201)
    total, per_muscle, _ = expected_tu(batch)
    mm.eq(r.json["totalTu"], total, "50-exercise total")
    mm.eq(r.json["muscleActivations"], per_muscle, "50-exercise muscles")
    p = c.post("/api/workouts/preview", {"exercises": batch})
    mm.status(p, 200)
    mm.eq(p.json, {"totalTu": total, "muscleActivations": per_muscle}, "preview agrees")


def test_large_total_is_exact_to_the_cent():
    uid, tok, _ = mm.create_user(trial=True)
    c = mm.Client(tok)
    entries = [{"exerciseId": "bw-pushup", "sets": 100}] * 50
    total, per_muscle, _ = expected_tu(entries)
    r = post(c, {"exercises": entries})
    mm.status(r, 201)
    mm.eq(r.json["totalTu"], total, "large totalTu")
    mm.eq(r.json["muscleActivations"], per_muscle, "large muscle values")
    got = c.get("/api/workouts/%s" % r.json["id"]).json
    mm.eq(got["totalTu"], total, "read back")
    mm.eq(c.get("/api/workouts/me/stats").json["allTime"]["totalTu"], total, "stats")


def _event(workout_id):
    rows = mm.psql("SELECT event_type, visibility_scope, payload::text, user_id FROM activity_events "
                   "WHERE payload->>'workoutId' = :'p1';", workout_id)
    mm.eq(len(rows), 1, "one event for the workout")
    return rows[0][0], rows[0][1], json.loads(rows[0][2]), rows[0][3]


def test_event_payload_and_visibility():
    uid, tok, username = mm.create_user(trial=True)
    c = mm.Client(tok)
    w = post(c, {"exercises": [PUSHUP, {"exerciseId": "bw-pushup", "sets": 1}]}).json
    etype, scope, payload, owner = _event(w["id"])
    mm.eq(etype, "workout_completed", "event type")
    mm.eq(owner, uid, "event user")
    mm.eq(scope, "public_anon", "default visibility")
    mm.eq(set(payload), {"workoutId", "userId", "username", "totalTu", "topMuscles",
                         "exerciseCount"}, "payload keys")
    mm.eq(payload["workoutId"], w["id"], "payload workoutId")
    mm.eq(payload["userId"], uid, "payload userId")
    mm.eq(payload["username"], username, "payload username")
    mm.eq(payload["totalTu"], w["totalTu"], "payload totalTu")
    mm.eq(payload["exerciseCount"], 2, "payload exerciseCount")
    mm.eq(payload["topMuscles"], ["triceps-lateral", "delt-front", "serratus"],
          "top 3 muscles by value")
    w = post(c, {"exercises": [PUSHUP], "isPublic": False}).json
    mm.eq(_event(w["id"])[1], "private", "isPublic false: private")

    def with_settings(privacy):
        u, t, _ = mm.create_user(trial=True)
        mm.psql("INSERT INTO user_settings (user_id, settings) VALUES (:'p1', :'p2'::jsonb);",
                u, json.dumps({"privacy": privacy}))
        return mm.Client(t)

    w = post(with_settings({"showInFeed": False}), {"exercises": [PUSHUP]}).json
    mm.eq(_event(w["id"])[1], "private", "showInFeed false: private")
    w = post(with_settings({"publicProfile": False}), {"exercises": [PUSHUP]}).json
    mm.eq(_event(w["id"])[1], "public_profile", "publicProfile false: public_profile")
    w = post(with_settings({"showInFeed": True, "publicProfile": True}),
             {"exercises": [PUSHUP]}).json
    mm.eq(_event(w["id"])[1], "public_anon", "both true: public_anon")
    w = post(with_settings({"showInFeed": False, "publicProfile": False}),
             {"exercises": [PUSHUP]}).json
    mm.eq(_event(w["id"])[1], "private", "showInFeed wins")


def _redis(*args):
    out = subprocess.run(["redis-cli", "-p", str(mm.REDIS_PORT), "--raw"] + list(args),
                         capture_output=True, text=True, timeout=10)
    return out.stdout.strip()


def _redis_enabled():
    return mm.Client().get("/api/health").json.get("redis") == "connected"


def test_exercise_selection_counters():
    if not _redis_enabled():
        print("     SKIP exercise counters: Redis is not enabled on this stack")
        return
    uid, tok, _ = mm.create_user(trial=True)
    eid = "bw-pushup"

    def total():
        now = datetime.datetime.now(datetime.timezone.utc)
        n = 0
        for back in (0, 1):
            key = "now:exercise:selected:" + (now - datetime.timedelta(minutes=back)).strftime("%Y%m%d%H%M")
            n += int(_redis("HGET", key, eid) or 0)
        return n

    before = total()
    mm.status(post(mm.Client(tok), {"exercises": [PUSHUP, PUSHUP]}), 201)
    mm.eq(total() - before, 2, "HINCRBY per exercise entry")
    key = "now:exercise:selected:" + datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%d%H%M")
    ttl = int(_redis("TTL", key) or -2)
    mm.check(0 < ttl <= 1800, "bucket expires within 1800 s: %r" % ttl)
    # A refused workout counts nothing.
    u2, t2, _ = mm.create_user(trial=False, balance=0)
    before = total()
    mm.error(post(mm.Client(t2), {"exercises": [PUSHUP]}), "INSUFFICIENT_CREDITS", 400)
    mm.eq(total(), before, "no count for a refused workout")


def _subscribe(channel):
    s = socket.create_connection(("127.0.0.1", mm.REDIS_PORT), timeout=5)
    s.sendall(("SUBSCRIBE %s\r\n" % channel).encode())
    buf = b""
    while buf.count(b"\r\n") < 6:
        buf += s.recv(4096)
    return s


def _messages(s, until):
    buf = b""
    s.settimeout(0.2)
    while time.time() < until:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        buf += chunk
    return buf.decode("utf-8", "replace")


def test_event_published_after_commit():
    if not _redis_enabled():
        print("     SKIP publish: Redis is not enabled on this stack")
        return
    uid, tok, username = mm.create_user(trial=False, balance=25)
    s = _subscribe("rt:community")
    try:
        c = mm.Client(tok)
        w = post(c, {"exercises": [PUSHUP], "idempotencyKey": "pub"}).json
        mm.status(post(c, {"exercises": [PUSHUP], "idempotencyKey": "pub"}), 200)
        mm.error(post(c, {"exercises": [PUSHUP]}), "INSUFFICIENT_CREDITS", 400)
        text = _messages(s, time.time() + 1.0)
    finally:
        s.close()
    events = []
    for line in text.split("\r\n"):
        if line.startswith("{"):
            ev = json.loads(line)
            if ev.get("userId") == uid and ev.get("eventType") == "workout_completed":
                events.append(ev)
    mm.eq(len(events), 1, "one event published (none for the replay or the refusal)")
    ev = events[0]
    mm.eq(ev["eventType"], "workout_completed", "eventType")
    mm.eq(ev["payload"]["workoutId"], w["id"], "payload workoutId")
    mm.eq(ev["visibilityScope"], "public_anon", "visibilityScope")
    mm.eq(ev["username"], username, "username")
    mm.check(re.match(r"^evt_[0-9a-f]{32}$", ev["id"]), "event id")
    stored = mm.psql("SELECT id FROM activity_events WHERE payload->>'workoutId' = :'p1';", w["id"])
    mm.eq(ev["id"], stored[0][0], "the stored event")


def test_list_order_pagination_and_filters():
    uid, tok, _ = mm.create_user(trial=True)
    c = mm.Client(tok)
    made = []
    for d in (-2, 0, -5, 0, -1, -10):
        r = post(c, {"exercises": [PUSHUP], "date": today(d)})
        mm.status(r, 201)
        made.append((today(d), r.json["id"]))
        time.sleep(0.002)
    # newest date first, then newest createdAt
    expect = [wid for _, _, wid in sorted(((d, i, wid) for i, (d, wid) in enumerate(made)),
                                          reverse=True)]
    for path in ("/api/workouts", "/api/workouts/me"):
        r = c.get(path)
        mm.status(r, 200)
        mm.eq(set(r.json), {"workouts", "total", "limit", "offset"}, "list keys")
        mm.eq([w["id"] for w in r.json["workouts"]], expect, path + " order")
        mm.eq((r.json["total"], r.json["limit"], r.json["offset"]), (6, 20, 0), "defaults")
        for w in r.json["workouts"]:
            check_workout(w, uid)
    r = c.get("/api/workouts?limit=2&offset=1")
    mm.eq([w["id"] for w in r.json["workouts"]], expect[1:3], "page")
    mm.eq((r.json["total"], r.json["limit"], r.json["offset"]), (6, 2, 1), "page meta")
    r = c.get("/api/workouts/me?limit=100&offset=6")
    mm.eq((r.json["workouts"], r.json["total"]), ([], 6), "past the end")
    r = c.get("/api/workouts?limit=1")
    mm.eq(len(r.json["workouts"]), 1, "limit 1")
    r = c.get("/api/workouts?startDate=%s&endDate=%s" % (today(-5), today(-1)))
    mm.eq(sorted(w["date"] for w in r.json["workouts"]), [today(-5), today(-2), today(-1)],
          "inclusive date range")
    mm.eq(r.json["total"], 3, "total counts matching rows")
    r = c.get("/api/workouts?startDate=%s" % today())
    mm.eq(r.json["total"], 2, "startDate only")
    r = c.get("/api/workouts/me?endDate=%s" % today(-10))
    mm.eq(r.json["total"], 1, "endDate only")
    for q in ("limit=0", "limit=101", "limit=abc", "limit=-1", "limit=1.5", "offset=-1",
              "offset=x", "startDate=2025-02-30", "startDate=yesterday", "endDate=2025-1-01",
              "endDate=20250101"):
        for path in ("/api/workouts", "/api/workouts/me"):
            mm.error(c.get(path + "?" + q), "VALIDATION_ERROR", 400)
    # Another user's workouts never show.
    u2, t2, _ = mm.create_user(trial=True)
    mm.eq(mm.Client(t2).get("/api/workouts").json["total"], 0, "own workouts only")


def test_get_by_id_visibility():
    uid, tok, _ = mm.create_user(trial=True)
    c = mm.Client(tok)
    public = post(c, {"exercises": [PUSHUP]}).json
    private = post(c, {"exercises": [PUSHUP], "isPublic": False}).json
    mm.eq(c.get("/api/workouts/" + private["id"]).json, private, "owner sees a private workout")
    mm.eq(c.get("/api/workouts/" + public["id"]).json, public, "owner sees a public one")
    u2, t2, _ = mm.create_user(trial=True)
    other = mm.Client(t2)
    mm.eq(other.get("/api/workouts/" + public["id"]).json, public, "anyone sees a public one")
    mm.error(other.get("/api/workouts/" + private["id"]), "NOT_FOUND", 404)
    mm.error(c.get("/api/workouts/workout_00000000000000000000000000000000"), "NOT_FOUND", 404)
    mm.error(mm.Client().get("/api/workouts/" + public["id"]), "UNAUTHORIZED", 401)


def test_stats_windows():
    uid, tok, _ = mm.create_user(trial=True)
    c = mm.Client(tok)
    empty = c.get("/api/workouts/me/stats")
    mm.status(empty, 200)
    zero = {"workoutCount": 0, "totalTu": 0}
    mm.eq(empty.json, {"allTime": zero, "thisWeek": zero, "thisMonth": zero}, "empty stats")
    for d in (0, -6, -7, -29, -30, -100):
        mm.status(post(c, {"exercises": [PUSHUP], "date": today(d)}), 201)
    s = c.get("/api/workouts/me/stats").json
    mm.eq(s["allTime"], {"workoutCount": 6, "totalTu": 550.02}, "all time")
    mm.eq(s["thisWeek"], {"workoutCount": 2, "totalTu": 183.34}, "last 7 days incl. today")
    mm.eq(s["thisMonth"], {"workoutCount": 4, "totalTu": 366.68}, "last 30 days incl. today")


def test_muscles_window():
    uid, tok, _ = mm.create_user(trial=True)
    c = mm.Client(tok)
    r = c.get("/api/workouts/me/muscles")
    mm.status(r, 200)
    mm.eq(r.json, {"days": 7, "muscleActivations": {}}, "empty")
    for d in (0, -6, -7):
        mm.status(post(c, {"exercises": [PUSHUP], "date": today(d)}), 201)
    r = c.get("/api/workouts/me/muscles").json
    mm.eq(r["days"], 7, "default days")
    mm.eq(r["muscleActivations"], {m: round(v * 2, 2) for m, v in PUSHUP_X3.items()},
          "two workouts in the last 7 days")
    r = c.get("/api/workouts/me/muscles?days=1").json
    mm.eq(r, {"days": 1, "muscleActivations": PUSHUP_X3}, "today only")
    r = c.get("/api/workouts/me/muscles?days=365").json
    mm.eq(r["muscleActivations"]["chest-mid"], 35.01, "all three (3 x 11.67)")
    for q in ("days=0", "days=366", "days=x", "days=-1", "days=7.5"):
        mm.error(c.get("/api/workouts/me/muscles?" + q), "VALIDATION_ERROR", 400)


def test_preview_stores_and_charges_nothing():
    uid, tok, _ = mm.create_user(trial=False, balance=0)
    c = mm.Client(tok)
    r = c.post("/api/workouts/preview", {"exercises": [PUSHUP], "idempotencyKey": "p"})
    mm.status(r, 200)
    mm.eq(r.json, {"totalTu": 91.67, "muscleActivations": PUSHUP_X3}, "preview")
    mm.eq(workouts_of(uid), 0, "nothing stored")
    mm.eq(events_of(uid), 0, "no event")
    mm.eq(ledger_of(uid), 0, "nothing charged")
    err = mm.error(c.post("/api/workouts/preview", {"exercises": [{"exerciseId": "nope-x", "sets": 1}]}),
                   "VALIDATION_ERROR", 400)
    mm.check("nope-x" in err["message"], "unknown exercise named")
    for body in ({}, {"exercises": []}, {"exercises": [{"exerciseId": "bw-pushup", "sets": 0}]}):
        mm.error(c.post("/api/workouts/preview", body), "VALIDATION_ERROR", 400)


def test_legacy_complete():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    c = mm.Client(tok)
    r = c.post("/api/workout/complete", {"anything": [1, 2, 3]})
    mm.status(r, 200)
    mm.eq(r.json, {"ok": True}, "legacy answer")
    mm.status(c.post("/api/workout/complete", {}), 200)
    mm.error(c.request("POST", "/api/workout/complete", raw=b"[1]",
                       headers={"Content-Type": "application/json"}), "VALIDATION_ERROR", 400)
    mm.eq((workouts_of(uid), balance_of(uid)), (0, 100), "no side effects")
    mm.error(mm.Client().post("/api/workout/complete", {}), "UNAUTHORIZED", 401)


def test_auth_and_routing():
    anon = mm.Client()
    bad = mm.Client("not-a-token")
    for method, path in (("POST", "/api/workouts"), ("GET", "/api/workouts"),
                         ("GET", "/api/workouts/me"), ("GET", "/api/workouts/me/stats"),
                         ("GET", "/api/workouts/me/muscles"), ("POST", "/api/workouts/preview"),
                         ("GET", "/api/workouts/workout_x"), ("POST", "/api/workout/complete")):
        body = {"exercises": [PUSHUP]} if method == "POST" else None
        mm.error(anon.request(method, path, body=body), "UNAUTHORIZED", 401)
        mm.error(bad.request(method, path, body=body), "UNAUTHORIZED", 401)
    uid, tok, _ = mm.create_user(trial=True, flags={"banned": True})
    mm.error(mm.Client(tok).post("/api/workouts", {"exercises": [PUSHUP]}), "FORBIDDEN", 403)
    mm.eq(workouts_of(uid), 0, "banned user stores nothing")
    uid, tok, _ = mm.create_user(trial=True)
    r = mm.Client(tok).request("DELETE", "/api/workouts")
    mm.error(r, "METHOD_NOT_ALLOWED", 405)
    mm.error(mm.Client(tok).request("PUT", "/api/workouts/me/stats"), "METHOD_NOT_ALLOWED", 405)


def _workers():
    with open(os.path.join(RUN_DIR, "workouts.pid")) as f:
        master = int(f.read().split()[0])
    out = subprocess.run(["pgrep", "-P", str(master)], capture_output=True, text=True).stdout
    return master, sorted(int(p) for p in out.split())


def test_killed_worker_leaves_nothing_half_written():
    master, workers = _workers()
    mm.check(len(workers) >= 2, "several workers: %r" % workers)
    uid, tok, _ = mm.create_user(trial=False, balance=5000)
    results = []
    lock = threading.Lock()

    def burst(i):
        c = mm.Client(tok)
        for k in range(8):
            r = post(c, {"exercises": [PUSHUP, {"exerciseId": "bw-squat", "sets": 2}],
                         "idempotencyKey": "burst-%d-%d" % (i, k)})
            with lock:
                results.append(r)

    t = threading.Thread(target=lambda: mm.parallel(24, burst))
    t.start()
    time.sleep(0.25)
    victim = workers[0]
    os.kill(victim, signal.SIGKILL)
    t.join()

    # The supervisor replaced the worker.
    deadline = time.time() + 5
    while time.time() < deadline:
        _, now = _workers()
        if victim not in now and len(now) == len(workers):
            break
        time.sleep(0.1)
    mm.check(victim not in now, "killed worker is gone")
    mm.eq(len(now), len(workers), "worker count restored")

    statuses = [r.status for r in results]
    mm.check(all(s in (201, 502, 503) for s in statuses), "only 201 or a lost worker: %r"
             % sorted(set(statuses)))
    created = {r.json["id"] for r in results if r.status == 201}
    stored = {row[0] for row in mm.psql("SELECT id FROM workouts WHERE user_id = :'p1';", uid)}
    mm.check(created <= stored, "every 201 is stored")
    mm.check(len(stored) <= len(results), "no more workouts than requests")
    # Every workout has exactly its ledger row and its event; every ledger
    # row has its workout.
    orphans = mm.psql(
        "SELECT w.id FROM workouts w WHERE w.user_id = :'p1' AND ("
        " (SELECT count(*) FROM credit_ledger l WHERE l.metadata->>'workoutId' = w.id"
        "   AND l.action = 'workout' AND l.amount = -25) <> 1 OR"
        " (SELECT count(*) FROM activity_events e WHERE e.payload->>'workoutId' = w.id"
        "   AND e.event_type = 'workout_completed') <> 1);", uid)
    mm.eq(orphans, [], "workouts without exactly one ledger row and one event")
    lonely = mm.psql(
        "SELECT l.id FROM credit_ledger l WHERE l.user_id = :'p1' AND l.action = 'workout' "
        "AND NOT EXISTS (SELECT 1 FROM workouts w WHERE w.id = l.metadata->>'workoutId');", uid)
    mm.eq(lonely, [], "ledger rows without a workout")
    lonely = mm.psql(
        "SELECT e.id FROM activity_events e WHERE e.user_id = :'p1' "
        "AND e.event_type = 'workout_completed' "
        "AND NOT EXISTS (SELECT 1 FROM workouts w WHERE w.id = e.payload->>'workoutId');", uid)
    mm.eq(lonely, [], "events without a workout")
    mm.eq(mm.ledger_invariant(uid), 5000 - 25 * len(stored), "balance matches the workouts")
    # The stack serves again.
    mm.status(post(mm.Client(tok), {"exercises": [PUSHUP]}), 201)


def _psql_session():
    user = "postgres" if os.getuid() == 0 else os.environ.get("USER", "postgres")
    return subprocess.Popen(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                             "-h", "127.0.0.1", "-p", str(mm.PG_PORT), "-U", user, "-d", "musclemap"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)


def _worker_of_port(port):
    """The pid of the process whose TCP connection to PostgreSQL has this
    local port."""
    out = subprocess.run(["ss", "-tnpH"], capture_output=True, text=True).stdout
    for line in out.splitlines():
        if re.search(r"127\.0\.0\.1:%d\s+127\.0\.0\.1:%d\s" % (port, mm.PG_PORT), line):
            m = re.search(r"pid=(\d+)", line)
            if m:
                return int(m.group(1))
    return None


def test_worker_killed_inside_its_transaction_commits_nothing():
    """Deterministic variant: the worker is killed while its transaction
    has inserted the workout and waits for the balance row (held by another
    session), so the kill lands inside the transaction."""
    master, workers = _workers()
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    holder = _psql_session()
    result = {}
    try:
        holder.stdin.write("BEGIN;\nSELECT balance FROM credit_balances WHERE user_id = '%s' "
                           "FOR UPDATE;\n" % uid)
        holder.stdin.flush()
        holder.stdout.readline()
        t = threading.Thread(target=lambda: result.setdefault(
            "r", post(mm.Client(tok), {"exercises": [PUSHUP], "idempotencyKey": "inside"})))
        t.start()
        row = None
        deadline = time.time() + 10
        while time.time() < deadline and not row:
            row = mm.psql("SELECT pid, client_port FROM pg_stat_activity "
                          "WHERE application_name = 'workouts' AND state = 'active' "
                          "AND wait_event_type = 'Lock';")
            time.sleep(0.05)
        mm.check(row, "a workouts transaction waits for the balance row")
        backend, port = int(row[0][0]), int(row[0][1])
        victim = _worker_of_port(port)
        mm.check(victim in workers, "the waiting connection belongs to a worker: %r" % victim)
        os.kill(victim, signal.SIGKILL)
        t.join(30)
    finally:
        holder.stdin.write("COMMIT;\n")
        holder.stdin.close()
        holder.wait(10)
    mm.error(result["r"], "SERVICE_UNAVAILABLE", 502)
    deadline = time.time() + 10
    while time.time() < deadline and mm.psql(
            "SELECT 1 FROM pg_stat_activity WHERE pid = %d;" % backend):
        time.sleep(0.05)
    mm.eq(workouts_of(uid), 0, "the uncommitted workout is gone")
    mm.eq(events_of(uid), 0, "no event")
    mm.eq(ledger_of(uid), 1, "no charge")
    mm.eq(mm.ledger_invariant(uid), 100, "balance untouched")
    deadline = time.time() + 5
    while time.time() < deadline:
        _, now = _workers()
        if victim not in now and len(now) == len(workers):
            break
        time.sleep(0.1)
    mm.check(victim not in now and len(now) == len(workers), "the supervisor replaced the worker")
    # The key is unused and the user's queue lock died with the session.
    r = post(mm.Client(tok), {"exercises": [PUSHUP], "idempotencyKey": "inside"})
    mm.status(r, 201)
    mm.eq(mm.ledger_invariant(uid), 75, "charged once now")


def test_workout_crossing_a_level_emits_level_up_once():
    """§6.5 after §4.2 step 5: logging the workout that crosses a level
    threshold raises current_level and emits one level_up event."""
    uid, tok, _ = mm.create_user(trial=True)
    c = mm.Client(tok)
    mm.status(c.post("/api/journey/select-archetype", {"archetypeId": "bodybuilder"}), 200)
    # Two entries of 100 sets of push-ups: about 611 TU a workout.
    big = {"exercises": [{"exerciseId": "bw-pushup", "sets": 100},
                         {"exerciseId": "bw-pushup", "sets": 100}]}
    total = 0.0
    for i in range(6):
        r = c.post("/api/workouts", dict(big, idempotencyKey="lvl-%d" % i))
        mm.status(r, 201)
        total += r.json["totalTu"]
        if total >= 1000:
            break
    mm.check(total >= 1000, "crossed the level-2 threshold (%.2f TU)" % total)
    j = c.get("/api/journey").json
    mm.check(j["level"] >= 2, "journey level: %r" % j)
    rows = mm.psql("SELECT payload->>'level' FROM activity_events WHERE user_id = :'p1' "
                   "AND event_type = 'level_up' ORDER BY 1;", uid)
    levels = [int(r[0]) for r in rows]
    mm.eq(levels, list(range(2, j["level"] + 1)), "one level_up per level reached")
    cur = mm.psql("SELECT current_level FROM users WHERE id = :'p1';", uid)[0][0]
    mm.eq(int(cur), j["level"], "users.current_level")


def test_wait_durable_flushes_an_asynchronous_commit():
    # db_exec_queued() commits a user's workout with synchronous_commit off,
    # so that the user's next workout need not wait for the disk, and only
    # answers after db_wait_durable(): when that returns, the WAL must be
    # flushed past the earlier asynchronous commit.
    rows = mm.psql(
        "BEGIN; SET LOCAL synchronous_commit TO off;\n"
        "SELECT pg_logical_emit_message(true, 'musclemap-test', 'async') IS NOT NULL;\n"
        "COMMIT;\n"
        "SELECT pg_current_wal_insert_lsn() AS lsn \\gset\n"
        "SELECT db_wait_durable();\n"
        "SELECT pg_current_wal_flush_lsn() >= :'lsn'::pg_lsn, current_setting('synchronous_commit');\n")
    mm.eq(rows[-1], ["t", "on"], "flushed past the asynchronous commit; the session stays synchronous")
