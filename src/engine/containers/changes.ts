// What a container changed in its root file system: Docker's GET /containers/{id}/changes
// ([{Path, Kind}]: 0 modified, 1 added, 2 deleted), and the rules `commit` shares with it.
//
// The container's own layer (the snapshot `container-<id>`) is compared with the image's tree
// under it. overlay: every entry of the upper directory is a change (a 0/0 character device is
// a deletion; an opaque directory deletes what the image had in it), added when the image has
// no such path, modified otherwise, except a directory whose mode and owner the image's copy
// shares (overlayfs copies directories up to hold a changed child: that alone is not a change).
// vfs: the container's full tree against its parent's (type, mode, owner, size, mtime, device
// and link target). As dockerd 20.10 reports them, the parents of a change are listed as
// modified, and the list is sorted with parents first.
//
// The engine's own files are left out, as dockerd keeps them in its "-init" layer: the mount
// points of /etc/hostname, /etc/hosts and /etc/resolv.conf (bind mounts: their contents are
// never in the layer, but overlayfs creates an empty file for a mount point the image lacks),
// and /proc, /sys, /dev and its mount points when the runtime created them empty.
//
// Walks of a container's layer go through file descriptors (archive.ts), never by path: a
// running container cannot redirect them out of its layer. The image's layers are immutable.

import { type BigIntStats, closeSync, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fsops } from '../../storage/native.ts';
import { baseOf, parentOf } from '../../storage/paths.ts';
import type { Snapshotter } from '../../storage/snapshotter.ts';
import { readTar, type TarEntry } from '../../storage/tar/reader.ts';
import { type TarInput, writeTar } from '../../storage/tar/writer.ts';
import { isWhiteoutDevice, OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX } from '../../storage/whiteout.ts';
import { FsRoot, fdPath, lookupChild } from './archive.ts';

export type ChangeKind = 0 | 1 | 2;
export const MODIFIED = 0;
export const ADDED = 1;
export const DELETED = 2;

export interface Change {
  Path: string;
  Kind: ChangeKind;
}

/** The engine's per-container files, bind-mounted over whatever the layer holds there. */
export const ETC_MOUNT_POINTS: ReadonlySet<string> = new Set([
  'etc/hostname',
  'etc/hosts',
  'etc/resolv.conf',
]);
/** Directories the runtime creates as mount points when the image lacks them. */
export const MOUNT_POINT_DIRS: ReadonlySet<string> = new Set([
  'proc',
  'sys',
  'dev',
  'dev/pts',
  'dev/shm',
  'dev/mqueue',
]);

// ---- the image's tree under the container's layer ---------------------------------------------

/** Read-only lookups in the image's tree, by path relative to its root (`etc/passwd`). */
export interface LowerTree {
  stat(rel: string): BigIntStats | undefined;
  /** The names in directory `rel` (empty if it is none). */
  list(rel: string): string[];
  readlink(rel: string): string;
}

function lstatOr(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}

const isOpaque = (path: string) => fsops().lgetxattr(path, OPAQUE_XATTR)?.toString() === 'y';

/**
 * Layer directories stacked as overlayfs stacks them (nearest first): a 0/0 character device
 * hides a path, an opaque directory what the layers below hold in it, a non-directory what is
 * below it. A vfs snapshot is one full tree: `[dir]`. Every component is checked with lstat,
 * so no symlink of a layer is followed.
 */
export function lowerTree(layers: readonly string[]): LowerTree {
  const find = (rel: string): { st: BigIntStats; path: string } | undefined => {
    const parts = rel.split('/');
    for (const layer of layers) {
      let path = layer;
      let opaque = false;
      for (let i = 0; i < parts.length; i++) {
        path = join(path, parts[i]);
        const st = lstatOr(path);
        if (!st) {
          if (opaque) return undefined;
          break; // not in this layer: the next one down
        }
        if (isWhiteoutDevice(st)) return undefined;
        if (i === parts.length - 1) return { st, path };
        if (!st.isDirectory()) return undefined;
        if (isOpaque(path)) opaque = true;
      }
    }
    return undefined;
  };
  return {
    stat: (rel) => find(rel)?.st,
    list(rel) {
      const names = new Set<string>();
      for (const layer of layers) {
        let path = layer;
        let isDir = true;
        for (const part of rel === '' ? [] : rel.split('/')) {
          path = join(path, part);
          isDir = lstatOr(path)?.isDirectory() === true;
          if (!isDir) break;
        }
        if (isDir) for (const n of readdirSync(path)) names.add(n);
      }
      const under = (n: string) => (rel === '' ? n : `${rel}/${n}`);
      return [...names].filter((n) => find(under(n)) !== undefined).sort();
    },
    readlink: (rel) => readlinkSync(find(rel)!.path),
  };
}

