import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { BerthError } from '../common/errors.ts';
import { Gunzip, RING } from './inflate.ts';
import { fsops } from './native.ts';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** `bytes` in chunks of `size` (the last one shorter). */
const chunked = (bytes: Buffer, size: number) =>
  Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));

/** Inflates `input`, copying each chunk out (they are views of reused buffers). */
async function gunzip(
  input: Iterable<Buffer> | AsyncIterable<Buffer>,
): Promise<{ out: Buffer; g: Gunzip; sizes: number[] }> {
  const g = new Gunzip();
  const parts: Buffer[] = [];
  for await (const c of g.inflate(input)) parts.push(Buffer.from(c));
  return { out: Buffer.concat(parts), g, sizes: parts.map((p) => p.length) };
}

async function refused(input: Buffer[], message: RegExp): Promise<void> {
  await assert.rejects(gunzip(input), (err: unknown) => {
    assert.ok(err instanceof BerthError, String(err));
    assert.equal(err.kind, 'InvalidArgument');
    assert.match(err.message, message);
    return true;
  });
}

test('gunzip: random and repetitive data, in chunks of every size, with the digest and size of the output', async () => {
  const data = Buffer.concat([randomBytes(3 << 20), Buffer.alloc(5 << 20, 'a'), randomBytes(12345)]);
  const gz = zlib.gzipSync(data);
  for (const size of [1, 4096, 65536, 1 << 20, gz.length]) {
    const input =
      size === 1 ? chunked(gz.subarray(0, 5000), 1).concat([gz.subarray(5000)]) : chunked(gz, size);
    const { out, g, sizes } = await gunzip(input);
    assert.ok(out.equals(data), `chunks of ${size}`);
    assert.equal(g.digest, sha(data));
    assert.equal(g.size, data.length);
    // full buffers but the last
    assert.ok(
      sizes.slice(0, -1).every((n) => n === 1 << 20),
      String(sizes),
    );
  }
});

test('gunzip: a chunk stays as it was until RING - 1 more are taken, from an async source', async () => {
  const data = randomBytes(9 << 20);
  async function* source() {
    for (const c of chunked(zlib.gzipSync(data, { level: 1 }), 100000)) {
      await new Promise((r) => setImmediate(r));
      yield c;
    }
  }
  const g = new Gunzip();
  const held: { view: Buffer; copy: Buffer }[] = [];
  for await (const c of g.inflate(source())) {
    held.push({ view: c, copy: Buffer.from(c) });
    if (held.length === RING) {
      const oldest = held.shift()!;
      assert.ok(oldest.view.equals(oldest.copy), 'a chunk changed before RING - 1 more were taken');
    }
  }
  assert.equal(g.digest, sha(data));
});

test('gunzip: concatenated members, empty members and trailing zero padding, as node:zlib reads them', async () => {
  const a = randomBytes(70000);
  const b = Buffer.from('b'.repeat(300000));
  const members = Buffer.concat([zlib.gzipSync(a), zlib.gzipSync(Buffer.alloc(0)), zlib.gzipSync(b)]);
  const padded = Buffer.concat([members, Buffer.alloc(1000)]);
  for (const input of [members, padded]) {
    const { out, g } = await gunzip(chunked(input, 777));
    assert.ok(out.equals(zlib.gunzipSync(input)));
    assert.ok(out.equals(Buffer.concat([a, b])));
    assert.equal(g.digest, sha(out));
  }
  // the gzip of nothing: no bytes, the digest of nothing
  const empty = await gunzip([zlib.gzipSync(Buffer.alloc(0))]);
  assert.equal(empty.out.length, 0);
  assert.equal(empty.g.digest, sha(Buffer.alloc(0)));
});

test('gunzip: corrupt, truncated and empty input are refused with an InvalidArgument', async () => {
  const gz = zlib.gzipSync(randomBytes(200000));
  await refused(
    [Buffer.from([0x1f, 0x8b, 0x08, 0, 0, 0, 0, 0, 0, 3]), Buffer.alloc(30, 0xff)],
    /gzip: invalid data after \d+ compressed bytes: /,
  );
  const bad = Buffer.from(gz);
  bad[3] = 0xe0; // reserved flag bits
  await refused([bad], /gzip: invalid data/);
  const crc = Buffer.from(gz);
  crc[crc.length - 6] ^= 0xff; // the CRC-32 of the member
  await refused(chunked(crc, 65536), /gzip: invalid data after \d+ compressed bytes: incorrect data check/);
  await refused(
    chunked(gz.subarray(0, gz.length - 4), 65536),
    /gzip: unexpected EOF: the layer ends after \d+ compressed bytes/,
  );
  await refused([gz.subarray(0, 5)], /gzip: unexpected EOF/);
  await refused([], /gzip: unexpected EOF/);
  // a second member that is not gzip
  await refused([gz, Buffer.from('garbage')], /gzip: invalid data after 200\d+ compressed bytes/);
});

test('gunzip: a consumer that stops early ends the source and the state', async () => {
  let returned = false;
  async function* source() {
    try {
      for (const c of chunked(zlib.gzipSync(randomBytes(4 << 20)), 65536)) yield c;
    } finally {
      returned = true;
    }
  }
  const g = new Gunzip();
  for await (const _ of g.inflate(source())) break;
  assert.equal(returned, true);
  assert.equal(g.digest, undefined);
  // the native state refuses use once ended
  const state = fsops().gunzipInit();
  fsops().gunzipEnd(state);
  assert.throws(() => fsops().gunzipRun(state, [], Buffer.alloc(1)), /busy or ended/);
  assert.throws(() => fsops().gunzipRun({} as object, [], Buffer.alloc(1)), /not a gunzip state/);
});
