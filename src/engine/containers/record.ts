// Containers on disk: one directory per container under <data-root>/containers/<id> holding
// container.json (written atomically: the whole record, Docker's inspect shape plus berth's
// own fields), the json-file log, and the hostname/hosts/resolv.conf files mounted in.
// Names are an index over the records, rebuilt on open.

import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { conflict, invalidArgument, notFound } from '../../common/errors.ts';
import { writeFileAtomic } from '../../common/fs.ts';
import type { ContainerConfig, HostConfig } from '../../spec/docker/api.ts';
import type { ContainerNetworking } from '../../spec/docker/network.ts';

export type ContainerStatus =
  | 'created'
  | 'running'
  | 'paused'
  | 'restarting'
  | 'removing'
  | 'exited'
  | 'dead';

export interface Health {
  Status: 'starting' | 'healthy' | 'unhealthy' | 'none';
  FailingStreak: number;
  Log: { Start: string; End: string; ExitCode: number; Output: string }[];
}

export interface ContainerState {
  Status: ContainerStatus;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: Health;
}

export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerRecord {
  ID: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  /** image ID (sha256:…) */
  Image: string;
  Name: string;
  RestartCount: number;
  Driver: string;
  Config: ContainerConfig;
  HostConfig: HostConfig;
  LogPath: string;
  ResolvConfPath: string;
  HostnamePath: string;
  HostsPath: string;
  /** berth: the container was stopped by a user (restart policies leave it alone) */
  ManuallyStopped: boolean;
  /** berth: the cgroups path the container runs in */
  CgroupsPath: string;
  /** bridge and user-defined networks: endpoints, published ports, the namespace */
  NetworkSettings?: ContainerNetworking;
}

export function initialState(): ContainerState {
  return {
    Status: 'created',
    Running: false,
    Paused: false,
    Restarting: false,
    OOMKilled: false,
    Dead: false,
    Pid: 0,
    ExitCode: 0,
    Error: '',
    StartedAt: ZERO_TIME,
    FinishedAt: ZERO_TIME,
  };
}

const NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

const LEFT = [
  'amber',
  'bold',
  'brave',
  'calm',
  'clever',
  'crisp',
  'eager',
  'fond',
  'gentle',
  'happy',
  'keen',
  'kind',
  'lucid',
  'merry',
  'nimble',
  'noble',
  'proud',
  'quick',
  'quiet',
  'sharp',
  'shy',
  'steady',
  'sunny',
  'swift',
  'tender',
  'vivid',
  'wise',
  'witty',
  'zealous',
  'loyal',
];
const RIGHT = [
  'anchor',
  'beacon',
  'bollard',
  'buoy',
  'cargo',
  'compass',
  'current',
  'dock',
  'ferry',
  'harbor',
  'hull',
  'jetty',
  'keel',
  'lantern',
  'mast',
  'mooring',
  'pier',
  'quay',
  'rudder',
  'sail',
  'schooner',
  'skiff',
  'slip',
  'tide',
  'tugboat',
  'wharf',
  'windlass',
  'yawl',
  'helm',
  'galley',
];

export function newId(): string {
  return randomBytes(32).toString('hex');
}

export class ContainerStore {
  readonly root: string;
  readonly #records = new Map<string, ContainerRecord>();
  /** name without the leading slash → id */
  readonly #names = new Map<string, string>();
  /** id → the number of the save that last wrote its record (see version()) */
  readonly #versions = new Map<string, number>();
  #saves = 0;

