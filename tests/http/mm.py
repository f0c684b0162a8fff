"""Client and helpers for the end-to-end HTTP tests.

Every test talks to the real stack through nginx on 127.0.0.1.  The API
rate-limits per client address (contract §1.6), so the client spreads its
requests over addresses of the loopback range (127.x.y.z all reach the
loopback interface): it switches to a fresh source address whenever the
X-RateLimit-Remaining it last saw runs low.  A test that wants to hit the
limit pins one address with Client(pinned=True).
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import random
import subprocess
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HTTP_PORT = int(os.environ.get("MM_HTTP_PORT", "8080"))
HTTPS_PORT = int(os.environ.get("MM_HTTPS_PORT", "8443"))
PG_PORT = int(os.environ.get("MM_PG_PORT", "55432"))
REDIS_PORT = int(os.environ.get("MM_REDIS_PORT", "56379"))
VAR_DIR = os.environ.get("MM_VAR_DIR", os.path.join(ROOT, "var"))

_lock = threading.Lock()
_next = [random.randrange(1, 250), random.randrange(0, 250), random.randrange(1, 250)]


def fresh_ip():
    """A loopback source address no other client of this run has used."""
    with _lock:
        a, b, c = _next
        c += 1
        if c > 250:
            c, b = 1, b + 1
            if b > 250:
                b, a = 0, (a % 250) + 1
        _next[:] = [a, b, c]
        return "127.%d.%d.%d" % (a, b, c)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def header(self, name):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return None

    def headers_named(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    @property
    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class Client:
    def __init__(self, token=None, pinned=False, ip=None):
        self.token = token
        self.pinned = pinned
        self.ip = ip or fresh_ip()
        self.auth_ip = self.ip if pinned else fresh_ip()

    def request(self, method, path, body=None, headers=None, raw=None,
                token=None, port=None, tls=False):
        hdrs = dict(headers or {})
        tok = token if token is not None else self.token
        if tok and "Authorization" not in hdrs:
            hdrs["Authorization"] = "Bearer " + tok
        data = raw
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            hdrs.setdefault("Content-Type", "application/json")
        is_auth = method == "POST" and path.split("?")[0] in (
            "/api/auth/register", "/api/auth/login", "/api/auth/refresh")
        ip = self.auth_ip if is_auth else self.ip
        if tls:
            import ssl
            ctx = ssl._create_unverified_context()
            conn = http.client.HTTPSConnection("127.0.0.1", port or HTTPS_PORT,
                                               timeout=30, context=ctx,
                                               source_address=(ip, 0))
        else:
            conn = http.client.HTTPConnection("127.0.0.1", port or HTTP_PORT,
                                              timeout=30, source_address=(ip, 0))
        try:
            conn.request(method, path, body=data, headers=hdrs)
            r = conn.getresponse()
            resp = Response(r.status, r.getheaders(), r.read())
        finally:
            conn.close()
        remaining = resp.header("X-RateLimit-Remaining")
        if not self.pinned and remaining is not None and int(remaining) < 5:
            if is_auth:
                self.auth_ip = fresh_ip()
            else:
                self.ip = fresh_ip()
        return resp

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, body=None, **kw):
        return self.request("POST", path, body=body, **kw)

    def put(self, path, body=None, **kw):
        return self.request("PUT", path, body=body, **kw)

    def patch(self, path, body=None, **kw):
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)


class Failure(AssertionError):
    pass


def check(cond, msg="check failed"):
    if not cond:
        raise Failure(msg)


def eq(actual, expected, what=""):
    if actual != expected:
        raise Failure("%s: expected %r, got %r" % (what or "value", expected, actual))


def status(resp, expected):
    if resp.status != expected:
        raise Failure("expected status %d, got %r" % (expected, resp))


def error(resp, code, status_code):
    """Asserts the contract's error envelope (§1.3)."""
    status(resp, status_code)
    body = resp.json
    check(set(body) == {"error"}, "error body has only 'error': %r" % body)
    err = body["error"]
    eq(err.get("code"), code, "error.code")
    eq(err.get("statusCode"), status_code, "error.statusCode")
    check(isinstance(err.get("message"), str) and err["message"], "error.message non-empty")
    check(resp.header("X-Request-Id"), "X-Request-Id on errors")
    eq(resp.header("X-Content-Type-Options"), "nosniff", "nosniff on errors")
    return err


