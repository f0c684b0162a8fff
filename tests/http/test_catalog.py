"""Catalog endpoints (contract §3) through nginx, and the same binary by hand."""
import csv
import os
import subprocess

import mm

DATA = os.path.join(mm.ROOT, "sql", "data")
EXERCISE_KEYS = {"id", "name", "type", "difficulty", "description", "cues",
                 "primaryMuscles", "equipmentRequired", "equipmentOptional",
                 "locations", "isCompound", "estimatedSeconds", "restSeconds",
                 "movementPattern"}


def rows(name):
    with open(os.path.join(DATA, name + ".csv"), newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_muscles_match_reference_data():
    r = mm.Client().get("/api/muscles")
    mm.status(r, 200)
    mm.check(r.header("Content-Type").startswith("application/json"), "json type")
    mm.check("public" in (r.header("Cache-Control") or ""), "Cache-Control public")
    mm.check(r.header("ETag"), "ETag present")
    got = {m["id"]: m for m in r.json}
    ref = rows("muscles")
    mm.eq(len(got), len(ref), "muscle count")
    for m in ref:
        g = got[m["id"]]
        mm.eq(set(g), {"id", "name", "anatomicalName", "muscleGroup", "biasWeight",
                       "optimalWeeklyVolume", "recoveryTime"}, "muscle keys")
        mm.eq(g["name"], m["name"], m["id"] + " name")
        mm.eq(g["muscleGroup"], m["muscle_group"], m["id"] + " group")
        mm.eq(g["biasWeight"], float(m["bias_weight"]), m["id"] + " bias")
        mm.eq(g["optimalWeeklyVolume"], int(m["optimal_weekly_volume"]), m["id"] + " volume")
        mm.eq(g["recoveryTime"], int(m["recovery_hours"]), m["id"] + " recovery")
    g = got["glute-max"]
    mm.eq(g["biasWeight"], 22, "glute-max bias weight")


def test_exercises_unfiltered_match_reference_data():
    r = mm.Client().get("/api/exercises")
    mm.status(r, 200)
    ex = r.json
    ref = {e["id"]: e for e in rows("exercises")}
    mm.eq(len(ex), len(ref), "exercise count")
    for e in ex:
        mm.eq(set(e), EXERCISE_KEYS, "exercise keys")
        src = ref[e["id"]]
        mm.eq(e["name"], src["name"], "name")
        mm.eq(e["difficulty"], int(src["difficulty"]), "difficulty")
        mm.eq(e["estimatedSeconds"], int(src["estimated_seconds"] or 45), e["id"] + " seconds")
        mm.eq(e["restSeconds"], int(src["rest_seconds"] or 60), e["id"] + " rest")
        mm.eq(e["isCompound"], src["is_compound"] == "true", e["id"] + " compound")
        mm.check(isinstance(e["primaryMuscles"], list) and e["primaryMuscles"], "primary muscles")


def test_exercises_filters_combine():
    c = mm.Client()
    home = c.get("/api/exercises?location=home").json
    mm.check(home and all("home" in e["locations"] for e in home), "location filter")
    bar = c.get("/api/exercises?equipment=barbell").json
    mm.check(bar and all("barbell" in e["equipmentRequired"] for e in bar), "equipment filter")
    d1 = c.get("/api/exercises?difficulty=1").json
    mm.check(d1 and all(e["difficulty"] == 1 for e in d1), "difficulty filter")
    both = c.get("/api/exercises?location=home&difficulty=1").json
    mm.eq({e["id"] for e in both},
          {e["id"] for e in home if e["difficulty"] == 1}, "AND of filters")
    none = c.get("/api/exercises?location=the-moon")
    mm.status(none, 200)
    mm.eq(none.json, [], "unknown location")


def test_exercises_search_substring_and_fuzzy():
    c = mm.Client()
    names = [e["name"] for e in rows("exercises")]
    for text in ("push", "PULL", "curl", "Row"):
        r = c.get("/api/exercises?search=" + text)
        mm.status(r, 200)
        got = {e["name"] for e in r.json}
        want = {n for n in names if text.lower() in n.lower()}
        mm.check(want <= got, "every name containing %r is returned: missing %r"
                 % (text, want - got))
    # A misspelling still finds the exercise through trigram similarity.
    r = c.get("/api/exercises?search=deadlfit")
    mm.check(any("Deadlift" in e["name"] for e in r.json), "fuzzy match for deadlfit")
    # Search and filters combine.
    r = c.get("/api/exercises?search=push&location=home")
    mm.check(r.json and all("home" in e["locations"] for e in r.json), "search AND location")


def test_exercises_bad_query_rejected():
    c = mm.Client()
    for q in ("difficulty=0", "difficulty=6", "difficulty=two", "difficulty=1.5",
              "search=" + "x" * 101):
        mm.error(c.get("/api/exercises?" + q), "VALIDATION_ERROR", 400)


def test_activations_match_reference_data():
    c = mm.Client()
    r = c.get("/api/exercises/bw-pushup/activations")
    mm.status(r, 200)
    body = r.json
    mm.eq(body["exerciseId"], "bw-pushup", "exerciseId")
    want = {(a["muscle_id"], int(a["activation"])) for a in rows("exercise_activations")
            if a["exercise_id"] == "bw-pushup"}
    mm.eq({(a["muscleId"], a["activation"]) for a in body["activations"]}, want, "activations")
    mm.error(c.get("/api/exercises/no-such-exercise/activations"), "NOT_FOUND", 404)


def test_etag_gives_304_on_every_catalog_path():
    c = mm.Client()
    for path in ("/api/muscles", "/api/exercises", "/api/exercises?location=gym",
                 "/api/exercises?search=squat", "/api/exercises/bw-pushup/activations"):
        r = c.get(path)
        tag = r.header("ETag")
        mm.check(tag, path + " has an ETag")
        again = c.get(path, headers={"If-None-Match": tag})
        mm.eq(again.status, 304, path + " revalidation")
        mm.eq(again.body, b"", path + " 304 has no body")
        other = c.get(path, headers={"If-None-Match": '"stale"'})
        mm.eq(other.status, 200, path + " with a stale tag")


def test_catalog_wrong_method_is_405_with_allow():
    c = mm.Client()
    for path in ("/api/muscles", "/api/exercises", "/api/exercises/bw-pushup/activations"):
        r = c.post(path, {})
        mm.error(r, "METHOD_NOT_ALLOWED", 405)
        mm.eq(r.header("Allow"), "GET", path + " Allow")


def test_static_and_binary_answers_are_identical():
    """nginx's pre-rendered file and the binary serve the same document."""
    c = mm.Client()
    static = c.get("/api/exercises").json
    # An empty filter value makes the request skip nginx's file.
    dynamic = c.get("/api/exercises?location=").json
    mm.eq(dynamic, static, "exercises from the binary")


def test_binary_runs_as_cgi_from_a_shell():
    env = dict(os.environ, REQUEST_METHOD="GET", PATH_INFO="/api/muscles",
               MM_VAR_DIR=mm.VAR_DIR)
    binary = os.path.join(os.environ.get("MM_BIN_DIR", mm.ROOT), "cgi-bin", "catalog")
    out = subprocess.run([binary], env=env, capture_output=True, timeout=30,
                         stdin=subprocess.DEVNULL).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    mm.check(head.startswith(b"Status: 200 OK"), "CGI status line: %r" % head[:40])
    mm.check(b"Content-Type: application/json" in head, "CGI content type")
    mm.check(b"ETag:" in head, "CGI ETag")
    import json
    mm.eq(len(json.loads(body)), 44, "muscles in the CGI answer")
