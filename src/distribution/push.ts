// Pushing an image: every layer blob and the config go up unless the registry has them (HEAD),
// by a cross-repository mount when the image came from another repository of the same registry,
// else as an upload (one PUT for small blobs, PATCH chunks then PUT for large ones), a few at a
// time, each retried on network errors and 5xx; then the manifest under the tag. Layers are
// pushed compressed: a stored gzip or zstd blob as it is, an uncompressed one compressed first
// (gzip by default, zstd on request). An image pulled unchanged is pushed with its own manifest,
// so its digest stays the same.

import { createReadStream } from 'node:fs';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import { errorKind, invalidArgument } from '../common/errors.ts';
import { type Compression, decompress } from '../image/archive/compression.ts';
import { type Digest, isDigest, sha256 } from '../image/digest.ts';
import type { Image, ImageStore } from '../image/image-store.ts';
import { formatReference, parseReference, type Reference } from '../image/reference.ts';
import { type Descriptor, type Manifest, MediaType } from '../image/types.ts';
import { repositoryScope } from './challenge.ts';
import { type RegistryClient, type RegistryResponse, responseError } from './client.ts';
import { type OnProgress, progressMessage, shortDigest } from './progress.ts';
import { limiter } from './pull.ts';

export interface PushOptions {
  store: ImageStore;
  /** The layer tar of an unpacked layer whose blob is not kept (from the snapshotter). */
  layerTar: (chainId: Digest) => AsyncIterable<Uint8Array>;
  onProgress?: OnProgress;
  signal?: AbortSignal;
  /** Uploads at once (daemon.json max-concurrent-uploads; default 5). */
  maxConcurrent?: number;
  /** How uncompressed layers are compressed (default gzip). */
  compression?: 'gzip' | 'zstd';
  /** Blobs larger than this go up in PATCH chunks of this size (default 64 MiB). */
  chunkSize?: number;
}

export interface PushResult {
  tag: string;
  digest: Digest;
  size: number;
}

const RETRIES = 3;

interface Blob {
  desc: Descriptor;
  /** Made for this push (a compressed copy): removed afterwards. */
  temporary: boolean;
}

/** The compressed blob of each layer, making one where the store has none. */
async function layerBlobs(image: Image, opts: PushOptions): Promise<Blob[]> {
  const out: Blob[] = [];
  for (const layer of image.layers) {
    let compression: Compression | undefined;
    if (layer.digest && (await opts.store.content.exists(layer.digest))) {
      const probe = await decompress(await opts.store.content.open(layer.digest));
      probe.stream.destroy();
      compression = probe.compression;
      if (compression === 'gzip' || compression === 'zstd') {
        const size = (await opts.store.content.info(layer.digest)).size;
        out.push({
          desc: { mediaType: layerType(compression), digest: layer.digest, size },
          temporary: false,
        });
        continue;
      }
    }
    const tar: AsyncIterable<Uint8Array> =
      layer.digest && compression !== undefined
        ? (await decompress(await opts.store.content.open(layer.digest))).stream
        : opts.layerTar(layer.chainId);
    const want = opts.compression ?? 'gzip';
    const z = want === 'zstd' ? zlib.createZstdCompress() : zlib.createGzip({ level: 6 });
    const info = await opts.store.content.ingest(Readable.from(tar).pipe(z), { signal: opts.signal });
    out.push({ desc: { mediaType: layerType(want), digest: info.digest, size: info.size }, temporary: true });
  }
  return out;
}

const layerType = (c: 'gzip' | 'zstd') => (c === 'gzip' ? MediaType.DockerLayerGzip : MediaType.OciLayerZstd);

/** A manifest stored with the image whose blobs are all here: pushed as it is. */
async function storedManifest(
  image: Image,
  store: ImageStore,
): Promise<{ bytes: Buffer; desc: Descriptor; parsed: Manifest } | undefined> {
  for (const m of image.manifests) {
    if (!(await store.content.exists(m.digest))) continue;
    const bytes = await store.content.read(m.digest);
    const parsed = JSON.parse(bytes.toString('utf8')) as Manifest;
    if (parsed.config?.digest !== image.id) continue;
    const blobs = await Promise.all(parsed.layers.map((l) => store.content.exists(l.digest)));
    if (blobs.every(Boolean)) return { bytes, desc: m, parsed };
  }
  return undefined;
}

