#!/usr/bin/env bash
# Benchmarks on loopback with wrk, printed as a table (run by `make bench`,
# which starts a stack of its own under var/bench with the rate limits
# raised, so the figures measure the code and not the limiter).
#
# Each row: a warm-up, then a bounded wrk run (MM_BENCH_SECONDS, default
# 10 s, MM_BENCH_CONNECTIONS, default 64, 2 threads).  Ceilings are measured
# in the same run: nginx serving the exercises bytes as a static file, and a
# minimal FastCGI responder answering them from memory.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
: "${MM_BENCH_SECONDS:=10}"
: "${MM_BENCH_CONNECTIONS:=64}"
: "${MM_BENCH_WARMUP:=2}"
BENCH_DIR=${MM_RUN_DIR}/ceiling
BENCH_PORT=$((MM_HTTP_PORT + 7))
BASE=http://127.0.0.1:$MM_HTTP_PORT
FILTERED="/api/exercises?search=row&location=gym"
CEIL=http://127.0.0.1:$BENCH_PORT
export BENCH_DIR BENCH_PORT

declare -a ROWS=()
declare -a NOTES=()
declare -A RPS=()
declare -A P99=()

# wrk URL [lua] [connections] -> "rps p50_ms p99_ms errors"
measure() {
	local url=$1 lua=${2:-} conns=${3:-$MM_BENCH_CONNECTIONS}
	local args=(-t2 -c"$conns" --latency --timeout 5s)
	[ -n "$lua" ] && args+=(-s "$lua")
	wrk "${args[@]}" -d"${MM_BENCH_WARMUP}s" "$url" >/dev/null 2>&1 || true
	wrk "${args[@]}" -d"${MM_BENCH_SECONDS}s" "$url" 2>&1 | awk '
		function ms(v) {
			if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
			if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
			if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
			return v + 0
		}
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/^Requests\/sec:/ { rps = $2 }
		/Non-2xx or 3xx responses:/ { err += $5 }
		/Socket errors:/ { gsub(/,/, ""); err += $4 + $6 + $8 + $10 }
		END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, err }'
}

# row NAME URL CEILING_NAME TARGET_RATIO [lua] [connections] [P99_TARGET_MS]
row() {
	local name=$1 url=$2 ceil=$3 target=$4 lua=${5:-} conns=${6:-$MM_BENCH_CONNECTIONS} p99t=${7:--} r
	r=$(measure "$url" "$lua" "$conns")
	read -r rps p50 p99 err <<< "$r"
	add_row "$name" "$rps" "$p50" "$p99" "$err" "$ceil" "$target" "$conns" "$p99t"
}

# add_row NAME RPS P50 P99 ERRORS CEILING TARGET CONNECTIONS [P99_TARGET_MS]
# (any source).  A row with a p99 target is "ok" only when its p99 is
# below it.
add_row() {
	RPS[$1]=$2
	P99[$1]=$4
	ROWS+=("$1|$2|$3|$4|$5|$6|$7|$8|${9:--}")
}

# p99_met NAME TARGET_MS: true when the row's p99 is below the target.
p99_met() {
	awk -v p="${P99[$1]:-}" -v t="$2" 'BEGIN { exit !(p != "" && p != "-" && p + 0 < t + 0) }'
}

# Runs SQL on the bench database as the superuser.
bench_psql() {
	local u=postgres
	[ "$(id -u)" = 0 ] || u=$(id -un)
	psql -X -q -t -A -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$MM_PG_PORT" -U "$u" -d musclemap "$@"
}

# Lets the database finish what earlier rows left behind (dirty buffers, dead
# rows of the writes) before the next group, so that a checkpoint or an
# autovacuum of the previous group's writes does not land in its figures.
settle() {
	bench_psql -c "VACUUM (ANALYZE)" >/dev/null 2>&1 || true
	bench_psql -c "CHECKPOINT" >/dev/null 2>&1 || true
}

# Registers a user through the API and prints "id token".
bench_user() {
	local name=b$(date +%s%N | tail -c 10)$RANDOM body
	body=$(curl -fsS -H 'Content-Type: application/json' \
		-d "{\"email\":\"$name@bench.test\",\"username\":\"$name\",\"password\":\"bench password 1\"}" \
		"$BASE/api/auth/register")
	python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["user"]["id"], d["token"], d["user"]["email"])' "$body"
}

start_ceilings() {
	mkdir -p "$BENCH_DIR/tmp"
	curl -fsS "$BASE/api/exercises" -o "$BENCH_DIR/exercises.json"
	curl -fsS "$BASE$FILTERED" -o "$BENCH_DIR/filtered.json"
	export MM_NGINX_USER=""
	[ "$(id -u)" = 0 ] && MM_NGINX_USER="user root root;"
	envsubst '${MM_NGINX_USER} ${BENCH_DIR} ${BENCH_PORT}' \
		< "$HERE/ceiling-nginx.conf.in" > "$BENCH_DIR/nginx.conf"
	spawn-fcgi -s "$BENCH_DIR/memory.sock" -M 0600 -F "$MM_WORKERS" \
		-P "$BENCH_DIR/memory.pid" -- "$MM_BIN_DIR/tests/bench/ceiling" \
		"$BENCH_DIR/exercises.json" >/dev/null
	spawn-fcgi -s "$BENCH_DIR/filtered.sock" -M 0600 -F "$MM_WORKERS" \
		-P "$BENCH_DIR/filtered.pid" -- "$MM_BIN_DIR/tests/bench/ceiling" \
		"$BENCH_DIR/filtered.json" >/dev/null
	spawn-fcgi -s "$BENCH_DIR/pk.sock" -M 0600 -F "$MM_WORKERS" \
		-P "$BENCH_DIR/pk.pid" -- "$MM_BIN_DIR/tests/bench/ceiling" --pk >/dev/null
	nginx -q -c "$BENCH_DIR/nginx.conf" -p "$BENCH_DIR/" 2>/dev/null
	sleep 0.5
}

