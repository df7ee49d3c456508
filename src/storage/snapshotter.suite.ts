// The conformance suite every Snapshotter passes (HABITS 5; after containerd's
// core/snapshots/testsuite). overlay.test.ts and vfs.test.ts run it. Each test has its own data
// root and unmounts and removes everything it made, also when it fails.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { type TestContext, test } from 'node:test';
import zlib from 'node:zlib';
import {
  describeTree,
  dir,
  file,
  hardlink,
  type LayerEntry,
  layerTar,
  symlink,
} from '../../test/fixtures/layers.ts';
import { BerthError } from '../common/errors.ts';
import { chainId } from './digest.ts';
import { mount, unmount } from './mount.ts';
import { fsops } from './native.ts';
import type { Snapshotter } from './snapshotter.ts';
import { readTar } from './tar/reader.ts';

export type MakeSnapshotter = (root: string) => Snapshotter;

interface Harness {
  root: string;
  sn: Snapshotter;
  /** Unpacks layers bottom first; returns the top ChainID. */
  image(layers: LayerEntry[][]): Promise<string>;
  /** prepare(key, parent) mounted on a fresh directory; unmounted when the test ends. */
  container(key: string, parent?: string): Promise<string>;
  /** A fresh directory outside the data root that hostile layers aim at. */
  outside: string;
  reopen(): Snapshotter;
}

function harness(t: TestContext, make: MakeSnapshotter): Harness {
  const base = mkdtempSync(join(tmpdir(), 'berth-snap-'));
  const root = join(base, 'root');
  const outside = join(base, 'outside');
  mkdirSync(outside);
  const mounted: string[] = [];
  t.after(() => {
    for (const m of mounted.reverse()) {
      try {
        unmount(m, { all: true, detach: true });
      } catch {}
    }
    rmSync(base, { recursive: true, force: true });
  });
  const h: Harness = {
    root,
    outside,
    sn: make(root),
    async image(layers) {
      let parent: string | undefined;
      for (const l of layers) parent = (await h.sn.unpack(parent, await layerTar(l))).chainId;
      return parent!;
    },
    async container(key, parent) {
      const mounts = await h.sn.prepare(key, parent);
      const target = mkdtempSync(join(base, 'mnt-'));
      mount(mounts, target);
      mounted.push(target);
      return target;
    },
    reopen() {
      h.sn = make(root);
      return h.sn;
    },
  };
  return h;
}

const read = (p: string) => readFileSync(p, 'utf8');
const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function refused(h: Harness, entries: LayerEntry[], message: RegExp, parent?: string): Promise<void> {
  const before = h.sn.list().length;
  await assert.rejects(h.sn.unpack(parent, await layerTar(entries)), (err: unknown) => {
    assert.ok(err instanceof BerthError, String(err));
    assert.equal(err.kind, 'InvalidArgument', err.message);
    assert.match(err.message, message);
    return true;
  });
  assert.equal(h.sn.list().length, before, 'a refused layer leaves no snapshot');
  assert.deepEqual(readdirSync(join(h.root, 'tmp')), [], 'nor temp files');
  assert.deepEqual(readdirSync(h.outside), [], 'nothing written outside');
}

