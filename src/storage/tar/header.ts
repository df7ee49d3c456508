// Tar headers: the 512-byte ustar block (with GNU's base-256 numbers) and PAX extended records
// (POSIX.1-2001), decoded into one TarHeader and encoded back.

import { invalidArgument } from '../../common/errors.ts';

export const BLOCK = 512;

export type EntryType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo' | 'other';

export interface TarHeader {
  /** The path as stored (no normalization): `./a/b`, `a/b/` … */
  name: string;
  type: EntryType;
  /** The raw typeflag character, for `other` entries and messages. */
  typeflag: string;
  /** Permission bits including setuid, setgid and sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  size: number;
  /** Whole seconds since the epoch, and the nanoseconds a PAX `mtime` may add. */
  mtime: number;
  mtimeNsec: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** From PAX `SCHILY.xattr.<name>` or `LIBARCHIVE.xattr.<name>` records. */
  xattrs: Record<string, Buffer>;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'hardlink',
  '2': 'symlink',
  '3': 'char',
  '4': 'block',
  '5': 'dir',
  '6': 'fifo',
};
const FLAGS: Record<Exclude<EntryType, 'other'>, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  char: '3',
  block: '4',
  dir: '5',
  fifo: '6',
};

export function header(fields: Partial<TarHeader> & { name: string }): TarHeader {
  const type = fields.type ?? 'file';
  return {
    typeflag: type === 'other' ? '?' : FLAGS[type],
    mode: type === 'dir' ? 0o755 : 0o644,
    uid: 0,
    gid: 0,
    uname: '',
    gname: '',
    size: 0,
    mtime: 0,
    mtimeNsec: 0,
    linkname: '',
    devmajor: 0,
    devminor: 0,
    xattrs: {},
    ...fields,
    type,
  };
}

// ---- decoding ----

