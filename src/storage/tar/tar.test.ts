import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { compress, decompress, detectCompression } from './compression.ts';
import { encodeHeader, header } from './header.ts';
import { type ChunkSource, readTar } from './reader.ts';
import { type TarInput, writeTar } from './writer.ts';

async function collect(source: ChunkSource) {
  const out = [];
  for await (const e of readTar(source)) {
    const { body, ...h } = e;
    out.push({ ...h, data: await buffer(body) });
  }
  return out;
}

const longName = `${'d'.repeat(120)}/${'e'.repeat(90)}/${'f'.repeat(150)}.txt`;

const inputs: TarInput[] = [
  header({ name: 'dir/', type: 'dir', mode: 0o1755, uid: 1000, gid: 1000, mtime: 1700000000 }),
  {
    ...header({ name: 'dir/file', size: 5, mode: 0o4755, mtime: 1700000001, mtimeNsec: 500 }),
    body: Buffer.from('hello'),
  },
  { ...header({ name: longName, size: 3, uid: 3_000_000, gid: 70000 }), body: Buffer.from('abc') },
  header({ name: 'dir/link', type: 'symlink', linkname: `/${'x'.repeat(200)}` }),
  header({ name: 'dir/hard', type: 'hardlink', linkname: 'dir/file' }),
  header({ name: 'dev/null', type: 'char', devmajor: 1, devminor: 3, mode: 0o666 }),
  header({ name: 'fifo', type: 'fifo' }),
  {
    ...header({
      name: 'x',
      size: 1,
      xattrs: { 'user.a': Buffer.from([0, 1, 255]), 'security.capability': Buffer.from('cap') },
    }),
    body: Buffer.from('x'),
  },
  header({ name: 'ünïcode/name', type: 'dir' }),
];

test('tar: what writeTar writes, readTar reads back, field for field', async () => {
  const entries = await collect(writeTar(inputs));
  assert.equal(entries.length, inputs.length);
  for (const [i, e] of entries.entries()) {
    const { body, ...want } = inputs[i];
    const { data, ...got } = e;
    assert.deepEqual(got, want, want.name);
    assert.deepEqual(data, body ? Buffer.from(body as Buffer) : Buffer.alloc(0));
  }
});

test('tar: GNU tar lists what writeTar writes, and readTar reads what GNU tar writes', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tar-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const ours = join(dir, 'ours.tar');
  writeFileSync(ours, await buffer(writeTar(inputs)));
  const listed = execFileSync('tar', ['-tf', ours], { encoding: 'utf8' }).split('\n').filter(Boolean);
  assert.deepEqual(
    listed,
    inputs.map((i) => i.name),
  );

  const src = join(dir, 'src');
  mkdirSync(join(src, 'a'.repeat(150)), { recursive: true });
  writeFileSync(join(src, 'a'.repeat(150), 'b'.repeat(120)), 'long');
  symlinkSync('t'.repeat(180), join(src, 'sym'));
  for (const format of ['gnu', 'posix']) {
    const file = join(dir, `${format}.tar`);
    execFileSync('tar', [`--format=${format}`, '-cf', file, '-C', src, '.']);
    const entries = await collect(createReadStream(file, { highWaterMark: 700 }));
    const byName = new Map(entries.map((e) => [e.name, e]));
    assert.equal(byName.get(`./${'a'.repeat(150)}/${'b'.repeat(120)}`)?.data.toString(), 'long', format);
    assert.equal(byName.get('./sym')?.linkname, 't'.repeat(180), format);
  }
});

test('tar: a hostile header is refused, not trusted', async () => {
  const bad = encodeHeader(header({ name: 'a', size: 1 }));
  bad[0] ^= 1; // checksum no longer matches
  await assert.rejects(collect([bad, Buffer.alloc(1024)]), /invalid header checksum at byte 0/);
  const huge = header({ name: 'PaxHeaders/a', size: 1 << 30 });
  huge.typeflag = 'x';
  const block = encodeHeader(huge);
  block.write('x', 156, 'latin1');
  await assert.rejects(collect([block]), /too large|checksum/);
  await assert.rejects(
    collect([encodeHeader(header({ name: 'a', size: 10 })), Buffer.from('abc')]),
    /unexpected end/,
  );
});

test('tar: gzip and zstd are detected by their magic bytes and inflated', async () => {
  const plain = await buffer(writeTar(inputs));
  for (const kind of ['gzip', 'zstd'] as const) {
    const packed = await buffer(Readable.from([plain]).pipe(compress(kind)));
    assert.equal(detectCompression(packed), kind);
    assert.deepEqual(await buffer(decompress(Readable.from([packed]))), plain);
  }
  assert.equal(detectCompression(plain), 'none');
  assert.deepEqual(await buffer(decompress([plain.subarray(0, 3), plain.subarray(3)])), plain);
  assert.throws(() => detectCompression(Buffer.from('BZh91AY')), /bzip2/);
  assert.ok(zlib.createZstdDecompress);
});
