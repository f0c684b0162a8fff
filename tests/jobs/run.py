#!/usr/bin/env python3
"""Tests of the scheduled jobs (cron/, etc/crontab) against the running
stack's database.

Each test prepares rows, runs a job executable, checks what it wrote, runs
it again to show the second run changes nothing, and the lock tests hold a
job's advisory lock from a psql session to show that a second copy refuses
to start. The stack runs this file from `make test` (etc/stack.sh).

Usage: run.py [substring ...]   (only tests whose name contains one of them)
Ends with "N passed, N failed" and exits non-zero on a failure.
"""
import datetime
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "http"))
import mm  # noqa: E402

BIN_DIR = os.environ.get("MM_BIN_DIR", mm.ROOT)
JOBS = ["check-streaks", "update-rival-scores", "expire-challenges",
        "assign-daily-challenges", "create-weekly-snapshots", "snapshot-leaderboards"]
PUSHUPS = [{"exerciseId": "bw-pushup", "sets": 3, "reps": 10}]


def today():
    return datetime.datetime.now(datetime.timezone.utc).date()


class Run:
    def __init__(self, p):
        self.rc = p.returncode
        self.stdout = p.stdout
        self.stderr = p.stderr
        self.lines = []
        for line in p.stderr.splitlines():
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                pass
        self.summary = {}
        for l in self.lines:
            if l.get("msg", "").startswith("summary: "):
                self.summary = dict(kv.split("=", 1) for kv in l["msg"][9:].split())

    def count(self, key):
        return int(self.summary.get(key, -1))

    def __repr__(self):
        return "<rc=%d %s>" % (self.rc, self.stderr[-800:])


def run_job(name, *args, env=None):
    e = dict(os.environ, MM_VAR_DIR=mm.VAR_DIR)
    e.update(env or {})
    p = subprocess.run([os.path.join(BIN_DIR, "cron", name)] + list(args), env=e,
                       capture_output=True, text=True, timeout=300)
    return Run(p)


def ok(run, what=""):
    mm.check(run.rc == 0 and run.summary.get("status") == "ok", "%s failed: %r" % (what, run))
    return run


def add_workout(uid, day, entries=None, acts=None, public=True):
    """A workout dated `day` (a date); activations from the catalog (§4.1)."""
    entries = PUSHUPS if entries is None else entries
    row = mm.psql(
        "WITH e AS (SELECT x->>'exerciseId' AS ex, (x->>'sets')::numeric AS s "
        "             FROM jsonb_array_elements(:'p2'::jsonb) x), "
        "a AS (SELECT ea.muscle_id, sum(e.s * ea.activation / m.bias_weight) AS v "
        "        FROM e JOIN exercise_activations ea ON ea.exercise_id = e.ex "
        "        JOIN muscles m ON m.id = ea.muscle_id WHERE ea.activation > 0 GROUP BY 1), "
        "acts AS (SELECT COALESCE(NULLIF(:'p4', '')::jsonb, (SELECT COALESCE("
        "           jsonb_object_agg(muscle_id, round(v::numeric, 2)), '{}') FROM a)) AS j) "
        "INSERT INTO workouts (user_id, date, total_tu, credits_used, exercise_data, "
        "    muscle_activations, is_public) "
        "SELECT :'p1', :'p3'::date, (SELECT round(COALESCE(sum(value::numeric), 0), 2) "
        "          FROM acts, jsonb_each_text(acts.j)), 0, :'p2'::jsonb, acts.j, :p5 "
        "  FROM acts RETURNING total_tu;",
        uid, json.dumps(entries), day.isoformat(), json.dumps(acts) if acts else "",
        "true" if public else "false")
    return float(row[0][0])


def days_ago(n):
    return today() - datetime.timedelta(days=n)


def q(sql, *args):
    return mm.psql(sql, *args)


