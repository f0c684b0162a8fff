"""Auth endpoints (contract §1.4, §1.6, §2) through nginx.

Registrations and logins pay the configured PBKDF2 cost, so most tests
that only need a signed-in user take one from mm.create_user (straight in
the database) and refresh tokens from insert_refresh(); the flows that
are about passwords go through the real endpoints.
"""
import base64
import datetime
import glob
import hashlib
import hmac
import json
import os
import re
import secrets
import time

import mm

JWT_TTL = int(os.environ.get("MM_JWT_TTL") or 3600)
ITERATIONS = int(os.environ.get("MM_PBKDF2_ITERATIONS") or 600000)

USER_KEYS = {"id", "email", "username", "displayName", "avatarUrl", "roles",
             "currentArchetypeId", "currentLevel", "trialEndsAt", "createdAt"}
SESSION_KEYS = {"user", "token", "refreshToken", "expiresIn"}
PROFILE_KEYS = {"id", "email", "username", "displayName", "avatarUrl", "roles", "flags",
                "currentArchetypeId", "currentLevel", "trialStartedAt", "trialEndsAt",
                "createdAt"}
FLAG_KEYS = {"verified", "banned", "suspended", "emailConfirmed"}
ME_KEYS = {"id", "email", "username", "displayName", "avatarUrl", "roles",
           "currentArchetypeId", "currentLevel", "creditBalance", "createdAt"}
BASE_CAPS = ["users.read", "economy.read", "workouts.create", "workouts.read"]
SECRET_WORDS = ("password_hash", "passwordHash", "token_hash", "tokenHash", "pbkdf2")
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$")
HASH_FORM = re.compile(r"^pbkdf2_sha256\$(\d+)\$([A-Za-z0-9+/]+=*)\$([A-Za-z0-9+/]+=*)$")


# ---------------------------------------------------------------- helpers

def sha256(s):
    return hashlib.sha256(s.encode()).hexdigest()


def ts(s):
    mm.check(isinstance(s, str) and ISO.match(s), "ISO timestamp: %r" % (s,))
    s = s[:-1]
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in s else "%Y-%m-%dT%H:%M:%S"
    return datetime.datetime.strptime(s, fmt)


def no_secrets(resp, *extra):
    """No response carries a hash, and none echoes the given secrets."""
    text = resp.body.decode("utf-8", "replace")
    for w in SECRET_WORDS + tuple(e for e in extra if e):
        mm.check(w not in text, "response must not contain %r: %s" % (w, text[:300]))


def new_account(**over):
    body = {"email": mm.unique("a") + "@Example.Test", "username": mm.unique("u_"),
            "password": "pw-" + secrets.token_hex(8)}
    body.update(over)
    return body


def register(body, client=None):
    r = (client or mm.Client()).post("/api/auth/register", body)
    no_secrets(r, body.get("password") if isinstance(body, dict) else None)
    return r


def jwt_parts(token):
    def dec(seg):
        return json.loads(base64.urlsafe_b64decode(seg + "=" * (-len(seg) % 4)))
    h, p, _ = token.split(".")
    return dec(h), dec(p)


def forge(header, payload, key=None):
    """header.payload.signature with any header and payload."""
    signing = (mm.b64url(json.dumps(header).encode()) + "." +
               mm.b64url(json.dumps(payload).encode()))
    if key is None:
        return signing + "."
    sig = hmac.new(key.encode(), signing.encode(), hashlib.sha256).digest()
    return signing + "." + mm.b64url(sig)


def insert_refresh(uid, expires="now() + interval '1 day'", revoked=False):
    """Stores a refresh token for uid the way the server does; returns it."""
    token = secrets.token_hex(32)
    mm.psql("INSERT INTO refresh_tokens (user_id, token_hash, expires_at, revoked_at) "
            "VALUES (:'p1', :'p2', " + expires + ", " +
            ("now()" if revoked else "NULL") + ");", uid, sha256(token))
    return token


def active_tokens(uid):
    return int(mm.psql("SELECT count(*) FROM refresh_tokens WHERE user_id = :'p1' "
                       "AND revoked_at IS NULL;", uid)[0][0])


def set_flags(uid, flags):
    mm.psql("UPDATE users SET flags = flags || :'p2'::jsonb WHERE id = :'p1';",
            uid, json.dumps(flags))


def check_session(r, status, user_id=None):
    mm.status(r, status)
    body = r.json
    mm.eq(set(body), SESSION_KEYS, "session keys")
    mm.eq(set(body["user"]), USER_KEYS, "User keys")
    mm.eq(body["expiresIn"], JWT_TTL, "expiresIn = MM_JWT_TTL")
    mm.check(re.match(r"^[0-9a-f]{64}$", body["refreshToken"]) or
             re.match(r"^[A-Za-z0-9_-]{43,}$", body["refreshToken"]),
             "refreshToken is >= 256 bits of hex or base64url")
    head, claims = jwt_parts(body["token"])
    mm.eq(head.get("alg"), "HS256", "alg")
    mm.eq(claims.get("sub"), body["user"]["id"], "sub")
    mm.check(isinstance(claims.get("iat"), int) and isinstance(claims.get("exp"), int),
             "iat and exp are integers")
    mm.eq(claims["exp"] - claims["iat"], JWT_TTL, "exp = iat + MM_JWT_TTL")
    mm.check(abs(claims["iat"] - time.time()) < 120, "iat is now")
    if user_id is not None:
        mm.eq(body["user"]["id"], user_id, "user id")
    mm.eq(r.header("Cache-Control"), "no-store", "tokens are not cached")
    return body


# ---------------------------------------------------------------- register

