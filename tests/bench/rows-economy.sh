# Rows of the workouts and economy binaries (sourced by run.sh): logging
# workouts for a free-tier user (charged 25 credits each, every request a
# new key) and for a trial user, the balance read, and pgbench running the
# same transaction as plain SQL on the same database, at 32 connections.
read -r FREE_UID FREE_TOKEN _ <<< "$(bench_user)"
bench_psql -c "UPDATE users SET trial_ends_at = now() - interval '1 day' WHERE id = '$FREE_UID'" >/dev/null
bench_psql -c "SELECT success FROM update_credit_balance('$FREE_UID', 1000000000, 'purchase', NULL, '$FREE_UID:bench-grant')" >/dev/null
read -r TRIAL_UID TRIAL_TOKEN _ <<< "$(bench_user)"
MM_BENCH_TOKEN=$FREE_TOKEN row "POST /api/workouts (free tier, charged)" "$BASE/api/workouts" \
	"pgbench: the same transaction in SQL" 0.50 "$HERE/workout.lua" 32
MM_BENCH_TOKEN=$TRIAL_TOKEN row "POST /api/workouts (trial, unlimited)" "$BASE/api/workouts" - - \
	"$HERE/workout.lua" 32
MM_BENCH_TOKEN=$FREE_TOKEN row "GET /api/economy/balance" "$BASE/api/economy/balance" \
	"ceiling: FastCGI + one PK SELECT" - "$HERE/me.lua" 32
PGB=$(pgbench -n -h 127.0.0.1 -p "$MM_PG_PORT" -U "$( [ "$(id -u)" = 0 ] && echo postgres || id -un)" \
	-c 32 -j 2 -T "$MM_BENCH_SECONDS" --max-tries=0 -D "uid='$FREE_UID'" -f "$HERE/workout.sql" \
	-r musclemap 2>&1 || true)
PGB_TPS=$(printf '%s\n' "$PGB" | awk '/^tps = / { printf "%.0f", $3; exit }')
PGB_LAT=$(printf '%s\n' "$PGB" | awk '/^latency average = / { print $4; exit }')
PGB_FAIL=$(printf '%s\n' "$PGB" | awk '/^number of failed transactions: / { print $5; exit }')
add_row "pgbench: the same transaction in SQL" "${PGB_TPS:-0}" "${PGB_LAT:-?}" - "${PGB_FAIL:-0}" - - 32
NOTES+=("pgbench's p50 column is its average latency; pgbench retries serialization failures until they succeed (--max-tries=0, bounded by -T). Workout targets: >= 0.50 of pgbench, p99 < 25 ms at 32 connections, no non-2xx.")
ledger_ok=$(bench_psql -c "SELECT count(*) = 0 FROM (SELECT cb.user_id FROM credit_balances cb LEFT JOIN (SELECT user_id, sum(amount) s FROM credit_ledger GROUP BY user_id) l USING (user_id) WHERE cb.balance <> COALESCE(l.s, 0)) bad")
NOTES+=("after the run: every balance equals the sum of its ledger: $ledger_ok")
