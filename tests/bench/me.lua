-- GET with the bench user's access token.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("MM_BENCH_TOKEN")
