// berth-exec's cgroup-open / cgroup-enter steps and `clone cgroup=` (native/PLAN.md): the child
// moves itself into the v1 hierarchies and starts in the v2 directory, with or without a user
// namespace; failures name the step and remove what was made. Plans are written as text here
// (src/plan has no step types for these yet). Needs root and real cgroups.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { cgroupDirs, planCgroup } from '../../src/plan/cgroups.ts';
import { encodeValue } from '../../src/plan/encode.ts';
import { cgroupHostFeatures, detectCgroupLayout } from '../../src/runtime/cgroups/detect.ts';
import { cgroupDriver } from '../../src/runtime/cgroups/driver.ts';

const BIN = join(fileURLToPath(new URL('../..', import.meta.url)), 'native/build/berth-exec');
const layout = detectCgroupLayout();
const driver = cgroupDriver(layout);
const made: string[] = [];
let counter = 0;

after(async () => {
  for (const path of made) if (driver.exists(path)) await driver.destroy(path);
});

function run(plan: string): Promise<{ code: number | null; stdout: string; stderr: string; report: string }> {
  const child = spawn(BIN, ['/proc/self/fd/3'], { stdio: ['ignore', 'pipe', 'pipe', 'pipe', 'pipe'] });
  const out = { stdout: '', stderr: '', report: '' };
  child.stdout?.on('data', (d) => (out.stdout += d));
  child.stderr?.on('data', (d) => (out.stderr += d));
  (child.stdio[4] as NodeJS.ReadableStream).on('data', (d) => (out.report += d));
  (child.stdio[3] as NodeJS.WritableStream).end(plan);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

/** A plan that makes the container's cgroups and runs `cat /proc/self/cgroup` in them. */
function enterPlan(path: string, opts: { userns?: boolean; open?: string[]; into?: string } = {}): string {
  const plan = planCgroup(layout, path, undefined, cgroupHostFeatures(layout, path));
  const dirs = cgroupDirs(layout, path);
  const v2 = layout.version === 2 ? dirs[0] : layout.unified ? dirs.at(-1) : undefined;
  const v1 = dirs.filter((d) => d !== v2);
  const open = opts.open ?? v1.map((d) => `${d}/tasks`);
  const into = opts.into ?? v2;
  const flags = opts.userns ? 'user,pid,mnt' : 'pid,mnt';
  const map = encodeValue('0 100000 65536\n');
  return [
    'berth-plan 1',
    '@pre',
    'report fd=4',
    ...plan.mkdirs.map((d) => `cgroup-mkdir path=${d}`),
    ...plan.writes.map((w) => `cgroup-write path=${w.path} value=${encodeValue(w.value)}`),
    ...open.map((f) => `cgroup-open path=${f}`),
    `clone flags=${flags}${into ? ` cgroup=${into}` : ''}`,
    '@parent',
    ...(opts.userns ? [`userns-map uid=${map} gid=${map} setgroups=deny`] : []),
    'sync',
    'report-pid',
    'wait-child',
    '@child',
    'cgroup-enter',
    'sync',
    'exec arg=/bin/cat arg=/proc/self/cgroup',
    '',
  ].join('\n');
}

function newPath(): string {
  const path = `/berth-enter-test-${process.pid}-${++counter}`;
  made.push(path);
  return path;
}

describe('cgroup-open, cgroup-enter and clone cgroup=', () => {
  for (const userns of [false, true]) {
    test(`the child is in every hierarchy of the container${userns ? ', from a user namespace' : ''}`, async () => {
      const path = newPath();
      const res = await run(enterPlan(path, { userns }));
      assert.equal(res.code, 0, res.stderr);
      assert.match(res.report, /^pid \d+\nexit 0\n$/);
      const lines = res.stdout.split('\n').filter(Boolean);
      const inside = lines.filter((l) => l.endsWith(`:${path}`));
      assert.equal(inside.length, cgroupDirs(layout, path).length, res.stdout);
    });
  }

  test('a tasks file that cannot be opened fails its step, and the cgroups made are removed', async () => {
    const path = newPath();
    const missing = `${cgroupDirs(layout, path)[0]}/nested/tasks`;
    const res = await run(enterPlan(path, { open: [missing] }));
    assert.equal(res.code, 1);
    assert.match(res.report, /^error \d+ cgroup-open 2 open%20%60/);
    assert.match(res.stderr, new RegExp(`\\(cgroup-open\\): open \`${missing}\`: No such file or directory`));
    for (const dir of cgroupDirs(layout, path)) assert.equal(existsSync(dir), false, dir);
  });

  test('a cgroup to clone into that does not exist fails the clone step', async () => {
    const path = newPath();
    const res = await run(enterPlan(path, { into: `/sys/fs/cgroup/berth-missing-${process.pid}` }));
    assert.equal(res.code, 1);
    assert.match(res.stderr, /\(clone\): open cgroup `\/sys\/fs\/cgroup\/berth-missing-\d+`: No such file/);
    for (const dir of cgroupDirs(layout, path)) assert.equal(existsSync(dir), false, dir);
  });
});
