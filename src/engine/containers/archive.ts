// Files in and out of a container: `docker cp` (GET/HEAD/PUT /containers/{id}/archive) and
// `docker export`, on running and stopped containers alike.
//
// Paths are resolved inside the container's root as the container sees them (CVE-2018-15664):
// the root is opened once as an O_PATH file descriptor and every later lookup goes through
// `/proc/self/fd/<dir>/<one name>` with O_NOFOLLOW, one component at a time, as openat2's
// RESOLVE_IN_ROOT would. A symlink met on the way is read and its target resolved from the
// root (absolute) or from the directory it sits in (relative); `..` never climbs above the
// root. Whatever the container renames or swaps meanwhile, a lookup acts on the directory
// already opened, so nothing outside the root is ever reached. Tars are written from these
// descriptors too (files are re-opened through their O_PATH descriptor, never by path).
//
// Extraction goes through the storage layer's applyLayer (src/storage/apply.ts), rooted at the
// container's root descriptor: it resolves every parent inside that root and never follows a
// final component. applyLayer assumes no one else writes the tree while it runs, so a running
// container is frozen (its cgroup, without a `pause` event) while the archive is applied; the
// upload is first spooled to disk so that the freeze lasts only as long as the extraction.
//
// For `cp`, the root of a running container is `/proc/<pid>/root`: its root as it sees it, in
// its own mount namespace, so bind mounts, volumes and tmpfs mounts are read and written as the
// container has them (the pid checked against its recorded start time after the open). For
// `export`, it is the root file system alone, its mount on the host (`containers.rootfs(id)`).
// A stopped container's snapshot is mounted on a private directory, opened, and lazily
// unmounted at once, so the mount lives exactly as long as the descriptor and a crash leaves
// nothing mounted. A stopped container is held against `start` (its lifecycle lock) while the
// operation lasts, as dockerd holds its container lock.

