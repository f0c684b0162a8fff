"""Tips, milestones, insights and progression (contract §10) through nginx.

Workouts are inserted straight into the database (the workouts binary is
built elsewhere); their muscle activations are computed from the catalog as
§4.1 does, so the numbers the endpoints report can be checked exactly.
"""
import csv
import json
import os
import re

import mm

DATA = os.path.join(mm.ROOT, "sql", "data")
TIP_KEYS = {"id", "triggerType", "triggerValue", "category", "title", "content",
            "priority", "displayContext"}
MILESTONE_KEYS = {"id", "name", "description", "category", "conditionType",
                  "conditionValue", "target", "progress", "completed", "completedAt",
                  "rewardCredits", "rewardClaimed", "badgeIcon"}
EVENT_KEYS = {"id", "eventType", "userId", "username", "displayName", "payload",
              "visibilityScope", "createdAt"}
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
PUSHUPS = [{"exerciseId": "bw-pushup", "sets": 3, "reps": 10, "weight": None,
            "duration": None, "notes": None}]


def rows(name):
    with open(os.path.join(DATA, name + ".csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def add_workout(uid, days_ago=0, entries=None, acts=None, public=True):
    """Inserts a workout dated days_ago (UTC); muscle activations are
    computed from the catalog (§4.1) unless given. Returns (id, totalTu)."""
    entries = PUSHUPS if entries is None else entries
    row = mm.psql(
        "WITH e AS (SELECT x->>'exerciseId' AS ex, (x->>'sets')::numeric AS s "
        "             FROM jsonb_array_elements(:'p2'::jsonb) x), "
        "a AS (SELECT ea.muscle_id, sum(e.s * ea.activation / m.bias_weight) AS v "
        "        FROM e JOIN exercise_activations ea ON ea.exercise_id = e.ex "
        "        JOIN muscles m ON m.id = ea.muscle_id WHERE ea.activation > 0 "
        "       GROUP BY 1), "
        "acts AS (SELECT COALESCE(NULLIF(:'p4', '')::jsonb, (SELECT COALESCE("
        "           jsonb_object_agg(muscle_id, round(v::numeric, 2)), '{}') FROM a)) AS j) "
        "INSERT INTO workouts (user_id, date, total_tu, credits_used, exercise_data, "
        "    muscle_activations, is_public) "
        "SELECT :'p1', (now() AT TIME ZONE 'UTC')::date - :p3::int, "
        "       (SELECT round(COALESCE(sum(value::numeric), 0), 2) "
        "          FROM acts, jsonb_each_text(acts.j)), 0, :'p2'::jsonb, acts.j, :p5 "
        "  FROM acts RETURNING id, total_tu;",
        uid, json.dumps(entries), str(days_ago), json.dumps(acts) if acts else "",
        "true" if public else "false")
    return row[0][0], float(row[0][1])


def user(archetype=None, level=None, **kw):
    uid, tok, name = mm.create_user(**kw)
    if archetype:
        mm.psql("UPDATE users SET current_archetype_id = :'p2' WHERE id = :'p1';",
                uid, archetype)
    if level:
        mm.psql("UPDATE users SET current_level = :p2 WHERE id = :'p1';", uid, str(level))
    return uid, mm.Client(tok), name


def milestone_events(uid):
    return mm.psql("SELECT payload->>'milestoneId', visibility_scope, payload::text "
                   "FROM activity_events WHERE user_id = :'p1' "
                   "AND event_type = 'milestone_achieved' ORDER BY 1;", uid)


def balance(uid):
    return int(mm.psql("SELECT balance FROM credit_balances WHERE user_id = :'p1';",
                       uid)[0][0])


def ledger(uid, action):
    return mm.psql("SELECT amount, balance_after, idempotency_key, metadata::text "
                   "FROM credit_ledger WHERE user_id = :'p1' AND action = :'p2';",
                   uid, action)


def by_id(items):
    return {i["id"]: i for i in items}


class custom_milestone:
    """A milestone that exists for one test only."""

    def __init__(self, ctype="custom", threshold=5, reward=7):
        self.id = mm.unique("ms_test_")
        self.ctype, self.threshold, self.reward = ctype, threshold, reward

    def __enter__(self):
        mm.psql("INSERT INTO milestones (id, name, description, category, condition_type, "
                "condition_value, threshold, reward_credits) VALUES (:'p1', 'Test ' || :'p1', "
                "'A test milestone', 'test', :'p2', jsonb_build_object('threshold', :p3::int), "
                ":p3::int, :p4::int);", self.id, self.ctype, str(self.threshold),
                str(self.reward))
        return self.id

    def __exit__(self, *exc):
        mm.psql("DELETE FROM milestones WHERE id = :'p1';", self.id)


# ---------------------------------------------------------------- §10.1 tips

def test_tips_anonymous_list_shape_and_priority_order():
    c = mm.Client()
    r = c.get("/api/tips?limit=50")
    mm.status(r, 200)
    tips = r.json["tips"]
    ref = {t["id"]: t for t in rows("tips")}
    mm.eq(len(tips), len(ref), "every tip (limit 50 > 32)")
    for t in tips:
        mm.eq(set(t), TIP_KEYS, "tip keys")
        src = ref[t["id"]]
        mm.eq(t["triggerType"], src["trigger_type"], "triggerType")
        mm.eq(t["triggerValue"], src["trigger_value"] or None, "triggerValue")
        mm.eq(t["priority"], int(src["priority"]), "priority")
        mm.eq(t["displayContext"], json.loads(src["display_context"]), "displayContext")
        mm.eq(t["title"], src["title"], "title")
    prios = [t["priority"] for t in tips]
    mm.eq(prios, sorted(prios, reverse=True), "highest priority first")
    r = c.get("/api/tips")
    mm.eq(len(r.json["tips"]), 5, "default limit 5")
    mm.eq([t["id"] for t in r.json["tips"]], [t["id"] for t in tips[:5]], "same order")


def test_tips_filters_are_exact_matches():
    c = mm.Client()
    ex = c.get("/api/tips?triggerType=exercise&limit=50").json["tips"]
    mm.check(ex and all(t["triggerType"] == "exercise" for t in ex), "triggerType filter")
    mm.eq(len(ex), sum(1 for t in rows("tips") if t["trigger_type"] == "exercise"), "count")
    one = c.get("/api/tips?triggerType=exercise&triggerValue=bw-pushup").json["tips"]
    mm.eq([t["id"] for t in one], ["tip_ex_pushup_line"], "triggerValue filter")
    nut = c.get("/api/tips?category=nutrition&limit=50").json["tips"]
    mm.check(nut and all(t["category"] == "nutrition" for t in nut), "category filter")
    dash = c.get("/api/tips?context=dashboard&limit=50").json["tips"]
    mm.eq({t["id"] for t in dash},
          {t["id"] for t in rows("tips") if "dashboard" in json.loads(t["display_context"])},
          "context is an element of displayContext")
    both = c.get("/api/tips?context=post_workout&category=recovery&limit=50").json["tips"]
    mm.check(both and all(t["category"] == "recovery" and "post_workout" in t["displayContext"]
                          for t in both), "filters combine with AND")
    mm.eq(c.get("/api/tips?triggerType=nope").json, {"tips": []}, "no match")
    mm.eq(c.get("/api/tips?triggerValue=BW-PUSHUP").json, {"tips": []}, "exact, case-sensitive")


def test_tips_limit_validation():
    c = mm.Client()
    for bad in ("0", "51", "-1", "abc", "1.5", "5x"):
        mm.error(c.get("/api/tips?limit=" + bad), "VALIDATION_ERROR", 400)
    mm.eq(len(c.get("/api/tips?limit=1").json["tips"]), 1, "limit 1")
    mm.eq(len(c.get("/api/tips?limit=50").json["tips"]), 32, "limit 50")


def test_tips_optional_auth_rejects_a_bad_token():
    mm.error(mm.Client("not-a-token").get("/api/tips"), "UNAUTHORIZED", 401)
    uid, _, _ = mm.create_user()
    expired = mm.make_token(uid, ttl=-10)
    mm.error(mm.Client(expired).get("/api/tips"), "UNAUTHORIZED", 401)
    banned, tok, _ = mm.create_user(flags={"banned": True})
    mm.error(mm.Client(tok).get("/api/tips"), "FORBIDDEN", 403)


# ------------------------------------------------------- §10.3 seen / dismiss

def test_seen_and_dismissed_tips_never_return():
    uid, c, _ = user()
    anon = mm.Client()
    ids = [t["id"] for t in c.get("/api/tips?limit=50").json["tips"]]
    mm.check("tip_recovery_sleep" in ids and "tip_nutrition_protein" in ids, "listed first")
    r = c.post("/api/tips/tip_recovery_sleep/seen")
    mm.status(r, 200)
    mm.eq(r.json, {"success": True}, "seen answer")
    mm.eq(c.post("/api/tips/tip_recovery_sleep/seen").json, {"success": True}, "idempotent")
    r = c.post("/api/tips/tip_nutrition_protein/dismiss")
    mm.status(r, 200)
    mm.eq(r.json, {"success": True}, "dismiss answer")
    mm.eq(c.post("/api/tips/tip_nutrition_protein/dismiss").json, {"success": True}, "again")
    mm.eq(c.post("/api/tips/tip_recovery_sleep/dismiss").json, {"success": True},
          "dismiss after seen")
    after = [t["id"] for t in c.get("/api/tips?limit=50").json["tips"]]
    mm.check("tip_recovery_sleep" not in after and "tip_nutrition_protein" not in after,
             "hidden from §10.1")
    mm.eq(len(after), len(ids) - 2, "only those two are hidden")
    for ctx in ("post_workout", "dashboard"):
        got = [t["id"] for t in c.get("/api/tips/contextual?context=" + ctx).json["tips"]]
        mm.check("tip_recovery_sleep" not in got and "tip_nutrition_protein" not in got,
                 "hidden from §10.2 " + ctx)
    mm.check("tip_recovery_sleep" in [t["id"] for t in anon.get("/api/tips?limit=50").json["tips"]],
             "other callers still see it")
    mm.eq(mm.psql("SELECT tip_id, dismissed FROM user_tips_seen WHERE user_id = :'p1' "
                  "ORDER BY 1;", uid),
          [["tip_nutrition_protein", "t"], ["tip_recovery_sleep", "t"]], "stored once each")


def test_seen_and_dismiss_errors():
    _, c, _ = user()
    mm.error(c.post("/api/tips/tip_nope/seen"), "NOT_FOUND", 404)
    mm.error(c.post("/api/tips/tip_nope/dismiss"), "NOT_FOUND", 404)
    mm.error(mm.Client().post("/api/tips/tip_recovery_sleep/seen"), "UNAUTHORIZED", 401)
    mm.error(mm.Client().post("/api/tips/tip_recovery_sleep/dismiss"), "UNAUTHORIZED", 401)
    r = c.get("/api/tips/tip_recovery_sleep/seen")
    mm.error(r, "METHOD_NOT_ALLOWED", 405)
    mm.check("POST" in (r.header("Allow") or ""), "Allow lists POST")


# ------------------------------------------------------------ §10.2 contextual

def contextual(c, ctx=None):
    r = c.get("/api/tips/contextual" + ("?context=" + ctx if ctx else ""))
    mm.status(r, 200)
    tips = r.json["tips"]
    mm.check(len(tips) <= 5, "at most 5")
    for t in tips:
        mm.eq(set(t), TIP_KEYS, "tip keys")
        if ctx:
            mm.check(ctx in t["displayContext"], "context %s in %r" % (ctx, t))
    prios = [t["priority"] for t in tips]
    mm.eq(prios, sorted(prios, reverse=True), "priority order")
    return [t["id"] for t in tips]


def test_contextual_requires_auth_and_validates():
    mm.error(mm.Client().get("/api/tips/contextual"), "UNAUTHORIZED", 401)
    _, c, _ = user()
    mm.error(c.get("/api/tips/contextual?context=" + "x" * 65), "VALIDATION_ERROR", 400)
    mm.eq(c.get("/api/tips/contextual?context=nowhere").json, {"tips": []}, "unknown context")


def test_contextual_new_user_gets_general_tips_for_their_level():
    _, c, _ = user()
    dash = contextual(c, "dashboard")
    ref = {t["id"]: t for t in rows("tips")}
    mm.check(dash, "some dashboard tips")
    mm.check(all(ref[t]["trigger_type"] == "random" for t in dash),
             "no workouts, milestones, goals or archetype: only general tips")
    mm.check("tip_motivation_consistency" in dash, "max_level 3 includes level 1")
    mm.check("tip_recovery_deload" not in dash, "min_level 3 excludes level 1")
    _, c4, _ = user(level=4)
    dash4 = contextual(c4, "dashboard")
    mm.check("tip_recovery_deload" in dash4, "min_level 3 includes level 4")
    mm.check("tip_motivation_consistency" not in dash4, "max_level 3 excludes level 4")
    mm.check(not any(ref[t]["trigger_type"] == "exercise" for t in contextual(c, "during_exercise")),
             "no exercise tips without logged exercises")


def test_contextual_follows_exercises_muscles_and_milestones():
    uid, c, _ = user()
    add_workout(uid, 0)
    during = contextual(c, "during_exercise")
    mm.check("tip_ex_pushup_line" in during, "exercise logged today: its tip")
    mm.check("tip_ex_pullup_start" not in during, "not logged: no tip")
    mm.check("tip_muscle_core" in contextual(c, "between_sets"),
             "Core trained (push-ups work the serratus): its muscle tip")
    mm.check("tip_muscle_glutes" not in during, "one workout: nothing counts as neglected yet")
    post = contextual(c, "post_workout")
    mm.eq(post[0], "tip_milestone_first_workout",
          "the completed first-workout milestone's tip, priority 10, first")
    mm.check("tip_milestone_workouts_10" not in post, "milestone not reached: no tip")
    add_workout(uid, 1)
    during = contextual(c, "during_exercise")
    mm.check("tip_muscle_glutes" in during and "tip_muscle_lats" in during,
             "two workouts without glutes or lats: neglected muscle tips")
    c.post("/api/tips/tip_ex_pushup_line/seen")
    mm.check("tip_ex_pushup_line" not in contextual(c, "during_exercise"), "seen: gone")


def test_contextual_exercise_tips_need_recent_exercises():
    uid, c, _ = user()
    add_workout(uid, 20)
    mm.check("tip_ex_pushup_line" not in contextual(c, "during_exercise"),
             "logged 20 days ago is not recent")
    add_workout(uid, 3, entries=[{"exerciseId": "fw-squat", "sets": 5, "reps": 5}])
    mm.check("tip_ex_squat_depth" in contextual(c, "between_sets"), "squats 3 days ago")


def test_contextual_goal_tips_come_from_archetype_and_prescription():
    uid, c, _ = user(archetype="bodybuilder")
    post = contextual(c, "post_workout")
    mm.check("tip_goal_hypertrophy" in post, "bodybuilder: hypertrophy goal tip")
    mm.check("tip_goal_endurance" not in post, "not an endurance archetype")
    mm.psql("INSERT INTO prescriptions (user_id, constraints, exercises, muscle_coverage, "
            "estimated_duration, actual_duration, credit_cost) VALUES (:'p1', "
            "'{\"goals\":[\"endurance\"]}', '[]', '{}', 600, 600, 0);", uid)
    mm.check("tip_goal_endurance" in contextual(c, "post_workout"),
             "goal of the latest prescription request")


# ---------------------------------------------------------- §10.5 milestones

def test_milestones_shape_for_a_new_user():
    uid, c, _ = user()
    r = c.get("/api/milestones")
    mm.status(r, 200)
    ms = by_id(r.json["milestones"])
    ref = rows("milestones")
    mm.eq(set(ms), {m["id"] for m in ref}, "every milestone")
    for m in ms.values():
        mm.eq(set(m), MILESTONE_KEYS, "milestone keys")
        mm.eq((m["progress"], m["completed"], m["completedAt"], m["rewardClaimed"]),
              (0, False, None, False), m["id"] + " untouched")
    first = ms["ms_first_workout"]
    mm.eq((first["conditionType"], first["conditionValue"], first["target"],
           first["rewardCredits"], first["badgeIcon"], first["name"]),
          ("workouts_completed", {"threshold": 1}, 1, 10, None, "First Workout"), "first workout")
    week = ms["ms_week_streak"]
    mm.eq((week["conditionType"], week["target"], week["rewardCredits"]),
          ("streak_days", 7, 50), "week streak")
    for m in ref:
        mm.eq(ms[m["id"]]["target"], int(m["threshold"]), m["id"] + " target")
        mm.eq(ms[m["id"]]["category"], m["category"], m["id"] + " category")
    mm.eq(milestone_events(uid), [], "no events")
    mm.error(mm.Client().get("/api/milestones"), "UNAUTHORIZED", 401)


def test_first_workout_completes_once_with_one_private_event():
    uid, c, name = user()
    add_workout(uid, 0)
    ms = by_id(c.get("/api/milestones").json["milestones"])
    first = ms["ms_first_workout"]
    mm.eq((first["progress"], first["completed"]), (1, True), "after one workout")
    mm.check(ISO.match(first["completedAt"] or ""), "completedAt ISO: %r" % first["completedAt"])
    mm.eq((ms["ms_workouts_10"]["progress"], ms["ms_workouts_10"]["completed"]), (1, False),
          "10 workouts: 1 of 10")
    ev = milestone_events(uid)
    mm.eq(len(ev), 1, "one event")
    mm.eq(ev[0][:2], ["ms_first_workout", "private"], "milestone_achieved, private")
    mm.eq(json.loads(ev[0][2]), {"milestoneId": "ms_first_workout", "name": "First Workout"},
          "payload")
    again = by_id(c.get("/api/milestones").json["milestones"])["ms_first_workout"]
    mm.eq(again["completedAt"], first["completedAt"], "completion time kept")
    mm.eq(len(milestone_events(uid)), 1, "still one event")


def test_a_logged_workout_completes_the_first_milestone_at_once():
    """§10.6 through the real workout flow: the workouts binary runs the
    milestone refresh after its commit, before it answers."""
    uid, c, name = user()
    r = c.post("/api/workouts", {"exercises": [{"exerciseId": "bw-pushup", "sets": 3}]})
    mm.status(r, 201)
    ev = milestone_events(uid)
    mm.eq([e[0] for e in ev], ["ms_first_workout"], "event written before the answer")
    feed = c.get("/api/community/feed?limit=100")
    mm.status(feed, 200)
    mine = [e for e in feed.json["events"] if e["eventType"] == "milestone_achieved"]
    mm.eq(len(mine), 1, "the owner sees the private milestone event in the feed")
    mm.eq((mine[0]["userId"], mine[0]["visibilityScope"], mine[0]["payload"]),
          (uid, "private", {"milestoneId": "ms_first_workout", "name": "First Workout"}),
          "feed event")
    first = by_id(c.get("/api/milestones").json["milestones"])["ms_first_workout"]
    mm.eq((first["progress"], first["completed"]), (1, True), "progress 1, completed")
    r = c.post("/api/workouts", {"exercises": [{"exerciseId": "bw-pushup", "sets": 3}]})
    mm.status(r, 201)
    mm.eq(len(milestone_events(uid)), 1, "a second workout announces nothing again")
    anon = [e for e in mm.Client().get("/api/community/feed?limit=100").json["events"]
            if e["eventType"] == "milestone_achieved" and
            e["payload"].get("milestoneId") == "ms_first_workout" and e["userId"] == uid]
    mm.eq(anon, [], "nobody else sees it")


def test_milestones_after_activity_returns_feed_events_once():
    uid, c, name = user()
    mm.psql("UPDATE users SET display_name = 'Ada' WHERE id = :'p1';", uid)
    mm.eq(json.loads(mm.psql("SELECT milestones_after_activity(:'p1');", uid)[0][0]), [],
          "nothing yet")
    add_workout(uid, 0)
    out = json.loads(mm.psql("SELECT milestones_after_activity(:'p1');", uid)[0][0])
    mm.eq(len(out), 1, "one new event")
    e = out[0]
    mm.eq(set(e), EVENT_KEYS, "feed event keys")
    mm.check(re.match(r"^evt_[0-9a-f]{32}$", e["id"]), "evt_ id")
    mm.eq((e["eventType"], e["userId"], e["username"], e["displayName"], e["visibilityScope"]),
          ("milestone_achieved", uid, name, "Ada", "private"), "event fields")
    mm.eq(e["payload"], {"milestoneId": "ms_first_workout", "name": "First Workout"}, "payload")
    mm.check(ISO.match(e["createdAt"]), "createdAt")
    mm.eq(mm.psql("SELECT id FROM activity_events WHERE user_id = :'p1';", uid), [[e["id"]]],
          "the stored event")
    mm.eq(json.loads(mm.psql("SELECT milestones_after_activity(:'p1');", uid)[0][0]), [],
          "second call: nothing new")
    mm.eq(json.loads(mm.psql("SELECT milestones_after_activity('user_nobody');")[0][0]), [],
          "unknown user")


def test_progress_is_measured_from_real_activity():
    uid, c, _ = user()
    with custom_milestone("high_fives_sent", 2, 5) as hf, \
            custom_milestone("total_tu", 100, 5) as tu:
        peer, _, _ = mm.create_user()
        for i in range(3):
            add_workout(uid, i, entries=[
                {"exerciseId": "bw-pushup", "sets": 3, "reps": 10},
                {"exerciseId": "cardio-running", "sets": 2, "duration": 600}])
        add_workout(uid, 10, entries=[{"exerciseId": "fw-squat", "sets": 4, "reps": 8}])
        for i in range(2):
            mm.psql("INSERT INTO high_fives (sender_id, recipient_id) VALUES (:'p1', :'p2');",
                    uid, peer)
        mm.psql("INSERT INTO high_fives (sender_id, recipient_id) VALUES (:'p2', :'p1');",
                uid, peer)
        est = {r[0]: int(r[1]) for r in mm.psql(
            "SELECT id, estimated_seconds FROM exercises WHERE id IN ('bw-pushup', 'fw-squat');")}
        total_tu = float(mm.psql("SELECT sum(total_tu::float8) FROM workouts "
                                 "WHERE user_id = :'p1';", uid)[0][0])
        ms = by_id(c.get("/api/milestones").json["milestones"])
        mm.eq(ms["ms_workouts_10"]["progress"], 4, "workouts_completed")
        mm.eq(ms["ms_exercises_100"]["progress"], 7, "exercises_done: entries")
        mm.eq(ms["ms_reps_1000"]["progress"], 3 * 3 * 10 + 4 * 8, "total_reps: sets x reps")
        seconds = 3 * (3 * est["bw-pushup"] + 2 * 600) + 4 * est["fw-squat"]
        mm.eq(ms["ms_hours_10"]["progress"], seconds // 60,
              "total_minutes: sets x duration, else the catalog's seconds per set")
        mm.eq(ms["ms_week_streak"]["progress"], 3, "streak_days: 3 days in a row")
        mm.eq(ms[hf]["progress"], 2, "high_fives_sent: sent, not received")
        mm.eq(ms[hf]["completed"], True, "2 of 2")
        mm.eq(ms[tu]["progress"], int(total_tu), "total_tu")
        mm.eq(ms[tu]["completed"], total_tu >= 100, "total_tu completion")
        got = {e[0] for e in milestone_events(uid)}
        mm.check({"ms_first_workout", hf} <= got, "events for completions: %r" % got)


def test_week_streak_completes_from_seven_days():
    uid, c, _ = user()
    for d in range(1, 8):
        add_workout(uid, d)
    ms = by_id(c.get("/api/milestones").json["milestones"])
    mm.eq((ms["ms_week_streak"]["progress"], ms["ms_week_streak"]["completed"]), (7, True),
          "7 consecutive days up to yesterday")


def test_concurrent_refreshes_emit_each_event_once():
    uid, c, _ = user()
    for d in range(10):
        add_workout(uid, d)
    results = mm.parallel(12, lambda i: c.get("/api/milestones") if i % 2 else
                          mm.psql("SELECT milestones_after_activity(:'p1');", uid))
    for res in results:
        mm.check(not isinstance(res, Exception), "no failure: %r" % res)
    got = [e[0] for e in milestone_events(uid)]
    mm.eq(sorted(got), ["ms_first_workout", "ms_week_streak", "ms_workouts_10"],
          "exactly one event per completed milestone")


# ------------------------------------------------------------- §10.7 claim

def test_claim_pays_once():
    uid, c, _ = user()
    r = c.post("/api/milestones/ms_first_workout/claim")
    mm.error(r, "CONFLICT", 409)
    mm.eq((balance(uid), ledger(uid, "milestone_reward")), (100, []), "409 changes nothing")
    mm.error(c.post("/api/milestones/ms_nope/claim"), "NOT_FOUND", 404)
    mm.error(mm.Client().post("/api/milestones/ms_first_workout/claim"), "UNAUTHORIZED", 401)
    add_workout(uid, 0)
    r = c.post("/api/milestones/ms_first_workout/claim")
    mm.status(r, 200)
    mm.eq(r.json, {"success": True, "milestoneId": "ms_first_workout", "credited": 10,
                   "newBalance": 110, "alreadyClaimed": False}, "first claim")
    led = ledger(uid, "milestone_reward")
    mm.eq(len(led), 1, "one ledger row")
    mm.eq(led[0][:3], ["10", "110", uid + ":milestone:ms_first_workout"], "ledger row")
    mm.eq(json.loads(led[0][3]), {"milestoneId": "ms_first_workout"}, "metadata")
    r = c.post("/api/milestones/ms_first_workout/claim")
    mm.eq(r.json, {"success": True, "milestoneId": "ms_first_workout", "credited": 10,
                   "newBalance": 110, "alreadyClaimed": True}, "second claim")
    mm.psql("SELECT update_credit_balance(:'p1', -30, 'test_spend', NULL, :'p1' || ':spend');",
            uid)
    r = c.post("/api/milestones/ms_first_workout/claim")
    mm.eq((r.json["alreadyClaimed"], r.json["credited"], r.json["newBalance"]), (True, 10, 80),
          "later claim: the current balance")
    mm.eq(len(ledger(uid, "milestone_reward")), 1, "still one ledger row")
    ms = by_id(c.get("/api/milestones").json["milestones"])
    mm.eq(ms["ms_first_workout"]["rewardClaimed"], True, "rewardClaimed")
    mm.error(c.post("/api/milestones/ms_workouts_10/claim"), "CONFLICT", 409)


def test_concurrent_claims_pay_once():
    uid, c, _ = user()
    add_workout(uid, 0)
    results = mm.parallel(10, lambda i: c.post("/api/milestones/ms_first_workout/claim"))
    for r in results:
        mm.check(not isinstance(r, Exception), "request failed: %r" % r)
        mm.status(r, 200)
    firsts = [r for r in results if not r.json["alreadyClaimed"]]
    mm.eq(len(firsts), 1, "exactly one first claim")
    mm.check(all(r.json["credited"] == 10 and r.json["newBalance"] == 110 for r in results),
             "same credited and balance for all")
    mm.eq(len(ledger(uid, "milestone_reward")), 1, "one ledger row")
    mm.eq(balance(uid), 110, "balance")
    mm.eq(len(milestone_events(uid)), 1, "one event")


def test_claim_works_before_any_listing():
    uid, c, _ = user()
    for d in range(7):
        add_workout(uid, d)
    r = c.post("/api/milestones/ms_week_streak/claim")
    mm.status(r, 200)
    mm.eq((r.json["credited"], r.json["newBalance"], r.json["alreadyClaimed"]), (50, 150, False),
          "the claim itself brings progress up to date")


# ---------------------------------------------------------- §10.8 progress

def test_custom_progress_only_grows_and_completes_once():
    uid, c, _ = user()
    with custom_milestone("custom", 5, 7) as mid:
        path = "/api/milestones/%s/progress" % mid
        r = c.post(path, {"progress": 3})
        mm.status(r, 200)
        mm.eq(r.json, {"milestoneId": mid, "progress": 3, "completed": False}, "3 of 5")
        mm.eq(c.post(path, {"progress": 2}).json,
              {"milestoneId": mid, "progress": 3, "completed": False}, "never shrinks")
        mm.error(c.post("/api/milestones/%s/claim" % mid), "CONFLICT", 409)
        mm.eq(c.post(path, {"progress": 5}).json,
              {"milestoneId": mid, "progress": 5, "completed": True}, "completes at target")
        mm.eq(c.post(path, {"progress": 9}).json,
              {"milestoneId": mid, "progress": 9, "completed": True}, "keeps growing")
        mm.eq([e[0] for e in milestone_events(uid)], [mid], "one completion event")
        m = by_id(c.get("/api/milestones").json["milestones"])[mid]
        mm.eq((m["progress"], m["completed"], m["conditionType"]), (9, True, "custom"), "listed")
        r = c.post("/api/milestones/%s/claim" % mid)
        mm.eq((r.json["credited"], r.json["newBalance"]), (7, 107), "claimable")
        mm.eq(c.post(path, {"progress": 0}).json["progress"], 9, "0 accepted, no change")


def test_custom_progress_errors():
    uid, c, _ = user()
    with custom_milestone("custom", 5, 0) as mid:
        path = "/api/milestones/%s/progress" % mid
        for body in ({}, {"progress": "3"}, {"progress": 1.5}, {"progress": -1},
                     {"progress": 1000000001}, {"progress": None}, {"progress": True}):
            mm.error(c.post(path, body), "VALIDATION_ERROR", 400)
        mm.error(c.post(path, raw=b"[1]", headers={"Content-Type": "application/json"}),
                 "VALIDATION_ERROR", 400)
        mm.error(c.post(path, raw=b"{", headers={"Content-Type": "application/json"}),
                 "VALIDATION_ERROR", 400)
        mm.eq(c.post(path, {"progress": 1000000000}).json["progress"], 1000000000, "maximum")
        mm.eq(c.post(path, {"progress": 5}).json["completed"], True, "completed")
        r = c.post("/api/milestones/%s/claim" % mid)
        mm.eq((r.json["credited"], r.json["newBalance"]), (0, 100), "a reward of 0")
    mm.error(c.post("/api/milestones/ms_first_workout/progress", {"progress": 1}),
             "CONFLICT", 409)
    mm.error(c.post("/api/milestones/ms_nope/progress", {"progress": 1}), "NOT_FOUND", 404)
    mm.error(mm.Client().post("/api/milestones/ms_first_workout/progress", {"progress": 1}),
             "UNAUTHORIZED", 401)
    mm.eq(by_id(c.get("/api/milestones").json["milestones"])["ms_first_workout"]["progress"], 0,
          "server-tracked progress untouched")


# ----------------------------------------------------------- §10.4 insights

def insights(c):
    r = c.get("/api/insights")
    mm.status(r, 200)
    mm.eq(set(r.json), {"insights"}, "body")
    out = r.json["insights"]
    for i in out:
        mm.eq(set(i), {"type", "title", "message", "severity", "suggestion"}, "insight keys")
        for k in ("type", "title", "message", "severity", "suggestion"):
            mm.check(isinstance(i[k], str) and i[k].strip(), "%s non-empty: %r" % (k, i))
        mm.check(i["severity"] in ("info", "warning", "success"), "severity")
    return {i["type"]: i for i in out}, out


def test_insights_getting_started_names_the_users_situation():
    mm.error(mm.Client().get("/api/insights"), "UNAUTHORIZED", 401)
    _, c, _ = user()
    got, out = insights(c)
    mm.eq(list(got), ["getting_started"], "only getting started")
    mm.check("First Workout" in got["getting_started"]["message"] and
             "10 credits" in got["getting_started"]["message"], "names the milestone and reward")
    mm.check("archetype" in got["getting_started"]["suggestion"], "suggests choosing one")
    _, c2, _ = user(archetype="runner", level=2)
    got2, _ = insights(c2)
    msg = got2["getting_started"]["message"]
    mm.check("Runner" in msg and "level 2" in msg and "hamstrings" in msg,
             "names the archetype, level and focus: %r" % msg)
    mm.check(got["getting_started"]["message"] != msg, "not canned text")


def test_insights_imbalance_and_missed_groups_use_the_numbers():
    uid, c, _ = user(archetype="bodybuilder")
    add_workout(uid, 0)
    add_workout(uid, 1)
    tu = {r[0]: float(r[1]) for r in mm.psql(
        "SELECT m.muscle_group, round(sum(value::numeric), 1) FROM workouts w, "
        "jsonb_each_text(w.muscle_activations) a JOIN muscles m ON m.id = a.key "
        "WHERE w.user_id = :'p1' GROUP BY 1;", uid)}
    total = float(mm.psql("SELECT round(sum(total_tu::numeric), 1) FROM workouts "
                          "WHERE user_id = :'p1';", uid)[0][0])
    got, out = insights(c)
    mm.eq(out[0]["severity"], "warning", "warnings first")
    imb = [i for i in out if i["type"] == "muscle_imbalance"]
    mm.check(imb, "imbalance found: %r" % out)
    focus = [i for i in imb if "Bodybuilder" in i["message"]]
    mm.check(focus, "judged against the archetype's focus")
    m = focus[0]["message"]
    mm.check("back got 0.0 TU" in m and "legs got 0.0 TU" in m and "%.1f TU" % total in m,
             "names the lagging focus areas and the total: %r" % m)
    pair = [i for i in imb if i["title"] == "Chest outweighs Back"]
    mm.check(pair, "Chest vs Back")
    mm.check("%.1f TU" % tu["Chest"] in pair[0]["message"], "Chest's own number: %r" % pair[0])
    missed = got["missed_muscle_groups"]
    mm.check("Back" in missed["message"] and "Quads" in missed["message"] and
             "Chest" in missed["message"], "trained and missed groups named: %r" % missed)
    mm.check("2 workouts" in missed["message"], "the workout count")
    summary = got["training_summary"]
    mm.check("2 workouts" in summary["message"] and "%.1f TU" % total in summary["message"],
             "the week's numbers: %r" % summary)
    other, oc, _ = user(archetype="bodybuilder")
    add_workout(other, 0, entries=[{"exerciseId": "fw-squat", "sets": 5, "reps": 5}])
    got2, _ = insights(oc)
    mm.check(got2["missed_muscle_groups"]["message"] != missed["message"],
             "another user's data gives another text")


def test_insights_overtraining_by_recovery_time():
    uid, c, _ = user()
    name, rec = mm.psql("SELECT name, recovery_time FROM muscles "
                        "WHERE id = 'triceps-lateral';")[0]
    # 100 TU on a muscle of bias weight 8 = 8 effective sets today.
    add_workout(uid, 0, acts={"triceps-lateral": 100.0})
    got, _ = insights(c)
    ot = got.get("overtraining")
    mm.check(ot, "overtraining found: %r" % list(got))
    mm.eq(ot["severity"], "warning", "a warning")
    mm.check(name in ot["title"] and name in ot["message"], "names the muscle: %r" % ot)
    mm.check("8.0 effective sets" in ot["message"] and "%s hours" % rec in ot["message"],
             "the volume and the recovery time: %r" % ot["message"])
    uid2, c2, _ = user()
    add_workout(uid2, 0, acts={"triceps-lateral": 30.0})
    mm.check("overtraining" not in insights(c2)[0], "2.4 effective sets is not high volume")


def test_insights_streak_risk_inactivity_and_consistency():
    uid, c, _ = user()
    add_workout(uid, 1)
    add_workout(uid, 2)
    add_workout(uid, 3)
    got, _ = insights(c)
    mm.check("3-day streak" in got["streak_risk"]["title"], "streak at risk: %r" % got)
    mm.check("4 days" in got["streak_risk"]["suggestion"], "what today would make it")
    mm.eq(got["consistency"]["severity"], "success", "3 workouts in 7 days")
    mm.check("3 workouts" in got["consistency"]["message"], "the count")
    add_workout(uid, 0)
    mm.check("streak_risk" not in insights(c)[0], "trained today: no risk")
    uid2, c2, _ = user()
    add_workout(uid2, 10)
    got2, _ = insights(c2)
    mm.check("10 days" in got2["inactivity"]["title"], "inactivity: %r" % got2)
    mm.check("1 workout in total" in got2["inactivity"]["message"], "the total")


# -------------------------------------------------------- §10.9 progression

def test_mastery_levels():
    c = mm.Client()
    r = c.get("/api/progression/mastery-levels")
    mm.status(r, 200)
    mm.eq(r.json, {"archetypeId": None, "levels": []}, "anonymous without archetypeId")
    r = c.get("/api/progression/mastery-levels?archetypeId=bodybuilder")
    ref = sorted((int(x["level"]), x["name"], int(x["total_tu"])) for x in rows("archetype_levels")
                 if x["archetype_id"] == "bodybuilder")
    mm.eq(r.json["archetypeId"], "bodybuilder", "archetypeId")
    mm.eq([(l["level"], l["name"], l["totalTu"]) for l in r.json["levels"]], ref, "levels")
    mm.eq(set(r.json["levels"][0]), {"level", "name", "totalTu"}, "level keys")
    mm.eq(r.json["levels"][0]["totalTu"], 0, "level 1 at 0 TU")
    uid, uc, _ = user(archetype="runner")
    mm.eq(uc.get("/api/progression/mastery-levels").json["archetypeId"], "runner",
          "defaults to the caller's archetype")
    mm.eq(uc.get("/api/progression/mastery-levels?archetypeId=climber").json["archetypeId"],
          "climber", "an explicit archetype wins")
    _, nc, _ = user()
    mm.eq(nc.get("/api/progression/mastery-levels").json, {"archetypeId": None, "levels": []},
          "signed in without an archetype")
    mm.error(c.get("/api/progression/mastery-levels?archetypeId=nope"), "NOT_FOUND", 404)
    mm.error(mm.Client("bad").get("/api/progression/mastery-levels"), "UNAUTHORIZED", 401)


def test_achievements_list_completed_milestones():
    mm.error(mm.Client().get("/api/progression/achievements"), "UNAUTHORIZED", 401)
    uid, c, _ = user()
    mm.eq(c.get("/api/progression/achievements").json, {"achievements": []}, "none yet")
    add_workout(uid, 0)
    r = c.get("/api/progression/achievements")
    mm.status(r, 200)
    a = r.json["achievements"]
    mm.eq(len(a), 1, "one achievement")
    mm.eq(set(a[0]), {"milestoneId", "name", "completedAt", "rewardCredits", "rewardClaimed"},
          "keys")
    mm.eq((a[0]["milestoneId"], a[0]["name"], a[0]["rewardCredits"], a[0]["rewardClaimed"]),
          ("ms_first_workout", "First Workout", 10, False), "fields")
    mm.check(ISO.match(a[0]["completedAt"]), "completedAt")
    mm.eq(len(milestone_events(uid)), 1, "the refresh emitted the event")
    c.post("/api/milestones/ms_first_workout/claim")
    mm.eq(c.get("/api/progression/achievements").json["achievements"][0]["rewardClaimed"], True,
          "claimed")


def test_progress_stats():
    mm.error(mm.Client().get("/api/progress/stats"), "UNAUTHORIZED", 401)
    uid, c, _ = user(archetype="powerlifter", level=3)
    mm.eq(c.get("/api/progress/stats").json,
          {"totalWorkouts": 0, "totalTu": 0, "workoutsThisWeek": 0, "streak": 0, "level": 3,
           "currentArchetypeId": "powerlifter"}, "no workouts")
    tus = [add_workout(uid, d)[1] for d in (0, 1, 6, 7, 12)]
    r = c.get("/api/progress/stats")
    mm.status(r, 200)
    s = r.json
    mm.eq(set(s), {"totalWorkouts", "totalTu", "workoutsThisWeek", "streak", "level",
                   "currentArchetypeId"}, "keys")
    mm.eq(s["totalWorkouts"], 5, "all workouts")
    mm.eq(s["totalTu"], round(sum(tus), 2), "total TU")
    mm.eq(s["workoutsThisWeek"], 3, "the last 7 days including today (0, 1, 6 days ago)")
    mm.eq(s["streak"], 2, "today and yesterday")
    mm.eq((s["level"], s["currentArchetypeId"]), (3, "powerlifter"), "level and archetype")
    uid2, c2, _ = user()
    add_workout(uid2, 1)
    add_workout(uid2, 2)
    mm.eq(c2.get("/api/progress/stats").json["streak"], 2, "a streak ending yesterday counts")
