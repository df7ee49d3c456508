// Reading a container's json-file log (native/SHIM.md "Log format") for
// `GET /containers/{id}/logs`: the rotated files FILE.(n-1) … FILE.1, FILE in order, `tail`
// counted backwards across them in chunks, since/until, and `follow` across rotations until the
// caller aborts or the container stops. Behaviour follows dockerd's json-file reader: tail counts
// entries of both streams before since and the stream choice are applied, the first entry after
// `until` ends the read, and malformed lines (a crash mid-write) are skipped.

import { type FSWatcher, watch } from 'node:fs';
import { type FileHandle, open, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { invalidArgument } from '../../common/errors.ts';
import { encodeFrame } from '../../common/frames.ts';

export type LogStream = 'stdout' | 'stderr';

export interface LogEntry {
  stream: LogStream;
  /** the entry's `time`, as written in the file (RFC 3339, UTC, 9 fraction digits from the shim) */
  time: string;
  /** the output, as written: ends with \n unless it is part of a split line or the stream's last bytes */
  line: Buffer;
}

export interface LogsOptions {
  /** entries of the stdout stream (default true) */
  stdout?: boolean;
  /** entries of the stderr stream (default true) */
  stderr?: boolean;
  /** the API's value: unix seconds with an optional fraction ("1700000000.123456789"); '' = none */
  since?: string;
  /** as since; '' and '0' = none. The first entry after it ends the read (and a follow). */
  until?: string;
  /** 'all' (default), or the number of entries to start from, counted from the end; invalid = all */
  tail?: string | number;
  /** keep reading what the shim appends, until `signal` aborts or `done` resolves */
  follow?: boolean;
  /** ends the read at once (the iteration ends quietly) */
  signal?: AbortSignal;
  /** resolves when the container has stopped: what is left in the files is read, then the read ends */
  done?: Promise<unknown>;
  /** how often a follow looks at the files besides fs.watch events, in ms (default 250) */
  pollMs?: number;
  /** false: poll only, without fs.watch (default true) */
  watch?: boolean;
}

/** The logs query parameters as dockerd reads them, validated before any output is sent. */
export interface LogsQuery {
  stdout: boolean;
  stderr: boolean;
  since: string;
  until: string;
  timestamps: boolean;
  follow: boolean;
  tail: string;
  /** each line after the log's attributes (log opts labels, env, tag) */
  details: boolean;
}

const CHUNK = 64 * 1024;
/** a line longer than this (no newline in sight) is dropped as malformed */
const MAX_LINE = 16 * 1024 * 1024;
const NS = 1_000_000_000n;

// ---- times ----------------------------------------------------------------------------------

/**
 * An API timestamp ("1700000000", "1700000000.5", "1700000000.123456789") as nanoseconds since
 * the epoch; the fraction is scaled to nanoseconds as dockerd does. InvalidArgument otherwise.
 */
export function parseApiTimestamp(value: string): bigint {
  const m = /^([+-]?\d+)(?:\.([+-]?\d+))?$/.exec(value);
  if (!m)
    throw invalidArgument(`invalid timestamp ${JSON.stringify(value)}: expected unix seconds[.nanoseconds]`);
  const seconds = BigInt(m[1]);
  let nanos = 0n;
  if (m[2] !== undefined) {
    const digits = m[2].replace(/^[+-]/, '');
    const scaled = digits.length <= 9 ? digits.padEnd(9, '0') : digits.slice(0, 9);
    nanos = BigInt(scaled) * (m[2].startsWith('-') ? -1n : 1n);
  }
  return seconds * NS + nanos;
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time with up to 9 fraction digits as nanoseconds since the epoch; undefined if malformed. */
export function parseLogTime(time: string): bigint | undefined {
  const m = RFC3339.exec(time);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone] = m;
  const ms = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s));
  if (Number.isNaN(ms)) return undefined;
  let offsetSeconds = 0;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    offsetSeconds = sign * (Number(zone.slice(1, 3)) * 3600 + Number(zone.slice(4, 6)) * 60);
  }
  return (BigInt(ms / 1000) - BigInt(offsetSeconds)) * NS + BigInt(frac.padEnd(9, '0'));
}

