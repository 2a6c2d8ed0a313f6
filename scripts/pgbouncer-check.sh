#!/usr/bin/env bash
# Runs the store and retrieval tests through a real PgBouncer in transaction
# mode (docs/scaling.md), once per pgx query mode:
#   exec, simple_protocol   must pass: nothing outlives a transaction;
#   cache_statement (pgx's default) is expected to fail before PgBouncer 1.21
#                           ("prepared statement ... already exists").
# Two throw-away dev databases stand behind it as "postgres" and "replica".
# PGlite is one session, so PgBouncer gets ONE server connection to each:
# every client's transactions take turns on it, the strictest form of
# transaction pooling. Needs the pgbouncer binary (Debian: apt-get install
# pgbouncer); by hand, not in `make test`. As root it runs pgbouncer as
# PGBOUNCER_USER (default postgres), because pgbouncer refuses root.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v pgbouncer >/dev/null || { echo "pgbouncer-check: pgbouncer is not installed" >&2; exit 2; }

dir=$(mktemp -d)
chmod 755 "$dir"
export GOVCHAT_STATE="$dir/primary"
p=$(scripts/devdb.sh start --memory --port auto)
r=$(GOVCHAT_STATE="$dir/replica" scripts/devdb.sh start --memory --port auto)
bport=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cleanup() {
	[ -f "$dir/pgbouncer.pid" ] && kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
	scripts/devdb.sh stop || true
	GOVCHAT_STATE="$dir/replica" scripts/devdb.sh stop || true
}
trap cleanup EXIT

hostport() { printf '%s' "$1" | sed -E 's#^postgres://[^@]*@([^:/]+):([0-9]+)/.*#host=\1 port=\2#'; }
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
postgres = $(hostport "$p") dbname=postgres user=postgres password=postgres pool_size=1
replica  = $(hostport "$r") dbname=postgres user=postgres password=postgres pool_size=1

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $bport
auth_type = any
pool_mode = transaction
max_client_conn = 200
ignore_startup_parameters = extra_float_digits
logfile = $dir/pgbouncer.log
pidfile = $dir/pgbouncer.pid
unix_socket_dir =
EOF
if [ "$(id -u)" = 0 ]; then
	chown "${PGBOUNCER_USER:-postgres}" "$dir"
	runuser -u "${PGBOUNCER_USER:-postgres}" -- pgbouncer -d "$dir/pgbouncer.ini"
else
	pgbouncer -d "$dir/pgbouncer.ini"
fi
for _ in $(seq 1 50); do (exec 3<>"/dev/tcp/127.0.0.1/$bport") 2>/dev/null && break; sleep 0.1; done
pgbouncer --version | head -n 1

export GOVCHAT_REQUIRE_DB=1
status=0
for mode in exec simple_protocol cache_statement; do
	base="postgres://postgres:postgres@127.0.0.1:$bport"
	echo "== default_query_exec_mode=$mode"
	if DATABASE_URL="$base/postgres?sslmode=disable&default_query_exec_mode=$mode" \
		GOVCHAT_TEST_READ_URL="$base/replica?sslmode=disable&default_query_exec_mode=$mode" \
		go test -count=1 ./store ./retrieval >"$dir/$mode.txt" 2>&1; then
		echo "pass"
		[ "$mode" = cache_statement ] && { echo "pgbouncer-check: cache_statement passed: a PgBouncer with prepared statement support?"; }
	else
		grep -m 1 -o 'ERROR: [^(]*' "$dir/$mode.txt" | sed 's/^/fail: /' || tail -n 5 "$dir/$mode.txt"
		[ "$mode" = cache_statement ] || status=1
	fi
done
exit $status
