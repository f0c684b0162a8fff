-- POST /api/workouts, every request with a new idempotency key.
local counter = 0
local thread_id = 0
local token = os.getenv("MM_BENCH_TOKEN")

function setup(thread)
	thread_id = thread_id + 1
	thread:set("tid", thread_id)
end

function request()
	counter = counter + 1
	local body = '{"exercises":[{"exerciseId":"bw-pushup","sets":3,"reps":12},' ..
		'{"exerciseId":"fw-bench-press","sets":4,"reps":8,"weight":80}],' ..
		'"idempotencyKey":"bench-' .. tostring(tid) .. '-' .. os.time() .. '-' .. counter .. '"}'
	return wrk.format("POST", "/api/workouts", {
		["Authorization"] = "Bearer " .. token,
		["Content-Type"] = "application/json",
	}, body)
end
