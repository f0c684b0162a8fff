"""Economy, entitlements and billing (contract §5): balances, history,
actions, pricing, the idempotent charge, checkout and the Stripe webhook,
and the ledger invariant under concurrent load (§1.9).

Webhook signatures are made with MM_STRIPE_WEBHOOK_SECRET, the secret the
running stack was started with (the local stack's development key unless
the environment names another).  The unset-secret case runs the economy
binary by hand, as CGI, without the variable.
"""
import hashlib
import hmac
import json
import os
import re
import time
import uuid

import mm

SECRET = os.environ.get("MM_STRIPE_WEBHOOK_SECRET") or "whsec_local_development_only"
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
BALANCE_KEYS = {"balance", "lifetimeEarned", "lifetimeSpent", "unlimited", "unlimitedReason"}
PUSHUP = {"exerciseId": "bw-pushup", "sets": 3}
PRICING = {"tiers": [{"id": "starter", "credits": 100, "priceCents": 499, "popular": False},
                     {"id": "standard", "credits": 500, "priceCents": 1999, "popular": True},
                     {"id": "premium", "credits": 1500, "priceCents": 4999, "popular": False}],
           "subscription": {"id": "unlimited", "priceCents": 999, "interval": "month",
                            "features": ["Unlimited workouts", "Priority support"]}}


def one(sql, *args):
    rows = mm.psql(sql, *args)
    return rows[0][0] if rows else None


def balance_of(uid):
    return int(one("SELECT balance FROM credit_balances WHERE user_id = :'p1';", uid))


def ledger_count(uid):
    return int(one("SELECT count(*) FROM credit_ledger WHERE user_id = :'p1';", uid))



def charge(client, key, action="workout", amount=None, metadata=None):
    body = {"action": action, "idempotencyKey": key}
    if amount is not None:
        body["amount"] = amount
    if metadata is not None:
        body["metadata"] = metadata
    return client.post("/api/economy/charge", body)


# ---------------------------------------------------------------- reads

def test_balance_three_routes():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    c = mm.Client(tok)
    mm.status(charge(c, "b1", amount=30), 200)
    for path in ("/api/economy/balance", "/api/credits/balance", "/api/economy/wallet"):
        r = c.get(path)
        mm.status(r, 200)
        mm.eq(r.json, {"balance": 70, "lifetimeEarned": 100, "lifetimeSpent": 30,
                       "unlimited": False, "unlimitedReason": None}, path)
    uid, tok, _ = mm.create_user(trial=True, balance=100)
    r = mm.Client(tok).get("/api/economy/balance").json
    mm.eq((r["unlimited"], r["unlimitedReason"], r["balance"]), (True, "trial", 100), "trial")
    uid, tok, _ = mm.create_user(trial=False, balance=0)
    mm.psql("INSERT INTO subscriptions (user_id, stripe_subscription_id, status) "
            "VALUES (:'p1', :'p2', 'active');", uid, mm.unique("sub_bal_"))
    r = mm.Client(tok).get("/api/credits/balance").json
    mm.eq(r, {"balance": 0, "lifetimeEarned": 0, "lifetimeSpent": 0, "unlimited": True,
              "unlimitedReason": "subscription"}, "subscription")
    # A user without any balance row.
    uid, tok, _ = mm.create_user(trial=False, balance=0)
    mm.psql("DELETE FROM credit_balances WHERE user_id = :'p1';", uid)
    r = mm.Client(tok).get("/api/economy/wallet")
    mm.status(r, 200)
    mm.eq(r.json["balance"], 0, "no balance row reads as 0")


