// Live restore: berthd killed with SIGKILL while ten containers run (some writing logs); the
// next berthd on the same data root finds them all still running, their logs continuous, and
// attach, exec and stop working; a container that exited while no berthd ran shows its real
// exit code.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  cleanup,
  type Daemon,
  docker,
  importBusybox,
  removeAllContainers,
  startDaemon,
} from './daemon-helpers.ts';

let d: Daemon;
before(async () => {
  d = await startDaemon();
  importBusybox(d);
});
after(async () => {
  removeAllContainers(d);
  await cleanup(d);
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('containers keep running through a SIGKILL of berthd and are adopted by the next one', async () => {
  const names: string[] = [];
  for (let i = 0; i < 10; i++) {
    const name = `restore-${i}`;
    names.push(name);
    // even ones count on stdout every 50 ms; odd ones sleep
    const cmd = i % 2 === 0 ? 'i=0; while true; do echo $i; i=$((i+1)); sleep 0.05; done' : 'sleep 1000';
    const r = docker(d, ['run', '-d', '--name', name, '--network', 'none', 'busybox', 'sh', '-c', cmd]);
    assert.equal(r.status, 0, r.stderr);
  }
  const quitter = docker(d, [
    'run',
    '-d',
    '--name',
    'quitter',
    '--network',
    'none',
    'busybox',
    'sh',
    '-c',
    'sleep 1; exit 7',
  ]);
  assert.equal(quitter.status, 0, quitter.stderr);
  const pids = names.map((n) => docker(d, ['inspect', '-f', '{{.State.Pid}}', n]).stdout.trim());

  d.process.kill('SIGKILL');
  await new Promise((r) => d.process.once('exit', r));
  await sleep(1500); // the quitter exits while no berthd runs
  d = await startDaemon([], d.dir);

  const running = docker(d, ['ps', '--format', '{{.Names}}']).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(running, [...names].sort());
  assert.deepEqual(
    names.map((n) => docker(d, ['inspect', '-f', '{{.State.Pid}}', n]).stdout.trim()),
    pids,
    'the same processes, not restarted ones',
  );
  assert.equal(
    docker(d, ['inspect', '-f', '{{.State.Status}} {{.State.ExitCode}}', 'quitter']).stdout.trim(),
    'exited 7',
  );

  // logs: no number missing across the restart
  await sleep(300);
  const counted = docker(d, ['logs', 'restore-0']).stdout.trim().split('\n').map(Number);
  assert.ok(counted.length > 10, `only ${counted.length} lines`);
  assert.deepEqual(
    counted,
    counted.map((_, i) => i),
  );

  const exec = docker(d, ['exec', 'restore-1', 'sh', '-c', 'echo adopted']);
  assert.equal(exec.status, 0, exec.stderr);
  assert.equal(exec.stdout, 'adopted\n');

  // attach follows the adopted container's output until it stops
  const attach = spawn('docker', ['attach', '--no-stdin', 'restore-2'], {
    env: { ...process.env, DOCKER_HOST: d.host, DOCKER_CONFIG: join(d.dir, 'docker-config') },
  });
  let attached = '';
  attach.stdout.on('data', (c) => (attached += c));
  const attachEnded = new Promise((r) => attach.on('close', r));
  await sleep(500);
  const stop = docker(d, ['stop', '-t', '1', ...names]);
  assert.equal(stop.status, 0, stop.stderr);
  assert.equal(docker(d, ['ps', '-q']).stdout, '');
  const codes = names.map((n) => docker(d, ['inspect', '-f', '{{.State.ExitCode}}', n]).stdout.trim());
  for (const c of codes) assert.match(c, /^(137|143)$/);
  await attachEnded;
  assert.match(attached, /^\d+\n\d+\n/);
});

test('a removal cut short after its record went: the next berthd ends what the runtime still held', async () => {
  const r = docker(d, [
    'run',
    '-d',
    '--name',
    'half-removed',
    '--network',
    'none',
    'busybox',
    'sleep',
    '1000',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const id = r.stdout.trim();
  const pid = Number(docker(d, ['inspect', '-f', '{{.State.Pid}}', id]).stdout.trim());
  d.process.kill('SIGKILL');
  await new Promise((res) => d.process.once('exit', res));
  // what `rm` leaves when berthd dies right after forgetting the record (its first step)
  rmSync(join(d.dataRoot, 'containers', id, 'container.json'));
  const state = join(d.execRoot, 'runtime', id);
  assert.ok(existsSync(state), `${state} is the runtime's state of the container`);
  d = await startDaemon([], d.dir);
  assert.equal(existsSync(state), false, 'the runtime state is removed');
  const runDir = join(d.execRoot, 'c', id.slice(0, 32));
  assert.equal(existsSync(runDir), false, 'its run-time directory is unmounted and removed');
  assert.equal(existsSync(`/proc/${pid}`), false, 'the process is ended');
  assert.equal(docker(d, ['inspect', id]).status, 1);
});

test('a shim started at create is ended by rm, and by the next berthd when berthd died before the start', async () => {
  const shimOf = (id: string) => {
    const dir = join(d.execRoot, 'c', id.slice(0, 32));
    return existsSync(join(dir, 'shim.pid')) ? Number(readFileSync(join(dir, 'shim.pid'), 'utf8')) : 0;
  };
  // ended: gone, or a zombie its parent (a launcher) has yet to reap
  const gone = (pid: number) => {
    try {
      return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
    } catch {
      return true;
    }
  };
  const ended = async (pid: number) => {
    for (let i = 0; i < 100 && !gone(pid); i++) await sleep(20);
    return gone(pid);
  };
  const waitForShim = async (id: string) => {
    for (let i = 0; i < 100 && !shimOf(id); i++) await sleep(20);
    return shimOf(id);
  };
  // rm of a container never started: its shim goes with it
  const created = docker(d, ['create', '--network', 'none', 'busybox', 'true']);
  assert.equal(created.status, 0, created.stderr);
  const first = await waitForShim(created.stdout.trim());
  assert.ok(first > 0 && existsSync(`/proc/${first}`), 'a shim waits for the start');
  assert.equal(docker(d, ['rm', created.stdout.trim()]).status, 0);
  assert.ok(await ended(first), 'rm ends the shim');

  // berthd killed between create and start: the next one ends that shim, and the start works
  const r = docker(d, [
    'create',
    '--name',
    'created-then-killed',
    '--network',
    'none',
    'busybox',
    'echo',
    'started',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const waiting = await waitForShim(r.stdout.trim());
  assert.ok(waiting > 0, 'a shim waits for the start');
  d.process.kill('SIGKILL');
  await new Promise((res) => d.process.once('exit', res));
  d = await startDaemon([], d.dir);
  assert.ok(await ended(waiting), 'the next berthd ends the waiting shim');
  const started = docker(d, ['start', '-a', 'created-then-killed']);
  assert.equal(started.status, 0, started.stderr);
  assert.equal(started.stdout.trim(), 'started');
});
