// Unpacking layers through the snapshotter's callback, verifying each DiffID on the way.

import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Transform } from 'node:stream';
import { internal, invalidArgument } from '../../common/errors.ts';
import type { ContentStore } from '../content-store.ts';
import type { Digest } from '../digest.ts';
import type { ImageStore, LayerRecord } from '../image-store.ts';
import { MediaType } from '../types.ts';
import { type Compression, decompress, detectCompression } from './compression.ts';

/**
 * Unpacks one layer (a tar stream, plain or compressed with gzip or zstd) as the snapshot
 * `chainId` on top of `parentChainId`, and reports its DiffID (the sha256 of every byte of the
 * uncompressed stream, which it must read to the end), unpacked size and, if it knows it, the
 * size of the uncompressed tar. It must check the DiffID against `expectedDiffId` before
 * the snapshot becomes visible, and discard it otherwise (src/storage's unpack does both); the
 * caller checks the reported DiffID again, but does not hash the stream a second time.
 * `parentChainId` may be a layer whose unpack was handed over (the call made) but has not
 * finished: the snapshotter stacks this one on it once it has (see stackedUnpacks).
 * Provided by src/storage.
 */
export type UnpackLayer = (
  chainId: Digest,
  parentChainId: Digest | undefined,
  tar: AsyncIterable<Uint8Array>,
  expectedDiffId: Digest,
) => Promise<{ diffId: Digest; size: number; tarSize?: number }>;

/**
 * Runs `run(i, unpack)` for layers 0..n-1 (bottom first) at the same time. Each gets an
 * unpackLayer that hands its layer to `unpackLayer` only after the layer below was handed over
 * (or its run finished without unpacking), so that the snapshotter always knows the parent: the
 * layers then unpack in parallel, and are committed bottom first.
 */
export function stackedUnpacks<T>(
  unpackLayer: UnpackLayer,
  n: number,
  run: (i: number, unpack: UnpackLayer) => Promise<T>,
): Promise<T>[] {
  const out: Promise<T>[] = [];
  let below: Promise<void> = Promise.resolve();
  for (let i = 0; i < n; i++) {
    const handedOver = Promise.withResolvers<void>();
    const after = below;
    const unpack: UnpackLayer = async (chainId, parent, tar, diffId) => {
      await after;
      const p = unpackLayer(chainId, parent, tar, diffId);
      handedOver.resolve();
      return p;
    };
    out.push(run(i, unpack).finally(handedOver.resolve));
    below = handedOver.promise;
  }
  return out;
}

