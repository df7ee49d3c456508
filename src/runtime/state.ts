// Container state on disk: one directory per container under the runtime root
// (/run/berth-runtime by default) holding state.json (written atomically), the exec fifo
// while the container is created but not started, and the config it was created from.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { conflict, invalidArgument, notFound } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import type { Spec } from '../spec/oci.ts';

export const DEFAULT_ROOT = '/run/berth-runtime';
const ID = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export interface ContainerRecord {
  ociVersion: string;
  id: string;
  /** host pid of the container's first process; 0 before it exists */
  pid: number;
  /** its start time (field 22 of /proc/PID/stat), so a reused pid is never mistaken for it */
  pidStart: string;
  bundle: string;
  rootfs: string;
  cgroupsPath: string;
  /** RFC 3339 */
  created: string;
  annotations: Record<string, string>;
  spec: Spec;
}

export function validateId(id: string): void {
  if (!ID.test(id) || id.length > 1024) throw invalidArgument(`invalid container id "${id}"`);
}

export class StateStore {
  readonly root: string;

  constructor(root = DEFAULT_ROOT) {
    this.root = root;
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  fifo(id: string): string {
    return join(this.dir(id), 'exec.fifo');
  }

  /** Claims the id: creates its directory, or fails with Conflict if it exists. */
  claim(id: string): string {
    validateId(id);
    mkdirSync(this.root, { recursive: true, mode: 0o711 });
    const dir = this.dir(id);
    try {
      mkdirSync(dir, { mode: 0o711 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw conflict(`container with id exists: ${id}`);
      throw err;
    }
    return dir;
  }

  save(record: ContainerRecord): void {
    // runtime state lives under /run: it means nothing after a reboot, so no fsync
    writeFileAtomic(join(this.dir(record.id), 'state.json'), JSON.stringify(record), 0o600, { sync: false });
  }

  load(id: string): ContainerRecord {
    validateId(id);
    const file = join(this.dir(id), 'state.json');
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`container does not exist: ${id}`);
      throw err;
    }
    return JSON.parse(text) as ContainerRecord;
  }

  exists(id: string): boolean {
    return existsSync(join(this.dir(id), 'state.json'));
  }

  /** Ids of every container with a state file, oldest first. */
  list(): string[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root)
      .filter((id) => existsSync(join(this.root, id, 'state.json')))
      .map((id) => ({ id, t: statSync(join(this.root, id, 'state.json')).birthtimeMs }))
      .sort((a, b) => a.t - b.t)
      .map((e) => e.id);
  }

  remove(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }
}