class hold_lock:
    """Holds a job's advisory lock from a separate psql session."""

    def __init__(self, job):
        self.job = job
        self.app = mm.unique("joblock")

    def __enter__(self):
        user = "postgres" if os.getuid() == 0 else os.environ.get("USER", "postgres")
        self.p = subprocess.Popen(
            ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(mm.PG_PORT), "-U", user,
             "-d", "musclemap"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, text=True, env=dict(os.environ, PGAPPNAME=self.app))
        self.p.stdin.write("SELECT pg_advisory_lock(job_lock_key('%s'));\n" % self.job)
        self.p.stdin.flush()
        deadline = time.time() + 10
        while time.time() < deadline:
            held = q("SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a "
                     "ON a.pid = l.pid WHERE a.application_name = :'p1' "
                     "AND l.locktype = 'advisory' AND l.granted;", self.app)
            if held[0][0] == "1":
                return self
            time.sleep(0.05)
        raise mm.Failure("psql did not get the lock")

    def __exit__(self, *exc):
        self.p.stdin.close()
        self.p.wait(timeout=10)


# ---------------------------------------------------------------- check-streaks

def streak_row(uid):
    r = q("SELECT current_streak, longest_streak, last_workout_date, updated_at "
          "FROM user_streaks WHERE user_id = :'p1';", uid)
    return r[0] if r else None


def test_check_streaks():
    a, _, _ = mm.create_user()
    for d in (0, 1, 2, 10, 11, 12, 13):
        add_workout(a, days_ago(d))
    b, _, _ = mm.create_user()
    for d in (3, 4, 5):
        add_workout(b, days_ago(d))
    q("INSERT INTO user_streaks (user_id, current_streak, longest_streak, "
      "last_workout_date) VALUES (:'p1', 3, 3, :'p2'::date);", b, days_ago(3).isoformat())
    c, _, _ = mm.create_user()
    y, _, _ = mm.create_user()
    for d in (1, 2):
        add_workout(y, days_ago(d))
    dry = ok(run_job("check-streaks", "--dry-run"), "dry run")
    mm.check(dry.count("changed") >= 3, "dry run counts the changes: %r" % dry.summary)
    mm.eq(dry.summary["dry_run"], "true", "dry run reported")
    mm.eq((streak_row(a), streak_row(c)), (None, None), "dry run wrote nothing")
    mm.eq(streak_row(b)[:2], ["3", "3"], "dry run left the stale row")
    first = ok(run_job("check-streaks"))
    mm.check(first.count("changed") >= 3, "changes counted: %r" % first.summary)
    mm.eq(first.count("processed"), int(q("SELECT count(*) FROM users;")[0][0]),
          "every user looked at")
    mm.eq(streak_row(a)[:3], ["3", "4", today().isoformat()], "current 3, longest 4")
    mm.eq(streak_row(b)[:3], ["0", "3", days_ago(3).isoformat()], "broken streak reset")
    mm.eq(streak_row(y)[:3], ["2", "2", days_ago(1).isoformat()], "a streak ending yesterday")
    mm.eq(streak_row(c), None, "no workouts, no row")
    before = {u: streak_row(u) for u in (a, b, y)}
    second = ok(run_job("check-streaks"))
    mm.eq(second.count("changed"), 0, "second run changes nothing: %r" % second.summary)
    mm.eq({u: streak_row(u) for u in (a, b, y)}, before, "rows untouched (updated_at too)")
    add_workout(b, days_ago(0))
    third = ok(run_job("check-streaks"))
    mm.check(third.count("changed") >= 1, "a new workout is picked up")
    mm.eq(streak_row(b)[:2], ["1", "3"], "new streak of 1")


