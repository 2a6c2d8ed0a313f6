#!/usr/bin/env bash
# Browser tests of the chat page, run by scripts/test.sh after go test.
#
# Builds the page and the binary, indexes the shared corpus into a fresh
# schema of the running dev database ($DATABASE_URL), starts `govchat serve`
# on a free port, runs web/test/ in headless Debian chromium with
# playwright-core and axe-core (the chat page, the accessibility statement
# and the operators' console), then checks the feedback the test gave was
# stored. The screenshot of an answered conversation is out/browser/answered.png.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

: "${DATABASE_URL:?set DATABASE_URL to a running dev database (scripts/test.sh starts one)}"
step() { printf -- '--> %s\n' "$*"; }

if ! command -v chromium >/dev/null; then
	step "installing chromium"
	apt-get update -qq && apt-get install -y -qq chromium >/dev/null
fi
chromium_bin=$(command -v chromium)

step "building the page (scripts/web.sh) and bin/govchat"
scripts/web.sh
if [ -x scripts/vectors.sh ]; then
	scripts/vectors.sh >/dev/null
fi
go build -o bin/govchat ./cmd/govchat

# A schema of our own, dropped afterwards, so other tests are not disturbed.
export GOVCHAT_DB_SCHEMA="browser_test_$$"
export GOVCHAT_COMPOSER=offline
export GOVCHAT_LOG_FORMAT=text
# The operators' console is tested too (web/test/console.test.mjs).
GOVCHAT_ADMIN_TOKEN="browser-test-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')"
export GOVCHAT_ADMIN_TOKEN
# psql rejects pgx's default_query_exec_mode parameter.
psql_url=$(printf '%s' "$DATABASE_URL" | sed -E 's/[?&]default_query_exec_mode=[^&]*//; s/^([^?]*)&/\1?/')

work=$(mktemp -d)
server_pid=""
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null || true
		wait "$server_pid" 2>/dev/null || true
	fi
	psql "$psql_url" -qc "DROP SCHEMA IF EXISTS $GOVCHAT_DB_SCHEMA CASCADE" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT

step "indexing ../shared/corpus/govuk into schema $GOVCHAT_DB_SCHEMA"
bin/govchat migrate >/dev/null
bin/govchat ingest --from ../shared/corpus/govuk >"$work/ingest.log" 2>&1 || {
	cat "$work/ingest.log" >&2
	exit 1
}

port=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
base="http://127.0.0.1:$port"
step "starting govchat serve on $base"
bin/govchat serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 120); do
	if curl -fsS "$base/readyz" >/dev/null 2>&1; then
		break
	fi
	if ! kill -0 "$server_pid" 2>/dev/null; then
		echo "test-browser: govchat serve exited; its log:" >&2
		cat "$work/serve.log" >&2
		exit 1
	fi
	sleep 0.5
done
curl -fsS "$base/readyz" >/dev/null || {
	echo "test-browser: $base/readyz did not answer within 60 s; the server's log:" >&2
	cat "$work/serve.log" >&2
	exit 1
}

step "browser tests (node --test web/test/)"
mkdir -p out/browser
GOVCHAT_URL="$base" CHROMIUM="$chromium_bin" CHROMIUM_PROFILE="$work/profile" GOVCHAT_OUT=out/browser \
	node --test web/test/ || {
	echo "test-browser: the browser tests failed; the server's log:" >&2
	tail -n 50 "$work/serve.log" >&2
	exit 1
}

step "checking the feedback was stored"
useful=$(psql "$psql_url" -tAc "SELECT count(*) FROM $GOVCHAT_DB_SCHEMA.feedback WHERE useful")
if [ "${useful:-0}" -lt 1 ]; then
	echo "test-browser: want the \"Yes\" feedback in $GOVCHAT_DB_SCHEMA.feedback; found $useful rows" >&2
	exit 1
fi
echo "test-browser: ok; screenshot in out/browser/answered.png"