def test_register_creates_the_account():
    body = new_account(displayName="Zoë 💪 <b>'; DROP TABLE users;--")
    r = register(body)
    s = check_session(r, 201)
    u = s["user"]
    mm.check(re.match(r"^user_[0-9a-f]{32}$", u["id"]), "user id format")
    mm.eq(u["email"], body["email"].lower(), "email stored lower-cased")
    mm.eq(u["username"], body["username"], "username as sent")
    mm.eq(u["displayName"], body["displayName"], "displayName byte for byte")
    mm.eq(u["avatarUrl"], None, "avatarUrl")
    mm.eq(u["roles"], ["user"], "roles")
    mm.eq(u["currentArchetypeId"], None, "currentArchetypeId")
    mm.eq(u["currentLevel"], 1, "currentLevel")
    created, trial = ts(u["createdAt"]), ts(u["trialEndsAt"])
    mm.eq(trial - created, datetime.timedelta(days=90), "trial = creation + 90 days")
    mm.check(abs((created - datetime.datetime.utcnow()).total_seconds()) < 120,
             "createdAt is now")

    # The access token works and the signup bonus is there.
    me = mm.Client(token=s["token"]).get("/api/auth/me")
    mm.status(me, 200)
    mm.eq(me.json["creditBalance"], 100, "signup bonus")

    # What the database holds.
    row = mm.psql("SELECT email, password_hash, trial_started_at IS NOT NULL, "
                  "trial_ends_at - trial_started_at = interval '90 days' "
                  "FROM users WHERE id = :'p1';", u["id"])[0]
    mm.eq(row[0], body["email"].lower(), "stored email")
    m = HASH_FORM.match(row[1])
    mm.check(m, "stored hash has the pbkdf2_sha256 form")
    mm.eq(int(m.group(1)), ITERATIONS, "iteration count = MM_PBKDF2_ITERATIONS")
    mm.eq(len(base64.b64decode(m.group(2))), 16, "16-byte salt")
    mm.eq(len(base64.b64decode(m.group(3))), 32, "32-byte hash")
    mm.check(body["password"] not in row[1], "the password is not stored")
    salt, key = base64.b64decode(m.group(2)), base64.b64decode(m.group(3))
    mm.eq(hashlib.pbkdf2_hmac("sha256", body["password"].encode(), salt, int(m.group(1))),
          key, "the stored hash is PBKDF2-HMAC-SHA256 of the password")
    mm.eq(row[2:], ["t", "t"], "trial_started_at set, trial of 90 days")
    ledger = mm.psql("SELECT action, amount, balance_after, idempotency_key "
                     "FROM credit_ledger WHERE user_id = :'p1';", u["id"])
    mm.eq(ledger, [["signup_bonus", "100", "100", u["id"] + ":signup_bonus"]],
          "exactly one +100 signup_bonus ledger row")
    mm.eq(mm.psql("SELECT balance, lifetime_earned FROM credit_balances "
                  "WHERE user_id = :'p1';", u["id"]), [["100", "100"]], "balance row")
    tokens = mm.psql("SELECT id, token_hash, expires_at > now() + interval '1 day', "
                     "revoked_at IS NULL FROM refresh_tokens WHERE user_id = :'p1';", u["id"])
    mm.eq(len(tokens), 1, "one refresh token row")
    mm.check(re.match(r"^rt_[0-9a-f]{32}$", tokens[0][0]), "rt_ id")
    mm.eq(tokens[0][1], sha256(s["refreshToken"]), "only the SHA-256 hex is stored")
    mm.eq(tokens[0][2:], ["t", "t"], "the refresh token is active")


def test_register_unicode_lengths_are_characters():
    # 8 two-byte characters is a valid password; 100 four-byte characters
    # a valid display name.
    body = new_account(password="ü" * 8, displayName="💪" * 100)
    s = check_session(register(body), 201)
    mm.eq(s["user"]["displayName"], "💪" * 100, "displayName")
    r = mm.Client().post("/api/auth/login", {"email": body["email"], "password": "ü" * 8})
    check_session(r, 200, s["user"]["id"])
    # A null displayName counts as absent; the Authorization header is ignored.
    body = new_account(displayName=None)
    r = register(body, mm.Client(token="not-a-token"))
    mm.eq(check_session(r, 201)["user"]["displayName"], None, "null displayName")
    # The longest email accepted: 254 characters.
    local = mm.unique("l") + "x" * 64
    email = local + "@" + "d" * (254 - len(local) - 1 - 5) + ".test"
    mm.eq(len(email), 254, "email length")
    check_session(register(new_account(email=email)), 201)


def test_register_validation_errors_per_field():
    long_email = "a" * 245 + "@test.test"  # 255 characters
    cases = [
        ({"username": "u_ok_name", "password": "password1"}, "email"),
        (new_account(email=None), "email"),
        (new_account(email=123), "email"),
        (new_account(email=True), "email"),
        (new_account(email=["a@b.cd"]), "email"),
        (new_account(email={"a": 1}), "email"),
        (new_account(email=""), "email"),
        (new_account(email="plainaddress"), "email"),
        (new_account(email="a@b"), "email"),
        (new_account(email="a@b.c"), "email"),
        (new_account(email="a@b.c0m"), "email"),
        (new_account(email="a b@test.test"), "email"),
        (new_account(email="@test.test"), "email"),
        (new_account(email="a@@test.test"), "email"),
        (new_account(email="ä@test.test"), "email"),
        (new_account(email="a@test.test "), "email"),
        (new_account(email=long_email), "email"),
        (new_account(username=None), "username"),
        (new_account(username=12345), "username"),
        (new_account(username="ab"), "username"),
        (new_account(username="a" * 31), "username"),
        (new_account(username="bad-name"), "username"),
        (new_account(username="bad name"), "username"),
        (new_account(username="bad.name"), "username"),
        (new_account(username="名前abc"), "username"),
        (new_account(username="abcé"), "username"),
        (new_account(password=None), "password"),
        (new_account(password=12345678), "password"),
        (new_account(password=["password1"]), "password"),
        (new_account(password="1234567"), "password"),
        (new_account(password="ü" * 7), "password"),
        (new_account(password="x" * 129), "password"),
        (new_account(displayName=""), "displayName"),
        (new_account(displayName="x" * 101), "displayName"),
        (new_account(displayName=42), "displayName"),
        (new_account(displayName=False), "displayName"),
    ]
    c = mm.Client()
    for body, field in cases:
        r = c.post("/api/auth/register", body)
        err = mm.error(r, "VALIDATION_ERROR", 400)
        mm.check(field in err["message"], "message names %s: %r for %r" % (field, err, body))
        no_secrets(r, body.get("password") if isinstance(body.get("password"), str) else None)
        if isinstance(body.get("username"), str):
            mm.eq(mm.psql("SELECT count(*) FROM users WHERE lower(username) = lower(:'p1');",
                          body["username"]), [["0"]], "no user created for %r" % body)


