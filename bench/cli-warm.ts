// The warm CLI worker (native/berth-warm/WARM.md) against cold starts: `berth ps`, `berth run
// --rm --network none busybox true` and `bin/berth-runtime run` of /bin/true (with `runc run`
// beside it), each in blocks of consecutive runs, back to back and with a pause between runs.
// Back to back, the successor of the worker that ran command N is still loading when command
// N+1 starts: that command waits for it in its backlog, and the two share the machine's cores.
// Also reports the memory a pending worker holds.
//
//   node bench/cli-warm.ts [runs] [pause ms]   (default 30 runs, 300 ms)

import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { runtimeDefaultSpec } from '../src/spec/runtime-default.ts';
import { BERTH, cleanup, importBusybox, startDaemon } from '../test/e2e/daemon-helpers.ts';
import { makeBundle } from '../test/fixtures/busybox.ts';
import { summary } from './stats.ts';

const RUNS = Number(process.argv[2] ?? 30);
const PAUSE = Number(process.argv[3] ?? 300);
const ROOT = join(import.meta.dirname, '..');
const RUNTIME = join(ROOT, 'bin', 'berth-runtime');
const work = mkdtempSync(join('/dev/shm', 'berth-bench-warm-'));
const sockets = join(work, 'sockets');
mkdirSync(sockets, { mode: 0o700 });

const spec = runtimeDefaultSpec();
spec.process!.terminal = false;
spec.process!.args = ['true'];
spec.linux!.cgroupsPath = '/berth-bench-warm/c';
spec.ociVersion = '1.0.2-dev';
const bundle = makeBundle(spec, 'berth-bench-warm-bundle-');
chmodSync(bundle.dir, 0o755);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
function timeOnce(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
    timeout: 30_000,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.status} ${r.stderr}`);
  return ms;
}

/** RSS (kB) of this benchmark's pending workers and their supervisors. */
function pendingMemory(): { node: number[]; supervisor: number[] } {
  const out = { node: [] as number[], supervisor: [] as number[] };
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      if (!readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`BERTH_CLI_WARM_DIR=${sockets}`))
        continue;
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      const rss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      if (cmd.startsWith('berth-warm\0--serve')) out.supervisor.push(rss);
      else if (cmd.includes('warm-worker.cjs')) out.node.push(rss);
    } catch {
      // gone
    }
  }
  return out;
}

async function main() {
  const d = await startDaemon();
  const rows: string[] = [];
  try {
    importBusybox(d);
    const base = { ...process.env, BERTH_HOST: d.host, DOCKER_HOST: '', BERTH_CLI_WARM_DIR: sockets };
    let n = 0;
    const cases: { name: string; cmd: string; args: () => string[] }[] = [
      { name: 'berth ps', cmd: BERTH, args: () => ['ps'] },
      {
        name: 'berth run --rm --network none busybox true',
        cmd: BERTH,
        args: () => ['run', '--rm', '--network', 'none', 'busybox', 'true'],
      },
      {
        name: 'bin/berth-runtime run',
        cmd: RUNTIME,
        args: () => ['--root', join(work, 'state'), 'run', '--bundle', bundle.dir, `w${n++}`],
      },
      {
        name: 'runc run',
        cmd: 'runc',
        args: () => ['--root', join(work, 'runc'), 'run', '--bundle', bundle.dir, `r${n++}`],
      },
    ];
    for (const pause of [0, PAUSE]) {
      for (const c of cases) {
        const modes = c.cmd === 'runc' ? ['-'] : ['cold', 'warm'];
        for (const mode of modes) {
          const env = { ...base, BERTH_CLI_WARM: mode === 'cold' ? '0' : '1' };
          // prime: a worker started and warm, the code caches written
          for (let i = 0; i < 3; i++) timeOnce(c.cmd, c.args(), env);
          await sleep(1500);
          const samples: number[] = [];
          for (let i = 0; i < RUNS; i++) {
            samples.push(timeOnce(c.cmd, c.args(), env));
            if (pause) await sleep(pause);
          }
          const { median, p90 } = summary(samples);
          rows.push(
            `| ${c.name} | ${mode} | ${pause ? `${pause} ms` : 'back to back'} | ${median.toFixed(1)} | ${p90.toFixed(1)} |`,
          );
          console.error(rows.at(-1));
        }
      }
    }
    await sleep(1500);
    const mem = pendingMemory();
    console.log(`\n${RUNS} runs per row, consecutive; state on ${work}\n`);
    console.log('| command | CLI | between runs | median ms | p90 ms |');
    console.log('|---|---|---|---:|---:|');
    for (const r of rows) console.log(r);
    console.log(
      `\npending workers: node RSS ${mem.node.map((k) => `${(k / 1024).toFixed(1)} MB`).join(', ')}; supervisors ${mem.supervisor.map((k) => `${k} kB`).join(', ')}`,
    );
  } finally {
    for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
      try {
        if (readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`BERTH_CLI_WARM_DIR=${sockets}`))
          process.kill(Number(p), 'SIGKILL');
      } catch {
        // gone
      }
    }
    await cleanup(d);
    spawnSync('sh', ['-c', 'rmdir /sys/fs/cgroup/*/berth-bench-warm 2>/dev/null']);
    rmSync(work, { recursive: true, force: true });
    rmSync(bundle.dir, { recursive: true, force: true });
  }
}

await main();
