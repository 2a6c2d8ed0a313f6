#!/usr/bin/env bash
# The load measurement of docs/reliability.md: a dev database of its own, the
# shared corpus ingested, `govchat serve` with the offline composer, then
# `govchat loadtest` holding CONNS websocket connections with ASKERS of them
# asking for DURATION. Everything runs on 127.0.0.1 and is stopped at the end.
# Not run in CI (minutes long); CI runs the fault tests in test/reliability.
#
#   scripts/reliability.sh                      2,000 connections, 50 askers, 2 minutes
#   CONNS=200 ASKERS=10 DURATION=20s scripts/reliability.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

conns=${CONNS:-2000}
askers=${ASKERS:-50}
duration=${DURATION:-2m}
ramp=${RAMP:-20s}
port=${PORT:-18080}
dbport=${DB_PORT:-55435}
out=${OUT:-/tmp/govchat-reliability}
export GOVCHAT_STATE=/tmp/devdb-rel
dbdir=/tmp/devdb-rel-data
corpus=${CORPUS:-../shared/corpus/govuk}
questions=${QUESTIONS:-../shared/eval/dev.jsonl}

# Each connection is a file descriptor in the server and in the load generator.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
mkdir -p "$out"

server_pid=
cleanup() {
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid"
		for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$server_pid" 2>/dev/null && kill -KILL "$server_pid" || true
	fi
	scripts/devdb.sh stop
}
trap cleanup EXIT

go build -o bin/govchat ./cmd/govchat
if [ ! -f .cache/govchat/vectors-100d.bin ]; then
	scripts/vectors.sh
fi

DATABASE_URL=$(scripts/devdb.sh start --dir "$dbdir" --port "$dbport")
export DATABASE_URL
bin/govchat ingest --from "$corpus" >"$out/ingest.txt" 2>"$out/ingest.log"
tail -n 3 "$out/ingest.txt"

# Every connection comes from 127.0.0.1: the per-address limits are raised with the rest.
GOVCHAT_COMPOSER=offline GOVCHAT_RATE_PER_IP=100000 GOVCHAT_RATE_PER_CONVERSATION=100000 GOVCHAT_MAX_CONNECTIONS=5000 \
	GOVCHAT_MAX_CONNECTIONS_PER_IP=5000 bin/govchat serve --addr "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	kill -0 "$server_pid" 2>/dev/null || { echo "reliability: the server exited; its log:" >&2; cat "$out/server.log" >&2; exit 1; }
	sleep 0.5
done

echo "server pid $server_pid, rss before: $(grep VmRSS /proc/$server_pid/status)"
status=0
bin/govchat loadtest --url "ws://127.0.0.1:$port/ws" --conns "$conns" --askers "$askers" --duration "$duration" \
	--ramp "$ramp" --questions "$questions" --server-pid "$server_pid" --json | tee "$out/loadtest.txt" || status=$?
echo "server rss after: $(grep VmRSS /proc/$server_pid/status)"
tail -n 1 "$out/loadtest.txt" >"$out/loadtest.json"
echo "reliability: report in $out/loadtest.json, server log in $out/server.log"
exit "$status"