def test_register_rejects_non_object_bodies_and_wrong_content_type():
    c = mm.Client()
    ok = json.dumps(new_account())
    for raw in ("[]", "[" + ok + "]", '"text"', "1", "null", "true", "", "   ", "{", "{}x",
                ok + ok):
        r = c.post("/api/auth/register", raw=raw.encode(),
                   headers={"Content-Type": "application/json"})
        mm.error(r, "VALIDATION_ERROR", 400)
    for ct in ("text/plain", "application/x-www-form-urlencoded", None):
        r = c.post("/api/auth/register", raw=ok.encode(),
                   headers={"Content-Type": ct} if ct else {})
        mm.error(r, "VALIDATION_ERROR", 400)
    # Charset is optional and accepted.
    r = c.post("/api/auth/register", raw=ok.encode(),
               headers={"Content-Type": "application/json; charset=utf-8"})
    check_session(r, 201)
    # Invalid UTF-8 and U+0000.
    body = new_account()
    raw = json.dumps(body).replace(body["username"], body["username"] + "\\u0000").encode()
    mm.error(c.post("/api/auth/register", raw=raw,
                    headers={"Content-Type": "application/json"}), "VALIDATION_ERROR", 400)
    raw = json.dumps(new_account()).encode().replace(b"pw-", b"pw-\xff")
    mm.error(c.post("/api/auth/register", raw=raw,
                    headers={"Content-Type": "application/json"}), "VALIDATION_ERROR", 400)


def test_register_duplicates_conflict():
    body = new_account()
    s = check_session(register(body), 201)
    uid = s["user"]["id"]
    dups = [
        dict(body),
        new_account(email=body["email"]),
        new_account(email=body["email"].upper()),
        new_account(email=body["email"].lower()),
        new_account(username=body["username"]),
        new_account(username=body["username"].upper()),
        new_account(username=body["username"].lower()),
    ]
    for d in dups:
        r = register(d)
        err = mm.error(r, "CONFLICT", 409)
        which = "email" if d["email"].lower() == body["email"].lower() else "username"
        mm.check(which in err["message"].lower(), "409 names the %s: %r" % (which, err))
    mm.eq(mm.psql("SELECT count(*) FROM users WHERE lower(username) = lower(:'p1') "
                  "OR lower(email) = lower(:'p2');", body["username"], body["email"]),
          [["1"]], "only the first account exists")
    mm.eq(mm.psql("SELECT count(*) FROM credit_ledger WHERE user_id = :'p1';", uid),
          [["1"]], "the duplicates added no ledger rows")
    mm.eq(mm.psql("SELECT count(*) FROM refresh_tokens WHERE user_id = :'p1';", uid),
          [["1"]], "the duplicates added no refresh tokens")


def test_register_concurrent_same_username_one_wins():
    name = mm.unique("race_")
    n = 8

    def attempt(i):
        # Each thread its own client: its own source address and limit.
        return mm.Client().post("/api/auth/register", new_account(
            username=name if i % 2 == 0 else name.upper()))

    results = mm.parallel(n, attempt)
    for r in results:
        mm.check(isinstance(r, mm.Response), "request failed: %r" % (r,))
    created = [r for r in results if r.status == 201]
    mm.eq(len(created), 1, "exactly one 201 among %r" % ([r.status for r in results],))
    for r in results:
        if r.status != 201:
            mm.error(r, "CONFLICT", 409)
    rows = mm.psql("SELECT id FROM users WHERE lower(username) = lower(:'p1');", name)
    mm.eq(len(rows), 1, "one user row")
    uid = rows[0][0]
    mm.eq(created[0].json["user"]["id"], uid, "the winner is the stored user")
    mm.eq(mm.psql("SELECT count(*), sum(amount) FROM credit_ledger WHERE user_id = :'p1';",
                  uid), [["1", "100"]], "one signup bonus")
    # Orphans would show as ledger or balance rows without their user; the
    # foreign keys forbid them, so count the winner's rows only.
    mm.eq(mm.psql("SELECT count(*) FROM refresh_tokens WHERE user_id = :'p1';", uid),
          [["1"]], "one refresh token")


def test_register_concurrent_same_email_one_wins():
    email = mm.unique("race") + "@example.test"

    def attempt(i):
        return mm.Client().post("/api/auth/register", new_account(
            email=email if i % 2 else email.upper()))

    results = mm.parallel(6, attempt)
    statuses = sorted(r.status if isinstance(r, mm.Response) else -1 for r in results)
    mm.eq(statuses, [201, 409, 409, 409, 409, 409], "one 201, five 409")
    mm.eq(mm.psql("SELECT count(*) FROM users WHERE email = :'p1';", email), [["1"]],
          "one user row")


# ---------------------------------------------------------------- login

