// Disk usage of a directory tree: allocated blocks, each inode counted once.

import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Usage } from './snapshotter.ts';

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
