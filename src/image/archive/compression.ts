// Layer compression, detected by magic bytes: gzip, zstd (node:zlib has both in Node 24), plain.

import { pipeline, Readable, type Transform } from 'node:stream';
import zlib from 'node:zlib';
import { invalidArgument } from '../../common/errors.ts';

const DECOMPRESS_CHUNK = 256 * 1024;

export type Compression = 'none' | 'gzip' | 'zstd' | 'bzip2' | 'xz';

export function detectCompression(head: Uint8Array): Compression {
  const at = (i: number, ...b: number[]) => b.every((x, k) => head[i + k] === x);
  if (at(0, 0x1f, 0x8b, 0x08)) return 'gzip';
  if (at(0, 0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (at(0, 0x42, 0x5a, 0x68)) return 'bzip2';
  if (at(0, 0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  return 'none';
}

/** Reads the first bytes of a stream and gives them back with a stream of the whole. */
async function peek(
  source: AsyncIterable<Uint8Array>,
  n: number,
): Promise<[Buffer, AsyncIterable<Uint8Array>]> {
  const it = source[Symbol.asyncIterator]();
  const got: Buffer[] = [];
  let len = 0;
  let done = false;
  while (len < n) {
    const r = await it.next();
    if (r.done) {
      done = true;
      break;
    }
    got.push(Buffer.from(r.value));
    len += r.value.length;
  }
  async function* all(): AsyncGenerator<Uint8Array> {
    yield* got;
    if (done) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  }
  return [Buffer.concat(got).subarray(0, n), all()];
}

/** The uncompressed stream of a possibly compressed layer, and what it was. */
export async function decompress(
  source: AsyncIterable<Uint8Array>,
): Promise<{ compression: Compression; stream: Readable }> {
  const [head, whole] = await peek(source, 6);
  const compression = detectCompression(head);
  const input = Readable.from(whole, { objectMode: false });
  let z: Transform;
  if (compression === 'none') return { compression, stream: input };
  // 256 KiB output chunks, not zlib's 16 KiB: a quarter of the per-chunk work downstream
  // (hashing, tar parsing, one write per chunk); gunzip of a 100 MB layer ~2x faster here
  if (compression === 'gzip') z = zlib.createGunzip({ chunkSize: DECOMPRESS_CHUNK });
  else if (compression === 'zstd') z = zlib.createZstdDecompress({ chunkSize: DECOMPRESS_CHUNK });
  else throw invalidArgument(`unsupported layer compression: ${compression}`);
  return { compression, stream: pipeline(input, z, () => {}) };
}
