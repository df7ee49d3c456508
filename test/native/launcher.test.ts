// berth-exec --serve and its client (src/runtime/launcher.ts): concurrent busybox containers,
// errors, create-mode containers left waiting on their exec fifo, orphans reaped by the
// launcher, a launcher that dies, and the Runtime's launcher option. Needs root; every test
// removes its bundles, cgroup directories, state and processes.

import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileCreate } from '../../src/plan/create.ts';
import type { Plan } from '../../src/plan/types.ts';
import { bindSources } from '../../src/runtime/bundle.ts';
import { detectCgroupLayout } from '../../src/runtime/cgroups/detect.ts';
import { cgroupDriver } from '../../src/runtime/cgroups/driver.ts';
import { hostFacts } from '../../src/runtime/facts.ts';
import { Launcher } from '../../src/runtime/launcher.ts';
import { PlanFailure, REPORT_FD } from '../../src/runtime/native.ts';
import { procStat } from '../../src/runtime/proc.ts';
import { Runtime } from '../../src/runtime/runtime.ts';
import type { Spec } from '../../src/spec/oci.ts';
import { runtimeDefaultSpec } from '../../src/spec/runtime-default.ts';
import { type Bundle, makeBundle } from '../fixtures/busybox.ts';

const cgroups = cgroupDriver(detectCgroupLayout());
const CGROUP_PARENT = '/berth-launcher-test';
let counter = 0;
const uniqueId = () => `launcher-${process.pid}-${++counter}`;

let spec: Spec;
let bundle: Bundle;
let tmp: string;
const cgroupPaths: string[] = [];

before(() => {
  spec = runtimeDefaultSpec();
  spec.process!.terminal = false;
  spec.process!.args = ['sh', '-c', 'echo $$'];
  bundle = makeBundle(spec, 'berth-launcher-');
  chmodSync(bundle.dir, 0o755);
  tmp = mkdtempSync(join(tmpdir(), 'berth-launcher-out-'));
});

