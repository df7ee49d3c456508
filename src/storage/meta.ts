// File metadata: owners, modes, xattrs and nanosecond times, set without following symlinks,
// and copied from one file to another (copy-up).

import { type BigIntStats, chmodSync, lchownSync, lstatSync } from 'node:fs';
import { fsops } from './native.ts';
import { OVERLAY_XATTR_PREFIX } from './whiteout.ts';

export interface Meta {
  uid: number;
  gid: number;
  mode: number;
  mtime: number;
  mtimeNsec: number;
  xattrs: Record<string, Buffer>;
}

/**
 * Owner, then mode (chown clears setuid bits), then xattrs. Times are set separately, last.
 * An xattr the file system refuses for this kind of file (user.* on a symlink, a namespace
 * it lacks: EPERM, ENOTSUP) is skipped, as Docker does; other errors throw.
 */
export function setMeta(path: string, m: Meta, isSymlink: boolean): void {
  lchownSync(path, m.uid, m.gid);
  if (!isSymlink) chmodSync(path, m.mode & 0o7777);
  setXattrs(path, m.xattrs);
}

/** The xattrs of setMeta alone (after the owner: chown drops security.capability). */
export function setXattrs(path: string, xattrs: Record<string, Buffer>): void {
  for (const [name, value] of Object.entries(xattrs)) {
    const ops = fsops();
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) continue;
    try {
      ops.lsetxattr(path, name, value);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
    }
  }
}

export function setTimes(path: string, mtime: number, mtimeNsec: number): void {
  fsops().lutimens(path, mtime, mtimeNsec, mtime, mtimeNsec);
}

/** The xattrs of a path, overlayfs's own left out. */
export function readXattrs(path: string): Record<string, Buffer> {
  const ops = fsops();
  const out: Record<string, Buffer> = {};
  for (const name of ops.llistxattr(path).sort()) {
    if (name.startsWith(OVERLAY_XATTR_PREFIX)) continue;
    const v = ops.lgetxattr(path, name);
    if (v) out[name] = v;
  }
  return out;
}

export function metaOf(path: string, st: BigIntStats = lstatSync(path, { bigint: true })): Meta {
  return {
    uid: Number(st.uid),
    gid: Number(st.gid),
    mode: Number(st.mode) & 0o7777,
    mtime: Number(st.mtimeNs / 1_000_000_000n),
    mtimeNsec: Number(st.mtimeNs % 1_000_000_000n),
    xattrs: readXattrs(path),
  };
}

/** The major and minor numbers of a dev_t (glibc's encoding). */
export const devMajor = (rdev: number) => ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
export const devMinor = (rdev: number) => (rdev & 0xff) | ((rdev >>> 12) & ~0xff);
