// The local half of `berth cp`, as moby's pkg/archive copy.go does it for the docker CLI: where
// an archive is extracted and how its top entry is renamed (PrepareArchiveCopy), a tar of a
// local file or directory (TarResource), and extraction that never writes outside its target.

import {
  chmodSync,
  createReadStream,
  createWriteStream,
  linkSync,
  lstatSync,
  lutimesSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
} from 'node:fs';
import { dirname, isAbsolute, join, posix, relative, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  hasModeBit,
  MODE_DEVICE,
  MODE_DIR,
  MODE_IRREGULAR,
  MODE_SYMLINK,
  type PathStat,
} from '../../../spec/docker/path-stat.ts';
import { header } from '../../../storage/tar/header.ts';
import { type ChunkSource, readTar } from '../../../storage/tar/reader.ts';
import { type TarInput, writeTar } from '../../../storage/tar/writer.ts';
import { CliError } from './common.ts';

export interface CopyInfo {
  path: string;
  exists: boolean;
  isDir: boolean;
  rebaseName: string;
}

const specifiesCurrentDir = (p: string) => posix.basename(p) === '.';
const hasTrailingSeparator = (p: string) => p.endsWith('/');

/** archive.SplitPathDirEntry: `/a/b/` → ['/a', 'b']; `/a/.` → ['/a', '.']. */
export function splitPathDirEntry(p: string): [string, string] {
  let cleaned = posix.normalize(p);
  if (cleaned.length > 1) cleaned = cleaned.replace(/\/+$/, '');
  if (specifiesCurrentDir(p)) cleaned += '/.';
  return [posix.dirname(cleaned), posix.basename(cleaned) || '/'];
}

/** archive.PreserveTrailingDotOrSeparator: keep what the user wrote at the end of `original`. */
export function preserveTrailingDotOrSeparator(cleaned: string, original: string): string {
  let out = cleaned;
  if (!specifiesCurrentDir(cleaned) && specifiesCurrentDir(original)) {
    if (!hasTrailingSeparator(out)) out += '/';
    out += '.';
  }
  if (!hasTrailingSeparator(out) && hasTrailingSeparator(original)) out += '/';
  return out;
}

/** resolveLocalPath: absolute, with the user's trailing `/` or `/.` kept. */
export function resolveLocalPath(p: string, cwd = process.cwd()): string {
  return preserveTrailingDotOrSeparator(resolve(cwd, p), p);
}

/** archive.GetRebaseName. */
export function getRebaseName(path: string, resolved: string): [string, string] {
  let r = resolved;
  if (specifiesCurrentDir(path) && !specifiesCurrentDir(r)) r += '/.';
  if (hasTrailingSeparator(path) && !hasTrailingSeparator(r)) r += '/';
  return [r, posix.basename(path) !== posix.basename(r) ? posix.basename(path) : ''];
}

export type { PathStat };
export const isDirMode = (mode: number) => hasModeBit(mode, MODE_DIR);
export const isSymlinkMode = (mode: number) => hasModeBit(mode, MODE_SYMLINK);

/** command.ValidateOutputPathFileMode for a daemon stat. */
export function outputModeProblem(mode: number): string | undefined {
  if (hasModeBit(mode, MODE_DEVICE)) return 'got a device';
  if (hasModeBit(mode, MODE_IRREGULAR)) return 'got an irregular file';
  return undefined;
}

export type ArchiveCopy = { dstDir: string; rebase?: [string, string] };

/** archive.PrepareArchiveCopy: where to extract, and which top entry name to rename to what. */
export function prepareArchiveCopy(src: CopyInfo, dst: CopyInfo): ArchiveCopy {
  const [dstDir, dstBase] = splitPathDirEntry(dst.path);
  let [, srcBase] = splitPathDirEntry(src.path);
  if (dst.exists && dst.isDir) return { dstDir: dst.path };
  if (dst.exists && src.isDir) throw new CliError('cannot copy directory');
  if (src.rebaseName) srcBase = src.rebaseName;
  if (!dst.exists && !src.isDir && (hasTrailingSeparator(dst.path) || specifiesCurrentDir(dst.path))) {
    throw new CliError('no such directory');
  }
  return { dstDir, rebase: [srcBase, dstBase] };
}

