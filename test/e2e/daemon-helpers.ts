// Starting and stopping berthd for tests: its own data root, exec root and socket under a
// temp directory; the docker CLI pointed at it.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unixSocketAnswers } from '../../src/common/socket.ts';

export const ROOT = join(import.meta.dirname, '..', '..');
export const BERTHD = join(ROOT, 'bin', 'berthd');
export const BERTH = join(ROOT, 'bin', 'berth');

export interface Daemon {
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
  rmSync(daemon.dir, { recursive: true, force: true });
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
