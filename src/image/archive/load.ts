// `docker load`: a tar stream in one of three forms —
//   docker-archive, legacy:  manifest.json, <id>.json, <id>/layer.tar, repositories
//   docker-archive, ≥ 25:    manifest.json pointing into an OCI layout (blobs/sha256/…)
//   OCI image layout:        oci-layout, index.json, blobs/sha256/… (names from annotations)
// The outer tar is read once: blobs/sha256/* go to the content store verified against their
// names, other large files are stored by digest, small ones kept in memory. Then each image's
// config and layers are checked, layers unpacked through the snapshotter's callback with DiffIDs
// verified, and the image registered and tagged. On failure, the blobs this load added and no
// image uses are removed.

import { posix } from 'node:path';
import { invalidArgument } from '../../common/errors.ts';
import { chainIds, type Digest, isDigest, sha256 } from '../digest.ts';
import { type ImageStore, parseConfig } from '../image-store.ts';
import { familiarString, formatReference, parseReference, withDefaultTag } from '../reference.ts';
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  type ArchiveManifestEntry,
  type Descriptor,
  hostPlatform,
  type Index,
  isIndexMediaType,
  type Manifest,
  type Platform,
} from '../types.ts';
import { allSettled, ensureLayer, type HasLayer, stackedUnpacks, type UnpackLayer } from './layers.ts';
import { readTar } from './tar.ts';

const SMALL = 1 << 20;
const HELD_LIMIT = 64 * 1024 * 1024;

export interface LoadOptions {
  unpackLayer: UnpackLayer;
  hasLayer?: HasLayer;
  /** Platform to pick from image indexes (default: the host's). */
  platform?: Platform;
  /** Progress lines, as `docker load` prints them. */
  onProgress?: (message: string) => void;
}

export interface LoadedImage {
  id: Digest;
  /** Familiar tags given to it: `busybox:latest`. */
  tags: string[];
}

export interface LoadResult {
  images: LoadedImage[];
  /** Tags that moved here from another image: that image is now untagged (or less tagged). */
  replaced: { tag: string; previousId: Digest }[];
}

type FileRef = { data: Buffer } | { blob: Digest };

interface PlannedImage {
  config: FileRef;
  layers: FileRef[];
  tags: string[];
  manifest?: Descriptor;
}

/** Normalises an archive path; refuses absolute paths and any `..` escape. */
export function safeArchivePath(name: string): string {
  const stripped = name.replace(/^(\.\/)+/, '');
  const norm = posix.normalize(stripped).replace(/\/+$/, '');
  if (stripped.startsWith('/') || norm === '..' || norm.startsWith('../') || norm.split('/').includes('..'))
    throw invalidArgument(`invalid archive entry "${name}": path outside the archive`);
  return norm === '.' ? '' : norm;
}