/** Pushes one image under `ref` (which has a tag). */
export async function pushImage(
  client: RegistryClient,
  ref: Reference,
  image: Image,
  opts: PushOptions,
): Promise<PushResult> {
  const emit = opts.onProgress ?? (() => {});
  const tag = ref.tag ?? 'latest';
  const temporary: Digest[] = [];
  try {
    let manifest = await storedManifest(image, opts.store);
    let blobs: Descriptor[];
    if (manifest) blobs = manifest.parsed.layers;
    else {
      const made = await layerBlobs(image, opts);
      for (const b of made) if (b.temporary) temporary.push(b.desc.digest);
      blobs = made.map((b) => b.desc);
      const oci = blobs.some((b) => b.mediaType === MediaType.OciLayerZstd);
      const configBytes = await opts.store.content.read(image.id);
      const m: Manifest = {
        schemaVersion: 2,
        mediaType: oci ? MediaType.OciManifest : MediaType.DockerManifest,
        config: {
          mediaType: oci ? MediaType.OciConfig : MediaType.DockerConfig,
          digest: image.id,
          size: configBytes.length,
        },
        layers: blobs.map((b) => ({
          mediaType: oci && b.mediaType === MediaType.DockerLayerGzip ? MediaType.OciLayerGzip : b.mediaType,
          digest: b.digest,
          size: b.size,
        })),
      };
      const bytes = Buffer.from(JSON.stringify(m, null, 3));
      manifest = {
        bytes,
        desc: { mediaType: m.mediaType!, digest: sha256(bytes), size: bytes.length },
        parsed: m,
      };
    }
    // progress lines name a layer by its DiffID, as dockerd's do
    const ids = blobs.map((b, i) => shortDigest(image.layers[i]?.diffId ?? b.digest));
    for (const id of ids) emit({ status: 'Preparing', progressDetail: {}, id });
    const limit = limiter(Math.max(1, opts.maxConcurrent ?? 5));
    const mountFrom = sameRegistryRepos(image, ref);
    const results = await Promise.allSettled(
      blobs.map((b, i) => limit(() => pushBlob(client, ref, b, mountFrom, opts, ids[i]))),
    );
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    await pushBlob(client, ref, manifest.parsed.config, mountFrom, opts, undefined);

    const res = await client.request('PUT', `/v2/${ref.path}/manifests/${tag}`, {
      headers: { 'Content-Type': manifest.desc.mediaType },
      body: manifest.bytes,
      scopes: [repositoryScope(ref.path, ['pull', 'push'])],
      signal: opts.signal,
    });
    if (res.status !== 201 && res.status !== 200 && res.status !== 202)
      throw await responseError(res, `pushing the manifest of ${formatReference(ref)} to ${ref.domain}`);
    res.body.resume();
    const digest = manifest.desc.digest;
    emit({ status: `${tag}: digest: ${digest} size: ${manifest.bytes.length}` });
    (emit as (m: unknown) => void)({
      progressDetail: {},
      aux: { Tag: tag, Digest: digest, Size: manifest.bytes.length },
    });
    return { tag, digest, size: manifest.bytes.length };
  } finally {
    for (const d of temporary)
      if (!opts.store.blobInUse(d)) await opts.store.content.delete(d).catch(() => {});
  }
}

/**
 * Repositories of the same registry this image is known under (mount sources), those sharing
 * more leading path components with the target first, as dockerd orders its candidates.
 */
export function sameRegistryRepos(image: Pick<Image, 'repoDigests' | 'repoTags'>, ref: Reference): string[] {
  const out = new Set<string>();
  for (const r of [...image.repoDigests, ...image.repoTags]) {
    try {
      const p = parseReference(r);
      if (p.domain === ref.domain && p.path !== ref.path) out.add(p.path);
    } catch {}
  }
  const target = ref.path.split('/');
  const common = (path: string) => {
    const parts = path.split('/');
    let n = 0;
    while (n < parts.length && n < target.length && parts[n] === target[n]) n++;
    return n;
  };
  return [...out].sort((a, b) => common(b) - common(a));
}

