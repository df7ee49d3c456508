// native/build/berth-shim end to end (native/SHIM.md): busybox containers run through the shim
// with plans from compileCreate (detached) and compileExec; frames on the attach socket, the
// json-file log and its rotation, stdin, the pty, exit.json, set-up failures, a spawner that
// dies. Needs root; every test removes its shim directory, cgroups and processes.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileCreate } from '../../src/plan/create.ts';
import { encodePlan } from '../../src/plan/encode.ts';
import { compileExec } from '../../src/plan/exec.ts';
import { bindSources } from '../../src/runtime/bundle.ts';
import { detectCgroupLayout } from '../../src/runtime/cgroups/detect.ts';
import { cgroupDriver } from '../../src/runtime/cgroups/driver.ts';
import { hostFacts } from '../../src/runtime/facts.ts';
import type { Spec } from '../../src/spec/oci.ts';
import { runtimeDefaultSpec } from '../../src/spec/runtime-default.ts';
import { type Bundle, makeBundle } from '../fixtures/busybox.ts';
import {
  CLOSE_STDIN,
  ERROR,
  type ExitRecord,
  frame,
  parseLog,
  RESIZE,
  SHIM,
  ShimClient,
  type ShimOptions,
  START,
  STDERR,
  STDIN,
  STDOUT,
  shimArgs,
  startShim,
} from './shim-helpers.ts';

const cgroups = cgroupDriver(detectCgroupLayout());
const CGROUP_PARENT = `/berth-shim-test-${process.pid}`;
const RFC3339_NANO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/;
let counter = 0;

let bundle: Bundle;
const cleanups: (() => Promise<void>)[] = [];

before(() => {
  bundle = makeBundle(runtimeDefaultSpec(), 'berth-shim-bundle-');
  chmodSync(bundle.dir, 0o755);
});

after(async () => {
  for (const cleanup of cleanups) await cleanup();
  await cgroups.destroy(CGROUP_PARENT).catch(() => {});
  bundle?.cleanup();
});

/** Running (a zombie is not: pid 1 here reaps orphans only now and then). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !cond(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

interface Container {
  id: string;
  /** the shim's directory */
  dir: string;
  cgroupsPath: string;
  spec: Spec;
  plan: string;
  log: string;
}

/** A busybox container running `args`, its plan compiled for a detached run under a shim. */
function container(args: string[], opts: { tty?: boolean; mutate?: (spec: Spec) => void } = {}): Container {
  const id = `shim-${process.pid}-${++counter}`;
  const dir = mkdtempSync(join(tmpdir(), 'berth-shim-'));
  chmodSync(dir, 0o700);
  const cgroupsPath = `${CGROUP_PARENT}/${id}`;
  const spec = runtimeDefaultSpec();
  spec.process!.terminal = opts.tty === true;
  spec.process!.args = args;
  spec.linux!.cgroupsPath = cgroupsPath;
  opts.mutate?.(spec);
  const plan = compileCreate({
    id,
    bundle: bundle.dir,
    spec,
    facts: hostFacts(cgroupsPath),
    foreground: false,
    reportFd: 3,
    consoleSocket: opts.tty ? join(dir, 'console.sock') : undefined,
    sources: bindSources(spec),
  });
  writeFileSync(join(dir, 'plan'), encodePlan(plan));
  const c = { id, dir, cgroupsPath, spec, plan: join(dir, 'plan'), log: join(dir, 'json.log') };
  cleanups.push(() => remove(c));
  return c;
}

/** Kills whatever is left (the shim, the container's processes), removes cgroups and files. */
async function remove(c: Container): Promise<void> {
  const pidFile = join(c.dir, 'shim.pid');
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGKILL');
    } catch {
      // gone
    }
  }
  if (cgroups.exists(c.cgroupsPath)) {
    if (cgroups.pids(c.cgroupsPath).length > 0) await cgroups.killAll(c.cgroupsPath, 'SIGKILL');
    await cgroups.destroy(c.cgroupsPath);
  }
  rmSync(c.dir, { recursive: true, force: true });
}

