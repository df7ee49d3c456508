// Interoperability with skopeo and umoci (Debian packages; skipped when they are not installed):
// archives they write load here, and what save writes, skopeo reads.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { loadArchive } from './load.ts';
import { saveImages } from './save.ts';
import { cleanupStores, fakeSnapshotter, tempStore } from './testutil.ts';

const has = (cmd: string) => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
const skip = !has('skopeo') || !has('umoci') ? 'skopeo and umoci are not installed' : false;
const run = (cmd: string, ...args: string[]) => execFileSync(cmd, args, { encoding: 'utf8' });

let dir = '';
before(() => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'berth-skopeo-'));
  const lay = join(dir, 'lay');
  run('umoci', 'init', '--layout', lay);
  run('umoci', 'new', '--image', `${lay}:base`);
  writeFileSync(join(dir, 'hello.txt'), 'hello\n');
  run('umoci', 'insert', '--image', `${lay}:base`, join(dir, 'hello.txt'), '/hello.txt');
  writeFileSync(join(dir, 'two.txt'), 'two\n');
  run('umoci', 'insert', '--image', `${lay}:base`, join(dir, 'two.txt'), '/etc/two.txt');
  run('umoci', 'config', '--image', `${lay}:base`, '--config.cmd', '/bin/sh');
});
after(() => {
  cleanupStores();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const configDigest = () =>
  JSON.parse(run('skopeo', 'inspect', '--raw', `oci:${join(dir, 'lay')}:base`)).config.digest as string;

test('skopeo docker-archive (v2s2, symlinked layers) and oci-archive load', { skip }, async () => {
  const store = await tempStore();
  const da = join(dir, 'da.tar');
  const oa = join(dir, 'oa.tar');
  run('skopeo', 'copy', '--quiet', `oci:${join(dir, 'lay')}:base`, `docker-archive:${da}:busybox:latest`);
  run('skopeo', 'copy', '--quiet', `oci:${join(dir, 'lay')}:base`, `oci-archive:${oa}:example.com/busybox:1`);
  const r1 = await loadArchive(store, createReadStream(da), fakeSnapshotter());
  const r2 = await loadArchive(store, createReadStream(oa), fakeSnapshotter());
  assert.deepEqual(r1.images[0].tags, ['busybox:latest']);
  assert.deepEqual(r2.images[0].tags, ['example.com/busybox:1']);
  assert.equal(r1.images[0].id, configDigest());
  assert.equal(r2.images[0].id, configDigest());
  assert.equal(store.get('busybox').layers.length, 2);
});

test('what save writes, skopeo reads as docker-archive and as OCI layout', { skip }, async () => {
  const store = await tempStore();
  run(
    'skopeo',
    'copy',
    '--quiet',
    `oci:${join(dir, 'lay')}:base`,
    `oci-archive:${join(dir, 'in.tar')}:busybox:latest`,
  );
  await loadArchive(store, createReadStream(join(dir, 'in.tar')), fakeSnapshotter());
  const saved = join(dir, 'saved.tar');
  await pipeline(saveImages(store, ['busybox']), createWriteStream(saved));
  const inspect = JSON.parse(run('skopeo', 'inspect', '--config', `docker-archive:${saved}`));
  assert.deepEqual(inspect.config.Cmd, ['/bin/sh']);
  run('skopeo', 'copy', '--quiet', `docker-archive:${saved}`, `oci:${join(dir, 'out')}:x`);
  run('skopeo', 'copy', '--quiet', `oci-archive:${saved}`, `oci:${join(dir, 'out2')}:x`);
  // skopeo hands out the config byte for byte (copying to oci: converts v2s2 to OCI and re-marshals
  // the config, so compare the archive itself, and the copy of its OCI side).
  const sha = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
  assert.equal(sha(run('skopeo', 'inspect', '--config', '--raw', `docker-archive:${saved}`)), configDigest());
  const copied = JSON.parse(run('skopeo', 'inspect', '--raw', `oci:${join(dir, 'out2')}:x`)).config.digest;
  assert.equal(copied, configDigest(), 'the image ID survives save and skopeo');
});
