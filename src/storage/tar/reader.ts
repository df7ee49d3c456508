// A streaming tar reader: pulls chunks from an async iterable (a Readable, a decompressor)
// only as fast as the consumer takes entries and their bodies, so backpressure reaches the
// source. Handles ustar, GNU long names/links (`L`/`K`), PAX extended and global headers.

import { invalidArgument } from '../../common/errors.ts';
import { applyPax, BLOCK, decodeHeader, isZeroBlock, parsePax, type TarHeader } from './header.ts';

export interface TarEntry extends TarHeader {
  /** The entry's data, `size` bytes. Read it before asking for the next entry, or it is skipped. */
  body: AsyncIterable<Buffer>;
  /**
   * The whole data at once, when the reader already held all of it (small files, mostly): the
   * same bytes `body` yields, without a round trip through it.
   */
  data?: Buffer;
}

/** Longest PAX or GNU long-name payload accepted (a hostile archive could claim gigabytes). */
const MAX_META = 1 << 20;

/** Where bytes come from: a Readable, an async generator, an array of buffers, one buffer. */
export type ChunkSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Uint8Array;

/** Exact-size reads over a chunked source. */
export class ByteSource {
  private readonly it: AsyncIterator<Uint8Array>;
  private chunk: Buffer = Buffer.alloc(0);
  private done = false;
  /** Bytes consumed so far. */
  offset = 0;

  constructor(source: ChunkSource) {
    const chunks = source instanceof Uint8Array ? [source] : source;
    this.it =
      Symbol.asyncIterator in chunks
        ? chunks[Symbol.asyncIterator]()
        : (async function* () {
            yield* chunks;
          })();
  }

  private async fill(): Promise<boolean> {
    while (this.chunk.length === 0 && !this.done) {
      const r = await this.it.next();
      if (r.done) this.done = true;
      else this.chunk = Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value);
    }
    return this.chunk.length > 0;
  }

  /** Exactly `n` bytes if they are already buffered (no await), else undefined. */
  takeSync(n: number): Buffer | undefined {
    if (this.chunk.length < n) return undefined;
    const out = this.chunk.subarray(0, n);
    this.chunk = this.chunk.subarray(n);
    this.offset += n;
    return out;
  }

  /** Up to `max` bytes (fewer at a chunk boundary); empty at the end. */
  async some(max: number): Promise<Buffer> {
    if (!(await this.fill())) return Buffer.alloc(0);
    const n = Math.min(max, this.chunk.length);
    const out = this.chunk.subarray(0, n);
    this.chunk = this.chunk.subarray(n);
    this.offset += n;
    return out;
  }

  /** Exactly `n` bytes, or fewer only at the end of the source. */
  async read(n: number): Promise<Buffer> {
    const first = await this.some(n);
    if (first.length === n || first.length === 0) return first;
    const parts = [first];
    let got = first.length;
    while (got < n) {
      const more = await this.some(n - got);
      if (more.length === 0) break;
      parts.push(more);
      got += more.length;
    }
    return Buffer.concat(parts, got);
  }

  async skip(n: number): Promise<void> {
    if (n === 0 || this.takeSync(n)) return;
    while (n > 0) {
      const got = await this.some(n);
      if (got.length === 0) throw invalidArgument('tar: unexpected end of archive');
      n -= got.length;
    }
  }

  /** Reads to the end (trailing padding after the end-of-archive blocks). */
  async drain(): Promise<void> {
    while ((await this.some(1 << 20)).length > 0);
  }

  /** Stops the source early (when the consumer gives up). */
  async close(): Promise<void> {
    if (!this.done) await this.it.return?.();
  }
}

const EMPTY = Buffer.alloc(0);

const pad = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

async function readMeta(src: ByteSource, size: number, what: string): Promise<Buffer> {
  if (size > MAX_META) throw invalidArgument(`tar: ${what} of ${size} bytes is too large`);
  const data = await src.read(size);
  if (data.length < size) throw invalidArgument('tar: unexpected end of archive');
  await src.skip(pad(size));
  return data;
}

const cString = (b: Buffer) => {
  const end = b.indexOf(0);
  return b.toString('utf8', 0, end < 0 ? b.length : end);
};

/** Yields each entry of a tar stream; reads the source to its end (so a digest over it is whole). */
export async function* readTar(source: ChunkSource): AsyncGenerator<TarEntry> {
  const src = new ByteSource(source);
  let pax = new Map<string, Buffer>();
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const at = src.offset;
      const block = src.takeSync(BLOCK) ?? (await src.read(BLOCK));
      if (block.length === 0) break; // no end-of-archive blocks: accepted, like GNU tar
      if (block.length < BLOCK) throw invalidArgument('tar: unexpected end of archive');
      if (isZeroBlock(block)) {
        await src.drain();
        break;
      }
      const h = decodeHeader(block, at);
      if (h.typeflag === 'x' || h.typeflag === 'g') {
        const records = parsePax(await readMeta(src, h.size, 'a PAX header'));
        if (h.typeflag === 'x') pax = records; // global headers carry nothing layers need
        continue;
      }
      if (h.typeflag === 'L' || h.typeflag === 'K') {
        const value = cString(await readMeta(src, h.size, 'a GNU long name'));
        if (h.typeflag === 'L') longName = value;
        else longLink = value;
        continue;
      }
      if (longName !== undefined) h.name = longName;
      if (longLink !== undefined) h.linkname = longLink;
      applyPax(h, pax);
      pax = new Map();
      longName = longLink = undefined;
      if (!Number.isSafeInteger(h.size) || h.size < 0)
        throw invalidArgument(`tar: entry "${h.name}": invalid size`);
      // Links, directories and devices have no data whatever size they claim (ustar).
      const dataSize = h.type === 'file' || h.type === 'other' ? h.size : 0;
      const data = dataSize === 0 ? EMPTY : src.takeSync(dataSize);
      let remaining = data ? 0 : dataSize;
      async function* body(): AsyncGenerator<Buffer> {
        if (data?.length) yield data;
        while (remaining > 0) {
          const chunk = await src.some(remaining);
          if (chunk.length === 0) throw invalidArgument(`tar: entry "${h.name}": unexpected end of archive`);
          remaining -= chunk.length;
          yield chunk;
        }
      }
      yield data ? { ...h, body: body(), data } : { ...h, body: body() };
      await src.skip(remaining + pad(dataSize));
    }
  } finally {
    await src.close();
  }
}
