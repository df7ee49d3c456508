#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian 12 machine (run as root): Debian packages, npm
# dependencies (Node 24 comes from the npm package `node`), the C build.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential pkg-config libseccomp-dev libssl-dev zlib1g-dev busybox-static runc crun nftables iproute2 util-linux procps python3 openssl skopeo umoci docker-registry apache2-utils socat jq tmux)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -x node_modules/.bin/node || package.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm dependencies"
  npm install --no-audit --no-fund --loglevel=error >/dev/null
fi

make -s -C native

# One-file bundles of the command-line entry points (start-up time); bin/ falls back to src/.
# The two short-lived command lines are CommonJS: an ES module's `import … from 'node:fs'` makes
# Node build a facade over every export of the built-in, whose lazy getters load more modules
# (fs's streams, …); require() does not. import.meta.* become their CommonJS equivalents.
bundle() { node_modules/.bin/esbuild "$1" --bundle --platform=node --target=node24 --outfile="$2" --log-level=warning "${@:3}"; }
cjs=(--format=cjs --define:import.meta.dirname=__dirname --define:import.meta.url=__filename)
bundle src/runtime/cli/main.ts build/runtime/berth-runtime.cjs "${cjs[@]}"
bundle src/daemon/main.ts build/daemon/berthd.mjs --format=esm
bundle src/cli/main.ts build/cli/berth.cjs "${cjs[@]}"
# bin/berth and bin/berth-runtime run their bundle through this: a V8 code cache per command
bundle src/runtime/cli/code-cache.ts build/code-cache.cjs --format=cjs
# native/build/berth-warm hands commands to a pre-started worker running this (berth-warm/WARM.md)
bundle src/runtime/cli/warm-worker.ts build/warm-worker.cjs "${cjs[@]}"
