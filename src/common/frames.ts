// The 8-byte framed stream that Docker's multiplexed attach/exec/logs streams use (moby's
// stdcopy), and that berth-shim speaks on its attach socket (native/SHIM.md): a header
// `[type, 0, 0, 0, size as big-endian uint32]`, then `size` bytes of payload.

export interface Frame {
  stream: number;
  payload: Buffer;
}

/** One frame. */
export function encodeFrame(stream: number, payload: Buffer | string = Buffer.alloc(0)): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
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