/**
 * The time as dockerd prints it before a line with `timestamps=1` (Go's RFC3339NanoFixed: always
 * 9 fraction digits, the zone as in the file).
 */
export function formatLogTime(time: string): string {
  const m = RFC3339.exec(time);
  if (!m) return time;
  const frac = (m[7] ?? '').padEnd(9, '0');
  const zone = m[8] === 'z' ? 'Z' : m[8];
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}.${frac}${zone}`;
}

// ---- encoding for the API -------------------------------------------------------------------

/**
 * One entry as the logs endpoint sends it: with `timestamps`, prefixed `<time> `; then, without a
 * tty, in a multiplexed frame `[1|2, 0, 0, 0, length (big-endian u32)]` + payload; with a tty, raw.
 */
export function encodeLogEntry(
  entry: LogEntry,
  options: { timestamps?: boolean; tty?: boolean; details?: Buffer } = {},
): Buffer {
  // as dockerd: the timestamp, then the details (logs --details), then the line
  const parts = [entry.line];
  if (options.details) parts.unshift(options.details);
  if (options.timestamps) parts.unshift(Buffer.from(`${formatLogTime(entry.time)} `));
  const payload = parts.length === 1 ? entry.line : Buffer.concat(parts);
  return options.tty ? payload : encodeFrame(entry.stream === 'stderr' ? 2 : 1, payload);
}

/** dockerd's boolean query values: '', '0', 'no', 'false' and 'none' are false. */
const queryBool = (value: string | null): boolean =>
  !['', '0', 'no', 'false', 'none'].includes((value ?? '').trim().toLowerCase());

/**
 * Reads and checks the logs query (stdout, stderr, since, until, timestamps, follow, tail) before
 * the response starts, as dockerd does: InvalidArgument "Bad parameters: you must choose at least
 * one stream" without stdout and stderr, or for a malformed since/until.
 */
export function parseLogsQuery(query: URLSearchParams): LogsQuery {
  const q: LogsQuery = {
    stdout: queryBool(query.get('stdout')),
    stderr: queryBool(query.get('stderr')),
    since: query.get('since') ?? '',
    until: query.get('until') ?? '',
    timestamps: queryBool(query.get('timestamps')),
    follow: queryBool(query.get('follow')),
    tail: query.get('tail') ?? 'all',
    details: queryBool(query.get('details')),
  };
  if (!q.stdout && !q.stderr) throw invalidArgument('Bad parameters: you must choose at least one stream');
  if (q.since !== '') parseApiTimestamp(q.since);
  if (q.until !== '') parseApiTimestamp(q.until);
  return q;
}

/** tail as a count: -1 for all ('all', '', anything that is not an integer, negative numbers). */
export function parseTail(tail: string | number | undefined): number {
  if (typeof tail === 'number') return Number.isInteger(tail) && tail >= 0 ? tail : -1;
  if (tail === undefined || !/^[+-]?\d+$/.test(tail.trim())) return -1;
  const n = Number(tail.trim());
  return n >= 0 ? n : -1;
}

// ---- one line of the file -------------------------------------------------------------------

interface Parsed {
  entry: LogEntry;
  ns: bigint;
}

/** A json-file line as an entry, or undefined when it is not one (truncated, not JSON, wrong fields). */
export function parseLogLine(line: Buffer | string): Parsed | undefined {
  let value: unknown;
  try {
    value = JSON.parse(typeof line === 'string' ? line : line.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!value || typeof value !== 'object') return undefined;
  const { log, stream, time } = value as Record<string, unknown>;
  if (typeof log !== 'string' || typeof time !== 'string') return undefined;
  if (stream !== 'stdout' && stream !== 'stderr') return undefined;
  const ns = parseLogTime(time);
  if (ns === undefined) return undefined;
  return { entry: { stream, time, line: Buffer.from(log, 'utf8') }, ns };
}

// ---- files ----------------------------------------------------------------------------------

interface OpenLog {
  fh: FileHandle;
  ino: number;
  size: number;
}

/** FILE's rotated siblings and FILE itself, oldest first (FILE.3, FILE.2, FILE.1, FILE). */
async function listLogNames(file: string): Promise<string[]> {
  const base = basename(file);
  let names: string[];
  try {
    names = await readdir(dirname(file));
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
  const rotated = names
    .map((n) => (n.startsWith(`${base}.`) ? /^\d+$/.exec(n.slice(base.length + 1)) : null))
    .filter((m) => m !== null)
    .map((m) => Number(m[0]))
    .sort((a, b) => b - a)
    .map((n) => join(dirname(file), `${base}.${n}`));
  return names.includes(base) ? [...rotated, file] : rotated;
}

async function openIfExists(path: string): Promise<OpenLog | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
  const st = await fh.stat();
  return { fh, ino: st.ino, size: st.size };
}

async function inodeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Opens the log files, oldest first. The names are checked again after opening so that a
 * rotation in between does not lose or repeat a file (a few attempts, then the files are taken
 * as opened, without duplicates).
 */
async function openLogFiles(file: string): Promise<OpenLog[]> {
  for (let attempt = 0; ; attempt++) {
    const names = await listLogNames(file);
    const opened: { path: string; log: OpenLog }[] = [];
    // newest first: a rotation while opening shows up as a repeated inode, not a missed file
    for (const path of [...names].reverse()) {
      const log = await openIfExists(path);
      if (log) opened.unshift({ path, log });
    }
    const again = await listLogNames(file);
    let stable = again.length === names.length && again.every((n, i) => n === names[i]);
    for (const { path, log } of opened) if (stable && (await inodeOf(path)) !== log.ino) stable = false;
    if (stable || attempt >= 4) {
      const seen = new Set<number>();
      const out: OpenLog[] = [];
      for (const { log } of opened) {
        if (seen.has(log.ino)) await log.fh.close();
        else {
          seen.add(log.ino);
          out.push(log);
        }
      }
      return out;
    }
    for (const { log } of opened) await log.fh.close();
  }
}

/** Reads one file forward from `pos` and cuts it into lines; keeps an incomplete last line pending. */
class Cursor {
  readonly log: OpenLog;
  pos: number;
  private pending: Buffer[] = [];
  private pendingLen = 0;
  private discarding = false;

  constructor(log: OpenLog, pos: number) {
    this.log = log;
    this.pos = pos;
  }

  /** The complete lines of the next chunk; null at end of file. */
  async next(): Promise<Buffer[] | null> {
    const buf = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await this.log.fh.read(buf, 0, CHUNK, this.pos);
    if (bytesRead === 0) return null;
    this.pos += bytesRead;
    const data = buf.subarray(0, bytesRead);
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10, start)) {
      const piece = data.subarray(start, nl);
      if (this.discarding) this.discarding = false;
      else lines.push(this.pendingLen === 0 ? piece : Buffer.concat([...this.pending, piece]));
      this.pending = [];
      this.pendingLen = 0;
      start = nl + 1;
    }
    if (start < data.length && !this.discarding) {
      this.pending.push(data.subarray(start));
      this.pendingLen += data.length - start;
      if (this.pendingLen > MAX_LINE) {
        this.pending = [];
        this.pendingLen = 0;
        this.discarding = true;
      }
    }
    return lines;
  }

  /** The pending incomplete line, taken (at the end of a file nothing more will be written to). */
  takeFragment(): Buffer | undefined {
    const fragment = this.pendingLen > 0 ? Buffer.concat(this.pending) : undefined;
    this.pending = [];
    this.pendingLen = 0;
    this.discarding = false;
    return fragment;
  }

  /** Starts over when the file was truncated below what was read. */
  async checkTruncated(): Promise<void> {
    const { size } = await this.log.fh.stat();
    if (size < this.pos) {
      this.pos = 0;
      this.takeFragment();
    }
  }
}

/**
 * Where the last `n` entries start: the file's index and byte offset. Reads backwards in chunks
 * from each file's end (as it was when opened), newest file first; lines that are not entries do
 * not count. { index: 0, offset: 0 } when there are fewer.
 */
async function findTailStart(files: OpenLog[], n: number): Promise<{ index: number; offset: number }> {
  let count = 0;
  for (let index = files.length - 1; index >= 0; index--) {
    const { fh, size } = files[index];
    let pos = size;
    let after: Buffer[] = []; // the bytes after the last newline seen, in order, across chunks
    let afterLen = 0;
    const counts = (line: Buffer) => afterLen <= MAX_LINE && parseLogLine(line) !== undefined;
    while (pos > 0) {
      const len = Math.min(CHUNK, pos);
      pos -= len;
      const buf = Buffer.allocUnsafe(len);
      await readFully(fh, buf, pos);
      let end = len;
      for (let nl = buf.lastIndexOf(10, end - 1); nl >= 0; nl = nl > 0 ? buf.lastIndexOf(10, nl - 1) : -1) {
        const line = Buffer.concat([buf.subarray(nl + 1, end), ...after]);
        after = [];
        if (counts(line) && ++count === n) return { index, offset: pos + nl + 1 };
        afterLen = 0;
        end = nl;
      }
      after.unshift(buf.subarray(0, end));
      afterLen += end;
      if (afterLen > MAX_LINE) after = [];
    }
    if (counts(Buffer.concat(after)) && ++count === n) return { index, offset: 0 };
  }
  return { index: 0, offset: 0 };
}

/** Where the last complete line of the file ends (a follow with tail 0 starts there). */
async function afterLastNewline(log: OpenLog): Promise<number> {
  let pos = log.size;
  while (pos > 0) {
    const len = Math.min(CHUNK, pos);
    pos -= len;
    const buf = Buffer.allocUnsafe(len);
    await readFully(log.fh, buf, pos);
    const nl = buf.lastIndexOf(10);
    if (nl >= 0) return pos + nl + 1;
  }
  return 0;
}

async function readFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buf.length) {
    const { bytesRead } = await fh.read(buf, done, buf.length - done, position + done);
    if (bytesRead === 0) {
      buf.fill(0, done);
      return;
    }
    done += bytesRead;
  }
}

// ---- following ------------------------------------------------------------------------------

/** Wakes a follow on fs.watch events in the log's directory, every pollMs, on abort and on done. */
class Waker {
  finished = false;
  private dirty = false;
  private resolve: (() => void) | undefined;
  private readonly watcher: FSWatcher | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly signal: AbortSignal | undefined;
  private readonly onAbort = () => this.kick();

  constructor(dir: string, pollMs: number, useWatch: boolean, signal?: AbortSignal, done?: Promise<unknown>) {
    try {
      this.watcher = useWatch ? watch(dir, { persistent: false }, () => this.kick()) : undefined;
      this.watcher?.on('error', () => this.watcher?.close());
    } catch {
      this.watcher = undefined; // polling alone
    }
    this.timer = setInterval(() => this.kick(), pollMs);
    this.signal = signal;
    signal?.addEventListener('abort', this.onAbort, { once: true });
    const finish = () => {
      this.finished = true;
      this.kick();
    };
    done?.then(finish, finish);
  }

  kick(): void {
    this.dirty = true;
    const resolve = this.resolve;
    this.resolve = undefined;
    resolve?.();
  }

  async wait(): Promise<void> {
    if (!this.dirty) await new Promise<void>((resolve) => (this.resolve = resolve));
    this.dirty = false;
  }

  close(): void {
    this.watcher?.close();
    clearInterval(this.timer);
    this.signal?.removeEventListener('abort', this.onAbort);
  }
}

/**
 * The files that follow `current` after a rotation (FILE renamed to FILE.1 and a new FILE),
 * oldest first; null when FILE is still `current` (or is missing for a moment).
 */
async function rotatedPast(file: string, current: OpenLog | undefined): Promise<OpenLog[] | null> {
  const ino = await inodeOf(file);
  if (ino === undefined || ino === current?.ino) return null;
  const files = await openLogFiles(file);
  const at = current ? files.findIndex((f) => f.ino === current.ino) : -1;
  for (const f of files.slice(0, at + 1)) await f.fh.close();
  // not found: current was the oldest and was dropped, so every file is newer
  return files.slice(at + 1);
}

// ---- reading --------------------------------------------------------------------------------

/**
 * The entries of the json-file log FILE (and its rotated files), oldest first. See LogsOptions.
 * A missing log reads as empty; a follow waits for it to appear.
 */
export async function* readLogs(file: string, options: LogsOptions = {}): AsyncGenerator<LogEntry> {
  const wantStdout = options.stdout ?? true;
  const wantStderr = options.stderr ?? true;
  const since = options.since ? parseApiTimestamp(options.since) : undefined;
  const until = options.until && options.until !== '0' ? parseApiTimestamp(options.until) : undefined;
  const tail = parseTail(options.tail);
  const follow = options.follow ?? false;
  const signal = options.signal;
  if (signal?.aborted) return;

  let stopped = false;
  /** The entry to emit for a line, or undefined; sets `stopped` at the first entry after until. */
  const select = (line: Buffer): LogEntry | undefined => {
    const parsed = parseLogLine(line);
    if (!parsed) return undefined;
    if (since !== undefined && parsed.ns < since) return undefined;
    if (until !== undefined && parsed.ns > until) {
      stopped = true;
      return undefined;
    }
    const { entry } = parsed;
    return (entry.stream === 'stdout' ? wantStdout : wantStderr) ? entry : undefined;
  };

  const held = new Set<OpenLog>();
  const release = async (log: OpenLog) => {
    if (held.delete(log)) await log.fh.close();
  };
  /** Every complete line from the cursor's position to the end of its file, as entries. */
  async function* drain(cursor: Cursor): AsyncGenerator<LogEntry> {
    for (let lines = await cursor.next(); lines; lines = await cursor.next()) {
      for (const line of lines) {
        const entry = select(line);
        if (stopped) return;
        if (entry) yield entry;
      }
      if (signal?.aborted) return;
    }
  }
  /** The rest of a file nothing more is written to, its incomplete last line included. */
  async function* finish(cursor: Cursor): AsyncGenerator<LogEntry> {
    yield* drain(cursor);
    const fragment = cursor.takeFragment();
    const entry = fragment && !stopped ? select(fragment) : undefined;
    if (entry && !stopped) yield entry;
    await release(cursor.log);
  }

  let waker: Waker | undefined;
  try {
    const files = await openLogFiles(file);
    for (const f of files) held.add(f);
    if (tail === 0 && !follow) return;

    let cursor: Cursor | undefined;
    if (files.length > 0) {
      const last = files.length - 1;
      const start =
        tail < 0
          ? { index: 0, offset: 0 }
          : tail === 0
            ? { index: last, offset: await afterLastNewline(files[last]) }
            : await findTailStart(files, tail);
      for (const f of files.slice(0, start.index)) await release(f);
      for (let i = start.index; i < files.length; i++) {
        const c = new Cursor(files[i], i === start.index ? start.offset : 0);
        if (i < last || !follow) yield* finish(c);
        else {
          yield* drain(c);
          cursor = c;
        }
        if (stopped || signal?.aborted) return;
      }
    }
    if (!follow) return;

    waker = new Waker(dirname(file), options.pollMs ?? 250, options.watch ?? true, signal, options.done);
    for (;;) {
      if (signal?.aborted) return;
      const last = waker.finished; // the container had stopped before this pass: it is the final one
      if (cursor) {
        await cursor.checkTruncated();
        yield* drain(cursor);
      }
      if (stopped || signal?.aborted) return;
      const next = await rotatedPast(file, cursor?.log);
      if (next) {
        for (const f of next) held.add(f);
        if (cursor) yield* finish(cursor);
        cursor = undefined;
        for (let i = 0; i < next.length; i++) {
          const c = new Cursor(next[i], 0);
          if (i < next.length - 1) yield* finish(c);
          else {
            yield* drain(c);
            cursor = c;
          }
          if (stopped || signal?.aborted) return;
        }
        continue;
      }
      if (last) {
        if (cursor) yield* finish(cursor);
        return;
      }
      await waker.wait();
    }
  } finally {
    waker?.close();
    for (const log of [...held]) await release(log);
  }
}
