#!/usr/bin/env bash
# Start or stop the development database: PGlite (PostgreSQL 18 + pgvector
# compiled to WebAssembly) served over the Postgres wire protocol.
#
#   scripts/devdb.sh start [--memory] [--port N|auto] [--dir PATH]   prints DATABASE_URL
#
# The port is 54329 unless --port or GOVCHAT_DEVDB_PORT says otherwise; a
# port already in use fails at once, naming it; "auto" takes a free one.
#   scripts/devdb.sh stop                                       stops it by its pid
#   scripts/devdb.sh url                                        prints DATABASE_URL
#
# It is a test and demo database, not a production one: see docs/database.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
state="${GOVCHAT_STATE:-$root/.cache/devdb}"
mkdir -p "$state"
pidfile="$state/pid"
urlfile="$state/url"
logfile="$state/server.log"

cmd=${1:-}
shift || true
mode=disk
port=${GOVCHAT_DEVDB_PORT:-54329}
dir="$state/data"
while [ $# -gt 0 ]; do
	case "$1" in
	--memory) mode=memory ;;
	--port) port=$2; shift ;;
	--dir) dir=$2; shift ;;
	*) echo "devdb: unknown option $1" >&2; exit 2 ;;
	esac
	shift
done

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# port_taken: something on this machine already listens on 127.0.0.1:$1.
port_taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port prints a port nothing listens on, chosen by the kernel.
free_port() {
	node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

install() {
	if [ ! -f "$root/node_modules/@electric-sql/pglite-socket/package.json" ] ||
		[ ! -f "$root/node_modules/@electric-sql/pglite-pgvector/package.json" ]; then
		echo "devdb: installing PGlite (npm ci)" >&2
		(cd "$root" && npm ci --no-audit --no-fund --loglevel=error >&2)
	fi
}

case "$cmd" in
start)
	if running; then
		cat "$urlfile"
		exit 0
	fi
	if [ "$port" = auto ]; then
		port=$(free_port)
	elif ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
		echo "devdb: port \"$port\" is not a number from 1 to 65535 or auto" >&2
		exit 2
	elif port_taken "$port"; then
		echo "devdb: port $port is already in use on 127.0.0.1 (another dev database or a PostgreSQL?)." >&2
		echo "devdb: stop it, or choose another port: scripts/devdb.sh start --port N (or --port auto, or GOVCHAT_DEVDB_PORT=N)" >&2
		exit 1
	fi
	install
	db="memory://"
	if [ "$mode" = disk ]; then
		mkdir -p "$dir"
		db="$dir"
	fi
	: >"$logfile"
	# setsid: the server must outlive this script and be stoppable by its own pid.
	setsid node "$root/node_modules/@electric-sql/pglite-socket/dist/scripts/server.js" \
		--db="$db" --host=127.0.0.1 --port="$port" \
		--extensions=@electric-sql/pglite-pgvector:vector --max-connections=16 \
		>"$logfile" 2>&1 </dev/null &
	echo $! >"$pidfile"
	for _ in $(seq 1 600); do
		if grep -q "listening" "$logfile" 2>/dev/null; then
			url="postgres://postgres:postgres@127.0.0.1:$port/postgres?sslmode=disable&default_query_exec_mode=simple_protocol"
			echo "$url" >"$urlfile"
			echo "$url"
			exit 0
		fi
		if ! running; then
			echo "devdb: the server exited; its log:" >&2
			cat "$logfile" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "devdb: the server did not start within 60 s; its log:" >&2
	cat "$logfile" >&2
	exit 1
	;;
stop)
	if running; then
		pid=$(cat "$pidfile")
		kill -TERM "$pid"
		for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
	fi
	rm -f "$pidfile" "$urlfile"
	;;
url)
	running && cat "$urlfile" || { echo "devdb: not running" >&2; exit 1; }
	;;
*)
	echo "usage: scripts/devdb.sh start [--memory] [--port N|auto] [--dir PATH] | stop | url" >&2
	exit 2
	;;
esac
