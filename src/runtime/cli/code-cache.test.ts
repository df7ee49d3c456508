import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'berth-code-cache-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// bundled as scripts/setup.sh bundles it
const loader = join(dir, 'code-cache.cjs');
execFileSync(join(ROOT, 'node_modules/.bin/esbuild'), [
  join(import.meta.dirname, 'code-cache.ts'),
  '--bundle',
  '--platform=node',
  '--target=node24',
  '--format=cjs',
  `--outfile=${loader}`,
  '--log-level=warning',
]);
mkdirSync(join(dir, 'app'));
const app = join(dir, 'app', 'main.cjs');
writeFileSync(
  app,
  `const { basename } = require('node:path');
process.stdout.write(JSON.stringify({ argv: process.argv.slice(1), dirname: __dirname, file: __filename,
  fsOk: typeof require('node:fs').readFileSync }));
process.exitCode = process.argv.includes('7') ? 7 : 0;
module.exports = { name: basename(__filename) };
`,
);
const cacheDir = join(dir, 'cache');
mkdirSync(cacheDir);

function run(...args: string[]) {
  return runWith(cacheDir, ...args);
}

function runWith(cache: string, ...args: string[]) {
  const res = spawnSync(process.execPath, [loader, 'app/main.cjs', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, NODE_COMPILE_CACHE: cache },
  });
  return { status: res.status, out: JSON.parse(res.stdout), stderr: res.stderr };
}

test('the bundle sees `node BUNDLE ARGS…` with an absolute path, its own exit status', () => {
  const r = run('first', '7');
  assert.equal(r.status, 7, r.stderr);
  assert.deepEqual(r.out, {
    argv: [app, 'first', '7'],
    dirname: join(dir, 'app'),
    file: app,
    fsOk: 'function',
  });
});

test('one cache file per command word, written once and then used', () => {
  const files = () => readdirSync(cacheDir).filter((f) => f.endsWith('.v8cache'));
  run('ps');
  run('ps');
  run('--root', '/x', 'run');
  const names = files().sort();
  assert.equal(names.filter((f) => f.endsWith('-ps.v8cache')).length, 1);
  assert.equal(names.filter((f) => f.endsWith('-run.v8cache')).length, 1);
  assert.equal(readdirSync(cacheDir).filter((f) => /\.\d+$/.test(f)).length, 0, 'temp files left');
  // accepted by V8 the next time: not written again
  const ps = join(cacheDir, names.find((f) => f.endsWith('-ps.v8cache'))!);
  const { mtimeMs } = statSync(ps);
  assert.equal(run('ps').status, 0);
  assert.equal(statSync(ps).mtimeMs, mtimeMs);
});

test('no cache directory: runs without one', () => {
  const res = spawnSync(process.execPath, [loader, app, 'x'], {
    encoding: 'utf8',
    env: { ...process.env, NODE_COMPILE_CACHE: '' },
  });
  assert.equal(res.status, 0, res.stderr);
  assert.deepEqual(JSON.parse(res.stdout).argv, [app, 'x']);
});

test('a cache directory others can write is not used', () => {
  const open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  assert.equal(runWith(open, 'ps').status, 0);
  assert.deepEqual(
    readdirSync(open).filter((f) => f.endsWith('.v8cache')),
    [],
  );
});

test('writing a cache removes those of earlier builds of the bundle and those unused for a week', () => {
  const prune = join(dir, 'prune');
  mkdirSync(prune, { mode: 0o700 });
  const slug = app.replace(/[^A-Za-z0-9]+/g, '_').slice(-80);
  const old = (name: string, daysAgo: number) => {
    const path = join(prune, name);
    writeFileSync(path, 'x');
    const t = new Date(Date.now() - daysAgo * 24 * 3600 * 1000);
    utimesSync(path, t, t);
    return name;
  };
  const earlierBuild = old(`${slug}-12-ps.v8cache`, 0);
  const goneCheckout = old('_tmp_gone_main_cjs-99-run.v8cache', 8);
  const recentOther = old('_tmp_other_main_cjs-99-run.v8cache', 1);
  const notOurs = old('notes.txt', 30);
  assert.equal(runWith(prune, 'ps').status, 0);
  const left = readdirSync(prune).sort();
  assert.ok(!left.includes(earlierBuild), 'an earlier build of the same bundle is removed');
  assert.ok(!left.includes(goneCheckout), 'a cache unread for 8 days is removed');
  assert.ok(left.includes(recentOther), "another checkout's recent cache stays");
  assert.ok(left.includes(notOurs), 'files not named as caches stay');
  assert.equal(left.filter((f) => f.startsWith(`${slug}-`) && f.endsWith('-ps.v8cache')).length, 1);
});
