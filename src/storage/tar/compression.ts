// Layer compression, detected by magic bytes: gzip and zstd through node:zlib, or none.

import { pipeline, Readable } from 'node:stream';
import zlib from 'node:zlib';
import { notImplemented } from '../../common/errors.ts';
import { ByteSource, type ChunkSource } from './reader.ts';

export type Compression = 'none' | 'gzip' | 'zstd';

const GZIP = Buffer.from([0x1f, 0x8b]);
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd]);
const BZIP2 = Buffer.from('BZh');
const XZ = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

export function detectCompression(head: Buffer): Compression {
  if (head.subarray(0, 2).equals(GZIP)) return 'gzip';
  if (head.subarray(0, 4).equals(ZSTD)) return 'zstd';
  if (head.subarray(0, 3).equals(BZIP2)) throw notImplemented('layer compression bzip2 is not supported');
  if (head.subarray(0, 6).equals(XZ)) throw notImplemented('layer compression xz is not supported');
  return 'none';
}

async function* rest(first: Buffer, src: ByteSource): AsyncGenerator<Buffer> {
  if (first.length) yield first;
  for (;;) {
    const chunk = await src.some(1 << 20);
    if (chunk.length === 0) return;
    yield chunk;
  }
}

/** What compression `source` has (by its first bytes), and all its bytes. */
export async function sniff(
  source: ChunkSource,
): Promise<{ kind: Compression; bytes: AsyncGenerator<Buffer> }> {
  const src = new ByteSource(source);
  const head = await src.read(6);
  return { kind: detectCompression(head), bytes: rest(head, src) };
}

/** The uncompressed bytes of `bytes`, compressed with `kind`, through node:zlib. */
export async function* inflate(
  kind: Compression,
  bytes: AsyncIterable<Buffer>,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  if (kind === 'none') {
    yield* bytes;
    return;
  }
  const inflater = kind === 'gzip' ? zlib.createGunzip() : zlib.createZstdDecompress();
  const out = pipeline(Readable.from(bytes, { objectMode: false }), inflater, () => {});
  const abort = () => out.destroy(signal?.reason);
  signal?.addEventListener('abort', abort, { once: true });
  try {
    yield* out as AsyncIterable<Buffer>;
  } finally {
    signal?.removeEventListener('abort', abort);
  }
}

/** The uncompressed bytes of `source`, whatever its compression. */
export async function* decompress(source: ChunkSource, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const { kind, bytes } = await sniff(source);
  yield* inflate(kind, bytes, signal);
}

/** Compresses a stream (for tests and `save`). */
export function compress(kind: Exclude<Compression, 'none'>): zlib.Gzip | zlib.ZstdCompress {
  return kind === 'gzip' ? zlib.createGzip() : zlib.createZstdCompress();
}
