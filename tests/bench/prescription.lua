-- wrk script: POST /api/prescription/generate with a realistic request
-- (a 45-minute gym session for chest and triceps, hypertrophy) and one
-- fixed token for every request.  Use a trial user so nothing is charged,
-- and a stack whose MM_RATE_LIMIT_PER_MIN is raised, e.g.:
--
--   MM_TOKEN=<access token> wrk -t2 -c16 -d20s --latency \
--       -s tests/bench/prescription.lua http://127.0.0.1:8080
--
-- Every request stores a prescription row.

local token = os.getenv("MM_TOKEN")
if token == nil or token == "" then
	error("set MM_TOKEN to an access token of a trial user")
end

wrk.method = "POST"
wrk.path = "/api/prescription/generate"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.body = [[{"duration":45,"location":"gym",
 "equipment":["barbell","dumbbells","flat_bench","adjustable_bench",
  "squat_rack","cable_machine","pullup_bar","dip_bars","bands"],
 "muscleTargets":["chest","triceps-long","triceps-lateral"],
 "goals":["hypertrophy"],"fitnessLevel":"intermediate",
 "preferCompound":true}]]

done = function(summary, latency, requests)
	io.write(string.format("p50 %.2f ms, p99 %.2f ms, %d requests\n",
	    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
	    summary.requests))
end
