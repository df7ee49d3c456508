// The Engine API's multiplexed stream (attach, exec and logs without a tty): frames of an
// 8-byte header `[stream, 0, 0, 0, size as big-endian uint32]` and `size` bytes of payload;
// stream 0 stdin, 1 stdout, 2 stderr, 3 an error from the daemon (moby's stdcopy).

import type { Readable, Writable } from 'node:stream';

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const SYSTEMERR = 3;

export interface Frame {
  stream: number;
  payload: Buffer;
}

/** Splits a byte stream into frames; chunks may cut headers and payloads anywhere. */
export class FrameParser {
  #buffered: Buffer[] = [];
  #length = 0;

  /** The frames completed by this chunk. */
  push(chunk: Buffer): Frame[] {
    this.#buffered.push(chunk);
    this.#length += chunk.length;
    const frames: Frame[] = [];
    if (this.#length < 8) return frames;
    let data = Buffer.concat(this.#buffered, this.#length);
    let offset = 0;
    while (data.length - offset >= 8) {
      const size = data.readUInt32BE(offset + 4);
      if (data.length - offset - 8 < size) break;
      frames.push({ stream: data[offset], payload: data.subarray(offset + 8, offset + 8 + size) });
      offset += 8 + size;
    }
    data = data.subarray(offset);
    this.#buffered = data.length ? [data] : [];
    this.#length = data.length;
    return frames;
  }

  /** Bytes of an incomplete frame still held. */
  get pending(): number {
    return this.#length;
  }
}

/** One frame as the daemon writes it. */
export function encodeFrame(stream: number, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

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
