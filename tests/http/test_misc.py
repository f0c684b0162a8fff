"""Settings, places, languages, front-end logs, the route list, the OpenAPI
document and the /docs page (contract §11) through nginx."""
import glob
import json
import math
import os
import re
import shutil
import subprocess
import tempfile

import mm

DEFAULTS = {"notifications": {"email": True, "push": True, "workoutReminders": True},
            "privacy": {"shareLocation": False, "showInFeed": True, "publicProfile": True},
            "preferences": {"weightUnit": "lbs", "theme": "dark"}}
BIN_DIR = os.environ.get("MM_BIN_DIR", mm.ROOT)


def stored_settings(uid):
    row = mm.psql("SELECT settings::text FROM user_settings WHERE user_id = :'p1';", uid)
    return json.loads(row[0][0]) if row else None


def merged(*patches):
    doc = json.loads(json.dumps(DEFAULTS))
    for p in patches:
        for sec, kv in p.items():
            doc[sec].update(kv)
    return doc


# ------------------------------------------------------------ §11.1 settings

def test_settings_defaults_and_auth():
    mm.error(mm.Client().get("/api/settings"), "UNAUTHORIZED", 401)
    mm.error(mm.Client().patch("/api/settings", {"privacy": {"showInFeed": False}}),
             "UNAUTHORIZED", 401)
    mm.error(mm.Client("nope").get("/api/settings"), "UNAUTHORIZED", 401)
    _, tok, _ = mm.create_user()
    r = mm.Client(tok).get("/api/settings")
    mm.status(r, 200)
    mm.eq(r.json, {"success": True, "settings": DEFAULTS}, "defaults")


def test_settings_patch_deep_merges_and_persists():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    p1 = {"privacy": {"showInFeed": False}}
    r = c.patch("/api/settings", p1)
    mm.status(r, 200)
    mm.eq(r.json, {"success": True, "settings": merged(p1)}, "one key changed, rest default")
    p2 = {"preferences": {"theme": "light", "weightUnit": "kg"},
          "notifications": {"push": False}}
    r = c.patch("/api/settings", p2)
    mm.eq(r.json["settings"], merged(p1, p2), "earlier changes kept")
    mm.eq(c.get("/api/settings").json["settings"], merged(p1, p2), "persisted")
    p3 = {"privacy": {"showInFeed": True, "publicProfile": False}}
    mm.eq(c.patch("/api/settings", p3).json["settings"], merged(p1, p2, p3), "overwrite")
    mm.eq(stored_settings(uid), {"privacy": {"showInFeed": True, "publicProfile": False},
                                 "preferences": {"theme": "light", "weightUnit": "kg"},
                                 "notifications": {"push": False}}, "stored per user")
    mm.eq(c.patch("/api/settings", {}).json["settings"], merged(p1, p2, p3), "empty patch")
    mm.eq(c.patch("/api/settings", {"privacy": None, "preferences": {"theme": None}})
          .json["settings"], merged(p1, p2, p3), "null counts as absent")
    _, tok2, _ = mm.create_user()
    mm.eq(mm.Client(tok2).get("/api/settings").json["settings"], DEFAULTS,
          "another user is untouched")
    mm.eq(json.loads(mm.psql("SELECT settings_document(:'p1')::text;", uid)[0][0]),
          merged(p1, p2, p3), "the document other binaries read")


def test_settings_patch_rejects_unknown_keys_and_wrong_types():
    uid, tok, _ = mm.create_user()
    c = mm.Client(tok)
    good = {"preferences": {"theme": "light"}}
    mm.status(c.patch("/api/settings", good), 200)
    before = stored_settings(uid)
    bad = [
        ({"display": {"theme": "light"}}, "display"),
        ({"privacy": {"showInFeed": False, "shareWorkouts": True}}, "privacy.shareWorkouts"),
        ({"privacy": {"showInFeed": "false"}}, "privacy.showInFeed"),
        ({"privacy": {"showInFeed": 0}}, "privacy.showInFeed"),
        ({"notifications": {"email": [True]}}, "notifications.email"),
        ({"preferences": {"weightUnit": "stone"}}, "preferences.weightUnit"),
        ({"preferences": {"weightUnit": 1}}, "preferences.weightUnit"),
        ({"preferences": {"theme": "blue"}}, "preferences.theme"),
        ({"preferences": {"theme": True}}, "preferences.theme"),
        ({"preferences": "dark"}, "preferences"),
        ({"notifications": []}, "notifications"),
        ({"privacy": {"showInFeed": False}, "extra": 1}, "extra"),
    ]
    for body, field in bad:
        err = mm.error(c.patch("/api/settings", body), "VALIDATION_ERROR", 400)
        mm.check(field in err["message"], "message names %s: %r" % (field, err["message"]))
    for raw in (b"[]", b"\"x\"", b"{", b""):
        mm.error(c.patch("/api/settings", raw=raw, headers={"Content-Type": "application/json"}),
                 "VALIDATION_ERROR", 400)
    mm.eq(stored_settings(uid), before, "nothing saved by a rejected patch")
    mm.eq(c.get("/api/settings").json["settings"], merged(good), "document unchanged")