after(async () => {
  for (const path of cgroupPaths) {
    if (!cgroups.exists(path)) continue;
    await cgroups.killAll(path, 'SIGKILL');
    await cgroups.destroy(path);
  }
  await cgroups.destroy(CGROUP_PARENT).catch(() => {});
  bundle?.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

/** A busybox container plan for `id`, in its own cgroup. */
function containerPlan(id: string, opts: { foreground?: boolean; execFifo?: string } = {}): Plan {
  const cgroupsPath = `${CGROUP_PARENT}/${id}`;
  cgroupPaths.push(cgroupsPath);
  const s = structuredClone(spec);
  s.linux!.cgroupsPath = cgroupsPath;
  return compileCreate({
    id,
    bundle: bundle.dir,
    spec: s,
    facts: hostFacts(cgroupsPath),
    foreground: opts.foreground,
    execFifo: opts.execFifo,
    reportFd: REPORT_FD,
    sources: bindSources(s),
  });
}

/** Children of `pid` that have ended and not been reaped. */
function zombiesOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        return state === 'Z' && Number(ppid) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  for (const deadline = Date.now() + ms; !cond(); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('berth-exec --serve', () => {
  const launcher = new Launcher();
  after(() => launcher.close());

  test('concurrent requests each get their own pid, exit status and stdio', async () => {
    const ids = Array.from({ length: 20 }, uniqueId);
    const runs = ids.map((id) =>
      launcher.run(containerPlan(id, { foreground: true }), {
        stdin: '/dev/null',
        stdout: join(tmp, `${id}.out`),
        stderr: join(tmp, `${id}.err`),
      }),
    );
    const pids = await Promise.all(runs.map((r) => r.pid));
    const codes = await Promise.all(runs.map((r) => r.exit));
    assert.equal(new Set(pids).size, ids.length, 'pids are distinct');
    assert.ok(pids.every((pid) => pid > 0));
    assert.deepEqual(
      codes,
      ids.map(() => 0),
    );
    for (const id of ids) {
      // the shell is pid 1 of its own pid namespace
      assert.equal(readFileSync(join(tmp, `${id}.out`), 'utf8'), '1\n');
      assert.equal(readFileSync(join(tmp, `${id}.err`), 'utf8'), '');
    }
    await until('the launcher has reaped everything', () => zombiesOf(launcher.pid!).length === 0);
  });

  test('a foreground container exits with its own status', async () => {
    const s = containerPlan(uniqueId(), { foreground: true });
    const exec = s.child.at(-1)!;
    assert.equal(exec.op, 'exec');
    if (exec.op === 'exec') exec.arg = ['sh', '-c', 'exit 7'];
    const run = launcher.run(s, { stdin: '/dev/null', stdout: '/dev/null', stderr: '/dev/null' });
    assert.ok((await run.pid) > 0);
    assert.equal(await run.exit, 7);
  });

  test('a failing step rejects with a PlanFailure naming it', async () => {
    const plan: Plan = {
      version: 1,
      pre: [
        { op: 'report', fd: REPORT_FD },
        { op: 'cgroup-write', path: '/nonexistent/berth-launcher/x', value: '1' },
        { op: 'clone', flags: [] },
      ],
      parent: [{ op: 'report-pid' }],
      child: [{ op: 'exec', arg: ['/bin/true'], env: [] }],
    };
    const run = launcher.run(plan, { stdin: '/dev/null', stdout: '/dev/null', stderr: '/dev/null' });
    const check = (err: unknown) => {
      assert.ok(err instanceof PlanFailure);
      assert.equal(err.detail.step, 2);
      assert.equal(err.detail.op, 'cgroup-write');
      assert.equal(err.detail.errno, 2);
      assert.match(err.message, /open `\/nonexistent\/berth-launcher\/x`/);
      return true;
    };
    await assert.rejects(run.pid, check);
    await assert.rejects(run.exit, check);
  });

  test('stdio that cannot be opened fails the request, not the launcher', async () => {
    const run = launcher.run(containerPlan(uniqueId()), {
      stdin: '/nonexistent/berth-launcher-stdin',
      stdout: '/dev/null',
      stderr: '/dev/null',
    });
    await assert.rejects(run.exit, (err) => err instanceof PlanFailure && err.detail.op === 'stdio');
    const again = launcher.run(containerPlan(uniqueId(), { foreground: true }), {
      stdin: '/dev/null',
      stdout: '/dev/null',
      stderr: '/dev/null',
    });
    assert.equal(await again.exit, 0);
  });

  test('spawn: runs a program with its argv and stdio, resolves its status; an orphan it leaves is reaped', async () => {
    const out = join(tmp, 'spawn.out');
    const err = join(tmp, 'spawn.err');
    const script = 'echo "$0 $1"; echo oops >&2; sleep 0.2 & echo $!; exit 3';
    const status = await launcher.spawn(['/bin/sh', '-c', script, 'two words', 'x'], {
      stdin: '/dev/null',
      stdout: out,
      stderr: err,
    });
    assert.equal(status, 3);
    const [line, orphan] = readFileSync(out, 'utf8').split('\n');
    assert.equal(line, 'two words x');
    assert.equal(readFileSync(err, 'utf8'), 'oops\n');
    // the backgrounded sleep was reparented to the launcher (a subreaper), which reaps it
    await until('the orphan is reaped', () => !existsSync(`/proc/${orphan}`));
    // a program that cannot be exec'd: the launcher says why, and goes on
    await assert.rejects(
      launcher.spawn(['/nonexistent/berth-launcher-program'], { stdin: '/dev/null', stdout: '/dev/null' }),
      (e) => e instanceof PlanFailure && e.detail.op === 'exec' && e.detail.errno === 2,
    );
    assert.throws(() => launcher.spawn(['sh', '-c', 'true']), /not an absolute path/);
    assert.equal(await launcher.spawn(['/bin/true'], { stdin: '/dev/null', stdout: '/dev/null' }), 0);
  });

  test('a create-mode container waits on its fifo under the launcher, which reaps it', async () => {
    const id = uniqueId();
    const fifo = join(tmp, `${id}.fifo`);
    const out = join(tmp, `${id}.out`);
    const run = launcher.run(containerPlan(id, { execFifo: fifo }), {
      stdin: '/dev/null',
      stdout: out,
      stderr: '/dev/null',
    });
    const pid = await run.pid;
    assert.equal(await run.exit, 0, 'the interpreter ends once the container waits');
    // its interpreter is gone: the container is the subreaper's now, and still waiting
    await until('the container is reparented', () => procStat(pid) !== undefined);
    const ppid = Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]);
    assert.equal(ppid, launcher.pid);
    assert.equal(readFileSync(out, 'utf8'), '', 'nothing ran before start');

    const handle = await open(fifo, 'r');
    const { bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, null);
    await handle.close();
    assert.equal(bytesRead, 1);
    await until('the container has ended and been reaped', () => !existsSync(`/proc/${pid}`));
    assert.equal(readFileSync(out, 'utf8'), '1\n');
    assert.deepEqual(zombiesOf(launcher.pid!), []);
  });
});

describe('a launcher that dies', () => {
  test('rejects its pending requests, and the next request starts a new one', async () => {
    const launcher = new Launcher();
    const quiet = { stdin: '/dev/null', stdout: '/dev/null', stderr: '/dev/null' };
    try {
      assert.equal(await launcher.run(containerPlan(uniqueId(), { foreground: true }), quiet).exit, 0);
      const first = launcher.pid!;
      // Stopped, it cannot take the request before it is killed: nothing is half-started.
      process.kill(first, 'SIGSTOP');
      await until('the launcher has stopped', () => procStat(first)?.state === 'T');
      const pending = launcher.run(containerPlan(uniqueId(), { foreground: true }), quiet);
      process.kill(first, 'SIGKILL');
      await assert.rejects(
        pending.exit,
        /berth-exec --serve \(pid \d+\) was killed by SIGKILL before request \d+/,
      );
      await assert.rejects(pending.pid, /was killed by SIGKILL/);

      const next = launcher.run(containerPlan(uniqueId(), { foreground: true }), quiet);
      assert.equal(await next.exit, 0);
      assert.notEqual(launcher.pid, first);
    } finally {
      await launcher.close();
    }
  });
});

describe('Runtime with { launcher: true }', () => {
  test('create, start, state and delete go through the launcher', async () => {
    const root = mkdtempSync(join(tmpdir(), 'berth-launcher-state-'));
    const runtime = new Runtime(root, { launcher: true });
    const id = uniqueId();
    const s = structuredClone(spec);
    s.linux!.cgroupsPath = `${CGROUP_PARENT}/${id}`;
    s.process!.args = ['sleep', '60'];
    cgroupPaths.push(s.linux!.cgroupsPath);
    const b = makeBundle(s, 'berth-launcher-rt-');
    chmodSync(b.dir, 0o755);
    try {
      const { record } = await runtime.create({ id, bundle: b.dir, stdio: ['ignore', 'ignore', 'ignore'] });
      assert.equal(runtime.state(id).status, 'created');
      const launcherPid = Number(
        readFileSync(`/proc/${record.pid}/stat`, 'utf8').split(') ')[1].split(' ')[1],
      );
      assert.match(readFileSync(`/proc/${launcherPid}/cmdline`, 'utf8'), /berth-exec\0--serve\0/);
      await runtime.start(id);
      assert.equal(runtime.state(id).status, 'running');
      await runtime.delete(id, true);
      assert.equal(existsSync(`/proc/${record.pid}`), false, 'the launcher reaped it');
      assert.deepEqual(zombiesOf(launcherPid), []);
      assert.equal(cgroups.exists(s.linux!.cgroupsPath), false);
    } finally {
      await runtime.delete(id, true).catch(() => {});
      await runtime.close();
      b.cleanup();
      rmSync(root, { recursive: true, force: true });
    }
  });
});
