// create + start + delete of /bin/true from a busybox bundle, side by side in one run:
// berth in-process (Runtime with the launcher: the path berthd uses; and spawning berth-exec per
// container, as before the launcher), `bin/berth-runtime run`, `runc run`, and `crun run` where
// crun works on this host, and `node -e 0` (Node's own start-up, the floor under any Node
// command line). Prints a markdown table.
//
//   node bench/runtime.ts [runs]   (default 30 runs per runtime, interleaved)

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectCgroupLayout } from '../src/runtime/cgroups/detect.ts';
import { cgroupDriver } from '../src/runtime/cgroups/driver.ts';
import { Runtime } from '../src/runtime/runtime.ts';
import { runtimeDefaultSpec } from '../src/spec/runtime-default.ts';
import { makeBundle } from '../test/fixtures/busybox.ts';
import { summary } from './stats.ts';

const runs = Number(process.argv[2] ?? 30);
const ROOT = join(import.meta.dirname, '..');
// Every runtime's state root (--root) on tmpfs, as /run is on a usual host (on this kind of VM
// /run is on the root disk, where each state write's fsync costs ~1 ms); BENCH_STATE_DIR overrides.
const TMPFS_MAGIC = 0x01021994;
const stateParent =
  process.env.BENCH_STATE_DIR ??
  (['/run', '/dev/shm'].find((p) => statfsSync(p).type === TMPFS_MAGIC) || tmpdir());
const state = mkdtempSync(join(stateParent, 'berth-bench-'));
const fsType = statfsSync(state).type === TMPFS_MAGIC ? 'tmpfs' : 'not tmpfs';
const spec = runtimeDefaultSpec();
spec.process!.terminal = false;
spec.process!.args = ['true'];
spec.linux!.cgroupsPath = '/berth-bench/c';
spec.ociVersion = '1.0.2-dev'; // what runc spec writes; crun 1.8 refuses 1.2.0
const bundle = makeBundle(spec, 'berth-bench-bundle-');
chmodSync(bundle.dir, 0o755);

const cleanups: (() => void)[] = [];

type Case = { name: string; once: (i: number) => Promise<void> | void };

function cli(name: string, bin: string, root: string): Case {
  return {
    name,
    once(i) {
      const res = spawnSync(bin, ['--root', root, 'run', '--bundle', bundle.dir, `bench-${i}`], {
        stdio: 'ignore',
      });
      if (res.status !== 0) throw new Error(`${name} exited with ${res.status}`);
    },
  };
}

function inProcess(name: string, runtime: Runtime): Case {
  return {
    name,
    async once(i) {
      const id = `bench-${i}`;
      const { exit } = await runtime.create(
        { id, bundle: bundle.dir, stdio: ['ignore', 'ignore', 'inherit'] },
        'run',
      );
      const status = await exit;
      if (status !== 0) throw new Error(`exit ${status}`);
      await runtime.delete(id, true);
    },
  };
}

/** Node starting and exiting, nothing else: what bin/berth-runtime pays before any of its work. */
const nodeAlone: Case = {
  name: 'node -e 0 (Node start-up alone)',
  once() {
    const res = spawnSync(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    if (res.status !== 0) throw new Error(`node -e 0 exited with ${res.status}`);
  },
};

const direct = new Runtime(join(state, 'direct'), { launcher: true });
const cases: Case[] = [
  inProcess('berth direct (in-process Runtime + launcher)', direct),
  inProcess('berth in-process, berth-exec spawned per container', new Runtime(join(state, 'spawn'))),
  cli('bin/berth-runtime run', join(ROOT, 'bin', 'berth-runtime'), join(state, 'cli')),
  cli('runc run', 'runc', join(state, 'runc')),
  nodeAlone,
];
const crun = spawnSync('crun', ['--root', join(state, 'crun'), 'run', '--bundle', bundle.dir, 'probe'], {
  encoding: 'utf8',
});
const crunNote = crun.status === 0 ? '' : (crun.stderr || crun.error?.message || '').trim().split('\n')[0];
if (crun.status === 0) cases.push(cli('crun run', 'crun', join(state, 'crun')));
else if (/hybrid/.test(crunNote)) cases.push(...crunWithoutUnified());

/**
 * crun refuses a hybrid host whose cgroup2 mount has controllers. It runs (on cgroup v1 alone)
 * in a mount namespace where /sys/fs/cgroup/unified is unmounted: one namespace made here, kept
 * by a bind mount of its ns file, entered with `nsenter` for each run. `nsenter … true` is timed
 * too, so its share of crun's figure can be taken off.
 */
function crunWithoutUnified(): Case[] {
  const nsDir = join(state, 'ns');
  const nsFile = join(nsDir, 'mnt');
  const sh = (cmd: string, args: string[]) => {
    const res = spawnSync(cmd, args, { encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${res.stderr.trim()}`);
  };
  mkdirSync(nsDir);
  writeFileSync(nsFile, '');
  sh('mount', ['--bind', nsDir, nsDir]);
  sh('mount', ['--make-private', nsDir]);
  sh('unshare', [`--mount=${nsFile}`, '--propagation', 'private', 'umount', '/sys/fs/cgroup/unified']);
  cleanups.push(() => {
    spawnSync('umount', [nsFile]);
    spawnSync('umount', [nsDir]);
  });
  const entered = (name: string, args: (i: number) => string[]): Case => ({
    name,
    once(i) {
      const res = spawnSync('nsenter', [`--mount=${nsFile}`, ...args(i)], { stdio: 'ignore' });
      if (res.status !== 0) throw new Error(`${name} exited with ${res.status}`);
    },
  });
  const root = join(state, 'crun');
  return [
    entered('crun run (cgroup v1 only, through nsenter)', (i) => [
      'crun',
      '--root',
      root,
      'run',
      '--bundle',
      bundle.dir,
      `bench-${i}`,
    ]),
    entered('nsenter --mount … true (its share of the crun row)', () => ['true']),
  ];
}

const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
try {
  for (const c of cases) await c.once(-1); // warm caches (page cache, compile cache)
  for (let i = 0; i < runs; i++) {
    for (const c of cases) {
      const t0 = process.hrtime.bigint();
      await c.once(i);
      samples.get(c.name)!.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
} finally {
  await direct.close();
  cgroupDriver(detectCgroupLayout()).removeEmpty('/berth-bench'); // the containers' parent
  for (const cleanup of cleanups) cleanup();
  bundle.cleanup();
  rmSync(state, { recursive: true, force: true });
}

const runcMedian = summary(samples.get('runc run')!).median;
console.log(`create+start+delete of /bin/true, busybox bundle, ${runs} interleaved runs each`);
console.log(`runtime state under ${stateParent} (${fsType})\n`);
console.log('| runtime | median ms | p90 ms | vs runc |');
console.log('|---|---:|---:|---:|');
for (const [name, s] of samples) {
  const { median, p90 } = summary(s);
  console.log(
    `| ${name} | ${median.toFixed(1)} | ${p90.toFixed(1)} | ${(median / runcMedian).toFixed(2)}× |`,
  );
}
if (crunNote) {
  console.log(`\ncrun does not run on this host as it is: \`${crunNote}\``);
  if (samples.has('crun run (cgroup v1 only, through nsenter)'))
    console.log('so it ran in a mount namespace without the cgroup2 mount (cgroup v1 only).');
}