def test_login_success_and_identical_401s():
    body = new_account()
    s = check_session(register(body), 201)
    uid = s["user"]["id"]
    c = mm.Client(token="garbage")  # the Authorization header is ignored
    r = c.post("/api/auth/login", {"email": body["email"].upper(),
                                   "password": body["password"]})
    no_secrets(r, body["password"])
    ls = check_session(r, 200, uid)
    mm.eq(ls["user"], s["user"], "login answers the same User object")
    mm.check(ls["refreshToken"] != s["refreshToken"], "a new refresh token")
    mm.eq(active_tokens(uid), 2, "login stored a second refresh token")
    mm.status(mm.Client(token=ls["token"]).get("/api/auth/me"), 200)

    wrong = c.post("/api/auth/login", {"email": body["email"], "password": body["password"] + "x"})
    unknown = c.post("/api/auth/login", {"email": "nobody-" + body["email"],
                                         "password": body["password"]})
    e1 = mm.error(wrong, "UNAUTHORIZED", 401)
    e2 = mm.error(unknown, "UNAUTHORIZED", 401)
    mm.eq(e1["message"], e2["message"], "same message for unknown email and wrong password")
    mm.eq(wrong.body, unknown.body, "identical bodies")
    for r in (wrong, unknown):
        no_secrets(r, body["password"])
    # An empty password, or one only differing in case, is wrong too.
    mm.error(c.post("/api/auth/login", {"email": body["email"],
                                        "password": body["password"].upper()}),
             "UNAUTHORIZED", 401)
    mm.eq(active_tokens(uid), 2, "failed logins issue no tokens")


def test_login_unknown_email_costs_like_a_wrong_password():
    body = new_account()
    check_session(register(body), 201)
    c = mm.Client()

    def timed(b):
        t0 = time.time()
        r = c.post("/api/auth/login", b)
        mm.status(r, 401)
        return time.time() - t0

    wrong = sorted(timed({"email": body["email"], "password": "not-the-password"})
                   for _ in range(3))[1]
    unknown = sorted(timed({"email": mm.unique("nobody") + "@example.test",
                            "password": "not-the-password"}) for _ in range(3))[1]
    # Only meaningful when the key derivation dominates the request time.
    if wrong > 0.05:
        mm.check(unknown > wrong * 0.5,
                 "unknown email %.3fs vs wrong password %.3fs" % (unknown, wrong))


def test_login_validation():
    c = mm.Client()
    for b in ({}, {"email": "a@b.cd"}, {"password": "password1"},
              {"email": 1, "password": "password1"},
              {"email": "a@b.cd", "password": 12345678},
              {"email": "a@b.cd", "password": None},
              {"email": ["a@b.cd"], "password": "password1"}):
        mm.error(c.post("/api/auth/login", b), "VALIDATION_ERROR", 400)
    for raw in ("[]", '"x"', "", "{"):
        mm.error(c.post("/api/auth/login", raw=raw.encode(),
                        headers={"Content-Type": "application/json"}),
                 "VALIDATION_ERROR", 400)
    mm.error(c.post("/api/auth/login", raw=b'{"email":"a@b.cd","password":"password1"}',
                    headers={"Content-Type": "text/plain"}), "VALIDATION_ERROR", 400)


def test_login_banned_or_suspended_forbidden():
    body = new_account()
    s = check_session(register(body), 201)
    uid = s["user"]["id"]
    rt = s["refreshToken"]
    c = mm.Client()
    for flag in ("banned", "suspended"):
        set_flags(uid, {"banned": flag == "banned", "suspended": flag == "suspended"})
        r = c.post("/api/auth/login", {"email": body["email"], "password": body["password"]})
        mm.error(r, "FORBIDDEN", 403)
        # A wrong password still gets the 401, revealing nothing.
        r = c.post("/api/auth/login", {"email": body["email"], "password": "wrong-password"})
        mm.error(r, "UNAUTHORIZED", 401)
        # Every authenticated endpoint refuses the account's access token.
        for path in ("/api/auth/me", "/api/auth/me/capabilities", "/api/auth/profile",
                     "/api/profile"):
            mm.error(mm.Client(token=s["token"]).get(path), "FORBIDDEN", 403)
        mm.error(mm.Client(token=s["token"]).put("/api/profile", {"displayName": "x"}),
                 "FORBIDDEN", 403)
        # Refresh answers 403 and does not consume the token.
        mm.error(c.post("/api/auth/refresh", {"refreshToken": rt}), "FORBIDDEN", 403)
        mm.eq(active_tokens(uid), 1, "the refresh token is not consumed")
    set_flags(uid, {"banned": False, "suspended": False})
    check_session(c.post("/api/auth/login", {"email": body["email"],
                                             "password": body["password"]}), 200, uid)
    r = c.post("/api/auth/refresh", {"refreshToken": rt})
    mm.status(r, 200)


def test_login_upgrades_a_hash_of_lower_cost():
    # A hash made elsewhere (Python's hashlib) at 1000 iterations verifies,
    # and is replaced by one of the configured cost when that is higher.
    uid, _, name = mm.create_user()
    password = "legacy-" + secrets.token_hex(6)
    salt = secrets.token_bytes(16)
    stored = "pbkdf2_sha256$1000$%s$%s" % (
        base64.b64encode(salt).decode(),
        base64.b64encode(hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 1000)).decode())
    mm.psql("UPDATE users SET password_hash = :'p2' WHERE id = :'p1';", uid, stored)
    email = name.lower() + "@example.test"
    c = mm.Client()
    check_session(c.post("/api/auth/login", {"email": email, "password": password}), 200, uid)
    now = mm.psql("SELECT password_hash FROM users WHERE id = :'p1';", uid)[0][0]
    m = HASH_FORM.match(now)
    mm.check(m, "still the pbkdf2_sha256 form")
    mm.eq(int(m.group(1)), max(ITERATIONS, 1000), "iterations after login")
    if ITERATIONS > 1000:
        mm.check(now != stored, "the hash was replaced")
    check_session(c.post("/api/auth/login", {"email": email, "password": password}), 200, uid)
    mm.error(c.post("/api/auth/login", {"email": email, "password": password + "!"}),
             "UNAUTHORIZED", 401)


# ---------------------------------------------------------------- access tokens

