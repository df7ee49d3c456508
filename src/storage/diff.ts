// diffDirectory: a layer tar of what a directory changed, the inverse of applyLayer.
//
// Two inputs. An overlay upper dir (no parent given): every entry in it is a change; 0/0
// character devices become `.wh.<name>` entries and a directory with trusted.overlay.opaque=y
// gets a `.wh..wh..opq` entry after its own. A plain tree compared with its parent's (vfs):
// what is new or whose metadata differs (type, mode, owner, size, mtime, device, link target,
// xattrs; contents are not compared, as Docker's naive diff) is written, what is gone becomes a
// `.wh.` entry, and a directory is written when it or anything under it changed.
//
// Deterministic: names in code-unit order, mtimes truncated to seconds (as Docker writes
// layers), no user or group names, hard links within the layer as link entries to the first
// name met. Sockets are skipped. File bodies are read as the output is pulled.

import { type BigIntStats, createReadStream, lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { devMajor, devMinor, readXattrs } from './meta.ts';
import { fsops } from './native.ts';
import { header, type TarHeader } from './tar/header.ts';
import { type TarInput, writeTar } from './tar/writer.ts';
import { isWhiteoutDevice, OPAQUE_MARKER, OPAQUE_XATTR, WHITEOUT_PREFIX } from './whiteout.ts';

export interface DiffOptions {
  signal?: AbortSignal;
}

interface Change {
  kind: 'entry' | 'whiteout' | 'opaque';
  rel: string;
  path: string;
  st: BigIntStats;
}

function lstatOr(path: string): BigIntStats | undefined {
  try {
    return lstatSync(path, { bigint: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

const sorted = (names: Iterable<string>) => [...names].sort();
const join2 = (rel: string, name: string) => (rel ? `${rel}/${name}` : name);

function* upperChanges(root: string, rel: string): Generator<Change> {
  for (const name of sorted(readdirSync(join(root, rel)))) {
    const childRel = join2(rel, name);
    const path = join(root, childRel);
    const st = lstatSync(path, { bigint: true });
    if (isWhiteoutDevice(st)) {
      yield { kind: 'whiteout', rel: childRel, path, st };
      continue;
    }
    yield { kind: 'entry', rel: childRel, path, st };
    if (!st.isDirectory()) continue;
    if (fsops().lgetxattr(path, OPAQUE_XATTR)?.toString() === 'y')
      yield { kind: 'opaque', rel: childRel, path, st };
    yield* upperChanges(root, childRel);
  }
}

function sameMeta(a: BigIntStats, pa: string, b: BigIntStats, pb: string): boolean {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.mtimeNs !== b.mtimeNs) return false;
  if (a.isFile() && a.size !== b.size) return false;
  if ((a.isCharacterDevice() || a.isBlockDevice()) && a.rdev !== b.rdev) return false;
  if (a.isSymbolicLink() && readlinkSync(pa) !== readlinkSync(pb)) return false;
  const xa = readXattrs(pa);
  const xb = readXattrs(pb);
  const keys = Object.keys(xa);
  return keys.length === Object.keys(xb).length && keys.every((k) => xb[k]?.equals(xa[k]));
}

function treeChanges(root: string, parent: string | null, rel: string): Change[] {
  const out: Change[] = [];
  const names = new Set(readdirSync(join(root, rel)));
  const pdir = parent === null ? undefined : join(parent, rel);
  if (pdir !== undefined && lstatOr(pdir)?.isDirectory()) for (const n of readdirSync(pdir)) names.add(n);
  for (const name of sorted(names)) {
    const childRel = join2(rel, name);
    const path = join(root, childRel);
    const a = lstatOr(path);
    const b = parent === null ? undefined : lstatOr(join(parent, childRel));
    if (!a) {
      if (b) out.push({ kind: 'whiteout', rel: childRel, path, st: b });
      continue;
    }
    const entry: Change = { kind: 'entry', rel: childRel, path, st: a };
    const typeChanged = !b || (a.mode & 0o170000n) !== (b.mode & 0o170000n);
    if (a.isDirectory()) {
      const children = treeChanges(root, typeChanged ? null : parent, childRel);
      if (typeChanged || children.length || !sameMeta(a, path, b, join(parent!, childRel)))
        out.push(entry, ...children);
    } else if (typeChanged || !sameMeta(a, path, b, join(parent!, childRel))) out.push(entry);
  }
  return out;
}

function tarEntry(c: Change, links: Map<bigint, string>): TarInput | undefined {
  const { st, rel } = c;
  const base: Partial<TarHeader> = {
    mode: Number(st.mode & 0o7777n),
    uid: Number(st.uid),
    gid: Number(st.gid),
    mtime: Number(st.mtimeNs / 1_000_000_000n),
  };
  const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/') + 1) : '';
  if (c.kind === 'whiteout') {
    return header({ ...base, name: `${parent}${WHITEOUT_PREFIX}${rel.slice(parent.length)}`, mode: 0o600 });
  }
  if (c.kind === 'opaque')
    return header({ ...base, name: `${rel}/${OPAQUE_MARKER}`, mode: base.mode! & 0o777 });
  const xattrs = readXattrs(c.path);
  if (st.isDirectory()) return header({ ...base, xattrs, name: `${rel}/`, type: 'dir' });
  if (st.isSymbolicLink())
    return header({ ...base, xattrs, name: rel, type: 'symlink', linkname: readlinkSync(c.path) });
  if (st.isFile()) {
    const first = st.nlink > 1n ? links.get(st.ino) : undefined;
    if (first !== undefined) return header({ ...base, xattrs, name: rel, type: 'hardlink', linkname: first });
    if (st.nlink > 1n) links.set(st.ino, rel);
    return {
      ...header({ ...base, xattrs, name: rel, size: Number(st.size) }),
      body: createReadStream(c.path),
    };
  }
  const rdev = Number(st.rdev);
  const dev = { devmajor: devMajor(rdev), devminor: devMinor(rdev) };
  if (st.isCharacterDevice()) return header({ ...base, ...dev, xattrs, name: rel, type: 'char' });
  if (st.isBlockDevice()) return header({ ...base, ...dev, xattrs, name: rel, type: 'block' });
  if (st.isFIFO()) return header({ ...base, xattrs, name: rel, type: 'fifo' });
  return undefined; // a socket: not part of a layer
}

async function* entries(changes: Iterable<Change>, signal?: AbortSignal): AsyncGenerator<TarInput> {
  const links = new Map<bigint, string>();
  for (const c of changes) {
    signal?.throwIfAborted();
    const e = tarEntry(c, links);
    if (e) yield e;
  }
}

/**
 * The layer tar of `dir`'s changes. `parentView` undefined: `dir` is an overlay upper dir;
 * a path: compare with that tree (vfs); null: `dir` is a whole base layer, no parent.
 */
export function diffDirectory(
  dir: string,
  parentView?: string | null,
  opts: DiffOptions = {},
): AsyncGenerator<Buffer> {
  const changes = parentView === undefined ? upperChanges(dir, '') : treeChanges(dir, parentView, '');
  return writeTar(entries(changes, opts.signal));
}
