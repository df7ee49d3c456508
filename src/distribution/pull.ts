// Pulling an image: resolve the reference to a manifest (an index resolved to the platform),
// fetch the config, download the layers in parallel into the content store (verified against
// their digests as they stream in, resumed with Range requests when a connection breaks),
// unpack each through the snapshotter as it downloads, all at the same time (the snapshotter
// stacks them and commits them bottom first), then register and tag the image. On failure everything this pull added and nothing else uses is removed again:
// blobs and unpacked layers.

import { errorKind, invalidArgument, notFound } from '../common/errors.ts';
import {
  allSettled,
  ensureLayer,
  type HasLayer,
  stackedUnpacks,
  type UnpackLayer,
  unpackBlobStream,
} from '../image/archive/layers.ts';
import { selectPlatform } from '../image/archive/load.ts';
import { chainIds, type Digest, isDigest, sha256 } from '../image/digest.ts';
import { type ImageStore, type LayerRecord, parseConfig } from '../image/image-store.ts';
import {
  familiarName,
  familiarString,
  formatReference,
  type Reference,
  repoName,
} from '../image/reference.ts';
import {
  type Descriptor,
  hostPlatform,
  type Index,
  isIndexMediaType,
  isManifestMediaType,
  type Manifest,
  MediaType,
  type Platform,
} from '../image/types.ts';
import { release } from '../storage/slabs.ts';
import { repositoryScope } from './challenge.ts';
import { type RegistryClient, RegistryError, readAll, responseError } from './client.ts';
import { type OnProgress, progressMessage, shortDigest } from './progress.ts';
import { Spool } from './spool.ts';

export const MANIFEST_ACCEPT = [
  MediaType.DockerManifestList,
  MediaType.OciIndex,
  MediaType.DockerManifest,
  MediaType.OciManifest,
].join(', ');

export interface PullOptions {
  store: ImageStore;
  unpackLayer: UnpackLayer;
  hasLayer: HasLayer;
  /** Removes an unpacked layer again (a failed pull's). */
  removeLayer: (chainId: Digest) => Promise<void>;
  platform?: Platform;
  onProgress?: OnProgress;
  signal?: AbortSignal;
  /** Downloads at once (daemon.json max-concurrent-downloads; default 3). */
  maxConcurrent?: number;
  /** false: no closing `Status:` line (pull -a writes one for all the tags) */
  status?: boolean;
}

export interface PullResult {
  id: Digest;
  /** The digest of what the reference named (an index's when it was one). */
  digest: Digest;
  /** Whether anything new was stored. */
  updated: boolean;
}

interface Fetched {
  bytes: Buffer;
  digest: Digest;
  mediaType: string;
}

/** GET a manifest by tag or digest; a digest is verified against the bytes. */
export async function fetchManifest(
  client: RegistryClient,
  ref: Reference,
  reference: string,
  signal?: AbortSignal,
): Promise<Fetched> {
  const res = await client.request('GET', `/v2/${ref.path}/manifests/${reference}`, {
    headers: { Accept: MANIFEST_ACCEPT },
    scopes: [repositoryScope(ref.path, ['pull'])],
    signal,
  });
  if (res.status === 404) {
    const err = await responseError(res, `manifest for ${formatReference(ref)} not found`);
    throw new RegistryError('NotFound', 404, err.message, err.code, err.detail);
  }
  if (res.status === 401 || res.status === 403) {
    const err = await responseError(res, 'denied');
    // NotFound (404), as dockerd answers: a 401 would make the docker CLI prompt for a login
    throw new RegistryError(
      'NotFound',
      res.status,
      `pull access denied for ${familiarName(ref)}${familiarName(ref).startsWith(`${ref.domain}/`) ? '' : ` on ${ref.domain}`}, repository does not exist or may require 'docker login': ${err.message.replace(/^denied: /, '')}`,
    );
  }
  if (res.status !== 200)
    throw await responseError(res, `error pulling ${formatReference(ref)} from ${ref.domain}`);
  const bytes = await readAll(res.body);
  const digest = sha256(bytes);
  if (isDigest(reference) && digest !== reference)
    throw invalidArgument(
      `manifest verification failed for digest ${reference}: the registry sent ${digest}`,
    );
  let mediaType = String(res.headers['content-type'] ?? '')
    .split(';')[0]
    .trim();
  try {
    const parsed = JSON.parse(bytes.toString('utf8')) as {
      mediaType?: string;
      schemaVersion?: number;
      manifests?: unknown;
    };
    if (parsed.schemaVersion === 1)
      throw invalidArgument(
        `${formatReference(ref)}: Docker Image manifest version 2, schema 1 is not supported: push it again with a newer client`,
      );
    if (parsed.mediaType) mediaType = parsed.mediaType;
    else if (!isIndexMediaType(mediaType) && !isManifestMediaType(mediaType))
      mediaType = parsed.manifests ? MediaType.OciIndex : MediaType.OciManifest;
  } catch (err) {
    if (errorKind(err) === 'InvalidArgument') throw err;
    throw invalidArgument(`${formatReference(ref)}: the registry sent a manifest that is not JSON`, err);
  }
  return { bytes, digest, mediaType };
}

