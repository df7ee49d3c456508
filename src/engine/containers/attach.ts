// Joining a client's stream (a hijacked API connection) to a shim connection: output frames out
// (multiplexed unless there is a tty), stdin in, detach keys watched, stdin closed when the
// client half-closes (if asked).

import type { Duplex } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';
import { encodeFrame } from '../../common/frames.ts';
import { FRAME, type ShimConnection } from './shim.ts';

export interface BridgeOptions {
  tty: boolean;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  detachKeys: Buffer;
  closeStdinOnEnd: boolean;
}

/** Docker's --detach-keys: comma-separated keys, `ctrl-<x>` or a single character. */
export function parseDetachKeys(text: string): Buffer {
  const out: number[] = [];
  const special: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
  for (const key of text.split(',')) {
    const k = key.trim();
    const m = /^ctrl-(.)$/i.exec(k);
    if (m) {
      const c = m[1].toLowerCase();
      if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
      else if (c in special) out.push(special[c]);
      else throw invalidArgument(`Unknown character: '${k}'`);
    } else if (k.length === 1) out.push(k.charCodeAt(0));
    else throw invalidArgument(`Unknown character: '${k}'`);
  }
  return Buffer.from(out);
}

/** parseDetachKeys for a request: InvalidArgument `message` (dockerd's words) when they do not parse. */
export function checkDetachKeys(text: string, message: string): void {
  try {
    parseDetachKeys(text);
  } catch (err) {
    throw invalidArgument(message, err);
  }
}

export interface Bridge {
  /** hands the bridge its shim connection (now, or when the container starts) */
  join(conn: ShimConnection): void;
  /** ends the bridge: the client's stream is closed, the shim connection dropped */
  finish(): void;
  /** resolves when the bridge has ended */
  done: Promise<void>;
}

export function bridge(stream: Duplex, o: BridgeOptions): Bridge {
  let conn: ShimConnection | undefined;
  let finished = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const finish = () => {
    if (finished) return;
    finished = true;
    conn?.close();
    if (!stream.destroyed) stream.end();
    resolveDone();
  };
  const join = (c: ShimConnection) => {
    if (finished) {
      c.close();
      return;
    }
    conn = c;
    for (const chunk of early) c.send(FRAME.STDIN, chunk);
    early.length = 0;
    c.onFrame((type, payload) => {
      if ((type === FRAME.STDOUT && o.stdout) || (type === FRAME.STDERR && o.stderr)) {
        // the shim's STDOUT/STDERR frames are Docker's multiplexed frames already
        stream.write(o.tty ? payload : encodeFrame(type, payload));
      } else if (type === FRAME.EXIT) finish();
    });
    void c.closed.then(finish);
    if (ended && o.closeStdinOnEnd && o.stdin) c.send(FRAME.CLOSE_STDIN);
  };
  const keys = o.detachKeys;
  let matched = 0;
  let ended = false;
  /** stdin that came before the container started (docker run -i sends it at once) */
  const early: Buffer[] = [];
  const send = (data: Buffer) => (conn ? conn.send(FRAME.STDIN, data) : early.push(data));
  stream.on('data', (chunk: Buffer) => {
    if (!o.stdin) return;
    if (matched === 0 && (keys.length === 0 || !chunk.includes(keys[0]))) {
      send(chunk);
      return;
    }
    // detach keys: held back while they match, passed on when they stop matching
    const out: number[] = [];
    for (const b of chunk) {
      if (b === keys[matched]) {
        if (++matched === keys.length) {
          if (out.length) send(Buffer.from(out));
          finish();
          return;
        }
        continue;
      }
      if (matched > 0) {
        out.push(...keys.subarray(0, matched));
        matched = 0;
        if (b === keys[0]) {
          matched = 1;
          continue;
        }
      }
      out.push(b);
    }
    if (out.length) send(Buffer.from(out));
  });
  stream.on('end', () => {
    ended = true;
    if (o.stdin && o.closeStdinOnEnd && conn) conn.send(FRAME.CLOSE_STDIN);
  });
  stream.on('close', finish);
  stream.on('error', finish);
  return { join, finish, done };
}
