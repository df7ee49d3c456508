// Containers, side by side in one run: berthd and the reference dockerd (Debian's docker.io,
// 20.10) with the same docker CLI, and podman when it is installed.
//
//   node bench/containers.ts [runs] [idle]   (default 20 runs, 100 idle containers)
//
// 1. `docker run --rm --network none busybox true` (docker CLI → each daemon), `berth run --rm
//    --network none busybox true` (berth CLI → berthd), `podman run --rm --network none busybox
//    true`: median and p90 wall-clock ms.
// 2. `docker exec <running container> true` against each daemon, and `podman exec`.
// 3. Per-container monitor memory with `idle` idle containers (`sleep 100000`): RSS and PSS of
//    berth-shim, containerd-shim-runc-v2 (dockerd 20.10 spawns one per container) and conmon,
//    from /proc/PID/smaps_rollup, mean per container.
// 4. With 1000 idle containers in berthd: `docker ps` and `berth ps` latency (median ms), written
//    to a file and, as before, read through a pipe by this process; and berthd's answer to GET
//    /containers/json alone (curl's time_total).
//    (BENCH_MANY=0 skips it; BENCH_MANY=N for another count.)
//
// BENCH_ONLY=ps runs only part 4 (berthd alone: no dockerd, no podman); the default runs all.
//
// Prints markdown tables for bench/RESULTS.md.

import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, type Daemon, removeBridge, startDaemon } from '../test/e2e/daemon-helpers.ts';
import { makeBusyboxRootfs } from '../test/fixtures/busybox.ts';
import { ensureDockerd, ensurePodman, podmanIn, removeTree, startDockerd } from './reference.ts';
import { summary } from './stats.ts';

const RUNS = Number(process.argv[2] ?? 20);
const IDLE = Number(process.argv[3] ?? 100);
const MANY = Number(process.env.BENCH_MANY ?? 1000);
const PS_ONLY = process.env.BENCH_ONLY === 'ps';
if (process.env.BENCH_ONLY && !PS_ONLY)
  throw new Error(`BENCH_ONLY=${process.env.BENCH_ONLY}: only "ps" is known`);

/** Runs that hung (killed after 30 s), by command: reported, not counted as samples. */
const hung = new Map<string, number>();