function str(block: Buffer, off: number, len: number): string {
  const end = block.indexOf(0, off);
  return block.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function num(block: Buffer, off: number, len: number): number {
  if (block[off] & 0x80) {
    // GNU base-256: big-endian two's complement, the top bit of the first byte a marker.
    let v = BigInt(block[off] & 0x7f);
    if (block[off] & 0x40) v -= 0x80n;
    for (let i = 1; i < len; i++) v = (v << 8n) | BigInt(block[off + i]);
    return Number(v);
  }
  const s = block
    .toString('latin1', off, off + len)
    .replace(/^[ \0]+/, '')
    .replace(/[\0 ][\s\S]*$/, '');
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw invalidArgument(`tar: invalid number ${JSON.stringify(s)} in a header`);
  return Number.parseInt(s, 8);
}

function checksumOk(block: Buffer): boolean {
  // the checksum field counts as 8 spaces; some writers sum signed bytes (high ones negative)
  let unsigned = 8 * 0x20;
  let high = 0;
  for (let i = 0; i < BLOCK; i++) {
    if (i === 148) i = 156;
    const b = block[i];
    unsigned += b;
    if (b > 127) high++;
  }
  const signed = unsigned - 256 * high;
  const stored = num(block, 148, 8);
  return stored === unsigned || stored === signed;
}

export function isZeroBlock(block: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Decodes one header block; `pax` records and GNU long names apply on top of it. */
export function decodeHeader(block: Buffer, offset: number): TarHeader {
  if (!checksumOk(block)) throw invalidArgument(`tar: invalid header checksum at byte ${offset}`);
  const typeflag = String.fromCharCode(block[156]);
  const magic = block.toString('latin1', 257, 263);
  let name = str(block, 0, 100);
  if (magic === 'ustar\0') {
    const prefix = str(block, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    name,
    type: TYPES[typeflag] ?? 'other',
    typeflag,
    mode: num(block, 100, 8) & 0o7777,
    uid: num(block, 108, 8),
    gid: num(block, 116, 8),
    size: num(block, 124, 12),
    mtime: num(block, 136, 12),
    mtimeNsec: 0,
    linkname: str(block, 157, 100),
    uname: str(block, 265, 32),
    gname: str(block, 297, 32),
    devmajor: num(block, 329, 8),
    devminor: num(block, 337, 8),
    xattrs: {},
  };
}

/** PAX records: `<len> <key>=<value>\n`; values stay bytes (xattr values are binary). */
export function parsePax(data: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    const len = space < 0 ? Number.NaN : Number(data.toString('latin1', pos, space));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      if (data.subarray(pos).every((b) => b === 0)) break; // trailing NUL padding
      throw invalidArgument('tar: malformed PAX record');
    }
    const record = data.subarray(space + 1, pos + len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw invalidArgument('tar: malformed PAX record');
    out.set(record.toString('utf8', 0, eq), Buffer.from(record.subarray(eq + 1)));
    pos += len;
  }
  return out;
}

function paxNumber(key: string, v: string): number {
  if (!/^-?\d+$/.test(v)) throw invalidArgument(`tar: invalid PAX ${key} ${JSON.stringify(v)}`);
  return Number(v);
}

/** Applies PAX records to a header (records override the ustar fields). */
export function applyPax(h: TarHeader, pax: Map<string, Buffer>): void {
  for (const [key, raw] of pax) {
    const v = raw.toString('utf8');
    if (key === 'path') h.name = v;
    else if (key === 'linkpath') h.linkname = v;
    else if (key === 'size') h.size = paxNumber(key, v);
    else if (key === 'uid') h.uid = paxNumber(key, v);
    else if (key === 'gid') h.gid = paxNumber(key, v);
    else if (key === 'uname') h.uname = v;
    else if (key === 'gname') h.gname = v;
    else if (key === 'mtime') {
      const m = /^(-?\d+)(?:\.(\d+))?$/.exec(v);
      if (!m) throw invalidArgument(`tar: invalid PAX mtime ${JSON.stringify(v)}`);
      h.mtime = Number(m[1]);
      h.mtimeNsec = m[2] ? Number(m[2].slice(0, 9).padEnd(9, '0')) : 0;
    } else if (key.startsWith('SCHILY.xattr.')) h.xattrs[key.slice(13)] = raw;
    else if (key.startsWith('LIBARCHIVE.xattr.')) {
      h.xattrs[decodeURIComponent(key.slice(17))] = Buffer.from(v, 'base64');
    }
  }
}

// ---- encoding ----

const MAX_OCTAL: Record<number, number> = { 8: 0o7777777, 12: 0o77777777777 };

function putStr(block: Buffer, off: number, len: number, s: string): void {
  block.write(s, off, len, 'utf8');
}

function putOctal(block: Buffer, off: number, len: number, v: number): void {
  block.write(`${v.toString(8).padStart(len - 1, '0')}\0`, off, len, 'latin1');
}

function fitsUstar(s: string, len: number): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ustar fields are plain ASCII
  return Buffer.byteLength(s) <= len && /^[\x01-\x7f]*$/.test(s);
}

/** Splits a long name into ustar prefix and name at a `/`, if it fits. */
function splitName(name: string): [string, string] | undefined {
  if (fitsUstar(name, 100)) return ['', name];
  if (!fitsUstar(name, 256)) return undefined;
  for (let i = name.lastIndexOf('/'); i > 0; i = name.lastIndexOf('/', i - 1)) {
    if (i <= 155 && name.length - i - 1 <= 100 && name.length - i - 1 > 0)
      return [name.slice(0, i), name.slice(i + 1)];
  }
  return undefined;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function ustarBlock(h: TarHeader, name: string, prefix: string, typeflag: string): Buffer {
  const block = Buffer.alloc(BLOCK);
  putStr(block, 0, 100, name);
  putOctal(block, 100, 8, h.mode & 0o7777);
  putOctal(block, 108, 8, h.uid <= MAX_OCTAL[8] && h.uid >= 0 ? h.uid : 0);
  putOctal(block, 116, 8, h.gid <= MAX_OCTAL[8] && h.gid >= 0 ? h.gid : 0);
  putOctal(block, 124, 12, h.size <= MAX_OCTAL[12] ? h.size : 0);
  putOctal(block, 136, 12, h.mtime >= 0 && h.mtime <= MAX_OCTAL[12] ? h.mtime : 0);
  block.fill(0x20, 148, 156);
  block.write(typeflag, 156, 1, 'latin1');
  putStr(block, 157, 100, fitsUstar(h.linkname, 100) ? h.linkname : '');
  block.write('ustar\x0000', 257, 8, 'latin1');
  putStr(block, 265, 32, h.uname);
  putStr(block, 297, 32, h.gname);
  putOctal(block, 329, 8, Math.min(h.devmajor, MAX_OCTAL[8]));
  putOctal(block, 337, 8, Math.min(h.devminor, MAX_OCTAL[8]));
  putStr(block, 345, 155, prefix);
  let sum = 0;
  for (const b of block) sum += b;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return block;
}

/** The PAX records a header needs beyond what ustar can hold. */
function paxRecordsFor(h: TarHeader, split: [string, string] | undefined): Buffer[] {
  const records: Buffer[] = [];
  const add = (k: string, v: string | Buffer) => records.push(paxRecord(k, Buffer.from(v)));
  if (!split) add('path', h.name);
  if (h.linkname && !fitsUstar(h.linkname, 100)) add('linkpath', h.linkname);
  if (h.size > MAX_OCTAL[12]) add('size', String(h.size));
  if (h.uid > MAX_OCTAL[8] || h.uid < 0) add('uid', String(h.uid));
  if (h.gid > MAX_OCTAL[8] || h.gid < 0) add('gid', String(h.gid));
  if (!fitsUstar(h.uname, 32)) add('uname', h.uname);
  if (!fitsUstar(h.gname, 32)) add('gname', h.gname);
  if (h.mtimeNsec || h.mtime < 0 || h.mtime > MAX_OCTAL[12]) {
    add('mtime', h.mtimeNsec ? `${h.mtime}.${String(h.mtimeNsec).padStart(9, '0')}` : String(h.mtime));
  }
  for (const key of Object.keys(h.xattrs).sort()) add(`SCHILY.xattr.${key}`, h.xattrs[key]);
  return records;
}

function padded(data: Buffer): Buffer {
  const rem = data.length % BLOCK;
  return rem ? Buffer.concat([data, Buffer.alloc(BLOCK - rem)]) : data;
}

/** The header blocks of one entry: a PAX extended header first when needed, then ustar. */
export function encodeHeader(h: TarHeader): Buffer {
  const split = splitName(h.name);
  const records = paxRecordsFor(h, split);
  const typeflag = h.type === 'other' ? h.typeflag : FLAGS[h.type];
  const main = ustarBlock(h, split ? split[1] : h.name.slice(0, 100), split ? split[0] : '', typeflag);
  if (records.length === 0) return main;
  const data = Buffer.concat(records);
  const base = h.name.replace(/\/+$/, '').split('/').pop() ?? '';
  const paxHeader = header({ name: `PaxHeaders/${base}`.slice(0, 100), size: data.length, mtime: h.mtime });
  return Buffer.concat([ustarBlock(paxHeader, paxHeader.name, '', 'x'), padded(data), main]);
}