async function pushBlob(
  client: RegistryClient,
  ref: Reference,
  desc: Descriptor,
  mountFrom: string[],
  opts: PushOptions,
  /** the progress id of a layer; none for the config, which shows no progress */
  progressId: string | undefined,
): Promise<void> {
  const emit = progressId ? (opts.onProgress ?? (() => {})) : () => {};
  const id = progressId ?? '';
  const scopes = [
    repositoryScope(ref.path, ['pull', 'push']),
    ...mountFrom.map((p) => repositoryScope(p, ['pull'])),
  ];
  const what = `pushing blob ${desc.digest} of ${formatReference(ref)} to ${ref.domain}`;
  if (!isDigest(desc.digest)) throw invalidArgument(`${what}: invalid digest`);
  for (let attempt = 1; ; attempt++) {
    try {
      const head = await client.request('HEAD', `/v2/${ref.path}/blobs/${desc.digest}`, {
        scopes,
        signal: opts.signal,
      });
      head.body.resume();
      if (head.status === 200) {
        emit({ status: 'Layer already exists', progressDetail: {}, id });
        return;
      }
      let start: RegistryResponse | undefined;
      for (const from of mountFrom) {
        const r = await client.request(
          'POST',
          `/v2/${ref.path}/blobs/uploads/?mount=${desc.digest}&from=${encodeURIComponent(from)}`,
          { scopes, signal: opts.signal, body: Buffer.alloc(0) },
        );
        r.body.resume();
        if (r.status === 201) {
          emit({ status: `Mounted from ${from}`, progressDetail: {}, id });
          return;
        }
        if (r.status === 202) {
          start = r;
          break;
        }
      }
      start ??= await client.request('POST', `/v2/${ref.path}/blobs/uploads/`, {
        scopes,
        signal: opts.signal,
        body: Buffer.alloc(0),
      });
      if (start.status !== 202) throw await responseError(start, what);
      start.body.resume();
      let location = new URL(String(start.headers.location), start.url);
      const file = opts.store.content.path(desc.digest);
      const chunk = opts.chunkSize ?? 64 << 20;
      const progress = (n: number) => emit(progressMessage('Pushing', id, n, desc.size));
      if (desc.size > chunk) {
        for (let off = 0; off < desc.size; off += chunk) {
          const end = Math.min(desc.size, off + chunk) - 1;
          const r = await client.request('PATCH', location, {
            headers: {
              'Content-Type': 'application/octet-stream',
              'Content-Range': `${off}-${end}`,
              'Content-Length': String(end - off + 1),
            },
            body: () => createReadStream(file, { start: off, end }),
            scopes,
            signal: opts.signal,
          });
          if (r.status !== 202) throw await responseError(r, what);
          r.body.resume();
          location = new URL(String(r.headers.location), r.url);
          progress(end + 1);
        }
        location.searchParams.set('digest', desc.digest);
        const r = await client.request('PUT', location, {
          scopes,
          signal: opts.signal,
          body: Buffer.alloc(0),
        });
        if (r.status !== 201) throw await responseError(r, what);
        r.body.resume();
      } else {
        location.searchParams.set('digest', desc.digest);
        progress(0);
        const r = await client.request('PUT', location, {
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': String(desc.size) },
          body: () => {
            // progress as the bytes go, every 512 KiB, as dockerd shows an upload advance
            const src = createReadStream(file);
            let sent = 0;
            let shown = 0;
            src.on('data', (c) => {
              sent += c.length;
              if (sent - shown >= 512 * 1024 && sent < desc.size) {
                shown = sent;
                progress(sent);
              }
            });
            return src;
          },
          scopes,
          signal: opts.signal,
        });
        if (r.status !== 201) throw await responseError(r, what);
        r.body.resume();
        progress(desc.size);
      }
      emit({ status: 'Pushed', progressDetail: {}, id });
      return;
    } catch (err) {
      const retry = errorKind(err) === 'Unavailable' || ((err as { status?: number }).status ?? 0) >= 500;
      if (!retry || attempt >= RETRIES || opts.signal?.aborted) throw err;
      emit({ status: `Retrying in ${attempt} second${attempt > 1 ? 's' : ''}`, progressDetail: {}, id });
      await new Promise((r) => setTimeout(r, attempt * 1000));
    }
  }
}
