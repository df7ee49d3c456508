// `GET /containers/json` as JSON text, each container's entry serialised once and kept until its
// record is saved again. With 1000 containers, building the 1000 summaries (ports, mounts, the
// `none` network's endpoint with its hashed ID) and stringifying ~700 kB took most of berthd's
// 10-16 ms per `ps`; only the Status words (`Up 3 minutes`), which move with the clock, are
// written per request.

import { statusText, summaryJsonParts } from './inspect.ts';
import type { ContainerRecord } from './record.ts';

interface Entry {
  version: number;
  image: string;
  head: string;
  tail: string;
}

export class ListCache {
  readonly #entries = new Map<string, Entry>();

  /** Entries kept. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The JSON array of the summaries of `recs`, in that order. `version` is the store's version of
   * a record (an entry is rebuilt when it differs, or when the image's name given for it does);
   * `shown` is the record as the API shows it (the fixed-mode endpoint added); `live` the number
   * of records in the store (entries of forgotten containers go once they outnumber them).
   */
  json(
    recs: readonly ContainerRecord[],
    version: (id: string) => number | undefined,
    imageName: (rec: ContainerRecord) => string,
    shown: (rec: ContainerRecord) => ContainerRecord,
    live: number,
    now = Date.now(),
  ): string {
    const parts: string[] = [];
    for (const rec of recs) {
      const v = version(rec.ID) ?? -1;
      const image = imageName(rec);
      let e = this.#entries.get(rec.ID);
      if (!e || e.version !== v || e.image !== image || v === -1) {
        e = { version: v, image, ...summaryJsonParts(shown(rec), image) };
        if (v !== -1) this.#entries.set(rec.ID, e);
      }
      parts.push(`${e.head}${JSON.stringify(statusText(rec, now))}${e.tail}`);
    }
    if (this.#entries.size > live + 64)
      for (const id of this.#entries.keys()) if (version(id) === undefined) this.#entries.delete(id);
    return `[${parts.join(',')}]`;
  }
}
