import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { cachedBusyboxRootfs } from '../../test/fixtures/busybox.ts';
import {
  describeTree,
  dir,
  file,
  hardlink,
  type LayerEntry,
  layerTar,
  symlink,
} from '../../test/fixtures/layers.ts';
import { type ApplyMode, applyLayer } from './apply.ts';
import { diffDirectory } from './diff.ts';
import { fsops } from './native.ts';

const layer: LayerEntry[] = [
  dir('a', { name: 'a', mode: 0o750, uid: 7, mtime: 1234567890 }),
  file('a/f', 'data', { mtime: 1111111111, xattrs: { 'user.k': Buffer.from('v') } }),
  hardlink('a/g', 'a/f'),
  symlink('a/s', '../x'),
  { name: 'a/p', type: 'fifo', mtime: 99 },
  { name: 'a/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 },
  file(`a/${'long'.repeat(40)}/${'name'.repeat(30)}`, 'L', { mtime: 5 }),
  file('a/.wh.gone', ''),
  dir('o'),
  file('o/.wh..wh..opq', ''),
  file('o/kept', 'k', { uid: 3, gid: 4, mode: 0o4711 }),
];

for (const mode of ['overlay', 'vfs'] as ApplyMode[]) {
  test(`applyLayer ${mode}, diffDirectory, applyLayer again: the same tree and the same tar`, async (t) => {
    const base = mkdtempSync(join(tmpdir(), 'berth-apply-'));
    t.after(() => rmSync(base, { recursive: true, force: true }));
    const [one, two] = [join(base, 'one'), join(base, 'two')];
    mkdirSync(one);
    mkdirSync(two);
    const tar = await layerTar(layer);
    const r = await applyLayer(one, tar, { mode });
    assert.equal(r.size, 4 + 1 + 1);
    assert.equal(r.tarSize, tar.length);
    if (mode === 'overlay') {
      assert.ok(describeTree(one).includes('a/gone: 20000 0 0:0 dev 0 t=0'), describeTree(one).join('\n'));
      assert.equal(fsops().lgetxattr(join(one, 'o'), 'trusted.overlay.opaque')?.toString(), 'y');
    }
    const parent = mode === 'overlay' ? undefined : null;
    const diff1 = await buffer(diffDirectory(one, parent));
    await applyLayer(two, diff1, { mode });
    assert.deepEqual(describeTree(two), describeTree(one));
    assert.deepEqual(await buffer(diffDirectory(two, parent)), diff1);
  });
}

test('applyLayer: a directory the tar needs but does not list takes the lower layer’s attributes', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'berth-apply-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const [lower, upper] = [join(base, 'lower'), join(base, 'upper')];
  mkdirSync(lower);
  mkdirSync(upper);
  await applyLayer(
    lower,
    await layerTar([dir('srv', { name: 'srv', mode: 0o710, uid: 33, gid: 33, mtime: 1000 })]),
    {
      mode: 'overlay',
    },
  );
  await applyLayer(upper, await layerTar([file('srv/www/index.html', 'hi')]), {
    mode: 'overlay',
    lowers: [lower],
  });
  assert.equal(describeTree(upper)[0], 'srv: 40000 710 33:33 t=1000');
  assert.equal(describeTree(upper)[1].startsWith('srv/www: 40000 755 0:0'), true);
});

test('GNU tar and berth agree: a tar of the busybox rootfs applies to the same tree, and what diffDirectory writes GNU tar extracts', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'berth-apply-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const rootfs = cachedBusyboxRootfs();
  const tarFile = join(base, 'rootfs.tar');
  execFileSync('tar', ['--xattrs', '--format=posix', '-cf', tarFile, '-C', rootfs, '.']);
  const ours = join(base, 'ours');
  mkdirSync(ours);
  await applyLayer(ours, createReadStream(tarFile), { mode: 'overlay' });
  assert.deepEqual(describeTree(ours), describeTree(rootfs));

  const theirs = join(base, 'theirs');
  mkdirSync(theirs);
  writeFileSync(join(base, 'diff.tar'), await buffer(diffDirectory(ours, null)));
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-xpf', join(base, 'diff.tar'), '-C', theirs]);
  assert.deepEqual(describeTree(theirs), describeTree(ours));
});

