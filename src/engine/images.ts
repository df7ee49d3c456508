// Images in the engine: the image store with events, queries in Docker's shapes, and (with
// the storage layer) unpacking on load and import. HTTP knows nothing of this module's insides.

import { join } from 'node:path';
import { makeEvent } from '../common/events.ts';
import {
  type Filters,
  imageHistory,
  imageSummary,
  inspectImage,
  listImages,
  pruneImages,
} from '../image/image-query.ts';
import { type ImageEvent, ImageStore } from '../image/image-store.ts';
import { familiarString, parseReference } from '../image/reference.ts';
import type { EventBus } from './events.ts';

export class Images {
  readonly store: ImageStore;
  readonly #events: EventBus;
  readonly #driver: string;

  private constructor(store: ImageStore, events: EventBus, driver: string) {
    this.store = store;
    this.#events = events;
    this.#driver = driver;
  }

  static async open(dataRoot: string, events: EventBus, driver: string): Promise<Images> {
    let images: Images | undefined;
    const store = await ImageStore.open(join(dataRoot, 'image'), { onEvent: (e) => images?.publish(e) });
    images = new Images(store, events, driver);
    return images;
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
    return inspectImage(this.store, name, { apiVersion, graphDriver: { Name: this.#driver, Data: null } });
  }

  history(name: string) {
    return imageHistory(this.store, name);
  }

  tag(source: string, repo: string, tag: string | undefined): void {
    const target = tag ? `${repo}:${tag}` : repo;
    this.store.tag(source, target);
  }

  async remove(name: string, opts: { force: boolean; noprune: boolean }) {
    const result = await this.store.delete(name, { force: opts.force, prune: !opts.noprune });
    return result.items;
  }

  async prune(opts: { all: boolean; filters: Filters }) {
    const result = await pruneImages(this.store, opts);
    this.#events.publish(makeEvent('image', 'prune', '', { reclaimed: String(result.SpaceReclaimed) }));
    return { ImagesDeleted: result.ImagesDeleted, SpaceReclaimed: result.SpaceReclaimed };
  }

  count(): number {
    return this.store.all().length;
  }
}
