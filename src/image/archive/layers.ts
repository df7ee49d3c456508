// Unpacking layers through the snapshotter's callback, verifying each DiffID on the way.

import { createHash } from 'node:crypto';
import { pipeline, type Readable, Transform } from 'node:stream';
import { internal, invalidArgument } from '../../common/errors.ts';
import type { ContentStore } from '../content-store.ts';
import type { Digest } from '../digest.ts';
import type { ImageStore, LayerRecord } from '../image-store.ts';
import { MediaType } from '../types.ts';
import { type Compression, decompress } from './compression.ts';

/**
 * Unpacks one layer (an uncompressed tar stream) as the snapshot `chainId` on top of
 * `parentChainId`, and reports its DiffID and unpacked size. The stream errors (instead of
 * ending) when the content does not hash to `expectedDiffId`; the snapshotter must then discard
 * the snapshot. Provided by src/storage.
 */
export type UnpackLayer = (
  chainId: Digest,
  parentChainId: Digest | undefined,
  tar: Readable,
  expectedDiffId: Digest,
) => Promise<{ diffId: Digest; size: number }>;

/** Whether the snapshotter already has a layer (then it is not unpacked again). */
export type HasLayer = (chainId: Digest) => boolean | Promise<boolean>;

export function layerMediaType(c: Compression): string {
  return c === 'gzip' ? MediaType.OciLayerGzip : c === 'zstd' ? MediaType.OciLayerZstd : MediaType.OciLayer;
}

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
  const { compression, stream } = await decompress(await store.content.open(layer.blob));
  const verify = verifyingStream(layer.diffId, `invalid diffID for layer ${layer.index}`);
  const tar = pipeline(stream, verify, () => {});
  const res = await opts.unpackLayer(layer.chainId, layer.parent, tar, layer.diffId);
  const seen = verify.result();
  if (!seen)
    throw internal(`layer ${layer.index} (${layer.chainId}): the unpacker did not read the whole layer`);
  if (res.diffId !== layer.diffId)
    throw invalidArgument(
      `invalid diffID for layer ${layer.index}: expected ${layer.diffId}, got ${res.diffId}`,
    );
  return {
    diffId: layer.diffId,
    chainId: layer.chainId,
    digest: layer.blob,
    size: blobInfo.size,
    mediaType: layerMediaType(compression),
    tarSize: seen.size,
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