/** Loads an archive into the store; see the file comment. */
export async function loadArchive(
  store: ImageStore,
  source: AsyncIterable<Uint8Array>,
  opts: LoadOptions,
): Promise<LoadResult> {
  const before = new Set((await store.content.list()).map((b) => b.digest));
  const added = new Set<Digest>();
  const release = new Set<() => void>();
  const files = new Map<string, FileRef>();
  // small files are kept in memory, up to a total; past it they go to the content store like
  // large ones, so an archive of many small entries cannot exhaust the daemon's memory
  let held = 0;
  const links = new Map<string, string>();
  try {
    for await (const entry of readTar(source)) {
      const name = safeArchivePath(entry.name);
      if (entry.type === 'dir' || name === '') continue;
      if (entry.type === 'symlink' || entry.type === 'hardlink') {
        const target =
          entry.type === 'symlink' ? posix.join(posix.dirname(name), entry.linkname) : entry.linkname;
        if (entry.type === 'symlink' && entry.linkname.startsWith('/'))
          throw invalidArgument(`invalid archive entry "${entry.name}": link target outside the archive`);
        try {
          links.set(name, safeArchivePath(target));
        } catch {
          throw invalidArgument(`invalid archive entry "${entry.name}": link target outside the archive`);
        }
        continue;
      }
      if (entry.type !== 'file')
        throw invalidArgument(`invalid archive entry "${entry.name}": unsupported type '${entry.typeflag}'`);
      const m = /^blobs\/sha256\/([^/]+)$/.exec(name);
      let ref: FileRef;
      if (m) {
        const digest = `sha256:${m[1]}`;
        if (!isDigest(digest))
          throw invalidArgument(`invalid archive entry "${entry.name}": not a sha256 digest`);
        release.add(store.lease([digest]));
        await store.content.ingest(entry.body, { digest, size: entry.size });
        added.add(digest);
        ref = { blob: digest };
      } else if (entry.size <= SMALL && held + entry.size <= HELD_LIMIT) {
        held += entry.size;
        const chunks: Buffer[] = [];
        for await (const c of entry.body) chunks.push(c);
        ref = { data: Buffer.concat(chunks) };
      } else {
        const info = await store.content.ingest(entry.body, { size: entry.size });
        release.add(store.lease([info.digest]));
        added.add(info.digest);
        ref = { blob: info.digest };
      }
      files.set(name, ref);
    }

    const lookup = (path: string, what: string): FileRef => {
      let p = safeArchivePath(path);
      for (let i = 0; i < 16 && !files.has(p) && links.has(p); i++) p = links.get(p)!;
      const f = files.get(p);
      if (!f) throw invalidArgument(`invalid archive: ${what} ${path} is missing`);
      return f;
    };
    const readJson = async <T>(f: FileRef): Promise<T> => {
      const data = 'data' in f ? f.data : await store.content.read(f.blob);
      try {
        return JSON.parse(data.toString('utf8')) as T;
      } catch (err) {
        throw invalidArgument('invalid archive: malformed JSON', err);
      }
    };

    let plan: PlannedImage[];
    if (files.has('manifest.json')) {
      const manifest = await readJson<ArchiveManifestEntry[]>(files.get('manifest.json')!);
      if (!Array.isArray(manifest)) throw invalidArgument('invalid archive: manifest.json is not a list');
      plan = manifest.map((m) => ({
        config: lookup(m.Config, 'config'),
        layers: (m.Layers ?? []).map((l) => lookup(l, 'layer')),
        tags: m.RepoTags ?? [],
      }));
    } else if (files.has('index.json')) {
      plan = await planOci(
        store,
        await readJson<Index>(files.get('index.json')!),
        opts.platform ?? hostPlatform(),
      );
    } else if (files.has('repositories')) {
      throw invalidArgument('invalid archive: legacy (pre-1.10) image format is not supported');
    } else {
      throw invalidArgument('invalid archive: no manifest.json or index.json');
    }

    // Store in-memory configs and layers as blobs, so every image part is in the content store.
    const blobOf = async (f: FileRef): Promise<Digest> => {
      if ('blob' in f) return f.blob;
      const d = sha256(f.data);
      release.add(store.lease([d]));
      await store.content.ingest(f.data, { digest: d });
      added.add(d);
      return d;
    };

    const result: LoadResult = { images: [], replaced: [] };
    for (const img of plan) {
      const id = await blobOf(img.config);
      const config = parseConfig(await store.content.read(id), id);
      const diffIds = config.rootfs.diff_ids;
      if (diffIds.length !== img.layers.length)
        throw invalidArgument(
          `invalid manifest, layers length mismatch: expected ${img.layers.length}, got ${diffIds.length}`,
        );
      const chains = chainIds(diffIds);
      const blobs: Digest[] = [];
      for (const l of img.layers) blobs.push(await blobOf(l));
      // every layer at once, each stacked on the one below once that one is committed
      const layers = await allSettled(
        stackedUnpacks(opts.unpackLayer, blobs.length, (i, unpackLayer) => {
          opts.onProgress?.(`Loading layer ${diffIds[i].slice(7, 19)}`);
          return ensureLayer(
            store,
            { unpackLayer, hasLayer: opts.hasLayer },
            { blob: blobs[i], diffId: diffIds[i], chainId: chains[i], parent: chains[i - 1], index: i },
          );
        }),
      );
      await store.add({ id, layers, manifests: img.manifest ? [img.manifest] : [] });
      const tags: string[] = [];
      for (const t of img.tags) {
        const ref = withDefaultTag(parseReference(t));
        if (ref.digest) continue;
        const previous = store.setTag(formatReference(ref), id);
        if (previous) result.replaced.push({ tag: familiarString(ref), previousId: previous });
        tags.push(familiarString(ref));
        opts.onProgress?.(`Loaded image: ${familiarString(ref)}`);
      }
      if (tags.length === 0) opts.onProgress?.(`Loaded image ID: ${id}`);
      result.images.push({ id, tags });
    }
    return result;
  } catch (err) {
    for (const r of release) r();
    release.clear();
    for (const d of added) if (!before.has(d) && !store.blobInUse(d)) await store.content.delete(d);
    throw err;
  } finally {
    for (const r of release) r();
  }
}

