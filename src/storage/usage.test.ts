import assert from 'node:assert/strict';
import { constants, linkSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fsops } from './native.ts';
import { changesSize, diskUsage } from './usage.ts';

test('changesSize counts what dockerd counts in SizeRw: files and symlinks, a hard-linked file once', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-usage-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // a container that changed nothing: its empty directories and mount points count nothing
  mkdirSync(join(dir, 'etc'));
  writeFileSync(join(dir, 'etc', 'hosts'), '');
  assert.equal(await changesSize(dir), 0);
  assert.ok((await diskUsage(dir)).size >= 8192);

  writeFileSync(join(dir, 'f'), 'hello\n');
  linkSync(join(dir, 'f'), join(dir, 'etc', 'g'));
  symlinkSync('/f', join(dir, 's'));
  mkdirSync(join(dir, 'd', 'e'), { recursive: true });
  writeFileSync(join(dir, 'd', 'e', 'big'), Buffer.alloc(10_000));
  // a deleted file: a 0/0 character device in the upper directory
  mkdirSync(join(dir, 'bin'));
  fsops().mknod(join(dir, 'bin', 'ls'), constants.S_IFCHR | 0o600, 0, 0);
  assert.equal(await changesSize(dir), 6 + 2 + 10_000);
});
