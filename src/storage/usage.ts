// Disk usage of a directory tree: allocated blocks, each inode counted once. And Docker's size of
// a container's own layer, from an overlay's upper directory.

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage } from './snapshotter.ts';
import { isWhiteoutDevice } from './whiteout.ts';

export async function diskUsage(dir: string): Promise<Usage> {
  const seen = new Set<bigint>();
  let size = 0;
  const walk = async (path: string): Promise<void> => {
    const st = await lstat(path, { bigint: true });
    if (seen.has(st.ino)) return;
    seen.add(st.ino);
    size += Number(st.blocks) * 512;
    if (st.isDirectory()) for (const name of await readdir(path)) await walk(join(path, name));
  };
  await walk(dir);
  return { size, inodes: seen.size };
}

/**
 * What dockerd shows as a container's SizeRw, from an overlay's upper directory: the apparent
 * sizes (lstat's) of the files and symlinks it adds or changes, a file with several links once;
 * directories and whiteouts (deletions) count nothing. So a container that changed nothing is
 * 0 B, not the blocks of its empty directories, and one that wrote 6 bytes is 6 B.
 */
export async function changesSize(upper: string): Promise<number> {
  const seen = new Set<bigint>();
  let size = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        await walk(path);
        continue;
      }
      const st = await lstat(path, { bigint: true });
      if (isWhiteoutDevice(st) || seen.has(st.ino)) continue;
      if (st.nlink > 1n) seen.add(st.ino);
      size += Number(st.size);
    }
  };
  await walk(upper);
  return size;
}
