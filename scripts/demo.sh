#!/usr/bin/env bash
# The demo (README: `make demo`): start the dev database, ingest the sample
# corpus, build the chat page and serve it on http://localhost:8080.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"

echo "==> dev database"
# Assigned apart from export, so a failed start stops the demo here.
if [ -z "${DATABASE_URL:-}" ]; then
	if ! DATABASE_URL=$(scripts/devdb.sh start); then
		echo "demo: the dev database did not start (see above); nothing else was done" >&2
		exit 1
	fi
fi
export DATABASE_URL
echo "    DATABASE_URL=$DATABASE_URL"

echo "==> word vectors for the local embedder"
scripts/vectors.sh

echo "==> chat page assets"
scripts/web.sh

echo "==> build"
go build -o bin/govchat ./cmd/govchat

corpus="${GOVCHAT_CORPUS:-$root/../shared/corpus/govuk}"
echo "==> ingest"
if [ -d "$corpus" ]; then
	bin/govchat ingest --from "$corpus"
else
	echo "    $corpus not found: fetching the pages in data/demo-paths.txt from the live GOV.UK Content API"
	bin/govchat ingest --content-api https://www.gov.uk/api/content --paths data/demo-paths.txt
fi

addr="${GOVCHAT_ADDR:-127.0.0.1:8080}"
echo "==> serving on http://$addr (Ctrl-C to stop; \`scripts/devdb.sh stop\` stops the database)"
exec bin/govchat serve --addr "$addr"
