#!/usr/bin/env bash
# A short run of every fuzz target, part of `make test`. Longer runs:
# `make fuzz FUZZTIME=5m` (results in docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
# A count, not a time: with a few seconds, Go's fuzzer can stop a slow
# worker mid-input and report "context deadline exceeded" (a flake).
scripts/fuzz.sh "${GOVCHAT_CI_FUZZTIME:-300x}"