/** Starts the shim for `c` and attaches to it. */
async function shim(c: { dir: string; plan: string }, o: ShimOptions = {}): Promise<ShimClient> {
  const r = await startShim(shimArgs(c.dir, c.plan, o));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '');
  return ShimClient.connect(join(c.dir, 'shim.sock'));
}

function readExit(dir: string): ExitRecord {
  return JSON.parse(readFileSync(join(dir, 'exit.json'), 'utf8'));
}

/** After EXIT: the shim exits, having removed its socket and pid file (and nothing else). */
async function shimGone(dir: string, pid: number): Promise<void> {
  await until('the shim has exited', () => !alive(pid));
  const exit = readExit(dir);
  assert.ok(exit, 'exit.json was written');
  for (const f of ['shim.sock', 'shim.pid', 'console.sock', 'exit.json.tmp'])
    assert.ok(!existsSync(join(dir, f)), `${f} is removed`);
}

function shimPid(dir: string): number {
  return Number(readFileSync(join(dir, 'shim.pid'), 'utf8'));
}

describe('berth-shim', () => {
  test('runs the container on START: PID, STDOUT and STDERR frames, the json-file log, exit.json', async () => {
    const c = container(['sh', '-c', 'echo out1; echo err1 >&2; echo out2; exit 3']);
    const client = await shim(c, { log: c.log });
    const pidOfShim = shimPid(c.dir);
    assert.ok(alive(pidOfShim));
    assert.equal(statSync(join(c.dir, 'shim.sock')).mode & 0o777, 0o600);
    assert.equal(client.frames.length, 0, 'nothing runs before START');

    client.send(START);
    const pid = await client.pid();
    assert.ok(pid > 0);
    const exit = await client.exit();
    assert.equal(client.output(STDOUT), 'out1\nout2\n');
    assert.equal(client.output(STDERR), 'err1\n');
    assert.equal(exit.pid, pid);
    assert.equal(exit.exitCode, 3);
    assert.equal(exit.signal, 0);
    assert.equal(exit.oomKilled, false);
    assert.equal(exit.error, '');
    assert.match(exit.startedAt, RFC3339_NANO);
    assert.match(exit.finishedAt, RFC3339_NANO);
    assert.ok(exit.finishedAt >= exit.startedAt);
    assert.deepEqual(readExit(c.dir), exit);
    await client.closed;

    const entries = parseLog(readFileSync(c.log, 'utf8'));
    const byStream = (s: string) =>
      entries
        .filter((e) => e.stream === s)
        .map((e) => e.log)
        .join('');
    assert.equal(byStream('stdout'), 'out1\nout2\n');
    assert.equal(byStream('stderr'), 'err1\n');
    assert.equal(entries.length, 3);
    for (const e of entries) assert.match(e.time, RFC3339_NANO);
    await shimGone(c.dir, pidOfShim);
  });

  test('json-file: escapes, invalid UTF-8 as \ufffd, 16 KiB entries, a last line without newline', async () => {
    const c = container([
      'sh',
      '-c',
      String.raw`printf 'q"b\\s\t\001\377\303\251\n'; head -c 40000 /dev/zero | tr '\0' a; echo; printf end`,
    ]);
    const client = await shim(c, { log: c.log });
    client.send(START);
    assert.equal((await client.exit()).exitCode, 0);
    const long = 'a'.repeat(40000);
    const expected = Buffer.concat([
      Buffer.from('q"b\\s\t\x01'),
      Buffer.from([0xff]),
      Buffer.from('é\n' + long + '\nend'),
    ]);
    const frames = Buffer.concat(client.frames.filter((f) => f.type === STDOUT).map((f) => f.payload));
    assert.ok(frames.equals(expected), 'STDOUT frames carry the bytes as they are');
    const text = readFileSync(c.log, 'utf8');
    assert.ok(
      text.startsWith(String.raw`{"log":"q\"b\\s\t\u0001\ufffdé\n","stream":"stdout","time":"`),
      text.slice(0, 100),
    );
    assert.deepEqual(
      parseLog(text).map((e) => e.log),
      [
        'q"b\\s\t\x01\ufffdé\n',
        'a'.repeat(16384),
        'a'.repeat(16384),
        'a'.repeat(40000 - 32768) + '\n',
        'end',
      ],
    );
  });

  test('stdin: STDIN frames reach the process, CLOSE_STDIN ends it; every client gets the output', async () => {
    const c = container(['cat']);
    const client = await shim(c, { stdin: true, log: c.log });
    const other = await ShimClient.connect(join(c.dir, 'shim.sock'));
    client.send(STDIN, 'before start\n');
    client.send(START);
    await client.pid();
    await other.pid();
    client.send(STDIN, 'hello\n');
    await client.until('the echo', () => client.output().includes('hello\n'));
    other.send(STDIN, Buffer.alloc(300_000, 'x'));
    other.send(CLOSE_STDIN);
    const exit = await client.exit();
    assert.equal(exit.exitCode, 0);
    const expected = 'before start\nhello\n' + 'x'.repeat(300_000);
    assert.equal(client.output(), expected);
    // each client's frames come in order, but not in step with the other's: wait for its EXIT
    assert.deepEqual(await other.exit(), exit);
    assert.equal(other.output(), expected);
    assert.equal(
      parseLog(readFileSync(c.log, 'utf8'))
        .map((e) => e.log)
        .join(''),
      expected,
    );
  });

  test('stdin that the process does not read waits for it, without the shim spinning', async () => {
    const c = container(['sleep', '1000']);
    const client = await shim(c, { stdin: true });
    const pidOfShim = shimPid(c.dir);
    client.send(START);
    const pid = await client.pid();
    const writer = await ShimClient.connect(join(c.dir, 'shim.sock'));
    // more than the pipe holds, less than the pipe and the socket's buffers together
    await new Promise<void>((resolve) =>
      writer.socket.end(frame(STDIN, Buffer.alloc(150_000, 'y')), resolve),
    );
    writer.close();
    const cpu = () => {
      const stat = readFileSync(`/proc/${pidOfShim}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks
    };
    const before = cpu();
    await new Promise((r) => setTimeout(r, 500));
    assert.ok(cpu() - before < 20, `the shim used ${cpu() - before} ticks while waiting`);
    process.kill(pid, 'SIGKILL');
    assert.equal((await client.exit()).exitCode, 137);
  });

  test('a signalled process: exitCode 128+N and signal N; SIGTERM, SIGINT and SIGHUP do not stop the shim', async () => {
    const c = container(['sleep', '1000']);
    const client = await shim(c);
    client.send(START);
    const pid = await client.pid();
    const pidOfShim = shimPid(c.dir);
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.kill(pidOfShim, sig);
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(alive(pidOfShim), 'the shim ignores SIGTERM, SIGINT, SIGHUP');
    assert.ok(alive(pid));
    // a late client gets the pid too
    const late = await ShimClient.connect(join(c.dir, 'shim.sock'));
    assert.equal(await late.pid(), pid);
    process.kill(pid, 'SIGKILL');
    const exit = await client.exit();
    assert.equal(exit.exitCode, 137);
    assert.equal(exit.signal, 9);
    assert.equal(exit.pid, pid);
    assert.deepEqual(await late.exit(), exit);
    await shimGone(c.dir, pidOfShim);
  });

  test('--tty: output from the pty, RESIZE sets its size, STDIN is typed into it', async () => {
    const c = container(['sh', '-c', 'read x; stty size; echo tty-$x; exit 5'], { tty: true });
    const client = await shim(c, { tty: true, stdin: true, log: c.log });
    const pidOfShim = shimPid(c.dir);
    assert.ok(existsSync(join(c.dir, 'console.sock')), 'the console socket listens before START');
    client.send(START);
    await client.pid();
    client.send(RESIZE, '30 100');
    client.send(STDIN, 'go\n');
    const exit = await client.exit();
    assert.equal(exit.exitCode, 5);
    const out = client.output();
    assert.match(out, /30 100\r\n/);
    assert.match(out, /tty-go\r\n/);
    assert.equal(client.output(STDERR), '');
    const entries = parseLog(readFileSync(c.log, 'utf8'));
    assert.ok(entries.every((e) => e.stream === 'stdout'));
    assert.equal(entries.map((e) => e.log).join(''), out);
    await shimGone(c.dir, pidOfShim);
  });

  test('--tty: a RESIZE and STDIN sent before the pty exists are applied once it does', async () => {
    const c = container(['sh', '-c', 'read x; stty size; echo got-$x'], { tty: true });
    const client = await shim(c, { tty: true, stdin: true });
    client.send(RESIZE, '12 34');
    client.send(STDIN, 'early\n');
    client.send(START);
    assert.equal((await client.exit()).exitCode, 0);
    assert.match(client.output(), /12 34\r\n/);
    assert.match(client.output(), /got-early\r\n/);
  });

  test('log rotation: FILE.2, FILE.1, FILE hold the newest output; a file is rotated once it reached the maximum', async () => {
    const c = container(['sh', '-c', 'i=0; while [ $i -lt 300 ]; do echo line $i; i=$((i+1)); done']);
    const client = await shim(c, { log: c.log, logMaxSize: 1024, logMaxFiles: 3 });
    client.send(START);
    assert.equal((await client.exit()).exitCode, 0);
    assert.ok(!existsSync(`${c.log}.3`), 'at most max-files files');
    const files = [`${c.log}.2`, `${c.log}.1`, c.log];
    // as dockerd: written to until it has reached max-size, so it ends within one entry past it
    for (const f of files.slice(0, 2)) {
      const text = readFileSync(f, 'utf8');
      const last = text.slice(text.lastIndexOf('\n', text.length - 2) + 1);
      assert.ok(text.length >= 1024 && text.length - last.length < 1024, `${f} is ${text.length} bytes`);
    }
    assert.ok(statSync(c.log).size <= 1024 + 100);
    const lines = files.flatMap((f) => parseLog(readFileSync(f, 'utf8')).map((e) => e.log));
    const first = Number(lines[0].split(' ')[1]);
    assert.ok(first > 0, 'the oldest file was dropped');
    assert.deepEqual(
      lines,
      Array.from({ length: 300 - first }, (_, i) => `line ${first + i}\n`),
    );
    assert.equal(client.output(), Array.from({ length: 300 }, (_, i) => `line ${i}\n`).join(''));
  });

  test('a missing program: an ERROR frame, exitCode 127 in exit.json, nothing left running', async () => {
    const c = container(['/nonexistent-program']);
    const client = await shim(c, { log: c.log });
    const pidOfShim = shimPid(c.dir);
    client.send(START);
    const exit = await client.exit();
    const error = client.frameOf(ERROR);
    assert.ok(error, client.describe());
    assert.match(error.payload.toString(), /^error \d+ check-exec 2 \S*nonexistent-program/);
    assert.equal(client.frameOf(6), undefined, 'no PID frame');
    assert.equal(exit.pid, 0);
    assert.equal(exit.exitCode, 127);
    assert.equal(exit.signal, 0);
    assert.match(exit.error, /`\/nonexistent-program`/);
    assert.deepEqual(readExit(c.dir), exit);
    await shimGone(c.dir, pidOfShim);
    assert.deepEqual(cgroups.exists(c.cgroupsPath) ? cgroups.pids(c.cgroupsPath) : [], []);
    assert.ok(!cgroups.exists(c.cgroupsPath), 'the interpreter removed the cgroup it made');
  });

  test('an interpreter that cannot run: an ERROR frame and exit.json, no process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-shim-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'plan'), 'berth-plan 1\n@pre\nbogus\n');
    const client = await shim({ dir, plan: join(dir, 'plan') });
    client.send(START);
    const exit = await client.exit();
    assert.equal(exit.pid, 0);
    assert.equal(exit.exitCode, 1);
    assert.match(exit.error, /berth-exec exited with status 1 before it reported a pid/);
    assert.match(client.frameOf(ERROR)!.payload.toString(), /^error 0 berth-exec 0 /);
    assert.match(client.output(STDERR), /plan line 3: unknown op `bogus`/);
  });

  test('the shim outlives the process group that spawned it (killed with SIGKILL)', async () => {
    const c = container(['sh', '-c', 'read x; echo after-$x']);
    const spawner = spawn(
      'sh',
      ['-c', `"$0" "$@" && echo ready && exec sleep 1000`, SHIM, ...shimArgs(c.dir, c.plan, { stdin: true })],
      {
        detached: true,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    spawner.stdout.on('data', (d) => (out += d));
    await until('the shim is ready', () => out.includes('ready'));
    process.kill(-spawner.pid!, 'SIGKILL');
    await new Promise((r) => spawner.on('close', r));
    const pidOfShim = shimPid(c.dir);
    assert.ok(alive(pidOfShim));
    const stat = readFileSync(`/proc/${pidOfShim}/stat`, 'utf8').split(') ')[1].split(' ');
    assert.equal(Number(stat[3]), pidOfShim, 'it leads its own session');
    const client = await ShimClient.connect(join(c.dir, 'shim.sock'));
    client.send(START);
    await client.pid();
    client.send(STDIN, 'kill\n');
    assert.equal((await client.exit()).exitCode, 0);
    assert.equal(client.output(), 'after-kill\n');
  });

  test('a shim that never gets START ends after its wait, running nothing and writing no exit.json', async () => {
    const c = container(['sh', '-c', 'echo ran']);
    const started = spawn(SHIM, shimArgs(c.dir, c.plan), {
      stdio: 'ignore',
      env: { ...process.env, BERTH_SHIM_START_WAIT_MS: '300' },
    });
    assert.equal(await new Promise((r) => started.on('close', r)), 0);
    const pid = shimPid(c.dir);
    assert.ok(alive(pid));
    // a client that connects and never sends START does not keep it either
    const client = await ShimClient.connect(join(c.dir, 'shim.sock'));
    await until('the shim has given up waiting', () => !alive(pid), 5_000);
    await client.closed;
    assert.ok(!existsSync(join(c.dir, 'exit.json')), 'no exit.json: nothing ran');
  });

  test('--owner: a shim whose owner exits before START ends at once; after START it stays', async () => {
    // (the 10-minute START wait stays in force: only the owner's end may end it here)
    const owner = spawn('sleep', ['1000'], { stdio: 'ignore' });
    const c = container(['sh', '-c', 'echo ran']);
    const first = await startShim([...shimArgs(c.dir, c.plan), '--owner', String(owner.pid)]);
    assert.equal(first.code, 0, first.stderr);
    const pid = shimPid(c.dir);
    const client = await ShimClient.connect(join(c.dir, 'shim.sock'));
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(alive(pid), 'it waits for START while its owner lives');
    owner.kill('SIGKILL');
    await until('the shim has seen its owner go', () => !alive(pid), 5_000);
    await client.closed;
    assert.ok(!existsSync(join(c.dir, 'exit.json')), 'no exit.json: nothing ran');

    // an owner already gone when the shim starts: it ends too
    const gone = container(['sh', '-c', 'echo ran']);
    const late = await startShim([...shimArgs(gone.dir, gone.plan), '--owner', String(owner.pid)]);
    assert.equal(late.code, 0, late.stderr);
    const latePid = shimPid(gone.dir);
    await until('a shim whose owner was gone has ended', () => !alive(latePid), 5_000);

    // once started, the owner's end changes nothing: the process runs and is recorded
    const owner2 = spawn('sleep', ['1000'], { stdio: 'ignore' });
    const run = container(['sh', '-c', 'read x; echo got $x']);
    const ok = await startShim([
      ...shimArgs(run.dir, run.plan, { stdin: true }),
      '--owner',
      String(owner2.pid),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const runClient = await ShimClient.connect(join(run.dir, 'shim.sock'));
    runClient.send(START);
    await runClient.pid();
    owner2.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(alive(shimPid(run.dir)), 'the shim outlives its owner once started');
    runClient.send(STDIN, 'x\n');
    assert.equal((await runClient.exit()).exitCode, 0);
    assert.equal(runClient.output(), 'got x\n');

    const bad = await startShim([...shimArgs(c.dir, c.plan), '--owner', '0']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--owner: not a pid/);
  });

  test('an exec (compileExec, detached) run by a second shim in a running container', async () => {
    const c = container(['sleep', '1000']);
    const main = await shim(c, { log: c.log });
    main.send(START);
    const pid = await main.pid();

    const dir = mkdtempSync(join(tmpdir(), 'berth-shim-exec-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const plan = compileExec({
      spec: c.spec,
      process: {
        ...c.spec.process!,
        args: ['sh', '-c', 'echo exec-out $$; echo exec-err >&2; read x; exit $x'],
      },
      pid,
      cgroupsPath: c.cgroupsPath,
      facts: hostFacts(c.cgroupsPath),
      detach: true,
      reportFd: 3,
    });
    writeFileSync(join(dir, 'plan'), encodePlan(plan));
    const exec = await shim({ dir, plan: join(dir, 'plan') }, { stdin: true });
    const execShim = shimPid(dir);
    exec.send(START);
    const execPid = await exec.pid();
    assert.notEqual(execPid, pid);
    assert.ok(cgroups.pids(c.cgroupsPath).includes(execPid), 'the exec runs in the container cgroup');
    exec.send(STDIN, '4\n');
    const exit = await exec.exit();
    assert.equal(exit.exitCode, 4);
    assert.equal(exit.pid, execPid);
    const [word, nspid] = exec.output().trim().split(' ');
    assert.equal(word, 'exec-out');
    assert.ok(Number(nspid) > 1, `a pid of the container's namespace: ${nspid}`);
    assert.equal(exec.output(STDERR), 'exec-err\n');
    await shimGone(dir, execShim);
    assert.deepEqual(readdirSync(dir).sort(), ['exit.json', 'plan'], 'no log without --log');

    assert.ok(alive(pid), 'the container is still running');
    assert.equal(main.frameOf(8), undefined);
    process.kill(pid, 'SIGKILL');
    assert.equal((await main.exit()).exitCode, 137);
  });

  test('output held open by a process the exec left behind is read for at most 2 s more', async () => {
    const c = container(['sleep', '1000']);
    const main = await shim(c);
    main.send(START);
    const pid = await main.pid();
    const dir = mkdtempSync(join(tmpdir(), 'berth-shim-exec-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const plan = compileExec({
      spec: c.spec,
      process: { ...c.spec.process!, args: ['sh', '-c', 'sleep 60 & echo started'] },
      pid,
      cgroupsPath: c.cgroupsPath,
      facts: hostFacts(c.cgroupsPath),
      detach: true,
      reportFd: 3,
    });
    writeFileSync(join(dir, 'plan'), encodePlan(plan));
    const exec = await shim({ dir, plan: join(dir, 'plan') });
    exec.send(START);
    const exit = await exec.exit();
    assert.equal(exit.exitCode, 0);
    assert.equal(exec.output(), 'started\n');
    assert.ok(cgroups.pids(c.cgroupsPath).length >= 2, 'the background sleep still runs');
    process.kill(pid, 'SIGKILL');
    await main.exit();
  });

  test('a client that reads slowly slows the output down; one that stops reading is dropped', async () => {
    const c = container(['head', '-c', '8388608', '/dev/zero']);
    const client = await shim(c, { log: c.log });
    const slow = await ShimClient.connect(join(c.dir, 'shim.sock'));
    slow.socket.pause();
    // a steady reader that takes a break after every chunk
    client.socket.on('data', () => {
      client.socket.pause();
      setTimeout(() => client.socket.resume(), 2);
    });
    client.send(START);
    const exit = await client.exit();
    assert.equal(exit.exitCode, 0);
    assert.equal(client.output().length, 8388608, 'the slow reader got everything');
    slow.socket.resume();
    await slow.closed;
    const got = slow.frames.filter((f) => f.type === STDOUT).reduce((n, f) => n + f.payload.length, 0);
    assert.ok(got < 8388608, `the stuck client got ${got} bytes`);
    assert.equal(slow.frameOf(8), undefined, 'and no EXIT');
    const logged = parseLog(readFileSync(c.log, 'utf8')).reduce((n, e) => n + e.log.length, 0);
    assert.equal(logged, 8388608, 'the log has everything');
  });

  test('--oom: oomKilled when the oom_kill count went up while the process ran', async () => {
    const c = container(['sleep', '1000']);
    const oom = join(c.dir, 'memory.oom_control');
    writeFileSync(oom, 'oom_kill_disable 0\nunder_oom 0\noom_kill 2\n');
    const client = await shim(c, { oom });
    client.send(START);
    const pid = await client.pid();
    writeFileSync(oom, 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n');
    process.kill(pid, 'SIGKILL');
    assert.equal((await client.exit()).oomKilled, true);

    const d = container(['true']);
    const oomFile = join(d.dir, 'memory.events');
    writeFileSync(oomFile, 'low 0\nhigh 0\nmax 0\noom 1\noom_kill 1\n');
    const other = await shim(d, { oom: oomFile });
    other.send(START);
    assert.equal((await other.exit()).oomKilled, false, 'an OOM kill from before START does not count');
  });

  test('--oom: a process the kernel killed for exceeding its memory limit', async () => {
    const limit = 16 * 1024 * 1024;
    const c = container(['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], {
      mutate: (spec) => {
        spec.linux!.resources = { memory: { limit, swap: limit } };
      },
    });
    const dirs = cgroups.paths(c.cgroupsPath);
    const oom =
      cgroups.version === 2
        ? join(dirs[0], 'memory.events')
        : join(dirs.find((d) => d.startsWith('/sys/fs/cgroup/memory/'))!, 'memory.oom_control');
    const client = await shim(c, { oom });
    client.send(START);
    const exit = await client.exit();
    assert.equal(exit.signal, 9, JSON.stringify(exit));
    assert.equal(exit.oomKilled, true);
  });

  test('start-up failures: a message on stderr, status 1, nothing left behind', async () => {
    const missing = await startShim(['--dir', '/nonexistent/berth-shim', '--plan', '/dev/null']);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^berth-shim: .*\/nonexistent\/berth-shim\/shim.sock/);
    const usage = await startShim(['--plan', '/dev/null']);
    assert.equal(usage.code, 1);
    assert.match(usage.stderr, /usage: berth-shim --dir DIR --plan PLANFILE/);

    const c = container(['true']);
    const first = await shim(c);
    const pidOfShim = shimPid(c.dir);
    const again = await startShim(shimArgs(c.dir, c.plan));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is served by another process/);
    first.send(START);
    assert.equal((await first.exit()).exitCode, 0);
    await shimGone(c.dir, pidOfShim);
  });
});
