// Images in the engine: the image store with events, queries in Docker's shapes, and (with
// the storage layer) unpacking on load and import. HTTP knows nothing of this module's insides.

import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { errorKind } from '../common/errors.ts';
import { makeEvent } from '../common/events.ts';
import { importImage } from '../image/archive/import.ts';
import type { UnpackLayer } from '../image/archive/layers.ts';
import { loadArchive } from '../image/archive/load.ts';
import { saveImages } from '../image/archive/save.ts';
import type { Digest } from '../image/digest.ts';
import {
  type Filters,
  imageHistory,
  imageSummary,
  inspectImage,
  listImages,
  pruneImages,
} from '../image/image-query.ts';
import { type ImageEvent, ImageStore, type InUse } from '../image/image-store.ts';
import { familiarString, parseReference } from '../image/reference.ts';
import { OverlaySnapshotter, type Snapshotter, VfsSnapshotter } from '../storage/index.ts';
import type { EventBus } from './events.ts';

/** The storage driver as dockerd names it: berth's `overlay` snapshotter is dockerd's overlay2. */
export function dockerDriverName(driver: string): string {
  return driver === 'overlay' ? 'overlay2' : driver;
}

export class Images {
  readonly store: ImageStore;
  readonly snapshots: Snapshotter;
  readonly #events: EventBus;
  /** Which container uses an image: set by the engine once containers exist. */
  inUse: InUse = () => undefined;

  private constructor(store: ImageStore, snapshots: Snapshotter, events: EventBus) {
    this.store = store;
    this.snapshots = snapshots;
    this.#events = events;
  }

  static async open(dataRoot: string, events: EventBus, driver: 'overlay' | 'vfs'): Promise<Images> {
    let images: Images | undefined;
    const store = await ImageStore.open(join(dataRoot, 'image'), { onEvent: (e) => images?.publish(e) });
    const snapshots =
      driver === 'overlay'
        ? new OverlaySnapshotter(join(dataRoot, 'overlay'))
        : new VfsSnapshotter(join(dataRoot, 'vfs'));
    images = new Images(store, snapshots, events);
    return images;
  }

  /** Unpacks layers for load and import: once per ChainID, checked against the DiffID. */
  readonly #unpack: UnpackLayer = async (_chainId, parent, tar, expectedDiffId) => {
    const r = await this.snapshots.unpack(parent, tar, { diffId: expectedDiffId });
    return { diffId: r.diffId as Digest, size: r.size, tarSize: r.tarSize };
  };

  readonly #has = (chainId: Digest) => this.snapshots.has(chainId);

  /** The snapshotter callbacks a pull unpacks layers through (and drops them with on failure). */
  layerOps() {
    return {
      unpackLayer: this.#unpack,
      hasLayer: this.#has,
      removeLayer: (chainId: Digest) => this.#release([chainId]),
    };
  }

  /** `docker load`: progress lines as the docker CLI prints them. */
  async load(source: AsyncIterable<Uint8Array>, progress: (line: string) => void): Promise<void> {
    const result = await loadArchive(this.store, source, {
      unpackLayer: this.#unpack,
      hasLayer: this.#has,
      onProgress: progress,
    });
    for (const r of result.replaced ?? []) {
      progress(
        `The image ${r.tag} already exists, renaming the old one with ID ${r.previousId} to empty string`,
      );
    }
    for (const image of result.images) this.publish({ action: 'load', id: image.id, ref: image.tags[0] });
  }

  /** `docker save`: a docker-archive of the named images. */
  save(names: string[]): Readable {
    const stream = saveImages(this.store, names);
    for (const name of names) this.publish({ action: 'save', id: this.store.get(name).id, ref: name });
    return stream;
  }

  /** `docker import`: a one-layer image from a root file system tar. */
  async import(
    source: AsyncIterable<Uint8Array>,
    opts: { reference?: string; changes: string[]; message?: string },
  ) {
    const r = await importImage(this.store, source, {
      unpackLayer: this.#unpack,
      hasLayer: this.#has,
      reference: opts.reference,
      changes: opts.changes,
      message: opts.message,
      source: '-',
    });
    this.publish({ action: 'import', id: r.id, ref: r.tag });
    return r;
  }

  /** Docker's image events: Actor.ID is the image ID, `name` the reference concerned. */
  publish(e: ImageEvent | { action: string; id: string; ref?: string }): void {
    const name = e.ref ? familiarString(parseReference(e.ref)) : e.id;
    this.#events.publish(makeEvent('image', e.action, e.id, { name }));
  }

  list(opts: { all?: boolean; filters?: Filters }, apiVersion: number) {
    return listImages(this.store, opts).map((item) => imageSummary(item, apiVersion));
  }

  inspect(name: string, apiVersion: number) {
    return inspectImage(this.store, name, { apiVersion, graphDriver: this.graphDriver(name) });
  }

  /** Docker's GraphDriver: for overlay (dockerd's overlay2) the top layer's directory and those under it. */
  graphDriver(name: string): { Name: string; Data: Record<string, string> | null } {
    const top = this.store.get(name).layers.at(-1)?.chainId;
    if (this.snapshots.driver !== 'overlay' || !top || !this.snapshots.has(top)) {
      return { Name: dockerDriverName(this.snapshots.driver), Data: null };
    }
    const { dir, lowers } = this.snapshots.layerDirs(top);
    return {
      Name: dockerDriverName(this.snapshots.driver),
      Data: { ...(lowers.length ? { LowerDir: lowers.join(':') } : {}), UpperDir: dir },
    };
  }

  history(name: string) {
    return imageHistory(this.store, name);
  }

  tag(source: string, repo: string, tag: string | undefined): void {
    const target = tag ? `${repo}:${tag}` : repo;
    this.store.tag(source, target);
  }

  async remove(name: string, opts: { force: boolean; noprune: boolean }) {
    const result = await this.store.delete(name, {
      force: opts.force,
      prune: !opts.noprune,
      inUse: this.inUse,
    });
    await this.#release(result.removedLayers);
    return result.items;
  }

  /** Removes the snapshots of layers no image uses any more (top layer first). */
  async #release(chainIds: readonly string[]): Promise<void> {
    for (const chainId of chainIds) {
      if (!this.snapshots.has(chainId)) continue;
      try {
        await this.snapshots.remove(chainId);
      } catch (err) {
        // still under another snapshot (a container's, later): it goes when that one does
        if (errorKind(err) !== 'Conflict') throw err;
      }
    }
  }

  async prune(filters: Filters) {
    const result = await pruneImages(this.store, { filters });
    await this.#release(result.removedLayers);
    this.#events.publish(makeEvent('image', 'prune', '', { reclaimed: String(result.SpaceReclaimed) }));
    return { ImagesDeleted: result.ImagesDeleted, SpaceReclaimed: result.SpaceReclaimed };
  }

  /** The images part of /system/df: every image, and the bytes all their layers take. */
  diskUsage(apiVersion: number) {
    const images = this.list({ all: true }, apiVersion);
    const seen = new Set<string>();
    let layersSize = 0;
    for (const image of this.store.all()) {
      for (const layer of image.layers) {
        if (seen.has(layer.chainId)) continue;
        seen.add(layer.chainId);
        layersSize += this.snapshots.has(layer.chainId) ? (this.snapshots.stat(layer.chainId).size ?? 0) : 0;
      }
    }
    return { LayersSize: layersSize, Images: images };
  }

  count(): number {
    return this.store.all().length;
  }
}
