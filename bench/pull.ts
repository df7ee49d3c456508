// Pull and push of a ~128 MB, 4-layer image (the image of bench/load.ts: a busybox rootfs, one
// 96 MiB file of random bytes, 3000 small files, a few changes; gzip layers as skopeo pushes
// them) from and to Debian's docker-registry on 127.0.0.1, side by side in one run:
//   berth     docker CLI → berthd (docker pull / docker push)
//   dockerd   docker CLI → the reference dockerd (127.0.0.0/8 is insecure by default there)
//   podman    podman pull / push --tls-verify=false, its own store (runc)
//   skopeo    skopeo copy docker:// → oci: directory (no unpack) and back
// Prints markdown tables (median and p90 seconds, ratio to dockerd).
//
//   node bench/pull.ts [runs]   (default 3 runs per engine, interleaved)
//
// BENCH_ENGINES=berthd,skopeo limits the run to the engines whose names start with those words
// (for quicker comparisons of berthd builds; the side-by-side figures need all four).
//
// Between pulls each engine removes the image (rmi) and the script syncs and waits
// BENCH_SETTLE seconds (default 65; see bench/load.ts on ext4 inode reuse). Each push goes to a
// fresh registry (restarted on an empty storage directory), so every blob is uploaded.

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, type Daemon, startDaemon } from '../test/e2e/daemon-helpers.ts';
import { type Registry, startRegistry } from '../test/e2e/registry-helpers.ts';
import { buildArchive, mustDocker } from './load.ts';
import {
  ensureDockerd,
  ensurePodman,
  podmanIn,
  type RefDaemon,
  removeTree,
  startDockerd,
} from './reference.ts';
import { summary } from './stats.ts';

function run(
  cmd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ status: code ?? 128, out }));
  });
}