// ---- decisions (pure) --------------------------------------------------------------------------

/** One path of the container's layer and what it is, before the engine's files are taken out. */
export interface RawChange {
  rel: string;
  kind: ChangeKind;
  dir: boolean;
}

interface Meta {
  mode: number | bigint;
  uid: number | bigint;
  gid: number | bigint;
}

/** A directory of the layer with the image's mode and owner: held only for its children. */
export function sameDirMeta(a: Meta, b: Meta): boolean {
  return (
    (Number(a.mode) & 0o7777) === (Number(b.mode) & 0o7777) &&
    Number(a.uid) === Number(b.uid) &&
    Number(a.gid) === Number(b.gid)
  );
}

/** Component-wise order: a directory right before what is in it. */
export function byComponents(a: string, b: string): number {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
  }
  return pa.length - pb.length;
}

/** Docker's list: the engine's files out, parents of changes as modified, parents first. */
export function summarize(raw: readonly RawChange[]): Change[] {
  const kept = new Map<string, ChangeKind>();
  const mountDirs: string[] = [];
  for (const c of raw) {
    if (ETC_MOUNT_POINTS.has(c.rel)) continue;
    if (c.kind === ADDED && c.dir && MOUNT_POINT_DIRS.has(c.rel)) mountDirs.push(c.rel);
    else kept.set(c.rel, c.kind);
  }
  // an added mount point directory is shown once something else is in it
  for (const d of mountDirs.sort(byComponents).reverse()) {
    if ([...kept.keys()].some((k) => k.startsWith(`${d}/`))) kept.set(d, ADDED);
  }
  for (const rel of [...kept.keys()]) {
    for (let p = parentOf(rel); p !== ''; p = parentOf(p)) if (!kept.has(p)) kept.set(p, MODIFIED);
  }
  return [...kept.keys()].sort(byComponents).map((rel) => ({ Path: `/${rel}`, Kind: kept.get(rel)! }));
}

// ---- walks of the container's layer -------------------------------------------------------------

const child = (rel: string, name: string) => (rel === '' ? name : `${rel}/${name}`);

/** overlay: the upper directory's entries against the image's tree. */
function walkUpper(dirFd: number, rel: string, lower: LowerTree, out: RawChange[]): void {
  const names = readdirSync(fdPath(dirFd)).sort();
  for (const name of names) {
    const c = lookupChild(dirFd, name);
    if (!c) continue;
    const r = child(rel, name);
    try {
      if (isWhiteoutDevice(c.st)) {
        out.push({ rel: r, kind: DELETED, dir: false });
        continue;
      }
      const low = lower.stat(r);
      const dir = c.st.isDirectory();
      if (!low) out.push({ rel: r, kind: ADDED, dir });
      else if (!(dir && low.isDirectory() && sameDirMeta(c.st, low)))
        out.push({ rel: r, kind: MODIFIED, dir });
      if (!dir) continue;
      if (low?.isDirectory() && isOpaque(fdPath(dirFd, name))) {
        const mine = new Set(readdirSync(fdPath(c.fd)));
        for (const n of lower.list(r))
          if (!mine.has(n)) out.push({ rel: child(r, n), kind: DELETED, dir: false });
      }
      walkUpper(c.fd, r, lower, out);
    } finally {
      closeSync(c.fd);
    }
  }
}

function sameEntry(a: BigIntStats, b: BigIntStats, links: () => boolean): boolean {
  if (a.isDirectory() && b.isDirectory()) return sameDirMeta(a, b);
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.mtimeNs !== b.mtimeNs) return false;
  if (a.isFile() && a.size !== b.size) return false;
  if ((a.isCharacterDevice() || a.isBlockDevice()) && a.rdev !== b.rdev) return false;
  return !a.isSymbolicLink() || links();
}

