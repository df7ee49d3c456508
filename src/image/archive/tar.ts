// A minimal streaming tar reader and writer for image archives (the outer tar of `docker save`
// and OCI layout tars). Layer contents are never parsed here: they go to the snapshotter.
// Reads ustar, GNU long names (L/K) and pax headers (path, linkpath, size); writes ustar with
// pax headers for long names. (src/storage/tar is the full implementation for layers; this one
// stays small and can be swapped for it once that lands.)

import { Readable } from 'node:stream';
import { invalidArgument } from '../../common/errors.ts';

const BLOCK = 512;
const ZERO = Buffer.alloc(BLOCK * 2);

export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  name: string;
  type: EntryType;
  /** The raw typeflag character. */
  typeflag: string;
  linkname: string;
  size: number;
  mode: number;
  /** The entry's data; whatever the consumer does not read is skipped. */
  body: AsyncIterable<Buffer>;
}

/** Reads exact byte counts from a chunk stream. */
class Bytes {
  readonly #it: AsyncIterator<Uint8Array>;
  #buf: Buffer = Buffer.alloc(0);
  #done = false;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.#it = source[Symbol.asyncIterator]();
  }

  async #fill(n: number): Promise<void> {
    while (this.#buf.length < n && !this.#done) {
      const r = await this.#it.next();
      if (r.done) this.#done = true;
      else this.#buf = this.#buf.length ? Buffer.concat([this.#buf, r.value]) : Buffer.from(r.value);
    }
  }

  /** Exactly n bytes, or null at a clean end of input. */
  async read(n: number): Promise<Buffer | null> {
    await this.#fill(n);
    if (this.#buf.length === 0 && this.#done) return null;
    if (this.#buf.length < n) throw invalidArgument('invalid tar archive: unexpected end of data');
    const out = this.#buf.subarray(0, n);
    this.#buf = this.#buf.subarray(n);
    return out;
  }

  /** Yields exactly n bytes in chunks. */
  async *take(n: number): AsyncGenerator<Buffer> {
    while (n > 0) {
      if (this.#buf.length === 0) {
        if (this.#done) throw invalidArgument('invalid tar archive: unexpected end of data');
        const r = await this.#it.next();
        if (r.done) {
          this.#done = true;
          continue;
        }
        this.#buf = Buffer.from(r.value);
      }
      const k = Math.min(n, this.#buf.length);
      const out = this.#buf.subarray(0, k);
      this.#buf = this.#buf.subarray(k);
      n -= k;
      yield out;
    }
  }

  async drain(): Promise<void> {
    this.#buf = Buffer.alloc(0);
    while (!this.#done) if ((await this.#it.next()).done) this.#done = true;
  }
}

function str(b: Buffer, off: number, len: number): string {
  const s = b.subarray(off, off + len);
  const nul = s.indexOf(0);
  return s.subarray(0, nul === -1 ? len : nul).toString('utf8');
}

function num(b: Buffer, off: number, len: number): number {
  if (b[off] & 0x80) {
    // base-256: big-endian two's complement with the top bit set
    let v = b[off] & 0x7f;
    for (let i = 1; i < len; i++) v = v * 256 + b[off + i];
    return v;
  }
  const s = str(b, off, len).trim();
  return s ? Number.parseInt(s, 8) : 0;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i];
  return sum === num(h, 148, 8);
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    if (sp === -1) break;
    const len = Number.parseInt(data.subarray(i, sp).toString(), 10);
    if (!(len > 0)) throw invalidArgument('invalid tar archive: bad pax header');
    const rec = data.subarray(sp + 1, i + len - 1).toString('utf8');
    const eq = rec.indexOf('=');
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    i += len;
  }
  return out;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '5': 'dir',
  '2': 'symlink',
  '1': 'hardlink',
};

/** Entries of a tar stream, in order. Each body must be consumed (or is skipped) before the next. */
export async function* readTar(source: AsyncIterable<Uint8Array>): AsyncGenerator<TarEntry> {
  const bytes = new Bytes(source);
  let pax: Map<string, string> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const h = await bytes.read(BLOCK);
    if (!h) return;
    if (h.every((x) => x === 0)) {
      await bytes.drain();
      return;
    }
    if (!checksumOk(h)) throw invalidArgument('invalid tar archive: header checksum mismatch');
    const typeflag = String.fromCharCode(h[156]);
    let size = num(h, 124, 12);
    const padded = Math.ceil(size / BLOCK) * BLOCK;
    if (typeflag === 'x' || typeflag === 'g' || typeflag === 'L' || typeflag === 'K') {
      if (size > 1 << 20) throw invalidArgument('invalid tar archive: oversized extended header');
      const data = (await bytes.read(padded))!.subarray(0, size);
      if (typeflag === 'x') pax = parsePax(data);
      else if (typeflag === 'L') longName = str(data, 0, data.length);
      else if (typeflag === 'K') longLink = str(data, 0, data.length);
      continue;
    }
    let name = str(h, 0, 100);
    const magic = str(h, 257, 6);
    if (magic === 'ustar') {
      const prefix = str(h, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    let linkname = str(h, 157, 100);
    if (longName !== undefined) name = longName;
    if (longLink !== undefined) linkname = longLink;
    if (pax?.has('path')) name = pax.get('path')!;
    if (pax?.has('linkpath')) linkname = pax.get('linkpath')!;
    if (pax?.has('size')) size = Number(pax.get('size'));
    pax = longName = longLink = undefined;
    const type = TYPES[typeflag] ?? 'other';
    const dataSize = type === 'file' || type === 'other' ? size : 0;
    const dataPadded = Math.ceil(dataSize / BLOCK) * BLOCK;
    let consumed = 0;
    async function* body(): AsyncGenerator<Buffer> {
      for await (const c of bytes.take(dataSize - consumed)) {
        consumed += c.length;
        yield c;
      }
    }
    yield { name, type, typeflag, linkname, size: dataSize, mode: num(h, 100, 8), body: body() };
    // Skip what the consumer left, then the padding.
    for await (const c of bytes.take(dataSize - consumed)) consumed += c.length;
    for await (const _ of bytes.take(dataPadded - dataSize));
  }
}

export interface TarWriteEntry {
  name: string;
  type?: 'file' | 'dir';
  mode?: number;
  size?: number;
  mtime?: number;
  /** File data: exactly `size` bytes. */
  body?: Buffer | string | AsyncIterable<Uint8Array> | (() => Promise<AsyncIterable<Uint8Array>>);
}

function octal(buf: Buffer, off: number, len: number, value: number): void {
  if (value >= 8 ** (len - 1)) {
    // base-256 for large values
    let v = value;
    for (let i = off + len - 1; i > off; i--) {
      buf[i] = v % 256;
      v = Math.floor(v / 256);
    }
    buf[off] = 0x80;
    return;
  }
  buf.write(`${value.toString(8).padStart(len - 1, '0')}\0`, off, len, 'ascii');
}

function header(name: string, typeflag: string, size: number, mode: number, mtime: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, 'utf8');
  octal(h, 100, 8, mode);
  octal(h, 108, 8, 0);
  octal(h, 116, 8, 0);
  octal(h, 124, 12, size);
  octal(h, 136, 12, mtime);
  h.write(typeflag, 156, 1, 'ascii');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return h;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body);
  len += String(len).length;
  if (String(len).length !== String(len - String(len).length).length) len++;
  return `${len}${body}`;
}

const pad = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

async function* entryChunks(e: TarWriteEntry): AsyncGenerator<Buffer> {
  const type = e.type ?? 'file';
  const data = typeof e.body === 'string' ? Buffer.from(e.body) : e.body;
  const size = type === 'dir' ? 0 : Buffer.isBuffer(data) ? data.length : (e.size ?? 0);
  let name = type === 'dir' && !e.name.endsWith('/') ? `${e.name}/` : e.name;
  if (Buffer.byteLength(name) > 100) {
    const rec = Buffer.from(paxRecord('path', name));
    yield header('PaxHeaders/x', 'x', rec.length, 0o644, e.mtime ?? 0);
    yield rec;
    yield pad(rec.length);
    name = name.slice(0, 100);
  }
  yield header(
    name,
    type === 'dir' ? '5' : '0',
    size,
    e.mode ?? (type === 'dir' ? 0o755 : 0o644),
    e.mtime ?? 0,
  );
  if (type === 'dir' || data === undefined) return;
  if (Buffer.isBuffer(data)) {
    yield data;
  } else {
    const src = typeof data === 'function' ? await data() : data;
    let n = 0;
    for await (const c of src) {
      n += c.length;
      if (n > size) throw invalidArgument(`tar entry ${e.name}: more than the declared ${size} bytes`);
      yield Buffer.from(c.buffer, c.byteOffset, c.byteLength);
    }
    if (n !== size) throw invalidArgument(`tar entry ${e.name}: ${n} bytes, ${size} declared`);
  }
  yield pad(size);
}

/** A tar stream of the entries, ended by two zero blocks. */
export function writeTar(entries: AsyncIterable<TarWriteEntry> | Iterable<TarWriteEntry>): Readable {
  async function* gen(): AsyncGenerator<Buffer> {
    for await (const e of entries) yield* entryChunks(e);
    yield ZERO;
  }
  return Readable.from(gen(), { objectMode: false });
}
