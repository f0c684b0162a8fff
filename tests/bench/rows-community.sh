# Community rows of the benchmark, sourced by tests/bench/run.sh (which
# provides row(), measure(), BASE, BENCH_DIR and the stack's environment).
#
# - The feed page over one million events, anonymous and signed in (the
#   events are generated once into the bench database by
#   community-events.sql, which only tops the table up).
# - Fan-out: 1000 SSE subscribers receiving a burst of 20 events (one every
#   50 ms) created and published as the binaries do; reported as
#   deliveries per second and delivery latency p50/p99 (tests/bench/fanout).
#   The non2xx column counts deliveries that never arrived.

cb_psql() {
	local u=postgres
	[ "$(id -u)" = 0 ] || u=$(id -un)
	psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$MM_PG_PORT" -U "$u" \
		-d musclemap "$@"
}

printf 'community: making sure the bench database holds 1,000,000 events...\n' >&2
cb_psql -f "$HERE/community-events.sql" >/dev/null
CB_USER=user_benchfeed000000000000000007
CB_TOKEN=$(python3 - "$CB_USER" <<'EOF'
import base64, hashlib, hmac, json, os, sys, time
secret = os.environ.get("MM_JWT_SECRET") or open(
    os.path.join(os.environ["MM_VAR_DIR"], "jwt.secret")).read().strip()
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
now = int(time.time())
s = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + \
    b(json.dumps({"sub": sys.argv[1], "iat": now, "exp": now + 3600}).encode())
print(s + "." + b(hmac.new(secret.encode(), s.encode(), hashlib.sha256).digest()))
EOF
)
cat > "$BENCH_DIR/community-auth.lua" <<EOF
wrk.headers["Authorization"] = "Bearer $CB_TOKEN"
EOF

row "GET /api/community/feed (1M events, anon)" "$BASE/api/community/feed" \
	"ceiling: FastCGI + one PK SELECT" -
row "GET /api/community/feed (1M events, signed in)" "$BASE/api/community/feed" \
	"ceiling: FastCGI + one PK SELECT" - "$BENCH_DIR/community-auth.lua"
row "GET /api/community/feed?limit=100 (anon)" "$BASE/api/community/feed?limit=100" \
	"ceiling: FastCGI + one PK SELECT" -

cb_fanout=$(DATABASE_URL=$DATABASE_URL MM_RUN_DIR=$MM_RUN_DIR \
	"$MM_BIN_DIR/tests/bench/fanout" -n 1000 -e 20 -i 50 "$CB_USER" 2>/dev/null || true)
printf 'community: fan-out %s\n' "$cb_fanout" >&2
cb_get() { printf '%s\n' "$cb_fanout" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
cb_expected=$(cb_get expected); cb_expected=${cb_expected:-20000}
cb_delivered=$(cb_get delivered)
ROWS+=("SSE fan-out: 1000 subs x 20 events (deliv/s)|$(cb_get rate)|$(cb_get p50_ms)|$(cb_get p99_ms)|$(( ${cb_expected:-0} - ${cb_delivered:-0} ))|-|-")
