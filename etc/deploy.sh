#!/usr/bin/env bash
# deploy.sh: the seed's deployment flow, without dropping a request.
#
#   etc/deploy.sh --local        deploy the checkout to the local stack
#   etc/deploy.sh HOST           sync the checkout to HOST (ssh) and deploy
#                                it there on the installed services
#
# Steps: build, keep a copy of the binaries now serving, apply migrations,
# then for each FastCGI group in turn replace its workers (they finish the
# request in hand; the listening socket never closes), check that every
# worker was replaced and that the group answers, and on any failure put
# the previous binaries back, reload them and exit non-zero.
#
# Environment: MM_DEPLOY_BUILD (build command, default "make"),
# MM_DEPLOY_DIR (source directory on HOST, default /opt/musclemap/src),
# PREFIX (install prefix on HOST, default /usr), and for --local the
# stack's own variables (MM_HTTP_PORT, MM_VAR_DIR, MM_BIN_DIR, ...).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
GROUPS_ALL="auth auth-hash catalog workouts economy journey community messaging tips misc"
: "${MM_DEPLOY_BUILD:=make}"

say() { printf 'deploy: %s\n' "$*"; }
die() { printf 'deploy: %s\n' "$*" >&2; exit 1; }

# A path of each group that its binary answers itself with a 404 JSON
# error carrying X-RateLimit-Limit, which nginx alone would not add.
probe_path() {
	case $1 in
	auth-hash) echo /api/auth/login ;;
	catalog) echo /api/exercises/__deploy/check ;;
	misc) echo /api/settings/__deploy ;;
	*) echo "/api/$1/__deploy" ;;
	esac
}

# A new worker's first answer can be slow (a cold connection to PostgreSQL
# and Redis, or a sanitizer build), so the probe is tried a few times
# before the group counts as down; what it last saw is printed then.
group_answers() {	# group base_url
	local h i
	for i in 1 2 3 4 5; do
		h=$(curl -s -o /dev/null -D - --max-time 5 "$2$(probe_path "$1")" || true)
		printf '%s' "$h" | grep -qi '^X-RateLimit-Limit:' && return 0
		sleep 1
	done
	say "$1: the probe of $(probe_path "$1") got: $(printf '%s' "$h" | head -1 | tr -d '\r')"
	return 1
}

children() { cat "/proc/$1/task/$1/children" 2>/dev/null || true; }

# Waits until none of the old workers remains and the count is back.
replaced() {	# supervisor_pid "old pids" count
	local i now p left
	for i in $(seq 100); do
		# shellcheck disable=SC2046
		now=" $(echo $(children "$1")) "
		left=0
		for p in $2; do
			case $now in *" $p "*) left=1 ;; esac
		done
		if [ $left = 0 ] && [ "$(echo $now | wc -w)" -ge "$3" ]; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# Puts a binary in place by rename: the running file cannot be written.
restore() {	# from to
	cp -p "$1" "$2.deploy.$$"
	mv -f "$2.deploy.$$" "$2"
}

deploy_local() {
	local bin_dir=${MM_BIN_DIR:-$ROOT} var=${MM_VAR_DIR:-$ROOT/var}
	local run=${MM_RUN_DIR:-} base="http://127.0.0.1:${MM_HTTP_PORT:-8080}"
	local prev=$var/deploy/prev g groups="" pid old n failed=""
	case $bin_dir in /*) ;; *) bin_dir=$ROOT/$bin_dir ;; esac
	[ -n "$run" ] || run=$var/run
	for g in $GROUPS_ALL; do
		[ -f "$run/$g.pid" ] && groups="$groups $g"
	done
	[ -n "$groups" ] || die "no running stack in $var (make start)"
	say "keeping the serving binaries in $prev"
	rm -rf "$prev"
	mkdir -p "$prev"
	for g in $groups; do
		cp -p "$bin_dir/cgi-bin/${g%-hash}" "$prev/${g%-hash}"
	done
	say "building: $MM_DEPLOY_BUILD"
	sh -c "$MM_DEPLOY_BUILD" >/dev/null
	say "migrating"
	"$bin_dir/cron/migrate" --seed "$ROOT/sql/data"
	for g in $groups; do
		pid=$(cat "$run/$g.pid")
		old=$(children "$pid")
		n=$(echo "$old" | wc -w)
		kill -HUP "$pid"
		if ! replaced "$pid" "$old" "$n" || ! group_answers "$g" "$base"; then
			failed=$g
			break
		fi
		touch "$run/$g.pid"
		say "$g: $n workers replaced"
	done
	[ -z "$failed" ] && { say "done"; return 0; }
	say "$failed did not come up: rolling back"
	for g in $groups; do
		restore "$prev/${g%-hash}" "$bin_dir/cgi-bin/${g%-hash}"
		pid=$(cat "$run/$g.pid")
		old=$(children "$pid")
		kill -HUP "$pid"
		replaced "$pid" "$old" "$(echo "$old" | wc -w)" || true
	done
	die "rolled back to the previous binaries"
}

deploy_host() {
	local host=$1 dir=${MM_DEPLOY_DIR:-/opt/musclemap/src}
	say "syncing to $host:$dir"
	rsync -az --delete --exclude /var --exclude /build --exclude '*.o' \
		--exclude '/cgi-bin/*[!.][!c]' "$ROOT/" "$host:$dir/"
	# shellcheck disable=SC2029
	ssh "$host" "cd '$dir' && sudo PREFIX='${PREFIX:-/usr}' etc/deploy.sh --on-host"
}

# On an installed host: the same steps with systemd units.
deploy_on_host() {
	local prefix=${PREFIX:-/usr} libexec prev g pid old n failed=""
	libexec=$prefix/lib/musclemap
	prev=$libexec.prev
	sh -c "$MM_DEPLOY_BUILD" >/dev/null
	rm -rf "$prev"
	cp -a "$libexec" "$prev"
	make -s install PREFIX="$prefix"
	systemctl restart musclemap-migrate.service
	for g in $GROUPS_ALL; do
		systemctl is-active --quiet "musclemap@$g.service" || continue
		pid=$(systemctl show -p MainPID --value "musclemap@$g.service")
		old=$(children "$pid")
		n=$(echo "$old" | wc -w)
		systemctl reload "musclemap@$g.service"
		if ! replaced "$pid" "$old" "$n" || ! group_answers "$g" "http://127.0.0.1"; then
			failed=$g
			break
		fi
		say "$g: $n workers replaced"
	done
	[ -z "$failed" ] && { say "done"; return 0; }
	say "$failed did not come up: rolling back"
	rm -rf "$libexec"
	mv "$prev" "$libexec"
	for g in $GROUPS_ALL; do
		systemctl is-active --quiet "musclemap@$g.service" &&
			systemctl reload "musclemap@$g.service"
	done
	die "rolled back to the previous binaries"
}

case "${1:-}" in
--local) deploy_local ;;
--on-host) deploy_on_host ;;
"" | -*) echo "usage: $0 --local | HOST" >&2; exit 2 ;;
*) deploy_host "$1" ;;
esac
