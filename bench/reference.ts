// The reference engines the benchmarks compare berth with: Debian's dockerd (docker.io, 20.10)
// on its own data root, exec root and socket, without networking; podman with runc.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { unixSocketAnswers } from '../src/common/socket.ts';

export interface RefDaemon {
  host: string;
  dataRoot: string;
  stop(): Promise<void>;
}

/** Installs Debian's docker.io when dockerd is missing (benchmarks only; not scripts/setup.sh). */
export function ensureDockerd(): void {
  if (spawnSync('dockerd', ['--version']).status === 0) return;
  console.error('bench: dockerd is missing: running apt-get install -y docker.io (the reference daemon)');
  const r = spawnSync('apt-get', ['install', '-y', '-q', 'docker.io'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (r.status !== 0) throw new Error('apt-get install -y docker.io failed');
}

/**
 * The reference dockerd on its own data root, exec root and socket under `dir`, without
 * networking (no bridge, no iptables) unless `net.bridge` names an existing bridge for its
 * default network (then with iptables, as dockerd runs by default). It starts its own containerd
 * under the exec root.
 */
export async function startDockerd(dir: string, net: { bridge?: string } = {}): Promise<RefDaemon> {
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'exec');
  const socket = join(dir, 'docker.sock');
  // its log goes to a file: a pipe nobody drains while a benchmark blocks in spawnSync fills up,
  // and then containerd stalls and loses containers' exits
  const logFile = join(dir, 'dockerd.log');
  const log = openSync(logFile, 'a');
  const output = () => readFileSync(logFile, 'utf8');
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--data-root',
      dataRoot,
      '--exec-root',
      execRoot,
      '-H',
      `unix://${socket}`,
      '--pidfile',
      join(dir, 'docker.pid'),
      ...(net.bridge
        ? [`--bridge=${net.bridge}`]
        : ['--iptables=false', '--ip6tables=false', '--bridge=none']),
      '--storage-driver',
      'overlay2',
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  for (let i = 0; i < 400 && !(await unixSocketAnswers(socket)); i++) {
    if (child.exitCode !== null) throw new Error(`dockerd exited (${child.exitCode}): ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (!(await unixSocketAnswers(socket))) throw new Error(`dockerd did not answer on ${socket}: ${output()}`);
  return {
    host: `unix://${socket}`,
    dataRoot,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Unmounts whatever is still mounted under `dir` (deepest first), then removes it. */
export function removeTree(dir: string): void {
  const mounts = readFileSync('/proc/self/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[1]?.replace(/\\040/g, ' '))
    .filter((m): m is string => !!m && (m === dir || m.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) spawnSync('umount', ['-l', m]);
  rmSync(dir, { recursive: true, force: true });
}

/** Installs Debian's podman when missing (benchmarks only). */
export function ensurePodman(): boolean {
  if (spawnSync('podman', ['--version']).status === 0) return true;
  console.error('bench: podman is missing: running apt-get install -y podman');
  const r = spawnSync('apt-get', ['install', '-y', '-q', 'podman'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return r.status === 0;
}

/**
 * podman's global flags for a benchmark's own store under `root` (runc), with a containers.conf
 * of its own: no default ulimits (raising RLIMIT_NOFILE's hard limit needs CAP_SYS_RESOURCE,
 * which this host lacks), plus `extraConf` lines.
 */
export function podmanIn(root: string, extraConf = ''): (args: string[]) => string[] {
  const conf = join(root, 'containers.conf');
  mkdirSync(root, { recursive: true });
  writeFileSync(conf, `[containers]\ndefault_ulimits = []\n${extraConf}`);
  process.env.CONTAINERS_CONF = conf;
  return (args) => [
    '--root',
    join(root, 'root'),
    '--runroot',
    join(root, 'run'),
    '--runtime',
    'runc',
    ...args,
  ];
}