/** Images of an OCI layout: one per manifest (indexes resolved to the platform), named by annotations. */
async function planOci(store: ImageStore, index: Index, platform: Platform): Promise<PlannedImage[]> {
  if (!Array.isArray(index.manifests)) throw invalidArgument('invalid archive: index.json has no manifests');
  const byManifest = new Map<Digest, PlannedImage>();
  const readBlob = async <T>(d: Descriptor): Promise<T> => {
    if (!isDigest(d.digest)) throw invalidArgument(`invalid descriptor digest ${d.digest}`);
    if (!(await store.content.exists(d.digest)))
      throw invalidArgument(`invalid archive: blob ${d.digest} is missing`);
    return JSON.parse((await store.content.read(d.digest)).toString('utf8')) as T;
  };
  for (const top of index.manifests) {
    let desc = top;
    for (let depth = 0; isIndexMediaType(desc.mediaType); depth++) {
      if (depth > 4) throw invalidArgument('invalid archive: image indexes nested too deep');
      const sub = await readBlob<Index>(desc);
      const pick = selectPlatform(sub.manifests ?? [], platform);
      if (!pick)
        throw invalidArgument(
          `no matching manifest for ${platform.os}/${platform.architecture} in the manifest list entries`,
        );
      desc = pick;
    }
    const manifest = await readBlob<Manifest>(desc);
    if (!manifest.config?.digest || !Array.isArray(manifest.layers))
      throw invalidArgument(`invalid archive: manifest ${desc.digest} has no config or layers`);
    let img = byManifest.get(desc.digest);
    if (!img) {
      img = {
        config: { blob: manifest.config.digest },
        layers: manifest.layers.map((l) => ({ blob: l.digest })),
        tags: [],
        manifest: { mediaType: desc.mediaType, digest: desc.digest, size: desc.size },
      };
      for (const l of manifest.layers)
        if (!(await store.content.exists(l.digest)))
          throw invalidArgument(`invalid archive: layer blob ${l.digest} is missing`);
      byManifest.set(desc.digest, img);
    }
    const name = ociName(top.annotations ?? {});
    if (name && !img.tags.includes(name)) img.tags.push(name);
  }
  return [...byManifest.values()];
}

/**
 * The name an index entry gives: `io.containerd.image.name`, else an
 * `org.opencontainers.image.ref.name` that is a full reference (`busybox:1`, `reg/x:y`). A bare
 * tag (`latest`, as skopeo writes for `oci:dir:latest`) names no repository: the image loads
 * untagged.
 */
function ociName(a: Record<string, string>): string | undefined {
  const full = a[ANNOTATION_CONTAINERD_NAME];
  if (full) return full;
  const ref = a[ANNOTATION_REF_NAME];
  if (ref && /[:/]/.test(ref)) {
    try {
      parseReference(ref);
      return ref;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function selectPlatform(manifests: Descriptor[], want: Platform): Descriptor | undefined {
  const match = manifests.filter(
    (m) => m.platform?.os === want.os && m.platform?.architecture === want.architecture,
  );
  if (want.variant) return match.find((m) => m.platform?.variant === want.variant) ?? match[0];
  return match.find((m) => !m.platform?.variant) ?? match[0];
}