def test_tampered_access_tokens_unauthorized():
    uid, token, _ = mm.create_user()
    mm.status(mm.Client(token=token).get("/api/auth/me"), 200)
    secret = mm.jwt_secret()
    now = int(time.time())
    good = {"sub": uid, "iat": now, "exp": now + 600}
    head, payload, sig = token.split(".")
    flipped = sig[:-2] + ("A" if sig[-2] != "A" else "B") + sig[-1]
    gone_uid, gone_token, _ = mm.create_user()
    mm.psql("DELETE FROM users WHERE id = :'p1';", gone_uid)
    bad_tokens = {
        "alg none": mm.make_token(uid, alg="none"),
        "alg none, forged": forge({"alg": "none", "typ": "JWT"}, good),
        "alg none with the key": forge({"alg": "none"}, good, secret),
        "alg HS512": forge({"alg": "HS512", "typ": "JWT"}, good, secret),
        "alg hs256": forge({"alg": "hs256", "typ": "JWT"}, good, secret),
        "no alg": forge({"typ": "JWT"}, good, secret),
        "wrong key": mm.make_token(uid, key="another-secret-0123456789abcdef"),
        "bad signature": head + "." + payload + "." + flipped,
        "no signature": head + "." + payload + ".",
        "payload swapped": head + "." + mm.b64url(json.dumps(
            {"sub": "user_other", "iat": now, "exp": now + 600}).encode()) + "." + sig,
        "expired": mm.make_token(uid, iat=now - 7200, ttl=3600),
        "expires now": forge({"alg": "HS256", "typ": "JWT"},
                             {"sub": uid, "iat": now - 60, "exp": now - 1}, secret),
        "missing exp": forge({"alg": "HS256", "typ": "JWT"}, {"sub": uid, "iat": now}, secret),
        "exp as string": forge({"alg": "HS256", "typ": "JWT"},
                               {"sub": uid, "iat": now, "exp": str(now + 600)}, secret),
        "missing sub": forge({"alg": "HS256", "typ": "JWT"}, {"iat": now, "exp": now + 600},
                             secret),
        "unknown sub": mm.make_token("user_" + "0" * 32),
        "deleted user": gone_token,
        "two segments": head + "." + payload,
        "four segments": token + ".x",
        "junk": "not.a.token",
        "empty segments": "..",
    }
    for what, bad in bad_tokens.items():
        r = mm.Client(token=bad).get("/api/auth/me")
        e = mm.error(r, "UNAUTHORIZED", 401)
        mm.check(bad not in e["message"], "the token is not echoed (%s)" % what)
    headers = {
        "no header": None,
        "Basic scheme": "Basic " + base64.b64encode(b"a:b").decode(),
        "scheme only": "Bearer",
        "scheme and space": "Bearer ",
        "token without scheme": token,
        "Token scheme": "Token " + token,
        "trailing junk": "Bearer " + token + "x",
        "two tokens": "Bearer " + token + " " + token,
    }
    for what, h in headers.items():
        hdrs = {"Authorization": h} if h is not None else {}
        r = mm.Client().get("/api/auth/me", headers=hdrs)
        mm.error(r, "UNAUTHORIZED", 401)
    # The scheme is case-insensitive.
    for scheme in ("bearer", "BEARER", "Bearer"):
        r = mm.Client().get("/api/auth/me", headers={"Authorization": scheme + " " + token})
        mm.status(r, 200)


def test_required_endpoints_need_a_token():
    c = mm.Client()
    for method, path in (("GET", "/api/auth/me"), ("GET", "/api/auth/me/capabilities"),
                         ("GET", "/api/auth/profile"), ("GET", "/api/profile"),
                         ("PUT", "/api/profile")):
        r = c.request(method, path, body={"displayName": "x"} if method == "PUT" else None)
        mm.error(r, "UNAUTHORIZED", 401)
    # Authentication comes before body validation (§1.3).
    r = c.request("PUT", "/api/profile", raw=b"[", headers={"Content-Type": "application/json"})
    mm.error(r, "UNAUTHORIZED", 401)


def test_routes_and_methods():
    c = mm.Client()
    r = c.get("/api/auth/register")
    mm.error(r, "METHOD_NOT_ALLOWED", 405)
    mm.eq(r.header("Allow"), "POST", "Allow on register")
    r = c.delete("/api/profile")
    mm.error(r, "METHOD_NOT_ALLOWED", 405)
    mm.eq(sorted(x.strip() for x in r.header("Allow").split(",")), ["GET", "PUT"],
          "Allow on /api/profile")
    r = c.post("/api/auth/me", {})
    mm.error(r, "METHOD_NOT_ALLOWED", 405)
    mm.error(c.get("/api/auth/nothing-here"), "NOT_FOUND", 404)


# ---------------------------------------------------------------- refresh and logout

def test_refresh_rotates_and_reuse_revokes_everything():
    body = new_account()
    s = check_session(register(body), 201)
    uid = s["user"]["id"]
    other = insert_refresh(uid)  # another session of the same user
    c = mm.Client(token="garbage")  # ignored: auth none
    r = c.post("/api/auth/refresh", {"refreshToken": s["refreshToken"]})
    no_secrets(r)
    mm.status(r, 200)
    t = r.json
    mm.eq(set(t), {"token", "refreshToken", "expiresIn"}, "refresh keys")
    mm.eq(t["expiresIn"], JWT_TTL, "expiresIn")
    mm.check(t["refreshToken"] != s["refreshToken"], "a new refresh token")
    mm.eq(jwt_parts(t["token"])[1]["sub"], uid, "access token for the same user")
    mm.eq(r.header("Cache-Control"), "no-store", "not cached")
    mm.status(mm.Client(token=t["token"]).get("/api/auth/me"), 200)
    rows = mm.psql("SELECT token_hash, revoked_at IS NOT NULL FROM refresh_tokens "
                   "WHERE user_id = :'p1' ORDER BY created_at, token_hash;", uid)
    states = {h: rev for h, rev in rows}
    mm.eq(states.get(sha256(s["refreshToken"])), "t", "the presented token is revoked")
    mm.eq(states.get(sha256(t["refreshToken"])), "f", "the new token is active")
    mm.eq(states.get(sha256(other)), "f", "other sessions stay active")

    # The new token rotates in turn.
    r2 = c.post("/api/auth/refresh", {"refreshToken": t["refreshToken"]})
    mm.status(r2, 200)
    latest = r2.json["refreshToken"]

    # Reuse of the first token: 401, and every token of the user revoked.
    r = c.post("/api/auth/refresh", {"refreshToken": s["refreshToken"]})
    e = mm.error(r, "UNAUTHORIZED", 401)
    mm.check(s["refreshToken"] not in e["message"], "token not echoed")
    mm.eq(active_tokens(uid), 0, "theft detection revoked all refresh tokens")
    for tok in (latest, other, t["refreshToken"]):
        mm.error(c.post("/api/auth/refresh", {"refreshToken": tok}), "UNAUTHORIZED", 401)
    # Access tokens stay valid until they expire.
    mm.status(mm.Client(token=r2.json["token"]).get("/api/auth/me"), 200)


