#!/usr/bin/env bash
# A short run of every fuzz target, part of `make test`. Longer runs:
# `make fuzz FUZZTIME=5m` (results in docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/fuzz.sh "${GOVCHAT_CI_FUZZTIME:-3s}"
