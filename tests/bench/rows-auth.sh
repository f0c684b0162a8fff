# Rows of the auth binary (sourced by run.sh): the login cost, logins
# running while other endpoints are measured, and the authenticated read
# against a FastCGI responder doing one prepared primary-key SELECT.
read -r AUTH_UID AUTH_TOKEN AUTH_EMAIL <<< "$(bench_user)"
export MM_BENCH_TOKEN=$AUTH_TOKEN MM_BENCH_EMAIL=$AUTH_EMAIL
row "GET /api/auth/me" "$BASE/api/auth/me" "ceiling: FastCGI + one PK SELECT" 0.70 "$HERE/me.lua"
row "POST /api/auth/login" "$BASE/api/auth/login" - - "$HERE/login.lua" "$MM_HASH_WORKERS"
HASH_MS=$("$MM_BIN_DIR/tests/bench/hashtime")
NOTES+=("password hashing: ${HASH_MS} ms per PBKDF2-SHA256 derivation at ${MM_PBKDF2_ITERATIONS:-600000} iterations = about $(awk -v m="$HASH_MS" 'BEGIN { printf "%.1f", 1000 / m }') logins/s per core")
# The same login load in the background while other endpoints are measured.
wrk -t1 -c"$((MM_HASH_WORKERS * 2))" -d"$((MM_BENCH_SECONDS * 3 + MM_BENCH_WARMUP * 3 + 2))s" -s "$HERE/login.lua" \
	"$BASE/api/auth/login" >/dev/null 2>&1 &
LOGIN_LOAD=$!
sleep 1
row "GET /api/auth/me (during logins)" "$BASE/api/auth/me" "GET /api/auth/me" - "$HERE/me.lua"
row "GET /api/exercises (during logins)" "$BASE/api/exercises" "GET /api/exercises" -
row "GET $FILTERED (during logins)" "$BASE$FILTERED" "GET $FILTERED" -
kill "$LOGIN_LOAD" 2>/dev/null || true
wait "$LOGIN_LOAD" 2>/dev/null || true