def test_refresh_unknown_expired_and_bad_bodies():
    uid, _, _ = mm.create_user()
    keep = insert_refresh(uid)
    expired = insert_refresh(uid, expires="now() - interval '1 second'")
    c = mm.Client()
    for tok in (secrets.token_hex(32), expired, "x", keep + "0", keep.upper()):
        mm.error(c.post("/api/auth/refresh", {"refreshToken": tok}), "UNAUTHORIZED", 401)
    # Neither an unknown nor an expired token counts as theft.
    mm.eq(active_tokens(uid), 2, "no token revoked")
    mm.status(c.post("/api/auth/refresh", {"refreshToken": keep}), 200)
    for b in ({}, {"refreshToken": None}, {"refreshToken": 123}, {"refreshToken": ""},
              {"refreshToken": [keep]}, {"token": keep}):
        mm.error(c.post("/api/auth/refresh", b), "VALIDATION_ERROR", 400)
    for raw in ("[]", '"%s"' % keep, ""):
        mm.error(c.post("/api/auth/refresh", raw=raw.encode(),
                        headers={"Content-Type": "application/json"}),
                 "VALIDATION_ERROR", 400)


def test_refresh_concurrent_use_of_one_token():
    uid, _, _ = mm.create_user()
    tok = insert_refresh(uid)
    n = 8
    results = mm.parallel(n, lambda i: mm.Client().post("/api/auth/refresh",
                                                         {"refreshToken": tok}))
    for r in results:
        mm.check(isinstance(r, mm.Response), "request failed: %r" % (r,))
    ok = [r for r in results if r.status == 200]
    mm.eq(len(ok), 1, "exactly one 200 among %r" % ([r.status for r in results],))
    for r in results:
        if r.status != 200:
            mm.error(r, "UNAUTHORIZED", 401)
    mm.eq(int(mm.psql("SELECT count(*) FROM refresh_tokens WHERE user_id = :'p1';",
                      uid)[0][0]), 2, "exactly one new token was issued")
    # The losers presented a token that was already rotated: theft detection.
    mm.eq(active_tokens(uid), 0, "the reuse revoked the family")


def test_logout():
    uid, access, _ = mm.create_user()
    tok = insert_refresh(uid)
    other = insert_refresh(uid)
    c = mm.Client(token="garbage")  # ignored: auth none
    r = c.post("/api/auth/logout", {"refreshToken": tok})
    mm.status(r, 200)
    mm.eq(r.json, {"success": True}, "logout body")
    mm.eq(mm.psql("SELECT revoked_at IS NOT NULL FROM refresh_tokens WHERE token_hash = :'p1';",
                  sha256(tok)), [["t"]], "the token is revoked")
    mm.eq(active_tokens(uid), 1, "only that token")
    # Again, and an unknown token: still 200, nothing else changes.
    for t in (tok, secrets.token_hex(32), "x"):
        r = c.post("/api/auth/logout", {"refreshToken": t})
        mm.status(r, 200)
        mm.eq(r.json, {"success": True}, "logout body")
    mm.eq(active_tokens(uid), 1, "the other session is untouched")
    mm.status(mm.Client(token=access).get("/api/auth/me"), 200)
    mm.status(mm.Client().post("/api/auth/refresh", {"refreshToken": other}), 200)
    for b in ({}, {"refreshToken": 5}, {"refreshToken": None}):
        mm.error(c.post("/api/auth/logout", b), "VALIDATION_ERROR", 400)
    mm.error(c.post("/api/auth/logout", raw=b"[]", headers={"Content-Type": "application/json"}),
             "VALIDATION_ERROR", 400)


# ---------------------------------------------------------------- me, capabilities, profile

def test_me_fields():
    uid, token, name = mm.create_user(balance=250)
    r = mm.Client(token=token).get("/api/auth/me")
    mm.status(r, 200)
    no_secrets(r)
    me = r.json
    mm.eq(set(me), ME_KEYS, "me keys")
    mm.eq(me["id"], uid, "id")
    mm.eq(me["username"], name, "username")
    mm.eq(me["email"], name.lower() + "@example.test", "email")
    mm.eq(me["creditBalance"], 250, "creditBalance")
    mm.eq(me["roles"], ["user"], "roles")
    mm.eq(me["currentLevel"], 1, "currentLevel")
    ts(me["createdAt"])
    # The balance is read live.
    mm.psql("SELECT update_credit_balance(:'p1', -50, 'test', NULL, :'p1' || ':me-test');", uid)
    mm.eq(mm.Client(token=token).get("/api/auth/me").json["creditBalance"], 200, "live balance")


