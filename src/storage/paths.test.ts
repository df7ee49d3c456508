import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { chainId, chainIds } from './digest.ts';
import { compactOverlayOptions } from './mount.ts';
import { cleanEntryPath, plainMkdir, RootResolver } from './paths.ts';

test('cleanEntryPath: normalizes, and refuses absolute and climbing names', () => {
  assert.equal(cleanEntryPath('./a//b/./c/'), 'a/b/c');
  assert.equal(cleanEntryPath('a/../b'), 'b');
  assert.equal(cleanEntryPath('./'), '');
  assert.throws(() => cleanEntryPath('/etc/passwd'), /layer entry "\/etc\/passwd": path is absolute/);
  assert.throws(() => cleanEntryPath('a/../../b'), /layer entry "a\/..\/..\/b": path escapes the layer root/);
  assert.throws(() => cleanEntryPath('a\0b'), /NUL/);
  assert.throws(
    () => cleanEntryPath('../x', 'hardlink target', 'hl'),
    /layer entry "hl": hardlink target "..\/x" escapes the layer root/,
  );
});

test('RootResolver: symlinks are followed inside the root, never out', (t) => {
  const root = mkdtempSync(join(tmpdir(), 'berth-paths-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, 'usr/lib'), { recursive: true });
  symlinkSync('usr/lib', join(root, 'lib'));
  symlinkSync('/usr', join(root, 'abs'));
  symlinkSync('../../..', join(root, 'up'));
  symlinkSync('loop', join(root, 'loop'));
  writeFileSync(join(root, 'file'), '');
  const r = new RootResolver(root);
  assert.equal(r.path('lib/x.so', 'e'), join(root, 'usr/lib/x.so'));
  assert.equal(r.path('abs/lib/y', 'e'), join(root, 'usr/lib/y'));
  assert.equal(r.path('new/dir/z', 'e'), undefined, 'nothing created without mkdir');
  assert.equal(r.path('new/dir/z', 'e', plainMkdir), join(root, 'new/dir/z'));
  assert.throws(() => r.path('up/x', 'up/x'), /layer entry "up\/x": a symlink in its path points outside/);
  assert.throws(() => r.path('loop/x', 'loop/x'), /too many symlinks/);
  assert.throws(() => r.path('file/x', 'file/x'), /"file" is not a directory/);
  assert.equal(r.path('up', 'up'), join(root, 'up'), 'the final component is not followed');
});

test('compactOverlayOptions: layer paths relative to their common directory', () => {
  const lower = Array.from({ length: 3 }, (_, i) => `/var/lib/berth/snapshots/${i + 1}/fs`).join(':');
  const out = compactOverlayOptions([
    'index=off',
    'workdir=/var/lib/berth/snapshots/9/work',
    'upperdir=/var/lib/berth/snapshots/9/fs',
    `lowerdir=${lower}`,
  ]);
  assert.deepEqual(out, {
    cwd: '/var/lib/berth/snapshots/',
    data: ['index=off', 'workdir=9/work', 'upperdir=9/fs', 'lowerdir=1/fs:2/fs:3/fs'],
  });
});

test('chainId: the image spec’s definition', () => {
  const a = 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
  const b = 'sha256:b9d1f6e4c5ba2d9b0c87b8ad5e7e8c41a5f5e37e8e2a8cf7b93f12de7ec1c8b7';
  assert.equal(chainId([a]), a);
  const ab = chainIds([a, b]);
  assert.equal(ab[0], a);
  assert.equal(ab[1], chainId([a, b]));
  assert.match(ab[1], /^sha256:[0-9a-f]{64}$/);
  assert.notEqual(chainId([b, a]), ab[1]);
});