/** All the values, once every promise has settled; else the first rejection (in order). */
export async function allSettled<T>(promises: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Whether the snapshotter already has a layer (then it is not unpacked again). */
export type HasLayer = (chainId: Digest) => boolean | Promise<boolean>;

export function layerMediaType(c: Compression): string {
  return c === 'gzip' ? MediaType.OciLayerGzip : c === 'zstd' ? MediaType.OciLayerZstd : MediaType.OciLayer;
}

/** Reads of stored layer blobs: 1 MiB chunks (not 64 KiB) cut the per-chunk cost of big layers. */
const LAYER_READ_CHUNK = 1 << 20;

/** Passes data through, hashing it; fails at the end unless it hashes to `expected`. */
export function verifyingStream(
  expected: Digest | undefined,
  what: string,
): Transform & { result: () => { digest: Digest; size: number } | undefined } {
  const hash = createHash('sha256');
  let size = 0;
  let result: { digest: Digest; size: number } | undefined;
  const t = new Transform({
    transform(chunk: Buffer, _e, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
    flush(cb) {
      const digest = `sha256:${hash.digest('hex')}`;
      if (expected && digest !== expected)
        cb(invalidArgument(`${what}: expected ${expected}, got ${digest}`));
      else {
        result = { digest, size };
        cb();
      }
    },
  });
  return Object.assign(t, { result: () => result });
}

/** The DiffID and tar size of a stored blob, by decompressing and hashing it. */
export async function measureLayer(
  content: ContentStore,
  blob: Digest,
): Promise<{ diffId: Digest; tarSize: number; compression: Compression }> {
  const { compression, stream } = await decompress(await content.open(blob));
  const hash = createHash('sha256');
  let tarSize = 0;
  for await (const c of stream) {
    hash.update(c as Buffer);
    tarSize += (c as Buffer).length;
  }
  return { diffId: `sha256:${hash.digest('hex')}`, tarSize, compression };
}

/**
 * Makes sure layer `index` (blob `blob` in the content store) is unpacked as `chainId`, checking
 * its DiffID. Returns the layer record.
 */
export async function ensureLayer(
  store: ImageStore,
  opts: { unpackLayer: UnpackLayer; hasLayer?: HasLayer },
  layer: { blob: Digest; diffId: Digest; chainId: Digest; parent: Digest | undefined; index: number },
): Promise<LayerRecord> {
  const blobInfo = await store.content.info(layer.blob);
  const known = store.findLayer(layer.chainId);
  if (known && known.tarSize !== undefined && (await (opts.hasLayer?.(layer.chainId) ?? true))) {
    const { compression } = await peekCompression(store.content, layer.blob);
    return {
      diffId: layer.diffId,
      chainId: layer.chainId,
      digest: layer.blob,
      size: blobInfo.size,
      mediaType: layerMediaType(compression),
      tarSize: known.tarSize,
      diffSize: known.diffSize,
    };
  }
  // The blob exists (info() above); its digest was verified when it was stored.
  const blobStream = createReadStream(store.content.path(layer.blob), { highWaterMark: LAYER_READ_CHUNK });
  return unpackBlobStream(opts, layer, blobStream, blobInfo.size);
}

/**
 * Unpacks layer `layer.index` from the bytes of its (maybe compressed) blob, of `blobSize`
 * bytes: handed as they are to the snapshotter, which decompresses them and checks the DiffID.
 * The caller sees to the blob's own digest (stored blobs were verified; a pull verifies as it
 * reads).
 */
export async function unpackBlobStream(
  opts: { unpackLayer: UnpackLayer },
  layer: { blob: Digest; diffId: Digest; chainId: Digest; parent: Digest | undefined; index: number },
  blob: AsyncIterable<Uint8Array>,
  blobSize: number,
): Promise<LayerRecord> {
  let compression: Compression = 'none';
  let ended = false;
  async function* passed(): AsyncGenerator<Uint8Array> {
    let head: Buffer | undefined = Buffer.alloc(0); // the first bytes, until the magic is known
    for await (const c of blob) {
      if (head) {
        head = Buffer.concat([head, c.subarray(0, 6)]);
        if (head.length >= 6) {
          compression = detectCompression(head);
          head = undefined;
        }
      }
      yield c;
    }
    if (head) compression = detectCompression(head);
    ended = true;
  }
  const res = await opts.unpackLayer(layer.chainId, layer.parent, passed(), layer.diffId);
  if (!ended)
    throw internal(`layer ${layer.index} (${layer.chainId}): the unpacker did not read the whole layer`);
  if (res.diffId !== layer.diffId)
    throw invalidArgument(
      `invalid diffID for layer ${layer.index}: expected ${layer.diffId}, got ${res.diffId}`,
    );
  return {
    diffId: layer.diffId,
    chainId: layer.chainId,
    digest: layer.blob,
    size: blobSize,
    mediaType: layerMediaType(compression),
    tarSize: res.tarSize ?? (compression === 'none' ? blobSize : undefined),
    diffSize: res.size,
  };
}

async function peekCompression(content: ContentStore, blob: Digest): Promise<{ compression: Compression }> {
  const s = await content.open(blob);
  const { compression, stream } = await decompress(s);
  stream.destroy();
  s.destroy();
  return { compression };
}