stop_ceilings() {
	[ -f "$BENCH_DIR/nginx.pid" ] && kill "$(cat "$BENCH_DIR/nginx.pid")" 2>/dev/null || true
	local f p
	for f in "$BENCH_DIR"/memory.pid "$BENCH_DIR"/filtered.pid "$BENCH_DIR"/pk.pid; do
		[ -f "$f" ] || continue
		for p in $(cat "$f"); do kill "$p" 2>/dev/null || true; done
	done
	sleep 0.3
	rm -rf "$BENCH_DIR"
}

# "RSS/private" KiB of the largest worker of a pool.  RSS counts the
# shared libraries' pages and the shared tables every process maps; the
# private part (Private_Clean + Private_Dirty) is what one more worker
# costs.
worker_mem_kib() {
	local g=$1 best="0/0" max=0 p rss priv
	for p in $(pgrep -P "$(cat "$MM_RUN_DIR/$g.pid")"); do
		rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$p/status")
		priv=$(awk '/^Private_(Clean|Dirty):/ { s += $2 } END { print s }' "/proc/$p/smaps_rollup")
		if [ "$rss" -gt "$max" ]; then max=$rss; best="$rss/$priv"; fi
	done
	echo "$best"
}

trap stop_ceilings EXIT
start_ceilings

say() { printf '%s\n' "$*"; }
say "Benchmark: wrk -t2 -c$MM_BENCH_CONNECTIONS, ${MM_BENCH_SECONDS}s per row after a ${MM_BENCH_WARMUP}s warm-up, $(nproc) cores, loopback."

settle
row "ceiling: static file (exercises bytes)" "$CEIL/static/exercises.json" - -
row "ceiling: FastCGI from memory (exercises)" "$CEIL/fcgi/exercises" - -
row "ceiling: FastCGI from memory (filtered)" "$CEIL/fcgi/filtered" - -
row "ceiling: FastCGI + one PK SELECT" "$CEIL/fcgi/pk" - -
# MM_BENCH_ONLY="economy journey" measures the ceilings and only those
# groups of rows ("catalog" for the four below, else rows-<name>.sh).
wanted() { [ -z "${MM_BENCH_ONLY:-}" ] || [[ " $MM_BENCH_ONLY " == *" $1 "* ]]; }

if wanted catalog; then
	row "GET /api/muscles" "$BASE/api/muscles" "ceiling: static file (exercises bytes)" 0.70
	row "GET /api/exercises" "$BASE/api/exercises" "ceiling: static file (exercises bytes)" 0.70
	row "GET $FILTERED" "$BASE$FILTERED" "ceiling: FastCGI from memory (filtered)" 0.80
	row "GET /api/health" "$BASE/api/health" "ceiling: FastCGI + one PK SELECT" -
fi

# Rows other suites add (login, workouts, ...) live beside this file.
for extra in "$HERE"/rows-*.sh; do
	[ -f "$extra" ] || continue
	extra_name=${extra##*/rows-}
	wanted "${extra_name%.sh}" || continue
	settle
	# shellcheck source=/dev/null
	. "$extra"
done

fail=0
printf '\n%-52s %5s %9s %8s %8s %7s %6s %6s  %s\n' endpoint conns req/s p50ms p99ms non2xx ratio target verdict
printf '%s\n' "$(printf '%.0s-' $(seq 118))"
for r in "${ROWS[@]}"; do
	IFS='|' read -r name rps p50 p99 err ceil target conns p99t <<< "$r"
	p99t=${p99t:--}		# rows added by hand may leave it out
	ratio=- verdict=""
	if [ "$ceil" != - ] && [ -n "${RPS[$ceil]:-}" ] && [ "${RPS[$ceil]}" -gt 0 ]; then
		ratio=$(awk -v a="$rps" -v b="${RPS[$ceil]}" 'BEGIN { printf "%.2f", a / b }')
	fi
	if [ "$target" != - ] && [ "$ratio" != - ]; then
		if awk -v r="$ratio" -v t="$target" 'BEGIN { exit !(r >= t) }'; then
			verdict="ok"
		else
			verdict="BELOW TARGET"
		fi
	fi
	if [ "$p99t" != - ]; then
		if p99_met "$name" "$p99t"; then
			[ -n "$verdict" ] || verdict="ok"
		else
			verdict="${verdict:+$verdict, }P99 ABOVE TARGET"
		fi
		[ "$target" != - ] || target="p99<$p99t"
	fi
	if [ "$err" -gt 0 ]; then verdict="$verdict ERRORS"; fi
	printf '%-52s %5s %9s %8s %8s %7s %6s %6s  %s\n' "$name" "$conns" "$rps" "$p50" "$p99" "$err" "$ratio" "$target" "$verdict"
done
printf '\nmemory of one worker, RSS/private KiB (target: under 8192 resident):'
for g in auth catalog workouts economy journey community messaging tips misc; do
	[ -f "$MM_RUN_DIR/$g.pid" ] && printf ' %s %s,' "$g" "$(worker_mem_kib "$g")"
done
printf '\n'
for n in "${NOTES[@]}"; do
	printf '%s\n' "$n"
done
