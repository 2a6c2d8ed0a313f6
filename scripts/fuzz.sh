#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a while each: scripts/fuzz.sh 30s
set -euo pipefail
cd "$(dirname "$0")/.."
time=${1:-10s}
grep -rl --include='*_test.go' '^func Fuzz' . | grep -v node_modules | while read -r f; do
	pkg=./$(dirname "${f#./}")
	grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r target; do
		printf '%-40s %s ... ' "$target" "$pkg"
		if out=$(go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$time" 2>&1); then
			echo "ok ($(echo "$out" | grep -o 'execs: [0-9]*' | tail -1))"
		else
			echo "FAILED"
			echo "$out" | tail -30
			exit 1
		fi
	done
done