/** archive.RebaseArchiveEntries: the first `oldBase` in each name (and hard link) becomes `newBase`. */
export async function* rebaseEntries(
  source: ChunkSource,
  oldBase: string,
  newBase: string,
): AsyncGenerator<Buffer> {
  const from = oldBase === '/' ? '' : oldBase;
  async function* entries(): AsyncGenerator<TarInput> {
    // writeTar reads each body before asking for the next entry, as readTar needs.
    for await (const e of readTar(source)) {
      const name = e.name.replace(from, newBase);
      const linkname = e.type === 'hardlink' ? e.linkname.replace(from, newBase) : e.linkname;
      yield { ...e, name, linkname, body: e.type === 'file' ? e.body : undefined };
    }
  }
  yield* writeTar(entries());
}

/** archive.CopyInfoDestinationPath for a local path (symlinks at the end are followed). */
export function localDestinationInfo(path: string): CopyInfo {
  let p = path;
  for (let n = 0; ; n++) {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const [parent] = splitPathDirEntry(p);
      let pst: ReturnType<typeof statSync>;
      try {
        pst = statSync(parent);
      } catch (e) {
        throw new CliError(
          `stat ${parent}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`,
        );
      }
      if (!pst.isDirectory()) throw new CliError('not a directory');
      return { path: p, exists: false, isDir: false, rebaseName: '' };
    }
    if (!st.isSymbolicLink()) return { path: p, exists: true, isDir: st.isDirectory(), rebaseName: '' };
    if (n > 10) throw new CliError(`too many symlinks in ${path}`);
    const target = readlinkSync(p);
    p = isAbsolute(target) ? target : join(splitPathDirEntry(p)[0], target);
  }
}