def psql(sql, *args):
    """Runs SQL as the superuser; returns rows as lists of strings."""
    user = "postgres" if os.getuid() == 0 else os.environ.get("USER", "postgres")
    cmd = ["psql", "-X", "-q", "-t", "-A", "-F", "\t", "-v", "ON_ERROR_STOP=1",
           "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", user, "-d", "musclemap"]
    for i, a in enumerate(args):
        cmd += ["-v", "p%d=%s" % (i + 1, a)]
    out = subprocess.run(cmd, input=sql, capture_output=True, text=True, check=True).stdout
    return [line.split("\t") for line in out.splitlines() if line != ""]


def jwt_secret():
    s = os.environ.get("MM_JWT_SECRET")
    if s:
        return s
    with open(os.path.join(VAR_DIR, "jwt.secret")) as f:
        return f.read().strip()


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def make_token(sub, ttl=3600, alg="HS256", key=None, iat=None, extra=None):
    """Signs a token the way the server does, or deliberately wrong."""
    iat = int(time.time()) if iat is None else iat
    header = {"alg": alg, "typ": "JWT"}
    payload = {"sub": sub, "iat": iat, "exp": iat + ttl}
    payload.update(extra or {})
    signing = (b64url(json.dumps(header).encode()) + "." +
               b64url(json.dumps(payload).encode()))
    if alg == "none":
        return signing + "."
    k = (key or jwt_secret()).encode()
    sig = hmac.new(k, signing.encode(), hashlib.sha256).digest()
    return signing + "." + b64url(sig)


def unique(prefix="u"):
    return prefix + uuid.uuid4().hex[:12]


def parallel(n, fn):
    """Runs fn(i) in n threads at once; returns the results in order."""
    results = [None] * n
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # reported by the caller's assertions
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def create_user(trial=True, balance=100, roles=None, flags=None, username=None):
    """Makes a user straight in the database (no password hashing cost) and
    returns (user_id, token, username).

    trial=False puts the user on the free tier (trial ended yesterday).
    The balance is granted through update_credit_balance as the
    signup bonus would be, so the ledger invariant holds from the start.
    """
    username = username or unique("t_")
    trial_sql = "now() + interval '90 days'" if trial else "now() - interval '1 day'"
    row = psql(
        "INSERT INTO users (email, username, password_hash, roles, flags, "
        "trial_started_at, trial_ends_at) VALUES (lower(:'p1') || '@example.test', :'p1', "
        "'pbkdf2_sha256$1000$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=', "
        ":'p2'::jsonb, COALESCE(NULLIF(:'p3','')::jsonb, "
        "'{\"verified\":false,\"banned\":false,\"suspended\":false,\"emailConfirmed\":false}'::jsonb), "
        "now() - interval '1 day', " + trial_sql + ") RETURNING id;",
        username, json.dumps(roles or ["user"]), json.dumps(flags) if flags else "")
    uid = row[0][0]
    psql("INSERT INTO credit_balances (user_id, balance, lifetime_earned, lifetime_spent) "
         "VALUES (:'p1', 0, 0, 0) ON CONFLICT DO NOTHING;", uid)
    if balance > 0:
        psql("SELECT success FROM update_credit_balance(:'p1', :p2, 'signup_bonus', NULL, "
             ":'p1' || ':signup');", uid, str(balance))
    return uid, make_token(uid), username


def ledger_invariant(uid):
    """balance = sum of amounts = last balance_after >= 0, every step of the
    chain adds up, lifetime counters are the sums (§1.9)."""
    bal = psql("SELECT balance, lifetime_earned, lifetime_spent FROM credit_balances "
                  "WHERE user_id = :'p1';", uid)
    rows = psql("SELECT amount, balance_after FROM credit_ledger WHERE user_id = :'p1' "
                   "ORDER BY created_at, id;", uid)
    balance, earned, spent = (int(x) for x in bal[0]) if bal else (0, 0, 0)
    running = 0
    for amount, after in rows:
        running += int(amount)
        eq(int(after), running, "balance_after chain")
        check(int(after) >= 0, "balance_after >= 0")
    eq(balance, running, "balance = sum of ledger amounts")
    if rows:
        eq(balance, int(rows[-1][1]), "balance = last balance_after")
    eq(earned, sum(int(a) for a, _ in rows if int(a) > 0), "lifetime_earned")
    eq(spent, sum(-int(a) for a, _ in rows if int(a) < 0), "lifetime_spent")
    check(balance >= 0, "balance >= 0")
    return balance
