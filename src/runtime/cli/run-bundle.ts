// Runs a CommonJS bundle through a V8 code cache per command word: the body of
// build/code-cache.cjs (code-cache.ts), shared with the warm CLI worker (warm-worker.ts), which
// calls it once it has taken a request, so that both run a command the same way.
//
// The cache itself: see code-cache.ts.

import {
  closeSync,
  fstatSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Script } from 'node:vm';

/** The command word: the first argument that looks like one (flag values have `/`, `:`, `=`…). */
export const commandWord = (args: readonly string[]) =>
  args.find((a) => /^[a-z][a-z-]{0,19}$/.test(a)) ?? 'none';

/** A bundle compiled with the code cache of one command word, not yet run. */
export interface Compiled {
  bundle: string;
  command: string;
  script: Script;
  /** the cache file to write at exit, when there was none or V8 rejected it */
  write?: string;
}

/** Compiles the bundle with `command`'s code cache (the warm worker does this ahead of time). */
export function compileBundle(bundlePath: string, command: string, preread?: string): Compiled {
  const bundle = resolve(bundlePath);
  /** Owned by this user, writable by no one else. */
  const ours = (st: { uid: number; mode: number }) =>
    st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
  const dir =
    process.env.NODE_COMPILE_CACHE && ours(statOrNone(process.env.NODE_COMPILE_CACHE))
      ? process.env.NODE_COMPILE_CACHE
      : undefined;
  // the bundle's path and size name the file, so checkouts and rebuilds do not overwrite each other
  const source = preread ?? readFileSync(bundle, 'utf8');
  const file = dir
    ? `${dir}/${bundle.replace(/[^A-Za-z0-9]+/g, '_').slice(-80)}-${source.length}-${command}.v8cache`
    : undefined;

  let cached: Buffer | undefined;
  try {
    if (file) {
      const fd = openSync(file, 'r');
      try {
        if (ours(fstatSync(fd))) cached = readFileSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch {
    // none yet
  }
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData: cached,
  });
  return {
    bundle,
    command,
    script,
    write: file && (!cached || script.cachedDataRejected) ? file : undefined,
  };
}

/**
 * Runs `bundle` as `node BUNDLE ARGS…` would, with the code cache of its command word; with
 * `compiled` when that was compiled for this bundle and command.
 */
export function runBundle(bundlePath: string, args: readonly string[], compiled?: Compiled): void {
  const bundle = resolve(bundlePath);
  process.argv.splice(1, process.argv.length - 1, bundle, ...args);
  const command = commandWord(args);
  const { script, write } =
    compiled && compiled.bundle === bundle && compiled.command === command
      ? compiled
      : compileBundle(bundle, command);
  if (write) {
    process.once('exit', () => {
      const tmp = `${write}.${process.pid}`;
      try {
        const fd = openSync(tmp, 'w', 0o600);
        try {
          writeSync(fd, script.createCachedData());
        } finally {
          closeSync(fd);
        }
        renameSync(tmp, write);
      } catch {
        // a directory we cannot write (another user's): run without
        return;
      }
      pruneCaches(write);
    });
  }
  // The bundle gets this file's CommonJS require (this file only runs bundled as CommonJS): it asks
  // for built-ins and absolute paths (fsops.node) only, which resolve the same from here.
  const module = { exports: {} };
  script.runInThisContext()(module.exports, require, module, bundle, dirname(bundle));
}

/** Caches not read for this long belong to checkouts or builds that are gone. */
const UNUSED_FOR_MS = 7 * 24 * 3600 * 1000;

/**
 * Run after writing cache file `written`, which is rare (a new build, a new command word): removes
 * this user's cache files of earlier builds of the same bundle (same path, another size) and those
 * no run has read for a week (reads update the access time, at least daily under relatime).
 */
export function pruneCaches(written: string, now = Date.now()): void {
  const dir = dirname(written);
  const name = written.slice(dir.length + 1);
  const slug = name.slice(0, name.indexOf('-'));
  const size = /^[^-]+-(\d+)-/.exec(name)?.[1];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const other of names) {
    const m = /^([A-Za-z0-9_]+)-(\d+)-[a-z][a-z-]*\.v8cache$/.exec(other);
    if (!m || other === name) continue;
    const path = `${dir}/${other}`;
    try {
      const st = lstatSync(path);
      if (!st.isFile() || st.uid !== process.getuid?.()) continue;
      if ((m[1] === slug && m[2] !== size) || now - st.atimeMs > UNUSED_FOR_MS) unlinkSync(path);
    } catch {
      // gone meanwhile
    }
  }
}

function statOrNone(path: string): { uid: number; mode: number } {
  try {
    return lstatSync(path);
  } catch {
    return { uid: -1, mode: 0 };
  }
}
