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

import { runBundle } from './run-bundle.ts';

runBundle(process.argv[2], process.argv.slice(3));