/** Fetches a small blob (config) and checks its digest. */
async function fetchBlob(
  client: RegistryClient,
  ref: Reference,
  desc: Descriptor,
  signal?: AbortSignal,
): Promise<Buffer> {
  const res = await client.request('GET', `/v2/${ref.path}/blobs/${desc.digest}`, {
    scopes: [repositoryScope(ref.path, ['pull'])],
    signal,
  });
  if (res.status !== 200)
    throw await responseError(
      res,
      `fetching blob ${desc.digest} of ${formatReference(ref)} from ${ref.domain}`,
    );
  const bytes = await readAll(res.body, 64 << 20);
  if (sha256(bytes) !== desc.digest)
    throw invalidArgument(
      `blob ${desc.digest} of ${formatReference(ref)}: the registry sent bytes with digest ${sha256(bytes)}`,
    );
  return bytes;
}

const RETRIES = 5;
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/**
 * The bytes of a blob as the registry sends them, resuming with `Range: bytes=N-` when the
 * connection breaks (a registry that ignores Range is read again from the start, skipping what
 * was already passed on). Over plain HTTP the chunks are views of reused slabs
 * (src/storage/slabs.ts): the consumer releases each once done with it, or never (then the
 * garbage collector has them).
 */
export async function* blobChunks(
  client: RegistryClient,
  ref: Reference,
  desc: Descriptor,
  opts: { signal?: AbortSignal; onBytes?: (n: number) => void },
): AsyncGenerator<Buffer> {
  let offset = 0;
  let failures = 0;
  for (;;) {
    let res: Awaited<ReturnType<RegistryClient['request']>>;
    try {
      res = await client.request('GET', `/v2/${ref.path}/blobs/${desc.digest}`, {
        headers: offset ? { Range: `bytes=${offset}-` } : {},
        scopes: [repositoryScope(ref.path, ['pull'])],
        signal: opts.signal,
        slabs: true,
      });
    } catch (err) {
      if (opts.signal?.aborted || ++failures > RETRIES || errorKind(err) !== 'Unavailable') throw err;
      await sleep(100 * 2 ** failures, opts.signal);
      continue;
    }
    if (res.status !== 200 && res.status !== 206) {
      const err = await responseError(
        res,
        `fetching blob ${desc.digest} of ${formatReference(ref)} from ${ref.domain}`,
      );
      if ((res.status >= 500 || res.status === 429) && ++failures <= RETRIES && !opts.signal?.aborted) {
        await sleep(200 * 2 ** failures, opts.signal);
        continue;
      }
      throw err;
    }
    let skip = res.status === 200 ? offset : 0;
    try {
      for await (const c of res.body as AsyncIterable<Buffer>) {
        let chunk = c;
        if (skip) {
          if (chunk.length <= skip) {
            skip -= chunk.length;
            release(chunk);
            continue;
          }
          release(chunk.subarray(0, skip));
          chunk = chunk.subarray(skip);
          skip = 0;
        }
        offset += chunk.length;
        opts.onBytes?.(offset);
        yield chunk;
      }
    } catch (err) {
      if (opts.signal?.aborted || ++failures > RETRIES) throw err;
      continue; // resume where it broke
    }
    if (offset >= desc.size) return;
    if (++failures > RETRIES) return; // short: the content store reports the size mismatch
  }
}

