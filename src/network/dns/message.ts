// The DNS wire format (RFC 1035) as far as berth's embedded resolver needs it: parse any message
// (queries from containers, answers from upstreams), build answers. Pure. Parsing never throws:
// packets come from containers and upstreams, and a bad one must cost a FORMERR, not the daemon.

import { formatAddress, parseAddress } from '../ipam.ts';

export const TYPE = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;
export const CLASS_IN = 1;
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const;
/** TTL of the answers berth gives for its own names (Docker's respTTL). */
export const LOCAL_TTL = 600;
/** Largest UDP answer for a query without EDNS (RFC 1035 4.2.1). */
export const UDP_DEFAULT_SIZE = 512;

export interface Question {
  /** Presentation form without the trailing dot ("" for the root); `.` and `\` inside a label are escaped. */
  name: string;
  type: number;
  class: number;
}

export interface ResourceRecord {
  name: string;
  type: number;
  /** For OPT (EDNS), the requester's UDP payload size. */
  class: number;
  ttl: number;
  /** RDATA: the address for A/AAAA, the domain name for PTR/CNAME/NS, raw bytes for other types. */
  data: Buffer | string;
}

export interface Message {
  id: number;
  qr: boolean;
  opcode: number;
  aa: boolean;
  tc: boolean;
  rd: boolean;
  ra: boolean;
  ad: boolean;
  cd: boolean;
  rcode: number;
  questions: Question[];
  answers: ResourceRecord[];
  authorities: ResourceRecord[];
  additionals: ResourceRecord[];
}

export type ParseResult =
  | { ok: true; message: Message }
  /** `id` is there when the header was readable, so that a FORMERR can be sent back. */
  | { ok: false; id?: number; error: string };

const HEADER = 12;
const MAX_NAME = 255;
const MAX_MESSAGE = 65535;
const NAME_TYPES = new Set<number>([TYPE.PTR, TYPE.CNAME, TYPE.NS]);

class Malformed extends Error {}

function need(packet: Buffer, offset: number, length: number): void {
  if (offset + length > packet.length) throw new Malformed(`truncated at byte ${offset}`);
}

function escapeLabel(label: Buffer): string {
  // latin1 keeps every byte; `.` and `\` are escaped so that the text splits back into the same labels
  return label.toString('latin1').replace(/[.\\]/g, (c) => `\\${c}`);
}

/** A (possibly compressed) name at `offset`, and the offset just after it where it was written. */
function readName(packet: Buffer, offset: number): { name: string; next: number } {
  const labels: string[] = [];
  let length = 1;
  let next = -1;
  let at = offset;
  for (;;) {
    need(packet, at, 1);
    const len = packet[at];
    if (len === 0) {
      if (next < 0) next = at + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      need(packet, at, 2);
      const target = packet.readUInt16BE(at) & 0x3fff;
      // pointing strictly backwards each time is what makes a loop impossible
      if (target >= at) throw new Malformed(`compression pointer at byte ${at} does not point backwards`);
      if (next < 0) next = at + 2;
      at = target;
      continue;
    }
    if (len & 0xc0) throw new Malformed(`unsupported label type at byte ${at}`);
    need(packet, at + 1, len);
    length += len + 1;
    if (length > MAX_NAME) throw new Malformed('name longer than 255 bytes');
    labels.push(escapeLabel(packet.subarray(at + 1, at + 1 + len)));
    at += 1 + len;
  }
  return { name: labels.join('.'), next };
}

function readRecord(packet: Buffer, offset: number): { record: ResourceRecord; next: number } {
  const { name, next: fixed } = readName(packet, offset);
  need(packet, fixed, 10);
  const type = packet.readUInt16BE(fixed);
  const klass = packet.readUInt16BE(fixed + 2);
  const ttl = packet.readUInt32BE(fixed + 4);
  const length = packet.readUInt16BE(fixed + 8);
  const start = fixed + 10;
  need(packet, start, length);
  const raw = packet.subarray(start, start + length);
  let data: Buffer | string = Buffer.from(raw);
  if ((type === TYPE.A && length === 4) || (type === TYPE.AAAA && length === 16)) {
    data = addressText(raw);
  } else if (type === TYPE.A || type === TYPE.AAAA) {
    throw new Malformed(`address record of ${length} bytes`);
  } else if (NAME_TYPES.has(type)) {
    const target = readName(packet, start);
    if (target.next !== start + length) throw new Malformed('name in RDATA does not fill it');
    data = target.name;
  }
  return { record: { name, type, class: klass, ttl, data }, next: start + length };
}