test('applyLayer: entries that replace earlier ones in the layer, read whole or in small chunks, give the same tree', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'berth-apply-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const big = Buffer.alloc(300 * 1024, 'x');
  const tar = await layerTar([
    file('x', 'one'),
    file('x', 'two', { mode: 0o600, mtime: 20 }),
    dir('d'),
    file('d/f', '1'),
    file('d', 'now a file', { mtime: 21 }),
    file('e', 'a file first'),
    dir('e', { name: 'e', mode: 0o700, mtime: 22 }),
    dir('k', { name: 'k', mode: 0o711, mtime: 5 }),
    dir('k', { name: 'k', mode: 0o750, uid: 9, mtime: 23 }),
    symlink('s', '../outside'),
    file('s', 'plain', { mtime: 24 }),
    file('big', big.toString(), { mode: 0o4755, uid: 5, gid: 6, mtime: 25 }),
    file('big', big.toString(), { mode: 0o4750, uid: 7, gid: 8, mtime: 26 }),
  ]);
  const trees: string[][] = [];
  for (const [mode, chunk] of [
    ['overlay', tar.length],
    ['overlay', 1000],
    ['overlay', 512],
    ['overlay', 77],
    ['vfs', 1000],
  ] as const) {
    const root = join(base, `root-${mode}-${chunk}`);
    mkdirSync(root);
    const chunks: Buffer[] = [];
    for (let off = 0; off < tar.length; off += chunk) chunks.push(tar.subarray(off, off + chunk));
    const r = await applyLayer(root, chunks, { mode });
    assert.equal(r.tarSize, tar.length);
    trees.push(describeTree(root));
  }
  assert.deepEqual(trees[0], [
    'big: 100000 4750 7:8 307200 def89517b7d1 t=26',
    'd: 100000 644 0:0 10 92af885f330e t=21',
    'e: 40000 700 0:0 t=22',
    'k: 40000 750 9:0 t=23',
    's: 100000 644 0:0 5 a116c9ed46d6 t=24',
    'x: 100000 600 0:0 3 3fc4ccfe7458 t=20',
  ]);
  for (const tree of trees.slice(1)) assert.deepEqual(tree, trees[0]);
  assert.equal(existsSync(join(base, 'outside')), false);
});

test('fsops.createFiles makes a batch in order and stops at the first failure, naming its index', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'berth-apply-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  writeFileSync(join(base, 'taken'), 'old');
  const files = [
    { path: join(base, 'a'), data: Buffer.from('aa'), mode: 0o4755, mtime: 7 },
    { path: join(base, 'taken'), data: Buffer.from('new'), mode: 0o644, mtime: 8 },
    { path: join(base, 'c'), data: Buffer.from('c'), mode: 0o644, mtime: 9 },
  ];
  const meta = new Float64Array(files.flatMap((f) => [f.mode, 5, 6, f.mtime, 0, f.data.length]));
  await assert.rejects(
    fsops().createFiles(
      Buffer.from(`${files.map((f) => f.path).join('\0')}\0`),
      Buffer.from(meta.buffer),
      Buffer.concat(files.map((f) => f.data)),
    ),
    (err: NodeJS.ErrnoException & { index?: number }) => {
      assert.equal(err.code, 'EEXIST');
      assert.equal(err.index, 1);
      assert.equal(err.path, join(base, 'taken'));
      return true;
    },
  );
  assert.equal(describeTree(base)[0], 'a: 100000 4755 5:6 2 961b6dd3ede3 t=7');
  assert.equal(readFileSync(join(base, 'taken'), 'utf8'), 'old');
  assert.equal(existsSync(join(base, 'c')), false);
  assert.throws(
    () => fsops().createFiles(Buffer.from('x\0'), Buffer.alloc(48 * 2), Buffer.alloc(0)),
    /disagree/,
  );
});

