#!/usr/bin/env bash
# Build the chat page's front-end assets into web/dist/govuk/ (served by
# package web under /assets/govuk/):
#   app.css                  GOV.UK Frontend compiled from web/scss/app.scss
#   govuk-frontend.min.js    GOV.UK Frontend's JavaScript (an ES module)
#   fonts/ images/ manifest.json
# Nothing here is committed; `make web` (this script) rebuilds it, and does
# nothing when the output is newer than its inputs.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

out=${GOVCHAT_WEB_DIR:-web/dist}/govuk
pkg=node_modules/govuk-frontend/dist/govuk

# npm ci only when node_modules is missing or older than the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
	[ ! -f "$pkg/govuk-frontend.min.js" ] || [ ! -x node_modules/.bin/sass ]; then
	echo "web: installing front-end tools (npm ci)" >&2
	npm ci --no-audit --no-fund --loglevel=error >&2
fi

mkdir -p "$out"

# Up to date when the stylesheet is newer than every input.
stamp="$out/app.css"
if [ -f "$stamp" ] && [ -f "$out/govuk-frontend.min.js" ] && [ -d "$out/fonts" ] &&
	[ -z "$(find web/scss node_modules/.package-lock.json -newer "$stamp" -print -quit)" ]; then
	exit 0
fi

echo "web: building $out" >&2
node_modules/.bin/sass --load-path=node_modules --style=compressed --no-source-map \
	--quiet-deps web/scss/app.scss "$out/app.css.tmp"
mv "$out/app.css.tmp" "$out/app.css"

cp "$pkg/govuk-frontend.min.js" "$out/"
rm -rf "$out/fonts" "$out/images"
cp -R "$pkg/assets/fonts" "$pkg/assets/images" "$pkg/assets/manifest.json" "$out/"

# The fonts and images must resolve under /assets/govuk/ (see app.scss).
if grep -q 'url("/assets/fonts/' "$out/app.css"; then
	echo "web: app.css points at /assets/fonts/; \$govuk-assets-path was not applied" >&2
	exit 1
fi
