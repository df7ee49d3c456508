// Paths inside a layer root. A tar entry's name is cleaned lexically (absolute paths and `..`
// that climbs out are refused); its parent directories are then resolved one component at a
// time with lstat, inside the root: a symlink met on the way is followed as the container would
// see it (an absolute target starts again at the root), and one that climbs above the root is
// refused. The final component is never followed. Extraction is the only writer of the tree
// while it runs, so what lstat saw is what the next call acts on.

import { lstatSync, mkdirSync, readlinkSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { invalidArgument } from '../common/errors.ts';

/** The error every refused entry gets: `layer entry "../../etc/passwd": path escapes the layer root`. */
export const entryError = (name: string, reason: string) =>
  invalidArgument(`layer entry ${JSON.stringify(name)}: ${reason}`);

/**
 * `./a//b/../c/` → `a/c`; `.` → ``. Refuses absolute paths and paths that climb out. `what`
 * and `entry` say which name of which entry it is, for errors (a hardlink's target).
 */
export function cleanEntryPath(name: string, what = 'path', entry = name): string {
  const fail = (why: string) =>
    entryError(entry, entry === name ? `${what} ${why}` : `${what} ${JSON.stringify(name)} ${why}`);
  if (name.includes('\0')) throw fail('contains a NUL byte');
  if (name.startsWith('/')) throw fail('is absolute');
  const out: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) throw fail('escapes the layer root');
      out.pop();
    } else out.push(part);
  }
  return out.join('/');
}

export const parentOf = (rel: string) => rel.slice(0, Math.max(0, rel.lastIndexOf('/')));
export const baseOf = (rel: string) => rel.slice(rel.lastIndexOf('/') + 1);

const lstatOrUndefined = (path: string): Stats | undefined => lstatSync(path, { throwIfNoEntry: false });

const MAX_SYMLINKS = 40; // as the kernel's ELOOP limit

/** Called for a missing directory `rel` (relative to the root) before it is created. */
export type MakeDir = (rel: string, abs: string) => void;

/** Resolves directories inside one root, remembering what it resolved until told to forget. */
export class RootResolver {
  readonly root: string;
  private readonly cache = new Map<string, string>();

  constructor(root: string) {
    this.root = root;
  }

  /** Forget cached resolutions (after a directory or symlink was removed or replaced). */
  forget(): void {
    this.cache.clear();
  }

  /**
   * The resolved directory `rel` (cleaned, relative to the root), as a path relative to the
   * root. Missing directories are created through `mkdir` when given; without it, undefined.
   * `entry` names the tar entry in errors.
   */
  dir(rel: string, entry: string, mkdir?: MakeDir): string | undefined {
    if (rel === '') return '';
    const hit = this.cache.get(rel);
    if (hit !== undefined) return hit;
    const done: string[] = [];
    const todo = rel.split('/').reverse();
    let links = 0;
    while (todo.length) {
      const part = todo.pop()!;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (done.length === 0) throw entryError(entry, 'a symlink in its path points outside the layer root');
        done.pop();
        continue;
      }
      const rel2 = [...done, part].join('/');
      const abs = join(this.root, rel2);
      const st = lstatOrUndefined(abs);
      if (st === undefined) {
        if (!mkdir) return undefined;
        mkdir(rel2, abs);
      } else if (st.isSymbolicLink()) {
        if (++links > MAX_SYMLINKS) throw entryError(entry, 'too many symlinks in its path');
        const target = readlinkSync(abs);
        if (target.startsWith('/')) done.length = 0;
        todo.push(...target.split('/').reverse());
        continue;
      } else if (!st.isDirectory()) {
        throw entryError(entry, `${JSON.stringify(rel2)} is not a directory`);
      }
      done.push(part);
    }
    const out = done.join('/');
    this.cache.set(rel, out);
    return out;
  }

  /** The host path of entry `rel`: its parent resolved (created when `mkdir` is given), its
   * final component as is. Undefined when a parent is missing and nothing may be created. */
  path(rel: string, entry: string, mkdir?: MakeDir): string | undefined {
    const dir = this.dir(parentOf(rel), entry, mkdir);
    return dir === undefined ? undefined : join(this.root, dir, baseOf(rel));
  }
}

/** mkdir for the default case: a plain 0755 directory. */
export const plainMkdir: MakeDir = (_rel, abs) => mkdirSync(abs, 0o755);
