# Rows of the journey binary (sourced by run.sh): generating a workout
# prescription with a realistic request (tests/bench/prescription.lua), and
# the journey overview, for one trial user (nothing is charged) who chose
# an archetype and has a year of workouts (every other day) behind them.
# Both at 16 connections: many users' requests in flight at once against
# the binary's workers, with wrk on the same 2 cores.
JOURNEY_CONNS=16
RX_P99_MS=20
read -r RX_UID RX_TOKEN _ <<< "$(bench_user)"
bench_psql -c "INSERT INTO workouts (user_id, date, total_tu, exercise_data, muscle_activations, created_at)
	SELECT '$RX_UID', current_date - 2 * g, 150 + (g % 7) * 10,
	       '[{\"exerciseId\":\"fw-bench-press\",\"sets\":4,\"reps\":8,\"weight\":80}]',
	       '{\"chest-mid\":120}', now() - make_interval(days => 2 * g)
	  FROM generate_series(0, 182) g" >/dev/null
curl -fsS -H "Authorization: Bearer $RX_TOKEN" -H 'Content-Type: application/json' \
	-d '{"archetypeId":"bodybuilder"}' "$BASE/api/journey/select-archetype" >/dev/null
MM_BENCH_TOKEN=$RX_TOKEN row "POST /api/prescription/generate (trial)" \
	"$BASE/api/prescription/generate" - - "$HERE/prescription.lua" "$JOURNEY_CONNS" "$RX_P99_MS"
MM_BENCH_TOKEN=$RX_TOKEN row "GET /api/journey" "$BASE/api/journey" \
	"ceiling: FastCGI + one PK SELECT" - "$HERE/me.lua" "$JOURNEY_CONNS"
if p99_met "POST /api/prescription/generate (trial)" "$RX_P99_MS"; then rx_met=met; else rx_met="NOT met"; fi
NOTES+=("prescription: a 45-minute gym session for chest and triceps (hypertrophy, intermediate, 9 pieces of equipment, a new idempotencyKey each time) for one trial user at $JOURNEY_CONNS connections; target p99 < $RX_P99_MS ms: $rx_met (p99 ${P99[POST /api/prescription/generate (trial)]} ms).")
