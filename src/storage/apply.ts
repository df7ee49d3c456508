// applyLayer: extracts a layer tar (plain, gzip or zstd) into a directory in one pass while
// hashing the uncompressed bytes (the DiffID).
//
// Two modes. `vfs`: the target is a full copy of the parent's tree; whiteouts delete. `overlay`:
// the target is the layer's own, initially empty, directory that overlayfs will stack on its
// parents; whiteouts become 0/0 character devices and opaque directories get
// trusted.overlay.opaque=y. Parents matter in overlay mode for two things, looked up in
// `lowers` (nearest first): a directory the tar does not list but needs is created with the
// parent layers' mode, owner and times (not 0755 root, which would change them in the merged
// view); and a hardlink to a file of a lower layer copies that file up into this layer first,
// then links to the copy, so both names share an inode in the merged view as they would in a
// plain extraction (the copy shadows the lower file at the same path).
//
// Safety (paths.ts): names are cleaned and refused if absolute or climbing out; parents are
// resolved inside the root; final components are never followed; hardlink targets are cleaned
// and resolved the same way. overlayfs's own trusted.overlay.* xattrs are never taken from a
// tar. Every refusal is an invalidArgument naming the entry.
//
// File-system calls are synchronous (each is microseconds; the event loop turns between body
// chunks, which are pulled from the source as they are written, so backpressure holds).

import {
  closeSync,
  constants,
  copyFileSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readlinkSync,
  rmSync,
  type Stats,
  symlinkSync,
  write,
} from 'node:fs';
import { join } from 'node:path';
import { BerthError, internal } from '../common/errors.ts';
import { ThreadpoolSha256 } from './hash.ts';
import { Gunzip } from './inflate.ts';
import { devMajor, devMinor, type Meta, metaOf, setMeta, setTimes, setXattrs } from './meta.ts';
import { fsops } from './native.ts';
import { baseOf, cleanEntryPath, entryError, type MakeDir, parentOf, RootResolver } from './paths.ts';
import { type Compression, inflate, sniff } from './tar/compression.ts';
import type { ChunkSource, TarEntry } from './tar/reader.ts';
import { readTar } from './tar/reader.ts';
import { isWhiteoutDevice, OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX } from './whiteout.ts';

export type ApplyMode = 'overlay' | 'vfs';

export interface ApplyOptions {
  mode: ApplyMode;
  signal?: AbortSignal;
  /** overlay mode: the parent layers' directories, nearest first. */
  lowers?: string[];
  /**
   * overlay mode, instead of `lowers` while the parent layer is still being unpacked: extraction
   * goes ahead without them and calls this (once) only at the first entry that needs the layers
   * below: a directory the tar needs but does not list, a hardlink to a lower layer's file.
   */
  lowersLater?: () => Promise<string[]>;
  /** Character and block devices allowed (default true; fifos always are). */
  devices?: boolean;
}

export interface ApplyResult {
  /** `sha256:<hex>` of the uncompressed tar. */
  diffId: string;
  /** Bytes of file data written (what Docker reports as a layer's size). */
  size: number;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  /** What the source was compressed with. */
  compression: Compression;
}

/** A batch of small files (createFiles) holds at most this many files, bytes, bytes a file. */
const BATCH_FILES = 256;
const BATCH_BYTES = 4 << 20;
const BATCH_FILE_MAX = 256 << 10;

async function writeAll(fd: number, buf: Buffer): Promise<void> {
  for (let off = 0; off < buf.length; ) {
    off += await new Promise<number>((resolve, reject) =>
      write(fd, buf, off, buf.length - off, null, (err, n) => (err ? reject(err) : resolve(n))),
    );
  }
}

const FILE_FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;

// (no exception for a missing path: building one costs more than the lstat)
const lstatOrUndefined = (path: string): Stats | undefined => lstatSync(path, { throwIfNoEntry: false });

const isEexist = (err: unknown) => (err as NodeJS.ErrnoException).code === 'EEXIST';

async function* hashing(src: AsyncIterable<Buffer>, hash: ThreadpoolSha256, count: { n: number }) {
  for await (const chunk of src) {
    const full = hash.update(chunk);
    count.n += chunk.length;
    if (full) await full;
    yield chunk;
  }
}

