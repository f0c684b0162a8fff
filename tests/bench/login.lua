-- POST /api/auth/login with the bench user's credentials.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"' .. os.getenv("MM_BENCH_EMAIL") .. '","password":"bench password 1"}'