def test_settings_themes():
    r = mm.Client().get("/api/settings/themes")
    mm.status(r, 200)
    mm.eq(r.json, {"themes": ["light", "dark"]}, "themes")
    mm.status(mm.Client("ignored-on-auth-none").get("/api/settings/themes"), 200)


def test_i18n_languages():
    r = mm.Client().get("/api/i18n/languages")
    mm.status(r, 200)
    mm.check({"code": "en", "name": "English"} in r.json["languages"], "English")
    for lang in r.json["languages"]:
        mm.eq(set(lang), {"code", "name"}, "language keys")


# ------------------------------------------------------------ §11.3 places

def haversine(lat1, lng1, lat2, lng2):
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(a))


class places:
    def __init__(self, *spots):
        self.tag = mm.unique("place_")
        self.spots = spots

    def __enter__(self):
        for i, (name, lat, lng) in enumerate(self.spots):
            mm.psql("INSERT INTO places (id, name, type, address, lat, lng) VALUES "
                    "(:'p1', :'p2', 'gym', :'p2' || ' street 1', :p3, :p4);",
                    "%s_%d" % (self.tag, i), name, repr(lat), repr(lng))
        return self.tag

    def __exit__(self, *exc):
        mm.psql("DELETE FROM places WHERE id LIKE :'p1' || '%';", self.tag)


def test_nearby_places_by_haversine_distance():
    c = mm.Client()
    here = (-33.9249, 18.4241)
    spots = [("Near", -33.9300, 18.4300), ("Middle", -33.9700, 18.4700),
             ("Far", -34.0500, 18.5500), ("Other city", -26.2041, 28.0473)]
    with places(*spots) as tag:
        r = c.get("/api/locations/nearby?lat=%s&lng=%s" % here)
        mm.status(r, 200)
        got = [l for l in r.json["locations"] if l["id"].startswith(tag)]
        mm.eq(len(got), len(r.json["locations"]), "only the test's places are there")
        want = sorted((haversine(*here, s[1], s[2]), s[0]) for s in spots)
        inside = [(d, n) for d, n in want if d <= 10]
        mm.eq([l["name"] for l in got], [n for _, n in inside], "within 10 km, nearest first")
        for l in got:
            mm.eq(set(l), {"id", "name", "type", "address", "lat", "lng", "distance"}, "keys")
            spot = [s for s in spots if s[0] == l["name"]][0]
            mm.check(abs(l["distance"] - haversine(*here, spot[1], spot[2])) < 0.001,
                     "haversine distance: %r" % l)
            mm.eq((l["lat"], l["lng"], l["type"]), (spot[1], spot[2], "gym"), "place fields")
        r = c.get("/api/locations/nearby?lat=%s&lng=%s&radius=25" % here)
        mm.eq([l["name"] for l in r.json["locations"]], [n for d, n in want if d <= 25],
              "radius 25")
        dists = [l["distance"] for l in r.json["locations"]]
        mm.eq(dists, sorted(dists), "ascending")
        mm.check(all(d <= 25 for d in dists), "never beyond the radius")
        r = c.get("/api/locations/nearby?lat=%s&lng=%s&radius=0.5" % here)
        mm.eq([l["name"] for l in r.json["locations"]], [n for d, n in want if d <= 0.5],
              "a small radius")


def test_nearby_across_the_antimeridian_and_near_a_pole():
    c = mm.Client()
    with places(("East", 10.0, 179.99), ("West", 10.0, -179.99), ("Pole", 89.99, 0.0),
                ("Pole far side", 89.99, 180.0)):
        r = c.get("/api/locations/nearby?lat=10&lng=179.999&radius=5")
        mm.eq(sorted(l["name"] for l in r.json["locations"]), ["East", "West"],
              "both sides of the date line")
        r = c.get("/api/locations/nearby?lat=10&lng=-180&radius=5")
        mm.eq(sorted(l["name"] for l in r.json["locations"]), ["East", "West"],
              "from -180")
        r = c.get("/api/locations/nearby?lat=90&lng=45&radius=5")
        mm.eq(sorted(l["name"] for l in r.json["locations"]), ["Pole", "Pole far side"],
              "every longitude near the pole")
    r = c.get("/api/locations/nearby?lat=0&lng=0")
    mm.status(r, 200)
    mm.eq(r.json, {"locations": []}, "an empty list is valid")