/** One extraction: the state that lives as long as one applyLayer call. */
class Extraction {
  readonly root: string;
  readonly opts: ApplyOptions;
  readonly resolver: RootResolver;
  /** Directories whose times are set at the end, once nothing more is written into them. */
  readonly dirTimes = new Map<string, [number, number]>();
  /** vfs mode: what this layer wrote, which an opaque marker must not delete. */
  readonly written = new Set<string>();
  readonly mkdir: MakeDir;
  size = 0;
  /** The lower layers; undefined until `lowersLater` gave them. */
  private lowers: string[] | undefined;
  /**
   * Small new files queued for one createFiles call (see `queue`), and their entry paths. Their
   * data is copied into `arena` (the chunks a tar entry's data is a view of may be reused: see
   * inflate.ts), which the next batch reuses.
   */
  private batch: { path: string; e: TarEntry; data: Buffer }[] = [];
  private arena: Buffer | undefined;
  private readonly batched = new Set<string>();
  private batchBytes = 0;

  constructor(root: string, opts: ApplyOptions) {
    this.root = root;
    this.opts = opts;
    this.lowers = opts.lowersLater ? undefined : (opts.lowers ?? []);
    this.resolver = new RootResolver(root);
    this.mkdir = (rel, abs) => this.makeParent(rel, abs);
  }

  /** A directory the tar needs but did not list: the lower layers' attributes, else 0755. */
  private makeParent(rel: string, abs: string): void {
    mkdirSync(abs, 0o755);
    const lower = this.findInLowers(rel);
    if (lower && lstatSync(lower).isDirectory()) {
      const m = metaOf(lower);
      setMeta(abs, m, false);
      this.dirTimes.set(abs, [m.mtime, m.mtimeNsec]);
    }
  }

  /** Waits for `lowersLater` (when it was given) unless directory `dirRel` is already here. */
  private async lowersFor(dirRel: string, entry: string): Promise<void> {
    if (this.lowers === undefined && this.resolver.dir(dirRel, entry) === undefined) await this.loadLowers();
  }

  private async loadLowers(): Promise<void> {
    this.lowers ??= await this.opts.lowersLater!();
  }

  /** The nearest lower layer's file at `rel`, unless a whiteout or an opaque directory hides it. */
  findInLowers(rel: string): string | undefined {
    if (this.lowers === undefined)
      throw internal('layer extraction: the lower layers were needed before they were ready');
    for (const lower of this.lowers) {
      const r = new RootResolver(lower);
      try {
        const path = r.path(rel, rel);
        const st = path === undefined ? undefined : lstatOrUndefined(path);
        if (st && isWhiteoutDevice(st)) return undefined;
        if (st && path) return path;
        if (this.opaqueIn(r, rel)) return undefined;
      } catch (err) {
        // A lower layer's path that does not resolve (a symlink climbing out, a file where a
        // directory should be) hides what is below it, as it would in the merged view.
        if (err instanceof BerthError) return undefined;
        throw err;
      }
    }
    return undefined;
  }

  private opaqueIn(r: RootResolver, rel: string): boolean {
    for (let dir = parentOf(rel); ; dir = parentOf(dir)) {
      const resolved = r.dir(dir, rel);
      if (
        resolved !== undefined &&
        fsops().lgetxattr(join(r.root, resolved), OPAQUE_XATTR)?.toString() === 'y'
      )
        return true;
      if (dir === '') return false;
    }
  }

  /** Clears the way for a new entry at `path`; true when an existing directory stays. */
  private clear(path: string, keepDir: boolean): boolean {
    const st = lstatOrUndefined(path);
    if (!st) return false;
    if (st.isDirectory() && keepDir) return true;
    rmSync(path, { recursive: true, force: true });
    if (st.isDirectory() || st.isSymbolicLink()) this.resolver.forget();
    return false;
  }

