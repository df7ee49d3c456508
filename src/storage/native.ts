// The Node-API addon native/build/fsops.node (native/fsops/): the calls Node has no binding
// for. Each throws a Node-style error (`code`, `errno`, `syscall`, `path`), like node:fs.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { unavailable } from '../common/errors.ts';
import { nativeBuild } from '../common/paths.ts';

export interface FsOps {
  /** mknod(2): `mode` includes the type bits (S_IFCHR, S_IFBLK, S_IFIFO). */
  mknod(path: string, mode: number, major: number, minor: number): void;
  /** utimensat(2) with AT_SYMLINK_NOFOLLOW, nanosecond precision. */
  lutimens(path: string, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  lsetxattr(path: string, name: string, value: Buffer): void;
  /** null when the attribute is absent (ENODATA). */
  lgetxattr(path: string, name: string): Buffer | null;
  llistxattr(path: string): string[];
  lremovexattr(path: string, name: string): void;
  /** mount(2); '' for no fstype/data. A non-empty `cwd`: mounted by a child that chdirs there. */
  mount(source: string, target: string, fstype: string, flags: number, data: string, cwd: string): void;
  umount2(target: string, flags: number): void;
  /** Whether `path` (a final symlink not followed) is the root of a mount (statx, Linux 5.8). */
  isMountPoint(path: string): boolean;
  /**
   * A new regular file (O_EXCL, never through a final symlink) with `data` written and its
   * owner, mode (chown first: it clears set-id bits) and times set: one call for a small file.
   */
  createFile(
    path: string,
    mode: number,
    uid: number,
    gid: number,
    mtimeSec: number,
    mtimeNsec: number,
    data: Buffer,
  ): void;
  /**
   * createFile for a batch of files, in order, on libuv's threadpool (extraction goes on with
   * other work meanwhile). `paths`: each NUL-terminated; `meta`: six float64s a file (mode, uid,
   * gid, mtime, mtime ns, data length); `data`: the files' bytes one after another. Stops at the
   * first failure and rejects with its error, `index` naming the file (those before it are made).
   */
  createFiles(paths: Buffer, meta: Buffer, data: Buffer): Promise<void>;
  /** fchown, fchmod and futimens (atime = mtime) of an open file: what it gets last. */
  finishFile(fd: number, mode: number, uid: number, gid: number, mtimeSec: number, mtimeNsec: number): void;
  /** ORs FS_*_FL inode flags in (chattr +): FS_TOPDIR_FL, say. */
  addInodeFlags?(path: string, flags: number): void;
  /** A new SHA-256 state (native/fsops/hash.c). */
  sha256Init(): Buffer;
  /**
   * Hashes `chunks` into `state` on the threadpool and, when `fd` >= 0, writes them all to it
   * and starts their writeback (sync_file_range: the file is to be fsynced when complete).
   * Nothing handed over may change, and no other update of the state start, until it settles.
   */
  sha256Update(state: Buffer, chunks: Buffer[], fd: number): Promise<void>;
  /** The digest of a state, in hex; the state is spent. */
  sha256Final(state: Buffer): string;
  /** A new gunzip state (native/fsops/inflate.c; used through inflate.ts). */
  gunzipInit(): object;
  /**
   * Inflates `chunks` into `out` on the threadpool until `out` is full or the chunks are used up,
   * hashing what it wrote: [compressed bytes taken, bytes written, whether the input so far
   * ends with a whole gzip member]. Rejects with the zlib error (`code` Z_DATA_ERROR,
   * `consumed`). Nothing handed over may change, and no other run of the state start, until
   * it settles.
   */
  gunzipRun(state: object, chunks: Buffer[], out: Buffer): Promise<[number, number, boolean]>;
  /** The SHA-256 (hex) of everything the state wrote; frees it. */
  gunzipDigest(state: object): string;
  /** Frees a state given up on (once its run in flight, if any, settles). */
  gunzipEnd(state: object): void;
  /** flock(2) on an open fd: LOCK_EX | LOCK_NB, say. */
  flock(fd: number, operation: number): void;
  /**
   * A container's network endpoint without a process (native/fsops/netns.c), on libuv's
   * threadpool: a pool thread enters `ns` (made, and bind-mounted there, with `create`), makes a
   * veth pair, configures the inside end, comes back and puts the host end on `bridge`. `addrs`
   * (CIDRs) and `gateways` are space-separated.
   */
  netEndpoint(
    ns: string,
    create: number,
    ifname: string,
    hostIf: string,
    mac: string,
    mtu: number,
    bridge: string,
    addrs: string,
    gateways: string,
  ): Promise<void>;
}

/** chattr +T: ext4's Orlov allocator spreads the directories made in this one across groups. */
export const FS_TOPDIR_FL = 0x00020000;

export const LOCK_EX = 2;
export const LOCK_NB = 4;

export const FSOPS_PATH = process.env.BERTH_FSOPS ?? nativeBuild('fsops.node');

let loaded: FsOps | undefined;

/** The addon, loaded on first use. */
export function fsops(): FsOps {
  if (loaded) return loaded;
  if (!existsSync(FSOPS_PATH)) throw unavailable(`${FSOPS_PATH} is missing: run make -C native`);
  loaded = createRequire(import.meta.url)(FSOPS_PATH) as FsOps;
  return loaded;
}

// mount(2) flags and umount2(2) flags used by the snapshotters.
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MNT_DETACH = 0x2;
