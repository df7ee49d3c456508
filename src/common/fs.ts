// Crash-safe file writes (HABITS.md 9): write a temp file, fsync, rename. Without `sync` the
// rename alone still makes the write all-or-nothing for a process killed at any point; only a
// machine crash can lose it (for state that a reboot voids anyway: running containers).

import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';

export function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  mode = 0o644,
  opts: { sync?: boolean } = {},
): void {
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', mode);
  try {
    writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (opts.sync !== false) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