  async entry(e: TarEntry): Promise<void> {
    const rel = cleanEntryPath(e.name);
    if (this.batch.length && !this.batchable(e, rel) && !this.independent(e, rel)) await this.flush();
    const base = baseOf(rel);
    if (base.startsWith(WHITEOUT_PREFIX)) return this.whiteout(e, rel, base);
    if (rel === '') {
      if (e.type !== 'dir') throw entryError(e.name, 'the layer root must be a directory');
      this.setMeta(this.root, e, 'dir');
      return;
    }
    if (e.type === 'other') throw entryError(e.name, `unsupported entry type ${JSON.stringify(e.typeflag)}`);
    if ((e.type === 'char' || e.type === 'block') && this.opts.devices === false)
      throw entryError(e.name, 'device nodes are not allowed');
    await this.lowersFor(parentOf(rel), e.name);
    const path = this.resolver.path(rel, e.name, this.mkdir)!;
    if (this.opts.mode === 'vfs') {
      for (let r = rel; r !== '' && !this.written.has(r); r = parentOf(r)) this.written.add(r);
    }
    if (e.type === 'hardlink') return this.hardlink(e, path);
    switch (e.type) {
      case 'file':
        if (this.batchable(e, rel)) this.queue(path, rel, e);
        else await this.writeFile(path, e);
        this.size += e.size;
        if (this.batch.length >= BATCH_FILES || this.batchBytes >= BATCH_BYTES) await this.flush();
        return; // owner, mode and times set with the data
      case 'dir':
        if (this.create(path, true, () => mkdirSync(path, 0o700))) return this.setMeta(path, e, 'dir');
        break;
      case 'symlink':
        this.create(path, false, () => symlinkSync(e.linkname, path));
        break;
      case 'char':
      case 'block':
      case 'fifo': {
        const type = e.type === 'char' ? S_IFCHR : e.type === 'block' ? S_IFBLK : S_IFIFO;
        this.create(path, false, () => fsops().mknod(path, type | 0o600, e.devmajor, e.devminor));
        break;
      }
    }
    this.setMeta(path, e, e.type);
  }

  /**
   * Runs `make`, which creates `path` and fails with EEXIST when something is there (the usual
   * case, a new name, costs no lstat); then clears the way and runs it again. True when an
   * existing directory stays instead (`keepDir`).
   */
  private create(path: string, keepDir: boolean, make: () => void): boolean {
    try {
      make();
      return false;
    } catch (err) {
      if (!isEexist(err)) throw err;
    }
    if (this.clear(path, keepDir)) return true;
    make();
    return false;
  }

  private setMeta(path: string, m: Meta, type: TarEntry['type']): void {
    setMeta(path, m, type === 'symlink');
    // a directory listed twice gets the later entry's times
    if (type === 'dir') this.dirTimes.set(path, [m.mtime, m.mtimeNsec]);
    else setTimes(path, m.mtime, m.mtimeNsec);
  }

  /**
   * Whether `e` can join the batch of small files: a regular file with all its data at hand, no
   * xattrs, at a path that no queued file has and that no queued file is a parent of. Anything
   * else is done after the batch (flush), in the tar's order; the batch's own files, with their
   * parents resolved and no name in common, do not depend on one another.
   */
  private batchable(e: TarEntry, rel: string): boolean {
    if (e.type !== 'file' || e.data === undefined || e.size > BATCH_FILE_MAX) return false;
    for (const _ in e.xattrs) return false;
    if (baseOf(rel).startsWith(WHITEOUT_PREFIX)) return false; // (it may delete a queued file)
    return this.clearOfBatch(rel);
  }

  /**
   * Whether `e`, which does not join the batch, can still be made before the queued files are:
   * a directory or a symlink at a path that no queued file has and that no queued file is a
   * parent of (a layer's directories come between its files: flushing at each would make a
   * round trip to the threadpool per directory).
   */
  private independent(e: TarEntry, rel: string): boolean {
    if ((e.type !== 'dir' && e.type !== 'symlink') || rel === '') return false;
    return !baseOf(rel).startsWith(WHITEOUT_PREFIX) && this.clearOfBatch(rel);
  }

  /** No queued file is at `rel` or at one of its parents. */
  private clearOfBatch(rel: string): boolean {
    if (this.batch.length === 0) return true;
    for (let r = rel; r !== ''; r = parentOf(r)) if (this.batched.has(r)) return false;
    return true;
  }

