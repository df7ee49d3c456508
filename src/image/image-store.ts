// The image store: image records, the reference (tag) index, resolution and `docker rmi`.
//
// Layout under the root (DESIGN.md "Images and storage"):
//   content/                 the ContentStore: configs, manifests, layer blobs
//   images/<hex>.json        one ImageRecord per image, <hex> = config digest = image ID
//   repositories.json        {"refs": {"docker.io/library/busybox:latest": "sha256:…", …}}
// Every file is replaced with write-temp, fsync, rename. Adding an image writes its record
// before any reference to it; deleting removes the references first. On open, references to
// missing images are dropped, so a crash leaves at worst a dangling image, never a dangling tag.
//
// RepoTags and RepoDigests are derived from repositories.json only (one source of truth).

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { conflict, invalidArgument, notFound } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { ContentStore } from './content-store.ts';
import { chainIds, type Digest, digestHex, isDigest, shortId } from './digest.ts';
import {
  familiarName,
  familiarString,
  formatReference,
  parseReference,
  type Reference,
  repoName,
  withDefaultTag,
} from './reference.ts';
import type { Descriptor, ImageConfig } from './types.ts';

export interface LayerRecord {
  diffId: Digest;
  chainId: Digest;
  /** The layer's blob in the content store as distributed (maybe compressed), if kept. */
  digest?: Digest;
  mediaType?: string;
  /** Size of that blob. */
  size?: number;
  /** Size of the uncompressed layer tar (needed to save the layer uncompressed). */
  tarSize?: number;
  /** Size of the unpacked layer as the snapshotter reports it (Docker's layer DiffSize). */
  diffSize: number;
}

export interface ImageRecord {
  /** Image ID: the config digest. */
  id: Digest;
  layers: LayerRecord[];
  /** Manifests known to describe this image (from a pull or a load). */
  manifests: Descriptor[];
  /** Local parent (commit/build); empty for pulled and loaded images. */
  parent?: Digest;
  /** When this host first stored the image (RFC 3339). */
  added: string;
  /** When a tag last moved to this image (Metadata.LastTagTime). */
  lastTagTime?: string;
}

/** An image as callers see it: the record, its parsed config and its references. */
export interface Image extends ImageRecord {
  config: ImageConfig;
  /** Familiar tag references: `busybox:latest`. */
  repoTags: string[];
  /** Familiar digest references: `busybox@sha256:…`. */
  repoDigests: string[];
  /** Sum of the layers' diffSize (Docker's Size). */
  size: number;
}

export interface AddImageInput {
  /** The config digest; the config blob must already be in the content store. */
  id: Digest;
  layers: Omit<LayerRecord, 'chainId'>[];
  manifests?: Descriptor[];
  parent?: Digest;
}

/** What uses an image: the engine answers for its containers. */
export type ImageUser = { id: string; running: boolean };
export type InUse = (imageId: Digest) => ImageUser | undefined;

export type ImageEvent = { action: 'tag' | 'untag' | 'delete'; id: Digest; ref?: string };

export interface DeleteOptions {
  force?: boolean;
  /** Also delete untagged parents (default true, like `docker rmi` without --no-prune). */
  prune?: boolean;
  inUse?: InUse;
}

export type DeleteItem = { Untagged: string } | { Deleted: string };

export interface DeleteResult {
  items: DeleteItem[];
  /** ChainIDs no remaining image uses: the snapshotter may release them. */
  removedLayers: Digest[];
}

interface RefsFile {
  refs: Record<string, Digest>;
}

export class ImageStore {
  readonly root: string;
  readonly content: ContentStore;
  readonly #records = new Map<Digest, ImageRecord>();
  readonly #configs = new Map<Digest, ImageConfig>();
  /** Full reference string → image ID. */
  readonly #refs = new Map<string, Digest>();
  readonly #leases = new Map<Digest, number>();
  readonly #onEvent?: (e: ImageEvent) => void;

  private constructor(root: string, content: ContentStore, onEvent?: (e: ImageEvent) => void) {
    this.root = root;
    this.content = content;
    this.#onEvent = onEvent;
  }