  constructor(root: string) {
    this.root = root;
    mkdirSync(root, { recursive: true, mode: 0o710 });
    for (const id of readdirSync(root)) {
      const file = join(root, id, 'container.json');
      if (!existsSync(file)) {
        // a create that never finished
        rmSync(join(root, id), { recursive: true, force: true });
        continue;
      }
      for (const f of readdirSync(join(root, id)))
        if (f.startsWith('container.json.tmp-')) rmSync(join(root, id, f), { force: true });
      const rec = JSON.parse(readFileSync(file, 'utf8')) as ContainerRecord;
      this.#records.set(rec.ID, rec);
      this.#versions.set(rec.ID, ++this.#saves);
      // a name two records claim (berthd stopped while an --rm container's removal finished,
      // its record's file kept and its name already given again): the newer container keeps
      // it, the older is removed at adoption
      const name = rec.Name.slice(1);
      const owner = this.#names.get(name);
      if (owner === undefined || this.#records.get(owner)!.Created < rec.Created)
        this.#names.set(name, rec.ID);
    }
  }

  dir(id: string): string {
    return join(this.root, id);
  }

  all(): ContainerRecord[] {
    return [...this.#records.values()].sort((a, b) => (a.Created < b.Created ? 1 : -1));
  }

  /** Docker's lookup: full id, then name, then a unique id prefix. */
  get(ref: string): ContainerRecord {
    const rec = this.find(ref);
    if (!rec) throw notFound(`No such container: ${ref}`);
    return rec;
  }

  find(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const byId = this.#records.get(ref);
    if (byId) return byId;
    const byName = this.#names.get(ref.startsWith('/') ? ref.slice(1) : ref);
    if (byName) return this.#records.get(byName);
    if (!/^[a-f0-9]+$/.test(ref)) return undefined;
    const matches = [...this.#records.keys()].filter((id) => id.startsWith(ref));
    if (matches.length > 1) throw invalidArgument(`Multiple IDs found with provided prefix: ${ref}`);
    return matches.length ? this.#records.get(matches[0]) : undefined;
  }

  /** Checks and reserves a name (or makes one up); returns it with its leading slash. */
  reserveName(name: string | undefined, id: string): string {
    if (name === undefined || name === '') {
      for (;;) {
        const n = `${LEFT[Math.floor(Math.random() * LEFT.length)]}_${RIGHT[Math.floor(Math.random() * RIGHT.length)]}`;
        const candidate = this.#names.has(n) ? `${n}${Math.floor(Math.random() * 10)}` : n;
        if (!this.#names.has(candidate)) {
          this.#names.set(candidate, id);
          return `/${candidate}`;
        }
      }
    }
    if (!NAME.test(name))
      throw invalidArgument(`Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const bare = name.startsWith('/') ? name.slice(1) : name;
    const owner = this.#names.get(bare);
    if (owner && owner !== id)
      throw conflict(
        `Conflict. The container name "/${bare}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`,
      );
    this.#names.set(bare, id);
    return `/${bare}`;
  }

  releaseName(name: string, id: string): void {
    const bare = name.startsWith('/') ? name.slice(1) : name;
    if (this.#names.get(bare) === id) this.#names.delete(bare);
  }

  save(rec: ContainerRecord): void {
    mkdirSync(this.dir(rec.ID), { recursive: true, mode: 0o710 });
    // not fsynced: the rename keeps it whole through any kill of berthd, and after a machine
    // crash no container runs anyway (each fsync costs ~4 ms here, several per `docker run`)
    writeFileAtomic(join(this.dir(rec.ID), 'container.json'), JSON.stringify(rec), 0o600, { sync: false });
    this.#records.set(rec.ID, rec);
    this.#versions.set(rec.ID, ++this.#saves);
  }

  /**
   * The record was changed in place and is not saved (an --rm container's exit: its file goes
   * with it): forms derived from it (the list's JSON) are made again, as after a save.
   */
  changed(rec: ContainerRecord): void {
    if (this.#records.get(rec.ID) === rec) this.#versions.set(rec.ID, ++this.#saves);
  }

  /**
   * Changes with every save of the container's record, undefined once it is forgotten: what
   * keeps a form derived from the record (the list's JSON) is valid while this stays the same.
   * Records are changed in place and then saved (or marked changed); a change not saved yet is
   * not seen.
   */
  version(id: string): number | undefined {
    return this.#versions.get(id);
  }

  /**
   * The container is gone from the store, its name free; its directory (logs…) is left for
   * removeDir. The record goes first: a crash before removeDir leaves a directory without a
   * record, which the next open() removes. With `keepFile` the record's file goes only with
   * removeDir: for a record that a crash meanwhile leaves to be removed again anyway.
   */
  forget(rec: ContainerRecord, opts: { keepFile?: boolean } = {}): void {
    if (!opts.keepFile) rmSync(join(this.dir(rec.ID), 'container.json'), { force: true });
    this.#records.delete(rec.ID);
    this.#versions.delete(rec.ID);
    this.releaseName(rec.Name, rec.ID);
  }

  removeDir(id: string): void {
    rmSync(this.dir(id), { recursive: true, force: true });
  }

  count(): number {
    return this.#records.size;
  }
}

export type { ContainerConfig, ContainerNetworking, HostConfig };
