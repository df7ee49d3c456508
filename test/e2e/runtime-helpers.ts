// Shared pieces of the runtime end-to-end tests: the runtimes under test (berth-runtime and
// runc, same command line), bundles with unique ids and cgroup paths, and leak checks.

import { type SpawnSyncReturns, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroupLayout } from '../../src/runtime/cgroups/detect.ts';
import { cgroupDriver } from '../../src/runtime/cgroups/driver.ts';
import type { Spec } from '../../src/spec/oci.ts';
import { runtimeDefaultSpec } from '../../src/spec/runtime-default.ts';
import { makeBundle } from '../fixtures/busybox.ts';

const ROOT = join(import.meta.dirname, '..', '..');

export interface RuntimeUnderTest {
  name: string;
  bin: string;
  root: string;
}

/** The parent cgroup the tests' containers share, removed once empty. */
function removeParentCgroups(): void {
  for (const dir of cgroups.paths('/berth-e2e')) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty (another test file is still running) or already gone
    }
  }
}

export function runtimes(): RuntimeUnderTest[] {
  const base = mkdtempSync(join(tmpdir(), 'berth-e2e-state-'));
  process.once('exit', () => {
    rmSync(base, { recursive: true, force: true });
    removeParentCgroups();
  });
  const list = [{ name: 'berth', bin: join(ROOT, 'bin', 'berth-runtime'), root: join(base, 'berth') }];
  if (spawnSync('runc', ['--version']).status === 0)
    list.push({ name: 'runc', bin: 'runc', root: join(base, 'runc') });
  return list;
}

export interface Result {
  status: number;
  stdout: string;
  stderr: string;
}

function result(r: SpawnSyncReturns<string>): Result {
  return { status: r.status ?? 128, stdout: r.stdout, stderr: r.stderr };
}

export function rt(r: RuntimeUnderTest, args: string[], opts: { cwd?: string; input?: string } = {}): Result {
  return result(
    spawnSync(r.bin, ['--root', r.root, ...args], {
      encoding: 'utf8',
      cwd: opts.cwd,
      input: opts.input ?? '',
      timeout: 60_000,
    }),
  );
}

/**
 * Runs a command whose children outlive it (create, run --detach, start): their stdio goes to
 * files, so waiting ends when the runtime exits, not when the container closes its output.
 */
export function rtDetached(r: RuntimeUnderTest, args: string[]): Result {
  const dir = mkdtempSync(join(tmpdir(), 'berth-e2e-out-'));
  const out = openSync(join(dir, 'out'), 'w+');
  const err = openSync(join(dir, 'err'), 'w+');
  try {
    const res = spawnSync(r.bin, ['--root', r.root, ...args], {
      stdio: ['ignore', out, err],
      timeout: 60_000,
    });
    return {
      status: res.status ?? 128,
      stdout: readFileSync(join(dir, 'out'), 'utf8'),
      stderr: readFileSync(join(dir, 'err'), 'utf8'),
    };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}

let counter = 0;
export function uniqueId(prefix: string): string {
  return `${prefix}-${process.pid}-${++counter}-${Math.random().toString(36).slice(2, 7)}`;
}

export interface TestBundle {
  id: string;
  dir: string;
  rootfs: string;
  cgroupsPath: string;
  cleanup(): void;
}

const cgroups = cgroupDriver(detectCgroupLayout());

/**
 * Whatever a runtime left in the container's cgroup (processes, directories) is killed and
 * removed, and the per-test parent /berth-e2e too once it is empty.
 */
export async function scrubCgroup(cgroupsPath: string): Promise<void> {
  if (cgroups.exists(cgroupsPath)) {
    if (cgroups.pids(cgroupsPath).length > 0) await cgroups.killAll(cgroupsPath, 'SIGKILL');
    await cgroups.destroy(cgroupsPath);
  }
}

/** A busybox bundle with runc-spec defaults, no terminal, `args`, and a cgroup path of its own. */
export function bundle(args: string[], mutate: (spec: Spec) => void = () => {}): TestBundle {
  const id = uniqueId('e2e');
  const spec = runtimeDefaultSpec();
  spec.process!.terminal = false;
  spec.process!.args = args;
  spec.linux!.cgroupsPath = `/berth-e2e/${id}`;
  mutate(spec);
  const b = makeBundle(spec, 'berth-e2e-');
  chmodSync(b.dir, 0o755);
  const cgroupsPath = spec.linux!.cgroupsPath!;
  return {
    id,
    dir: b.dir,
    rootfs: b.rootfs,
    cgroupsPath,
    cleanup: () => {
      b.cleanup();
      void scrubCgroup(cgroupsPath);
    },
  };
}

export function sh(script: string): string[] {
  return ['sh', '-c', script];
}

/** Cgroup directories of the container that still exist (should be none after delete). */
export function leftoverCgroups(cgroupsPath: string): string[] {
  const roots = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => / - cgroup2? /.test(l))
    .map((l) => l.split(' ')[4]);
  return roots.map((r) => join(r, cgroupsPath)).filter((d) => existsSync(d));
}

export function leftoverMounts(path: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((l) => l.includes(path));
}

export function processesMentioning(text: string): number[] {
  const out = spawnSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter((l) => l.includes(text) && !l.includes('ps -eo'))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
}
