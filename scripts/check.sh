#!/usr/bin/env bash
# Static checks: formatting and lint (biome), types (tsc), layering.
set -euo pipefail
cd "$(dirname "$0")/.."
node_modules/.bin/biome check .
node_modules/.bin/tsc -p .
node_modules/.bin/node scripts/check-layers.ts
