// `GET /containers/json` as JSON text, each container's entry serialised once and kept until its
// record is saved again. With 1000 containers, building the 1000 summaries (ports, mounts, the
// `none` network's endpoint with its hashed ID) and stringifying ~700 kB took most of berthd's
// 10-16 ms per `ps`; only the Status words (`Up 3 minutes`), which move with the clock, are
// written per request. When those words and the entries are the ones of the previous answer (the
// containers have been up for minutes), that answer's encoded body is sent again.

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
  /** Date.parse of the records' StartedAt and FinishedAt, which every answer reads again */
  readonly #times = new Map<string, number>();
  readonly #parse = (time: string): number => {
    let ms = this.#times.get(time);
    if (ms === undefined) {
      ms = Date.parse(time);
      this.#times.set(time, ms);
    }
    return ms;
  };

  /** Entries kept. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The JSON array of the summaries of `recs`, in that order, newline-terminated: the previous
   * body again when every entry and Status is the same as then. `version` is the store's version
   * of a record (an entry is rebuilt when it differs, or when the image's name given for it
   * does); `shown` is the record as the API shows it (the fixed-mode endpoint added); `live` the
   * number of records in the store (entries of forgotten containers go once they outnumber them).
   */
  body(
    recs: readonly ContainerRecord[],
    version: (id: string) => number | undefined,
    imageName: (rec: ContainerRecord) => string,
    shown: (rec: ContainerRecord) => ContainerRecord,
    live: number,
    now = Date.now(),
  ): Buffer {
    const entries = new Array<Entry>(recs.length);
    const statuses = new Array<string>(recs.length);
    for (let i = 0; i < recs.length; i++) {
      const rec = recs[i];
      const v = version(rec.ID) ?? -1;
      const image = imageName(rec);
      let e = this.#entries.get(rec.ID);
      if (!e || e.version !== v || e.image !== image || v === -1) {
        e = { version: v, image, ...summaryJsonParts(shown(rec), image) };
        if (v !== -1) this.#entries.set(rec.ID, e);
      }
      entries[i] = e;
      statuses[i] = statusText(rec, now, this.#parse);
    }
    if (this.#entries.size > live + 64)
      for (const id of this.#entries.keys()) if (version(id) === undefined) this.#entries.delete(id);
    if (this.#times.size > 2 * live + 64) this.#times.clear();

    const last = this.#last;
    if (last && last.entries.length === entries.length) {
      let same = true;
      for (let i = 0; i < entries.length && same; i++)
        same = last.entries[i] === entries[i] && last.statuses[i] === statuses[i];
      if (same) return last.body;
    }
    const body = Buffer.from(`${joined(entries, statuses)}\n`);
    this.#last = { entries, statuses, body };
    return body;
  }

  #last: { entries: Entry[]; statuses: string[]; body: Buffer } | undefined;
}

function joined(entries: readonly Entry[], statuses: readonly string[]): string {
  const parts = new Array<string>(entries.length);
  for (let i = 0; i < entries.length; i++)
    parts[i] = `${entries[i].head}${JSON.stringify(statuses[i])}${entries[i].tail}`;
  return `[${parts.join(',')}]`;
}
