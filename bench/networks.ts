// Bridge networking, side by side in one run: berthd and the reference dockerd (Debian's
// docker.io 20.10, with its bridge and iptables this time) with the same docker CLI, and podman.
//
//   node bench/networks.ts [runs] [containers]   (default 20 runs, 250 containers)
//
// 1. `run --rm busybox true` on the default bridge network: docker CLI → berthd, berth CLI →
//    berthd, docker CLI → dockerd, podman: median and p90 ms.
// 2. TCP throughput into a container through a published port on 127.0.0.1: busybox `nc -l -e cat`
//    in the container, this process sending 1 GiB of zeros. berthd's path is the kernel's DNAT;
//    dockerd's is its userland docker-proxy (its default); podman's is its own (rootful: DNAT).
// 3. `containers` containers on one user network: the time to start them all, then from one more
//    container on the network, every name resolved with nslookup (time, and how many failed).
//
// Every bridge and subnet is the benchmark's own (bnb*, 10.201-203.x); dockerd's and podman's
// iptables chains are removed at the end. Prints markdown tables for bench/RESULTS.md.

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BERTH, cleanup, type Daemon, removeBridge, startDaemon } from '../test/e2e/daemon-helpers.ts';
import { makeBusyboxRootfs } from '../test/fixtures/busybox.ts';
import { ensureDockerd, ensurePodman, podmanIn, removeTree, startDockerd } from './reference.ts';
import { summary } from './stats.ts';

const RUNS = Number(process.argv[2] ?? 20);
const MANY = Number(process.argv[3] ?? 250);
const GIB = 1 << 30;