def test_history_newest_first_with_pagination():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    c = mm.Client(tok)
    ids = []
    for i in range(5):
        r = charge(c, "h%d" % i, action="test.h-%d" % i, amount=i + 1, metadata={"n": i})
        mm.status(r, 200)
        ids.append(r.json["transactionId"])
    signup = one("SELECT id FROM credit_ledger WHERE user_id = :'p1' AND action = 'signup_bonus';", uid)
    expect = list(reversed(ids)) + [signup]
    for path in ("/api/economy/history", "/api/economy/transactions"):
        r = c.get(path)
        mm.status(r, 200)
        mm.eq(set(r.json), {"transactions", "total", "limit", "offset"}, "keys")
        mm.eq((r.json["total"], r.json["limit"], r.json["offset"]), (6, 20, 0), "meta")
        mm.eq([t["id"] for t in r.json["transactions"]], expect, path + " newest first")
        t = r.json["transactions"][0]
        mm.eq(set(t), {"id", "action", "amount", "balanceAfter", "metadata", "createdAt"}, "txn keys")
        mm.eq((t["action"], t["amount"], t["balanceAfter"], t["metadata"]),
              ("test.h-4", -5, 85, {"n": 4}), "newest transaction")
        mm.check(TS_RE.match(t["createdAt"]), "createdAt")
        last = r.json["transactions"][-1]
        mm.eq((last["action"], last["amount"], last["balanceAfter"], last["metadata"]),
              ("signup_bonus", 100, 100, None), "oldest: the signup bonus, metadata null")
    r = c.get("/api/economy/history?limit=2&offset=2").json
    mm.eq([t["id"] for t in r["transactions"]], expect[2:4], "page")
    mm.eq((r["total"], r["limit"], r["offset"]), (6, 2, 2), "page meta")
    r = c.get("/api/economy/transactions?limit=100&offset=6").json
    mm.eq((r["transactions"], r["total"]), ([], 6), "past the end")
    for q in ("limit=0", "limit=101", "limit=x", "offset=-1", "offset=1.5", "limit=-5"):
        for path in ("/api/economy/history", "/api/economy/transactions"):
            mm.error(c.get(path + "?" + q), "VALIDATION_ERROR", 400)
    u2, t2, _ = mm.create_user(trial=False, balance=0)
    mm.eq(mm.Client(t2).get("/api/economy/history").json["total"], 0, "own rows only")


def test_actions_enabled_only_no_auth():
    aid = "test_disabled_" + uuid.uuid4().hex[:8]
    mm.psql("INSERT INTO credit_actions (id, name, default_cost, enabled) "
            "VALUES (:'p1', 'Disabled', 5, false);", aid)
    try:
        for c in (mm.Client(), mm.Client("garbage-token")):
            r = c.get("/api/economy/actions")
            mm.status(r, 200)
            acts = {a["id"]: a for a in r.json["actions"]}
            mm.check(aid not in acts, "disabled actions are not listed")
            mm.eq(acts["workout"]["defaultCost"], 25, "workout costs 25")
            mm.eq(acts["prescription"]["defaultCost"], 1, "prescription costs 1")
            for a in acts.values():
                mm.eq(set(a), {"id", "name", "description", "defaultCost", "pluginId"}, "keys")
            mm.eq(acts["workout"]["pluginId"], None, "pluginId null")
            enabled = {row[0] for row in mm.psql("SELECT id FROM credit_actions WHERE enabled;")}
            mm.eq(set(acts), enabled, "every enabled action")
        # A disabled action cannot be charged at its default cost.
        uid, tok, _ = mm.create_user(trial=False, balance=100)
        mm.error(charge(mm.Client(tok), "dis", action=aid), "VALIDATION_ERROR", 400)
        mm.eq(balance_of(uid), 100, "nothing charged")
    finally:
        mm.psql("DELETE FROM credit_actions WHERE id = :'p1';", aid)


def test_pricing_exact_document():
    for c in (mm.Client(), mm.Client("garbage-token")):
        r = c.get("/api/economy/pricing")
        mm.status(r, 200)
        mm.eq(r.json, PRICING, "pricing document")
        mm.check(r.header("Content-Type").startswith("application/json"), "json")


# ---------------------------------------------------------------- charge

