// Starting and stopping berthd for tests: its own data root, exec root and socket under a
// temp directory; the docker CLI pointed at it.

import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unixSocketAnswers } from '../../src/common/socket.ts';
import { makeBusyboxRootfs } from '../fixtures/busybox.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BERTHD = join(ROOT, 'bin', 'berthd');
export const BERTH = join(ROOT, 'bin', 'berth');

export interface Daemon {
  /** the default bridge network's Linux bridge: each test daemon has its own */
  bridge: string;
  dir: string;
  socket: string;
  host: string;
  dataRoot: string;
  execRoot: string;
  process: ChildProcess;
  log(): string;
  stop(): Promise<number | null>;
}

export async function startDaemon(
  extra: string[] = [],
  dir = mkdtempSync(join(tmpdir(), 'berthd-test-')),
): Promise<Daemon> {
  const socket = join(dir, 'berth.sock');
  if (!existsSync(join(dir, 'daemon.json'))) writeFileSync(join(dir, 'daemon.json'), '{}');
  const net = defaultBridge(dir);
  const dataRoot = join(dir, 'data');
  const execRoot = join(dir, 'exec');
  let output = '';
  const child = spawn(
    BERTHD,
    [
      '--config-file',
      join(dir, 'daemon.json'),
      '--data-root',
      dataRoot,
      '--exec-root',
      execRoot,
      '-H',
      `unix://${socket}`,
      ...(extra.includes('--bridge') ? [] : ['--bridge', net.bridge, '--bip', net.bip]),
      ...extra,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  for (let i = 0; i < 200 && !(await unixSocketAnswers(socket)); i++) {
    if (child.exitCode !== null) {
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`berthd exited (${child.exitCode}): ${output}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const daemon: Daemon = {
    bridge: extra.includes('--bridge') ? extra[extra.indexOf('--bridge') + 1] : net.bridge,
    dir,
    socket,
    host: `unix://${socket}`,
    dataRoot,
    execRoot,
    process: child,
    log: () => output,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
        child.kill('SIGTERM');
        return exited;
      }
      return child.exitCode;
    },
  };
  return daemon;
}

export async function cleanup(daemon: Daemon): Promise<void> {
  await daemon.stop();
  removeBridge(daemon.bridge);
  // namespaces of containers a test left running are bind mounts: lazily unmounted first
  const netns = join(daemon.execRoot, 'netns');
  if (existsSync(netns))
    for (const f of readdirSync(netns)) spawnSync('umount', ['-l', join(netns, f)], { stdio: 'ignore' });
  rmSync(daemon.dir, { recursive: true, force: true });
}

/**
 * A bridge name and subnet of the test daemon's own for its default network (kept in its
 * directory, so a restarted daemon gets the same): 10.200-249.x.0/24, picked at random.
 */
export function defaultBridge(dir: string): { bridge: string; bip: string } {
  const file = join(dir, 'bridge.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const n = Math.floor(Math.random() * 50 * 256);
  const net = {
    bridge: `bt${process.pid % 100000}x${n}`.slice(0, 15),
    bip: `10.${200 + (n >> 8)}.${n & 255}.1/24`,
  };
  writeFileSync(file, JSON.stringify(net));
  return net;
}

/** Deletes a bridge and berth's nftables table for it, if they exist. */
export function removeBridge(bridge: string): void {
  spawnSync('nft', ['delete', 'table', 'inet', `berth-${bridge}`], { stdio: 'ignore' });
  spawnSync('ip', ['link', 'del', bridge], { stdio: 'ignore' });
}

export function docker(daemon: Daemon, args: string[], input?: string) {
  const res = spawnSync('docker', args, {
    encoding: 'utf8',
    input,
    timeout: 60_000,
    env: { ...process.env, DOCKER_HOST: daemon.host, DOCKER_CONFIG: join(daemon.dir, 'docker-config') },
  });
  return { status: res.status ?? 128, stdout: res.stdout, stderr: res.stderr };
}

export function berth(host: string | undefined, args: string[], env: Record<string, string> = {}) {
  const res = spawnSync(BERTH, host ? ['-H', host, ...args] : args, {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, BERTH_HOST: '', DOCKER_HOST: '', ...env },
  });
  return { status: res.status ?? 128, stdout: res.stdout, stderr: res.stderr };
}

export const hasDocker = spawnSync('docker', ['--version']).status === 0;
export const exists = existsSync;

/** Makes a busybox rootfs and `docker import`s it into the daemon as busybox:latest (CMD sh). */
export function importBusybox(daemon: Daemon): void {
  makeBusyboxRootfs(join(daemon.dir, 'rootfs'));
  const tar = join(daemon.dir, 'rootfs.tar');
  execFileSync('tar', ['-C', join(daemon.dir, 'rootfs'), '-cf', tar, '.']);
  const res = docker(daemon, ['import', '-c', 'CMD ["sh"]', tar, 'busybox:latest']);
  if (res.status !== 0) throw new Error(`docker import: ${res.stderr}`);
}

/** Removes every container of the daemon (force), for a test's `after`. */
export function removeAllContainers(daemon: Daemon): void {
  const ids = docker(daemon, ['ps', '-aq']).stdout.split('\n').filter(Boolean);
  if (ids.length) docker(daemon, ['rm', '-f', ...ids]);
}
