// Runs a CommonJS bundle with a V8 code cache of every function the command compiled, not only
// the top level that Node's NODE_COMPILE_CACHE keeps (it saves the cache right after compiling,
// before anything runs, so each run compiled the functions it calls again). scripts/setup.sh
// bundles this file into build/code-cache.cjs; bin/berth and bin/berth-runtime run
// `node build/code-cache.cjs BUNDLE ARGS…`, and the bundle sees `node BUNDLE ARGS…`.
//
// One cache file per bundle and command word (`run`, `ps`…), in $NODE_COMPILE_CACHE, written at
// the exit of a run that found none or found it rejected (V8 checks the source and its own
// version and flags). Failing to read or write it only costs the time it would have saved.
// Compiled code is code: the directory and the file are used only if this user owns them and
// nobody else can write them (the default directory is in /var/tmp, which anyone can write).

import { closeSync, fstatSync, lstatSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Script } from 'node:vm';

const bundle = resolve(process.argv[2]);
const args = process.argv.slice(3);
process.argv.splice(1, 2, bundle);

/** The command word: the first argument that looks like one (flag values have `/`, `:`, `=`…). */
const command = args.find((a) => /^[a-z][a-z-]{0,19}$/.test(a)) ?? 'none';
/** Owned by this user, writable by no one else. */
const ours = (st: { uid: number; mode: number }) => st.uid === process.getuid?.() && (st.mode & 0o022) === 0;
const dir =
  process.env.NODE_COMPILE_CACHE && ours(statOrNone(process.env.NODE_COMPILE_CACHE))
    ? process.env.NODE_COMPILE_CACHE
    : undefined;
// the bundle's path and size name the file, so checkouts and rebuilds do not overwrite each other
const source = readFileSync(bundle, 'utf8');
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
if (file && (!cached || script.cachedDataRejected)) {
  process.once('exit', () => {
    const tmp = `${file}.${process.pid}`;
    try {
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, script.createCachedData());
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch {
      // a directory we cannot write (another user's): run without
    }
  });
}
// The bundle gets this file's CommonJS require (this file only runs bundled as CommonJS): it asks
// for built-ins and absolute paths (fsops.node) only, which resolve the same from here.
const module = { exports: {} };
script.runInThisContext()(module.exports, require, module, bundle, dirname(bundle));

function statOrNone(path: string): { uid: number; mode: number } {
  try {
    return lstatSync(path);
  } catch {
    return { uid: -1, mode: 0 };
  }
}
