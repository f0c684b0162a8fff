-- POST /api/prescription/generate with a realistic request: a 45-minute
-- gym session for chest and triceps, hypertrophy, an intermediate lifter
-- with a well-equipped gym, and a new idempotencyKey on every request (as
-- an app that retries safely sends).  The token is MM_BENCH_TOKEN's, a
-- trial user's, so nothing is charged; every request stores a
-- prescription row.  run.sh runs it (tests/bench/rows-journey.sh); by hand,
-- against a stack started with MM_RATE_LIMIT_PER_MIN raised:
--
--   MM_BENCH_TOKEN=<access token> wrk -t2 -c8 -d10s --latency \
--       -s tests/bench/prescription.lua http://127.0.0.1:8080

local token = os.getenv("MM_BENCH_TOKEN")
if token == nil or token == "" then
	error("set MM_BENCH_TOKEN to an access token of a trial user")
end

local counter = 0
local thread_id = 0

function setup(thread)
	thread_id = thread_id + 1
	thread:set("tid", thread_id)
end

function request()
	counter = counter + 1
	local body = '{"duration":45,"location":"gym",' ..
		'"equipment":["barbell","dumbbells","flat_bench","adjustable_bench",' ..
		'"squat_rack","cable_machine","pullup_bar","dip_bars","bands"],' ..
		'"muscleTargets":["chest","triceps-long","triceps-lateral"],' ..
		'"goals":["hypertrophy"],"fitnessLevel":"intermediate",' ..
		'"preferCompound":true,' ..
		'"idempotencyKey":"bench-rx-' .. tostring(tid) .. '-' .. os.time() .. '-' .. counter .. '"}'
	return wrk.format("POST", "/api/prescription/generate", {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}, body)
end
