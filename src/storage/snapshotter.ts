// The snapshotter contract (after containerd's core/snapshots): a snapshot is a directory tree
// stacked on a parent. Committed snapshots are immutable layers, named by their ChainID when
// made by `unpack`; active ones are writable (a container's layer); views are read-only
// stacks. Every implementation passes snapshotter.suite.ts.

import type { ChunkSource } from './tar/reader.ts';

export type SnapshotKind = 'committed' | 'active' | 'view';

/** One mount(2) to perform, as containerd's mount.Mount: `mount(Mount[], target)` does it. */
export interface Mount {
  type: string;
  source: string;
  options: string[];
}

export interface SnapshotInfo {
  key: string;
  kind: SnapshotKind;
  /** The committed snapshot this one stacks on. */
  parent?: string;
  /** ISO 8601. */
  created: string;
  /** For layers made by `unpack`: the DiffID and the bytes of file data (Docker's layer size). */
  diffId?: string;
  size?: number;
}

export interface Usage {
  /** Bytes on disk of this snapshot's own files (not its parents'), hard links counted once. */
  size: number;
  inodes: number;
}

export interface UnpackOptions {
  signal?: AbortSignal;
  /** Refuse the layer (invalidArgument) unless its uncompressed digest is this. */
  diffId?: string;
  /** Allow character and block device entries (default true). */
  devices?: boolean;
}

export interface UnpackResult {
  chainId: string;
  diffId: string;
  size: number;
  /** Bytes of the uncompressed tar. */
  tarSize: number;
  /** False when the ChainID was already there (the tar was still read and discarded). */
  created: boolean;
}

export interface Snapshotter {
  readonly driver: 'overlay' | 'vfs';
  /** The data root: `<root>/snapshots/<n>/fs` holds snapshot n's files. */
  readonly root: string;

  /**
   * Unpacks a layer tar (plain, gzip or zstd) on top of the committed snapshot `parent` (a
   * ChainID; undefined for a base layer) and commits it as ChainID(parent, DiffID). Nothing is
   * visible until the whole tar is in: an error or a crash leaves no snapshot (temp files are
   * removed, at the latest when the snapshotter is opened again). A ChainID is unpacked once:
   * concurrent unpacks of the same known DiffID share one extraction. `parent` may also be a
   * ChainID whose unpack (with a DiffID) is still running: then this layer is unpacked at the
   * same time where the driver can, committed only after its parent, and fails if it fails.
   */
  unpack(parent: string | undefined, tar: ChunkSource, opts?: UnpackOptions): Promise<UnpackResult>;
  /** notFound for an unknown key. */
  stat(key: string): SnapshotInfo;
  /**
   * Where a snapshot's own files are, and its parents' (nearest first): what `inspect` shows as
   * GraphDriver data. notFound for an unknown key.
   */
  layerDirs(key: string): { dir: string; lowers: string[] };
  /** Whether `key` names a snapshot (of any kind): a ChainID already unpacked, for one. */
  has(key: string): boolean;
  /** Every snapshot, in key order. */
  list(): SnapshotInfo[];
  /**
   * A new active snapshot `key` on `parent` (committed; none for an empty one) and the mounts
   * that give its writable view. conflict if `key` exists, notFound if `parent` does not, and
   * invalidArgument if `parent` is not committed.
   */
  prepare(key: string, parent?: string): Promise<Mount[]>;
  /** As prepare, read-only: a view of `parent`. */
  view(key: string, parent?: string): Promise<Mount[]>;
  /** The mounts of an active snapshot or a view (again). */
  mounts(key: string): Mount[];
  /** Makes active snapshot `key` a committed one named `name` (key is gone after). */
  commit(name: string, key: string): Promise<void>;
  /** Removes a snapshot; conflict while other snapshots stack on it. */
  remove(key: string): Promise<void>;
  usage(key: string): Promise<Usage>;
  /**
   * The changes of snapshot `key` against its parent as a layer tar (`.wh.` whiteouts,
   * deterministic order): what `commit` and `build` turn into a new layer.
   */
  diff(key: string, signal?: AbortSignal): AsyncGenerator<Buffer>;
}
