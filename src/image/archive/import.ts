// `docker import`: a root filesystem tar (plain, gzip or zstd) becomes a one-layer image, with
// `--change` instructions applied to its config and `--message` as its comment (moby's
// ImportImage: "Imported from -" by default).

import { invalidArgument } from '../../common/errors.ts';
import type { Digest } from '../digest.ts';
import { dockerConfig } from '../image-query.ts';
import type { ImageStore } from '../image-store.ts';
import { familiarString, formatReference, parseReference, withDefaultTag } from '../reference.ts';
import { hostPlatform, type ImageConfig, type Platform } from '../types.ts';
import { applyChanges } from './changes.ts';
import { ensureLayer, type HasLayer, measureLayer, type UnpackLayer } from './layers.ts';

export interface ImportOptions {
  unpackLayer: UnpackLayer;
  hasLayer?: HasLayer;
  /** `repo[:tag]` to tag the new image with. */
  reference?: string;
  changes?: string[];
  /** The history comment; default "Imported from <source>". */
  message?: string;
  /** What the data came from, for the default message: "-" (stdin) or a URL. */
  source?: string;
  platform?: Platform;
  /** Creation time (tests). */
  now?: Date;
}

export interface ImportResult {
  id: Digest;
  tag?: string;
  /** The image the tag was taken from, if any. */
  replaced?: Digest;
}

export async function importImage(
  store: ImageStore,
  source: AsyncIterable<Uint8Array>,
  opts: ImportOptions,
): Promise<ImportResult> {
  const config = applyChanges({}, opts.changes ?? []); // validate before reading any data
  const ref = opts.reference ? withDefaultTag(parseReference(opts.reference)) : undefined;
  if (ref?.digest) throw invalidArgument('refusing to create a tag with a digest reference');
  const blob = await store.content.ingest(source);
  const release = store.lease([blob.digest]);
  let configDigest: Digest | undefined;
  try {
    const { diffId } = await measureLayer(store.content, blob.digest);
    const layer = await ensureLayer(store, opts, {
      blob: blob.digest,
      diffId,
      chainId: diffId,
      parent: undefined,
      index: 0,
    });
    const created = (opts.now ?? new Date()).toISOString();
    const comment = opts.message || `Imported from ${opts.source ?? '-'}`;
    const platform = opts.platform ?? hostPlatform();
    const image: ImageConfig = {
      comment,
      created,
      docker_version: 'berth',
      config: dockerConfig(config),
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      os: platform.os,
      rootfs: { type: 'layers', diff_ids: [diffId] },
      history: [{ created, comment }],
    };
    configDigest = (await store.content.ingest(JSON.stringify(image))).digest;
    await store.add({ id: configDigest, layers: [layer] });
    const result: ImportResult = { id: configDigest };
    if (ref) {
      result.replaced = store.setTag(formatReference(ref), configDigest);
      result.tag = familiarString(ref);
    }
    return result;
  } catch (err) {
    release();
    if (!store.blobInUse(blob.digest)) await store.content.delete(blob.digest);
    if (configDigest && !store.blobInUse(configDigest)) await store.content.delete(configDigest);
    throw err;
  } finally {
    release();
  }
}
