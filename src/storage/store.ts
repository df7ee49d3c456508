// What both snapshotters share: the metadata file, snapshot directories, unpack, and the
// rules of the Snapshotter contract. A Driver supplies what differs: how an active snapshot's
// tree starts, how layers are applied, and which mounts show it.
//
// On disk, under the root:
//   metadata.json         every snapshot: key -> { id, kind, parent, created, diffId, size }
//   snapshots/<id>/fs     snapshot <id>'s files (for overlay: the layer's own; for vfs: a copy)
//   snapshots/<id>/work   overlay's workdir for an active snapshot
//   tmp/                  unpacks in progress
// tmp/ is marked as a top of directory hierarchies (chattr +T, where the file system has it):
// ext4's Orlov allocator then puts each new snapshot directory in a block group of its own
// choosing, rather than next to tmp/. Without a journal, ext4 scans past every inode freed in
// the last minute for each new inode in a group, so unpacking thousands of files where a
// removed snapshot's files were costs up to ~1 ms a file (bench/RESULTS.md, "Images: load").
// metadata.json is replaced atomically (temp, fsync, rename) after the directory it describes
// is in place, so a crash leaves at worst a directory no metadata names: removed on open, as
// is everything in tmp/.

import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { conflict, invalidArgument, notFound } from '../common/errors.ts';
import { writeFileAtomic } from '../common/fs.ts';
import { type ApplyMode, applyLayer } from './apply.ts';
import { chainIdOf } from './digest.ts';
import { FS_TOPDIR_FL, fsops } from './native.ts';
import type {
  Mount,
  SnapshotInfo,
  SnapshotKind,
  Snapshotter,
  UnpackOptions,
  UnpackResult,
  Usage,
} from './snapshotter.ts';
import type { ChunkSource } from './tar/reader.ts';
import { diskUsage } from './usage.ts';

interface SnapRecord {
  id: number;
  kind: SnapshotKind;
  parent?: string;
  created: string;
  diffId?: string;
  size?: number;
}

/** metadata.json. In memory the snapshots are a Map (keys are the caller's: no prototype tricks). */
interface Metadata {
  version: 1;
  nextId: number;
  snapshots: { [key: string]: SnapRecord };
}

/** A snapshot as a driver sees it: its directory and its parents' `fs` dirs, nearest first. */
export interface Snap {
  key: string;
  kind: SnapshotKind;
  dir: string;
  fs: string;
  parents: string[];
}

export interface Driver {
  readonly name: 'overlay' | 'vfs';
  readonly applyMode: ApplyMode;
  /** Creates `dir/fs` (and whatever else) for a new active snapshot, a view, or an unpack. */
  create(dir: string, parents: string[], kind: SnapshotKind): Promise<void>;
  mounts(snap: Snap): Mount[];
  diff(snap: Snap, signal?: AbortSignal): AsyncGenerator<Buffer>;
  /** Turns an active snapshot's directory into a committed one's (drop overlay's workdir). */
  committed(dir: string): Promise<void>;
}

/** chattr +T on `dir` (see the top of this file); file systems without the flag ignore it. */
function spreadSubdirectories(dir: string): void {
  try {
    fsops().addInodeFlags?.(dir, FS_TOPDIR_FL);
  } catch {
    // ENOTTY, EOPNOTSUPP (tmpfs, overlayfs), or no addon: an allocation hint only
  }
}

export class SnapshotStore implements Snapshotter {
  readonly root: string;
  readonly driver: 'overlay' | 'vfs';
  private readonly d: Driver;
  private nextId: number;
  private readonly snaps: Map<string, SnapRecord>;
  private readonly inflight = new Map<string, Promise<UnpackResult>>();

  constructor(root: string, driver: Driver) {
    this.root = root;
    this.d = driver;
    this.driver = driver.name;
    mkdirSync(join(root, 'snapshots'), { recursive: true });
    const metaFile = join(root, 'metadata.json');
    const meta: Metadata = existsSync(metaFile)
      ? JSON.parse(readFileSync(metaFile, 'utf8'))
      : { version: 1, nextId: 1, snapshots: {} };
    this.nextId = meta.nextId;
    this.snaps = new Map(Object.entries(meta.snapshots));
    this.cleanup();
  }

