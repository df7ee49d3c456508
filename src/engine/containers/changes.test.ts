// changes.ts: the pure rules as data, then real snapshots (overlay and vfs) changed through a
// mount as a container would change them, listed as dockerd lists them, and turned into the
// layer commit writes, without the engine's mount points.

import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { dir, file, layerTar } from '../../../test/fixtures/layers.ts';
import { mount, unmount } from '../../storage/mount.ts';
import { OverlaySnapshotter } from '../../storage/overlay.ts';
import type { Snapshotter } from '../../storage/snapshotter.ts';
import { readTar } from '../../storage/tar/reader.ts';
import { VfsSnapshotter } from '../../storage/vfs.ts';
import {
  ADDED,
  byComponents,
  type Change,
  commitLayer,
  containerChanges,
  DELETED,
  layerEntryFate,
  lowerOf,
  MODIFIED,
  summarize,
} from './changes.ts';

const root = process.getuid?.() === 0;

describe('summarize (pure)', () => {
  test('parents of changes are modified, listed first; added directories stay added', () => {
    assert.deepEqual(
      summarize([
        { rel: 'var/a/b/f', kind: ADDED, dir: false },
        { rel: 'var/a', kind: ADDED, dir: true },
        { rel: 'etc/group', kind: DELETED, dir: false },
      ]),
      [
        { Path: '/etc', Kind: MODIFIED },
        { Path: '/etc/group', Kind: DELETED },
        { Path: '/var', Kind: MODIFIED },
        { Path: '/var/a', Kind: ADDED },
        { Path: '/var/a/b', Kind: MODIFIED },
        { Path: '/var/a/b/f', Kind: ADDED },
      ],
    );
  });

  test("the engine's mount points are never listed, nor their directory for them alone", () => {
    assert.deepEqual(
      summarize([
        { rel: 'etc/hosts', kind: ADDED, dir: false },
        { rel: 'etc/resolv.conf', kind: ADDED, dir: false },
        { rel: 'etc/hostname', kind: MODIFIED, dir: false },
        { rel: 'proc', kind: ADDED, dir: true },
        { rel: 'dev', kind: ADDED, dir: true },
        { rel: 'dev/pts', kind: ADDED, dir: true },
      ]),
      [],
    );
  });

  test('a mount point directory with something else in it is shown', () => {
    assert.deepEqual(
      summarize([
        { rel: 'dev', kind: ADDED, dir: true },
        { rel: 'dev/pts', kind: ADDED, dir: true },
        { rel: 'dev/x', kind: ADDED, dir: false },
      ]),
      [
        { Path: '/dev', Kind: ADDED },
        { Path: '/dev/x', Kind: ADDED },
      ],
    );
  });

  test('byComponents: a directory right before its contents', () => {
    assert.deepEqual(['a-b', 'a/c', 'a', 'a.b/c'].sort(byComponents), ['a', 'a/c', 'a-b', 'a.b/c']);
  });

  test('layerEntryFate', () => {
    const lower = {
      stat: (rel: string) =>
        rel === 'etc' ? ({ mode: 0o40755n, uid: 0n, gid: 0n, isDirectory: () => true } as never) : undefined,
      list: () => [],
      readlink: () => '',
    };
    const e = (name: string, type: 'dir' | 'file' = 'file', mode = 0o644) => ({
      name,
      type,
      mode,
      uid: 0,
      gid: 0,
    });
    assert.equal(layerEntryFate(e('etc/hosts'), lower), 'drop');
    assert.equal(layerEntryFate(e('etc/.wh.resolv.conf'), lower), 'drop');
    assert.equal(layerEntryFate(e('etc/.wh.group'), lower), 'keep');
    assert.equal(layerEntryFate(e('etc/', 'dir', 0o755), lower), 'unless-empty');
    assert.equal(layerEntryFate(e('etc/', 'dir', 0o700), lower), 'keep');
    assert.equal(layerEntryFate(e('proc/', 'dir', 0o755), lower), 'unless-empty');
    assert.equal(layerEntryFate(e('data/', 'dir', 0o755), lower), 'keep');
    assert.equal(layerEntryFate(e('etc/.wh..wh..opq'), lower), 'keep');
  });
});

const IMAGE = [
  dir('etc'),
  file('etc/passwd', 'root:x:0:0::/root:/bin/sh\n'),
  file('etc/group', 'root:x:0:\n'),
  file('etc/hostname', 'image\n'),
  dir('home'),
  dir('home/u'),
  file('home/u/f', 'u'),
  dir('root', { name: 'root', mode: 0o755 }),
  dir('tmp', { name: 'tmp', mode: 0o1777 }),
  dir('var'),
];