/** vfs: the container's full tree against its parent's. */
function walkTree(dirFd: number, rel: string, lower: LowerTree, out: RawChange[]): void {
  const names = readdirSync(fdPath(dirFd)).sort();
  const mine = new Set(names);
  for (const n of lower.list(rel))
    if (!mine.has(n)) out.push({ rel: child(rel, n), kind: DELETED, dir: false });
  for (const name of names) {
    const c = lookupChild(dirFd, name);
    if (!c) continue;
    const r = child(rel, name);
    try {
      const low = lower.stat(r);
      const dir = c.st.isDirectory();
      const sameType = low !== undefined && (low.mode & 0o170000n) === (c.st.mode & 0o170000n);
      if (!low) out.push({ rel: r, kind: ADDED, dir });
      else if (
        !sameType ||
        !sameEntry(c.st, low, () => readlinkSync(fdPath(dirFd, name)) === lower.readlink(r))
      )
        out.push({ rel: r, kind: MODIFIED, dir });
      if (dir) walkTree(c.fd, r, sameType ? lower : EMPTY, out);
    } finally {
      closeSync(c.fd);
    }
  }
}

const EMPTY: LowerTree = { stat: () => undefined, list: () => [], readlink: () => '' };

/** The image's tree under a container's snapshot, for the snapshotter in use. */
export function lowerOf(snapshots: Snapshotter, key: string): LowerTree {
  const { lowers } = snapshots.layerDirs(key);
  if (lowers.length === 0) return EMPTY;
  return lowerTree(snapshots.driver === 'vfs' ? [lowers[0]] : lowers);
}

/** GET /containers/{id}/changes for the snapshot `key`. */
export function containerChanges(snapshots: Snapshotter, key: string): Change[] {
  const { dir } = snapshots.layerDirs(key);
  const lower = lowerOf(snapshots, key);
  const root = FsRoot.open(dir);
  const raw: RawChange[] = [];
  try {
    if (snapshots.driver === 'vfs') walkTree(root.fd, '', lower, raw);
    else walkUpper(root.fd, '', lower, raw);
  } finally {
    root.close();
  }
  return summarize(raw);
}

// ---- the layer commit writes -------------------------------------------------------------------

/** What becomes of one entry of a container's diff in the committed layer. */
export function layerEntryFate(
  e: Pick<TarEntry, 'name' | 'type' | 'mode' | 'uid' | 'gid'>,
  lower: LowerTree,
) {
  const name = e.name.replace(/\/+$/, '');
  const base = baseOf(name);
  if (base === OPAQUE_MARKER) return 'keep';
  if (base.startsWith(WHITEOUT_PREFIX)) {
    const victim = child(parentOf(name), base.slice(WHITEOUT_PREFIX.length));
    return ETC_MOUNT_POINTS.has(victim) ? 'drop' : 'keep';
  }
  if (ETC_MOUNT_POINTS.has(name)) return 'drop';
  if (e.type !== 'dir') return 'keep';
  const low = lower.stat(name);
  if (!low) return MOUNT_POINT_DIRS.has(name) ? 'unless-empty' : 'keep';
  return low.isDirectory() && sameDirMeta(e, low) ? 'unless-empty' : 'keep';
}

/**
 * A container's diff (a layer tar) without the engine's files: their entries dropped, and the
 * directories that held only them (or that are only a parent of changes and unchanged
 * themselves) dropped when nothing else in them is kept. `count()`: the entries kept.
 */
export function commitLayer(diff: AsyncIterable<Buffer>, lower: LowerTree) {
  let kept = 0;
  async function* entries(): AsyncGenerator<TarInput> {
    const pending: { rel: string; entry: TarInput }[] = [];
    for await (const e of readTar(diff)) {
      const rel = e.name.replace(/\/+$/, '');
      while (pending.length && !rel.startsWith(`${pending.at(-1)!.rel}/`)) pending.pop();
      const fate = layerEntryFate(e, lower);
      if (fate === 'drop') continue;
      if (fate === 'unless-empty') {
        pending.push({ rel, entry: { ...e, body: undefined } });
        continue;
      }
      for (const p of pending.splice(0)) {
        kept++;
        yield p.entry;
      }
      kept++;
      yield e;
    }
  }
  return { tar: writeTar(entries()), count: () => kept };
}