import { randomBytes } from 'node:crypto';
import {
  type BigIntStats,
  closeSync,
  constants,
  createReadStream,
  createWriteStream,
  fstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { BerthError, internal, invalidArgument, notFound } from '../../common/errors.ts';
import { makeEvent } from '../../common/events.ts';
import { isAlive } from '../../runtime/proc.ts';
import { resolveUser } from '../../spec/docker/container-user.ts';
import { goFileMode, type PathStat } from '../../spec/docker/path-stat.ts';
import { applyLayer } from '../../storage/apply.ts';
import { devMajor, devMinor } from '../../storage/meta.ts';
import { mount, unmount } from '../../storage/mount.ts';
import { fsops } from '../../storage/native.ts';
import { baseOf, cleanEntryPath } from '../../storage/paths.ts';
import { decompress } from '../../storage/tar/compression.ts';
import { header } from '../../storage/tar/header.ts';
import { readTar, type TarEntry } from '../../storage/tar/reader.ts';
import { type TarInput, writeTar } from '../../storage/tar/writer.ts';
import { WHITEOUT_PREFIX } from '../../storage/whiteout.ts';
import type { EventBus } from '../events.ts';
import type { Images } from '../images.ts';
import type { Containers } from './containers.ts';
import type { ContainerRecord } from './record.ts';

// ---- a tree reached only through file descriptors ------------------------------------------

/** O_PATH (Linux): a descriptor that names a file without opening it for I/O. */
const O_PATH = 0o10000000;
const LOOKUP = O_PATH | constants.O_NOFOLLOW;
const MAX_SYMLINKS = 40;

export const fdPath = (fd: number, name?: string) =>
  name === undefined ? `/proc/self/fd/${fd}` : `/proc/self/fd/${fd}/${name}`;

const errCode = (err: unknown) => (err as NodeJS.ErrnoException).code;

/** `name` in the directory `dirFd`, not followed: its O_PATH descriptor and stat, or undefined. */
export function lookupChild(dirFd: number, name: string): { fd: number; st: BigIntStats } | undefined {
  let fd: number;
  try {
    fd = openSync(fdPath(dirFd, name), LOOKUP);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return undefined; // removed meanwhile
    throw err;
  }
  try {
    return { fd, st: fstatSync(fd, { bigint: true }) };
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}

/** A resolved path: every directory on the way held open, the last one the target. */
export interface Resolved {
  /** The path inside the root, absolute: `/etc/passwd`. */
  path: string;
  /** O_PATH descriptor of the target (the root's own for `/`). */
  fd: number;
  /** Its parent's descriptor and its name there (-1 and '' for the root). */
  dirFd: number;
  name: string;
  st: BigIntStats;
  close(): void;
}

/** A directory tree whose lookups never leave it, whatever symlinks and renames it holds. */
export class FsRoot {
  readonly fd: number;
  #closed = false;

  private constructor(fd: number) {
    this.fd = fd;
  }

  /** Opens `dir` (a trusted host path) as the root. */
  static open(dir: string): FsRoot {
    return new FsRoot(openSync(dir, O_PATH | constants.O_DIRECTORY));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.fd);
  }

  /**
   * Resolves `path` (components; `..` stays inside the root) as the container would, following
   * symlinks on the way, and the last component too when `follow`. A missing component is a
   * notFound naming `path`; a non-directory on the way an invalidArgument. `lenient`: a
   * missing component ends the walk, and the rest of the path is taken as written (what
   * dockerd's FollowSymlinkInScope reports for a dangling link).
   */
  resolve(path: string, follow: boolean, lenient = false): Resolved & { rest: string[] } {
    const stack: { name: string; fd: number; st: BigIntStats }[] = [];
    const cur = () => stack.at(-1)?.fd ?? this.fd;
    const closeAll = () => {
      for (const s of stack.splice(0)) closeSync(s.fd);
    };
    const todo = splitPath(path).reverse();
    let links = 0;
    let rest: string[] = [];
    try {
      while (todo.length) {
        const part = todo.pop()!;
        if (part === '..') {
          const top = stack.pop();
          if (top) closeSync(top.fd);
          continue;
        }
        const final = todo.length === 0;
        let fd: number;
        try {
          fd = openSync(fdPath(cur(), part), LOOKUP);
        } catch (err) {
          if (lenient && (errCode(err) === 'ENOENT' || errCode(err) === 'ENOTDIR')) {
            rest = [part, ...todo.reverse()];
            break;
          }
          if (errCode(err) === 'ENOENT') throw notFound(`no such file or directory: ${path}`, err);
          throw err;
        }
        const st = fstatSync(fd, { bigint: true });
        if (st.isSymbolicLink() && (follow || !final)) {
          let target: string;
          try {
            target = readlinkSync(fdPath(cur(), part));
          } finally {
            closeSync(fd);
          }
          if (++links > MAX_SYMLINKS) throw invalidArgument(`too many levels of symbolic links: ${path}`);
          if (target.startsWith('/')) closeAll();
          todo.push(...splitPath(target).reverse());
          continue;
        }
        stack.push({ name: part, fd, st });
        if (!final && !st.isDirectory()) {
          if (lenient) {
            rest = todo.reverse();
            break;
          }
          throw invalidArgument(`not a directory: ${path}`);
        }
      }
    } catch (err) {
      closeAll();
      throw err;
    }
    const top = stack.at(-1);
    return {
      path: `/${stack.map((s) => s.name).join('/')}`,
      fd: top?.fd ?? this.fd,
      dirFd: stack.length > 1 ? stack[stack.length - 2].fd : top ? this.fd : -1,
      name: top?.name ?? '',
      st: top?.st ?? fstatSync(this.fd, { bigint: true }),
      rest,
      close: closeAll,
    };
  }

  /** Where `path` leads inside the root, every symlink followed (dangling ends kept). */
  realPath(path: string): string {
    const r = this.resolve(path, true, true);
    r.close();
    return posix.join(r.path, ...r.rest);
  }

  /** A regular file's contents (small files: passwd, group), or undefined if there is none. */
  readFile(path: string, max = 4 << 20): string | undefined {
    let r: Resolved | undefined;
    try {
      r = this.resolve(path, true);
      if (!r.st.isFile() || r.st.size > BigInt(max)) return undefined;
      return readFileSync(fdPath(r.fd), 'utf8');
    } catch (err) {
      if (err instanceof BerthError) return undefined;
      throw err;
    } finally {
      r?.close();
    }
  }
}

const splitPath = (path: string) => path.split('/').filter((p) => p !== '' && p !== '.');

// ---- paths and stat as dockerd reports them --------------------------------------------------

export interface ContainerPath {
  /** Absolute and clean, with the caller's trailing `/` or `/.` kept: `/etc/`, `/d/.`. */
  abs: string;
  /** What the archive's top entry is called (Go's filepath.Base): `passwd`, `.`, `/`. */
  name: string;
  /** Whether the last component is followed when it is a symlink (a trailing `/` or `/.`). */
  follow: boolean;
}

/** dockerd's PreserveTrailingDotOrSeparator(filepath.Join("/", path), path): `..` is lexical. */
export function containerPath(path: string): ContainerPath {
  if (path === '') throw invalidArgument('bad parameter: path cannot be empty');
  if (path.includes('\0')) throw invalidArgument('bad parameter: path contains a NUL byte');
  let abs = posix.join('/', path);
  if (abs.length > 1) abs = abs.replace(/\/+$/, ''); // Go's Clean drops it; it comes back below
  if (goBase(abs) !== '.' && goBase(path) === '.') {
    if (!abs.endsWith('/')) abs += '/';
    abs += '.';
  }
  if (!abs.endsWith('/') && path.endsWith('/')) abs += '/';
  const name = goBase(abs);
  return { abs, name, follow: abs.endsWith('/') || name === '.' };
}

/** Go's filepath.Base: trailing slashes dropped, `/` for the root, `.` for nothing. */
function goBase(p: string): string {
  if (p === '') return '.';
  const trimmed = p.replace(/\/+$/, '');
  return trimmed === '' ? '/' : trimmed.slice(trimmed.lastIndexOf('/') + 1);
}

export { goFileMode, type PathStat };

/** Go's time.Time JSON (RFC3339Nano, UTC): trailing zeros of the fraction dropped. */
export function goTime(ns: bigint): string {
  const sec = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  const base = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return `${base}${frac ? `.${frac}` : ''}Z`;
}

export function encodePathStat(stat: PathStat): string {
  return Buffer.from(JSON.stringify(stat)).toString('base64');
}

// ---- tars out ---------------------------------------------------------------------------------

const CHUNK = 1 << 20;

/** `size` bytes of a regular file, re-opened through its O_PATH descriptor; zeros if it shrank. */
async function* fileBody(pathFd: number, size: number): AsyncGenerator<Buffer> {
  const fh = await open(fdPath(pathFd), 'r');
  try {
    if (!(await fh.stat()).isFile()) throw internal('a file changed into something else while read');
    let left = size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, CHUNK));
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      left -= bytesRead;
      yield buf.subarray(0, bytesRead);
    }
    for (; left > 0; left -= Math.min(left, CHUNK)) yield Buffer.alloc(Math.min(left, CHUNK));
  } finally {
    await fh.close();
  }
}

