"""make install / make uninstall into a scratch DESTDIR (README,
"Installing for production")."""
import os
import shutil
import subprocess
import tempfile

import mm


def make(*args):
    return subprocess.run(["make", "-s", "-C", mm.ROOT] + list(args),
                          capture_output=True, text=True, timeout=600)


def test_install_puts_files_in_fhs_places_and_uninstall_removes_them():
    dest = tempfile.mkdtemp(prefix="mm-install-")
    try:
        r = make("install", "DESTDIR=" + dest, "PREFIX=/usr")
        mm.check(r.returncode == 0, "make install: %s" % r.stderr)
        for path in ("usr/lib/musclemap/cgi-bin/catalog", "usr/lib/musclemap/cron/migrate",
                     "usr/share/musclemap/sql/migrations/0001_extensions_and_helpers.sql",
                     "usr/share/musclemap/sql/data/muscles.csv",
                     "usr/lib/systemd/system/musclemap@.service",
                     "usr/lib/systemd/system/musclemap@.socket",
                     "etc/musclemap/musclemap.env", "etc/logrotate.d/musclemap",
                     "etc/musclemap/nginx/nginx.conf", "etc/musclemap/nginx/mm_headers.conf"):
            mm.check(os.path.isfile(os.path.join(dest, path)), "installed " + path)
        mm.check(os.access(os.path.join(dest, "usr/lib/musclemap/cgi-bin/catalog"), os.X_OK),
                 "binaries are executable")
        unit = open(os.path.join(dest, "usr/lib/systemd/system/musclemap@.service")).read()
        mm.check("ExecStart=/usr/lib/musclemap/cgi-bin/%i" in unit, "unit names the binary")
        mm.check("@" not in unit.replace("%i", "").replace("musclemap@", ""),
                 "every placeholder is filled")
        for opt in ("NoNewPrivileges=yes", "ProtectSystem=strict", "StandardInput=socket",
                    "Restart=on-failure", "User=musclemap"):
            mm.check(opt in unit, "unit has " + opt)
        if shutil.which("systemd-analyze"):
            units = os.path.join(dest, "usr/lib/systemd/system")
            v = subprocess.run(["systemd-analyze", "verify", "musclemap@catalog.service",
                                "musclemap@catalog.socket", "musclemap-migrate.service",
                                "musclemap.target"], cwd=units, capture_output=True, text=True,
                               env=dict(os.environ, SYSTEMD_UNIT_PATH=units + ":"))
            # The binaries are in DESTDIR, not yet at their final path.
            problems = [l for l in (v.stdout + v.stderr).splitlines()
                        if l.strip() and "is not executable" not in l]
            mm.eq(problems, [], "systemd-analyze verify")
        cron = open(os.path.join(dest, "usr/share/musclemap/crontab")).read()
        jobs = [l for l in cron.splitlines() if l.strip() and not l.startswith("#")]
        mm.check(jobs and not any("@" in l for l in jobs), "crontab placeholders filled")
        mm.check("/usr/lib/musclemap/cron/check-streaks" in cron, "crontab runs the installed jobs")
        conf = open(os.path.join(dest, "etc/musclemap/nginx/nginx.conf")).read()
        left = [l for l in conf.splitlines() if "${MM_" in l and not l.lstrip().startswith("#")]
        mm.eq(left, [], "nginx.conf placeholders left")
        mm.check("server unix:/run/musclemap/catalog.sock" in conf, "nginx passes to the units' sockets")
        mm.check("root /usr/share/musclemap/www" in conf, "nginx serves the installed web root")
        # An operator's configuration survives a reinstall.
        env = os.path.join(dest, "etc/musclemap/musclemap.env")
        with open(env, "a") as f:
            f.write("MM_WORKERS=9\n")
        mm.check(make("install", "DESTDIR=" + dest, "PREFIX=/usr").returncode == 0, "reinstall")
        mm.check("MM_WORKERS=9" in open(env).read(), "configuration kept")
        r = make("uninstall", "DESTDIR=" + dest, "PREFIX=/usr")
        mm.check(r.returncode == 0, "make uninstall: %s" % r.stderr)
        left = [os.path.join(root, f) for root, _, files in os.walk(dest) for f in files]
        mm.eq(left, [], "files left after uninstall")
    finally:
        shutil.rmtree(dest, ignore_errors=True)