def test_nearby_validation():
    c = mm.Client()
    bad = ["", "lat=10", "lng=10", "lat=&lng=1", "lat=91&lng=0", "lat=-90.5&lng=0",
           "lat=0&lng=180.1", "lat=0&lng=-181", "lat=abc&lng=0", "lat=0&lng=1x",
           "lat=nan&lng=0", "lat=inf&lng=0", "lat=1e400&lng=0", "lat=0x10&lng=0",
           "lat=%201&lng=0", "lat=0&lng=0&radius=0", "lat=0&lng=0&radius=-1",
           "lat=0&lng=0&radius=100.01", "lat=0&lng=0&radius=ten"]
    for q in bad:
        mm.error(c.get("/api/locations/nearby?" + q), "VALIDATION_ERROR", 400)
    for q in ("lat=90&lng=180", "lat=-90&lng=-180", "lat=0&lng=0&radius=100",
              "lat=1.5e1&lng=-0.25&radius=0.001"):
        mm.status(c.get("/api/locations/nearby?" + q), 200)


# ------------------------------------------------------ §11.7 front-end logs

def test_frontend_log_accepts_entries():
    c = mm.Client()
    r = c.post("/api/trace/frontend-log", {"entries": [{"level": "error", "msg": "boom"}]})
    mm.status(r, 204)
    mm.eq(r.body, b"", "no body")
    mm.check(r.header("X-RateLimit-Limit"), "counted by the normal limiter")
    mm.status(c.post("/api/trace/frontend-log", {"entries": []}), 204)
    mm.status(c.post("/api/trace/frontend-log",
                     {"entries": [{"i": i} for i in range(100)]}), 204)
    _, tok, _ = mm.create_user()
    mm.status(mm.Client(tok).post("/api/trace/frontend-log", {"entries": [{"a": 1}]}), 204)
    mm.error(mm.Client("bad").post("/api/trace/frontend-log", {"entries": []}),
             "UNAUTHORIZED", 401)


def test_frontend_log_validation():
    c = mm.Client()
    for body in ({}, {"entries": None}, {"entries": {}}, {"entries": "x"},
                 {"entries": [{"i": i} for i in range(101)]}, {"entries": [1]},
                 {"entries": [{"a": 1}, "b"]}, {"entries": [[]]}, {"entries": [None]}):
        mm.error(c.post("/api/trace/frontend-log", body), "VALIDATION_ERROR", 400)
    mm.error(c.post("/api/trace/frontend-log", raw=b"[]",
                    headers={"Content-Type": "application/json"}), "VALIDATION_ERROR", 400)
    big = {"entries": [{"msg": "x" * (1024 * 1024)}]}
    mm.error(c.post("/api/trace/frontend-log", big), "PAYLOAD_TOO_LARGE", 413)
    mm.error(c.get("/api/trace/frontend-log"), "METHOD_NOT_ALLOWED", 405)


def run_misc_cgi(body, rid, token=None):
    """Serves one request with the misc binary as CGI; returns (head, log lines)."""
    data = json.dumps(body).encode()
    env = dict(os.environ, REQUEST_METHOD="POST", PATH_INFO="/api/trace/frontend-log",
               CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(data)),
               HTTP_X_REQUEST_ID=rid, REMOTE_ADDR="127.9.9.9", MM_VAR_DIR=mm.VAR_DIR)
    if token:
        env["HTTP_AUTHORIZATION"] = "Bearer " + token
    p = subprocess.run([os.path.join(BIN_DIR, "cgi-bin", "misc")], env=env, input=data,
                       capture_output=True, timeout=30)
    head = p.stdout.partition(b"\r\n\r\n")[0]
    lines = [json.loads(l) for l in p.stderr.decode().splitlines() if l.startswith("{")]
    return head, lines