def test_charge_new_replay_and_insufficient():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    c = mm.Client(tok)
    r = charge(c, "c-1", metadata={"why": "test"})
    mm.status(r, 200)
    mm.eq(set(r.json), {"success", "transactionId", "newBalance", "existing"}, "keys")
    mm.eq((r.json["success"], r.json["newBalance"], r.json["existing"]), (True, 75, False),
          "default cost of workout")
    txn = r.json["transactionId"]
    mm.check(re.match(r"^txn_[0-9a-f]{32}$", txn), "txn id")
    row = mm.psql("SELECT action, amount, balance_after, metadata::text, idempotency_key "
                  "FROM credit_ledger WHERE id = :'p1';", txn)[0]
    mm.eq(row[:3], ["workout", "-25", "75"], "ledger row")
    mm.eq(json.loads(row[3]), {"why": "test"}, "metadata stored")
    mm.eq(row[4], uid + ":c-1", "per-user key")
    r = charge(c, "c-2", action="custom.thing", amount=40)
    mm.eq((r.json["newBalance"], r.json["existing"]), (35, False), "explicit amount")
    # Replays, with any body, answer the original row.
    for body in ({"action": "workout", "idempotencyKey": "c-1"},
                 {"action": "other", "idempotencyKey": "c-1", "amount": 999999},
                 {"action": "no-such-action-x", "idempotencyKey": "c-1"}):
        r = c.post("/api/economy/charge", body)
        mm.status(r, 200)
        mm.eq(r.json, {"success": True, "transactionId": txn, "newBalance": 75,
                       "existing": True}, "replay: original txn and balance_after")
    mm.eq(balance_of(uid), 35, "no second debit")
    # Insufficient: exact message, nothing written, key stays unused.
    r = charge(c, "c-3", amount=36)
    err = mm.error(r, "INSUFFICIENT_CREDITS", 400)
    mm.eq(err["message"], "You need 36 credits but only have 35", "exact message")
    mm.eq(one("SELECT count(*) FROM credit_ledger WHERE idempotency_key = :'p1';", uid + ":c-3"),
          "0", "nothing written")
    r = charge(c, "c-3", amount=35)
    mm.status(r, 200)
    mm.eq((r.json["newBalance"], r.json["existing"]), (0, False), "the key was still free")
    err = mm.error(charge(c, "c-4"), "INSUFFICIENT_CREDITS", 400)
    mm.eq(err["message"], "You need 25 credits but only have 0", "default cost message")
    mm.ledger_invariant(uid)


def test_charge_always_debits_and_keys_are_per_user():
    uid, tok, _ = mm.create_user(trial=True, balance=100)
    r = charge(mm.Client(tok), "shared-key")
    mm.eq((r.json["newBalance"], r.json["existing"]), (75, False), "trial users pay charges too")
    u2, t2, _ = mm.create_user(trial=False, balance=100)
    r2 = charge(mm.Client(t2), "shared-key")
    mm.eq((r2.json["newBalance"], r2.json["existing"]), (75, False), "same key, other user: new")
    mm.check(r2.json["transactionId"] != r.json["transactionId"], "distinct transactions")


def test_charge_validation():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    c = mm.Client(tok)
    bad = [
        {"idempotencyKey": "k"},
        {"action": "", "idempotencyKey": "k"},
        {"action": "Workout", "idempotencyKey": "k"},
        {"action": "1abc", "idempotencyKey": "k"},
        {"action": "a b", "idempotencyKey": "k"},
        {"action": "a" * 65, "idempotencyKey": "k"},
        {"action": 5, "idempotencyKey": "k"},
        {"action": "workout"},
        {"action": "workout", "idempotencyKey": ""},
        {"action": "workout", "idempotencyKey": "k" * 129},
        {"action": "workout", "idempotencyKey": 7},
        {"action": "workout", "idempotencyKey": "k", "amount": 0},
        {"action": "workout", "idempotencyKey": "k", "amount": -5},
        {"action": "workout", "idempotencyKey": "k", "amount": 1000001},
        {"action": "workout", "idempotencyKey": "k", "amount": 2.5},
        {"action": "workout", "idempotencyKey": "k", "amount": "5"},
        {"action": "workout", "idempotencyKey": "k", "metadata": [1]},
        {"action": "workout", "idempotencyKey": "k", "metadata": "x"},
        {"action": "unknown-action-z", "idempotencyKey": "k"},
    ]
    for body in bad:
        mm.error(c.post("/api/economy/charge", body), "VALIDATION_ERROR", 400)
    mm.error(c.request("POST", "/api/economy/charge", raw=b"[]",
                       headers={"Content-Type": "application/json"}), "VALIDATION_ERROR", 400)
    mm.eq((balance_of(uid), ledger_count(uid)), (100, 1), "nothing written")
    # Boundaries that are fine.
    r = charge(c, "k" * 128, action="a" + "b._-9" * 12 + "abc", amount=1, metadata={})
    mm.status(r, 200)
    mm.error(mm.Client().post("/api/economy/charge", {"action": "workout", "idempotencyKey": "k"}),
             "UNAUTHORIZED", 401)


