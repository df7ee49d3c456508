// src/storage: layer tars, whiteouts, snapshotters (overlay, vfs) and diffs. See snapshotter.ts
// for the contract, apply.ts and diff.ts for the two directions of a layer.

export { type ApplyMode, type ApplyOptions, type ApplyResult, applyLayer } from './apply.ts';
export { type DiffOptions, diffDirectory } from './diff.ts';
export { chainId, chainIdOf, chainIds } from './digest.ts';
export { mount, unmount } from './mount.ts';
export { OverlaySnapshotter } from './overlay.ts';
export type {
  Mount,
  SnapshotInfo,
  SnapshotKind,
  Snapshotter,
  UnpackOptions,
  UnpackResult,
  Usage,
} from './snapshotter.ts';
export { type Compression, compress, decompress, detectCompression } from './tar/compression.ts';
export { type EntryType, header, type TarHeader } from './tar/header.ts';
export { type ChunkSource, readTar, type TarEntry } from './tar/reader.ts';
export { type TarInput, writeTar } from './tar/writer.ts';
export { VfsSnapshotter } from './vfs.ts';