def test_capabilities_per_role():
    def caps(roles):
        _, token, _ = mm.create_user(roles=roles)
        r = mm.Client(token=token).get("/api/auth/me/capabilities")
        mm.status(r, 200)
        mm.eq(set(r.json), {"capabilities"}, "capabilities key")
        c = r.json["capabilities"]
        mm.check(all(isinstance(x, str) for x in c), "strings")
        mm.eq(len(c), len(set(c)), "no duplicates")
        for base in BASE_CAPS:
            mm.check(base in c, "%s for %r" % (base, roles))
        return c

    user = caps(["user"])
    mm.eq(user[:4], BASE_CAPS, "the contract's capabilities first")
    mm.check("admin.*" not in user and "moderation.*" not in user, "plain user")
    admin = caps(["user", "admin"])
    mm.check("admin.*" in admin and "moderation.*" not in admin, "admin adds admin.*")
    mod = caps(["user", "moderator"])
    mm.check("moderation.*" in mod and "admin.*" not in mod, "moderator adds moderation.*")
    both = caps(["user", "admin", "moderator"])
    mm.check("admin.*" in both and "moderation.*" in both, "both roles")
    # Roles come from the database, not from the token.
    uid, token, _ = mm.create_user()
    mm.psql("UPDATE users SET roles = '[\"user\",\"admin\"]' WHERE id = :'p1';", uid)
    r = mm.Client(token=token).get("/api/auth/me/capabilities")
    mm.check("admin.*" in r.json["capabilities"], "role change applies at once")


def test_profile_get():
    uid, token, name = mm.create_user()
    set_flags(uid, {"verified": True})
    c = mm.Client(token=token)
    a = c.get("/api/auth/profile")
    b = c.get("/api/profile")
    mm.status(a, 200)
    mm.status(b, 200)
    no_secrets(a)
    mm.eq(a.json, b.json, "both profile paths answer the same")
    p = a.json
    mm.eq(set(p), PROFILE_KEYS, "profile keys")
    mm.eq(set(p["flags"]), FLAG_KEYS, "flags keys")
    mm.eq(p["flags"], {"verified": True, "banned": False, "suspended": False,
                       "emailConfirmed": False}, "flags")
    mm.eq(p["id"], uid, "id")
    mm.eq(p["username"], name, "username")
    for k in ("trialStartedAt", "trialEndsAt", "createdAt"):
        ts(p[k])


def test_profile_update():
    uid, token, _ = mm.create_user()
    c = mm.Client(token=token)
    r = c.put("/api/profile", {"displayName": "Ⓜuscle Ⓜap ' OR 1=1 --", "roles": ["admin"],
                               "email": "evil@example.test", "currentLevel": 99,
                               "flags": {"verified": True}})
    mm.status(r, 200)
    p = r.json
    mm.eq(set(p), PROFILE_KEYS, "profile keys")
    mm.eq(p["displayName"], "Ⓜuscle Ⓜap ' OR 1=1 --", "displayName verbatim")
    mm.eq(p["avatarUrl"], None, "avatarUrl unchanged")
    mm.eq(p["roles"], ["user"], "roles ignored")
    mm.check(p["email"] != "evil@example.test", "email ignored")
    mm.eq(p["currentLevel"], 1, "level ignored")
    mm.eq(p["flags"]["verified"], False, "flags ignored")
    mm.eq(c.get("/api/profile").json, p, "the update is stored")

    for url in ("https://cdn.example.test/a.png?size=2#x", "http://example.test",
                "HTTPS://EXAMPLE.TEST/a", "https://example.test/" + "a" * 2020):
        r = c.put("/api/profile", {"avatarUrl": url})
        mm.status(r, 200)
        mm.eq(r.json["avatarUrl"], url, "avatarUrl stored")
        mm.eq(r.json["displayName"], p["displayName"], "displayName kept")
    r = c.put("/api/profile", {"displayName": "💪" * 100, "avatarUrl": None})
    mm.status(r, 200)
    mm.eq((r.json["displayName"], r.json["avatarUrl"]), ("💪" * 100, None), "both fields")
    r = c.put("/api/profile", {"displayName": None})
    mm.status(r, 200)
    mm.eq(r.json["displayName"], None, "null clears displayName")
    mm.eq(mm.psql("SELECT display_name IS NULL, avatar_url IS NULL FROM users "
                  "WHERE id = :'p1';", uid), [["t", "t"]], "both cleared in the database")
    # The /api/auth/me view follows.
    mm.eq(c.get("/api/auth/me").json["displayName"], None, "me follows")


def test_profile_update_validation():
    uid, token, _ = mm.create_user()
    c = mm.Client(token=token)
    c.put("/api/profile", {"displayName": "Keep"})
    cases = [
        ({}, None),
        ({"roles": ["admin"], "email": "x@y.zz"}, None),
        ({"displayName": ""}, "displayName"),
        ({"displayName": "x" * 101}, "displayName"),
        ({"displayName": 42}, "displayName"),
        ({"displayName": ["a"]}, "displayName"),
        ({"displayName": True}, "displayName"),
        ({"avatarUrl": "ftp://example.test/a.png"}, "avatarUrl"),
        ({"avatarUrl": "javascript:alert(1)"}, "avatarUrl"),
        ({"avatarUrl": "example.test/a.png"}, "avatarUrl"),
        ({"avatarUrl": "https://"}, "avatarUrl"),
        ({"avatarUrl": "http:///path"}, "avatarUrl"),
        ({"avatarUrl": "https://exa mple.test/"}, "avatarUrl"),
        ({"avatarUrl": ""}, "avatarUrl"),
        ({"avatarUrl": "https://example.test/" + "a" * 2028}, "avatarUrl"),
        ({"avatarUrl": 5}, "avatarUrl"),
        ({"displayName": "ok", "avatarUrl": "nope"}, "avatarUrl"),
    ]
    for body, field in cases:
        err = mm.error(c.put("/api/profile", body), "VALIDATION_ERROR", 400)
        if field:
            mm.check(field in err["message"], "message names %s: %r" % (field, err))
    for raw in ("[]", '"x"', "", "{", "null"):
        mm.error(c.put("/api/profile", raw=raw.encode(),
                       headers={"Content-Type": "application/json"}),
                 "VALIDATION_ERROR", 400)
    mm.error(c.put("/api/profile", raw=b'{"displayName":"x"}',
                   headers={"Content-Type": "text/plain"}), "VALIDATION_ERROR", 400)
    mm.eq(c.get("/api/profile").json["displayName"], "Keep", "nothing was changed")