function time(
  cmd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  stdout?: number,
): number | undefined {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, [...args], {
    env,
    encoding: 'utf8',
    timeout: 30_000,
    killSignal: 'SIGKILL',
    // a file's descriptor: the command writes there, not into this process's socketpair
    stdio: stdout === undefined ? 'pipe' : ['ignore', stdout, 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  // timed out: spawnSync sends SIGTERM, which `docker run` forwards to the container and may survive
  if ((r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    const key = `${cmd} ${env.DOCKER_HOST ?? ''}`;
    hung.set(key, (hung.get(key) ?? 0) + 1);
    return undefined;
  }
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return ms;
}

function sample(into: number[], ms: number | undefined): void {
  if (ms !== undefined) into.push(ms);
}

function must(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Wall-clock ms of one API request as curl times it (time_total), without a client's start-up. */
function apiMs(socket: string, path: string): number {
  const out = must('curl', [
    '-sf',
    '-o',
    '/dev/null',
    '-w',
    '%{time_total}',
    '--unix-socket',
    socket,
    `http://berthd${path}`,
  ]);
  return Number(out) * 1000;
}

const dockerEnv = (host: string) => ({ ...process.env, DOCKER_HOST: host });

function pss(pid: number): { rss: number; pss: number } {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rss: kb('Rss'), pss: kb('Pss') };
}

function pidsOf(comm: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/comm`, 'utf8').trim() === comm) out.push(Number(p));
    } catch {
      // gone
    }
  }
  return out;
}

function memoryOf(comm: string, before: Set<number>): { n: number; rss: number; pss: number } {
  const pids = pidsOf(comm).filter((p) => !before.has(p));
  let rss = 0;
  let p = 0;
  for (const pid of pids) {
    try {
      const m = pss(pid);
      rss += m.rss;
      p += m.pss;
    } catch {
      // gone
    }
  }
  return { n: pids.length, rss: pids.length ? rss / pids.length : 0, pss: pids.length ? p / pids.length : 0 };
}

const fmt = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-containers-'));
  makeBusyboxRootfs(join(work, 'rootfs'));
  const tar = join(work, 'rootfs.tar');
  must('tar', ['-C', join(work, 'rootfs'), '-cf', tar, '.']);

  const berthd: Daemon = await startDaemon();
  if (!PS_ONLY) ensureDockerd();
  const refDir = mkdtempSync(join(tmpdir(), 'bench-dockerd-'));
  const ref = PS_ONLY ? undefined : await startDockerd(refDir);
  const refHost = ref?.host ?? '';
  const hasPodman = !PS_ONLY && ensurePodman();
  const podmanRoot = join(work, 'podman');
  const podman = podmanIn(podmanRoot);
  try {
    const bEnv = dockerEnv(berthd.host);
    must('docker', ['import', '-c', 'CMD ["sh"]', tar, 'busybox:latest'], bEnv);
    if (ref) must('docker', ['import', '-c', 'CMD ["sh"]', tar, 'busybox:latest'], dockerEnv(refHost));
    if (hasPodman) {
      must('podman', podman(['import', '-c', 'CMD ["sh"]', tar, 'busybox:latest']));
    }
    const berthCli = (args: string[]) => [BERTH, ['-H', berthd.host, ...args]] as const;

    /** The same command through each client → engine pair, interleaved; its table printed. */
    const compare = (title: string, args: string[], warmUp: boolean) => {
      const clients: [string, () => number | undefined][] = [
        ['docker → berthd', () => time('docker', args, bEnv)],
        ['berth → berthd', () => time(...berthCli(args))],
      ];
      if (ref) clients.push(['docker → dockerd', () => time('docker', args, dockerEnv(refHost))]);
      if (hasPodman) clients.push(['podman', () => time('podman', podman(args))]);
      if (warmUp) for (const [, run] of clients) run();
      const samples = new Map(clients.map(([name]): [string, number[]] => [name, []]));
      for (let i = 0; i < RUNS; i++) for (const [name, run] of clients) sample(samples.get(name)!, run());
      const base = ref ? summary(samples.get('docker → dockerd')!).median : undefined;
      console.log(`\n### ${title}\n`);
      console.log('| client → engine | median ms | p90 ms | dockerd ÷ this |');
      console.log('|---|---:|---:|---:|');
      for (const [name, s] of samples) {
        const m = summary(s);
        console.log(
          `| ${name} | ${fmt(m.median)} | ${fmt(m.p90)} | ${base ? `${(base / m.median).toFixed(2)}×` : '–'} |`,
        );
      }
    };

    if (!PS_ONLY) {
      // ---- run --rm ---- (one warm-up each)
      const run = ['run', '--rm', '--network', 'none', 'busybox', 'true'];
      compare(`run --rm --network none busybox true (${RUNS} runs each, interleaved)`, run, true);

      // ---- exec ----
      const sleeper = 'run -d --name bench-exec --network none busybox sleep 100000'.split(' ');
      must('docker', sleeper, bEnv);
      if (ref) must('docker', sleeper, dockerEnv(refHost));
      if (hasPodman) must('podman', podman(sleeper));
      compare(`exec <container> true (${RUNS} runs each)`, ['exec', 'bench-exec', 'true'], false);

      // ---- idle monitors ----
      const before = {
        shim: new Set(pidsOf('berth-shim')),
        containerd: new Set(pidsOf('containerd-shim')),
        conmon: new Set(pidsOf('conmon')),
      };
      for (let i = 0; i < IDLE; i++) {
        must('docker', ['run', '-d', '--network', 'none', 'busybox', 'sleep', '100000'], bEnv);
        if (ref)
          must(
            'docker',
            ['run', '-d', '--network', 'none', 'busybox', 'sleep', '100000'],
            dockerEnv(refHost),
          );
        if (hasPodman)
          must('podman', podman(['run', '-d', '--network', 'none', 'busybox', 'sleep', '100000']));
      }
      await new Promise((r) => setTimeout(r, 2000));
      console.log(`\n### Per-container monitor memory, ${IDLE} idle containers each (kB per container)\n`);
      console.log('| monitor | processes | RSS kB | PSS kB |');
      console.log('|---|---:|---:|---:|');
      const rows: [string, string, Set<number>][] = [['berth-shim', 'berth-shim', before.shim]];
      if (ref) rows.push(['containerd-shim-runc-v2 (dockerd)', 'containerd-shim', before.containerd]);
      if (hasPodman) rows.push(['conmon (podman)', 'conmon', before.conmon]);
      for (const [label, comm, b] of rows) {
        const m = memoryOf(comm, b);
        console.log(`| ${label} | ${m.n} | ${fmt(m.rss)} | ${fmt(m.pss)} |`);
      }
    }

    // ---- many ----
    if (MANY > 0) {
      const have = must('docker', ['ps', '-aq'], bEnv).split('\n').filter(Boolean).length;
      for (let i = have; i < MANY; i++)
        must('docker', ['run', '-d', '--network', 'none', 'busybox', 'sleep', '100000'], bEnv);
      const count = must('docker', ['ps', '-q'], bEnv).split('\n').filter(Boolean).length;
      // Each `ps` writes to a file (as `docker ps > f`), checked for its rows; the same commands
      // read through a pipe by this process, as this benchmark timed them before 2026-11-23 18:30,
      // are the "piped to the benchmark" rows: spawnSync's stdio is a socketpair that this process drains, and
      // the docker CLI's tab writer makes ~14 writes per row, each waking it. A pause before each
      // command keeps one command's after-effects (the berth CLI's warm worker exiting and its
      // successor starting, the docker CLI's exit) off the next one's time, as between commands
      // typed by a user.
      const out = join(work, 'ps.out');
      const rows: Record<string, number[]> = {
        'docker ps > file': [],
        'berth ps > file': [],
        'docker ps, piped to the benchmark': [],
        'berth ps, piped to the benchmark': [],
      };
      const api: number[] = [];
      const pause = () => new Promise((r) => setTimeout(r, 250));
      const timed = async (label: string, cmd: string, args: readonly string[], env = process.env) => {
        await pause();
        if (label.endsWith('piped to the benchmark')) return sample(rows[label], time(cmd, args, env));
        const fd = openSync(out, 'w');
        try {
          sample(rows[label], time(cmd, args, env, fd));
        } finally {
          closeSync(fd);
        }
        const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean).length;
        if (lines !== count + 1) throw new Error(`${label}: ${lines} lines for ${count} containers`);
      };
      // one warm-up each (the berth CLI writes its code cache on its first run)
      time('docker', ['ps'], bEnv);
      time(...berthCli(['ps']));
      for (let i = 0; i < RUNS; i++) {
        await timed('docker ps > file', 'docker', ['ps'], bEnv);
        await timed('berth ps > file', ...berthCli(['ps']));
        await timed('docker ps, piped to the benchmark', 'docker', ['ps'], bEnv);
        await timed('berth ps, piped to the benchmark', ...berthCli(['ps']));
        await pause();
        api.push(apiMs(berthd.socket, '/containers/json'));
      }
      const free = readFileSync('/proc/meminfo', 'utf8');
      console.log(`\n### ${count} running containers in berthd (${RUNS} runs each, interleaved)\n`);
      console.log('| command | median ms | p90 ms |');
      console.log('|---|---:|---:|');
      for (const [label, s] of Object.entries(rows))
        console.log(`| ${label} | ${fmt(summary(s).median)} | ${fmt(summary(s).p90)} |`);
      console.log(`| GET /containers/json (curl) | ${fmt(summary(api).median)} | ${fmt(summary(api).p90)} |`);
      console.log(`\n(MemAvailable with them running: ${/MemAvailable:\s+(\d+)/.exec(free)?.[1]} kB)`);
    }
    if (hung.size)
      console.log(
        `\nRuns killed after 30 s (not counted): ${[...hung].map(([k, n]) => `${k}: ${n}`).join(', ')}`,
      );
  } finally {
    const ids = must('docker', ['ps', '-aq'], dockerEnv(berthd.host)).split('\n').filter(Boolean);
    for (let i = 0; i < ids.length; i += 100)
      spawnSync('docker', ['rm', '-f', ...ids.slice(i, i + 100)], { env: dockerEnv(berthd.host) });
    await berthd.stop();
    removeBridge(berthd.bridge);
    rmSync(berthd.dir, { recursive: true, force: true });
    if (ref) {
      const rids = spawnSync('docker', ['ps', '-aq'], {
        env: dockerEnv(refHost),
        encoding: 'utf8',
      })
        .stdout.split('\n')
        .filter(Boolean);
      if (rids.length) spawnSync('docker', ['rm', '-f', ...rids], { env: dockerEnv(refHost) });
      await ref.stop();
      removeTree(refDir);
    } else rmSync(refDir, { recursive: true, force: true });
    if (hasPodman) {
      spawnSync('podman', podman(['rm', '-af', '-t', '0']));
      try {
        removeTree(podmanRoot);
      } catch (err) {
        console.error(`bench: ${podmanRoot} not removed: ${(err as Error).message}`);
      }
    }
    if (existsSync(work)) rmSync(work, { recursive: true, force: true });
  }
}

await main();
