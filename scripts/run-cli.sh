# Sourced by bin/berth and bin/berth-runtime: run_cli ROOT BUNDLE SOURCE ARGS… runs a command-line
# tool from a checkout on Node 24 and never returns. With the bundle (build/…, made by
# scripts/setup.sh), through a pre-started worker when one takes the command (native/build/
# berth-warm, WARM.md), else through build/code-cache.cjs (a V8 code cache per command word:
# src/runtime/cli/code-cache.ts); without it, the TypeScript source directly.
run_cli() {
  root=$1 main=$1/$2 src=$1/$3
  shift 3
  export NODE_COMPILE_CACHE="${NODE_COMPILE_CACHE:-/var/tmp/berth-node-cache}"
  node=$root/node_modules/node/bin/node cache=$root/build/code-cache.cjs
  warm=$root/native/build/berth-warm worker=$root/build/warm-worker.cjs
  [ "${BERTH_CLI_WARM:-1}" != 0 ] && [ -x "$warm" ] && [ -f "$worker" ] && [ -f "$main" ] && [ -f "$cache" ] &&
    exec "$warm" "$node" "$worker" "$cache" "$main" "$@"
  [ -f "$main" ] && [ -f "$cache" ] && exec "$node" "$cache" "$main" "$@"
  [ -f "$main" ] || main=$src
  exec "$node" "$main" "$@"
}
