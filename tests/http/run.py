#!/usr/bin/env python3
"""Runs the end-to-end HTTP tests against the running stack.

Tests are found by glob, so a new file is a new test:
  cases/<group>-<case>.json  one request and its expected answer (data)
  test_<group>.py            scenario tests: every function named test_*

Usage: run.py [substring ...]   (only tests whose name contains one of them)
Ends with the line "N passed, N failed" and exits non-zero on a failure.
"""
import glob
import importlib.util
import json
import os
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
# Another folder of tests using the same client (tests/scale).
TESTS = os.environ.get("MM_TEST_DIR", HERE)
import mm  # noqa: E402


def subset(expected, actual, path="$"):
    """Every key/item of expected must be in actual; lists match by length."""
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            raise mm.Failure("%s: expected an object, got %r" % (path, actual))
        for k, v in expected.items():
            if k not in actual:
                raise mm.Failure("%s.%s missing" % (path, k))
            subset(v, actual[k], path + "." + k)
    elif isinstance(expected, list):
        if not isinstance(actual, list) or len(actual) != len(expected):
            raise mm.Failure("%s: expected %d items, got %r" % (path, len(expected), actual))
        for i, (e, a) in enumerate(zip(expected, actual)):
            subset(e, a, "%s[%d]" % (path, i))
    elif expected != actual:
        raise mm.Failure("%s: expected %r, got %r" % (path, expected, actual))


def run_case(case):
    req = case["request"]
    c = mm.Client()
    r = c.request(req.get("method", "GET"), req["path"], body=req.get("body"),
                  headers=req.get("headers"),
                  raw=req["raw"].encode() if "raw" in req else None)
    exp = case["expect"]
    mm.status(r, exp["status"])
    for name, value in exp.get("headers", {}).items():
        mm.eq(r.header(name), value, "header " + name)
    if "error" in exp:
        mm.error(r, exp["error"], exp["status"])
    if "json" in exp:
        subset(exp["json"], r.json)
    if "length" in exp:
        mm.eq(len(r.json), exp["length"], "array length")


def collect(filters):
    tests = []
    for path in sorted(glob.glob(os.path.join(TESTS, "cases", "*.json"))):
        name = os.path.basename(path)[:-5]
        with open(path) as f:
            case = json.load(f)
        tests.append((name, lambda case=case: run_case(case)))
    for path in sorted(glob.glob(os.path.join(TESTS, "test_*.py"))):
        modname = os.path.basename(path)[:-3]
        spec = importlib.util.spec_from_file_location(modname, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        for attr in sorted(dir(mod)):
            if attr.startswith("test_") and callable(getattr(mod, attr)):
                tests.append(("%s.%s" % (modname[5:], attr[5:]), getattr(mod, attr)))
    if filters:
        tests = [t for t in tests if any(f in t[0] for f in filters)]
    return tests


def main():
    tests = collect(sys.argv[1:])
    passed = failed = 0
    started = time.time()
    for name, fn in tests:
        t0 = time.time()
        try:
            fn()
        except Exception as e:  # any exception fails the test
            failed += 1
            print("FAIL %s (%.2fs)" % (name, time.time() - t0))
            if isinstance(e, mm.Failure):
                print("     %s" % e)
            else:
                print("     " + "     ".join(traceback.format_exception(e)))
            continue
        passed += 1
        print("ok   %s (%.2fs)" % (name, time.time() - t0))
    print("http: %d tests in %.1fs" % (len(tests), time.time() - started))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not tests else 0


if __name__ == "__main__":
    sys.exit(main())
