#!/usr/bin/env bash
# stack.sh: the local MuscleMap stack (PostgreSQL, Redis, the FastCGI
# binaries under spawn-fcgi, nginx), all of its state under var/.
#
#   etc/stack.sh deps|start|stop|status|reload|run|test|test-asan|
#                test-sql|test-http|bench|install-cron
#
# The Makefile calls it; every setting comes from the environment (README,
# "Configuration").  Components are started only when not already running,
# so start is idempotent, and a port held by something else stops start
# with a message instead of disturbing it.
set -euo pipefail

MM_ROOT=${MM_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$MM_ROOT"

: "${MM_HTTP_PORT:=8080}"
: "${MM_HTTPS_PORT:=8443}"
: "${MM_PG_PORT:=55432}"
: "${MM_REDIS_PORT:=56379}"
: "${REDIS_ENABLED:=true}"
: "${MM_VAR_DIR:=$MM_ROOT/var}"
: "${MM_BIN_DIR:=$MM_ROOT}"
: "${MM_CORS_ORIGINS:=*}"
: "${MM_WORKERS:=4}"
: "${MM_STATIC_RATE:=2000}"
: "${MM_STATIC_BURST:=4000}"
: "${MM_ACCESS_LOG:=on}"
# The local stack verifies billing webhooks with a development key, so
# signed test deliveries work; production sets its own secret.
: "${MM_STRIPE_WEBHOOK_SECRET:=whsec_local_development_only}"
export MM_STRIPE_WEBHOOK_SECRET
# An application host only (nginx and the binaries), using the PostgreSQL
# and Redis of DATABASE_URL and MM_REDIS_URL: how extra hosts scale out.
: "${MM_APP_ONLY:=0}"
case $MM_BIN_DIR in /*) ;; *) MM_BIN_DIR=$MM_ROOT/$MM_BIN_DIR ;; esac
case $MM_VAR_DIR in /*) ;; *) MM_VAR_DIR=$MM_ROOT/$MM_VAR_DIR ;; esac
export MM_ROOT MM_HTTP_PORT MM_HTTPS_PORT MM_PG_PORT MM_REDIS_PORT \
	REDIS_ENABLED MM_VAR_DIR MM_BIN_DIR MM_CORS_ORIGINS MM_WORKERS
export DATABASE_URL=${DATABASE_URL:-postgresql://musclemap@127.0.0.1:$MM_PG_PORT/musclemap}
export MM_REDIS_URL=${MM_REDIS_URL:-redis://127.0.0.1:$MM_REDIS_PORT}
export MM_SQL_DIR=$MM_ROOT/sql

PG_BIN=/usr/lib/postgresql/15/bin
GROUPS_ALL="auth catalog workouts economy journey community messaging tips misc"
# A pool is one supervised set of workers on its own socket.  Each group's
# binary has a pool of its name; auth has a second one, auth-hash, for the
# endpoints that derive passwords (login, register): a few lower-priority
# workers, so that password hashing can never occupy every auth worker or
# starve the other binaries of CPU.
POOLS_ALL="auth auth-hash catalog workouts economy journey community messaging tips misc"
: "${MM_HASH_WORKERS:=2}"
export MM_HASH_WORKERS
DEB_PACKAGES="build-essential pkg-config libfcgi-dev libfcgi-bin spawn-fcgi
 libpq-dev libhiredis-dev libcjson-dev libssl-dev libjwt-dev check
 libsubunit-dev nginx libnginx-mod-nchan postgresql-15 postgresql-contrib
 postgresql-15-pgtap libtap-parser-sourcehandler-pgtap-perl redis-server
 redis-tools wrk openssl gettext-base python3 curl ca-certificates procps
 postgresql-client-15 pgbouncer libmagic-dev libgd-dev chromium"

# A short private directory for what must not live under a long or
# unreadable checkout path: unix sockets (107-byte limit) and, when the
# postgres account cannot reach var/, the database cluster.
HASH=$(printf %s "$MM_VAR_DIR" | sha256sum | cut -c1-10)
PRIVATE=/var/tmp/musclemap-$HASH
if [ ${#MM_VAR_DIR} -le 60 ]; then
	MM_RUN_DIR=$MM_VAR_DIR/run
else
	MM_RUN_DIR=$PRIVATE/run
fi
export MM_RUN_DIR
MM_NGINX_DIR=$MM_VAR_DIR/nginx

say() { printf '%s\n' "$*"; }
die() { printf 'stack: %s\n' "$*" >&2; exit 1; }
is_root() { [ "$(id -u)" = 0 ]; }

# ---------------------------------------------------------------- deps

cmd_deps() {
	local missing=() p
	for p in $DEB_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if ! is_root; then
		say "Missing Debian packages. As root, run:"
		say "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
		exit 1
	fi
	say "Installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	# Debian starts the packaged services; this stack runs its own.
	for svc in nginx redis-server postgresql; do
		service "$svc" stop >/dev/null 2>&1 || true
	done
}

# ---------------------------------------------------------------- helpers

# 0 when something accepts connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }

pidfile_alive() {
	local f=$1 p
	[ -f "$f" ] || return 1
	p=$(head -n1 "$f" 2>/dev/null || true)
	pid_alive "$p"
}

# The first port from $1 on that nobody listens on.
free_port() {
	local p=$1
	while port_busy "$p"; do p=$((p + 1)); done
	echo "$p"
}

require_port_free() {
	port_busy "$1" && die "port $1 ($2) is already in use by another" \
		"process; stop it or choose another port with $3"
	return 0
}

pg_dir() {
	if [ -f "$MM_VAR_DIR/pg.location" ]; then
		cat "$MM_VAR_DIR/pg.location"
		return
	fi
	local dir=$MM_VAR_DIR/pg
	if is_root && ! runuser -u postgres -- test -x "$MM_VAR_DIR" 2>/dev/null; then
		dir=$PRIVATE/pg
	fi
	printf '%s\n' "$dir" > "$MM_VAR_DIR/pg.location"
	printf '%s\n' "$dir"
}

as_pg() {
	if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

psql_admin() {
	local u=postgres
	is_root || u=$(id -un)
	psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$MM_PG_PORT" -U "$u" "$@"
}

mkdirs() {
	mkdir -p "$MM_VAR_DIR"/{log,tmp,redis,tls,nginx,cache/static,attachments} "$MM_RUN_DIR"
	chmod 755 "$MM_VAR_DIR"
}

secrets() {
	if [ -z "${MM_JWT_SECRET:-}" ] && [ ! -s "$MM_VAR_DIR/jwt.secret" ]; then
		(umask 077; openssl rand -hex 32 > "$MM_VAR_DIR/jwt.secret")
	fi
	if [ ! -s "$MM_VAR_DIR/tls/cert.pem" ]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 825 \
			-subj "/CN=localhost" \
			-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
			-keyout "$MM_VAR_DIR/tls/key.pem" \
			-out "$MM_VAR_DIR/tls/cert.pem" >/dev/null 2>&1
		chmod 600 "$MM_VAR_DIR/tls/key.pem"
	fi
}

# ---------------------------------------------------------------- postgres

pg_running() {
	local dir
	dir=$(pg_dir)
	[ -f "$dir/data/PG_VERSION" ] &&
		as_pg "$PG_BIN/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

pg_start() {
	local dir
	dir=$(pg_dir)
	if pg_running; then
		return 0
	fi
	require_port_free "$MM_PG_PORT" PostgreSQL MM_PG_PORT
	mkdir -p "$dir"
	if is_root; then
		mkdir -p "$(dirname "$dir")"
		chmod 711 "$(dirname "$dir")"
		chown postgres:postgres "$dir"
	fi
	if [ ! -f "$dir/data/PG_VERSION" ]; then
		say "Creating the database cluster in $dir/data"
		as_pg "$PG_BIN/initdb" -D "$dir/data" -U "$(is_root && echo postgres || id -un)" \
			--auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
	fi
	as_pg mkdir -p "$dir/sock"
	as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 60 \
		-o "-p $MM_PG_PORT -k $dir/sock -c listen_addresses=127.0.0.1 -c max_connections=300 -c shared_buffers=256MB" \
		start >/dev/null
	if ! psql_admin -d postgres -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'musclemap'" | grep -q 1; then
		psql_admin -d postgres -c "CREATE ROLE musclemap LOGIN"
	fi
	if ! psql_admin -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'musclemap'" | grep -q 1; then
		psql_admin -d postgres -c "CREATE DATABASE musclemap OWNER musclemap"
	fi
	psql_admin -d musclemap -c 'CREATE EXTENSION IF NOT EXISTS pg_trgm; CREATE EXTENSION IF NOT EXISTS "uuid-ossp"; CREATE EXTENSION IF NOT EXISTS pgtap;' 2>/dev/null
}

pg_stop() {
	local dir
	dir=$(pg_dir)
	if pg_running; then
		as_pg "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
	fi
}

# ---------------------------------------------------------------- redis

redis_start() {
	[ "$REDIS_ENABLED" = true ] || return 0
	pidfile_alive "$MM_RUN_DIR/redis.pid" && return 0
	require_port_free "$MM_REDIS_PORT" Redis MM_REDIS_PORT
	envsubst '${MM_REDIS_PORT} ${MM_RUN_DIR} ${MM_VAR_DIR}' \
		< etc/redis.conf.in > "$MM_VAR_DIR/redis/redis.conf"
	redis-server "$MM_VAR_DIR/redis/redis.conf"
	local i
	for i in $(seq 50); do
		redis-cli -p "$MM_REDIS_PORT" ping >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "redis did not start (see $MM_VAR_DIR/log/redis.log)"
}

redis_stop() {
	local f=$MM_RUN_DIR/redis.pid
	pidfile_alive "$f" || return 0
	redis-cli -p "$MM_REDIS_PORT" shutdown nosave >/dev/null 2>&1 ||
		kill "$(cat "$f")" 2>/dev/null || true
	wait_gone "$(cat "$f" 2>/dev/null)"
	rm -f "$f"
}

# ---------------------------------------------------------------- fastcgi

pool_binary() { printf '%s' "${1%-hash}"; }

pools_built() {
	local p
	for p in $POOLS_ALL; do
		[ -x "$MM_BIN_DIR/cgi-bin/$(pool_binary "$p")" ] && printf '%s ' "$p"
	done
}

wait_gone() {
	local p=${1:-} i
	[ -n "$p" ] || return 0
	for i in $(seq 100); do
		pid_alive "$p" || return 0
		sleep 0.1
	done
	kill -9 "$p" 2>/dev/null || true
}

fcgi_start() {
	local g sock pidf bin workers prio
	for g in $(pools_built); do
		sock=$MM_RUN_DIR/$g.sock
		pidf=$MM_RUN_DIR/$g.pid
		bin=$MM_BIN_DIR/cgi-bin/$(pool_binary "$g")
		if pidfile_alive "$pidf"; then
			# Rebuilt since it started: replace it.
			[ "$bin" -nt "$pidf" ] || continue
			fcgi_stop_one "$g"
		fi
		rm -f "$sock"
		workers=$MM_WORKERS prio=0
		case $g in *-hash) workers=$MM_HASH_WORKERS prio=10 ;; esac
		# spawn-fcgi points the program's stdout and stderr at
		# /dev/null, so the program's log is attached by a shell that
		# then becomes the program (same pid, fd 0 still the socket).
		MM_WORKERS=$workers nice -n "$prio" \
			spawn-fcgi -s "$sock" -M 0600 -P "$pidf" -- /bin/sh -c \
			'exec "$0" 2>>"$1"' "$bin" "$MM_VAR_DIR/log/$g.log" \
			>/dev/null 2>>"$MM_VAR_DIR/log/$g.log" ||
			die "spawn-fcgi failed for $g (see $MM_VAR_DIR/log/$g.log)"
	done
}

fcgi_stop_one() {
	local pidf=$MM_RUN_DIR/$1.pid p
	[ -f "$pidf" ] || return 0
	p=$(cat "$pidf")
	kill "$p" 2>/dev/null || true
	wait_gone "$p"
	rm -f "$pidf" "$MM_RUN_DIR/$1.sock"
}

# Replaces every group's workers with the binaries now on disk, one
# worker at a time (the supervisor keeps the socket): no request is lost.
fcgi_reload() {
	local g pidf
	for g in $(pools_built); do
		pidf=$MM_RUN_DIR/$g.pid
		if pidfile_alive "$pidf"; then
			kill -HUP "$(cat "$pidf")"
			touch "$pidf"
		fi
	done
}

fcgi_stop() {
	local g
	for g in $POOLS_ALL; do
		fcgi_stop_one "$g"
	done
}

# ---------------------------------------------------------------- nginx

cors_map() {
	if [ "$MM_CORS_ORIGINS" = "*" ]; then
		printf '\t\tdefault "*";\n'
		return
	fi
	printf '\t\tdefault "";\n'
	local o
	IFS=',' read -ra origins <<< "$MM_CORS_ORIGINS"
	for o in "${origins[@]}"; do
		o=$(printf %s "$o" | tr -d ' ')
		[ -n "$o" ] && printf '\t\t"%s" "%s";\n' "$o" "$o"
	done
}

nginx_render() {
	local modules=""
	[ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] &&
		modules="load_module /usr/lib/nginx/modules/ngx_nchan_module.so;"
	export MM_NGINX_MODULES=$modules
	export MM_NGINX_USER=""
	is_root && MM_NGINX_USER="user root root;"
	export MM_CORS_MAP
	MM_CORS_MAP=$(cors_map)
	export MM_WWW_DIR=$MM_ROOT/www MM_NGINX_DIR MM_STATIC_RATE MM_STATIC_BURST
	export MM_LOG_DIR=$MM_VAR_DIR/log
	export MM_TLS_CERT=${MM_TLS_CERT:-$MM_VAR_DIR/tls/cert.pem}
	export MM_TLS_KEY=${MM_TLS_KEY:-$MM_VAR_DIR/tls/key.pem}
	# nchan keeps its channels in Redis, shared by every nginx host, with
	# MM_NCHAN_USE_REDIS=true.  It is off by default: nchan 1.3.6's Redis
	# storage crashed nginx workers after Redis restarted under them, so
	# a single host keeps channels in nginx's own memory.
	export MM_NCHAN_REDIS="" MM_NCHAN_REDIS_PASS=""
	if [ "$REDIS_ENABLED" = true ] && [ "${MM_NCHAN_USE_REDIS:-false}" = true ]; then
		MM_NCHAN_REDIS="	upstream mm_nchan_redis {
		nchan_redis_server \"redis://127.0.0.1:$MM_REDIS_PORT\";
	}"
		MM_NCHAN_REDIS_PASS="nchan_redis_pass mm_nchan_redis;"
	fi
	if [ "$MM_ACCESS_LOG" = off ]; then
		export MM_ACCESS_LOG="off"
	else
		export MM_ACCESS_LOG="$MM_VAR_DIR/log/access.log mm_json buffer=64k flush=1s"
	fi
	cp etc/mm_headers.conf etc/mm_fastcgi.conf "$MM_NGINX_DIR/"
	envsubst '${MM_NGINX_USER} ${MM_NGINX_MODULES} ${MM_RUN_DIR} ${MM_VAR_DIR} ${MM_LOG_DIR} ${MM_TLS_CERT} ${MM_TLS_KEY} ${MM_CORS_MAP} ${MM_HTTP_PORT} ${MM_HTTPS_PORT} ${MM_WWW_DIR} ${MM_NGINX_DIR} ${MM_STATIC_RATE} ${MM_STATIC_BURST} ${MM_ACCESS_LOG} ${MM_NCHAN_REDIS} ${MM_NCHAN_REDIS_PASS}' \
		< etc/nginx.conf.in > "$MM_NGINX_DIR/nginx.conf"
}

nginx_cmd() { nginx -q -c "$MM_NGINX_DIR/nginx.conf" -p "$MM_VAR_DIR/" "$@"; }

nginx_start() {
	local out before="" after
	[ -f "$MM_NGINX_DIR/nginx.conf" ] &&
		before=$(grep -c nchan_redis "$MM_NGINX_DIR/nginx.conf" || true)
	nginx_render
	out=$(nginx_cmd -t 2>&1) || die "nginx configuration: $out"
	after=$(grep -c nchan_redis "$MM_NGINX_DIR/nginx.conf" || true)
	if pidfile_alive "$MM_RUN_DIR/nginx.pid"; then
		if [ "$before" = "$after" ]; then
			nginx_cmd -s reload 2>/dev/null
			return 0
		fi
		# nchan cannot move its channels between memory and Redis in
		# a reload (workers crashed when tried): restart instead.
		nginx_stop
	fi
	require_port_free "$MM_HTTP_PORT" HTTP MM_HTTP_PORT
	require_port_free "$MM_HTTPS_PORT" HTTPS MM_HTTPS_PORT
	nginx_cmd 2>/dev/null || die "nginx did not start (see $MM_VAR_DIR/log/nginx-error.log)"
}

nginx_stop() {
	local f=$MM_RUN_DIR/nginx.pid p
	pidfile_alive "$f" || return 0
	p=$(cat "$f")
	nginx_cmd -s quit 2>/dev/null || kill "$p" 2>/dev/null || true
	wait_gone "$p"
}

# ---------------------------------------------------------------- commands

stack_running() {
	pidfile_alive "$MM_RUN_DIR/nginx.pid" || return 1
	[ "$MM_APP_ONLY" = 1 ] && return 0
	pg_running || return 1
	if [ "$REDIS_ENABLED" = true ]; then
		pidfile_alive "$MM_RUN_DIR/redis.pid" || return 1
	fi
	local g
	for g in $(pools_built); do
		pidfile_alive "$MM_RUN_DIR/$g.pid" || return 1
	done
}

wait_ready() {
	local i
	for i in $(seq 100); do
		curl -fsS -o /dev/null "http://127.0.0.1:$MM_HTTP_PORT/api/ready" 2>/dev/null && return 0
		sleep 0.1
	done
	die "the API did not become ready (logs in $MM_VAR_DIR/log/)"
}

cmd_start() {
	[ -x "$MM_BIN_DIR/cron/migrate" ] || die "not built: run make first"
	mkdirs
	secrets
	if [ "$MM_APP_ONLY" != 1 ]; then
		pg_start
		redis_start
		"$MM_BIN_DIR/cron/migrate" --seed "$MM_ROOT/sql/data" ||
			die "migration failed"
	fi
	fcgi_start
	nginx_start
	wait_ready
	say "MuscleMap is up:"
	say "  web app   http://127.0.0.1:$MM_HTTP_PORT/   https://127.0.0.1:$MM_HTTPS_PORT/ (self-signed)"
	say "  API       http://127.0.0.1:$MM_HTTP_PORT/api/health"
	say "  database  $DATABASE_URL"
	say "  logs      $MM_VAR_DIR/log/"
}

cmd_stop() {
	nginx_stop
	fcgi_stop
	if [ "$MM_APP_ONLY" != 1 ]; then
		redis_stop
		pg_stop
	fi
	say "MuscleMap stopped."
}

cmd_status() {
	local g up=0
	state() { if "$@"; then echo running; else echo stopped; fi; }
	printf '%-10s %s\n' nginx "$(state pidfile_alive "$MM_RUN_DIR/nginx.pid") (http 127.0.0.1:$MM_HTTP_PORT, https 127.0.0.1:$MM_HTTPS_PORT)"
	printf '%-10s %s\n' postgres "$(state pg_running) (127.0.0.1:$MM_PG_PORT, cluster $(pg_dir)/data)"
	if [ "$REDIS_ENABLED" = true ]; then
		printf '%-10s %s\n' redis "$(state pidfile_alive "$MM_RUN_DIR/redis.pid") (127.0.0.1:$MM_REDIS_PORT)"
	else
		printf '%-10s %s\n' redis "disabled (REDIS_ENABLED=false)"
	fi
	for g in $(pools_built); do
		local n=0
		if pidfile_alive "$MM_RUN_DIR/$g.pid"; then
			n=$(pgrep -P "$(cat "$MM_RUN_DIR/$g.pid")" | wc -l)
		fi
		printf '%-10s %s\n' "$g" "$(state pidfile_alive "$MM_RUN_DIR/$g.pid") ($n workers, $MM_RUN_DIR/$g.sock)"
	done
	say "state      $MM_VAR_DIR"
	say "logs       $MM_VAR_DIR/log/"
	stack_running && up=1
	[ $up = 1 ]
}

cmd_run() {
	cmd_start
	trap 'echo; cmd_stop; exit 0' INT TERM
	say "Press Ctrl-C to stop."
	while :; do sleep 1; done
}

# Runs the suites; prints the runners' summary lines; non-zero on failure.
run_suites() {
	local unit_dir=$1 rc=0 b
	say "== unit tests (Check)"
	for b in "$unit_dir"/tests/unit/check_*; do
		[ -x "$b" ] || continue
		"$b" || rc=1
	done
	say "== SQL tests (pgTAP)"
	cmd_test_sql || rc=1
	say "== end-to-end HTTP tests"
	cmd_test_http || rc=1
	python3 tests/jobs/run.py || rc=1
	say "== browser tests (headless Chromium)"
	cmd_test_browser || rc=1
	say "== scale-out tests (second host, PgBouncer, replica)"
	cmd_test_scale || rc=1
	return $rc
}

cmd_test_sql() {
	local dir
	dir=$(pg_dir)
	PGHOST=127.0.0.1 PGPORT=$MM_PG_PORT PGDATABASE=musclemap \
		PGUSER=$(is_root && echo postgres || id -un) \
		pg_prove --ext .sql -r sql/tests
}

cmd_test_http() {
	python3 tests/http/run.py
}

cmd_test_browser() {
	tests/browser/run.sh
}

# Scale-out on one machine (README, "Growing"): a second application host
# (its own nginx and binaries on ports shifted by 100) shares this stack's
# PostgreSQL and Redis, writes through PgBouncer in transaction mode and
# reads through a streaming replica; tests/scale/ checks both hosts.
cmd_test_scale() {
	local base replica bouncer rc=0 hostb=$MM_VAR_DIR/hosts/b
	local rport bport
	# Below Linux's ephemeral range (32768-60999), where an outgoing
	# connection could hold a port for a moment.
	rport=$(free_port $((MM_PG_PORT % 10000 + 20000)))
	bport=$(free_port $((rport + 1)))
	base=$(dirname "$(pg_dir)")
	replica=$base/pg-replica
	bouncer=$base/pgbouncer
	scale_down() {
		(export MM_VAR_DIR=$hostb MM_APP_ONLY=1
		 export MM_HTTP_PORT=$((MM_HTTP_PORT + 100)) MM_HTTPS_PORT=$((MM_HTTPS_PORT + 100))
		 unset MM_RUN_DIR
		 "$0" stop >/dev/null 2>&1) || true
		(export MM_VAR_DIR=$MM_VAR_DIR/hosts/c MM_APP_ONLY=1
		 export MM_HTTP_PORT=$((MM_HTTP_PORT + 200)) MM_HTTPS_PORT=$((MM_HTTPS_PORT + 200))
		 unset MM_RUN_DIR
		 "$0" stop >/dev/null 2>&1) || true
		[ -f "$bouncer/pgbouncer.pid" ] && kill "$(cat "$bouncer/pgbouncer.pid")" 2>/dev/null
		if [ -f "$replica/data/PG_VERSION" ]; then
			as_pg "$PG_BIN/pg_ctl" -D "$replica/data" -m fast -w stop >/dev/null 2>&1 || true
		fi
		rm -rf "$replica" "$bouncer"
	}
	scale_down
	require_port_free "$rport" "PostgreSQL replica" MM_PG_PORT
	require_port_free "$bport" PgBouncer MM_PG_PORT
	mkdir -p "$replica" "$bouncer"
	is_root && chown postgres:postgres "$replica" "$bouncer"
	as_pg mkdir -p "$replica/sock"
	as_pg pg_basebackup -h 127.0.0.1 -p "$MM_PG_PORT" -U "$(is_root && echo postgres || id -un)" \
		-D "$replica/data" -R -X stream >/dev/null
	as_pg "$PG_BIN/pg_ctl" -D "$replica/data" -l "$replica/pg.log" -w -t 60 \
		-o "-p $rport -k $replica/sock -c listen_addresses=127.0.0.1 -c hot_standby=on -c max_connections=300" start >/dev/null
	as_pg sh -c "cat > '$bouncer/pgbouncer.ini'" <<-EOF
	[databases]
	musclemap = host=127.0.0.1 port=$MM_PG_PORT dbname=musclemap
	[pgbouncer]
	listen_addr = 127.0.0.1
	listen_port = $bport
	unix_socket_dir =
	auth_type = trust
	auth_file = $bouncer/users.txt
	pool_mode = transaction
	max_client_conn = 500
	default_pool_size = 20
	ignore_startup_parameters = extra_float_digits,options
	pidfile = $bouncer/pgbouncer.pid
	logfile = $bouncer/pgbouncer.log
	EOF
	as_pg sh -c "printf '\"musclemap\" \"\"\n' > '$bouncer/users.txt'"
	as_pg pgbouncer -d -q "$bouncer/pgbouncer.ini"
	# Behind the pooler the statement timeout is the role's setting.
	psql_admin -d musclemap -c "ALTER ROLE musclemap SET statement_timeout = '${MM_DB_STATEMENT_TIMEOUT_MS:-30000}ms'" >/dev/null
	# Hosts B and C share the database (through PgBouncer and the
	# replica) and Redis, real-time channels included.
	local h off
	for h in b c; do
		off=100
		[ $h = c ] && off=200
		(
			# All hosts sign and verify tokens with one key.
			MM_JWT_SECRET=${MM_JWT_SECRET:-$(cat "$MM_VAR_DIR/jwt.secret")}
			export MM_JWT_SECRET
			export MM_VAR_DIR=$MM_VAR_DIR/hosts/$h MM_APP_ONLY=1 MM_NCHAN_USE_REDIS=true
			export MM_HTTP_PORT=$((MM_HTTP_PORT + off)) MM_HTTPS_PORT=$((MM_HTTPS_PORT + off))
			export DATABASE_URL=postgresql://musclemap@127.0.0.1:$bport/musclemap MM_PG_POOLED=true
			export MM_PG_READ_URL=postgresql://musclemap@127.0.0.1:$rport/musclemap
			unset MM_RUN_DIR
			"$0" start >/dev/null
		) || { scale_down; die "host $h did not start"; }
	done
	MM_TEST_DIR=$MM_ROOT/tests/scale MM_HOST_B_PORT=$((MM_HTTP_PORT + 100)) \
		MM_HOST_C_PORT=$((MM_HTTP_PORT + 200)) \
		MM_HOST_B_RUN_DIR=$(MM_VAR_DIR=$hostb "$0" run-dir) \
		MM_REPLICA_PORT=$rport MM_BOUNCER_PORT=$bport \
		python3 tests/http/run.py || rc=1
	scale_down
	return $rc
}

cmd_test() {
	local started=0 rc=0
	if ! stack_running; then
		cmd_start >/dev/null
		started=1
	fi
	run_suites "$MM_ROOT" || rc=1
	[ $started = 1 ] && cmd_stop >/dev/null
	return $rc
}

cmd_test_asan() {
	local rc=0 was_running=0 asan_dir=$MM_VAR_DIR/log/asan
	stack_running && was_running=1
	rm -rf "$asan_dir"
	mkdir -p "$asan_dir"
	export ASAN_OPTIONS="detect_leaks=1:log_path=$asan_dir/asan:abort_on_error=0"
	export UBSAN_OPTIONS="print_stacktrace=1:log_path=$asan_dir/ubsan"
	# Serve with the sanitizer builds of the binaries.
	(MM_BIN_DIR=$MM_ROOT fcgi_stop)
	MM_BIN_DIR=$MM_ROOT/build/asan
	mkdirs
	secrets
	pg_start
	redis_start
	"$MM_BIN_DIR/cron/migrate" --seed "$MM_ROOT/sql/data" || die "migration failed"
	fcgi_start
	nginx_start
	wait_ready
	say "== unit tests (Check, ASan+UBSan)"
	local b
	for b in "$MM_BIN_DIR"/tests/unit/check_*; do
		[ -x "$b" ] || continue
		"$b" || rc=1
	done
	say "== end-to-end HTTP tests (ASan+UBSan binaries)"
	cmd_test_http || rc=1
	# Workers exit normally on TERM, so leak checks run now.
	fcgi_stop
	if ls "$asan_dir"/* >/dev/null 2>&1; then
		say "Sanitizer reports:"
		cat "$asan_dir"/*
		rc=1
	else
		say "sanitizers: no reports"
	fi
	unset ASAN_OPTIONS UBSAN_OPTIONS
	MM_BIN_DIR=$MM_ROOT
	if [ $was_running = 1 ]; then
		fcgi_start
	else
		cmd_stop >/dev/null
	fi
	return $rc
}

# The benchmark runs on a stack of its own (var/bench, ports shifted by
# 1000) with the rate limits raised, so a development stack is untouched
# and the figures measure the code rather than the limiter.
cmd_bench() {
	local rc=0
	(
		export MM_VAR_DIR=$MM_VAR_DIR/bench
		export MM_HTTP_PORT=$((MM_HTTP_PORT + 1000)) MM_HTTPS_PORT=$((MM_HTTPS_PORT + 1000))
		export MM_PG_PORT=$((MM_PG_PORT + 1000)) MM_REDIS_PORT=$((MM_REDIS_PORT + 1000))
		export MM_RATE_LIMIT_PER_MIN=1000000000 MM_AUTH_RATE_LIMIT_PER_MIN=1000000000
		export MM_STATIC_RATE=10000000 MM_STATIC_BURST=10000000
		unset DATABASE_URL MM_REDIS_URL
		exec "$0" bench-inner
	) || rc=1
	return $rc
}

cmd_bench_inner() {
	local rc=0
	cmd_start >/dev/null
	tests/bench/run.sh || rc=1
	cmd_stop >/dev/null
	return $rc
}

cmd_install_cron() {
	local tmp
	tmp=$(mktemp)
	crontab -l 2>/dev/null | grep -v '# musclemap-local$' > "$tmp" || true
	sed -e "s#@MM_ROOT@#$MM_ROOT#g" -e "s#@MM_VAR_DIR@#$MM_VAR_DIR#g" \
		-e "s#@DATABASE_URL@#$DATABASE_URL#g" etc/crontab |
		grep -v '^#' | grep -v '^$' |
		sed 's/$/ # musclemap-local/' >> "$tmp"
	crontab "$tmp"
	rm -f "$tmp"
	say "Installed the MuscleMap jobs in $(id -un)'s crontab (crontab -l)."
}

case "${1:-}" in
deps) cmd_deps ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
run) cmd_run ;;
test) cmd_test ;;
test-asan) cmd_test_asan ;;
test-sql) cmd_test_sql ;;
test-http) cmd_test_http ;;
test-browser) cmd_test_browser ;;
test-scale) cmd_test_scale ;;
run-dir) echo "$MM_RUN_DIR" ;;
reload) fcgi_reload ;;
bench) cmd_bench ;;
bench-inner) cmd_bench_inner ;;
install-cron) cmd_install_cron ;;
*) say "usage: $0 deps|start|stop|status|reload|run|test|test-asan|test-sql|test-http|bench|install-cron"; exit 2 ;;
esac