  /** Removes unpacks that never finished and directories no metadata names. */
  private cleanup(): void {
    rmSync(join(this.root, 'tmp'), { recursive: true, force: true });
    mkdirSync(join(this.root, 'tmp'));
    spreadSubdirectories(join(this.root, 'tmp'));
    // an active snapshot or view whose removal was not synced before a machine crash
    for (const [key, r] of this.snaps)
      if (r.kind !== 'committed' && !existsSync(this.dirOf(r))) this.snaps.delete(key);
    const known = new Set([...this.snaps.values()].map((r) => String(r.id)));
    for (const name of readdirSync(join(this.root, 'snapshots'))) {
      if (!known.has(name)) rmSync(join(this.root, 'snapshots', name), { recursive: true, force: true });
    }
    for (const f of readdirSync(this.root)) {
      if (f.startsWith('metadata.json.tmp-')) rmSync(join(this.root, f), { force: true });
    }
  }

  /**
   * `durable`: fsync. Changes that only concern active snapshots and views (containers' layers)
   * skip it: a machine crash can only lose them, since every durable save carries every record.
   */
  private save(durable = true): void {
    const meta: Metadata = { version: 1, nextId: this.nextId, snapshots: Object.fromEntries(this.snaps) };
    writeFileAtomic(join(this.root, 'metadata.json'), JSON.stringify(meta), 0o644, { sync: durable });
  }

  private record(key: string): SnapRecord {
    const r = this.snaps.get(key);
    if (!r) throw notFound(`no such snapshot: ${key}`);
    return r;
  }

  private dirOf(r: SnapRecord): string {
    return join(this.root, 'snapshots', String(r.id));
  }

  /** The `fs` dirs of `parent` and its ancestors, nearest first. */
  private chain(parent: string | undefined): string[] {
    const out: string[] = [];
    for (let key = parent; key !== undefined; key = this.record(key).parent) {
      out.push(join(this.dirOf(this.record(key)), 'fs'));
    }
    return out;
  }

  private snap(key: string): Snap {
    const r = this.record(key);
    const dir = this.dirOf(r);
    return { key, kind: r.kind, dir, fs: join(dir, 'fs'), parents: this.chain(r.parent) };
  }

  private info(key: string, r: SnapRecord): SnapshotInfo {
    const info: SnapshotInfo = { key, kind: r.kind, created: r.created };
    if (r.parent !== undefined) info.parent = r.parent;
    if (r.diffId !== undefined) info.diffId = r.diffId;
    if (r.size !== undefined) info.size = r.size;
    return info;
  }

  private checkParent(parent: string | undefined): void {
    if (parent === undefined) return;
    if (!this.has(parent)) throw notFound(`no such snapshot: ${parent} (the parent)`);
    if (this.snaps.get(parent)?.kind !== 'committed')
      throw invalidArgument(`snapshot ${parent} is not committed: it cannot be a parent`);
  }

  stat(key: string): SnapshotInfo {
    return this.info(key, this.record(key));
  }

  layerDirs(key: string): { dir: string; lowers: string[] } {
    const s = this.snap(key);
    return { dir: s.fs, lowers: s.parents };
  }

  has(key: string): boolean {
    return this.snaps.has(key);
  }

  list(): SnapshotInfo[] {
    return [...this.snaps.keys()].sort().map((k) => this.info(k, this.snaps.get(k)!));
  }

  /** Moves a finished directory into place and records it: the one step that makes it visible. */
  private publish(key: string, tmpDir: string, r: Omit<SnapRecord, 'id' | 'created'>): void {
    const id = this.nextId++;
    renameSync(tmpDir, join(this.root, 'snapshots', String(id)));
    this.snaps.set(key, { id, created: new Date().toISOString(), ...r });
    this.save(r.kind === 'committed');
  }