/** archive.CopyInfoSourcePath: the local source, its symlinks resolved as docker resolves them. */
export function localSourceInfo(path: string, followLink: boolean): CopyInfo {
  let resolvedPath: string;
  let rebaseName = '';
  try {
    if (followLink) {
      [resolvedPath, rebaseName] = getRebaseName(path, realpathSync(path));
    } else {
      const slash = path.lastIndexOf('/');
      const dir = path.slice(0, slash + 1) || '.';
      const base = path.slice(slash + 1);
      resolvedPath = `${realpathSync(dir)}/${base}`.replace(/^\/\//, '/');
      if (hasTrailingSeparator(path) && posix.basename(path) !== posix.basename(resolvedPath)) {
        rebaseName = posix.basename(path);
      }
    }
    const st = lstatSync(resolvedPath);
    return { path: resolvedPath, exists: true, isDir: st.isDirectory(), rebaseName };
  } catch (err) {
    if (err instanceof CliError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CliError(`lstat ${path.replace(/\/$/, '')}: no such file or directory`);
    throw err;
  }
}

function entryHeader(path: string, name: string): TarInput | undefined {
  const st = lstatSync(path);
  const common = {
    name,
    mode: st.mode & 0o7777,
    uid: st.uid,
    gid: st.gid,
    mtime: Math.floor(st.mtimeMs / 1000),
  };
  if (st.isDirectory())
    return header({ ...common, name: name.endsWith('/') ? name : `${name}/`, type: 'dir' });
  if (st.isSymbolicLink()) return header({ ...common, type: 'symlink', linkname: readlinkSync(path) });
  if (st.isFile())
    return { ...header({ ...common, type: 'file', size: st.size }), body: createReadStream(path) };
  return undefined;
}

/** archive.TarResource: the source as a tar whose top entry is its base name (or rebaseName). */
export function tarResource(src: CopyInfo): AsyncGenerator<Buffer> {
  const [dir, base] = splitPathDirEntry(src.path);
  function* walk(path: string, name: string): Generator<TarInput> {
    const h = entryHeader(path, name);
    if (!h) return;
    yield h;
    if (h.type !== 'dir') return;
    for (const child of readdirSync(path).sort()) yield* walk(join(path, child), `${name}/${child}`);
  }
  const top = src.rebaseName ? src.rebaseName : base;
  return writeTar(walk(join(dir, base), top));
}

/** A tar path made relative and clean; undefined when it would leave the target. */
function safeRelative(name: string): string | undefined {
  const cleaned = posix.normalize(name.replace(/^\/+/, '') || '.').replace(/\/$/, '');
  if (cleaned === '..' || cleaned.startsWith('../')) return undefined;
  return cleaned === '.' ? '' : cleaned;
}

/** Creates the directories up to `dir` after checking none of them leads out of `root`. */
function ensureDir(root: string, dir: string, name: string): void {
  let existing = dir;
  while (!lstatOrUndefined(existing)) existing = dirname(existing);
  const real = realpathSync(existing);
  if (real !== root && relative(root, real).startsWith('..')) {
    throw new CliError(`invalid tar header: ${name}: breakout`);
  }
  mkdirSync(dir, { recursive: true, mode: 0o755 });
}

/**
 * archive.Untar with NoOverwriteDirNonDir: extracts into `dstDir`. Entries that would land
 * outside it (by `..`, or through a symlinked parent) and links pointing out of it are refused;
 * an existing directory is not replaced by a file nor a file by a directory.
 */
export async function untar(source: ChunkSource, dstDir: string): Promise<void> {
  const root = realpathSync(dstDir);
  const dirModes: [string, number, number][] = [];
  for await (const e of readTar(source)) {
    const rel = safeRelative(e.name);
    if (rel === undefined) throw new CliError(`invalid tar header: ${e.name}: breakout`);
    const path = rel === '' ? root : join(root, rel);
    if (path !== root) ensureDir(root, dirname(path), e.name);
    const existing = lstatOrUndefined(path);
    if (existing) {
      if (existing.isDirectory() && e.type !== 'dir') {
        throw new CliError(`cannot overwrite directory "${path}" with non-directory "${e.name}"`);
      }
      if (!existing.isDirectory() && e.type === 'dir') {
        throw new CliError(`cannot overwrite non-directory "${path}" with directory "${e.name}"`);
      }
      if (!existing.isDirectory()) rmSync(path, { force: true });
    }
    switch (e.type) {
      case 'dir':
        // Owner access until the end, so a read-only directory can still be filled.
        if (!existing) mkdirSync(path, { mode: 0o700 });
        dirModes.push([path, e.mode, e.mtime]);
        break;
      case 'file':
        await pipeline(e.body, createWriteStream(path, { mode: 0o600 }));
        chmodSync(path, e.mode);
        utimesSync(path, e.mtime, e.mtime);
        break;
      case 'symlink': {
        // As docker: the link's target joined to its directory must stay under the root (an
        // absolute target counts as under it, as Go's filepath.Join puts it there).
        const target = posix.join(dirname(path), e.linkname);
        if (target !== root && !target.startsWith(`${root}/`)) {
          throw new CliError(`invalid symlink "${path}" -> "${e.linkname}"`);
        }
        symlinkSync(e.linkname, path);
        try {
          lutimesSync(path, e.mtime, e.mtime);
        } catch {
          // not every filesystem keeps link times
        }
        break;
      }
      case 'hardlink': {
        const target = safeRelative(e.linkname);
        if (target === undefined) throw new CliError(`invalid hardlink "${path}" -> "${e.linkname}"`);
        linkSync(join(root, target), path);
        break;
      }
      default:
        // Devices and fifos need root; the CLI skips them.
        for await (const _ of e.body) {
          // drain
        }
    }
  }
  for (const [path, mode, mtime] of dirModes.reverse()) {
    chmodSync(path, mode);
    utimesSync(path, mtime, mtime);
  }
}

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