/** Parses a whole message. Bytes after the last section are ignored. */
export function parseMessage(packet: Buffer): ParseResult {
  if (packet.length < HEADER) return { ok: false, error: `message of ${packet.length} bytes` };
  const id = packet.readUInt16BE(0);
  try {
    const flags = packet.readUInt16BE(2);
    const counts = [4, 6, 8, 10].map((at) => packet.readUInt16BE(at));
    let offset = HEADER;
    const questions: Question[] = [];
    for (let i = 0; i < counts[0]; i++) {
      const { name, next } = readName(packet, offset);
      need(packet, next, 4);
      questions.push({ name, type: packet.readUInt16BE(next), class: packet.readUInt16BE(next + 2) });
      offset = next + 4;
    }
    const sections: ResourceRecord[][] = [[], [], []];
    for (const [s, section] of sections.entries()) {
      for (let i = 0; i < counts[s + 1]; i++) {
        const { record, next } = readRecord(packet, offset);
        section.push(record);
        offset = next;
      }
    }
    const message: Message = {
      id,
      qr: (flags & 0x8000) !== 0,
      opcode: (flags >> 11) & 0xf,
      aa: (flags & 0x0400) !== 0,
      tc: (flags & 0x0200) !== 0,
      rd: (flags & 0x0100) !== 0,
      ra: (flags & 0x0080) !== 0,
      ad: (flags & 0x0020) !== 0,
      cd: (flags & 0x0010) !== 0,
      rcode: flags & 0xf,
      questions,
      answers: sections[0],
      authorities: sections[1],
      additionals: sections[2],
    };
    return { ok: true, message };
  } catch (err) {
    if (err instanceof Malformed) return { ok: false, id, error: err.message };
    throw err;
  }
}

/** The labels of a presentation-form name, honouring `\.` and `\\` escapes. */
function splitName(name: string): Buffer[] {
  if (name === '.') return [];
  const labels: Buffer[] = [];
  let current = '';
  for (let i = 0; i < name.length; i++) {
    const c = name[i];
    if (c === '\\' && i + 1 < name.length) current += name[++i];
    else if (c === '.') {
      labels.push(Buffer.from(current, 'latin1'));
      current = '';
    } else current += c;
  }
  if (current !== '') labels.push(Buffer.from(current, 'latin1'));
  if (labels.some((l) => l.length === 0 || l.length > 63)) throw new RangeError(`invalid DNS name: ${name}`);
  if (labels.reduce((n, l) => n + l.length + 1, 1) > MAX_NAME)
    throw new RangeError(`DNS name too long: ${name}`);
  return labels;
}

class Writer {
  readonly buffer = Buffer.allocUnsafe(MAX_MESSAGE); // only the written part is returned
  offset = 0;
  // lower-cased name suffix → where it was written, for compression pointers (RFC 1035 4.1.4)
  readonly #names = new Map<string, number>();

  #room(length: number): void {
    if (this.offset + length > MAX_MESSAGE) throw new RangeError('DNS message longer than 65535 bytes');
  }

  u16(value: number): void {
    this.#room(2);
    this.offset = this.buffer.writeUInt16BE(value, this.offset);
  }

  u32(value: number): void {
    this.#room(4);
    this.offset = this.buffer.writeUInt32BE(value >>> 0, this.offset);
  }

  bytes(data: Buffer): void {
    this.#room(data.length);
    this.offset += data.copy(this.buffer, this.offset);
  }

  name(name: string): void {
    const labels = splitName(name);
    for (let i = 0; i < labels.length; i++) {
      const key = asciiLower(
        labels
          .slice(i)
          .map((l) => l.toString('latin1'))
          .join('\0'),
      );
      const at = this.#names.get(key);
      if (at !== undefined) {
        this.u16(0xc000 | at);
        return;
      }
      if (this.offset < 0x4000) this.#names.set(key, this.offset);
      this.bytes(Buffer.concat([Buffer.of(labels[i].length), labels[i]]));
    }
    this.bytes(Buffer.of(0));
  }
}

function writeRecord(w: Writer, record: ResourceRecord): void {
  w.name(record.name);
  w.u16(record.type);
  w.u16(record.class);
  w.u32(record.ttl);
  const lengthAt = w.offset;
  w.u16(0);
  const { data } = record;
  if (Buffer.isBuffer(data)) w.bytes(data);
  else if (record.type === TYPE.A || record.type === TYPE.AAAA) w.bytes(addressBytes(data));
  else w.name(data);
  w.buffer.writeUInt16BE(w.offset - lengthAt - 2, lengthAt);
}

/** The wire form, names compressed. Throws RangeError for a name or message that cannot be encoded. */
export function encodeMessage(m: Message): Buffer {
  const w = new Writer();
  w.u16(m.id);
  w.u16(
    (m.qr ? 0x8000 : 0) |
      ((m.opcode & 0xf) << 11) |
      (m.aa ? 0x0400 : 0) |
      (m.tc ? 0x0200 : 0) |
      (m.rd ? 0x0100 : 0) |
      (m.ra ? 0x0080 : 0) |
      (m.ad ? 0x0020 : 0) |
      (m.cd ? 0x0010 : 0) |
      (m.rcode & 0xf),
  );
  for (const n of [m.questions.length, m.answers.length, m.authorities.length, m.additionals.length])
    w.u16(n);
  for (const q of m.questions) {
    w.name(q.name);
    w.u16(q.type);
    w.u16(q.class);
  }
  for (const record of [...m.answers, ...m.authorities, ...m.additionals]) writeRecord(w, record);
  return Buffer.from(w.buffer.subarray(0, w.offset));
}