  static async open(root: string, opts: { onEvent?: (e: ImageEvent) => void } = {}): Promise<ImageStore> {
    const content = await ContentStore.open(join(root, 'content'));
    const store = new ImageStore(root, content, opts.onEvent);
    const dir = join(root, 'images');
    mkdirSync(dir, { recursive: true });
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (!/^[a-f0-9]{64}\.json$/.test(name)) {
        if (name.includes('.tmp-')) rmSync(path, { force: true });
        continue;
      }
      const rec = JSON.parse(readFileSync(path, 'utf8')) as ImageRecord;
      try {
        store.#configs.set(rec.id, JSON.parse((await content.read(rec.id)).toString('utf8')));
        store.#records.set(rec.id, rec);
      } catch {
        unlinkSync(path); // a record whose config blob is gone cannot be used
      }
    }
    const refsPath = join(root, 'repositories.json');
    for (const name of readdirSync(root))
      if (name.startsWith('repositories.json.tmp-')) rmSync(join(root, name));
    if (existsSync(refsPath)) {
      const file = JSON.parse(readFileSync(refsPath, 'utf8')) as RefsFile;
      for (const [ref, id] of Object.entries(file.refs ?? {}))
        if (store.#records.has(id)) store.#refs.set(ref, id);
    }
    return store;
  }

  // ---- records -------------------------------------------------------------------------------

  /**
   * Registers an image whose config is in the content store. The layers must match the config's
   * rootfs.diff_ids. Adding an image that exists keeps its record and merges new manifests.
   */
  async add(input: AddImageInput): Promise<Image> {
    const config = parseConfig(await this.content.read(input.id), input.id);
    const diffIds = config.rootfs.diff_ids;
    if (diffIds.length !== input.layers.length || diffIds.some((d, i) => d !== input.layers[i].diffId))
      throw invalidArgument(`image ${input.id}: layers do not match the config's rootfs.diff_ids`);
    const existing = this.#records.get(input.id);
    const chains = chainIds(diffIds);
    const rec: ImageRecord = existing
      ? { ...existing, manifests: mergeDescriptors(existing.manifests, input.manifests ?? []) }
      : {
          id: input.id,
          layers: input.layers.map((l, i) => ({ ...l, chainId: chains[i] })),
          manifests: input.manifests ?? [],
          parent: input.parent,
          added: new Date().toISOString(),
        };
    if (existing) {
      // Fill in blob facts an earlier add lacked (an import followed by a load, say).
      rec.layers = existing.layers.map((l, i) => ({
        ...input.layers[i],
        ...stripUndefined(l),
        chainId: l.chainId,
      }));
    }
    this.#configs.set(rec.id, config);
    this.#writeRecord(rec);
    return this.#view(rec);
  }