/** The spooled upload, opened only if it is read (an early error leaves it unopened). */
async function* readSpool(path: string): AsyncGenerator<Buffer> {
  yield* createReadStream(path, { highWaterMark: CHUNK });
}

interface Node {
  fd: number;
  dirFd: number;
  name: string;
  st: BigIntStats;
}

/** A tar header for one node, or undefined for what a tar does not hold (sockets). */
function entryFor(node: Node, name: string, links: Map<string, string>): TarInput | undefined {
  const { st } = node;
  const base = {
    name,
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtime: Number(st.mtimeNs / 1_000_000_000n),
  };
  if (st.isDirectory()) return header({ ...base, name: name.endsWith('/') ? name : `${name}/`, type: 'dir' });
  if (st.isSymbolicLink())
    return header({ ...base, type: 'symlink', linkname: readlinkSync(fdPath(node.dirFd, node.name)) });
  if (st.isFile()) {
    const key = `${st.dev}:${st.ino}`;
    const first = st.nlink > 1n ? links.get(key) : undefined;
    if (first !== undefined) return header({ ...base, type: 'hardlink', linkname: first });
    if (st.nlink > 1n) links.set(key, name);
    const cap =
      node.dirFd >= 0 ? fsops().lgetxattr(fdPath(node.dirFd, node.name), 'security.capability') : null;
    const size = Number(st.size);
    return {
      ...header({ ...base, size, xattrs: cap ? { 'security.capability': cap } : {} }),
      body: fileBody(node.fd, size),
    };
  }
  const rdev = Number(st.rdev);
  const dev = { devmajor: devMajor(rdev), devminor: devMinor(rdev) };
  if (st.isCharacterDevice()) return header({ ...base, ...dev, type: 'char' });
  if (st.isBlockDevice()) return header({ ...base, ...dev, type: 'block' });
  if (st.isFIFO()) return header({ ...base, type: 'fifo' });
  return undefined;
}

