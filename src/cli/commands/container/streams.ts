// The local side of a hijacked attach/exec stream, as docker/cli's hijackedIOStreamer: stdin
// (raw mode with a tty, the detach keys ctrl-p ctrl-q caught locally) to the socket and a
// half-close when it ends; the socket's output to stdout/stderr (frames without a tty) until the
// daemon closes it. Also the tty size monitor and signal forwarding of run/start/attach/exec.

import { spawnSync } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { ApiClient, HijackedConnection } from '../../../api/client/client.ts';
import { copyRaw, demux } from '../../../api/client/stdcopy.ts';

const NAMED_KEYS: Record<string, number> = {
  'ctrl-@': 0,
  'ctrl-[': 27,
  'ctrl-\\': 28,
  'ctrl-]': 29,
  'ctrl-^': 30,
  'ctrl-_': 31,
};
for (let i = 0; i < 26; i++) NAMED_KEYS[`ctrl-${String.fromCharCode(97 + i)}`] = i + 1;

export const DEFAULT_ESCAPE_KEYS = [16, 17];

/** moby/term ToBytes: `ctrl-p,ctrl-q` → [16, 17]; single characters stand for themselves. */
export function parseDetachKeys(keys: string): number[] {
  const codes: number[] = [];
  for (const key of keys.split(',')) {
    if (key.length === 1) codes.push(key.charCodeAt(0));
    else {
      const code = NAMED_KEYS[key.toLowerCase()];
      if (code === undefined) throw new Error(`Unknown character: '${key}'`);
      codes.push(code);
    }
  }
  return codes;
}

/**
 * Watches input for the escape sequence: bytes that might start it are held back, then either
 * released (the sequence broke off) or dropped (it completed: the user detaches).
 */
export class EscapeProxy {
  readonly #keys: number[];
  #pos = 0;

  constructor(keys: number[]) {
    this.#keys = keys;
  }

