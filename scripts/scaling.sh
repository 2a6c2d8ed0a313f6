#!/usr/bin/env bash
# Per-instance figures for docs/scaling.md: one `govchat serve` (offline
# composer) on an index that is already ingested, measured idle and under
# `govchat loadtest`:
#   - resident memory (VmRSS) idle, and the highest seen under load;
#   - database connections the instance holds, per database port, idle and
#     the most seen under load (sampled with ss every 0.2 s);
#   - CPU seconds the server, and each database process named in DB_PIDS,
#     spent per question asked;
#   - the server's retrieval time per question (from the loadtest's stored
#     messages, when PSQL_URL is set).
#
#   DATABASE_URL=... [DATABASE_READ_URL=...] [DB_PIDS="pid pid"] [PSQL_URL=...] scripts/scaling.sh
#
# ASKERS (50), CONNS (ASKERS), DURATION (20s), PORT (18111) override the
# defaults. Loopback only, like the load generator. Output: key=value lines.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
: "${DATABASE_URL:?set DATABASE_URL to an ingested index}"
askers=${ASKERS:-50}
conns=${CONNS:-$askers}
duration=${DURATION:-20s}
port=${PORT:-18111}
out=$(mktemp -d)

server_pid=
sampler_pid=
cleanup() {
	[ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null || true
	if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
		kill -TERM "$server_pid"
		for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
	fi
}
trap cleanup EXIT

go build -o bin/govchat ./cmd/govchat
GOVCHAT_COMPOSER=offline GOVCHAT_RATE_PER_IP=100000 GOVCHAT_RATE_PER_CONVERSATION=100000 \
	bin/govchat serve --addr "127.0.0.1:$port" >"$out/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
	if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
	kill -0 "$server_pid" 2>/dev/null || { cat "$out/server.log" >&2; exit 1; }
	sleep 0.5
done
sleep 5

# db_conns prints "port count" for the server's established outgoing TCP
# connections (not those accepted on its own port), by remote port.
db_conns() {
	ss -tnpH state established 2>/dev/null | grep "pid=$server_pid," |
		awk -v own="$port" '{n = split($3, l, ":"); if (l[n] != own) {m = split($4, r, ":"); print r[m]}}' |
		sort | uniq -c | awk '{print $2" "$1}' || true
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

echo "idle_rss_mib=$(awk -v k="$(rss_kib "$server_pid")" 'BEGIN {printf "%.1f", k/1024}')"
db_conns | while read -r p n; do echo "idle_db_conns_port_$p=$n"; done

(
	while kill -0 "$server_pid" 2>/dev/null; do
		echo "rss $(rss_kib "$server_pid")"
		db_conns | sed 's/^/conns /'
		sleep 0.2
	done
) >"$out/samples" &
sampler_pid=$!

hz=$(getconf CLK_TCK)
declare -A before
for p in $server_pid ${DB_PIDS:-}; do before[$p]=$(cpu_ticks "$p"); done
start=$(date -u +%Y-%m-%dT%H:%M:%SZ)
bin/govchat loadtest --url "ws://127.0.0.1:$port/ws" --conns "$conns" --askers "$askers" --duration "$duration" \
	--ramp 2s --questions ../shared/eval/dev.jsonl --json >"$out/loadtest.txt" || true
asks=$(tail -n 1 "$out/loadtest.txt" | sed -E 's/.*"asks":([0-9]+).*/\1/')
echo "asks=$asks"
tail -n 1 "$out/loadtest.txt" | tr ',' '\n' | grep -E '"(errors|p50_first_delta_ms|p95_first_delta_ms|p95_done_ms)"' | tr -d '"{}' | sed 's/:/=/'
for p in $server_pid ${DB_PIDS:-}; do
	used=$(( $(cpu_ticks "$p") - ${before[$p]} ))
	name=$([ "$p" = "$server_pid" ] && echo server || echo "db_pid_$p")
	echo "${name}_cpu_ms_per_question=$(awk -v t="$used" -v hz="$hz" -v n="$asks" 'BEGIN {printf "%.2f", t*1000/hz/n}')"
done
kill "$sampler_pid" 2>/dev/null || true
sampler_pid=
echo "peak_rss_mib=$(awk '$1 == "rss" && $2 > m {m = $2} END {printf "%.1f", m/1024}' "$out/samples")"
awk '$1 == "conns" && $3 > m[$2] {m[$2] = $3} END {for (p in m) print "peak_db_conns_port_" p "=" m[p]}' "$out/samples"
if [ -n "${PSQL_URL:-}" ]; then
	psql "$PSQL_URL" -Atc "SELECT 'retrieval_ms_p50=' || round(percentile_cont(0.5) WITHIN GROUP (ORDER BY (timings->>'retrieval')::float)::numeric, 1)
		|| ' retrieval_ms_p95=' || round(percentile_cont(0.95) WITHIN GROUP (ORDER BY (timings->>'retrieval')::float)::numeric, 1)
		FROM ${GOVCHAT_DB_SCHEMA:-govchat}.messages WHERE timings ? 'retrieval' AND created_at >= '$start'"
fi
