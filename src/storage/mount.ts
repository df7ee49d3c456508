// Performs the Mount[] a snapshotter returns, and undoes it, through the fsops addon.
//
// overlayfs takes its options in one page (4096 bytes): a deep image's lowerdir list of
// absolute paths exceeds it (130 layers of `/var/lib/berth/overlay/snapshots/123/fs` is over
// 5 KB). Then the directory common to all the layer paths is taken out of them and the mount
// is made from inside it (fsops's `cwd`: a forked child chdirs there and mounts), so each layer
// costs a few bytes (`123/fs`), as docker's overlay2 does with its `l/` links.

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { internal } from '../common/errors.ts';
import {
  fsops,
  MNT_DETACH,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
} from './native.ts';
import type { Mount } from './snapshotter.ts';

const PAGE = 4096;
const FLAGS: { [opt: string]: number } = {
  ro: MS_RDONLY,
  nosuid: MS_NOSUID,
  nodev: MS_NODEV,
  noexec: MS_NOEXEC,
  bind: MS_BIND,
  rbind: MS_BIND | MS_REC,
};
const PATH_OPTIONS = ['lowerdir', 'upperdir', 'workdir'];

function splitOptions(options: string[]): { flags: number; data: string[] } {
  let flags = 0;
  const data: string[] = [];
  for (const o of options) {
    if (o in FLAGS) flags |= FLAGS[o];
    else if (o !== 'rw') data.push(o);
  }
  return { flags, data };
}

/** The longest directory prefix (ending in `/`) shared by every layer path of the options. */
function commonDir(paths: string[]): string {
  let prefix = paths[0].slice(0, paths[0].lastIndexOf('/') + 1);
  for (const p of paths)
    while (!p.startsWith(prefix)) prefix = prefix.slice(0, prefix.lastIndexOf('/', prefix.length - 2) + 1);
  return prefix;
}

/** overlay options with the layer paths made relative to their common directory. */
export function compactOverlayOptions(data: string[]): { data: string[]; cwd: string } {
  const paths = data.flatMap((o) => {
    const [k, v] = [o.slice(0, o.indexOf('=')), o.slice(o.indexOf('=') + 1)];
    return PATH_OPTIONS.includes(k) ? v.split(':') : [];
  });
  const cwd = commonDir(paths);
  if (cwd === '/' || cwd === '') return { data, cwd: '' };
  const rel = (p: string) => (p.startsWith(cwd) ? p.slice(cwd.length) : p);
  return {
    cwd,
    data: data.map((o) => {
      const eq = o.indexOf('=');
      return PATH_OPTIONS.includes(o.slice(0, eq))
        ? `${o.slice(0, eq)}=${o
            .slice(eq + 1)
            .split(':')
            .map(rel)
            .join(':')}`
        : o;
    }),
  };
}

function mountOne(m: Mount, target: string): void {
  const ops = fsops();
  const { flags, data } = splitOptions(m.options);
  if (m.type === 'bind' || flags & MS_BIND) {
    ops.mount(m.source, target, '', flags & (MS_BIND | MS_REC), '', '');
    if (flags & ~(MS_BIND | MS_REC))
      ops.mount('', target, '', MS_BIND | MS_REMOUNT | (flags & ~MS_REC), '', '');
    return;
  }
  let text = data.join(',');
  let cwd = '';
  if (m.type === 'overlay' && text.length >= PAGE) {
    const compact = compactOverlayOptions(data);
    text = compact.data.join(',');
    cwd = compact.cwd;
  }
  if (text.length >= PAGE)
    throw internal(`mount ${target}: ${m.type} options are ${text.length} bytes, over a page`);
  ops.mount(m.source, target, m.type, flags, text, cwd);
}

/** Mounts `mounts` on `target`, in order (each on top of the previous one). */
export function mount(mounts: Mount[], target: string): void {
  for (const m of mounts) mountOne(m, target);
}

/**
 * Mounts `mounts` on `target` with overlays `volatile` (Linux 5.10): for an upper layer thrown
 * away after use (podman's `--rm`), the overlay skips syncing it, so its unmount does not wait
 * for the file system's journal (10-30 ms on ext4). The kernel refuses to mount a volatile upper
 * layer again while the marker its last mount left is there (a crash, a start that failed after
 * mounting): it is cleared first. Kernels without the option get the plain mount.
 */
export function mountVolatile(mounts: Mount[], target: string): void {
  if (!mounts.some((m) => m.type === 'overlay')) {
    mount(mounts, target);
    return;
  }
  for (const m of mounts) {
    const workdir = m.options.find((o) => o.startsWith('workdir='))?.slice('workdir='.length);
    if (workdir) rmSync(join(workdir, 'work', 'incompat', 'volatile'), { recursive: true, force: true });
  }
  try {
    mount(
      mounts.map((m) => (m.type === 'overlay' ? { ...m, options: [...m.options, 'volatile'] } : m)),
      target,
    );
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
    mount(mounts, target);
  }
}

/** Unmounts `target` (every mount stacked on it when `all`); `detach`: lazily (MNT_DETACH). */
export function unmount(target: string, opts: { detach?: boolean; all?: boolean } = {}): void {
  const ops = fsops();
  for (let n = 0; ; n++) {
    try {
      ops.umount2(target, opts.detach ? MNT_DETACH : 0);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (n > 0 && (code === 'EINVAL' || code === 'ENOENT')) return; // nothing more mounted there
      throw err;
    }
    if (!opts.all) return;
  }
}

/**
 * Whether `target` is the root of a mount: statx's STATX_ATTR_MOUNT_ROOT, one call; scanning
 * /proc/self/mountinfo (the fallback, for kernels before 5.8) takes 10 ms and more on a host
 * with a thousand mounts. A missing `target` is not mounted.
 */
export function isMountPoint(target: string): boolean {
  try {
    return fsops().isMountPoint(target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return false;
    if (code !== 'ENOSYS' && code !== 'EINVAL') throw err;
  }
  try {
    return readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .some((line) => line.split(' ')[4] === target);
  } catch {
    return false;
  }
}