test('applyLayer: a gzip layer (native inflate into reused buffers) gives the tree, DiffID and size of the plain tar', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'berth-apply-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  // batches of small files across many 1 MiB output buffers, big files written as they stream
  const entries: LayerEntry[] = [file('big', '', { data: randomBytes(6 << 20) } as Partial<LayerEntry>)];
  for (let d = 0; d < 12; d++) {
    entries.push(dir(`d${d}`));
    // batches of 4 MiB of data (more than RING output buffers) and of 256 files
    const [n, size] = d % 2 ? [40, 100 * 1024] : [300, 1024];
    for (let f = 0; f < n; f++)
      entries.push({ name: `d${d}/f${f}`, data: randomBytes(size + ((d * 100 + f) % 7) * 1024), mtime: f });
    entries.push(symlink(`d${d}/s`, `f${d}`));
    entries.push({ name: `d${d}/mid`, data: randomBytes(300 * 1024 + d) });
  }
  entries.push(file('big2', '', { data: randomBytes(3 << 20) } as Partial<LayerEntry>));
  const tar = await layerTar(entries);
  const gz = zlib.gzipSync(tar, { level: 1 });
  const plain = join(base, 'plain');
  const gzipped = join(base, 'gzip');
  mkdirSync(plain);
  mkdirSync(gzipped);
  const a = await applyLayer(plain, [tar], { mode: 'overlay' });
  async function* slowly() {
    for (let off = 0; off < gz.length; off += 65536) {
      if (off % (1 << 20) === 0) await new Promise((r) => setTimeout(r, 1));
      yield gz.subarray(off, off + 65536);
    }
  }
  const b = await applyLayer(gzipped, slowly(), { mode: 'overlay' });
  assert.equal(a.compression, 'none');
  assert.equal(b.compression, 'gzip');
  assert.deepEqual({ ...b, compression: 'none' }, a);
  assert.equal(b.diffId, `sha256:${createHash('sha256').update(tar).digest('hex')}`);
  assert.deepEqual(describeTree(gzipped), describeTree(plain));
});

test('applyLayer: directories and symlinks between small files go ahead of the queued files, in the tree GNU tar makes', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'berth-apply-'));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const entries: LayerEntry[] = [dir('a', { name: 'a', mode: 0o755, mtime: 3 })];
  for (let d = 0; d < 5; d++) {
    entries.push(dir(`a/d${d}`, { name: `a/d${d}`, mode: 0o750, mtime: 4 + d }));
    for (let f = 0; f < 4; f++) entries.push(file(`a/d${d}/f${f}`, `${d}.${f}`, { mtime: 10 + f }));
    entries.push(symlink(`a/d${d}/link`, `f${d % 4}`));
    entries.push(dir('a', { name: 'a', mode: 0o711, mtime: 30 + d })); // again: the queued files' parent
  }
  // a queued file's own path and a path below it: the batch goes first
  entries.push(file('a/x', 'file first'), dir('a/x', { name: 'a/x', mode: 0o700, mtime: 40 }));
  entries.push(file('a/y', 'file'), symlink('a/y', 'd0'));
  entries.push(file('a/z', 'z'), file('a/.wh.z', ''));
  const tar = await layerTar(entries);
  writeFileSync(join(base, 'layer.tar'), tar);
  const theirs = join(base, 'theirs');
  const ours = join(base, 'ours');
  mkdirSync(theirs);
  mkdirSync(ours);
  execFileSync('tar', ['-xpf', join(base, 'layer.tar'), '-C', theirs]);
  await applyLayer(ours, [tar], { mode: 'vfs' });
  // (GNU tar extracts the whiteout as a file; vfs mode deletes a/z with it)
  rmSync(join(theirs, 'a/.wh.z'));
  rmSync(join(theirs, 'a/z'));
  utimesSync(join(theirs, 'a'), 34, 34); // (as the layer's last entry for a/ set it)
  assert.deepEqual(describeTree(ours, { times: true }), describeTree(theirs, { times: true }));
});