def test_charge_twenty_copies_at_once_debit_once():
    uid, tok, _ = mm.create_user(trial=False, balance=100)
    res = mm.parallel(20, lambda i: charge(mm.Client(tok), "burst", amount=30))
    for r in res:
        mm.check(isinstance(r, mm.Response), "request failed: %r" % (r,))
        mm.status(r, 200)
    mm.eq(len({r.json["transactionId"] for r in res}), 1, "one transaction")
    mm.eq(sorted(r.json["existing"] for r in res), [False] + [True] * 19, "one new, 19 existing")
    mm.eq({r.json["newBalance"] for r in res}, {70}, "same newBalance")
    mm.eq(balance_of(uid), 70, "one debit")
    mm.ledger_invariant(uid)


def test_hammer_one_free_tier_user():
    """Concurrent workouts and charges of one free-tier user, with fresh and
    repeated keys: exactly as many distinct operations succeed as the
    balance pays for, and the ledger invariant holds."""
    uid, tok, _ = mm.create_user(trial=False, balance=300)
    # 22 distinct operations of 25 credits each: 10 workouts, 10 charges,
    # one workout key sent 5 times, one charge key sent 5 times.
    jobs = []
    for i in range(10):
        jobs.append(("w", "w-%d" % i))
        jobs.append(("c", "c-%d" % i))
    jobs += [("w", "w-rep")] * 5 + [("c", "c-rep")] * 5

    def run(i):
        kind, key = jobs[i]
        c = mm.Client(tok)
        if kind == "w":
            return c.post("/api/workouts", {"exercises": [PUSHUP], "idempotencyKey": key})
        return charge(c, key)

    res = mm.parallel(len(jobs), run)
    ok_ops = set()
    for (kind, key), r in zip(jobs, res):
        mm.check(isinstance(r, mm.Response), "request failed: %r" % (r,))
        if r.status in (200, 201):
            ok_ops.add((kind, key))
        else:
            err = mm.error(r, "INSUFFICIENT_CREDITS", 400)
            mm.check(re.match(r"^You need 25 credits but only have ([0-9]|1[0-9]|2[0-4])$",
                              err["message"]), "message: %r" % err["message"])
    mm.eq(len(ok_ops), 12, "300 credits pay for exactly 12 operations")
    # Repeated keys answered consistently.
    for kind, key in (("w", "w-rep"), ("c", "c-rep")):
        rs = [r for (k2, key2), r in zip(jobs, res) if (k2, key2) == (kind, key)]
        if (kind, key) in ok_ops:
            mm.check(all(r.status in (200, 201) for r in rs), "all copies succeed together")
            ids = {r.json["id"] if kind == "w" else r.json["transactionId"] for r in rs}
            mm.eq(len(ids), 1, "copies answer one result")
            if kind == "w":
                mm.eq(sorted(r.status for r in rs), [200] * 4 + [201], "one 201")
            else:
                mm.eq(sorted(r.json["existing"] for r in rs), [False] + [True] * 4, "one new")
        else:
            mm.check(all(r.status == 400 for r in rs), "all copies refused together")
    mm.eq(mm.ledger_invariant(uid), 0, "everything spent, nothing more")
    mm.eq(ledger_count(uid), 13, "12 debits + the signup bonus")
    workouts = int(one("SELECT count(*) FROM workouts WHERE user_id = :'p1';", uid))
    mm.eq(workouts, len([o for o in ok_ops if o[0] == "w"]), "one workout per successful op")
    r = mm.Client(tok).get("/api/economy/balance").json
    mm.eq((r["balance"], r["lifetimeSpent"], r["lifetimeEarned"]), (0, 300, 300), "API agrees")


