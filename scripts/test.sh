#!/usr/bin/env bash
# The whole test run: static checks, then unit and end-to-end tests on Node 24.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/check.sh
exec node_modules/.bin/node --test --test-concurrency=2 "${@:-test/**/*.test.ts}" "src/**/*.test.ts"