  private queue(path: string, rel: string, e: TarEntry): void {
    this.arena ??= Buffer.allocUnsafeSlow(BATCH_BYTES + BATCH_FILE_MAX);
    const data = this.arena.subarray(this.batchBytes, this.batchBytes + e.size);
    e.data!.copy(data);
    this.batch.push({ path, e: { ...e, data }, data });
    this.batched.add(rel);
    this.batchBytes += e.size;
  }

  /**
   * Makes the queued files in one createFiles call on the threadpool. A name that exists
   * (EEXIST: an earlier entry of the layer) is cleared and made here, then the rest goes again.
   */
  async flush(): Promise<void> {
    let files = this.batch;
    let start = 0;
    const bytes = this.batchBytes;
    this.batch = [];
    this.batched.clear();
    this.batchBytes = 0;
    while (files.length) {
      const meta = new Float64Array(files.length * 6);
      for (const [i, { e, data }] of files.entries())
        meta.set([e.mode, e.uid, e.gid, e.mtime, e.mtimeNsec, data.length], i * 6);
      try {
        await fsops().createFiles(
          Buffer.from(`${files.map((f) => f.path).join('\0')}\0`),
          Buffer.from(meta.buffer),
          this.arena!.subarray(start, bytes), // the files' data, one after another
        );
        return;
      } catch (err) {
        const i = (err as { index?: number }).index;
        if (i === undefined || !isEexist(err)) throw err;
        await this.writeFile(files[i].path, files[i].e);
        for (const f of files.slice(0, i + 1)) start += f.data.length;
        files = files.slice(i + 1);
      }
    }
  }

  /** A regular file with its data, owner, mode and times (one native call when the data is all here). */
  private async writeFile(path: string, e: TarEntry): Promise<void> {
    const ops = fsops();
    const { data } = e;
    if (data) {
      this.create(path, false, () => ops.createFile(path, e.mode, e.uid, e.gid, e.mtime, e.mtimeNsec, data));
    } else {
      let fd = -1;
      this.create(path, false, () => {
        fd = openSync(path, FILE_FLAGS, 0o600);
      });
      // on the threadpool, one write in flight while the next chunk is read and hashed
      let writing: Promise<void> | undefined;
      try {
        for await (const chunk of e.body) {
          this.opts.signal?.throwIfAborted();
          await writing;
          writing = writeAll(fd, chunk);
        }
        await writing;
        ops.finishFile(fd, e.mode, e.uid, e.gid, e.mtime, e.mtimeNsec);
      } finally {
        await writing?.catch(() => {}); // never close an fd a write is still using
        closeSync(fd);
      }
    }
    setXattrs(path, e.xattrs);
  }

  private async hardlink(e: TarEntry, path: string): Promise<void> {
    const targetRel = cleanEntryPath(e.linkname, 'hardlink target', e.name);
    if (targetRel === '') throw entryError(e.name, 'hardlink target is the layer root');
    let target = this.resolver.path(targetRel, e.name);
    let st = target === undefined ? undefined : lstatOrUndefined(target);
    if (!st && this.opts.mode === 'overlay') {
      await this.loadLowers();
      target = this.copyUp(targetRel, e.name);
      st = target === undefined ? undefined : lstatSync(target);
    }
    if (!st || !target)
      throw entryError(e.name, `hardlink target ${JSON.stringify(e.linkname)} does not exist`);
    if (st.isDirectory())
      throw entryError(e.name, `hardlink target ${JSON.stringify(e.linkname)} is a directory`);
    if (target === path) return;
    this.clear(path, false);
    linkSync(target, path);
  }

  /** Copies a lower layer's file into this layer (see the top of this file); its new path. */
  private copyUp(rel: string, entry: string): string | undefined {
    const lower = this.findInLowers(rel);
    if (!lower) return undefined;
    const st = lstatSync(lower);
    const dest = this.resolver.path(rel, entry, this.mkdir)!;
    if (st.isFile()) copyFileSync(lower, dest, constants.COPYFILE_EXCL);
    else if (st.isSymbolicLink()) symlinkSync(readlinkSync(lower), dest);
    else if (!st.isDirectory()) fsops().mknod(dest, st.mode, devMajor(st.rdev), devMinor(st.rdev));
    else return undefined;
    const m = metaOf(lower);
    setMeta(dest, m, st.isSymbolicLink());
    setTimes(dest, m.mtime, m.mtimeNsec);
    return dest;
  }

