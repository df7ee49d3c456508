import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isMountPoint, mount, unmount } from './mount.ts';

test('isMountPoint: a mount root, not the directory under it, not a symlink to it, not a missing path', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-mountpoint-'));
  const target = join(dir, 'm');
  mkdirSync(target);
  symlinkSync(target, join(dir, 'link'));
  t.after(() => {
    try {
      unmount(target, { detach: true, all: true });
    } catch {
      // not mounted
    }
    rmSync(dir, { recursive: true, force: true });
  });
  assert.equal(isMountPoint('/'), true);
  assert.equal(isMountPoint(target), false);
  mount([{ type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] }], target);
  assert.equal(isMountPoint(target), true);
  mkdirSync(join(target, 'sub'));
  assert.equal(isMountPoint(join(target, 'sub')), false);
  assert.equal(isMountPoint(join(dir, 'link')), false);
  unmount(target, { detach: true, all: true });
  assert.equal(isMountPoint(target), false);
  assert.equal(isMountPoint(join(dir, 'missing')), false);
  assert.equal(isMountPoint(join(dir, 'missing', 'deeper')), false);
});