/** Runs at most `n` of the given tasks at a time. */
export function limiter(n: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const queue: (() => void)[] = [];
  return async (task) => {
    if (running >= n) await new Promise<void>((r) => queue.push(r));
    running++;
    try {
      return await task();
    } finally {
      running--;
      queue.shift()?.();
    }
  };
}

/** Resolves a reference to one image manifest (choosing from an index by platform). */
export async function resolveManifest(
  client: RegistryClient,
  ref: Reference,
  platform: Platform,
  signal?: AbortSignal,
): Promise<{ top: Fetched; manifest: Fetched; parsed: Manifest }> {
  const top = await fetchManifest(client, ref, ref.digest ?? ref.tag ?? 'latest', signal);
  let current = top;
  for (let depth = 0; isIndexMediaType(current.mediaType); depth++) {
    if (depth > 4) throw invalidArgument(`${formatReference(ref)}: image indexes nested too deep`);
    const index = JSON.parse(current.bytes.toString('utf8')) as Index;
    const pick = selectPlatform(index.manifests ?? [], platform);
    if (!pick)
      throw notFound(
        `no matching manifest for ${platform.os}/${platform.architecture}${platform.variant ? `/${platform.variant}` : ''} in the manifest list entries`,
      );
    current = await fetchManifest(client, ref, pick.digest, signal);
  }
  if (!isManifestMediaType(current.mediaType))
    throw invalidArgument(`${formatReference(ref)}: unsupported manifest media type ${current.mediaType}`);
  const parsed = JSON.parse(current.bytes.toString('utf8')) as Manifest;
  if (!parsed.config?.digest || !Array.isArray(parsed.layers))
    throw invalidArgument(`${formatReference(ref)}: manifest ${current.digest} has no config or layers`);
  for (const d of [parsed.config, ...parsed.layers])
    if (!isDigest(d.digest))
      throw invalidArgument(`${formatReference(ref)}: invalid descriptor digest ${d.digest}`);
  return { top, manifest: current, parsed };
}