  private async whiteout(e: TarEntry, rel: string, base: string): Promise<void> {
    const name = e.name;
    const dirRel = parentOf(rel);
    await this.lowersFor(dirRel, name);
    if (base === OPAQUE_MARKER) {
      const dir = this.resolver.dir(dirRel, name, this.mkdir)!;
      if (this.opts.mode === 'overlay')
        fsops().lsetxattr(join(this.root, dir), OPAQUE_XATTR, Buffer.from('y'));
      else this.removeUnwritten(dir, dirRel);
      return;
    }
    const victim = base.slice(WHITEOUT_PREFIX.length);
    if (victim === '' || victim === '.' || victim === '..' || victim.startsWith(WHITEOUT_PREFIX))
      throw entryError(name, 'invalid whiteout');
    const victimRel = dirRel ? `${dirRel}/${victim}` : victim;
    if (this.opts.mode === 'vfs') {
      const path = this.resolver.path(victimRel, name);
      if (path) this.clear(path, false);
      return;
    }
    const path = this.resolver.path(victimRel, name, this.mkdir)!;
    this.clear(path, false);
    fsops().mknod(path, S_IFCHR, 0, 0);
    setTimes(path, e.mtime, e.mtimeNsec); // so that a diff of this layer gives the same tar
  }

  /** vfs opaque directory: removes what the layers below put there, keeps this layer's entries. */
  private removeUnwritten(dir: string, dirRel: string): void {
    for (const name of readdirSync(join(this.root, dir))) {
      const rel = dirRel ? `${dirRel}/${name}` : name;
      const path = join(this.root, dir, name);
      if (!this.written.has(rel)) this.clear(path, false);
      else if (lstatSync(path).isDirectory()) this.removeUnwritten(dir ? `${dir}/${name}` : name, rel);
    }
  }

  finish(): void {
    for (const [path, [sec, nsec]] of this.dirTimes) {
      if (lstatOrUndefined(path)?.isDirectory()) setTimes(path, sec, nsec);
    }
  }
}

/**
 * The tar in `source` and, once it has been read to the end, its digest and size: gzip through
 * the native inflater (inflate.ts: chunks are views of reused buffers, hashed as they are made),
 * anything else through node:zlib and the threadpool hash.
 */
async function openTar(
  source: ChunkSource,
  signal: AbortSignal | undefined,
): Promise<{
  kind: Compression;
  tar: AsyncIterable<Buffer>;
  end: () => Promise<{ diffId: string; tarSize: number }>;
}> {
  const { kind, bytes } = await sniff(source);
  if (kind === 'gzip') {
    const g = new Gunzip();
    return {
      kind,
      tar: g.inflate(bytes),
      end: async () => {
        if (g.digest === undefined) throw internal('layer extraction: the tar was not read to its end');
        return { diffId: g.digest, tarSize: g.size };
      },
    };
  }
  const hash = new ThreadpoolSha256();
  const count = { n: 0 };
  return {
    kind,
    tar: hashing(inflate(kind, bytes, signal), hash, count),
    end: async () => ({ diffId: await hash.digest(), tarSize: count.n }),
  };
}

/** Extracts `source` (a layer tar, compressed or not) into `target`; see the top of this file. */
export async function applyLayer(
  target: string,
  source: ChunkSource,
  opts: ApplyOptions,
): Promise<ApplyResult> {
  const { kind, tar, end } = await openTar(source, opts.signal);
  const x = new Extraction(target, opts);
  for await (const e of readTar(tar)) {
    opts.signal?.throwIfAborted();
    try {
      await x.entry(e);
    } catch (err) {
      if (err instanceof BerthError) throw err;
      throw internal(`layer entry ${JSON.stringify(e.name)}: ${(err as Error).message}`, err);
    }
  }
  await x.flush();
  x.finish();
  return { ...(await end()), size: x.size, compression: kind };
}