# ---------------------------------------------------------------- rate limit, secrets

def test_auth_rate_limit():
    # Start well inside a one-minute window.
    if time.time() % 60 > 45:
        time.sleep(61 - time.time() % 60)
    c = mm.Client(pinned=True)
    r = c.post("/api/auth/register", {})
    mm.error(r, "VALIDATION_ERROR", 400)
    limit = int(r.header("X-RateLimit-Limit"))
    expected = int(os.environ.get("MM_AUTH_RATE_LIMIT_PER_MIN") or 10)
    mm.eq(limit, expected, "register shows the auth limit")
    mm.eq(int(r.header("X-RateLimit-Remaining")), limit - 1, "remaining")
    reset = int(r.header("X-RateLimit-Reset"))
    mm.check(time.time() - 1 <= reset <= time.time() + 61, "reset within the minute")
    paths = ["/api/auth/login", "/api/auth/refresh", "/api/auth/register"]
    for i in range(1, limit):
        r = c.post(paths[i % 3], {})
        mm.error(r, "VALIDATION_ERROR", 400)
        mm.eq(int(r.header("X-RateLimit-Limit")), limit, "limit header")
        mm.eq(int(r.header("X-RateLimit-Remaining")), limit - 1 - i, "remaining")
    for path in paths:
        r = c.post(path, new_account() if path.endswith("register") else {})
        mm.error(r, "RATE_LIMITED", 429)
        mm.check(int(r.header("Retry-After")) >= 1, "Retry-After")
        mm.eq(int(r.header("X-RateLimit-Limit")), limit, "limit header on 429")
        mm.eq(int(r.header("X-RateLimit-Remaining")), 0, "nothing remaining")
        mm.check(r.header("X-RateLimit-Reset"), "reset header on 429")
    # Other endpoints of the same client count against the general limit.
    r = c.get("/api/auth/me")
    mm.error(r, "UNAUTHORIZED", 401)
    mm.eq(int(r.header("X-RateLimit-Limit")),
          int(os.environ.get("MM_RATE_LIMIT_PER_MIN") or 100), "the general limit")
    mm.status(c.post("/api/auth/logout", {"refreshToken": "x"}), 200)


def test_no_secret_reaches_a_response_or_a_log():
    body = new_account(password="Zq-" + secrets.token_hex(12))
    c = mm.Client()
    responses = []
    s = check_session(register(body, c), 201)
    uid = s["user"]["id"]
    stored = mm.psql("SELECT password_hash FROM users WHERE id = :'p1';", uid)[0][0]
    responses.append(c.post("/api/auth/login", {"email": body["email"],
                                                "password": body["password"] + "!"}))
    ls = c.post("/api/auth/login", {"email": body["email"], "password": body["password"]})
    responses.append(ls)
    rt2 = ls.json["refreshToken"]
    r3 = c.post("/api/auth/refresh", {"refreshToken": s["refreshToken"]})
    responses.append(r3)
    # Reuse: logged as a warning, which must not carry the token.
    responses.append(c.post("/api/auth/refresh", {"refreshToken": s["refreshToken"]}))
    responses.append(c.post("/api/auth/logout", {"refreshToken": rt2}))
    # A duplicate makes the database log an error (with its statement).
    responses.append(register(dict(body), c))
    mm.eq(responses[-1].status, 409, "duplicate")
    responses.append(mm.Client(token=s["token"]).get("/api/auth/me"))
    responses.append(mm.Client(token=s["token"]).get("/api/profile"))
    responses.append(mm.Client(token=s["token"] + "x").get("/api/auth/me"))
    secrets_seen = [body["password"], stored, sha256(s["refreshToken"]), sha256(rt2)]
    for r in responses:
        no_secrets(r, *secrets_seen)
    time.sleep(1.2)  # the access log is flushed every second
    tokens = [s["refreshToken"], rt2, r3.json["refreshToken"], s["token"]]
    logs = glob.glob(os.path.join(mm.VAR_DIR, "log", "*.log"))
    mm.check(logs, "log files found under %s" % mm.VAR_DIR)
    try:
        with open(os.path.join(mm.VAR_DIR, "pg.location")) as f:
            logs.append(os.path.join(f.read().strip(), "pg.log"))
    except OSError:
        pass
    with open(os.path.join(mm.VAR_DIR, "log", "auth.log"), "rb") as f:
        mm.check(uid.encode() in f.read(), "the reuse was logged (naming the user only)")
    for path in logs:
        try:
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        for secret in secrets_seen + tokens:
            mm.check(secret not in text, "%s contains a secret" % os.path.basename(path))


def test_me_document_equals_the_profile_document_field_by_field():
    """GET /api/auth/me comes from auth_user_me(), written out for speed;
    its document must stay the same as users_me(), the §2.3 document, for
    a user with every field set (archetype, level, balance, avatar)."""
    uid, tok, _ = mm.create_user(balance=250, roles=["user", "moderator"])
    mm.psql("UPDATE users SET display_name = 'Ünïcode \"name\"', avatar_url = 'https://a.test/x.png', "
            "current_archetype_id = (SELECT id FROM archetypes ORDER BY id LIMIT 1), "
            "current_level = 3 WHERE id = :'p1';", uid)
    me = mm.Client(token=tok).get("/api/auth/me")
    mm.status(me, 200)
    ref = json.loads(mm.psql("SELECT users_me(:'p1');", uid)[0][0])
    mm.eq(me.json, ref, "/me equals users_me()")
    mm.eq(me.json["creditBalance"], 250, "creditBalance")
    mm.eq(me.json["currentLevel"], 3, "currentLevel")
    mm.eq(me.json["roles"], ["user", "moderator"], "roles")
    mm.eq(me.json["avatarUrl"], "https://a.test/x.png", "avatarUrl")
