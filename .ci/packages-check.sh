#!/usr/bin/env bash
# The published packages as a user gets them: pack every package (npm pack runs each one's prepack, a clean
# build), install the tarballs into an empty folder outside the checkout (so nothing resolves to the
# workspace), then on each Node version given: a clean install with no engine warning, `callpush serve` from
# there with the sandbox, a ring through the emulators placed with @callpush/sdk and read back with
# @callpush/client, an event verified with the SDK, `callpush call bob` (.ci/packages-check.mjs); once: the published type declarations checked by a TypeScript consumer
# (.ci/packages-consumer.ts). Needs the workspace installed (npm ci) for the build and tsc.
#
#   bash .ci/packages-check.sh 26.12.1     # exact Node versions, fetched and cached as .ci/run does
set -euo pipefail
cd "$(dirname "$0")/.."
REPO="$PWD"
# shellcheck source=node.sh
. .ci/node.sh
[ $# -gt 0 ] || { echo "usage: $0 NODE_VERSION..." >&2; exit 2; }

WORK="$(mktemp -d "${TMPDIR:-/tmp}/callpush-packages.XXXXXX")"
# CALLPUSH_PACKAGES_KEEP=1 keeps the folder (tarballs, one installed app per Node) to look into.
if [ -n "${CALLPUSH_PACKAGES_KEEP:-}" ]; then trap 'echo "packages-check: kept $WORK"' EXIT; else trap 'rm -rf "$WORK"' EXIT; fi
mkdir "$WORK/tarballs"

use_node "$1"
echo "== npm pack (node $(node --version))"
if ! npm pack --workspace packages/emulators --workspace packages/client --workspace packages/sdk \
  --workspace packages/server \
  --pack-destination "$WORK/tarballs" >"$WORK/pack.log" 2>&1; then
  cat "$WORK/pack.log"
  exit 1
fi
ls -l "$WORK/tarballs"
for t in "$WORK"/tarballs/*.tgz; do
  tar -tzf "$t" >"$WORK/list"
  # Only the build output and the package's own manifest and README go out: no sources, tests or config.
  stray="$(grep -Ev '^package/(dist/.*|bin/callpush\.js|package\.json|README\.md|LICENSE)$' "$WORK/list" || true)"
  [ -z "$stray" ] || { echo "FAIL: unexpected files in $(basename "$t"):" >&2; echo "$stray" >&2; exit 1; }
  grep -qx 'package/dist/index\.js' "$WORK/list" || { echo "FAIL: no dist/index.js in $t" >&2; exit 1; }
done

first=1
for version in "$@"; do
  use_node "$version"
  app="$WORK/app-$version"
  mkdir "$app"
  # What a user's project has: its own package.json, allowing better-sqlite3's build (npm 11's allowScripts).
  cat >"$app/package.json" <<'EOF'
{ "name": "callpush-packages-check", "private": true, "type": "module", "allowScripts": { "better-sqlite3": true } }
EOF
  echo "== install the tarballs (node $(node --version))"
  extra=()
  [ "$first" = 1 ] && extra=("@types/node@22")
  (cd "$app" && npm_clean npm install --no-audit --no-fund "$WORK"/tarballs/*.tgz "${extra[@]}")
  cp .ci/packages-check.mjs "$app/"
  (cd "$app" && node packages-check.mjs)
  if [ "$first" = 1 ]; then
    echo "== the published type declarations, from a TypeScript consumer"
    cp .ci/packages-consumer.ts "$app/"
    cp .ci/packages-tsconfig.json "$app/tsconfig.json"
    (cd "$app" && "$REPO/node_modules/.bin/tsc" -p tsconfig.json)
    echo "packages-check: packages-consumer.ts type-checks against the installed packages"
    first=0
  fi
done
echo "packages-check: packed packages install and run on Node $*"