const childName = (prefix: string, name: string) =>
  prefix === '' ? name : prefix === '/' ? `/${name}` : `${prefix}/${name}`;

/**
 * The tar entries of `node` and (a directory) everything under it, named from `name` down
 * (`''`: the node itself is left out, its children are top-level entries, as `export` writes).
 * Names in code-unit order; nothing below is followed.
 */
async function* treeEntries(
  node: Node,
  name: string,
  links: Map<string, string>,
  signal?: AbortSignal,
): AsyncGenerator<TarInput> {
  if (name !== '') {
    const e = entryFor(node, name, links);
    if (e) yield e;
  }
  if (!node.st.isDirectory()) return;
  for (const child of readdirSync(fdPath(node.fd)).sort()) {
    signal?.throwIfAborted();
    const c = lookupChild(node.fd, child);
    if (!c) continue;
    try {
      yield* treeEntries({ ...c, dirFd: node.fd, name: child }, childName(name, child), links, signal);
    } finally {
      closeSync(c.fd);
    }
  }
}

/** A tar of the resolved node, its top entry called `name`. */
export function tarOf(r: Resolved, name: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
  return writeTar(treeEntries({ fd: r.fd, dirFd: r.dirFd, name: r.name, st: r.st }, name, new Map(), signal));
}

// ---- tars in ------------------------------------------------------------------------------------

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory or the other way round. */
  noOverwriteDirNonDir: boolean;
  /** Owner of every extracted file instead of the tar's (copyUIDGID: the container's user). */
  owner?: { uid: number; gid: number };
}

/**
 * The uploaded tar's entries made relative to the container root: names (leading `/` dropped,
 * `..` refused when it leaves the destination) and hard link targets moved under `dest`, the
 * destination's own entry dropped (dockerd leaves an existing directory alone), whiteout names
 * refused (applyLayer would delete with them). `existing(rel)` answers what is at a path now.
 */
