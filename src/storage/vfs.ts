// The vfs snapshotter, for hosts without overlayfs: every snapshot is a full copy of its
// parent (`cp -a`: owners, modes, nanosecond times, xattrs, devices and hard links kept,
// reflinked where the file system can), and layers are applied to the copy (whiteouts delete).

import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { internal } from '../common/errors.ts';
import { diffDirectory } from './diff.ts';
import { type Driver, SnapshotStore } from './store.ts';

/** Copies the tree `from` to the new directory `to`. */
export function copyTree(from: string, to: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('cp', ['-a', '--reflink=auto', '--no-target-directory', from, to], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
    });
    child.on('error', (err) => reject(internal(`copy ${from} to ${to}: ${err.message}`, err)));
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(internal(`copy ${from} to ${to}: ${stderr.trim() || `cp exited ${code}`}`)),
    );
  });
}

const vfs: Driver = {
  name: 'vfs',
  applyMode: 'vfs',

  async create(dir, parents) {
    if (parents.length) await copyTree(parents[0], join(dir, 'fs'));
    else await mkdir(join(dir, 'fs'));
  },

  mounts(s) {
    return [{ type: 'bind', source: s.fs, options: ['rbind', s.kind === 'view' ? 'ro' : 'rw'] }];
  },

  diff(s, signal) {
    return diffDirectory(s.fs, s.parents[0] ?? null, { signal });
  },

  async committed() {},
};

export class VfsSnapshotter extends SnapshotStore {
  constructor(root: string) {
    super(root, vfs);
  }
}
