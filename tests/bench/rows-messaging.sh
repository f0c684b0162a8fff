# Messaging rows of the benchmark, sourced by tests/bench/run.sh (which
# provides add_row(), bench_psql(), BASE, BENCH_DIR, NOTES and the stack's
# environment).
#
# Sending messages in a 2-person (direct) and a 50-person (group)
# conversation while every participant is connected to the live stream
# (SSE on /api/messaging/events): MM_BENCH_MSG_SENDERS keep-alive
# connections (default 16, signed in as the participants in turn) send
# back to back for MM_BENCH_SECONDS after a MM_BENCH_WARMUP warm-up
# (tests/bench/msgbench).  Two rows per size: the sends (requests/s,
# answer latency p50/p99, non-2xx answers) and their deliveries
# (deliveries/s over all subscribers, latency from just before the send to
# its arrival at each subscriber; the non2xx column counts deliveries that
# never arrived).  The users are made straight in the bench database (no
# password hashing), the conversations through the API.

: "${MM_BENCH_MSG_SENDERS:=16}"

# mb_users N FILE: N new users, one access token a line in FILE; prints
# their ids.
mb_users() {
	local tag
	tag=mb$(date +%s%N | tail -c 10)$RANDOM
	bench_psql -c "INSERT INTO users (email, username, password_hash,
			trial_started_at, trial_ends_at)
		SELECT '${tag}_' || i || '@bench.test', '${tag}_' || i,
			'pbkdf2_sha256\$1000\$AAAAAAAAAAAAAAAAAAAAAA==\$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
			now(), now() + interval '90 days'
		  FROM generate_series(1, $1) i
		 ORDER BY i
		RETURNING id" | python3 -c '
import base64, hashlib, hmac, json, os, sys, time
secret = os.environ.get("MM_JWT_SECRET") or open(
    os.path.join(os.environ["MM_VAR_DIR"], "jwt.secret")).read().strip()
b = lambda d: base64.urlsafe_b64encode(d).rstrip(b"=").decode()
now = int(time.time())
ids = sys.stdin.read().split()
with open(sys.argv[1], "w") as f:
    for uid in ids:
        s = b(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()) + "." + \
            b(json.dumps({"sub": uid, "iat": now, "exp": now + 3600}).encode())
        f.write(s + "." + b(hmac.new(secret.encode(), s.encode(),
                                     hashlib.sha256).digest()) + "\n")
print(" ".join(ids))' "$2"
}

# mb_conversation TOKEN BODY: creates a conversation, prints its id.
mb_conversation() {
	curl -fsS -H "Authorization: Bearer $1" -H 'Content-Type: application/json' \
		-d "$2" "$BASE/api/messaging/conversations" |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}

# mb_run SIZE TYPE: one conversation of SIZE people, measured; adds its rows.
mb_run() {
	local size=$1 type=$2 tokens=$BENCH_DIR/msgbench-$1.tokens ids owner body conv out
	read -r -a ids <<< "$(mb_users "$size" "$tokens")"
	owner=$(head -n 1 "$tokens")
	body=$(python3 -c 'import json, sys
t = sys.argv[1]
d = {"type": t, "participantIds": sys.argv[2:]}
if t == "group":
    d["name"] = "Bench group"
print(json.dumps(d))' "$type" "${ids[@]:1}")
	conv=$(mb_conversation "$owner" "$body")
	out=$("$MM_BIN_DIR/tests/bench/msgbench" -c "$MM_BENCH_MSG_SENDERS" \
		-d "$MM_BENCH_SECONDS" -w "$MM_BENCH_WARMUP" "$conv" "$tokens" || true)
	rm -f "$tokens"
	printf 'messaging: %s-person %s\n' "$size" "$out" >&2
	declare -A m=([subscribers]=0 [refused]=0 [send_rps]=0 [send_p50_ms]=- [send_p99_ms]=-
		[send_errors]=0 [expected]=0 [delivered]=0 [deliv_rate]=0 [p50_ms]=- [p99_ms]=-)
	local kv
	for kv in $out; do m[${kv%%=*}]=${kv#*=}; done
	add_row "POST a message ($size-person conv, all live)" "${m[send_rps]}" \
		"${m[send_p50_ms]}" "${m[send_p99_ms]}" "${m[send_errors]}" \
		- - "$MM_BENCH_MSG_SENDERS"
	add_row "  its delivery to ${m[subscribers]} SSE subscribers (deliv/s)" "${m[deliv_rate]}" \
		"${m[p50_ms]}" "${m[p99_ms]}" "$(( m[expected] - m[delivered] ))" \
		- - "${m[subscribers]}"
	if [ "${m[refused]}" != 0 ] || [ -z "$out" ]; then
		NOTES+=("messaging: ${m[refused]} of the $size subscribers were refused their stream (or msgbench failed)")
	fi
}

mb_run 2 direct
mb_run 50 group
NOTES+=("messaging rows: $MM_BENCH_MSG_SENDERS connections send back to back to one conversation while every participant holds an SSE stream; the delivery rows time each message from just before its send to its arrival at every subscriber (sender included), and their non2xx column counts deliveries that never arrived.")
