// Golden files (HABITS.md 4): compare text with a file under testdata; UPDATE_GOLDEN=1 rewrites it.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function assertGolden(path: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (!existsSync(path) && process.env.CI) assert.fail(`golden file ${path} is missing`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.equal(
    actual,
    readFileSync(path, 'utf8'),
    `${path} differs (UPDATE_GOLDEN=1 rewrites it; review the diff)`,
  );
}