# ---------------------------------------------------------------- entitlements

def test_entitlements():
    uid, tok, _ = mm.create_user(trial=True, balance=100)
    for path in ("/api/entitlements", "/api/me/entitlements"):
        r = mm.Client(tok).get(path)
        mm.status(r, 200)
        e = r.json
        mm.eq(set(e), {"unlimited", "reason", "trialEndsAt", "daysLeftInTrial",
                       "subscriptionStatus", "subscriptionEndsAt", "creditBalance"}, "keys")
        mm.eq((e["unlimited"], e["reason"], e["daysLeftInTrial"], e["subscriptionStatus"],
               e["subscriptionEndsAt"], e["creditBalance"]),
              (True, "trial", 90, None, None, 100), path)
        mm.check(TS_RE.match(e["trialEndsAt"]), "trialEndsAt")
    mm.psql("UPDATE users SET trial_ends_at = now() + interval '36 hours' WHERE id = :'p1';", uid)
    mm.eq(mm.Client(tok).get("/api/entitlements").json["daysLeftInTrial"], 2, "ceil of 1.5 days")

    uid, tok, _ = mm.create_user(trial=False, balance=40)
    e = mm.Client(tok).get("/api/me/entitlements").json
    mm.eq((e["unlimited"], e["reason"], e["daysLeftInTrial"], e["creditBalance"]),
          (False, "credits", 0, 40), "free tier")
    mm.psql("INSERT INTO subscriptions (user_id, stripe_subscription_id, status, current_period_end, "
            "created_at) VALUES (:'p1', :'p2', 'canceled', '2020-01-01Z', now() - interval '1 day');",
            uid, mm.unique("sub_old_"))
    mm.psql("INSERT INTO subscriptions (user_id, stripe_subscription_id, status, current_period_end) "
            "VALUES (:'p1', :'p2', 'active', '2030-05-01T00:00:00Z');", uid, mm.unique("sub_new_"))
    e = mm.Client(tok).get("/api/entitlements").json
    mm.eq((e["unlimited"], e["reason"], e["subscriptionStatus"], e["subscriptionEndsAt"],
           e["creditBalance"]),
          (True, "subscription", "active", "2030-05-01T00:00:00.000Z", 40), "subscription")
    mm.psql("UPDATE subscriptions SET status = 'past_due' WHERE user_id = :'p1' AND status = 'active';", uid)
    e = mm.Client(tok).get("/api/entitlements").json
    mm.eq((e["unlimited"], e["reason"], e["subscriptionStatus"]), (False, "credits", "past_due"),
          "past_due is not unlimited")
    mm.error(mm.Client().get("/api/entitlements"), "UNAUTHORIZED", 401)


# ---------------------------------------------------------------- billing

def test_checkout_each_tier():
    uid, tok, _ = mm.create_user(trial=False, balance=0)
    c = mm.Client(tok)
    for tier in PRICING["tiers"]:
        r = c.post("/api/billing/checkout", {"tierId": tier["id"]})
        mm.status(r, 201)
        p = r.json
        mm.eq(set(p), {"id", "tierId", "credits", "amountCents", "status", "createdAt"}, "keys")
        mm.check(re.match(r"^purch_[0-9a-f]{32}$", p["id"]), "purchase id")
        mm.eq((p["tierId"], p["credits"], p["amountCents"], p["status"]),
              (tier["id"], tier["credits"], tier["priceCents"], "pending"), tier["id"])
        mm.check(TS_RE.match(p["createdAt"]), "createdAt")
        row = mm.psql("SELECT user_id, tier_id, credits, amount_cents, status FROM purchases "
                      "WHERE id = :'p1';", p["id"])[0]
        mm.eq(row, [uid, tier["id"], str(tier["credits"]), str(tier["priceCents"]), "pending"], "row")
    for body in ({"tierId": "gold"}, {"tierId": ""}, {"tierId": 1}, {}, {"tierId": "Starter"}):
        mm.error(c.post("/api/billing/checkout", body), "VALIDATION_ERROR", 400)
    mm.eq(balance_of(uid), 0, "checkout grants nothing")
    mm.error(mm.Client().post("/api/billing/checkout", {"tierId": "starter"}), "UNAUTHORIZED", 401)