function must(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): string {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function time(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = process.hrtime.bigint();
  must(cmd, [...args], env);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const dockerEnv = (host: string) => ({ ...process.env, DOCKER_HOST: host });
const fmt = (n: number) => n.toFixed(1);

/** Sends `bytes` zeros to 127.0.0.1:port once something accepts; MB/s until the peer closes. */
async function throughput(port: number, bytes: number): Promise<number> {
  const chunk = Buffer.alloc(1 << 20);
  for (let attempt = 0; ; attempt++) {
    try {
      return await new Promise<number>((resolve, reject) => {
        const s = connect(port, '127.0.0.1');
        let t0 = 0n;
        let sent = 0;
        s.once('error', reject);
        s.once('connect', () => {
          t0 = process.hrtime.bigint();
          const pump = () => {
            while (sent < bytes) {
              sent += chunk.length;
              if (!s.write(chunk)) return void s.once('drain', pump);
            }
            s.end();
          };
          pump();
        });
        s.once('close', () => {
          if (sent < bytes) return reject(new Error('closed early'));
          const s2 = Number(process.hrtime.bigint() - t0) / 1e9;
          resolve(bytes / s2 / 1e6);
        });
      });
    } catch (err) {
      if (attempt > 100) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Removes the iptables rules and chains dockerd and podman left: rules that name their chains
 * (DOCKER*, CNI-*, NETAVARK*) or the benchmark's bridges (bnb*), then those chains.
 */
function removeForeignChains(): void {
  const ours = /DOCKER|CNI-|NETAVARK|bnb/;
  for (const table of ['filter', 'nat']) {
    const rules = spawnSync('iptables', ['-t', table, '-S'], { encoding: 'utf8' }).stdout ?? '';
    for (const line of rules.split('\n')) {
      if (!line.startsWith('-A ') || !ours.test(line) || ours.test(line.split(' ')[1])) continue;
      // the rule as iptables printed it, quoted comments included, with -A turned into -D
      spawnSync('sh', ['-c', `iptables -t ${table} ${line.replace(/^-A /, '-D ')}`], { stdio: 'ignore' });
    }
    for (const line of rules.split('\n')) {
      const chain = /^-N (\S+)/.exec(line)?.[1];
      if (chain && ours.test(chain)) {
        spawnSync('iptables', ['-t', table, '-F', chain], { stdio: 'ignore' });
        spawnSync('iptables', ['-t', table, '-X', chain], { stdio: 'ignore' });
      }
    }
  }
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'bench-networks-'));
  makeBusyboxRootfs(join(work, 'rootfs'));
  const tar = join(work, 'rootfs.tar');
  must('tar', ['-C', join(work, 'rootfs'), '-cf', tar, '.']);

  const berthd: Daemon = await startDaemon(['--bridge', 'bnbberth0', '--bip', '10.201.0.1/24']);
  ensureDockerd();
  // dockerd's default bridge: one of the benchmark's own, which dockerd wants made beforehand
  must('ip', ['link', 'add', 'bnbdocker0', 'type', 'bridge']);
  must('ip', ['addr', 'add', '10.202.0.1/24', 'dev', 'bnbdocker0']);
  must('ip', ['link', 'set', 'bnbdocker0', 'up']);
  const refDir = mkdtempSync(join(tmpdir(), 'bench-dockerd-'));
  const ref = await startDockerd(refDir, { bridge: 'bnbdocker0' });
  const hasPodman = ensurePodman();
  const podmanRoot = join(work, 'podman');
  const podman = podmanIn(podmanRoot, '[network]\ndefault_subnet = "10.203.0.0/24"\n');
  const bEnv = dockerEnv(berthd.host);
  const rEnv = dockerEnv(ref.host);
  try {
    must('docker', ['import', '-c', 'CMD ["sh"]', tar, 'busybox:latest'], bEnv);
    must('docker', ['import', '-c', 'CMD ["sh"]', tar, 'busybox:latest'], rEnv);
    if (hasPodman) {
      must('podman', podman(['import', '-c', 'CMD ["sh"]', tar, 'busybox:latest']));
    }

    // ---- run --rm on the default bridge ----
    const run = ['run', '--rm', 'busybox', 'true'];
    const berthCli = ['-H', berthd.host, ...run];
    const samples: Record<string, number[]> = {
      'docker → berthd': [],
      'berth → berthd': [],
      'docker → dockerd': [],
    };
    if (hasPodman) samples.podman = [];
    time('docker', run, bEnv);
    time(BERTH, berthCli);
    time('docker', run, rEnv);
    if (hasPodman) time('podman', podman(run));
    for (let i = 0; i < RUNS; i++) {
      samples['docker → berthd'].push(time('docker', run, bEnv));
      samples['berth → berthd'].push(time(BERTH, berthCli));
      samples['docker → dockerd'].push(time('docker', run, rEnv));
      if (hasPodman) samples.podman.push(time('podman', podman(run)));
    }
    const base = summary(samples['docker → dockerd']).median;
    console.log(`\n### run --rm busybox true on the default bridge (${RUNS} runs each, interleaved)\n`);
    console.log('| client → engine | median ms | p90 ms | dockerd ÷ this |');
    console.log('|---|---:|---:|---:|');
    for (const [name, s] of Object.entries(samples)) {
      const m = summary(s);
      console.log(`| ${name} | ${fmt(m.median)} | ${fmt(m.p90)} | ${(base / m.median).toFixed(2)}× |`);
    }

    // ---- TCP throughput through a published port ----
    const tput: Record<string, number[]> = { berthd: [], dockerd: [] };
    if (hasPodman) tput.podman = [];
    const sink = (name: string, port: number) => [
      'run',
      '-d',
      '--name',
      name,
      '-p',
      `${port}:5001`,
      'busybox',
      'nc',
      '-l',
      '-p',
      '5001',
      // the connection is read by cat: nc's own stdin is at its end at once, which ends it
      '-e',
      'sh',
      '-c',
      'cat > /dev/null',
    ];
    const listening = (exec: string[]) => {
      for (let t = 0; t < 100; t++) {
        if (/:5001\s/.test(spawnSync(exec[0], exec.slice(1), { encoding: 'utf8' }).stdout ?? '')) return;
        spawnSync('sleep', ['0.05']);
      }
      throw new Error(`the sink never listened: ${exec.join(' ')}`);
    };
    for (let i = 0; i < 3; i++) {
      must('docker', sink(`sink${i}`, 18301), bEnv);
      listening(['docker', '-H', berthd.host, 'exec', `sink${i}`, 'netstat', '-ltn']);
      tput.berthd.push(await throughput(18301, GIB));
      must('docker', ['rm', '-f', `sink${i}`], bEnv);
      must('docker', sink(`sink${i}`, 18302), rEnv);
      listening(['docker', '-H', ref.host, 'exec', `sink${i}`, 'netstat', '-ltn']);
      tput.dockerd.push(await throughput(18302, GIB));
      must('docker', ['rm', '-f', `sink${i}`], rEnv);
      if (hasPodman) {
        must('podman', podman(sink(`sink${i}`, 18303)));
        listening(['podman', ...podman(['exec', `sink${i}`, 'netstat', '-ltn'])]);
        tput.podman.push(await throughput(18303, GIB));
        must('podman', podman(['rm', '-f', `sink${i}`]));
      }
    }
    console.log('\n### TCP into a container through a published port on 127.0.0.1 (1 GiB, 3 runs)\n');
    console.log('| engine (path) | median MB/s | ÷ dockerd |');
    console.log('|---|---:|---:|');
    const tBase = summary(tput.dockerd).median;
    const paths: Record<string, string> = {
      berthd: 'nftables DNAT',
      dockerd: 'docker-proxy',
      podman: 'DNAT',
    };
    for (const [name, s] of Object.entries(tput)) {
      const m = summary(s).median;
      console.log(`| ${name} (${paths[name]}) | ${fmt(m)} | ${(m / tBase).toFixed(2)}× |`);
    }

    // ---- many containers on one user network, reachable by name ----
    console.log(`\n### ${MANY} containers on one user network, every name resolved from another container\n`);
    console.log('| engine | start all (s) | resolve all (s) | names not resolved |');
    console.log('|---|---:|---:|---:|');
    const engines: [string, string[], NodeJS.ProcessEnv][] = [
      ['berthd', ['-o', 'com.docker.network.bridge.name=bnbmany1', '--subnet', '10.201.8.0/22'], bEnv],
      ['dockerd', ['-o', 'com.docker.network.bridge.name=bnbmany2', '--subnet', '10.202.8.0/22'], rEnv],
    ];
    for (const [name, opts, env] of engines) {
      must('docker', ['network', 'create', ...opts, 'benchnet'], env);
      const t0 = process.hrtime.bigint();
      for (let i = 1; i <= MANY; i++)
        must(
          'docker',
          ['run', '-d', '--name', `c${i}`, '--network', 'benchnet', 'busybox', 'sleep', '100000'],
          env,
        );
      const start = Number(process.hrtime.bigint() - t0) / 1e9;
      const script = `n=0; for i in $(seq 1 ${MANY}); do nslookup c$i >/dev/null 2>&1 || n=$((n+1)); done; echo $n`;
      const t1 = process.hrtime.bigint();
      const failed = must(
        'docker',
        ['run', '--rm', '--network', 'benchnet', 'busybox', 'sh', '-c', script],
        env,
      ).trim();
      const resolve = Number(process.hrtime.bigint() - t1) / 1e9;
      console.log(`| ${name} | ${start.toFixed(1)} | ${resolve.toFixed(2)} | ${failed} |`);
      const ids = must('docker', ['ps', '-aq'], env).split('\n').filter(Boolean);
      for (let i = 0; i < ids.length; i += 50) must('docker', ['rm', '-f', ...ids.slice(i, i + 50)], env);
      must('docker', ['network', 'rm', 'benchnet'], env);
    }
  } finally {
    for (const env of [bEnv, rEnv]) {
      const ids =
        spawnSync('docker', ['ps', '-aq'], { env, encoding: 'utf8' }).stdout?.split('\n').filter(Boolean) ??
        [];
      if (ids.length) spawnSync('docker', ['rm', '-f', ...ids], { env });
      spawnSync('docker', ['network', 'rm', 'benchnet'], { env });
    }
    if (hasPodman) spawnSync('podman', podman(['rm', '-af']), { stdio: 'ignore' });
    await ref.stop();
    removeTree(refDir);
    await cleanup(berthd);
    for (const b of ['bnbdocker0', 'bnbmany1', 'bnbmany2', 'podman0']) removeBridge(b);
    removeForeignChains();
    removeTree(work);
  }
}

await main();