def test_frontend_log_writes_one_redacted_json_line_per_entry():
    uid, tok, _ = mm.create_user()
    jwt = mm.make_token(uid)
    rid = mm.unique("fe")
    entries = [
        {"level": "error", "message": "TypeError: x is undefined", "url": "/workouts",
         "password": "hunter2", "nested": {"accessToken": "abc123", "ok": "kept"}},
        {"level": "warn", "message": "fetch failed", "headers":
         {"Authorization": "Bearer " + jwt}, "link": "https://x.test/cb?code=1&token=s3cret"},
        {"level": "info", "message": "é" * 3000},
    ]
    head, lines = run_misc_cgi({"entries": entries}, rid, tok)
    mm.check(head.startswith(b"Status: 204"), "204 as CGI: %r" % head[:40])
    mine = [l for l in lines if l.get("reqId") == rid]
    mm.eq(len(mine), 3, "one line per entry with the request id: %r" % lines)
    docs = [json.loads(l["msg"]) for l in mine]
    for i, d in enumerate(docs):
        mm.eq((d["source"], d["index"], d["count"], d["userId"]), ("frontend", i, 3, uid),
              "line %d" % i)
    mm.eq(docs[0]["entry"]["message"], "TypeError: x is undefined", "message kept")
    mm.eq(docs[0]["entry"]["password"], "[REDACTED]", "password redacted")
    mm.eq(docs[0]["entry"]["nested"], {"accessToken": "[REDACTED]", "ok": "kept"}, "nested")
    mm.eq(docs[1]["entry"]["headers"]["Authorization"], "[REDACTED]", "bearer header")
    mm.eq(docs[1]["entry"]["link"], "[REDACTED]", "token in a URL")
    raw = "\n".join(json.dumps(l) for l in lines)
    for secret in ("hunter2", "abc123", jwt, "s3cret"):
        mm.check(secret not in raw, "secret %r never logged" % secret[:10])
    mm.check("entry" not in docs[2] and docs[2]["entryBytes"] > 6000, "oversized entry cut")
    mm.check(docs[2]["entryTruncated"].startswith('{"level":"info"'), "kept its start")
    mm.check(len(mine[2]["msg"]) < 2048, "line size capped")
    _, lines = run_misc_cgi({"entries": [{"a": 1}]}, rid + "x")
    d = json.loads([l for l in lines if l.get("reqId") == rid + "x"][0]["msg"])
    mm.check("userId" not in d, "anonymous: no user")


# ------------------------------------------------- routes, OpenAPI, /docs

def built_route_tables(internal=False):
    """What every built binary's own table says: {(method, path): (auth,
    binary)}, the public routes (or, with internal, the internal ones)."""
    out = {}
    for b in sorted(glob.glob(os.path.join(BIN_DIR, "cgi-bin", "*"))):
        if not os.access(b, os.X_OK) or b.endswith(".c"):
            continue
        for line in subprocess.run([b, "--route-table"], capture_output=True, text=True,
                                   check=True).stdout.splitlines():
            name, method, path, auth, kind = line.split("\t")
            if (kind == "internal") == internal:
                out[(method, path)] = (auth, name)
    return out


def test_routes_list_every_route_of_every_binary():
    r = mm.Client().get("/api/__routes")
    mm.status(r, 200)
    routes = r.json["routes"]
    for s in routes:
        mm.check(re.match(r"^(GET|POST|PUT|PATCH|DELETE) /api/\S+$", s), "format: %r" % s)
    mm.eq(len(routes), len(set(routes)), "no duplicates")
    tables = built_route_tables()
    mm.eq(set(routes), {"%s %s" % k for k in tables}, "exactly the binaries' tables")
    for s in ("GET /api/muscles", "GET /api/tips", "POST /api/milestones/:id/claim",
              "PATCH /api/settings", "GET /api/__routes", "GET /api/docs/openapi.json",
              "POST /api/trace/frontend-log", "GET /api/health"):
        mm.check(s in routes, s + " listed")
    # Each binary's --routes agrees; subrequest targets (stream
    # authorization) are not API routes and stay out of the list.
    internal = {"%s %s" % k for k in built_route_tables(internal=True)}
    for b in glob.glob(os.path.join(BIN_DIR, "cgi-bin", "*")):
        if os.access(b, os.X_OK) and not b.endswith(".c"):
            for line in subprocess.run([b, "--routes"], capture_output=True, text=True,
                                       check=True).stdout.splitlines():
                mm.check((line in routes) != (line in internal),
                         line + " from --routes: listed unless internal")


