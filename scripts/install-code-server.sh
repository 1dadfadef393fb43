#!/usr/bin/env bash
# Installs code-server (the real VS Code extension host the extension tests run in) into
# .tools/code-server, outside the project's package.json: it is large and only the extension
# and browser tests need it. Needs Node 24 first on PATH (scripts/dev.sh provides it).
# Skips the install when the pinned version is already there.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${CODE_SERVER_VERSION:-4.139.1}"
prefix="$root/.tools/code-server"
installed="$prefix/node_modules/code-server/package.json"

if [ -f "$installed" ] && grep -q "\"version\": \"$version\"" "$installed"; then
  echo "code-server $version is already installed in .tools/code-server"
  exit 0
fi
# Native dependencies (argon2, kerberos) compile against the running Node's headers, not /usr's.
export npm_config_nodedir="${npm_config_nodedir:-$(dirname "$(dirname "$(command -v node)")")}"
start=$(date +%s)
mkdir -p "$prefix"
npm install --prefix "$prefix" --no-save --no-audit --no-fund --loglevel=error "code-server@$version"
echo "code-server $version installed in $(( $(date +%s) - start )) s"
