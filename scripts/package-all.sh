#!/usr/bin/env bash
# Builds one .vsix per platform, each holding only that platform's better-sqlite3 binary
# (Node-API builds: one binary serves desktop VS Code 1.101+ and code-server / remote hosts on
# Node 22.14+). With target names as arguments, builds only those:
#   scripts/package-all.sh                 # every target
#   scripts/package-all.sh linux-x64       # what `npm run package` does
# The .vsix files land in the project folder: codeidx-<target>-<version>.vsix.
set -euo pipefail
cd "$(dirname "$0")/.."

# VS Code target -> better-sqlite3 prebuild name
declare -A PREBUILD=(
  [linux-x64]=linux-x64 [linux-arm64]=linux-arm64
  [alpine-x64]=linuxmusl-x64 [alpine-arm64]=linuxmusl-arm64
  [darwin-x64]=darwin-x64 [darwin-arm64]=darwin-arm64
  [win32-x64]=win32-x64 [win32-arm64]=win32-arm64
)
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(linux-x64 linux-arm64 alpine-x64 alpine-arm64 darwin-x64 darwin-arm64 win32-x64 win32-arm64)

# vsce runs vscode:prepublish (esbuild --production: minified, source maps written to dist/ but
# left out of the package) before each target.
version=$(node -p "require('./package.json').version")
ignore=$(mktemp)
trap 'rm -f "$ignore"' EXIT
license_flag=()
[ -f LICENSE ] || license_flag=(--skip-license)

for target in "${targets[@]}"; do
  prebuild=${PREBUILD[$target]:-}
  if [ -z "$prebuild" ]; then
    echo "package-all: unknown target '$target' (known: ${!PREBUILD[*]})" >&2
    exit 2
  fi
  binary="node_modules/better-sqlite3/prebuilds/$prebuild.node"
  [ -f "$binary" ] || { echo "package-all: $binary is missing" >&2; exit 1; }
  { cat .vscodeignore; echo "!$binary"; } >"$ignore"
  out="codeidx-$target-$version.vsix"
  # Production dependencies are listed by npm; the ignore file keeps only better-sqlite3 (the rest
  # is bundled). README images stay relative: media/ is inside the package, and there is no
  # repository URL to rewrite them to.
  npx vsce package --target "$target" --ignoreFile "$ignore" \
    --allow-missing-repository --no-rewrite-relative-links "${license_flag[@]}" --out "$out"
  echo "$out  $(du -k "$out" | cut -f1) KB"
done