/** Pulls one reference (tag or digest) into the store; see the file comment. */
export async function pullImage(
  client: RegistryClient,
  ref: Reference,
  opts: PullOptions,
): Promise<PullResult> {
  const { store, signal } = opts;
  const emit = opts.onProgress ?? (() => {});
  const platform = opts.platform ?? hostPlatform();
  const { top, manifest, parsed } = await resolveManifest(client, ref, platform, signal);
  // (dockerd names a pull by digest by the whole reference: `host/x@sha256:…: Pulling from x`)
  const what = ref.digest ? familiarString({ ...ref, tag: undefined }) : (ref.tag ?? 'latest');
  emit({ status: `Pulling from ${ref.path}`, id: what });
  const diffIdsKnown = store.has(parsed.config.digest);

  const added = new Set<Digest>();
  /** Layers this pull unpacks (or started to), by index: removed again, top first, on failure. */
  const unpacked = new Map<number, Digest>();
  const lease = store.lease([
    top.digest,
    manifest.digest,
    parsed.config.digest,
    ...parsed.layers.map((l) => l.digest),
  ]);
  const abort = new AbortController();
  const onAbort = () => abort.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let updated = false;
  let downloads: Promise<void>[] = [];
  let unpacks: Promise<LayerRecord>[] = [];
  try {
    const put = async (bytes: Buffer, digest: Digest) => {
      if (await store.content.exists(digest)) return;
      await store.content.ingest(bytes, { digest, size: bytes.length });
      added.add(digest);
    };
    // config
    let configBytes: Buffer;
    if (await store.content.exists(parsed.config.digest))
      configBytes = await store.content.read(parsed.config.digest);
    else {
      configBytes = await fetchBlob(client, ref, parsed.config, abort.signal);
      await put(configBytes, parsed.config.digest);
    }
    const config = parseConfig(configBytes, parsed.config.digest);
    const diffIds = config.rootfs.diff_ids as Digest[];
    if (diffIds.length !== parsed.layers.length)
      throw invalidArgument(
        `${formatReference(ref)}: invalid manifest, layers length mismatch: expected ${diffIds.length}, got ${parsed.layers.length}`,
      );
    const chains = chainIds(diffIds);

    // layers: downloads in parallel, unpacking in order
    const limit = limiter(Math.max(1, opts.maxConcurrent ?? 3));
    const present = await Promise.all(
      parsed.layers.map(async (l, i) =>
        (await opts.hasLayer(chains[i])) && store.findLayer(chains[i])
          ? 'unpacked'
          : (await store.content.exists(l.digest))
            ? 'blob'
            : 'missing',
      ),
    );
    // an image that is here already shows no layer lines, as with dockerd
    const whole = diffIdsKnown && present.every((p) => p === 'unpacked');
    for (let i = 0; i < parsed.layers.length && !whole; i++) {
      const id = shortDigest(parsed.layers[i].digest);
      emit(
        present[i] === 'unpacked'
          ? { status: 'Already exists', progressDetail: {}, id }
          : { status: 'Pulling fs layer', progressDetail: {}, id },
      );
    }
    for (let i = 0; i < parsed.layers.length; i++)
      if (present[i] === 'missing' && i >= (opts.maxConcurrent ?? 3))
        emit({ status: 'Waiting', progressDetail: {}, id: shortDigest(parsed.layers[i].digest) });

    const spools = new Map<number, Spool>();
    // resolved when layer i's spool exists (its download started), so it can unpack as it arrives
    const spooling = parsed.layers.map(() => Promise.withResolvers<void>());
    downloads = parsed.layers.map((l, i) => {
      if (present[i] !== 'missing') return Promise.resolve();
      return limit(async () => {
        abort.signal.throwIfAborted();
        const id = shortDigest(l.digest);
        let last = 0;
        const chunks = blobChunks(client, ref, l, {
          signal: abort.signal,
          onBytes: (n) => {
            if (n - last >= 512 * 1024 || n === l.size) {
              last = n;
              emit(progressMessage('Downloading', id, n, l.size));
            }
          },
        });
        const spool = new Spool(store.content.tempPath());
        spools.set(i, spool);
        spooling[i].resolve();
        try {
          await spool.fill(store.content, chunks, { digest: l.digest as Digest, size: l.size });
        } catch (err) {
          if (errorKind(err) === 'InvalidArgument')
            throw invalidArgument(
              `filesystem layer verification failed for digest ${l.digest} of ${formatReference(ref)} from ${ref.domain}: ${(err as Error).message}`,
              err,
            );
          throw err;
        }
        added.add(l.digest as Digest);
        emit({ status: 'Verifying Checksum', progressDetail: {}, id });
        emit({ status: 'Download complete', progressDetail: {}, id });
      });
    });
    // a failed download stops the others at once
    for (const d of downloads) d.catch((err) => abort.abort(err));

    // Each layer unpacks as soon as its download starts, at the same time as the others: the
    // snapshotter stacks each on the one below and commits them bottom first (stackedUnpacks).
    unpacks = stackedUnpacks(opts.unpackLayer, parsed.layers.length, async (i, unpackLayer) => {
      const l = parsed.layers[i];
      const id = shortDigest(l.digest);
      const layer = {
        blob: l.digest as Digest,
        diffId: diffIds[i],
        chainId: chains[i],
        parent: i ? chains[i - 1] : undefined,
        index: i,
      };
      if (present[i] === 'unpacked' && !(await store.content.exists(l.digest))) {
        const known = store.findLayer(chains[i])!;
        return { ...known, digest: undefined, mediaType: undefined, size: undefined };
      }
      const had = await opts.hasLayer(chains[i]);
      // a download under way is unpacked as it arrives; a finished one from the store
      await Promise.race([downloads[i], spooling[i].promise]);
      const spool = spools.get(i);
      let record: LayerRecord;
      if (!had && spool && !spool.finished) {
        unpacked.set(i, chains[i]);
        try {
          record = await unpackSpool(store, { unpackLayer }, layer, spool, l, abort.signal);
        } catch (err) {
          await downloads[i]; // a failed download explains itself better (which blob, which registry)
          throw err;
        }
        await downloads[i];
      } else {
        await downloads[i];
        // (a layer unpacked as it downloads shows Downloading until then: one status a line)
        if (!had) emit(progressMessage('Extracting', id, 0, l.size));
        if (!had) unpacked.set(i, chains[i]);
        record = await ensureLayer(store, { unpackLayer, hasLayer: opts.hasLayer }, layer);
      }
      if (!had) {
        updated = true;
        emit(progressMessage('Extracting', id, l.size, l.size));
        emit({ status: 'Pull complete', progressDetail: {}, id });
      }
      return record;
    });
    // (a failure stops the downloads; the unpacks reading them fail too, and all are waited for)
    for (const u of unpacks) u.catch((err) => abort.abort(err));
    const layers = await allSettled(unpacks);
    await Promise.all(downloads);

    // the manifests go in the content store too, then the image and its references
    await put(manifest.bytes, manifest.digest);
    if (top.digest !== manifest.digest) await put(top.bytes, top.digest);
    const desc: Descriptor = {
      mediaType: manifest.mediaType,
      digest: manifest.digest,
      size: manifest.bytes.length,
    };
    if (!diffIdsKnown) updated = true;
    await store.add({ id: parsed.config.digest as Digest, layers, manifests: [desc] });
    const id = parsed.config.digest as Digest;
    if (ref.tag !== undefined && !ref.digest) {
      const previous = store.resolve(formatReference(ref))?.id;
      if (previous !== id) {
        store.setTag(formatReference(ref), id);
        updated = true;
      }
    }
    store.addDigestRef(`${repoName(ref)}@${top.digest}`, id);
    emit({ status: `Digest: ${top.digest}` });
    if (opts.status !== false)
      emit({
        status: `Status: ${updated ? 'Downloaded newer image' : 'Image is up to date'} for ${familiarString(ref)}`,
      });
    return { id, digest: top.digest, updated };
  } catch (err) {
    abort.abort(err);
    // the other downloads and unpacks stop; none may store a blob or a layer after the clean-up below
    await Promise.allSettled(downloads);
    await Promise.allSettled(unpacks);
    lease();
    for (const [, chain] of [...unpacked].sort((a, b) => b[0] - a[0])) {
      if (store.all().some((img) => img.layers.some((l) => l.chainId === chain))) continue;
      await opts.removeLayer(chain).catch(() => {});
    }
    for (const d of added) if (!store.blobInUse(d)) await store.content.delete(d);
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    lease();
  }
}

/** Unpacks a layer from a download in progress, reading the spool as it grows. */
function unpackSpool(
  store: ImageStore,
  opts: { unpackLayer: UnpackLayer },
  layer: { blob: Digest; diffId: Digest; chainId: Digest; parent: Digest | undefined; index: number },
  spool: Spool,
  desc: Descriptor,
  signal: AbortSignal,
): Promise<LayerRecord> {
  // (a reader waiting for bytes wakes when the aborted download fails the spool)
  async function* source(): AsyncGenerator<Buffer> {
    for await (const chunk of spool.read(store.content.path(layer.blob))) {
      signal.throwIfAborted();
      yield chunk;
    }
  }
  return unpackBlobStream(opts, layer, source(), desc.size);
}