def test_batches_and_verbose():
    n = int(q("SELECT count(*) FROM users;")[0][0])
    r = ok(run_job("check-streaks", "--batch-size", "7", "--verbose"))
    mm.eq(r.count("processed"), n, "all users across batches")
    mm.eq(r.count("batches"), n // 7 + 1, "ceil-or-one-more batches of 7")
    lines = [l["msg"] for l in r.lines if re.match(r"users: batch \d+:", l.get("msg", ""))]
    mm.eq(len(lines), r.count("batches"), "one verbose line per batch")
    quiet = ok(run_job("check-streaks"))
    mm.eq([l for l in quiet.lines if "batch" in l.get("msg", "")
           and not l["msg"].startswith("summary")], [], "no batch lines without --verbose")
    mm.eq(quiet.count("batches"), n // 1000 + 1, "batches of 1000 by default")


# --------------------------------------------------------- update-rival-scores

def test_update_rival_scores():
    a, _, _ = mm.create_user()
    b, _, _ = mm.create_user()
    c, _, _ = mm.create_user()
    monday = today() - datetime.timedelta(days=today().weekday())
    ta = add_workout(a, today()) + add_workout(a, today())
    add_workout(a, days_ago(7))
    tb = add_workout(b, today(), entries=[{"exerciseId": "fw-squat", "sets": 2}])
    rid = q("INSERT INTO rivalries (user_id, rival_id) VALUES (:'p1', :'p2') RETURNING id;",
            a, b)[0][0]
    ended = q("INSERT INTO rivalries (user_id, rival_id, status) VALUES (:'p1', :'p2', "
              "'ended') RETURNING id;", a, c)[0][0]
    dry = ok(run_job("update-rival-scores", "--dry-run"))
    mm.check(dry.count("changed") >= 1, "dry run counts")
    mm.eq(q("SELECT scores_updated_at IS NULL FROM rivalries WHERE id = :'p1';", rid),
          [["t"]], "dry run wrote nothing")
    first = ok(run_job("update-rival-scores"))
    mm.check(first.count("changed") >= 1, "changed")
    row = q("SELECT week_start, user_score, rival_score, leader_id FROM rivalries "
            "WHERE id = :'p1';", rid)[0]
    mm.eq(row[0], monday.isoformat(), "this ISO week")
    mm.eq((float(row[1]), float(row[2])), (round(ta, 2), round(tb, 2)),
          "this week's TU of each side (last week's left out)")
    mm.eq(row[3], a if ta > tb else b, "leader")
    mm.eq(q("SELECT scores_updated_at IS NULL, user_score FROM rivalries "
            "WHERE id = :'p1';", ended), [["t", "0.00"]], "an ended rivalry is not scored")
    stamp = q("SELECT scores_updated_at FROM rivalries WHERE id = :'p1';", rid)
    second = ok(run_job("update-rival-scores"))
    mm.eq(second.count("changed"), 0, "second run changes nothing")
    mm.eq(q("SELECT scores_updated_at FROM rivalries WHERE id = :'p1';", rid), stamp,
          "row untouched")
    tb += add_workout(b, today(), entries=[{"exerciseId": "fw-squat", "sets": 20}])
    ok(run_job("update-rival-scores"))
    row = q("SELECT rival_score, leader_id FROM rivalries WHERE id = :'p1';", rid)[0]
    mm.eq(float(row[0]), round(tb, 2), "new workout counted")
    mm.eq(row[1], b if tb > ta else a, "lead follows the scores")


# ------------------------------------------------------------ daily challenges

def challenge(uid, day, kind, target, group=None, status="active"):
    return q("INSERT INTO daily_challenges (user_id, challenge_date, kind, muscle_group, "
             "target, title) VALUES (:'p1', :'p2'::date, :'p3', NULLIF(:'p4', ''), :p5, "
             "'test') RETURNING id;", uid, day.isoformat(), kind, group or "",
             str(target))[0][0]


def chal(cid):
    return q("SELECT status, progress, closed_at IS NOT NULL FROM daily_challenges "
             "WHERE id = :'p1';", cid)[0]


def test_expire_challenges():
    u1, _, _ = mm.create_user()
    u2, _, _ = mm.create_user()
    u3, _, _ = mm.create_user()
    u4, _, _ = mm.create_user()
    tu = add_workout(u1, days_ago(1))
    add_workout(u2, days_ago(1))
    chest = float(q("SELECT round(sum(value::numeric), 2) FROM workouts w, "
                    "jsonb_each_text(w.muscle_activations) a JOIN muscles m ON m.id = a.key "
                    "WHERE w.user_id = :'p1' AND m.muscle_group = 'Chest';", u2)[0][0])
    add_workout(u3, days_ago(0))
    done = challenge(u1, days_ago(1), "workout", 1)
    group = challenge(u2, days_ago(1), "muscle_group", 10, "Chest")
    missed = challenge(u3, days_ago(1), "tu", 1000)
    today_c = challenge(u4, today(), "workout", 1)
    dry = ok(run_job("expire-challenges", "--dry-run"))
    mm.check(dry.count("changed") >= 3, "dry run counts")
    mm.eq(chal(done), ["active", "0.00", "f"], "dry run wrote nothing")
    first = ok(run_job("expire-challenges"))
    mm.check(first.count("changed") >= 3, "closed: %r" % first.summary)
    mm.eq(chal(done), ["completed", "1.00", "t"], "a workout logged that day")
    mm.eq(chal(group), ["completed", "%.2f" % chest, "t"], "Chest got %.2f TU" % chest)
    mm.eq(chal(missed), ["expired", "0.00", "t"], "today's workout does not count for yesterday")
    mm.eq(chal(today_c), ["active", "0.00", "f"], "today's challenge stays open")
    second = ok(run_job("expire-challenges"))
    mm.eq(second.count("changed"), 0, "second run changes nothing")
    mm.eq(chal(missed), ["expired", "0.00", "t"], "closed rows never change")
    _ = tu


def test_assign_daily_challenges():
    active, _, _ = mm.create_user()
    add_workout(active, days_ago(2))
    add_workout(active, days_ago(3), entries=[{"exerciseId": "fw-squat", "sets": 4}])
    stale, _, _ = mm.create_user()
    add_workout(stale, days_ago(40))
    banned, _, _ = mm.create_user(flags={"banned": True})
    add_workout(banned, days_ago(1))
    idle, _, _ = mm.create_user()
    dry = ok(run_job("assign-daily-challenges", "--dry-run"))
    mm.check(dry.count("changed") >= 1, "dry run counts")
    mm.eq(q("SELECT count(*) FROM daily_challenges WHERE user_id = :'p1';", active), [["0"]],
          "dry run wrote nothing")
    first = ok(run_job("assign-daily-challenges"))
    mm.check(first.count("changed") >= 1, "assigned")
    got = q("SELECT challenge_date, kind, muscle_group, target, title, status "
            "FROM daily_challenges WHERE user_id = :'p1';", active)
    mm.eq(len(got), 1, "one challenge")
    day, kind, group, target, title, status = got[0]
    mm.eq((day, status), (today().isoformat(), "active"), "today's, active")
    mm.check(kind in ("workout", "tu", "muscle_group") and title, "kind and title")
    if kind == "workout":
        mm.eq(float(target), 1.0, "one workout")
    elif kind == "tu":
        avg = float(q("SELECT avg(t) FROM (SELECT sum(total_tu::float8) t FROM workouts "
                      "WHERE user_id = :'p1' GROUP BY date) x;", active)[0][0])
        mm.eq(float(target), max(50.0, round(avg * 1.1 / 10) * 10), "TU target from history")
        mm.check(target.split(".")[0] in title, "target in the title")
    else:
        trained = {r[0] for r in q("SELECT DISTINCT m.muscle_group FROM workouts w, "
                                   "jsonb_each(w.muscle_activations) a JOIN muscles m "
                                   "ON m.id = a.key WHERE w.user_id = :'p1';", active)}
        mm.check(group and group not in trained, "an untrained group: %r" % group)
        mm.check(group in title, "group in the title")
    for u, why in ((stale, "inactive for 40 days"), (banned, "banned"), (idle, "no workouts")):
        mm.eq(q("SELECT count(*) FROM daily_challenges WHERE user_id = :'p1';", u), [["0"]],
              "none for a user " + why)
    second = ok(run_job("assign-daily-challenges"))
    mm.eq(second.count("changed"), 0, "second run changes nothing")
    mm.eq(len(q("SELECT 1 FROM daily_challenges WHERE user_id = :'p1';", active)), 1,
          "still one")
    tomorrow = today() + datetime.timedelta(days=1)
    ok(run_job("assign-daily-challenges", "--date", tomorrow.isoformat()))
    mm.eq(q("SELECT count(*) FROM daily_challenges WHERE user_id = :'p1' "
            "AND challenge_date = :'p2'::date;", active, tomorrow.isoformat()), [["1"]],
          "--date assigns for that day")
    q("DELETE FROM daily_challenges WHERE challenge_date > :'p1'::date;", today().isoformat())


# ------------------------------------------------------ create-weekly-snapshots

def test_create_weekly_snapshots():
    u, _, _ = mm.create_user()
    monday = today() - datetime.timedelta(days=today().weekday())
    last = monday - datetime.timedelta(days=7)
    tus = [add_workout(u, last), add_workout(u, last),
           add_workout(u, last + datetime.timedelta(days=6),
                       entries=[{"exerciseId": "fw-squat", "sets": 3}])]
    add_workout(u, monday)
    add_workout(u, last - datetime.timedelta(days=1))
    fresh, _, _ = mm.create_user()
    add_workout(fresh, monday)
    dry = ok(run_job("create-weekly-snapshots", "--dry-run"))
    mm.check(dry.count("changed") >= 1, "dry run counts")
    mm.eq(q("SELECT count(*) FROM weekly_snapshots WHERE user_id = :'p1';", u), [["0"]],
          "dry run wrote nothing")
    first = ok(run_job("create-weekly-snapshots"))
    mm.check(first.count("changed") >= 1, "created")
    row = q("SELECT week_start, workouts, active_days, total_tu, muscle_groups::text "
            "FROM weekly_snapshots WHERE user_id = :'p1';", u)
    mm.eq(len(row), 1, "one snapshot: last week only")
    week, n, days, total, groups = row[0]
    mm.eq((week, n, days), (last.isoformat(), "3", "2"), "last ISO week: 3 workouts, 2 days")
    mm.eq(float(total), round(sum(tus), 2), "Training Units")
    groups = json.loads(groups)
    mm.check({"Chest", "Quads"} <= set(groups), "TU per muscle group: %r" % groups)
    want = {r[0]: float(r[1]) for r in q(
        "SELECT m.muscle_group, round(sum(value::numeric), 2) FROM workouts w, "
        "jsonb_each_text(w.muscle_activations) a JOIN muscles m ON m.id = a.key "
        "WHERE w.user_id = :'p1' AND w.date BETWEEN :'p2'::date AND :'p2'::date + 6 "
        "GROUP BY 1;", u, last.isoformat())}
    mm.eq({k: float(v) for k, v in groups.items()}, want, "group totals")
    mm.eq(q("SELECT count(*) FROM weekly_snapshots WHERE user_id = :'p1';", fresh), [["0"]],
          "no snapshot without training last week")
    second = ok(run_job("create-weekly-snapshots"))
    mm.eq(second.count("changed"), 0, "second run changes nothing")
    add_workout(u, last + datetime.timedelta(days=2))
    ok(run_job("create-weekly-snapshots"))
    mm.eq(q("SELECT workouts FROM weekly_snapshots WHERE user_id = :'p1';", u), [["3"]],
          "an existing snapshot is never rewritten")
    older = ok(run_job("create-weekly-snapshots", "--date", monday.isoformat()))
    mm.eq(older.summary["date"], monday.isoformat(), "--date reported")


# -------------------------------------------------------- snapshot-leaderboards

def board(kind, end):
    snap = q("SELECT id, status, entries, period_start FROM leaderboard_snapshots "
             "WHERE board = :'p1' AND period_end = :'p2'::date;", kind, end.isoformat())
    if not snap:
        return None, []
    entries = q("SELECT user_id, total_tu, workout_count, rank, position "
                "FROM leaderboard_snapshot_entries WHERE snapshot_id = :'p1' "
                "ORDER BY position;", snap[0][0])
    return snap[0], entries


def check_ranks(entries):
    """rank = RANK() over total_tu desc; position = the row number."""
    for i, (uid, tu, n, rank, pos) in enumerate(entries):
        mm.eq(int(pos), i + 1, "positions 1..n")
        higher = sum(1 for e in entries if float(e[1]) > float(tu))
        mm.eq(int(rank), higher + 1, "RANK() of %s" % uid)
    order = [(-float(e[1]), e[0]) for e in entries]
    mm.eq(order, sorted(order), "ordered by TU desc, then user id")


def test_snapshot_leaderboards():
    # A day far from any real data, so the weekly board holds only these
    # users and the test can run again on the same database.
    run_day = today() + datetime.timedelta(days=random.randrange(3000, 300000))
    end = run_day - datetime.timedelta(days=1)
    users = [mm.create_user()[0] for _ in range(7)]
    tied = {"chest-mid": 40.0, "triceps-lateral": 20.0}
    for u in users[:5]:                                   # five users tied
        add_workout(u, end, acts=tied)
    add_workout(users[5], end - datetime.timedelta(days=3), acts={"lats": 90.0})
    add_workout(users[5], end - datetime.timedelta(days=10), acts={"lats": 500.0})
    add_workout(users[6], end, acts={"lats": 999.0}, public=False)   # private only
    banned, _, _ = mm.create_user(flags={"banned": True})
    add_workout(banned, end, acts={"lats": 999.0})
    late, _, _ = mm.create_user()
    add_workout(late, run_day, acts={"lats": 999.0})      # after the period
    try:
        dry = ok(run_job("snapshot-leaderboards", "--dry-run", "--date", run_day.isoformat()))
        mm.check(dry.count("changed") >= 6, "dry run counts the entries")
        mm.eq(board("weekly", end)[0], None, "dry run wrote nothing")
        first = ok(run_job("snapshot-leaderboards", "--date", run_day.isoformat(),
                           "--batch-size", "2"))
        mm.check(first.count("batches") > 4, "several batches")
        snap, entries = board("weekly", end)
        mm.eq((snap[1], snap[2], snap[3]),
              ("complete", "6", (end - datetime.timedelta(days=6)).isoformat()),
              "weekly snapshot complete with 6 entries")
        mm.eq([e[0] for e in entries],
              [users[5]] + sorted(users[:5]), "the week's public TU, banned/private/late out")
        mm.eq([e[3] for e in entries], ["1", "2", "2", "2", "2", "2"],
              "ties share a rank across batches of 2")
        mm.eq(float(entries[0][1]), 90.0, "only the workout inside the 7 days")
        check_ranks(entries)
        snap, entries = board("all_time", end)
        mm.eq(snap[1], "complete", "all-time snapshot complete")
        mine = {e[0]: e for e in entries}
        mm.eq(float(mine[users[5]][1]), 590.0, "all time: both workouts")
        mm.eq(mine[users[5]][2], "2", "workout count")
        for u in (users[6], banned, late):
            mm.check(u not in mine, "not ranked: %s" % u)
        mm.eq(len({mine[u][3] for u in users[:5]}), 1, "tied users share the all-time rank")
        check_ranks(entries)
        second = ok(run_job("snapshot-leaderboards", "--date", run_day.isoformat()))
        mm.eq(second.count("changed"), 0, "second run changes nothing")
        # A run that stopped half way is finished by the next one.
        weekly = board("weekly", end)[0][0]
        q("UPDATE leaderboard_snapshots SET status = 'building', completed_at = NULL "
          "WHERE id = :'p1';", weekly)
        q("UPDATE leaderboard_snapshot_entries SET rank = NULL, position = NULL "
          "WHERE snapshot_id = :'p1' AND user_id = :'p2';", weekly, users[2])
        q("DELETE FROM leaderboard_snapshot_entries WHERE snapshot_id = :'p1' "
          "AND user_id = :'p2';", weekly, users[4])
        third = ok(run_job("snapshot-leaderboards", "--date", run_day.isoformat()))
        mm.check(third.count("changed") >= 3, "resumed: %r" % third.summary)
        snap, entries = board("weekly", end)
        mm.eq((snap[1], snap[2], len(entries)), ("complete", "6", 6), "completed again")
        check_ranks(entries)
    finally:
        q("DELETE FROM workouts WHERE date >= :'p1'::date;", end.isoformat())
        q("DELETE FROM leaderboard_snapshots WHERE period_end = :'p1'::date;", end.isoformat())


# ------------------------------------------------------------------ the lock

def test_every_job_refuses_while_its_lock_is_held():
    for job in JOBS:
        with hold_lock(job):
            t0 = time.time()
            r = run_job(job)
            mm.eq(r.rc, 75, job + " exit status while locked: %r" % r)
            mm.check(time.time() - t0 < 5, job + " exits at once")
            mm.eq(r.summary.get("status"), "locked", job + " summary")
            mm.check(any("another copy of %s is running" % job in l.get("msg", "")
                         for l in r.lines), job + " says why: %r" % r)
        ok(run_job(job), job + " after the lock is released")


def test_locked_job_does_nothing():
    u, _, _ = mm.create_user()
    add_workout(u, today())
    with hold_lock("check-streaks"):
        mm.eq(run_job("check-streaks").rc, 75, "locked")
        mm.eq(streak_row(u), None, "nothing written while locked")
        with hold_lock("update-rival-scores"):
            pass
        other = run_job("expire-challenges")
        mm.eq(other.rc, 0, "another job's lock is independent")
    ok(run_job("check-streaks"))
    mm.eq(streak_row(u)[:2], ["1", "1"], "done once the lock is free")


def test_two_copies_at_once_never_overlap():
    procs = [subprocess.Popen([os.path.join(BIN_DIR, "cron", "check-streaks"),
                               "--batch-size", "10"], env=dict(os.environ, MM_VAR_DIR=mm.VAR_DIR),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for _ in range(4)]
    try:
        codes = [p.wait(timeout=300) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    mm.check(set(codes) <= {0, 75} and 0 in codes, "each copy ran or refused: %r" % codes)


# ------------------------------------------------------ failures and options

def test_exit_status_and_options():
    for job in JOBS:
        r = run_job(job, "--help")
        mm.eq(r.rc, 0, job + " --help")
        mm.check(r.stdout.startswith("usage: " + job) and "--dry-run" in r.stdout, "usage")
        for bad in (["--nope"], ["--batch-size", "0"], ["--batch-size", "x"],
                    ["--batch-size"], ["--date", "2026-02-30"], ["--date", "tomorrow"]):
            r = run_job(job, *bad)
            mm.eq(r.rc, 2, "%s %s" % (job, bad))
            mm.check("usage:" in r.stderr, "usage on stderr")
        r = run_job(job, env={"DATABASE_URL":
                              "postgresql://musclemap@127.0.0.1:1/musclemap"})
        mm.eq(r.rc, 1, job + " without a database")
        mm.eq(r.summary.get("status"), "failed", job + " failure summary")


# ---------------------------------------------------------------- the crontab

def test_crontab_schedules_every_job_and_its_lines_run():
    var = tempfile.mkdtemp(prefix="mm-cron-")
    os.makedirs(os.path.join(var, "log"))
    # Render exactly as `make install-cron` (etc/stack.sh) does.
    with open(os.path.join(mm.ROOT, "etc", "crontab")) as f:
        text = f.read()
    text = (text.replace("@MM_ROOT@", mm.ROOT).replace("@MM_VAR_DIR@", var)
            .replace("@DATABASE_URL@", os.environ.get("DATABASE_URL", "")))
    lines = [l + " # musclemap-local" for l in text.splitlines()
             if l and not l.startswith("#")]
    sched = {}
    for l in lines:
        fields = l.split(None, 5)
        mm.eq(len(fields), 6, "five time fields and a command: %r" % l)
        for job in re.findall(r"/cron/([a-z-]+) ", fields[5]):
            sched[job] = " ".join(fields[:5])
    mm.eq(sched, {"check-streaks": "0 * * * *", "update-rival-scores": "0 * * * *",
                  "expire-challenges": "0 0 * * *", "assign-daily-challenges": "0 0 * * *",
                  "create-weekly-snapshots": "0 0 * * *",
                  "snapshot-leaderboards": "0 0 * * 0"}, "the seed's schedule")
    mm.check("%" not in "".join(lines), "no unescaped % (crontab(5))")
    for l in lines:
        cmd = l.split(None, 5)[5]
        p = subprocess.run(["/bin/sh", "-c", cmd], capture_output=True, text=True,
                           timeout=300, env={"PATH": "/usr/bin:/bin", "HOME": "/"})
        mm.eq(p.returncode, 0, "the line runs under cron's bare environment: %s" % cmd[:80])
    for job in sched:
        with open(os.path.join(var, "log", job + ".log")) as f:
            logged = [json.loads(x) for x in f.read().splitlines() if x.startswith("{")]
        mm.check(any(x["msg"].startswith("summary: status=ok") for x in logged),
                 job + " logged its summary")
    subprocess.run(["rm", "-rf", var])


# ---------------------------------------------------------------- runner

def main():
    filters = sys.argv[1:]
    tests = [(n[5:], f) for n, f in sorted(globals().items())
             if n.startswith("test_") and callable(f)]
    if filters:
        tests = [t for t in tests if any(x in t[0] for x in filters)]
    print("== job tests (cron/)")
    passed = failed = 0
    t_all = time.time()
    for name, fn in tests:
        t0 = time.time()
        try:
            fn()
            passed += 1
            print("ok   jobs.%s (%.2fs)" % (name, time.time() - t0))
        except Exception as e:  # report every failure, keep going
            failed += 1
            print("FAIL jobs.%s: %s" % (name, e))
            if not isinstance(e, mm.Failure):
                traceback.print_exc()
        sys.stdout.flush()
    print("jobs: %d tests in %.1fs" % (len(tests), time.time() - t_all))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
