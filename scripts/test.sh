#!/usr/bin/env bash
# The project's one test command (README: `make test`; CI: .ci/run).
# Installs what the tests need, starts a throw-away dev database, runs every
# test against it, then stops it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

export GOVCHAT_STATE="${GOVCHAT_STATE:-$root/.cache/test-devdb}"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export GOVCHAT_VECTORS_FILE="${GOVCHAT_VECTORS_FILE:-$root/.cache/govchat/vectors-100d.bin}"
port=${GOVCHAT_TEST_DB_PORT:-auto}

step() { printf '\n==> %s\n' "$*"; }

step "installing development tools (npm ci)"
npm ci --no-audit --no-fund --loglevel=error

if [ -x scripts/vectors.sh ]; then
	step "building the local embedder's word vectors (cached)"
	scripts/vectors.sh
fi

# Stop, at exit, only the dev databases this script started.
started=()
stop_started() {
	for s in "${started[@]}"; do GOVCHAT_STATE="$s" scripts/devdb.sh stop; done
}
trap stop_started EXIT
if [ -z "${DATABASE_URL:-}" ]; then
	step "starting the dev database (PGlite, in memory) on port $port"
	started+=("$GOVCHAT_STATE")
	DATABASE_URL=$(scripts/devdb.sh start --memory --port "$port")
	export DATABASE_URL
fi
if [ -z "${GOVCHAT_TEST_READ_URL:-}" ]; then
	# A second dev database stands in for a read replica (store/replica_test.go).
	step "starting a second dev database, the stand-in read replica"
	started+=("$GOVCHAT_STATE-replica")
	GOVCHAT_TEST_READ_URL=$(GOVCHAT_STATE="$GOVCHAT_STATE-replica" scripts/devdb.sh start --memory --port auto)
	export GOVCHAT_TEST_READ_URL
fi
# Tests that need the database fail, not skip, from here on.
export GOVCHAT_REQUIRE_DB=1

step "go vet"
go vet ./...

step "staticcheck (pinned, from the Go module proxy)"
go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 ./...

# Tests that need the database to themselves run after the others: the dev
# database (PGlite) serves every connection in one session, so pgx's "exec"
# mode (unnamed prepared statements) in one package can be clobbered by
# another package's statements running at the same time. Real PostgreSQL
# has no such limit.
alone='TestPoolerSafeQueryModes'
step "go test"
go test -count=1 -timeout 20m -skip "$alone" ./... 2>&1 | tee "${GOVCHAT_TEST_LOG:-/dev/null}"
step "go test (tests that need the database to themselves)"
go test -count=1 -timeout 5m -run "$alone" ./store/ 2>&1 | tee -a "${GOVCHAT_TEST_LOG:-/dev/null}"

for extra in scripts/test-*.sh; do
	[ -e "$extra" ] || continue
	step "$extra"
	bash "$extra"
done