def sign(raw, secret=None, t=None):
    t = int(time.time()) if t is None else t
    mac = hmac.new((secret or SECRET).encode(), str(t).encode() + b"." + raw,
                   hashlib.sha256).hexdigest()
    return "t=%d,v1=%s" % (t, mac)


def deliver(raw, signature, client=None):
    if isinstance(raw, dict):
        raw = json.dumps(raw).encode()
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if signature is not None:
        headers["Stripe-Signature"] = signature
    return (client or mm.Client()).request("POST", "/api/billing/webhook", raw=raw, headers=headers)


def event(etype, obj, eid=None):
    return {"id": eid or "evt_" + uuid.uuid4().hex, "object": "event", "type": etype,
            "data": {"object": obj}}


def _webhook_without_secret(raw, sig):
    """Runs the economy binary as CGI with no webhook secret configured."""
    import subprocess
    env = {k: v for k, v in os.environ.items() if k != "MM_STRIPE_WEBHOOK_SECRET"}
    env.update(REQUEST_METHOD="POST", PATH_INFO="/api/billing/webhook",
               CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(raw)),
               REMOTE_ADDR=mm.fresh_ip(), MM_VAR_DIR=mm.VAR_DIR,
               DATABASE_URL="postgresql://musclemap@127.0.0.1:%d/musclemap" % mm.PG_PORT)
    if sig is not None:
        env["HTTP_STRIPE_SIGNATURE"] = sig
    binary = os.path.join(os.environ.get("MM_BIN_DIR", mm.ROOT), "cgi-bin", "economy")
    out = subprocess.run([binary], env=env, input=raw, capture_output=True, timeout=30).stdout
    head, _, body = out.partition(b"\r\n\r\n")
    return head, json.loads(body)


def test_webhook_secret_unset_503():
    uid, tok, _ = mm.create_user(trial=False, balance=0)
    pid = mm.Client(tok).post("/api/billing/checkout", {"tierId": "starter"}).json["id"]
    body = event("checkout.session.completed", {"id": "cs_x", "client_reference_id": pid})
    raw = json.dumps(body).encode()
    for sig in (None, "t=1,v1=00", sign(raw, secret="whatever"), sign(raw)):
        head, err = _webhook_without_secret(raw, sig)
        mm.check(head.startswith(b"Status: 503"), "503 without a secret: %r" % head[:40])
        mm.eq(err["error"]["code"], "SERVICE_UNAVAILABLE", "code")
        mm.eq(err["error"]["statusCode"], 503, "statusCode")
    mm.eq(one("SELECT status FROM purchases WHERE id = :'p1';", pid), "pending", "nothing changed")


def _pending_purchase(tier="standard", balance=10):
    uid, tok, _ = mm.create_user(trial=False, balance=balance)
    p = mm.Client(tok).post("/api/billing/checkout", {"tierId": tier}).json
    return uid, tok, p