export async function* uploadEntries(
  entries: AsyncIterable<TarEntry>,
  dest: string,
  opts: ExtractOptions,
  existing: (rel: string) => 'dir' | 'other' | undefined,
): AsyncGenerator<TarInput> {
  const destRel = dest.replace(/^\/+|\/+$/g, '');
  const under = (rel: string) => (destRel === '' ? rel : `${destRel}/${rel}`);
  for await (const e of entries) {
    const { body, ...h } = e;
    const rel = cleanEntryPath(e.name.replace(/^\/+/, ''));
    if (rel === '') continue; // its body, if any, is skipped by the reader
    if (baseOf(rel).startsWith(WHITEOUT_PREFIX))
      throw invalidArgument(`${JSON.stringify(e.name)}: names starting with ${WHITEOUT_PREFIX} are reserved`);
    if (opts.noOverwriteDirNonDir) {
      const now = existing(under(rel));
      const path = JSON.stringify(`/${under(rel)}`);
      if (now === 'dir' && e.type !== 'dir')
        throw invalidArgument(
          `cannot overwrite directory ${path} with non-directory ${JSON.stringify(dest)}`,
        );
      if (now === 'other' && e.type === 'dir')
        throw invalidArgument(
          `cannot overwrite non-directory ${path} with directory ${JSON.stringify(dest)}`,
        );
    }
    const linkname =
      e.type === 'hardlink'
        ? under(cleanEntryPath(e.linkname.replace(/^\/+/, ''), 'hardlink target', e.name))
        : e.linkname;
    yield {
      ...h,
      name: e.type === 'dir' ? `${under(rel)}/` : under(rel),
      size: e.type === 'file' ? e.size : 0,
      linkname,
      ...(opts.owner ?? {}),
      body,
    };
  }
}

// ---- the engine side ---------------------------------------------------------------------------

/** A container event with the attributes dockerd gives them (labels, image, name). */
export function containerEvent(
  events: EventBus,
  rec: ContainerRecord,
  action: string,
  extra: Record<string, string> = {},
): void {
  events.publish(
    makeEvent('container', action, rec.ID, {
      ...(rec.Config.Labels ?? {}),
      image: rec.Config.Image ?? '',
      name: rec.Name.slice(1),
      ...extra,
    }),
  );
}

interface Access {
  root: FsRoot;
  /** The container was running: its processes can touch the tree while we do. */
  running: boolean;
  release(): void;
}

export interface ArchiveDeps {
  containers: Containers;
  images: Images;
  events: EventBus;
  /** Private mount points (under the exec root). */
  mountDir: string;
  /** Spooled uploads (under the data root). */
  spoolDir: string;
}

/** A tar stream with its resources: call release() when done with it, read or not. */
export interface TarStream {
  tar: AsyncGenerator<Buffer>;
  release(): void;
}