/** A snapshot of IMAGE and a container snapshot on it, mounted; cleaned up when `t` ends. */
async function container(t: TestContext, make: (root: string) => Snapshotter) {
  const base = mkdtempSync(join(tmpdir(), 'berth-changes-test-'));
  const sn = make(join(base, 'data'));
  const target = join(base, 'mnt');
  mkdirSync(target);
  const top = (await sn.unpack(undefined, await layerTar(IMAGE))).chainId;
  mount(await sn.prepare('container-1', top), target);
  let mounted = true;
  const unmountIt = () => {
    if (mounted) unmount(target, { detach: true, all: true });
    mounted = false;
  };
  t.after(() => {
    unmountIt();
    rmSync(base, { recursive: true, force: true });
  });
  return { sn, target, unmount: unmountIt };
}

/** What the runtime does at start when the image lacks them: mount points. */
function mountPoints(target: string): void {
  writeFileSync(join(target, 'etc/hosts'), '');
  writeFileSync(join(target, 'etc/resolv.conf'), '');
  for (const d of ['proc', 'sys', 'dev', 'dev/pts', 'dev/shm']) mkdirSync(join(target, d));
}

async function layerNames(sn: Snapshotter): Promise<{ names: string[]; count: number }> {
  const layer = commitLayer(sn.diff('container-1'), lowerOf(sn, 'container-1'));
  const names: string[] = [];
  for await (const e of readTar(layer.tar)) names.push(e.name);
  return { names, count: layer.count() };
}

const EXPECTED: Change[] = [
  { Path: '/etc', Kind: MODIFIED },
  { Path: '/etc/group', Kind: DELETED },
  { Path: '/etc/passwd', Kind: MODIFIED },
  { Path: '/home', Kind: MODIFIED },
  { Path: '/home/u', Kind: DELETED },
  { Path: '/root', Kind: MODIFIED },
  { Path: '/tmp', Kind: MODIFIED },
  { Path: '/tmp/t', Kind: ADDED },
  { Path: '/var', Kind: MODIFIED },
  { Path: '/var/a', Kind: ADDED },
  { Path: '/var/a/b', Kind: ADDED },
  { Path: '/var/a/b/f', Kind: ADDED },
];

for (const [name, make] of [
  ['overlay', (r: string) => new OverlaySnapshotter(r)],
  ['vfs', (r: string) => new VfsSnapshotter(r)],
] as const) {
  describe(`${name} snapshots`, { skip: !root && 'needs root (mounts)' }, () => {
    test('changes as dockerd lists them, and the layer commit writes', async (t) => {
      const c = await container(t, make);
      mountPoints(c.target);
      writeFileSync(join(c.target, 'tmp/t'), '');
      unlinkSync(join(c.target, 'etc/group'));
      writeFileSync(join(c.target, 'etc/passwd'), 'root:x:0:0::/root:/bin/sh\nme:x:1000:1000::/:/bin/sh\n');
      mkdirSync(join(c.target, 'var/a/b'), { recursive: true });
      writeFileSync(join(c.target, 'var/a/b/f'), 'f');
      chmodSync(join(c.target, 'root'), 0o700);
      rmSync(join(c.target, 'home'), { recursive: true });
      mkdirSync(join(c.target, 'home'));
      c.unmount();
      assert.deepEqual(containerChanges(c.sn, 'container-1'), EXPECTED);
      const { names } = await layerNames(c.sn);
      for (const gone of ['etc/hosts', 'etc/resolv.conf', 'proc/', 'dev/', 'dev/pts/', 'sys/'])
        assert.ok(!names.includes(gone), `${gone} in ${names.join(' ')}`);
      for (const kept of ['etc/', 'etc/.wh.group', 'etc/passwd', 'tmp/t', 'var/a/b/f', 'root/'])
        assert.ok(names.includes(kept), `${kept} not in ${names.join(' ')}`);
    });

    test('a container that only ran: no changes, an empty layer', async (t) => {
      const c = await container(t, make);
      mountPoints(c.target);
      c.unmount();
      assert.deepEqual(containerChanges(c.sn, 'container-1'), []);
      assert.deepEqual(await layerNames(c.sn), { names: [], count: 0 });
    });
  });
}