def test_webhook_signature_cases():
    uid, tok, p = _pending_purchase()
    body = event("checkout.session.completed",
                 {"id": "cs_test_1", "client_reference_id": p["id"], "payment_intent": "pi_1"})
    raw = json.dumps(body).encode()
    now = int(time.time())
    mac = sign(raw).split("v1=")[1]
    bad_sigs = [
        None,                                           # missing
        "",                                             # empty
        "garbage",                                      # malformed
        "t=%d" % now,                                   # no v1
        "v1=%s" % mac,                                  # no t
        "t=abc,v1=%s" % mac,                            # t not a number
        sign(raw, secret="whsec_wrong_secret"),         # wrong secret
        # Stale and future by a minute past the 300 s tolerance, so that a
        # slow run (the requests above take time) cannot bring them inside.
        sign(raw, t=now - 360),                         # stale
        sign(raw, t=now + 360),                         # from the future
        sign(raw + b" "),                               # another body
        "t=%d,v1=%s" % (now, mac.upper()),              # not lowercase hex
        "t=%d,v0=%s" % (now, sign(raw, t=now).split("v1=")[1]),  # other scheme only
    ]
    for sig in bad_sigs:
        mm.error(deliver(raw, sig), "VALIDATION_ERROR", 400)
    mm.eq(one("SELECT status FROM purchases WHERE id = :'p1';", p["id"]), "pending", "untouched")
    mm.eq(balance_of(uid), 10, "no credits")
    mm.eq(one("SELECT count(*) FROM webhook_events WHERE id = :'p1';", body["id"]), "0",
          "event not recorded")
    # Good: also with several v1 of which one matches, and within tolerance.
    good = sign(raw, t=now - 250)
    t_part, v_part = good.split(",")
    r = deliver(raw, "%s,v1=%s,%s,v0=abc" % (t_part, "0" * 64, v_part))
    mm.status(r, 200)
    mm.eq(r.json, {"received": True}, "acknowledged")
    row = mm.psql("SELECT status, stripe_session_id, stripe_payment_id, completed_at IS NOT NULL "
                  "FROM purchases WHERE id = :'p1';", p["id"])[0]
    mm.eq(row, ["completed", "cs_test_1", "pi_1", "t"], "purchase completed")
    mm.eq(balance_of(uid), 510, "standard pack credited")
    # A validly signed body that is not a JSON object.
    for raw2 in (b"[1,2]", b"not json", b""):
        mm.error(deliver(raw2, sign(raw2)), "VALIDATION_ERROR", 400)
    mm.ledger_invariant(uid)


def test_webhook_checkout_credits_once():
    uid, tok, p = _pending_purchase("premium", balance=5)
    obj = {"id": "cs_test_2", "payment_intent": "pi_2", "amount_total": 1,
           "metadata": {"purchaseId": p["id"], "credits": 999999}, "credits": 999999}
    body = event("checkout.session.completed", obj)
    raw = json.dumps(body).encode()
    # Five deliveries of the same event at once, then five more in a row.
    res = mm.parallel(5, lambda i: deliver(raw, sign(raw)))
    for r in res:
        mm.check(isinstance(r, mm.Response), "request failed: %r" % (r,))
        mm.status(r, 200)
    for _ in range(5):
        mm.status(deliver(raw, sign(raw)), 200)
    # Another event id for the same session.
    other = event("checkout.session.completed", obj)
    mm.status(deliver(other, sign(json.dumps(other).encode())), 200)
    mm.eq(balance_of(uid), 1505, "the stored 1500 credits, once (payload amounts ignored)")
    rows = mm.psql("SELECT action, amount, metadata::text, idempotency_key FROM credit_ledger "
                   "WHERE user_id = :'p1' AND action = 'purchase';", uid)
    mm.eq(len(rows), 1, "one purchase ledger row")
    mm.eq(rows[0][:2], ["purchase", "1500"], "ledger row")
    mm.eq(json.loads(rows[0][2]), {"purchaseId": p["id"]}, "metadata purchaseId")
    mm.check(p["id"] in rows[0][3], "key derived from the purchase id")
    mm.eq(one("SELECT status FROM purchases WHERE id = :'p1';", p["id"]), "completed", "status")
    hist = mm.Client(tok).get("/api/economy/history").json["transactions"][0]
    mm.eq((hist["action"], hist["amount"], hist["metadata"]),
          ("purchase", 1500, {"purchaseId": p["id"]}), "history shows the purchase")
    mm.ledger_invariant(uid)


def test_webhook_ignores_unknown():
    for body in (event("invoice.paid", {"id": "in_1"}),
                 event("checkout.session.completed", {"id": "cs_x",
                                                      "client_reference_id": "purch_nope"}),
                 event("checkout.session.completed", {"id": "cs_y"}),
                 event("customer.subscription.updated", {"id": "sub_nobody", "customer": "cus_nobody",
                                                         "status": "active"}),
                 event("customer.subscription.created", {"id": "sub_ghost", "status": "active",
                                                         "metadata": {"userId": "user_nope"}}),
                 event("checkout.session.completed", "not an object"),
                 {"type": "ping"}):
        raw = json.dumps(body).encode()
        r = deliver(raw, sign(raw))
        mm.status(r, 200)
        mm.eq(r.json, {"received": True}, "acknowledged")
    mm.eq(one("SELECT count(*) FROM subscriptions WHERE stripe_subscription_id IN "
              "('sub_nobody', 'sub_ghost');"), "0", "no subscription for nobody")


