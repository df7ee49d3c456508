import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { builtins } from './warm-up.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const NOOP = join(ROOT, 'native', 'build', 'berth-warm');

/**
 * Runs warmUp in a fresh Node for `source` and reports what it left behind: active handles,
 * child processes, its abstract sockets, a `gc` function, and which steps ran.
 */
function afterWarmUp(source: string, stopAfter = Infinity) {
  const script = `
    import { createRequire } from 'node:module';
    import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
    import { runInNewContext } from 'node:vm';
    import { builtins, warmUp } from ${JSON.stringify(join(import.meta.dirname, 'warm-up.ts'))};
    const req = createRequire(import.meta.url);
    const loaded = [];
    const spy = (id) => { loaded.push(id); return req(id); };
    const fds = () => readdirSync('/proc/self/fd').map((fd) => { try { return fd + '>' + readlinkSync('/proc/self/fd/' + fd); } catch { return fd + '>gone'; } });
    const before = fds();
    let asked = 0;
    await warmUp(builtins(${JSON.stringify(source)}), spy, ${JSON.stringify(NOOP)}, () => asked++ >= ${stopAfter});
    const children = readdirSync('/proc/self/task').map((t) => readFileSync('/proc/self/task/' + t + '/children', 'utf8').trim()).filter(Boolean);
    const sockets = readFileSync('/proc/net/unix', 'utf8').split('\\n').filter((l) => l.includes('@berth-warm-up-' + process.pid + '-'));
    const added = fds().filter((fd) => !before.includes(fd)).map((fd) => fd.split('>')[1]);
    console.log(JSON.stringify({ loaded, resources: process.getActiveResourcesInfo(), children, sockets, added,
      gc: typeof globalThis.gc, gcInContext: runInNewContext('typeof gc') }));`;
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(res.status, 0, res.stderr);
  return JSON.parse(res.stdout);
}

test('warm-up: HTTP and a spawn when the bundle uses them, and nothing left behind', () => {
  const out = afterWarmUp('const a = require("node:http"); const b = require("child_process");');
  assert.ok(out.loaded.includes('node:http') && out.loaded.includes('node:child_process'), out.loaded);
  // against a run where nothing was warmed up
  const none = afterWarmUp('const fs = require("node:fs");');
  assert.deepEqual(none.loaded, []);
  assert.deepEqual(out.resources, none.resources);
  // libuv keeps one fd on /dev/null per loop once a server has listened (for accept's EMFILE);
  // 'gone' is the one that listed them
  const added = (r: { added: string[] }) => r.added.filter((fd) => fd !== 'gone');
  assert.deepEqual(added(out), ['/dev/null'], 'no other fd left open');
  assert.deepEqual(added(none), []);
  assert.deepEqual(out.children, []);
  assert.deepEqual(out.sockets, []);
  assert.equal(out.gc, 'undefined');
  assert.equal(out.gcInContext, 'undefined');
});

test('warm-up: stops as soon as a client waits', () => {
  const out = afterWarmUp("require('node:http'); require('node:child_process');", 1);
  assert.ok(out.loaded.includes('node:http'), out.loaded);
  assert.ok(!out.loaded.includes('node:child_process'), out.loaded);
  assert.deepEqual(afterWarmUp("require('node:http')", 0).loaded, []);
});

test('builtins: require and process.getBuiltinModule, with or without node:, nothing else', () => {
  const used = builtins(
    `const a = require("node:fs"); const b = require('child_process'); const h = () => process.getBuiltinModule("node:http");
     const s = process.getBuiltinModule('node:https'); const p = require("node:stream/promises"); const x = require("./local.js"); myrequire("os");`,
  );
  assert.deepEqual([...used].sort(), ['child_process', 'fs', 'http', 'https', 'stream/promises']);
});

test('builtins: the CLI bundle as built uses node:http and node:child_process, so the worker warms both up', (t) => {
  const bundle = join(ROOT, 'build', 'cli', 'berth.cjs');
  if (!existsSync(bundle)) return t.skip('no bundle (scripts/setup.sh builds it)');
  const used = builtins(readFileSync(bundle, 'utf8'));
  assert.ok(used.has('http') && used.has('child_process'), [...used].join(' '));
});