export function snapshotterSuite(name: string, make: MakeSnapshotter): void {
  const it = (title: string, fn: (h: Harness, t: TestContext) => Promise<void>) =>
    test(`${name}: ${title}`, (t) => fn(harness(t, make), t));

  it('whiteouts and opaque directories hide the layers below in the merged view', async (h) => {
    const top = await h.image([
      [
        dir('etc'),
        file('etc/a', 'a'),
        file('etc/b', 'b'),
        dir('opt'),
        file('opt/old', 'old'),
        dir('opt/sub'),
        file('opt/sub/x', 'x'),
        file('gone', 'g'),
      ],
      [
        file('.wh.gone', ''),
        file('etc/.wh.a', ''),
        dir('opt'),
        file('opt/.wh..wh..opq', ''),
        file('opt/new', 'new'),
        file('etc/c', 'c'),
      ],
    ]);
    const root = await h.container('c1', top);
    assert.deepEqual(readdirSync(root).sort(), ['etc', 'opt']);
    assert.deepEqual(readdirSync(join(root, 'etc')).sort(), ['b', 'c']);
    assert.deepEqual(readdirSync(join(root, 'opt')), ['new']);
    assert.equal(read(join(root, 'etc/b')), 'b');
  });

  it('an opaque marker after the directory’s new entries keeps them', async (h) => {
    const top = await h.image([
      [dir('d'), file('d/old', '1'), dir('d/keep'), file('d/keep/lower', '2')],
      [dir('d'), dir('d/keep'), file('d/keep/upper', '3'), file('d/.wh..wh..opq', '')],
    ]);
    const root = await h.container('c1', top);
    assert.deepEqual(readdirSync(join(root, 'd')), ['keep']);
    assert.deepEqual(readdirSync(join(root, 'd/keep')), ['upper']);
  });

  it('hard links within a layer and to a lower layer’s file share an inode', async (h) => {
    const top = await h.image([
      [dir('bin'), file('bin/busybox', 'BB', { mode: 0o755 }), hardlink('bin/sh', 'bin/busybox')],
      [dir('usr'), hardlink('usr/ls', 'bin/busybox')],
    ]);
    const root = await h.container('c1', top);
    const bb = statSync(join(root, 'bin/busybox'));
    assert.equal(read(join(root, 'usr/ls')), 'BB');
    assert.equal(statSync(join(root, 'usr/ls')).ino, bb.ino);
    assert.equal(bb.nlink >= 2, true);
    assert.equal(bb.mode & 0o777, 0o755);
  });

  it('keeps owners, modes, times, xattrs, devices and fifos', async (h) => {
    const cap = Buffer.from('0100000200200000000000000000000000000000', 'hex');
    const top = await h.image([
      [
        dir('dev'),
        { name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
        { name: 'dev/loop9', type: 'block', devmajor: 7, devminor: 9, mode: 0o660, gid: 6 },
        { name: 'fifo', type: 'fifo', mode: 0o640 },
        dir('tmp', { name: 'tmp', mode: 0o1777, mtime: 1600000000 }),
        file('suid', 'x', { mode: 0o4755, uid: 1234, gid: 5678, mtime: 1500000000 }),
        file('ping', 'p', {
          mode: 0o755,
          xattrs: { 'security.capability': cap, 'user.note': Buffer.from('hi') },
        }),
        file('sneaky', 's', { xattrs: { 'trusted.overlay.opaque': Buffer.from('y') } }),
        symlink('link', '/nowhere'),
      ],
    ]);
    const root = await h.container('c1', top);
    const st = (p: string) => lstatSync(join(root, p));
    assert.ok(st('dev/null').isCharacterDevice());
    assert.equal(st('dev/null').rdev, (1 << 8) | 3);
    assert.ok(st('dev/loop9').isBlockDevice());
    assert.equal(st('dev/loop9').gid, 6);
    assert.ok(st('fifo').isFIFO());
    assert.equal(st('fifo').mode & 0o7777, 0o640);
    assert.equal(st('tmp').mode & 0o7777, 0o1777);
    assert.equal(st('tmp').mtimeMs, 1600000000_000);
    assert.equal(st('suid').mode & 0o7777, 0o4755);
    assert.deepEqual([st('suid').uid, st('suid').gid], [1234, 5678]);
    assert.equal(st('suid').mtimeMs, 1500000000_000);
    assert.deepEqual(fsops().lgetxattr(join(root, 'ping'), 'security.capability'), cap);
    assert.equal(fsops().lgetxattr(join(root, 'ping'), 'user.note')?.toString(), 'hi');
    assert.equal(fsops().lgetxattr(join(root, 'sneaky'), 'trusted.overlay.opaque'), null);
    assert.equal(st('link').isSymbolicLink(), true);
  });

  it('unpack is once per ChainID, with the DiffID and ChainID of the image spec', async (h) => {
    const l1 = await layerTar([file('a', '1')]);
    const l2 = await layerTar([file('b', '2')]);
    const gz = zlib.gzipSync(l1);
    const r1 = await h.sn.unpack(undefined, Readable.from([gz]));
    assert.equal(r1.diffId, `sha256:${createHash('sha256').update(l1).digest('hex')}`);
    assert.equal(r1.chainId, r1.diffId);
    assert.equal(r1.created, true);
    assert.equal(h.sn.has(r1.chainId), true);
    assert.equal(h.sn.has('sha256:0'), false);
    const zst = zlib.zstdCompressSync(l1);
    assert.equal((await h.sn.unpack(undefined, [zst])).created, false);
    const l2DiffId = `sha256:${createHash('sha256').update(l2).digest('hex')}`;
    const [a, b] = await Promise.all([
      h.sn.unpack(r1.chainId, Readable.from([l2]), { diffId: l2DiffId }),
      h.sn.unpack(r1.chainId, Readable.from([l2]), { diffId: l2DiffId }),
    ]);
    assert.deepEqual([a.created, b.created].sort(), [false, true], 'one extraction for both');
    assert.equal(a.chainId, b.chainId);
    assert.equal(a.chainId, chainId([r1.diffId, a.diffId]));
    assert.equal(h.sn.list().filter((s) => s.kind === 'committed').length, 2);
    assert.equal(h.sn.stat(a.chainId).parent, r1.chainId);
    assert.equal(h.sn.stat(a.chainId).size, 1);
    await assert.rejects(h.sn.unpack(undefined, [l2], { diffId: r1.diffId }), /digest mismatch/);
  });

  it('a layer unpacks while the one below it still does, and becomes visible after it', async (h) => {
    const l1 = await layerTar([
      dir('srv', { name: 'srv', mode: 0o710, uid: 33, gid: 33, mtime: 1000 }),
      file('srv/base', 'b'),
      file('big', 'x'.repeat(200000)),
    ]);
    const l2 = await layerTar([file('srv/www/index.html', 'hi'), hardlink('srv/link', 'srv/base')]);
    const l3 = await layerTar([file('three', '3')]);
    const ids = [l1, l2, l3].map((l) => `sha256:${createHash('sha256').update(l).digest('hex')}`);
    const chains = ids.map((_, i) => chainId(ids.slice(0, i + 1)));
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    async function* slowly() {
      yield l1.subarray(0, 1024);
      await gate;
      yield l1.subarray(1024);
    }
    const p1 = h.sn.unpack(undefined, slowly(), { diffId: ids[0] });
    const p2 = h.sn.unpack(chains[0], [l2], { diffId: ids[1] });
    const p3 = h.sn.unpack(chains[1], [l3], { diffId: ids[2] });
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(h.sn.list(), [], 'nothing visible before the bottom layer is in');
    if (h.sn.driver === 'overlay') {
      const early = readdirSync(join(h.root, 'tmp')).filter((d) =>
        existsSync(join(h.root, 'tmp', d, 'fs/three')),
      );
      assert.equal(early.length, 1, 'the top layer, which needs nothing from below, is already extracted');
    }
    release();
    const rs = await Promise.all([p1, p2, p3]);
    assert.deepEqual(
      rs.map((r) => [r.chainId, r.created]),
      chains.map((c) => [c, true]),
    );
    assert.equal(h.sn.stat(chains[2]).parent, chains[1]);
    const root = await h.container('c', chains[2]);
    const st = statSync(join(root, 'srv'));
    assert.deepEqual([st.mode & 0o7777, st.uid, st.gid], [0o710, 33, 33], 'srv keeps the lower attributes');
    assert.equal(read(join(root, 'srv/www/index.html')), 'hi');
    assert.equal(statSync(join(root, 'srv/link')).ino, statSync(join(root, 'srv/base')).ino);
    assert.equal(read(join(root, 'three')), '3');

    // a parent that fails takes the layers stacked on it down too, leaving nothing
    const wrong = `sha256:${'0'.repeat(64)}`;
    const bad = h.sn.unpack(undefined, [await layerTar([file('x', 'x')])], { diffId: wrong });
    const child = h.sn.unpack(chainId([wrong]), [l3], { diffId: ids[2] });
    await assert.rejects(bad, /digest mismatch/);
    await assert.rejects(child, /digest mismatch/);
    assert.equal(h.sn.list().filter((s) => s.kind === 'committed').length, 3);
    assert.deepEqual(readdirSync(join(h.root, 'tmp')), []);
  });

  it('a 130-layer image mounts and reads its bottom layer', async (h) => {
    const layers: LayerEntry[][] = [[file('bottom.txt', 'from the bottom')]];
    for (let i = 1; i < 130; i++) layers.push([file(`layer${i}`, String(i))]);
    const top = await h.image(layers);
    const root = await h.container('deep', top);
    assert.equal(read(join(root, 'bottom.txt')), 'from the bottom');
    assert.equal(read(join(root, 'layer129')), '129');
    assert.equal(readdirSync(root).length, 130);
    writeFileSync(join(root, 'bottom.txt'), 'changed');
    assert.equal(read(join(root, 'bottom.txt')), 'changed');
  });

  it('diff of a container round-trips: applied on the same parent it gives the same tree', async (h) => {
    const parent = await h.image([
      [
        dir('etc'),
        file('etc/passwd', 'root:x:0:0\n'),
        file('etc/group', 'root:x:0:\n'),
        dir('var'),
        dir('var/cache'),
        file('var/cache/a', 'a'),
        file('var/cache/b', 'b'),
        dir('lib'),
        file('lib/x', 'x'),
        symlink('lnk', 'etc/passwd'),
      ],
      [file('etc/motd', 'hello', { mtime: 1700000000 })],
    ]);
    const root = await h.container('work', parent);
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0\nuser:x:1000:1000\n');
    rmSync(join(root, 'etc/group'));
    rmSync(join(root, 'var/cache'), { recursive: true });
    mkdirSync(join(root, 'var/cache'));
    writeFileSync(join(root, 'var/cache/new'), 'n');
    rmSync(join(root, 'lnk'));
    symlinkSync('lib/x', join(root, 'lnk'));
    mkdirSync(join(root, 'home/u'), { recursive: true });
    writeFileSync(join(root, 'home/u/f'), 'f');
    linkSync(join(root, 'home/u/f'), join(root, 'home/u/g'));
    fsops().lsetxattr(join(root, 'etc/motd'), 'user.x', Buffer.from('1'));
    rmSync(join(root, 'lib'), { recursive: true });
    writeFileSync(join(root, 'lib'), 'now a file');
    const want = describeTree(root);

    const tar = await buffer(h.sn.diff('work'));
    const again = await buffer(h.sn.diff('work'));
    assert.deepEqual(tar, again, 'diff is deterministic');
    const listed: string[] = [];
    for await (const e of readTar(tar)) listed.push(e.name);
    assert.ok(listed.includes('etc/.wh.group'), listed.join(' '));
    assert.ok(!listed.some((n) => n.startsWith('lib/')), listed.join(' '));

    const { chainId: committed } = await h.sn.unpack(parent, [tar]);
    const copy = await h.container('check', committed);
    assert.deepEqual(describeTree(copy), want);
  });

  it('hostile archives are refused, naming the entry, and write nothing outside', async (h) => {
    const out = h.outside;
    const up = '../'.repeat(12);
    await refused(
      h,
      [file('../../etc/passwd', 'x')],
      /layer entry "..\/..\/etc\/passwd": path escapes the layer root/,
    );
    await refused(h, [file('/etc/passwd', 'x')], /layer entry "\/etc\/passwd": path is absolute/);
    await refused(h, [file(`a/../../${out}/x`, 'x')], /path escapes the layer root/);
    await refused(
      h,
      [symlink('evil', `${up}${out}`), file('evil/pwned', 'x')],
      /layer entry "evil\/pwned": a symlink in its path points outside/,
    );
    await refused(
      h,
      [symlink('evil', '..'), dir('evil/d')],
      /layer entry "evil\/d": a symlink in its path points outside/,
    );
    await refused(
      h,
      [hardlink('hl', `${up}etc/passwd`)],
      /layer entry "hl": hardlink target "(\.\.\/)+etc\/passwd" escapes the layer root/,
    );
    await refused(
      h,
      [symlink('s', up), hardlink('hl', 's/etc/passwd')],
      /layer entry "hl": a symlink in its path points outside/,
    );
    await refused(h, [file('.wh...', '')], /layer entry ".wh...": invalid whiteout/);
    await refused(
      h,
      [{ name: 'x', type: 'other', typeflag: 'S' }],
      /layer entry "x": unsupported entry type "S"/,
    );
    await refused(h, [file('f', 'x'), file('f/g', 'y')], /layer entry "f\/g": "f" is not a directory/);
    const devices = await layerTar([{ name: 'sda', type: 'block', devmajor: 8, devminor: 0 }]);
    await assert.rejects(
      h.sn.unpack(undefined, [devices], { devices: false }),
      /layer entry "sda": device nodes are not allowed/,
    );
    // An absolute symlink is the container's own path: followed inside the root, never out.
    const top = await h.image([
      [
        symlink('abs', out),
        file('abs/inside', 'contained'),
        symlink('pw', '/etc/passwd'),
        hardlink('h', 'pw'),
      ],
    ]);
    assert.deepEqual(readdirSync(out), []);
    const root = await h.container('c', top);
    assert.equal(read(join(root, out.slice(1), 'inside')), 'contained');
    assert.equal(
      lstatSync(join(root, 'h')).isSymbolicLink(),
      true,
      'a hard link to a symlink is the symlink',
    );
  });

  it('prepare, view, commit, remove, usage and list keep the contract', async (h) => {
    const base = await h.image([[file('a', 'x'.repeat(10000))]]);
    await assert.rejects(h.sn.prepare('c', 'sha256:nope'), { kind: 'NotFound' });
    await assert.rejects(h.sn.prepare('c', 'constructor'), { kind: 'NotFound' });
    assert.throws(() => h.sn.stat('__proto__'), { kind: 'NotFound' });
    await h.sn.prepare('__proto__');
    assert.equal(h.reopen().stat('__proto__').kind, 'active');
    await h.sn.remove('__proto__');
    const root = await h.container('c', base);
    await assert.rejects(h.sn.prepare('c', base), { kind: 'Conflict' });
    await assert.rejects(h.sn.prepare('d', 'c'), { kind: 'InvalidArgument' });
    writeFileSync(join(root, 'b'), 'y'.repeat(20000));
    const usage = await h.sn.usage('c');
    assert.ok(usage.size >= 20000 && usage.inodes >= 2, JSON.stringify(usage));
    assert.deepEqual(h.sn.mounts('c'), await h.sn.mounts('c'));
    unmount(root);
    await h.sn.commit('layer2', 'c');
    assert.equal(h.sn.stat('layer2').kind, 'committed');
    assert.throws(() => h.sn.stat('c'), { kind: 'NotFound' });
    const view = await h.sn.view('v', 'layer2');
    const target = mkdtempSync(join(h.outside, '..', 'view-'));
    mount(view, target);
    try {
      assert.equal(read(join(target, 'b')), 'y'.repeat(20000));
      assert.throws(() => writeFileSync(join(target, 'new'), 'z'), { code: 'EROFS' });
    } finally {
      unmount(target);
    }
    await assert.rejects(h.sn.remove('layer2'), { kind: 'Conflict' });
    await h.sn.remove('v');
    await h.sn.remove('layer2');
    assert.deepEqual(
      h.sn.list().map((s) => s.key),
      [base],
    );
    assert.deepEqual(readdirSync(join(h.root, 'snapshots')).length, 1);
  });

  it('a corrupt or truncated gzip layer is refused and leaves nothing; members and padding are read', async (h) => {
    const tar = await layerTar([file('a', '1'), file('b', 'x'.repeat(3 << 20))]);
    const gz = zlib.gzipSync(tar);
    const corrupt = Buffer.from(gz);
    corrupt[gz.length - 6] ^= 0xff; // the CRC-32
    for (const [input, message] of [
      [corrupt, /gzip: invalid data after \d+ compressed bytes: incorrect data check/],
      [gz.subarray(0, gz.length >> 1), /gzip: unexpected EOF/],
    ] as const) {
      await assert.rejects(h.sn.unpack(undefined, [input], { diffId: sha256(tar) }), (err: unknown) => {
        assert.ok(err instanceof BerthError, String(err));
        assert.equal(err.kind, 'InvalidArgument');
        assert.match(err.message, message);
        return true;
      });
      assert.deepEqual(h.sn.list(), []);
      assert.deepEqual(readdirSync(join(h.root, 'tmp')), []);
    }
    const half = tar.length >> 1;
    const members = Buffer.concat([
      zlib.gzipSync(tar.subarray(0, half)),
      zlib.gzipSync(tar.subarray(half)),
      Buffer.alloc(64),
    ]);
    const r = await h.sn.unpack(undefined, [members], { diffId: sha256(tar) });
    assert.equal(r.tarSize, tar.length);
    assert.equal(r.diffId, sha256(tar));
    // an empty layer: the gzip of no bytes at all
    const empty = await h.sn.unpack(r.chainId, [zlib.gzipSync(Buffer.alloc(0))]);
    assert.equal(empty.diffId, sha256(Buffer.alloc(0)));
    assert.equal(empty.tarSize, 0);
  });

  it('an interrupted unpack leaves nothing visible; temp files go on the next open', async (h) => {
    const good = await layerTar([file('a', '1'), file('b', 'x'.repeat(100000))]);
    await assert.rejects(h.sn.unpack(undefined, [good.subarray(0, 2000)]), /unexpected end/);
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await assert.rejects(h.sn.unpack(undefined, [good], { signal: ac.signal }), /stop/);
    assert.deepEqual(h.sn.list(), []);
    assert.deepEqual(readdirSync(join(h.root, 'tmp')), []);
    // What a crash leaves: an unpack in tmp/, a directory no metadata names, a metadata temp file.
    mkdirSync(join(h.root, 'tmp/unpack-dead/fs'), { recursive: true });
    mkdirSync(join(h.root, 'snapshots/999/fs'), { recursive: true });
    writeFileSync(join(h.root, 'metadata.json.tmp-123'), '{');
    const kept = await h.image([[file('k', 'k')]]);
    const sn = h.reopen();
    assert.deepEqual(readdirSync(join(h.root, 'tmp')), []);
    assert.equal(existsSync(join(h.root, 'snapshots/999')), false);
    assert.equal(existsSync(join(h.root, 'metadata.json.tmp-123')), false);
    assert.deepEqual(
      sn.list().map((s) => s.key),
      [kept],
    );
  });
}
