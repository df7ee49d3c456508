// What berthd holds in memory for a container while it runs: the monitor connection to its shim,
// the attach sessions waiting for it to start, and the promises waiters hang on.

import type { ShimConnection } from './shim.ts';

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

/** An attach session waiting for the container to start: joined to its shim, or finished. */
export interface PendingAttach {
  join(conn: ShimConnection): void;
  finish(): void;
}

export interface ExitInfo {
  StatusCode: number;
  Error: string | null;
}

export class Live {
  monitor: ShimConnection | undefined;
  /** attach sessions for the next start */
  readonly pending = new Set<PendingAttach>();
  /** resolved at the next exit (and replaced when the container starts again) */
  exited = deferred<ExitInfo>();
  /** resolved when the container is removed */
  readonly removed = deferred<ExitInfo>();
  /** serialises start/stop/remove/restart */
  #lock: Promise<unknown> = Promise.resolve();
  restartTimer: NodeJS.Timeout | undefined;
  /** the delay before the last automatic restart (ms), for dockerd's backoff; 0: none yet */
  restartDelay = 0;
  /**
   * A shim started when the container was created, waiting for its first start (which takes it)
   * until `timer` ends it.
   */
  earlyShim: { started: Promise<void>; timer: NodeJS.Timeout } | undefined;

  /** The early shim, now taken (by a start, or to be ended): its timer no longer runs. */
  takeEarlyShim(): { started: Promise<void>; timer: NodeJS.Timeout } | undefined {
    const early = this.earlyShim;
    this.earlyShim = undefined;
    if (early) clearTimeout(early.timer);
    return early;
  }

  serialize<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => {});
    return run;
  }
}
