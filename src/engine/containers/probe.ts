// What a healthcheck probe (an exec run by the health monitor) prints: the exec's attach stream
// is this Duplex, which takes the multiplexed frames written to it and keeps the first 4096
// bytes of stdout and stderr together, with "..." when there was more (dockerd's limitedBuffer).

import { Duplex } from 'node:stream';

export const PROBE_OUTPUT_MAX = 4096;

export interface ProbeResult {
  /** -1 when it did not finish in time or could not run */
  exitCode: number;
  output: string;
  /** it was killed after the timeout */
  timedOut: boolean;
}

export interface ProbeCapture {
  stream: Duplex;
  output(): string;
}

export function captureProbeOutput(max = PROBE_OUTPUT_MAX): ProbeCapture {
  const kept: Buffer[] = [];
  let size = 0;
  let truncated = false;
  let pending: Buffer = Buffer.alloc(0);
  const keep = (payload: Buffer) => {
    const room = Math.min(max - size, payload.length);
    if (room > 0) {
      kept.push(payload.subarray(0, room));
      size += room;
    }
    if (room < payload.length) truncated = true;
  };
  const stream = new Duplex({
    read() {},
    write(chunk: Buffer, _enc, done) {
      pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
      while (pending.length >= 8) {
        const len = pending.readUInt32BE(4);
        if (pending.length < 8 + len) break;
        keep(pending.subarray(8, 8 + len));
        pending = pending.subarray(8 + len);
      }
      done();
    },
    final(done) {
      this.push(null);
      done();
    },
  });
  return {
    stream,
    output: () => Buffer.concat(kept).toString('utf8') + (truncated ? '...' : ''),
  };
}
