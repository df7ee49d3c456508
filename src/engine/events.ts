// The event bus behind /events: subscribers with Docker's filters, and a bounded history so
// `since` can replay what happened before a client connected.

import { invalidArgument } from '../common/errors.ts';
import type { EngineEvent } from '../common/events.ts';

import type { Filters } from '../common/filters.ts';
import { MAX_TIMER_MS } from '../common/timers.ts';

export type { Filters };

/** Docker's filters JSON: `{"type":{"image":true}}` or the older `{"type":["image"]}`. */
export function parseFilters(json: string | undefined): Filters {
  if (!json) return {};
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw invalidArgument(`invalid filter: ${json}`);
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    throw invalidArgument(`invalid filter: ${json}`);
  const out: Filters = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(v)) out[key] = v.map(String);
    else if (v && typeof v === 'object') out[key] = Object.keys(v);
    else throw invalidArgument(`invalid filter '${key}'`);
  }
  return out;
}

function matches(event: EngineEvent, filters: Filters): boolean {
  const any = (key: string, values: string[]) =>
    !filters[key] || filters[key].some((f) => values.includes(f));
  const attrs = event.Actor.Attributes;
  const name = attrs.name ?? '';
  if (!any('type', [event.Type])) return false;
  if (!any('event', [event.Action, event.Action.split(':')[0]])) return false;
  if (!any('scope', [event.scope])) return false;
  for (const t of ['container', 'image', 'volume', 'network', 'daemon', 'plugin']) {
    if (filters[t] && (event.Type !== t || !any(t, [event.Actor.ID, name, event.Actor.ID.slice(0, 12)]))) {
      // images are also matched by the image a container event names
      if (!(t === 'image' && event.Type === 'container' && any(t, [attrs.image ?? '']))) return false;
    }
  }
  if (filters.label) {
    for (const l of filters.label) {
      const [k, v] = l.split('=', 2);
      if (!(k in attrs) || (v !== undefined && attrs[k] !== v)) return false;
    }
  }
  return true;
}

export interface Subscription {
  /** replayed history followed by live events; ends when `until` passes or the signal aborts */
  events: AsyncIterable<EngineEvent>;
}

export class EventBus {
  readonly #history: EngineEvent[] = [];
  readonly #subscribers = new Set<(e: EngineEvent) => void>();
  readonly #limit: number;

  constructor(limit = 1024) {
    this.#limit = limit;
  }

  get listeners(): number {
    return this.#subscribers.size;
  }

  publish(event: EngineEvent): void {
    this.#history.push(event);
    if (this.#history.length > this.#limit) this.#history.shift();
    for (const s of this.#subscribers) s(event);
  }

  /** since/until in nanoseconds since the epoch (undefined: open). */
  async *subscribe(
    opts: { since?: number; until?: number; filters?: Filters },
    signal: AbortSignal,
  ): AsyncGenerator<EngineEvent> {
    const filters = opts.filters ?? {};
    const wanted = (e: EngineEvent) =>
      matches(e, filters) &&
      (opts.since === undefined || e.timeNano >= opts.since) &&
      (opts.until === undefined || e.timeNano <= opts.until);
    const queue: EngineEvent[] = [];
    let wake: (() => void) | undefined;
    const listener = (e: EngineEvent) => {
      if (wanted(e)) {
        queue.push(e);
        wake?.();
      }
    };
    if (opts.since !== undefined) for (const e of this.#history) if (wanted(e)) queue.push(e);
    this.#subscribers.add(listener);
    const onAbort = () => wake?.();
    signal.addEventListener('abort', onAbort);
    let timer: NodeJS.Timeout | undefined;
    const until = opts.until;
    if (until !== undefined) {
      // a later `until` than one timer holds takes several
      const arm = () => {
        const ms = Math.max(0, until / 1e6 - Date.now());
        timer = setTimeout(
          () => {
            if (ms > MAX_TIMER_MS) return arm();
            timer = undefined;
            wake?.();
          },
          Math.min(ms, MAX_TIMER_MS),
        );
      };
      arm();
    }
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (signal.aborted) return;
        if (opts.until !== undefined && timer === undefined) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      this.#subscribers.delete(listener);
    }
  }
}
