#!/usr/bin/env bash
# Browser tests of the web app (www/) against the running stack, in
# Debian's headless Chromium driven by playwright-core.  Installs the
# pinned node_modules with npm ci when they are missing.
#   tests/browser/run.sh [FILTER]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
fail() {
	printf 'browser tests: %s\n' "$*" >&2
	printf '0 passed, 1 failed\n'
	exit 1
}
command -v node >/dev/null 2>&1 || fail "node is not installed"
[ -x "${MM_CHROMIUM:-/usr/bin/chromium}" ] || fail "Chromium is not installed (Debian package chromium)"
if [ ! -f node_modules/playwright-core/package.json ]; then
	command -v npm >/dev/null 2>&1 || fail "npm is not installed"
	npm ci --no-audit --no-fund --loglevel=error >/dev/null || fail "npm ci failed"
fi
exec node run.js "$@"
