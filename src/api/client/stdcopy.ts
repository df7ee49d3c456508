// The Engine API's multiplexed stream (attach, exec and logs without a tty): frames of an
// 8-byte header `[stream, 0, 0, 0, size as big-endian uint32]` and `size` bytes of payload;
// stream 0 stdin, 1 stdout, 2 stderr, 3 an error from the daemon (moby's stdcopy).

import type { Readable, Writable } from 'node:stream';
import { FrameParser } from '../../common/frames.ts';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEMERR = 3;

export { encodeFrame, type Frame, FrameParser } from '../../common/frames.ts';

function write(out: Writable, data: Buffer): Promise<void> | undefined {
  if (out.write(data)) return undefined;
  return new Promise((resolve, reject) => {
    const done = (err?: Error) => {
      out.off('drain', done);
      out.off('error', done);
      if (err) reject(err);
      else resolve();
    };
    out.once('drain', done);
    out.once('error', done);
  });
}

/**
 * stdcopy.StdCopy: writes stdout frames to `stdout` and stderr frames to `stderr` (either may be
 * null to drop them), waiting for each to drain; resolves at the end of `source`. A stream-3
 * frame fails with the daemon's message; an unknown stream number fails too.
 */
export async function demux(
  source: Readable,
  stdout: Writable | null,
  stderr: Writable | null,
): Promise<void> {
  const parser = new FrameParser();
  for await (const chunk of source) {
    for (const frame of parser.push(chunk as Buffer)) {
      let out: Writable | null;
      if (frame.stream === STDOUT || frame.stream === STDIN) out = stdout;
      else if (frame.stream === STDERR) out = stderr;
      else if (frame.stream === SYSTEMERR) throw new Error(`error from daemon in stream: ${frame.payload}`);
      else throw new Error(`Unrecognized input header: ${frame.stream}`);
      if (out) await write(out, frame.payload);
    }
  }
}

/** Copies a raw (tty) stream to `out` with backpressure. */
export async function copyRaw(source: Readable, out: Writable | null): Promise<void> {
  for await (const chunk of source) if (out) await write(out, chunk as Buffer);
}