def test_openapi_document_describes_the_routes():
    c = mm.Client()
    r = c.get("/api/docs/openapi.json")
    mm.status(r, 200)
    doc = r.json
    mm.check(doc["openapi"].startswith("3.0"), "OpenAPI 3.0")
    mm.check(doc["info"]["title"] and doc["info"]["version"], "info")
    routes = c.get("/api/__routes").json["routes"]
    tables = built_route_tables()
    ops = [(m.upper(), p) for p, item in doc["paths"].items() for m in item]
    mm.eq(len(ops), len(routes), "one operation per route")
    schemes = doc["components"]["securitySchemes"]
    mm.eq(schemes["bearerAuth"], {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
          "bearer scheme")
    for s in routes:
        method, path = s.split(" ", 1)
        oapath = re.sub(r":(\w+)", r"{\1}", path)
        op = doc["paths"][oapath][method.lower()]
        auth, binary = tables[(method, path)]
        mm.eq(op["x-auth"], auth, s + " auth level")
        mm.eq(op["tags"], [binary], s + " tag")
        mm.check(op["summary"] and op["operationId"], s + " summary")
        want = {"none": [], "optional": [{}, {"bearerAuth": []}],
                "required": [{"bearerAuth": []}]}[auth]
        mm.eq(op["security"], want, s + " security")
        names = re.findall(r":(\w+)", path)
        got = [(p["name"], p["in"], p["required"]) for p in op.get("parameters", [])]
        mm.eq(got, [(n, "path", True) for n in names], s + " path parameters")
        mm.check("default" in op["responses"], s + " error response")
    claim = doc["paths"]["/api/milestones/{id}/claim"]["post"]
    mm.eq(claim["summary"], "Claim a milestone's reward", "summary from the table")
    mm.check("200" in claim["responses"], "success status")
    mm.check("204" in doc["paths"]["/api/trace/frontend-log"]["post"]["responses"], "204")
    mm.eq(len({op["operationId"] for item in doc["paths"].values() for op in item.values()}),
          len(ops), "unique operation ids")


def test_docs_page_loads_the_document_without_inline_script():
    c = mm.Client()
    r = c.get("/docs/")
    mm.status(r, 200)
    mm.check(r.header("Content-Type").startswith("text/html"), "HTML")
    csp = r.header("Content-Security-Policy") or ""
    mm.check("script-src 'self'" in csp, "CSP without inline scripts: %r" % csp)
    html = r.body.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    mm.check(scripts and all('src="' in a and not body.strip() for a, body in scripts),
             "external scripts only")
    mm.check("style=" not in html and "<style" not in html, "no inline styles")
    mm.check(' on' not in re.sub(r"<script.*?</script>", "", html).lower().replace(
        " one", ""), "no inline event handlers")
    js = c.get("/docs/docs.js")
    mm.status(js, 200)
    mm.check("javascript" in js.header("Content-Type"), "JS content type")
    mm.check(b"/api/docs/openapi.json" in js.body, "loads the OpenAPI document")
    mm.status(c.get("/docs/docs.css"), 200)
    r = c.get("/docs")
    mm.check(r.status in (200, 301, 302), "/docs reachable: %r" % r)
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        return
    # Run the page's script against the real document with a minimal DOM.
    doc = c.get("/api/docs/openapi.json").body.decode()
    shim = r"""
const fs = require("fs");
function node(tag) { return { tag, children: [], className: "", textContent: "",
  dataset: {}, classList: { toggle() {} }, appendChild(c) { this.children.push(c); return c; },
  addEventListener() {} }; }
const main = node("main"), status = node("p"), filter = node("input");
const handlers = {};
global.document = { createElement: node, getElementById: id => ({api: main, status,
  filter})[id], addEventListener: (ev, fn) => { handlers[ev] = fn; },
  querySelectorAll: () => [] };
global.fetch = () => Promise.resolve({ ok: true, json: () => JSON.parse(process.env.DOC) });
eval(fs.readFileSync(process.argv[2], "utf8"));
handlers.DOMContentLoaded();
setTimeout(() => {
  let rows = 0;
  for (const s of main.children) for (const t of s.children) if (t.tag === "table") rows += t.children.length;
  console.log(JSON.stringify({ rows, status: status.textContent }));
}, 50);
"""
    with tempfile.NamedTemporaryFile("w", suffix=".js", delete=False) as f:
        f.write(shim)
    try:
        out = subprocess.run([node, f.name, os.path.join(mm.ROOT, "www", "docs", "docs.js")],
                             env=dict(os.environ, DOC=doc), capture_output=True, text=True,
                             timeout=30)
    finally:
        os.unlink(f.name)
    mm.check(out.returncode == 0, "the page script runs: %s" % out.stderr[-500:])
    res = json.loads(out.stdout.strip().splitlines()[-1])
    mm.eq(res["rows"], sum(len(v) for v in json.loads(doc)["paths"].values()),
          "one row per operation")