async function must(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const r = await run(cmd, args, env);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.out}`);
}

interface Engine {
  name: string;
  pull(ref: string): Promise<void>;
  /** Removes the pulled image (untimed). */
  clear(ref: string): Promise<void>;
  push(from: string, to: string): Promise<void>;
}

async function timed(f: () => Promise<void>): Promise<number> {
  const t = performance.now();
  await f();
  return performance.now() - t;
}

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3);
  const settle = Number(process.env.BENCH_SETTLE ?? 65);
  ensureDockerd();
  const havePodman = ensurePodman();
  const dir = mkdtempSync(join(tmpdir(), 'berth-bench-pull-'));
  let berthd: Daemon | undefined;
  let dockerd: RefDaemon | undefined;
  let source: Registry | undefined;
  let target: Registry | undefined;
  try {
    console.error('bench: building the image and pushing it with skopeo');
    const archive = await buildArchive(join(dir, 'archive'), { tag: 'bench/pull:1' });
    source = await startRegistry();
    const ref = `${source.host}/bench/pull:1`;
    await must('skopeo', [
      'copy',
      '--dest-tls-verify=false',
      `docker-archive:${archive.path}`,
      `docker://${ref}`,
    ]);
    berthd = await startDaemon();
    mkdirSync(join(dir, 'dockerd'));
    dockerd = await startDockerd(join(dir, 'dockerd'));
    const podman = podmanIn(join(dir, 'podman'));
    const bhost = berthd.host;
    const dhost = dockerd.host;
    const ociDir = join(dir, 'skopeo-oci');
    const engines: Engine[] = [
      {
        name: 'berthd (docker CLI)',
        pull: async (r) => void (await mustDocker(bhost, ['pull', '-q', r])),
        clear: async (r) => void (await mustDocker(bhost, ['rmi', r])),
        push: async (from, to) => {
          await mustDocker(bhost, ['tag', from, to]);
          await mustDocker(bhost, ['push', '-q', to]);
        },
      },
      {
        name: 'dockerd (docker CLI)',
        pull: async (r) => void (await mustDocker(dhost, ['pull', '-q', r])),
        clear: async (r) => void (await mustDocker(dhost, ['rmi', r])),
        push: async (from, to) => {
          await mustDocker(dhost, ['tag', from, to]);
          await mustDocker(dhost, ['push', '-q', to]);
        },
      },
      ...(havePodman
        ? [
            {
              name: 'podman',
              pull: (r: string) => must('podman', podman(['pull', '-q', '--tls-verify=false', r])),
              clear: (r: string) => must('podman', podman(['rmi', r])),
              push: (from: string, to: string) =>
                must('podman', podman(['push', '-q', '--tls-verify=false', from, to])),
            },
          ]
        : []),
      {
        name: 'skopeo (to an OCI dir)',
        pull: (r) =>
          must('skopeo', ['copy', '-q', '--src-tls-verify=false', `docker://${r}`, `oci:${ociDir}:x`]),
        clear: async () => rmSync(ociDir, { recursive: true, force: true }),
        push: (_from, to) =>
          must('skopeo', ['copy', '-q', '--dest-tls-verify=false', `oci:${ociDir}:x`, `docker://${to}`]),
      },
    ];
    const only = process.env.BENCH_ENGINES?.split(',').filter(Boolean);
    if (only)
      engines.splice(0, engines.length, ...engines.filter((e) => only.some((o) => e.name.startsWith(o))));
    const pulls = new Map<string, number[]>(engines.map((e) => [e.name, []]));
    const pushes = new Map<string, number[]>(engines.map((e) => [e.name, []]));
    // one warm-up pull each (not counted), then the runs, interleaved
    for (let i = -1; i < runs; i++) {
      for (const e of engines) {
        await e.clear(ref).catch(() => {});
        spawnSync('sync');
        if (i >= 0 && settle) await new Promise((r) => setTimeout(r, settle * 1000));
        const ms = await timed(() => e.pull(ref));
        if (i >= 0) pulls.get(e.name)!.push(ms);
        console.error(`bench: ${e.name} pull ${i < 0 ? 'warm-up' : i + 1}: ${(ms / 1000).toFixed(2)} s`);
        // push to an empty registry
        await target?.stop();
        target = await startRegistry();
        const to = `${target.host}/bench/push:1`;
        const pms = await timed(() => e.push(ref, to));
        if (i >= 0) pushes.get(e.name)!.push(pms);
        console.error(`bench: ${e.name} push ${i < 0 ? 'warm-up' : i + 1}: ${(pms / 1000).toFixed(2)} s`);
        if (e.name.startsWith('berthd') || e.name.startsWith('dockerd'))
          await mustDocker(e.name.startsWith('berthd') ? bhost : dhost, ['rmi', to]).catch(() => {});
        if (e.name === 'podman') await must('podman', podman(['rmi', to])).catch(() => {});
      }
    }
    const mb = Math.round(archive.size / 1e6);
    const table = (title: string, samples: Map<string, number[]>) => {
      const docker = samples.get('dockerd (docker CLI)');
      const ref = docker ? summary(docker).median : Number.NaN;
      console.log(`\n${title}\n`);
      console.log('| engine | median s | p90 s | dockerd ÷ this |');
      console.log('|---|---:|---:|---:|');
      for (const [name, s] of samples) {
        const { median, p90 } = summary(s);
        console.log(
          `| ${name} | ${(median / 1000).toFixed(2)} | ${(p90 / 1000).toFixed(2)} | ${Number.isNaN(ref) ? '—' : `${(ref / median).toFixed(2)}×`} |`,
        );
      }
    };
    console.log(
      `Image: ${mb} MB uncompressed, ${archive.diffIds.length} layers (gzip in the registry); ${runs} interleaved runs each after a warm-up, rmi + sync + ${settle} s before each pull.`,
    );
    table(`pull from docker-registry on 127.0.0.1 (${source.host})`, pulls);
    table('push to an empty docker-registry on 127.0.0.1', pushes);
  } finally {
    if (berthd) await cleanup(berthd);
    if (dockerd) await dockerd.stop();
    await source?.stop();
    await target?.stop();
    spawnSync('podman', podmanIn(join(dir, 'podman'))(['system', 'reset', '-f']), { stdio: 'ignore' });
    removeTree(dir);
  }
}

if (import.meta.main) await main();