  #writeRecord(rec: ImageRecord): void {
    writeFileAtomic(join(this.root, 'images', `${digestHex(rec.id)}.json`), JSON.stringify(rec));
    this.#records.set(rec.id, rec);
  }

  #writeRefs(): void {
    const refs: Record<string, Digest> = {};
    for (const [k, v] of [...this.#refs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) refs[k] = v;
    writeFileAtomic(join(this.root, 'repositories.json'), JSON.stringify({ refs } satisfies RefsFile));
  }

  #view(rec: ImageRecord): Image {
    const repoTags: string[] = [];
    const repoDigests: string[] = [];
    for (const ref of this.references(rec.id)) {
      if (ref.digest) repoDigests.push(familiarString(ref));
      else repoTags.push(familiarString(ref));
    }
    return {
      ...rec,
      config: this.#configs.get(rec.id)!,
      repoTags,
      repoDigests,
      size: rec.layers.reduce((n, l) => n + l.diffSize, 0),
    };
  }

  /** Every image, unordered. */
  all(): Image[] {
    return [...this.#records.values()].map((r) => this.#view(r));
  }

  has(id: Digest): boolean {
    return this.#records.has(id);
  }

  /** The images whose parent is `id`. */
  children(id: Digest): Digest[] {
    return [...this.#records.values()].filter((r) => r.parent === id).map((r) => r.id);
  }

  /** The parsed references pointing at an image, sorted. */
  references(id: Digest): Reference[] {
    return [...this.#refs]
      .filter(([, v]) => v === id)
      .map(([k]) => k)
      .sort()
      .map((k) => parseReference(k));
  }

  /** Every reference with the image it names: [parsed reference, image ID]. */
  referenceEntries(): [Reference, Digest][] {
    return [...this.#refs]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([k, v]) => [parseReference(k), v]);
  }

  /** A layer some image already has, by ChainID (its sizes are known). */
  findLayer(chainId: Digest): LayerRecord | undefined {
    for (const r of this.#records.values()) {
      const l = r.layers.find((x) => x.chainId === chainId);
      if (l) return l;
    }
    return undefined;
  }

  // ---- resolution ----------------------------------------------------------------------------

  /**
   * Resolves as `docker image inspect` does: a full ID (`sha256:…` or 64 hex), a name (`:latest`
   * by default) or digest reference, then a unique ID prefix. Undefined when nothing matches.
   */
  resolve(nameOrId: string): Image | undefined {
    const s = nameOrId;
    if (/^[a-f0-9]{64}$/.test(s) || isDigest(s)) {
      const rec = this.#records.get(s.startsWith('sha256:') ? s : `sha256:${s}`);
      return rec && this.#view(rec);
    }
    const ref = parseReference(s); // InvalidArgument for malformed names
    const id = this.#refs.get(formatReference(withDefaultTag(ref)));
    if (id) return this.#view(this.#records.get(id)!);
    const prefix = s.startsWith('sha256:') ? s.slice(7) : s;
    if (/^[a-f0-9]+$/.test(prefix)) {
      const hits = [...this.#records.keys()].filter((k) => k.startsWith(`sha256:${prefix}`));
      if (hits.length === 1) return this.#view(this.#records.get(hits[0])!);
    }
    return undefined;
  }

  /** Like resolve; throws NotFound `No such image: busybx:latest`. */
  get(nameOrId: string): Image {
    const img = this.resolve(nameOrId);
    if (!img) throw noSuchImage(nameOrId);
    return img;
  }

  // ---- references ----------------------------------------------------------------------------

  /**
   * `docker tag SOURCE TARGET`: points TARGET (`repo[:tag]`, :latest by default) at the image,
   * moving it from any other image. Returns the familiar form of the new tag.
   */
  tag(source: string, target: string): string {
    const img = this.get(source);
    const ref = withDefaultTag(parseReference(target));
    if (ref.digest) throw invalidArgument('refusing to create a tag with a digest reference');
    if (familiarName(ref) === 'sha256')
      throw invalidArgument('refusing to create an ambiguous tag using digest algorithm as name');
    this.#setRef(ref, img.id);
    return familiarString(ref);
  }

  /** Adds a digest reference `repo@sha256:…` (a pull records the manifest digest this way). */
  addDigestRef(ref: string, id: Digest): void {
    const r = parseReference(ref);
    if (!r.digest || r.tag) throw invalidArgument(`${ref}: not a digest reference`);
    if (!this.#records.has(id)) throw noSuchImage(id);
    this.#setRef(r, id);
  }

  /** Sets a reference; returns the image it was moved from, if any. */
  #setRef(ref: Reference, id: Digest): Digest | undefined {
    const key = formatReference(ref);
    const old = this.#refs.get(key);
    this.#refs.set(key, id);
    this.#writeRefs();
    if (!ref.digest) {
      const rec = this.#records.get(id)!;
      this.#writeRecord({ ...rec, lastTagTime: new Date().toISOString() });
    }
    this.#emit({ action: 'tag', id, ref: familiarString(ref) });
    return old === id ? undefined : old;
  }

  /** Sets a tag given in full or familiar form; returns the previous image it named, if other. */
  setTag(ref: string, id: Digest): Digest | undefined {
    if (!this.#records.has(id)) throw noSuchImage(id);
    return this.#setRef(withDefaultTag(parseReference(ref)), id);
  }

  /** Removes one reference (`:latest` by default); false if it did not exist. */
  untag(ref: string): boolean {
    const r = withDefaultTag(parseReference(ref));
    const key = formatReference(r);
    const id = this.#refs.get(key);
    if (!id) return false;
    this.#refs.delete(key);
    this.#writeRefs();
    this.#emit({ action: 'untag', id, ref: familiarString(r) });
    return true;
  }

  // ---- deletion ------------------------------------------------------------------------------

  /** `docker rmi`: moby's ImageDelete, untag vs delete, conflicts and parent pruning. */
  async delete(nameOrId: string, opts: DeleteOptions = {}): Promise<DeleteResult> {
    const img = this.get(nameOrId);
    const force = opts.force ?? false;
    const inUse = opts.inUse ?? (() => undefined);
    const items: DeleteItem[] = [];
    const id = img.id;
    let repoRefs = this.references(id);
    let quiet = false;
    if (!isIdPrefix(id, nameOrId)) {
      if (!force && isSingleReference(repoRefs)) {
        const user = inUse(id);
        if (user)
          throw conflict(
            `conflict: unable to remove repository reference "${nameOrId}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(id)}`,
          );
      }
      const ref = withDefaultTag(parseReference(nameOrId));
      this.#dropRef(ref, items);
      repoRefs = this.references(id);
      if (!ref.digest && !repoRefs.some((r) => !r.digest && repoName(r) === repoName(ref))) {
        for (const r of repoRefs) if (r.digest && repoName(r) === repoName(ref)) this.#dropRef(r, items);
        repoRefs = this.references(id);
      }
      if (repoRefs.length > 0) {
        this.#writeRefs();
        return { items, removedLayers: [] };
      }
      quiet = true;
    } else if (isSingleReference(repoRefs)) {
      const c = this.#conflict(id, force ? HARD : HARD | STOPPED, inUse);
      if (c) throw c.error;
      for (const r of repoRefs) this.#dropRef(r, items);
    }
    this.#writeRefs();
    const removedLayers: Digest[] = [];
    await this.#deleteHelper(id, items, removedLayers, force, opts.prune ?? true, quiet, inUse);
    return { items, removedLayers };
  }

  #dropRef(ref: Reference, items: DeleteItem[]): void {
    const key = formatReference(ref);
    const id = this.#refs.get(key);
    if (!id) return;
    this.#refs.delete(key);
    items.push({ Untagged: familiarString(ref) });
    this.#emit({ action: 'untag', id, ref: familiarString(ref) });
  }

  #conflict(id: Digest, mask: number, inUse: InUse): { error: Error; used: boolean } | undefined {
    const make = (hard: boolean, message: string, used: boolean) => ({
      used,
      error: conflict(
        `conflict: unable to delete ${shortId(id)} (${hard ? 'cannot be forced' : 'must be forced'}) - ${message}`,
      ),
    });
    if (mask & CHILD && this.children(id).length > 0)
      return make(true, 'image has dependent child images', false);
    const user = inUse(id);
    if (mask & RUNNING && user?.running)
      return make(true, `image is being used by running container ${shortId(user.id)}`, true);
    if (mask & REFERENCED && this.references(id).length > 0)
      return make(false, 'image is referenced in multiple repositories', false);
    if (mask & STOPPED && user && !user.running)
      return make(false, `image is being used by stopped container ${shortId(user.id)}`, true);
    return undefined;
  }

  async #deleteHelper(
    id: Digest,
    items: DeleteItem[],
    removedLayers: Digest[],
    force: boolean,
    prune: boolean,
    quiet: boolean,
    inUse: InUse,
  ): Promise<void> {
    const c = this.#conflict(id, force ? HARD : HARD | SOFT, inUse);
    if (c) {
      const dangling = this.references(id).length === 0;
      if (quiet && (!dangling || c.used)) return;
      throw c.error;
    }
    const rec = this.#records.get(id)!;
    for (const r of this.references(id)) this.#dropRef(r, items);
    this.#writeRefs();
    await this.#remove(rec, removedLayers);
    items.push({ Deleted: id });
    for (const l of removedLayers) items.push({ Deleted: l });
    this.#emit({ action: 'delete', id });
    if (prune && rec.parent && this.#records.has(rec.parent))
      await this.#deleteHelper(rec.parent, items, removedLayers, false, true, true, inUse);
  }

  /** Removes the record and the blobs no other image (or lease) uses; lists freed ChainIDs. */
  async #remove(rec: ImageRecord, removedLayers: Digest[]): Promise<void> {
    unlinkSync(join(this.root, 'images', `${digestHex(rec.id)}.json`));
    this.#records.delete(rec.id);
    this.#configs.delete(rec.id);
    const usedBlobs = new Set<Digest>(this.#leases.keys());
    const usedChains = new Set<Digest>();
    for (const r of this.#records.values()) {
      usedBlobs.add(r.id);
      for (const m of r.manifests) usedBlobs.add(m.digest);
      for (const l of r.layers) {
        if (l.digest) usedBlobs.add(l.digest);
        usedChains.add(l.chainId);
      }
    }
    const blobs = [
      rec.id,
      ...rec.manifests.map((m) => m.digest),
      ...rec.layers.flatMap((l) => l.digest ?? []),
    ];
    for (const b of new Set(blobs)) if (!usedBlobs.has(b)) await this.content.delete(b);
    for (const l of [...rec.layers].reverse()) if (!usedChains.has(l.chainId)) removedLayers.push(l.chainId);
  }

  /**
   * Holds blobs against garbage collection while an operation (a load, a pull) has stored them
   * but not yet registered the image that uses them. Call the returned function when done.
   */
  lease(digests: Iterable<Digest>): () => void {
    const held = [...digests];
    for (const d of held) this.#leases.set(d, (this.#leases.get(d) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      for (const d of held) {
        const n = (this.#leases.get(d) ?? 1) - 1;
        if (n <= 0) this.#leases.delete(d);
        else this.#leases.set(d, n);
      }
    };
  }

  /** Whether any image record uses a blob (config, manifest or layer). */
  blobInUse(digest: Digest): boolean {
    if (this.#leases.has(digest)) return true;
    for (const r of this.#records.values()) {
      if (r.id === digest || r.manifests.some((m) => m.digest === digest)) return true;
      if (r.layers.some((l) => l.digest === digest)) return true;
    }
    return false;
  }

  #emit(e: ImageEvent): void {
    this.#onEvent?.(e);
  }
}

const CHILD = 1;
const RUNNING = 2;
const REFERENCED = 4;
const STOPPED = 8;
const HARD = CHILD | RUNNING;
const SOFT = REFERENCED | STOPPED;

/** NotFound with Docker's wording: names get `:latest`, IDs are shown as given. */
export function noSuchImage(nameOrId: string): Error {
  let shown = nameOrId;
  if (!/^[a-f0-9]{64}$/.test(nameOrId) && !isDigest(nameOrId)) {
    try {
      shown = familiarString(withDefaultTag(parseReference(nameOrId)));
    } catch {
      // keep the input as given
    }
  }
  return notFound(`No such image: ${shown}`);
}

/** moby isImageIDPrefix: the input is a prefix of the image ID (with or without sha256:). */
function isIdPrefix(id: Digest, s: string): boolean {
  if (id.startsWith(s)) return true;
  const hex = digestHex(id);
  return /^[a-f0-9]+$/.test(s) && hex.startsWith(s);
}

/** moby isSingleReference: all references in one repository, at most one of them a tag. */
function isSingleReference(refs: Reference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: Reference | undefined;
  const canonical = new Set<string>();
  for (const r of refs) {
    if (r.digest) canonical.add(repoName(r));
    else if (!single) single = r;
    else return false;
  }
  single ??= refs[0];
  return canonical.size === 1 && canonical.has(repoName(single));
}

function mergeDescriptors(a: Descriptor[], b: Descriptor[]): Descriptor[] {
  const out = [...a];
  for (const d of b) if (!out.some((x) => x.digest === d.digest)) out.push(d);
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Parses and checks an image config blob. */
export function parseConfig(data: Buffer | string, what: string): ImageConfig {
  let config: ImageConfig;
  try {
    config = JSON.parse(data.toString());
  } catch (err) {
    throw invalidArgument(`image config ${what}: invalid JSON`, err);
  }
  if (typeof config !== 'object' || config === null || !Array.isArray(config.rootfs?.diff_ids))
    throw invalidArgument(`image config ${what}: no rootfs.diff_ids`);
  for (const d of config.rootfs.diff_ids)
    if (!isDigest(d)) throw invalidArgument(`image config ${what}: invalid diff_id ${JSON.stringify(d)}`);
  return config;
}