  private async newSnapshot(key: string, parent: string | undefined, kind: SnapshotKind): Promise<Mount[]> {
    if (this.has(key)) throw conflict(`snapshot ${key} already exists`);
    this.checkParent(parent);
    const tmp = mkdtempSync(join(this.root, 'tmp', `${kind}-`));
    try {
      await this.d.create(tmp, this.chain(parent), kind);
      if (this.has(key)) throw conflict(`snapshot ${key} already exists`);
      this.publish(key, tmp, parent === undefined ? { kind } : { kind, parent });
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
    return this.mounts(key);
  }

  prepare(key: string, parent?: string): Promise<Mount[]> {
    return this.newSnapshot(key, parent, 'active');
  }

  view(key: string, parent?: string): Promise<Mount[]> {
    return this.newSnapshot(key, parent, 'view');
  }

  mounts(key: string): Mount[] {
    const s = this.snap(key);
    if (s.kind === 'committed')
      throw invalidArgument(`snapshot ${key} is committed: prepare or view it to mount`);
    return this.d.mounts(s);
  }

  async commit(name: string, key: string): Promise<void> {
    const r = this.record(key);
    if (r.kind !== 'active')
      throw invalidArgument(`snapshot ${key} is not active: only active snapshots commit`);
    if (this.has(name)) throw conflict(`snapshot ${name} already exists`);
    await this.d.committed(this.dirOf(r));
    this.snaps.delete(key);
    this.snaps.set(name, { ...r, kind: 'committed' });
    this.save();
  }

  async remove(key: string): Promise<void> {
    const r = this.record(key);
    const child = [...this.snaps].find(([, c]) => c.parent === key);
    if (child) throw conflict(`snapshot ${key} is the parent of ${child[0]}: remove that first`);
    this.snaps.delete(key);
    this.save(r.kind === 'committed');
    // Renamed into tmp/ first: a crash half-way through the removal leaves nothing visible.
    const doomed = join(this.root, 'tmp', `removing-${r.id}-${randomUUID()}`);
    renameSync(this.dirOf(r), doomed);
    await rm(doomed, { recursive: true, force: true });
  }

  usage(key: string): Promise<Usage> {
    return diskUsage(this.snap(key).fs);
  }

  diff(key: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
    return this.d.diff(this.snap(key), signal);
  }

  unpack(parent: string | undefined, tar: ChunkSource, opts: UnpackOptions = {}): Promise<UnpackResult> {
    // a parent still being unpacked will do (see doUnpack)
    if (parent === undefined || this.has(parent) || !this.inflight.has(parent)) this.checkParent(parent);
    if (opts.diffId === undefined) return this.doUnpack(parent, tar, opts);
    const chainId = chainIdOf(parent, opts.diffId);
    const running = this.inflight.get(chainId);
    if (running) return this.afterInflight(running, tar);
    const p = this.doUnpack(parent, tar, opts).finally(() => this.inflight.delete(chainId));
    this.inflight.set(chainId, p);
    return p;
  }

  /** A second unpack of a ChainID being unpacked: waits for the first and drops its own tar. */
  private async afterInflight(running: Promise<UnpackResult>, tar: ChunkSource): Promise<UnpackResult> {
    const first = await running;
    if (!(tar instanceof Uint8Array) && Symbol.asyncIterator in tar)
      await tar[Symbol.asyncIterator]().return?.();
    return { ...first, created: false };
  }

  /**
   * When `parent` is itself still being unpacked, an overlay layer is extracted at the same time
   * into its own temp directory, which needs nothing from the layers below until an entry does
   * (apply.ts `lowersLater`); it is published only after the parent is, and fails if the parent
   * does. vfs copies the parent's tree first, so it waits for the parent.
   */
  private async doUnpack(
    parent: string | undefined,
    tar: ChunkSource,
    opts: UnpackOptions,
  ): Promise<UnpackResult> {
    const below = parent !== undefined && !this.has(parent) ? this.inflight.get(parent) : undefined;
    const parentReady = async () => {
      if (below) await below;
      this.checkParent(parent);
      return this.chain(parent);
    };
    const early = below !== undefined && this.d.applyMode === 'overlay';
    const tmp = mkdtempSync(join(this.root, 'tmp', 'unpack-'));
    try {
      const parents = early ? [] : await parentReady();
      await this.d.create(tmp, parents, 'committed');
      const applied = await applyLayer(join(tmp, 'fs'), tar, {
        mode: this.d.applyMode,
        ...(early ? { lowersLater: parentReady } : { lowers: parents }),
        signal: opts.signal,
        devices: opts.devices,
      });
      if (early) await parentReady();
      if (opts.diffId !== undefined && opts.diffId !== applied.diffId)
        throw invalidArgument(
          `layer content digest mismatch: expected ${opts.diffId}, got ${applied.diffId}`,
        );
      const chainId = chainIdOf(parent, applied.diffId);
      const result = { chainId, diffId: applied.diffId, size: applied.size, tarSize: applied.tarSize };
      if (this.has(chainId)) {
        rmSync(tmp, { recursive: true, force: true });
        return { ...result, created: false };
      }
      const r = { kind: 'committed' as const, diffId: applied.diffId, size: applied.size };
      this.publish(chainId, tmp, parent === undefined ? r : { ...r, parent });
      return { ...result, created: true };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }
}