  /** The bytes to send for this input, and whether the sequence completed. */
  feed(chunk: Buffer): { data: Buffer; detached: boolean } {
    if (this.#keys.length === 0) return { data: chunk, detached: false };
    const out: number[] = [];
    for (const byte of chunk) {
      if (byte === this.#keys[this.#pos]) {
        this.#pos++;
        if (this.#pos === this.#keys.length) return { data: Buffer.from(out), detached: true };
        continue;
      }
      if (this.#pos > 0) {
        out.push(...this.#keys.slice(0, this.#pos));
        this.#pos = 0;
        if (byte === this.#keys[0]) {
          this.#pos = 1;
          continue;
        }
      }
      out.push(byte);
    }
    return { data: Buffer.from(out), detached: false };
  }
}

export interface StreamOptions {
  conn: HijackedConnection;
  tty: boolean;
  stdin?: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout?: Writable | null;
  stderr?: Writable | null;
  /** The detach sequence (`--detach-keys`); with a tty the default is ctrl-p,ctrl-q. */
  detachKeys?: string;
  /** Prints a warning (invalid detach keys). */
  warn?: (message: string) => void;
}

/** How a stream ended: the output finished, or the user typed the detach keys. */
export type StreamEnd = 'done' | 'detached';

/** Runs the streams until the output ends or the user detaches; restores the terminal. */
export async function streamHijacked(o: StreamOptions): Promise<StreamEnd> {
  const { conn, tty, stdin } = o;
  let raw = false;
  if (stdin && tty && stdin.isTTY && stdin.setRawMode) {
    stdin.setRawMode(true);
    // libuv's raw mode keeps output post-processing (\n → \r\n); docker's clears it, so the
    // container's own \r\n reaches the terminal as is. setRawMode(false) restores it.
    if (stdin === process.stdin) spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
    raw = true;
  }
  const restore = () => {
    if (raw) {
      raw = false;
      stdin?.setRawMode?.(false);
    }
  };
  let keys = DEFAULT_ESCAPE_KEYS;
  if (o.detachKeys) {
    try {
      keys = parseDetachKeys(o.detachKeys);
    } catch (err) {
      o.warn?.(`invalid detach escape keys, using default: ${(err as Error).message}`);
    }
  }
  const proxy = stdin && tty ? new EscapeProxy(keys) : undefined;

  let detach: () => void = () => {};
  const detached = new Promise<StreamEnd>((resolve) => {
    detach = () => resolve('detached');
  });
  let onData: ((d: Buffer) => void) | undefined;
  let onEnd: (() => void) | undefined;
  if (stdin) {
    onData = (d: Buffer) => {
      const { data, detached: done } = proxy ? proxy.feed(d) : { data: d, detached: false };
      if (data.length && !conn.socket.destroyed) conn.socket.write(data);
      if (done) {
        restore();
        detach();
      }
    };
    onEnd = () => {
      restore();
      if (!conn.socket.destroyed) conn.socket.end();
    };
    stdin.on('data', onData);
    stdin.once('end', onEnd);
    stdin.resume();
  }
  const wantsOutput = Boolean(o.stdout || o.stderr);
  const output = (async (): Promise<StreamEnd> => {
    try {
      if (tty) await copyRaw(conn.socket, o.stdout ?? null);
      else await demux(conn.socket, o.stdout ?? null, o.stderr ?? null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') throw err;
    } finally {
      restore();
    }
    return 'done';
  })();
  try {
    if (!wantsOutput && stdin) {
      // Nothing to print: stdin ending (or the detach keys) ends the stream.
      const inputDone = new Promise<StreamEnd>((resolve) => stdin.once('end', () => resolve('done')));
      return await Promise.race([inputDone, detached, output]);
    }
    return await Promise.race([output, detached]);
  } finally {
    restore();
    if (stdin) {
      if (onData) stdin.off('data', onData);
      if (onEnd) stdin.off('end', onEnd);
      stdin.pause();
    }
    conn.socket.destroy();
  }
}

/** Resizes the container's (or exec's) tty to the terminal's, now and on every SIGWINCH. */
export function monitorTtySize(
  client: ApiClient,
  path: string,
  out: NodeJS.WriteStream,
  onFail?: (message: string) => void,
): () => void {
  const resize = async () => {
    const { rows, columns } = out;
    if (!rows && !columns) return;
    await client.request('POST', `${path}/resize`, { query: { h: rows, w: columns } });
  };
  resize().catch(async () => {
    for (let retry = 0; retry < 10; retry++) {
      await new Promise((r) => setTimeout(r, (retry + 1) * 10));
      try {
        await resize();
        return;
      } catch {
        // try again
      }
    }
    onFail?.('failed to resize tty, using default size');
  });
  const onResize = () => {
    resize().catch(() => {});
  };
  out.on('resize', onResize);
  return () => out.off('resize', onResize);
}

/**
 * The signals a CLI can catch and forwards to the container: not SIGCHLD, SIGPIPE or SIGWINCH
 * (resizes go through the resize call), and not SIGPROF, which belongs to the runtime the way
 * SIGURG belongs to Go's (the docker CLI skips that one): V8's sampling profiler (`--cpu-prof`)
 * sends it to itself hundreds of times a second, and each would become a kill request.
 */
export const FORWARDED_SIGNALS: NodeJS.Signals[] = [
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGTERM',
  'SIGUSR1',
  'SIGUSR2',
  'SIGALRM',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGCONT',
  'SIGVTALRM',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGPWR',
];

/** Forwards the signals this process gets to the container (`POST …/kill?signal=`). */
export function forwardSignals(client: ApiClient, id: string): () => void {
  const handlers = FORWARDED_SIGNALS.map((sig) => {
    const handler = () => {
      client
        .request('POST', `/containers/${encodeURIComponent(id)}/kill`, { query: { signal: sig.slice(3) } })
        .catch(() => {});
    };
    try {
      process.on(sig, handler);
    } catch {
      return undefined;
    }
    return [sig, handler] as const;
  });
  return () => {
    for (const h of handlers) if (h) process.off(h[0], h[1]);
  };
}
