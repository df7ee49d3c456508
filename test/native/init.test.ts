// native/build/berth-init on the host (native/INIT.md): the child's status passed on (128 +
// signal when killed), exec failures, signals forwarded to the child (or its process group with
// -g), orphans reaped when it is a subreaper rather than PID 1, the child in its own group.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { nativeBuild } from '../../src/common/paths.ts';

const INIT = nativeBuild('berth-init');
const dir = mkdtempSync(join(tmpdir(), 'berth-init-test-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = (args: string[]) => spawnSync(INIT, args, { encoding: 'utf8', timeout: 10_000 });

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await sleep(25);
  }
  assert.fail(`timed out waiting for ${what}`);
}

test('berth-init is built', () => assert.ok(existsSync(INIT), `${INIT}: make -C native`));

test("the child's exit status, 128 + the signal that killed it", () => {
  assert.equal(run(['--', 'sh', '-c', 'exit 3']).status, 3);
  assert.equal(run(['sh', '-c', 'exit 0']).status, 0);
  assert.equal(run(['--', 'sh', '-c', 'kill -TERM $$']).status, 143);
  assert.equal(run(['--', 'sh', '-c', 'kill -KILL $$']).status, 137);
});

test('exec failures: 127 for a missing program, 126 for one that is not executable', () => {
  const missing = run(['--', 'no-such-program']);
  assert.equal(missing.status, 127);
  assert.match(missing.stderr, /exec no-such-program failed: No such file or directory/);
  const file = join(dir, 'not-executable');
  writeFileSync(file, '#!/bin/sh\n', { mode: 0o644 });
  assert.equal(run(['--', file]).status, 126);
});

test('usage: --version, no program, unknown options', () => {
  const v = run(['--version']);
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^berth-init version /);
  assert.equal(run([]).status, 1);
  assert.equal(run(['--']).status, 1);
  const bad = run(['-x', 'true']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /unknown option -x/);
});

test('signals are forwarded to the child, which runs in a process group of its own', async () => {
  const out = join(dir, 'signals');
  // the ready line comes after the traps: a signal sent before them would end the shell
  const script = [
    ...['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'WINCH', 'ALRM', 'CONT'].map(
      (s) => `trap "echo ${s} >> ${out}" ${s}`,
    ),
    `trap "echo TERM >> ${out}; exit 9" TERM`,
    `echo "pgid $(ps -o pgid= -p $$ | tr -d ' ') pid $$" >> ${out}`,
    'while true; do sleep 0.05; done',
  ].join('; ');
  const init = spawn(INIT, ['--', 'sh', '-c', script], { stdio: 'ignore' });
  const lines = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n') : []);
  await until('the child', () => lines().length > 0);
  const [, pgid, pid] = /^pgid (\d+) pid (\d+)$/.exec(lines()[0]) ?? [];
  assert.equal(pgid, pid, 'the child leads its own process group');
  const signals = ['HUP', 'INT', 'QUIT', 'USR1', 'USR2', 'WINCH', 'ALRM', 'CONT'] as const;
  for (const s of signals) {
    init.kill(`SIG${s}`);
    await until(s, () => lines().includes(s));
  }
  const code = new Promise((r) => init.on('exit', (c) => r(c)));
  init.kill('SIGTERM');
  assert.equal(await code, 9);
  assert.deepEqual(lines().slice(1), [...signals, 'TERM']);
});

test('-g forwards to the whole process group', async () => {
  const out = join(dir, 'group');
  // the child's own child traps TERM too; only a group signal reaches it
  // the child sets its trap before it starts the grandchild, which says ready after its own
  const script = `trap "wait; echo child >> ${out}; exit 4" TERM; sh -c 'trap "echo grandchild >> ${out}; exit 0" TERM; echo ready >> ${out}; while true; do sleep 0.05; done' & wait`;
  const init = spawn(INIT, ['-g', '--', 'sh', '-c', script], { stdio: 'ignore' });
  await until('ready', () => existsSync(out) && readFileSync(out, 'utf8').includes('ready'));
  const code = new Promise((r) => init.on('exit', (c) => r(c)));
  init.kill('SIGTERM');
  assert.equal(await code, 4);
  assert.match(readFileSync(out, 'utf8'), /grandchild\n/);
});

test('orphans are reaped: not PID 1, it is their subreaper', () => {
  const pidFile = join(dir, 'orphan');
  // the orphaned sleep is re-parented to berth-init (the shell's parent), which reaps it
  const res = run([
    '--',
    'sh',
    '-c',
    `sh -c 'sleep 0.3 & echo $! > ${pidFile}'; sleep 0.1; p=$(cat ${pidFile}); echo "parent $(ps -o ppid= -p $p | tr -d ' ') init $PPID"; sleep 0.6; echo "left [$(ps -o stat= -p $p)]"`,
  ]);
  assert.equal(res.status, 0, res.stderr);
  const [, parent, init] = /parent (\d+) init (\d+)/.exec(res.stdout) ?? [];
  assert.equal(parent, init, res.stdout);
  assert.match(res.stdout, /left \[\]/);
});
