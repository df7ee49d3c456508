// `docker save`: one or several images as a docker-archive in Docker 25's form, which is also an
// OCI image layout:
//   blobs/sha256/<config>, blobs/sha256/<diffid> (uncompressed layers), blobs/sha256/<manifest>
//   index.json (one entry per tag, io.containerd.image.name + org.opencontainers.image.ref.name)
//   manifest.json ([{Config, RepoTags, Layers}]), oci-layout, repositories
// docker load (old and new), skopeo docker-archive: and oci-archive: all read it. The config blob
// is written byte for byte, so loading it back gives the same image ID.

import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import { internal, invalidArgument } from '../../common/errors.ts';
import { type Digest, digestHex, isDigest, sha256 } from '../digest.ts';
import { type Image, type ImageStore, type LayerRecord, noSuchImage } from '../image-store.ts';
import {
  familiarName,
  familiarString,
  formatReference,
  parseReference,
  type Reference,
  repoName,
} from '../reference.ts';
import {
  ANNOTATION_CONTAINERD_NAME,
  ANNOTATION_REF_NAME,
  type ArchiveManifestEntry,
  type Descriptor,
  type Index,
  type Manifest,
  MediaType,
} from '../types.ts';
import { decompress } from './compression.ts';
import { verifyingStream } from './layers.ts';
import { type TarWriteEntry, writeTar } from './tar.ts';

export interface SaveOptions {
  /**
   * The uncompressed tar of a layer whose blob is not in the content store (a committed layer,
   * say); from the snapshotter's diff. Must be exactly `size` bytes with sha256 = diffId.
   */
  openLayer?: (layer: LayerRecord) => Promise<{ stream: Readable; size: number }>;
}

interface SaveItem {
  image: Image;
  refs: Reference[];
}

/** moby tarexport parseNames: which images, and under which tags, `docker save NAMES…` writes. */
export function resolveSaveNames(store: ImageStore, names: string[]): SaveItem[] {
  const items = new Map<Digest, SaveItem>();
  const add = (image: Image, ref?: Reference) => {
    let item = items.get(image.id);
    if (!item) {
      item = { image, refs: [] };
      items.set(image.id, item);
    }
    if (ref && !ref.digest && !item.refs.some((r) => formatReference(r) === formatReference(ref)))
      item.refs.push(ref);
  };
  for (const name of names) {
    if (/^[a-f0-9]{64}$/.test(name) || isDigest(name)) {
      add(store.get(name));
      continue;
    }
    const ref = parseReference(name);
    if (ref.tag === undefined && ref.digest === undefined) {
      const hits = store.referenceEntries().filter(([r]) => repoName(r) === repoName(ref));
      if (hits.length) for (const [r, id] of hits) add(store.get(id), r);
      else add(store.get(name)); // an ID prefix
      continue;
    }
    const img = store.resolve(name);
    if (!img) throw noSuchImage(name);
    add(img, ref);
  }
  return [...items.values()];
}

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

/** The archive as a tar stream. Names are resolved (and may throw) before anything is written. */
export function saveImages(store: ImageStore, names: string[], opts: SaveOptions = {}): Readable {
  if (names.length === 0) throw invalidArgument('no images to save');
  const items = resolveSaveNames(store, names);
  for (const { image } of items)
    for (const l of image.layers)
      if (l.tarSize === undefined && !opts.openLayer)
        throw internal(`image ${image.id}: layer ${l.diffId} cannot be exported (its tar size is unknown)`);

  async function* entries(): AsyncGenerator<TarWriteEntry> {
    const written = new Set<Digest>();
    const layerSizes = new Map<Digest, number>();
    const blob = (d: Digest) => `blobs/sha256/${digestHex(d)}`;
    yield { name: 'blobs', type: 'dir' };
    yield { name: 'blobs/sha256', type: 'dir' };
    const manifestJson: ArchiveManifestEntry[] = [];
    const index: Index = { schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] };
    const repositories: Record<string, Record<string, string>> = {};
    for (const { image, refs } of items) {
      const config = await store.content.read(image.id);
      if (!written.has(image.id)) {
        written.add(image.id);
        yield { name: blob(image.id), body: config, mode: 0o444 };
      }
      const layerDescs: Descriptor[] = [];
      for (const layer of image.layers) {
        if (!layerSizes.has(layer.diffId)) {
          if (layer.tarSize === undefined) {
            const { stream, size } = await opts.openLayer!(layer);
            layerSizes.set(layer.diffId, size);
            yield { name: blob(layer.diffId), size, body: verified(stream, layer), mode: 0o444 };
          } else {
            const size = layer.tarSize;
            layerSizes.set(layer.diffId, size);
            yield {
              name: blob(layer.diffId),
              size,
              body: () => openUncompressed(store, layer, opts),
              mode: 0o444,
            };
          }
        }
        layerDescs.push({
          mediaType: MediaType.OciLayer,
          digest: layer.diffId,
          size: layerSizes.get(layer.diffId)!,
        });
      }
      const manifest: Manifest = {
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: MediaType.OciConfig, digest: image.id, size: config.length },
        layers: layerDescs,
      };
      const mbytes = json(manifest);
      const mdigest = sha256(mbytes);
      if (!written.has(mdigest)) {
        written.add(mdigest);
        yield { name: blob(mdigest), body: mbytes, mode: 0o444 };
      }
      const desc: Descriptor = { mediaType: MediaType.OciManifest, digest: mdigest, size: mbytes.length };
      if (refs.length === 0) index.manifests.push(desc);
      for (const ref of refs) {
        index.manifests.push({
          ...desc,
          annotations: {
            [ANNOTATION_CONTAINERD_NAME]: formatReference(ref),
            [ANNOTATION_REF_NAME]: ref.tag!,
          },
        });
        const top = image.layers.at(-1);
        if (top) {
          const repo = familiarName(ref);
          repositories[repo] = { ...repositories[repo], [ref.tag!]: digestHex(top.diffId) };
        }
      }
      manifestJson.push({
        Config: blob(image.id),
        RepoTags: refs.length ? refs.map((r) => familiarString(r)) : null,
        Layers: image.layers.map((l) => blob(l.diffId)),
      });
    }
    yield { name: 'index.json', body: json(index) };
    yield { name: 'manifest.json', body: json(manifestJson) };
    yield { name: 'oci-layout', body: json({ imageLayoutVersion: '1.0.0' }) };
    if (Object.keys(repositories).length) yield { name: 'repositories', body: json(repositories) };
  }
  return writeTar(entries());
}

/** The layer's uncompressed tar from its stored blob, checked against its DiffID on the way. */
async function openUncompressed(store: ImageStore, layer: LayerRecord, opts: SaveOptions): Promise<Readable> {
  if (layer.digest && (await store.content.exists(layer.digest))) {
    const { stream } = await decompress(await store.content.open(layer.digest));
    return verified(stream, layer);
  }
  if (opts.openLayer) return verified((await opts.openLayer(layer)).stream, layer);
  throw internal(`layer ${layer.diffId} is not in the content store`);
}

function verified(stream: Readable, layer: LayerRecord): Readable {
  return pipeline(
    stream,
    verifyingStream(layer.diffId, `layer ${layer.chainId} does not match its DiffID`),
    () => {},
  );
}
