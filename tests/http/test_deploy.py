"""etc/deploy.sh --local under load (README, "Deploying"): every binary is
replaced with no request dropped, and a build that cannot start is rolled
back while the old workers keep serving."""
import os
import subprocess
import threading
import time

import mm

DEPLOY = os.path.join(mm.ROOT, "etc", "deploy.sh")
BIN_DIR = os.environ.get("MM_BIN_DIR", mm.ROOT)


def load(path, seconds, results):
    c = mm.Client()
    end = time.time() + seconds
    while time.time() < end:
        try:
            results.append(c.get(path).status)
        except OSError:
            results.append(0)


def deploy(build="true"):
    env = dict(os.environ, MM_DEPLOY_BUILD=build)
    return subprocess.run([DEPLOY, "--local"], env=env, capture_output=True,
                          text=True, timeout=300, cwd=mm.ROOT)


def under_load(fn, seconds=8):
    results = []
    paths = ["/api/exercises?search=curl&difficulty=1", "/api/ready", "/api/economy/pricing"]
    threads = [threading.Thread(target=load, args=(paths[i % 3], seconds, results))
               for i in range(6)]
    for t in threads:
        t.start()
    time.sleep(1)
    out = fn()
    for t in threads:
        t.join()
    return out, results


def test_deploy_replaces_everything_without_dropping_a_request():
    out, results = under_load(deploy)
    mm.check(out.returncode == 0, "deploy failed: %s %s" % (out.stdout, out.stderr))
    mm.check("misc: " in out.stdout and "workers replaced" in out.stdout, out.stdout)
    mm.check(len(results) > 200, "load ran: %d requests" % len(results))
    mm.eq([s for s in results if s != 200], [], "answers other than 200 during the deploy")


def test_deploy_rolls_back_a_binary_that_cannot_start():
    target = os.path.join(BIN_DIR, "cgi-bin", "misc")
    good = open(target, "rb").read()
    broken = ("printf '#!/bin/sh\\nexit 1\\n' > '%s.new' && chmod 755 '%s.new' && "
              "mv -f '%s.new' '%s'" % (target, target, target, target))
    out, results = under_load(lambda: deploy(broken))
    mm.check(out.returncode != 0, "deploy reports the failure")
    mm.check("rolling back" in out.stdout, out.stdout + out.stderr)
    mm.eq(open(target, "rb").read(), good, "the previous binary is back")
    mm.eq([s for s in results if s != 200], [], "answers other than 200 during the failed deploy")
    r = mm.Client().get("/api/health")
    mm.status(r, 200)
