"""Journey and prescriptions (contract §6) and the alternatives (§11.5),
end to end through nginx against the seeded catalog."""
import csv
import datetime
import json
import math
import os
import random

import mm

DATA = os.path.join(mm.ROOT, "sql", "data")
EXERCISE_KEYS = {"id", "name", "type", "difficulty", "description", "cues",
                 "primaryMuscles", "equipmentRequired", "equipmentOptional",
                 "locations", "isCompound", "estimatedSeconds", "restSeconds",
                 "movementPattern"}
RX_KEYS = {"id", "exercises", "warmup", "cooldown", "substitutions", "muscleCoverage",
           "estimatedDuration", "creditCost", "createdAt"}
GYM = ["barbell", "dumbbells", "flat_bench", "adjustable_bench", "squat_rack",
       "cable_machine", "pullup_bar", "kettlebell", "leg_press", "lat_pulldown",
       "leg_curl_machine", "leg_extension_machine", "dip_bars", "bands"]


def rows(name):
    with open(os.path.join(DATA, name + ".csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def today(days=0):
    return (datetime.datetime.now(datetime.timezone.utc).date() +
            datetime.timedelta(days=days)).isoformat()


def add_workout(uid, tu, date=None, acts=None, public=True):
    mm.psql("INSERT INTO workouts (user_id, date, total_tu, credits_used, is_public, "
            "exercise_data, muscle_activations) VALUES (:'p1', :'p2'::date, :'p3'::real, 0, "
            ":'p4'::boolean, '[]', :'p5'::jsonb);",
            uid, date or today(), str(tu), "true" if public else "false",
            json.dumps(acts or {}))


def balance(uid):
    return int(mm.psql("SELECT balance FROM credit_balances WHERE user_id = :'p1';", uid)[0][0])


def ledger(uid, action):
    return mm.psql("SELECT amount, metadata::text FROM credit_ledger WHERE user_id = :'p1' "
                   "AND action = :'p2' ORDER BY created_at;", uid, action)


# The catalog as a client sees it, with the reference activations.
_catalog = {}


def catalog():
    if not _catalog:
        ex = mm.Client().get("/api/exercises").json
        _catalog["ex"] = {e["id"]: e for e in ex}
        _catalog["muscles"] = {m["id"]: m for m in mm.Client().get("/api/muscles").json}
        acts = {}
        for a in rows("exercise_activations"):
            if int(a["activation"]) > 0:
                acts.setdefault(a["exercise_id"], {})[a["muscle_id"]] = int(a["activation"])
        _catalog["acts"] = acts
    return _catalog


def allowed(e, body):
    """The contract's filters (§6.7), from the request body."""
    return (body.get("location", "gym") in e["locations"]
            and all(q in body.get("equipment", []) for q in e["equipmentRequired"])
            and e["id"] not in body.get("excludeExercises", [])
            and not set(e["primaryMuscles"]) & set(body.get("excludeMuscles", [])))


def target_muscles(name):
    ms = catalog()["muscles"]
    for mid in ms:
        if mid.lower() == name.lower():
            return {mid}
    return {mid for mid, m in ms.items() if m["muscleGroup"].lower() == name.lower()}


def check_prescription(body, rx):
    """Every field rule of §6.7 for one answer."""
    cat = catalog()
    mm.eq(set(rx), RX_KEYS, "prescription keys")
    mm.check(rx["id"].startswith("rx_") and len(rx["id"]) == 35, "rx_ id")
    mm.check(rx["exercises"], "at least one exercise")
    mm.check(rx["warmup"] and rx["cooldown"], "warm-up and cool-down entries")
    secs = 0
    ids = [x["exerciseId"] for x in rx["exercises"]]
    mm.eq(len(ids), len(set(ids)), "no exercise twice")
    for x in rx["exercises"]:
        mm.eq(set(x), {"exerciseId", "name", "sets", "reps", "restSeconds", "estimatedSeconds"},
              "exercise entry keys")
        e = cat["ex"][x["exerciseId"]]
        mm.check(allowed(e, body), "%s breaks the filters of %r" % (e["id"], body))
        mm.eq(x["name"], e["name"], "name from the catalog")
        mm.eq(x["estimatedSeconds"], e["estimatedSeconds"], "estimatedSeconds from the catalog")
        mm.check(isinstance(x["sets"], int) and x["sets"] >= 1, "sets")
        mm.check(isinstance(x["reps"], str) and x["reps"], "reps")
        mm.check(isinstance(x["restSeconds"], int) and x["restSeconds"] >= 0, "rest")
        secs += x["sets"] * (x["estimatedSeconds"] + x["restSeconds"])
    for b in rx["warmup"] + rx["cooldown"]:
        mm.eq(set(b), {"exerciseId", "type", "description", "duration"}, "block keys")
        mm.check(b["type"] and b["description"] and b["duration"] > 0, "block fields")
        secs += b["duration"]
    mm.eq(rx["estimatedDuration"], math.ceil(secs / 60), "estimatedDuration formula")
    mm.check(rx["estimatedDuration"] <= body.get("duration", 45),
             "estimatedDuration %d over %d" % (rx["estimatedDuration"], body.get("duration", 45)))
    mm.eq(set(rx["substitutions"]), set(ids), "a substitutions key per main exercise")
    for main, subs in rx["substitutions"].items():
        m = cat["ex"][main]
        for s in subs:
            e = cat["ex"][s]
            mm.check(allowed(e, body), "substitution %s breaks the filters" % s)
            mm.eq(set(e["primaryMuscles"]), set(m["primaryMuscles"]),
                  "substitution %s for %s: primary muscles" % (s, main))
            mm.check(s not in ids, "substitution not in the main list")
    for k, v in rx["muscleCoverage"].items():
        mm.check(k in cat["muscles"], "coverage key %s is a muscle id" % k)
        mm.check(isinstance(v, (int, float)) and v >= 0, "coverage value %r" % v)
    for t in body.get("muscleTargets", []):
        ms = target_muscles(t)
        coverable = any(allowed(e, body) and set(cat["acts"].get(e["id"], {})) & ms
                        for e in cat["ex"].values())
        if coverable:
            mm.check(any(rx["muscleCoverage"].get(m, 0) > 0 for m in ms),
                     "target %s covered in %r" % (t, rx["muscleCoverage"]))
    worked = set()
    for x in rx["exercises"]:
        worked |= set(cat["acts"].get(x["exerciseId"], {}))
    for m in worked:
        mm.check(rx["muscleCoverage"].get(m, 0) > 0, "worked muscle %s has coverage" % m)


def plan_of(rx):
    return {k: rx[k] for k in RX_KEYS - {"id", "createdAt", "creditCost"}}


# §6.1, §6.2

def test_archetypes_match_reference_data():
    r = mm.Client(token="not-a-token").get("/api/archetypes")
    mm.status(r, 200)
    got = {a["id"]: a for a in r.json}
    ref = rows("archetypes")
    mm.eq(len(r.json), len(ref), "archetype count")
    for a in ref:
        g = got[a["id"]]
        mm.eq(set(g), {"id", "name", "philosophy", "description", "focusAreas", "iconUrl"}, "keys")
        mm.eq(g["name"], a["name"], "name")
        mm.eq(g["philosophy"], a["philosophy"], "philosophy")
        mm.eq(g["description"], a["description"], "description")
        mm.eq(g["focusAreas"], json.loads(a["focus_areas"]), "focusAreas")
        mm.eq(g["iconUrl"], None, "iconUrl")


def test_archetype_levels_sorted_with_thresholds():
    ref = rows("archetype_levels")
    c = mm.Client(token="not-a-token")
    for arch in {l["archetype_id"] for l in ref}:
        r = c.get("/api/archetypes/%s/levels" % arch)
        mm.status(r, 200)
        want = sorted((l for l in ref if l["archetype_id"] == arch), key=lambda l: int(l["level"]))
        mm.eq([l["level"] for l in r.json], [int(l["level"]) for l in want], arch + " order")
        mm.eq(r.json[0]["totalTu"], 0, "level 1 starts at 0")
        for g, w in zip(r.json, want):
            mm.eq(set(g), {"level", "name", "totalTu", "description", "muscleTargets"}, "keys")
            mm.eq(g["name"], w["name"], "level name")
            mm.eq(g["totalTu"], int(w["total_tu"]), "threshold")
            mm.eq(g["muscleTargets"], json.loads(w["muscle_targets"] or "[]"), "targets")
    mm.error(c.get("/api/archetypes/no-such-archetype/levels"), "NOT_FOUND", 404)


# §6.3

def test_select_archetype_both_paths():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    add_workout(uid, 1200)
    for path, arch, name, level, lname in (
            ("/api/archetypes/select", "powerlifter", "Powerlifter", 2, "Gym Rat"),
            ("/api/journey/select-archetype", "bodybuilder", "Bodybuilder", 2, "Pump Apprentice")):
        r = c.post(path, {"archetypeId": arch})
        mm.status(r, 200)
        mm.eq(r.json, {"success": True, "archetype": {"id": arch, "name": name},
                       "level": level, "levelName": lname}, path)
        row = mm.psql("SELECT current_archetype_id, current_level FROM users WHERE id = :'p1';", uid)
        mm.eq(row, [[arch, str(level)]], "stored")
    events = mm.psql("SELECT count(*) FROM activity_events WHERE user_id = :'p1';", uid)
    mm.eq(events, [["0"]], "selecting emits no level_up")


def test_select_archetype_errors():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    for path in ("/api/archetypes/select", "/api/journey/select-archetype"):
        mm.error(mm.Client().post(path, {"archetypeId": "powerlifter"}), "UNAUTHORIZED", 401)
        mm.error(c.post(path, {}), "VALIDATION_ERROR", 400)
        mm.error(c.post(path, {"archetypeId": 7}), "VALIDATION_ERROR", 400)
        mm.error(c.post(path, {"archetypeId": None}), "VALIDATION_ERROR", 400)
        mm.error(c.request("POST", path, raw=b"[]", headers={"Content-Type": "application/json"}),
                 "VALIDATION_ERROR", 400)
        mm.error(c.post(path, {"archetypeId": "no-such-archetype"}), "NOT_FOUND", 404)
        mm.error(c.get(path), "METHOD_NOT_ALLOWED", 405)
    mm.eq(mm.psql("SELECT current_archetype_id IS NULL FROM users WHERE id = :'p1';", uid),
          [["t"]], "nothing changed")


# §6.4

def test_journey_overview_contract_example():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    add_workout(uid, 1500, today(-3))
    add_workout(uid, 500, today(-1), public=False)
    add_workout(uid, 500, today())
    mm.status(c.post("/api/journey/select-archetype", {"archetypeId": "bodybuilder"}), 200)
    r = c.get("/api/journey")
    mm.status(r, 200)
    mm.eq(r.json, {"archetype": {"id": "bodybuilder", "name": "Bodybuilder"}, "level": 2,
                   "levelName": "Pump Apprentice", "totalTu": 2500, "tuToNextLevel": 500,
                   "nextLevelTu": 3000, "progressPercent": 83, "totalWorkouts": 3,
                   "streak": 2}, "§6.4 example (private workouts count)")
    uid2, tok2, _ = mm.create_user()
    add_workout(uid2, 1999.99, today(-9))
    c2 = mm.Client(tok2)
    c2.post("/api/archetypes/select", {"archetypeId": "bodybuilder"})
    j = c2.get("/api/journey").json
    mm.eq((j["totalTu"], j["tuToNextLevel"], j["progressPercent"]), (1999.99, 1000.01, 66),
          "progressPercent is floored (66.67 -> 66)")


def test_journey_overview_top_level_and_no_archetype():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    add_workout(uid, 100000.25, today(-5))
    r = c.get("/api/journey")
    mm.status(r, 200)
    mm.eq(r.json, {"archetype": None, "level": 1, "levelName": None, "totalTu": 100000.25,
                   "tuToNextLevel": None, "nextLevelTu": None, "progressPercent": 0,
                   "totalWorkouts": 1, "streak": 0}, "no archetype")
    mm.psql("UPDATE users SET current_level = 3 WHERE id = :'p1';", uid)
    mm.eq(c.get("/api/journey").json["level"], 3, "no archetype: level is current_level")
    c.post("/api/archetypes/select", {"archetypeId": "runner"})
    j = c.get("/api/journey").json
    mm.eq((j["level"], j["nextLevelTu"], j["tuToNextLevel"], j["progressPercent"]),
          (10, None, 0, 100), "top level")
    mm.error(mm.Client().get("/api/journey"), "UNAUTHORIZED", 401)


# §6.5

def test_level_up_once_from_several_levels_behind_under_concurrency():
    uid, tok, _ = mm.create_user(username=mm.unique("lvl_"))
    c = mm.Client(tok)
    mm.status(c.post("/api/journey/select-archetype", {"archetypeId": "gymnast"}), 200)
    add_workout(uid, 7500)   # levels 2, 3 and 4 at once (1000, 3000, 7000)

    def call(_):
        return json.loads(mm.psql("SELECT journey_after_workout(:'p1');", uid)[0][0])

    results = mm.parallel(8, call)
    for res in results:
        mm.check(isinstance(res, list), "each call answers an array: %r" % (res,))
    events = [e for res in results for e in res]
    mm.eq(sorted(e["payload"]["level"] for e in events), [2, 3, 4],
          "one event per level reached, across all concurrent calls")
    names = {l["level"]: l["name"] for l in c.get("/api/archetypes/gymnast/levels").json}
    for e in events:
        mm.eq(set(e), {"id", "eventType", "userId", "username", "displayName", "payload",
                       "visibilityScope", "createdAt"}, "feed event object")
        mm.eq(e["eventType"], "level_up", "type")
        mm.eq(e["visibilityScope"], "public_profile", "visibility")
        mm.eq(e["userId"], uid, "user")
        mm.eq(e["payload"], {"archetypeId": "gymnast", "level": e["payload"]["level"],
                             "levelName": names[e["payload"]["level"]]}, "payload")
    stored = mm.psql("SELECT payload->>'level' FROM activity_events WHERE user_id = :'p1' "
                     "AND event_type = 'level_up' ORDER BY created_at;", uid)
    mm.eq(stored, [["2"], ["3"], ["4"]], "stored once each, in order")
    mm.eq(call(0), [], "a later call finds nothing")
    j = c.get("/api/journey").json
    mm.eq((j["level"], j["levelName"]), (4, "Lever Learner"), "overview level")
    mm.eq(mm.psql("SELECT current_level FROM users WHERE id = :'p1';", uid), [["4"]],
          "current_level raised")


# §6.6

def test_journey_progress_week_balance_and_streak():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    now = datetime.datetime.now(datetime.timezone.utc).date()
    monday = now - datetime.timedelta(days=now.weekday())
    add_workout(uid, 300, today(), {"chest-mid": 150, "chest-upper": 100, "lats": 50})
    add_workout(uid, 10, today(-1), {"quad-rectus": 10})
    add_workout(uid, 999, (monday - datetime.timedelta(days=1)).isoformat(), {"lats": 999})
    add_workout(uid, 5, today(1), {"soleus": 5})    # tomorrow: not yet
    r = c.get("/api/journey/progress")
    mm.status(r, 200)
    d = r.json
    mm.eq(set(d), {"weeklyProgress", "muscleBalance", "streak"}, "keys")
    w = d["weeklyProgress"]
    mm.eq(w["weekStart"], monday.isoformat(), "weekStart is Monday (UTC)")
    in_week = [x for x in (0, -1) if now + datetime.timedelta(days=x) >= monday]
    mm.eq(w["workouts"], len(in_week), "workouts this week up to today")
    want = {"Chest": 250, "Back": 50} if 0 in in_week else {}
    if -1 in in_week:
        want["Quads"] = 10
    mm.eq(w["muscleActivations"], want, "activations by muscle group")
    mm.eq(w["totalTu"], sum({0: 300, -1: 10}[x] for x in in_week), "weekly TU")
    groups = {m["muscleGroup"] for m in catalog()["muscles"].values()}
    b = d["muscleBalance"]
    mm.eq(set(b), {"overworked", "underworked", "balanced"}, "balance keys")
    listed = b["overworked"] + b["underworked"] + b["balanced"]
    mm.eq(sorted(listed), sorted(groups), "every catalog group exactly once")
    # Chest: 250 TU against a weekly target of 3 x 39 = 117: overworked.
    mm.check("Chest" in b["overworked"], "250 TU of chest in a week is overworked: %r" % b)
    mm.check("Calves" in b["underworked"], "untrained calves are underworked: %r" % b)
    mm.eq(d["streak"], 2, "today and yesterday")
    mm.error(mm.Client().get("/api/journey/progress"), "UNAUTHORIZED", 401)


def test_streak_ends_yesterday_or_breaks():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    for days in (-1, -2, -3, -5):
        add_workout(uid, 1, today(days))
    mm.eq(c.get("/api/journey").json["streak"], 3, "run ending yesterday")
    mm.eq(c.get("/api/journey/progress").json["streak"], 3, "same in progress")
    uid2, tok2, _ = mm.create_user()
    add_workout(uid2, 1, today(-2))
    mm.eq(mm.Client(tok2).get("/api/journey").json["streak"], 0, "a gap yesterday breaks it")


# §6.7

def test_prescription_rules_on_varied_requests():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    bodies = [
        {},
        {"duration": 15},
        {"duration": 120, "equipment": GYM, "goals": ["hypertrophy"], "fitnessLevel": "advanced"},
        {"duration": 60, "equipment": GYM, "muscleTargets": ["chest", "triceps-long"],
         "goals": ["hypertrophy"], "preferCompound": True},
        {"duration": 45, "equipment": GYM, "muscleTargets": ["Quads", "glutes", "HAMSTRINGS"],
         "goals": ["strength"], "fitnessLevel": "intermediate"},
        {"duration": 30, "location": "home", "equipment": ["dumbbells", "bands"],
         "fitnessLevel": "beginner", "preferCompound": False},
        {"duration": 20, "location": "office", "muscleTargets": ["core"]},
        {"duration": 40, "location": "hotel", "goals": ["mobility", "endurance"]},
        {"duration": 25, "location": "travel", "equipment": ["bands"], "goals": ["fat_loss"]},
        {"duration": 35, "location": "park", "equipment": ["pullup_bar", "dip_bars"],
         "muscleTargets": ["back", "lats"], "excludeMuscles": ["biceps-long"]},
        {"duration": 30, "location": "outdoor", "muscleTargets": ["quads"]},
        {"duration": 45, "equipment": GYM, "excludeExercises": ["fw-bench-press", "bw-pushup",
         "no-such-exercise"], "muscleTargets": ["chest-mid"], "excludeMuscles": ["triceps-lateral"]},
    ]
    for i, body in enumerate(bodies):
        path = "/api/prescription/generate" if i % 2 else "/api/v1/prescription/generate"
        r = c.post(path, body)
        mm.status(r, 200)
        check_prescription(body, r.json)
        mm.eq(r.json["creditCost"], 0, "trial users pay nothing")


def test_prescription_covers_every_muscle_in_fifteen_minutes():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    muscles = sorted(catalog()["muscles"])
    for loc, equipment in (("gym", GYM), ("home", []), ("office", ["bands"]), ("park", [])):
        body = {"duration": 15, "location": loc, "equipment": equipment,
                "muscleTargets": muscles}
        r = c.post("/api/prescription/generate", body)
        mm.status(r, 200)
        check_prescription(body, r.json)


def test_prescription_random_requests_keep_every_rule():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    rnd = random.Random(6007)
    equipment = sorted({q for e in catalog()["ex"].values() for q in e["equipmentRequired"]})
    muscles = sorted(catalog()["muscles"])
    groups = sorted({m["muscleGroup"] for m in catalog()["muscles"].values()})
    for _ in range(40):
        body = {"duration": rnd.randint(15, 120),
                "location": rnd.choice(["gym", "home", "outdoor", "park", "hotel", "office",
                                        "travel"]),
                "equipment": rnd.sample(equipment, rnd.randint(0, len(equipment))),
                "muscleTargets": rnd.sample(muscles + groups, rnd.randint(0, 3)),
                "excludeExercises": rnd.sample(sorted(catalog()["ex"]), rnd.randint(0, 5)),
                "excludeMuscles": rnd.sample(muscles, rnd.randint(0, 2)),
                "goals": rnd.sample(["strength", "hypertrophy", "endurance", "mobility",
                                     "fat_loss"], rnd.randint(0, 2))}
        r = c.post("/api/prescription/generate", body)
        if any(allowed(e, body) for e in catalog()["ex"].values()):
            mm.status(r, 200)
            check_prescription(body, r.json)
        else:
            mm.error(r, "VALIDATION_ERROR", 400)


def test_prescription_deterministic_whatever_the_order_and_history():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    body = {"duration": 50, "equipment": ["dumbbells", "barbell", "flat_bench", "pullup_bar"],
            "muscleTargets": ["Back", "chest-mid", "biceps-long"], "goals": ["hypertrophy",
            "strength"], "excludeExercises": ["fw-deadlift", "bw-pullup"]}
    first = c.post("/api/prescription/generate", body).json
    again = c.post("/api/v1/prescription/generate", body).json
    mm.check(first["id"] != again["id"], "two prescriptions")
    mm.eq(plan_of(again), plan_of(first), "same inputs, same plan")
    add_workout(uid, 250, today(), {"lats": 100})
    shuffled = dict(body)
    shuffled["equipment"] = list(reversed(body["equipment"])) + ["barbell"]
    shuffled["muscleTargets"] = ["BICEPS-LONG", "chest-mid", "back"]
    shuffled["goals"] = ["strength", "hypertrophy", "strength"]
    shuffled["excludeExercises"] = ["bw-pullup", "fw-deadlift", "unknown-id"]
    other = mm.create_user()[1]
    for tok_ in (tok, other):
        r = mm.Client(tok_).post("/api/prescription/generate", shuffled)
        mm.status(r, 200)
        mm.eq(plan_of(r.json), plan_of(first), "order, case, duplicates, history, user")


def test_prescription_validation_errors():
    uid, tok, _ = mm.create_user(trial=False, balance=5)
    c = mm.Client(tok)
    bad = [
        {"duration": 14}, {"duration": 121}, {"duration": "45"}, {"duration": 45.5},
        {"location": "mars"}, {"location": "GYM"}, {"location": 3},
        {"equipment": "barbell"}, {"equipment": [1]}, {"equipment": ["x"] * 101},
        {"muscleTargets": ["wings"]}, {"muscleTargets": "chest"}, {"muscleTargets": [None]},
        {"muscleTargets": ["chest"] * 51},
        {"excludeExercises": ["x"] * 201}, {"excludeExercises": [2]},
        {"excludeMuscles": ["not-a-muscle"]}, {"excludeMuscles": ["Chest"]},
        {"excludeMuscles": ["lats"] * 51},
        {"goals": ["flying"]}, {"goals": "strength"},
        {"fitnessLevel": "expert"}, {"fitnessLevel": 1},
        {"preferCompound": "yes"}, {"idempotencyKey": ""}, {"idempotencyKey": "k" * 129},
        {"idempotencyKey": 5},
    ]
    for body in bad:
        for path in ("/api/prescription/generate", "/api/v1/prescription/generate"):
            mm.error(c.post(path, body), "VALIDATION_ERROR", 400)
    for raw in (b"[]", b"", b"{", b"\"x\""):
        mm.error(c.request("POST", "/api/prescription/generate", raw=raw,
                           headers={"Content-Type": "application/json"}), "VALIDATION_ERROR", 400)
    mm.error(mm.Client().post("/api/prescription/generate", {}), "UNAUTHORIZED", 401)
    mm.error(mm.Client(mm.make_token(uid, ttl=-10)).post("/api/v1/prescription/generate", {}),
             "UNAUTHORIZED", 401)
    mm.error(c.get("/api/v1/prescription/generate"), "METHOD_NOT_ALLOWED", 405)
    mm.eq(balance(uid), 5, "nothing charged for bad requests")
    mm.eq(mm.psql("SELECT count(*) FROM prescriptions WHERE user_id = :'p1';", uid), [["0"]],
          "nothing stored")


def test_prescription_nothing_fits_is_400_and_free():
    uid, tok, _ = mm.create_user(trial=False, balance=3)
    c = mm.Client(tok)
    everything = sorted(catalog()["muscles"])
    for body in ({"location": "outdoor", "excludeExercises": [
                    e["id"] for e in catalog()["ex"].values() if "outdoor" in e["locations"]]},
                 {"excludeMuscles": everything}):
        err = mm.error(c.post("/api/prescription/generate", body), "VALIDATION_ERROR", 400)
        mm.check("exercise" in err["message"].lower(), "a clear message: %r" % err["message"])
    mm.eq(balance(uid), 3, "nothing charged")
    mm.eq(ledger(uid, "prescription"), [], "no ledger row")


def test_prescription_charges_the_free_tier_only():
    uid, tok, _ = mm.create_user(trial=False, balance=2)
    c = mm.Client(tok)
    r1 = c.post("/api/prescription/generate", {"duration": 20})
    mm.status(r1, 200)
    mm.eq(r1.json["creditCost"], 1, "free tier pays 1")
    mm.eq(balance(uid), 1, "balance after one")
    r2 = c.post("/api/v1/prescription/generate", {"duration": 20})
    mm.eq(r2.json["creditCost"], 1, "and again")
    mm.eq(balance(uid), 0, "balance after two")
    err = mm.error(c.post("/api/prescription/generate", {"duration": 20}),
                   "INSUFFICIENT_CREDITS", 400)
    mm.eq(err["message"], "You need 1 credits but only have 0", "message")
    rows_ = ledger(uid, "prescription")
    mm.eq(len(rows_), 2, "one ledger row per charged prescription")
    mm.eq(rows_[0][0], "-1", "amount")
    mm.eq(json.loads(rows_[0][1]), {"prescriptionId": r1.json["id"]}, "metadata")
    mm.eq(mm.psql("SELECT count(*) FROM prescriptions WHERE user_id = :'p1';", uid), [["2"]],
          "the refused one is not stored")
    sub_uid, sub_tok, _ = mm.create_user(trial=False, balance=0)
    mm.psql("INSERT INTO subscriptions (user_id, status) VALUES (:'p1', 'active');", sub_uid)
    r = mm.Client(sub_tok).post("/api/prescription/generate", {})
    mm.status(r, 200)
    mm.eq(r.json["creditCost"], 0, "an active subscription is unlimited")
    mm.eq(ledger(sub_uid, "prescription"), [], "no ledger row for unlimited users")


def test_prescription_idempotency_key_replays_once():
    uid, tok, _ = mm.create_user(trial=False, balance=10)
    c = mm.Client(tok)
    first = c.post("/api/prescription/generate", {"duration": 30, "idempotencyKey": "rx-1"})
    mm.status(first, 200)
    again = c.post("/api/v1/prescription/generate", {"duration": 90, "idempotencyKey": "rx-1"})
    mm.status(again, 200)
    mm.eq(again.json, first.json, "the original, whatever the body")
    mm.eq(balance(uid), 9, "charged once")

    def send(_):
        return mm.Client(tok).post("/api/prescription/generate",
                                   {"duration": 40, "idempotencyKey": "rx-2"})
    res = mm.parallel(8, send)
    mm.eq({r.status for r in res}, {200}, "all 200")
    mm.eq(len({r.json["id"] for r in res}), 1, "one prescription for concurrent copies")
    mm.eq(balance(uid), 8, "charged once for the concurrent copies")
    mm.eq(len(ledger(uid, "prescription")), 2, "two ledger rows in all")
    other_uid, other_tok, _ = mm.create_user(trial=False, balance=10)
    r = mm.Client(other_tok).post("/api/prescription/generate",
                                  {"duration": 30, "idempotencyKey": "rx-1"})
    mm.status(r, 200)
    mm.check(r.json["id"] != first.json["id"], "keys are per user")
    mm.eq(balance(other_uid), 9, "the other user is charged")


def test_prescription_trial_concurrency_and_replays():
    uid, tok, _ = mm.create_user(trial=True, balance=5)
    body = {"duration": 45, "equipment": GYM, "muscleTargets": ["chest"], "goals": ["hypertrophy"]}

    def same_key(_):
        return mm.Client(tok).post("/api/prescription/generate",
                                   dict(body, idempotencyKey="rx-trial-1"))
    res = mm.parallel(8, same_key)
    mm.eq([r.status for r in res], [200] * 8, "concurrent copies of a key: all 200")
    mm.eq(len({r.json["id"] for r in res}), 1, "one prescription for the copies")
    mm.eq({r.json["creditCost"] for r in res}, {0}, "unlimited: creditCost 0")
    mm.eq(mm.psql("SELECT count(*) FROM prescriptions WHERE user_id = :'p1';", uid), [["1"]],
          "stored once")
    first = res[0].json

    def new_keys(i):
        return mm.Client(tok).post("/api/v1/prescription/generate",
                                   dict(body, idempotencyKey="rx-trial-many-%d" % i))
    res = mm.parallel(8, new_keys)
    mm.eq([r.status for r in res], [200] * 8, "one user's concurrent prescriptions: all 200")
    mm.eq(len({r.json["id"] for r in res}), 8, "eight prescriptions")
    mm.eq({json.dumps(plan_of(r.json), sort_keys=True) for r in res},
          {json.dumps(plan_of(first), sort_keys=True)}, "the same plan for the same request")

    c = mm.Client(tok)
    nothing_fits = {"location": "outdoor", "excludeExercises": [
        e["id"] for e in catalog()["ex"].values() if "outdoor" in e["locations"]]}
    mm.error(c.post("/api/prescription/generate", nothing_fits), "VALIDATION_ERROR", 400)
    again = c.post("/api/prescription/generate", dict(nothing_fits, idempotencyKey="rx-trial-1"))
    mm.status(again, 200)
    mm.eq(again.json, first, "a replayed key answers the original, even for a body that fits nothing")
    mm.eq(balance(uid), 5, "nothing charged")
    mm.eq(ledger(uid, "prescription"), [], "no ledger row")


# §6.8

def test_prescription_get_owner_only_with_constraints():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    body = {"muscleTargets": ["CHEST", "lats", "chest"], "equipment": ["bands", "barbell"],
            "goals": ["strength"], "excludeExercises": ["zzz", "bw-pushup"],
            "excludeMuscles": ["Rotator-Cuff"], "preferCompound": False}
    rx = c.post("/api/prescription/generate", body).json
    r = c.get("/api/prescription/" + rx["id"])
    mm.status(r, 200)
    got = dict(r.json)
    cons = got.pop("constraints")
    mm.eq(got, rx, "the §6.7 object")
    mm.eq(cons, {"duration": 45, "location": "gym", "equipment": ["bands", "barbell"],
                 "muscleTargets": ["Chest", "lats"], "excludeExercises": ["bw-pushup"],
                 "excludeMuscles": ["rotator-cuff"], "goals": ["strength"],
                 "fitnessLevel": None, "preferCompound": False}, "normalized constraints")
    other = mm.create_user()[1]
    mm.error(mm.Client(other).get("/api/prescription/" + rx["id"]), "NOT_FOUND", 404)
    mm.error(c.get("/api/prescription/rx_00000000000000000000000000000000"), "NOT_FOUND", 404)
    mm.error(c.get("/api/prescription/generate"), "NOT_FOUND", 404)
    mm.error(mm.Client().get("/api/prescription/" + rx["id"]), "UNAUTHORIZED", 401)
    mm.error(c.post("/api/prescription/" + rx["id"], {}), "METHOD_NOT_ALLOWED", 405)


# §11.5

def seated(e):
    seats = {"flat_bench", "adjustable_bench", "preacher_bench", "chest_press_machine",
             "pec_deck", "lat_pulldown", "leg_extension_machine", "leg_curl_machine",
             "seated_calf_machine", "abductor_adductor_machine", "leg_press", "rower", "bike"}
    name = e["name"].lower()
    return bool(set(e["equipmentRequired"]) & seats) or any(
        w in name for w in ("seated", "sitting", "lying")) or (
        e["movementPattern"] in ("core", "anti_extension") and not e["equipmentRequired"])


def low_impact(e):
    name = e["name"].lower()
    pattern = e["movementPattern"] or ""
    if e["difficulty"] > 2 or e["type"] in ("olympic_weightlifting", "combat_conditioning",
                                            "wrestling"):
        return False
    if any(w in pattern for w in ("explosive", "catch", "strik", "release")):
        return False
    if any(w in name for w in ("jump", "hop", "bound", "skip", "sprint", "running", "burpee")):
        return False
    if "conditioning" in pattern:
        return bool(set(e["equipmentRequired"]) & {"bike", "bicycle", "elliptical", "rower",
                                                   "stair_climber", "swimming_pool"}) \
            or "walk" in name
    return True


def test_alternatives_follow_their_rules():
    c = mm.Client(token="not-a-token")
    ex = catalog()["ex"]
    for kind, rule in (("seated", seated), ("low-impact", low_impact)):
        r = c.get("/api/alternatives/" + kind)
        mm.status(r, 200)
        got = r.json["exercises"]
        mm.eq(set(r.json), {"exercises"}, "keys")
        for e in got:
            mm.eq(set(e), EXERCISE_KEYS, "§3.2 exercise objects")
            mm.eq(e, ex[e["id"]], "the catalog's object")
        mm.eq({e["id"] for e in got}, {i for i, e in ex.items() if rule(e)},
              kind + ": exactly the exercises the documented rule selects")
        mm.check(len(got) >= 10, kind + ": a useful number of exercises")
    for kind, like in (("seated", "fw-squat"), ("low-impact", "bw-box-jump"),
                       ("low-impact", "bw-burpee"), ("seated", "fw-bench-press")):
        r = c.get("/api/alternatives/%s?exerciseId=%s" % (kind, like))
        mm.status(r, 200)
        got = r.json["exercises"]
        mm.check(got, "%s alternatives to %s" % (kind, like))
        prim = set(ex[like]["primaryMuscles"])
        shared = [len(set(e["primaryMuscles"]) & prim) for e in got]
        mm.check(all(s > 0 for s in shared), "similar: shares a primary muscle")
        mm.eq(shared, sorted(shared, reverse=True), "most shared first")
        mm.check(like not in [e["id"] for e in got], "not the exercise itself")
    for kind in ("seated", "low-impact"):
        mm.error(c.get("/api/alternatives/%s?exerciseId=no-such-exercise" % kind),
                 "NOT_FOUND", 404)
        mm.error(c.post("/api/alternatives/" + kind, {}), "METHOD_NOT_ALLOWED", 405)