/**
 * Encodes `m` in at most `limit` bytes, dropping answers from the end until it fits; `tc` is set
 * when any were dropped and `truncate` says so (UDP; over TCP a shorter answer is just shorter).
 */
export function encodeWithin(m: Message, limit: number, truncate: boolean): Buffer {
  const whole = encodeMessage(m);
  if (whole.length <= limit) return whole;
  const withAnswers = (count: number) =>
    encodeMessage({ ...m, answers: m.answers.slice(0, count), tc: m.tc || truncate });
  // the most answers that fit, by bisection: a shared alias may have hundreds
  let [fits, tooMany] = [0, m.answers.length];
  while (tooMany - fits > 1) {
    const mid = (fits + tooMany) >> 1;
    if (withAnswers(mid).length <= limit) fits = mid;
    else tooMany = mid;
  }
  return withAnswers(fits);
}

/** The OPT pseudo-record berth sends back to EDNS clients: the UDP size it accepts, no options. */
const ednsRecord = (): ResourceRecord => ({
  name: '',
  type: TYPE.OPT,
  class: 4096,
  ttl: 0,
  data: Buffer.alloc(0),
});

/** The requester's EDNS UDP payload size, or undefined without EDNS. */
export function ednsSize(m: Message): number | undefined {
  return m.additionals.find((r) => r.type === TYPE.OPT)?.class;
}

/** The most a UDP answer to `query` may hold: 512 without EDNS, else what it asks (512 to 4096). */
export function udpLimit(query: Message): number {
  return Math.min(4096, Math.max(UDP_DEFAULT_SIZE, ednsSize(query) ?? 0));
}

/** A recursive query for one name, with EDNS advertising `ednsSize` when given. */
export function query(name: string, type: number, id = 0, ednsSize?: number): Message {
  return {
    id,
    qr: false,
    opcode: 0,
    aa: false,
    tc: false,
    rd: true,
    ra: false,
    ad: false,
    cd: false,
    rcode: 0,
    questions: [{ name, type, class: CLASS_IN }],
    answers: [],
    authorities: [],
    additionals: ednsSize === undefined ? [] : [{ ...ednsRecord(), class: ednsSize }],
  };
}

/** An answer to `query`: same id, opcode, rd, cd and question; recursion available (Docker sets ra). */
export function reply(
  query: Message,
  rcode: number,
  answers: ResourceRecord[] = [],
  authoritative = false,
): Message {
  return {
    id: query.id,
    qr: true,
    opcode: query.opcode,
    aa: authoritative,
    tc: false,
    rd: query.rd,
    ra: true,
    ad: false,
    cd: query.cd,
    rcode,
    questions: query.questions.slice(0, 1),
    answers,
    authorities: [],
    additionals: ednsSize(query) === undefined ? [] : [ednsRecord()],
  };
}

/** An error answer to a packet that did not parse: its id and nothing else. */
export function formatError(id: number): Buffer {
  const packet = Buffer.alloc(HEADER);
  packet.writeUInt16BE(id, 0);
  packet.writeUInt16BE(0x8080 | RCODE.FORMERR, 2);
  return packet;
}

export function addressRecord(name: string, ip: string, ttl = LOCAL_TTL): ResourceRecord {
  const type = parseAddress(ip)?.family === 6 ? TYPE.AAAA : TYPE.A;
  return { name, type, class: CLASS_IN, ttl, data: ip };
}

export function ptrRecord(name: string, target: string, ttl = LOCAL_TTL): ResourceRecord {
  return { name, type: TYPE.PTR, class: CLASS_IN, ttl, data: target };
}

function addressBytes(ip: string): Buffer {
  const parsed = parseAddress(ip);
  if (!parsed) throw new RangeError(`not an IP address: ${ip}`);
  const bytes = Buffer.alloc(parsed.family === 4 ? 4 : 16);
  for (let i = bytes.length - 1, v = parsed.value; i >= 0; i--, v >>= 8n) bytes[i] = Number(v & 0xffn);
  return bytes;
}

function addressText(bytes: Buffer): string {
  const value = [...bytes].reduce((acc, b) => (acc << 8n) | BigInt(b), 0n);
  return formatAddress(bytes.length === 4 ? 4 : 6, value);
}

/** ASCII-only lower case: DNS compares names case-insensitively for A-Z only (RFC 4343). */
export function asciiLower(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}

/**
 * The address a reverse-lookup name stands for: `2.0.20.172.in-addr.arpa` → `172.20.0.2`, 32
 * nibbles under `ip6.arpa` → an IPv6 address in canonical form; undefined for anything else.
 */
export function ptrAddress(name: string): string | undefined {
  const lower = asciiLower(name.replace(/\.$/, ''));
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.in-addr\.arpa$/.exec(lower);
  if (v4) {
    const parsed = parseAddress(v4.slice(1).reverse().join('.'));
    return parsed && formatAddress(4, parsed.value);
  }
  const v6 = /^((?:[0-9a-f]\.){32})ip6\.arpa$/.exec(lower);
  if (!v6) return undefined;
  const hex = v6[1].split('.').reverse().join('');
  return formatAddress(6, BigInt(`0x${hex}`));
}