function mountId(fd: number): string | undefined {
  return /^mnt_id:\s*(\d+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
}

export class ContainerArchive {
  readonly #d: ArchiveDeps;

  constructor(deps: ArchiveDeps) {
    this.#d = deps;
    mkdirSync(deps.mountDir, { recursive: true, mode: 0o700 });
    mkdirSync(deps.spoolDir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(deps.mountDir)) this.#dropMountPoint(join(deps.mountDir, name));
    for (const name of readdirSync(deps.spoolDir)) rmSync(join(deps.spoolDir, name), { force: true });
  }

  #dropMountPoint(dir: string): void {
    try {
      unmount(dir, { detach: true, all: true });
    } catch {
      // not mounted
    }
    try {
      rmdirSync(dir);
    } catch {
      // left for the next start
    }
  }

  /** The running container's root with its mounts, as its process sees it. */
  #openProcessRoot(rec: ContainerRecord): FsRoot | undefined {
    if (!rec.State.Running || !rec.State.Pid) return undefined;
    let root: FsRoot;
    try {
      root = FsRoot.open(`/proc/${rec.State.Pid}/root`);
    } catch {
      return undefined;
    }
    // the pid is still the container's, not a later process's with the same number
    const runtime = this.#d.containers.runtime;
    const state = runtime.store.exists(rec.ID) ? runtime.store.load(rec.ID) : undefined;
    if (state && state.pid === rec.State.Pid && isAlive(state.pid, state.pidStart)) return root;
    root.close();
    return undefined;
  }

  /** The running container's root file system as the host mounts it, if it is mounted now. */
  #openMounted(rec: ContainerRecord, withMounts: boolean): FsRoot | undefined {
    if (!rec.State.Running) return undefined;
    if (withMounts) {
      const own = this.#openProcessRoot(rec);
      if (own) return own;
    }
    let root: FsRoot;
    try {
      root = FsRoot.open(this.#d.containers.rootfs(rec.ID));
    } catch {
      return undefined;
    }
    let parent: number | undefined;
    try {
      parent = openSync(this.#d.containers.shimDir(rec.ID), O_PATH | constants.O_DIRECTORY);
      if (mountId(root.fd) !== mountId(parent)) return root;
    } catch {
      // gone: not mounted
    } finally {
      if (parent !== undefined) closeSync(parent);
    }
    root.close();
    return undefined;
  }

  /** A stopped container's snapshot, mounted privately, opened, and detached at once. */
  #mountPrivately(rec: ContainerRecord): FsRoot {
    const dir = mkdtempSync(join(this.#d.mountDir, 'm-'));
    try {
      mount(this.#d.images.snapshots.mounts(`container-${rec.ID}`), dir);
      return FsRoot.open(dir);
    } finally {
      this.#dropMountPoint(dir);
    }
  }

  /**
   * The container's root for one operation (with its mounts for `cp`, without for `export`); a
   * stopped one is held against start meanwhile.
   */
  async #access(ref: string, withMounts = true): Promise<Access & { rec: ContainerRecord }> {
    const rec = this.#d.containers.store.get(ref);
    const running = (root: FsRoot) => ({ rec, root, running: true, release: () => root.close() });
    const mounted = this.#openMounted(rec, withMounts);
    if (mounted) return running(mounted);
    return new Promise((resolve, reject) => {
      void this.#d.containers.live(rec.ID).serialize(async () => {
        let root: FsRoot;
        try {
          const now = this.#d.containers.store.get(rec.ID);
          const m = this.#openMounted(now, withMounts);
          if (m) {
            resolve(running(m));
            return;
          }
          root = this.#mountPrivately(now);
        } catch (err) {
          reject(err);
          return;
        }
        await new Promise<void>((done) => {
          resolve({
            rec,
            root,
            running: false,
            release: () => {
              root.close();
              done();
            },
          });
        });
      });
    });
  }

  #resolve(root: FsRoot, ref: string, path: string, p: ContainerPath): Resolved {
    try {
      const r = root.resolve(p.abs, p.follow);
      // `file/` and `file/.` name a directory: dockerd's lstat fails on them (with the host path)
      if ((p.abs.endsWith('/') || p.name === '.') && !r.st.isDirectory()) {
        r.close();
        throw invalidArgument(`lstat ${p.abs}: not a directory`);
      }
      return r;
    } catch (err) {
      if (err instanceof BerthError && err.kind === 'NotFound')
        throw notFound(`Could not find the file ${path} in container ${ref}`, err);
      throw err;
    }
  }

  #stat(root: FsRoot, r: Resolved, p: ContainerPath): PathStat {
    return {
      name: p.name,
      size: Number(r.st.size),
      mode: goFileMode(Number(r.st.mode)),
      mtime: goTime(r.st.mtimeNs),
      linkTarget: r.st.isSymbolicLink() ? root.realPath(p.abs) : '',
    };
  }

  /** HEAD /containers/{id}/archive. */
  async stat(ref: string, path: string): Promise<PathStat> {
    const p = containerPath(path);
    const a = await this.#access(ref);
    try {
      const r = this.#resolve(a.root, ref, path, p);
      try {
        return this.#stat(a.root, r, p);
      } finally {
        r.close();
      }
    } finally {
      a.release();
    }
  }

  /** GET /containers/{id}/archive: the stat and a tar of the path, its top entry renamed as dockerd does. */
  async archive(ref: string, path: string, signal?: AbortSignal): Promise<TarStream & { stat: PathStat }> {
    const p = containerPath(path);
    const a = await this.#access(ref);
    let r: Resolved | undefined;
    try {
      r = this.#resolve(a.root, ref, path, p);
      const stat = this.#stat(a.root, r, p);
      const out = this.#stream(tarOf(r, p.name, signal), [r, a]);
      containerEvent(this.#d.events, a.rec, 'archive-path');
      return { ...out, stat };
    } catch (err) {
      r?.close();
      a.release();
      throw err;
    }
  }

  /** GET /containers/{id}/export: the whole root file system. */
  async export(ref: string, signal?: AbortSignal): Promise<TarStream> {
    const a = await this.#access(ref, false);
    let r: Resolved | undefined;
    try {
      r = a.root.resolve('/', true);
      const out = this.#stream(tarOf(r, '', signal), [r, a]);
      containerEvent(this.#d.events, a.rec, 'export');
      return out;
    } catch (err) {
      r?.close();
      a.release();
      throw err;
    }
  }

  #stream(tar: AsyncGenerator<Buffer>, held: { close?(): void; release?(): void }[]): TarStream {
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const h of held) {
        h.close?.();
        h.release?.();
      }
    };
    async function* run() {
      try {
        yield* tar;
      } finally {
        release();
      }
    }
    return { tar: run(), release };
  }

  /** PUT /containers/{id}/archive: extracts a tar (plain, gzip or zstd) into a directory. */
  async extract(
    ref: string,
    path: string,
    body: AsyncIterable<Uint8Array>,
    opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean; signal?: AbortSignal },
  ): Promise<void> {
    const p = containerPath(path);
    const rec = this.#d.containers.store.get(ref);
    let spool: string | undefined;
    let source: AsyncIterable<Uint8Array> = body;
    if (rec.State.Running) {
      // read the upload before freezing the container: the freeze then lasts as long as the disk
      spool = join(this.#d.spoolDir, randomBytes(12).toString('hex'));
      await pipeline(body, createWriteStream(spool, { mode: 0o600 }), { signal: opts.signal });
      source = readSpool(spool);
    }
    try {
      const a = await this.#access(ref);
      try {
        await this.#extractInto(a, ref, path, p, source, opts);
      } finally {
        a.release();
      }
      containerEvent(this.#d.events, a.rec, 'extract-to-dir');
    } finally {
      if (spool) rmSync(spool, { force: true });
    }
  }

  async #extractInto(
    a: Access & { rec: ContainerRecord },
    ref: string,
    path: string,
    p: ContainerPath,
    source: AsyncIterable<Uint8Array>,
    opts: { noOverwriteDirNonDir: boolean; copyUIDGID: boolean; signal?: AbortSignal },
  ): Promise<void> {
    const r = this.#resolve(a.root, ref, path, { ...p, follow: true });
    const dest = r.path;
    const isDir = r.st.isDirectory();
    r.close();
    if (!isDir) throw invalidArgument('extraction point is not a directory');
    if (a.rec.HostConfig.ReadonlyRootfs) throw invalidArgument('container rootfs is marked read-only');
    let owner: ExtractOptions['owner'];
    if (opts.copyUIDGID && a.rec.Config.User) {
      const u = resolveUser(a.rec.Config.User, a.root.readFile('/etc/passwd'), a.root.readFile('/etc/group'));
      owner = { uid: u.uid, gid: u.gid };
    }
    const existing = (rel: string) => {
      try {
        const e = a.root.resolve(rel, false);
        e.close();
        return e.st.isDirectory() ? ('dir' as const) : ('other' as const);
      } catch (err) {
        if (err instanceof BerthError) return undefined;
        throw err;
      }
    };
    const entries = uploadEntries(
      readTar(decompress(source, opts.signal)),
      dest,
      { noOverwriteDirNonDir: opts.noOverwriteDirNonDir, owner },
      existing,
    );
    const live = this.#d.containers.store.get(a.rec.ID);
    const freeze = a.running && live.State.Running && !live.State.Paused;
    if (freeze) await this.#d.containers.runtime.pause(a.rec.ID);
    try {
      await applyLayer(fdPath(a.root.fd), writeTar(entries), { mode: 'vfs', signal: opts.signal });
    } finally {
      if (freeze) await this.#d.containers.runtime.resume(a.rec.ID).catch(() => {});
    }
  }
}