def test_webhook_subscription_lifecycle():
    uid, tok, _ = mm.create_user(trial=False, balance=50)
    c = mm.Client(tok)
    sub_id = "sub_" + uuid.uuid4().hex[:14]
    cus = "cus_" + uuid.uuid4().hex[:14]
    start, end = 1767225600, 1769904000

    def send(etype, status, metadata=True, **extra):
        obj = {"id": sub_id, "customer": cus, "status": status, "current_period_start": start,
               "current_period_end": end, "cancel_at_period_end": False}
        if metadata:
            obj["metadata"] = {"userId": uid}
        obj.update(extra)
        body = event(etype, obj)
        raw = json.dumps(body).encode()
        mm.status(deliver(raw, sign(raw)), 200)

    def row():
        return mm.psql("SELECT user_id, status, stripe_customer_id, cancel_at_period_end, "
                       "extract(epoch FROM current_period_start)::bigint, "
                       "extract(epoch FROM current_period_end)::bigint "
                       "FROM subscriptions WHERE stripe_subscription_id = :'p1';", sub_id)

    send("customer.subscription.created", "trialing")
    mm.eq(row(), [[uid, "active", cus, "f", str(start), str(end)]], "created: trialing -> active")
    e = c.get("/api/entitlements").json
    mm.eq((e["unlimited"], e["reason"], e["subscriptionStatus"]), (True, "subscription", "active"),
          "entitlements follow at once")
    mm.status(c.post("/api/workouts", {"exercises": [PUSHUP]}), 201)
    mm.eq(balance_of(uid), 50, "subscribed: workouts are free")
    # Updates find the user through the customer when metadata is absent.
    send("customer.subscription.updated", "past_due", metadata=False, cancel_at_period_end=True)
    mm.eq(row()[0][1:4], ["past_due", cus, "t"], "past_due kept, cancel flag")
    mm.eq(c.get("/api/me/entitlements").json["reason"], "credits", "past_due: credits")
    send("customer.subscription.updated", "active")
    mm.eq(row()[0][1], "active", "active again")
    send("customer.subscription.updated", "incomplete_expired")
    mm.eq(row()[0][1], "inactive", "unknown status -> inactive")
    for status in ("unpaid", "canceled", "active"):
        send("customer.subscription.updated", status)
        mm.eq(row()[0][1], status, status)
    send("customer.subscription.deleted", "active")
    mm.eq(row()[0][1], "canceled", "deleted -> canceled")
    mm.eq(len(row()), 1, "one row per Stripe subscription")
    e = c.get("/api/entitlements").json
    mm.eq((e["unlimited"], e["subscriptionStatus"]), (False, "canceled"), "no longer unlimited")
    r = c.post("/api/workouts", {"exercises": [PUSHUP]})
    mm.eq(r.json["creditsUsed"], 25, "charged again")


def test_no_auth_is_401():
    anon = mm.Client()
    for method, path in (("GET", "/api/economy/balance"), ("GET", "/api/credits/balance"),
                         ("GET", "/api/economy/wallet"), ("GET", "/api/economy/history"),
                         ("GET", "/api/economy/transactions"), ("POST", "/api/economy/charge"),
                         ("GET", "/api/entitlements"), ("GET", "/api/me/entitlements"),
                         ("POST", "/api/billing/checkout")):
        body = {} if method == "POST" else None
        mm.error(anon.request(method, path, body=body), "UNAUTHORIZED", 401)
        mm.error(mm.Client("x.y.z").request(method, path, body=body), "UNAUTHORIZED", 401)
    uid, tok, _ = mm.create_user(trial=False, flags={"suspended": True})
    mm.error(mm.Client(tok).get("/api/economy/balance"), "FORBIDDEN", 403)
    mm.error(mm.Client(tok).post("/api/economy/charge", {"action": "workout",
                                                         "idempotencyKey": "k"}), "FORBIDDEN", 403)
    mm.error(anon.request("GET", "/api/billing/webhook"), "METHOD_NOT_ALLOWED", 405)
