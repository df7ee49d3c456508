// berthd's side of berth-shim (native/SHIM.md): spawning a shim, talking to its attach socket in
// frames, and turning its PID / ERROR / EXIT frames into the runtime's PlanRun.

import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { internal } from '../../common/errors.ts';
import { encodeFrame, FrameParser } from '../../common/frames.ts';
import { nativeBuild } from '../../common/paths.ts';
import type { Launcher } from '../../runtime/launcher.ts';
import { PlanReport, type PlanRun } from '../../runtime/native.ts';

export const BERTH_SHIM = process.env.BERTH_SHIM ?? nativeBuild('berth-shim');

export const FRAME = {
  STDIN: 0,
  STDOUT: 1,
  STDERR: 2,
  CLOSE_STDIN: 3,
  RESIZE: 4,
  START: 5,
  PID: 6,
  ERROR: 7,
  EXIT: 8,
} as const;

/** exit.json: how the process ended. */
export interface ExitRecord {
  pid: number;
  exitCode: number;
  signal: number;
  oomKilled: boolean;
  startedAt: string;
  finishedAt: string;
  error: string;
}

export interface ShimOptions {
  dir: string;
  plan: string;
  tty: boolean;
  stdin: boolean;
  log?: { path: string; maxSize: number; maxFiles: number };
  oom?: string;
}

export const shimSocket = (dir: string) => join(dir, 'shim.sock');
export const exitFile = (dir: string) => join(dir, 'exit.json');

/**
 * Starts a shim; resolves once it has detached and its socket accepts connections. With a
 * launcher (berthd's), the launcher forks and execs it, its early stderr going to
 * `DIR/shim.err` (read for the error when it fails, then removed); else a child of this process.
 */
export function spawnShim(o: ShimOptions, launcher?: Launcher): Promise<void> {
  if (!existsSync(BERTH_SHIM))
    throw internal(`${BERTH_SHIM} is missing: run scripts/setup.sh (make -C native)`);
  const args = ['--dir', o.dir, '--plan', o.plan];
  if (o.tty) args.push('--tty');
  if (o.stdin) args.push('--stdin');
  if (o.log)
    args.push(
      '--log',
      o.log.path,
      '--log-max-size',
      String(o.log.maxSize),
      '--log-max-files',
      String(o.log.maxFiles),
    );
  if (o.oom) args.push('--oom', o.oom);
  // berthd: a shim it spawned and has not started yet ends with it (START will not come)
  args.push('--owner', String(process.pid));
  if (launcher) return spawnThrough(launcher, o.dir, args);
  return new Promise((resolve, reject) => {
    const child = spawn(BERTH_SHIM, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (err) => reject(internal(`cannot run ${BERTH_SHIM}: ${err.message}`, err)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(internal(stderr.trim() || `berth-shim failed (status ${code ?? signal})`));
    });
  });
}

async function spawnThrough(launcher: Launcher, dir: string, args: string[]): Promise<void> {
  const errFile = join(dir, 'shim.err');
  let status: number;
  try {
    status = await launcher.spawn([BERTH_SHIM, ...args], {
      stdin: '/dev/null',
      stdout: '/dev/null',
      stderr: errFile,
    });
  } catch (err) {
    rmSync(errFile, { force: true });
    throw internal(`cannot run ${BERTH_SHIM}: ${(err as Error).message}`, err);
  }
  let stderr = '';
  if (status !== 0) {
    try {
      stderr = readFileSync(errFile, 'utf8').trim();
    } catch {
      // it wrote nothing
    }
  }
  rmSync(errFile, { force: true });
  if (status !== 0) throw internal(stderr || `berth-shim failed (status ${status})`);
}

export function readExit(dir: string): ExitRecord | undefined {
  try {
    return JSON.parse(readFileSync(exitFile(dir), 'utf8')) as ExitRecord;
  } catch {
    return undefined;
  }
}

/** One connection to a shim's attach socket. */
export class ShimConnection {
  readonly socket: Socket;
  /** set once the shim sent PID (or is known to run it) */
  pid = 0;
  exit: ExitRecord | undefined;
  readonly #handlers = new Set<(type: number, payload: Buffer) => void>();
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    const parser = new FrameParser();
    const onFrame = (type: number, payload: Buffer) => {
      if (type === FRAME.PID) this.pid = Number(payload.toString());
      if (type === FRAME.EXIT) {
        try {
          this.exit = JSON.parse(payload.toString()) as ExitRecord;
        } catch {
          // the file is authoritative; readers fall back to it
        }
      }
      for (const h of this.#handlers) h(type, payload);
    };
    socket.on('data', (chunk: Buffer) => {
      for (const f of parser.push(chunk)) onFrame(f.stream, f.payload);
    });
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
  }

  static connect(dir: string): Promise<ShimConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect(shimSocket(dir));
      socket.once('connect', () => resolve(new ShimConnection(socket)));
      socket.once('error', (err) => reject(err));
    });
  }

  onFrame(handler: (type: number, payload: Buffer) => void): () => void {
    this.#handlers.add(handler);
    return () => this.#handlers.delete(handler);
  }

  send(type: number, payload?: Buffer | string): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(type, payload));
  }

  close(): void {
    this.socket.destroy();
  }
}

/**
 * Sends START on `conn` and follows the report: the pid once the process runs; a failure as
 * the interpreter reported it. `exit` resolves (0) as soon as the set-up is over: the process's
 * own end is the EXIT frame's business.
 */
export function startThroughShim(conn: ShimConnection): PlanRun {
  const report = new PlanReport();
  let settled = false;
  let failed = false;
  const off = conn.onFrame((type, payload) => {
    if (settled) return;
    if (type === FRAME.PID) {
      settled = true;
      report.line(`pid ${payload.toString()}`);
      report.end(0);
      off();
    } else if (type === FRAME.ERROR) {
      failed = true;
      report.line(payload.toString());
    } else if (type === FRAME.EXIT) {
      settled = true;
      if (failed) report.end(conn.exit?.exitCode || 1);
      else report.fail(internal(conn.exit?.error || 'the process ended before it started'));
      off();
    }
  });
  void conn.closed.then(() => {
    if (!settled) report.fail(internal('berth-shim went away before the process started'));
  });
  conn.send(FRAME.START);
  return report;
}

/** A shim that will never get START waits forever, and it ignores SIGTERM: it is killed. */
export function abandonShim(dir: string): void {
  try {
    process.kill(Number(readFileSync(join(dir, 'shim.pid'), 'utf8')), 'SIGKILL');
  } catch {
    // gone
  }
  rmSync(join(dir, 'shim.sock'), { force: true });
  rmSync(join(dir, 'shim.pid'), { force: true });
}

/**
 * A shim still waiting in `dir` for a START that will not come (its berthd ended between
 * starting it and starting the container): killed, and its socket freed for the next start's
 * shim. Only when shim.pid names a berth-shim serving that very directory (/proc/PID/cmdline).
 */
export function endWaitingShim(dir: string): void {
  let pid: number;
  let argv: string[];
  try {
    pid = Number(readFileSync(join(dir, 'shim.pid'), 'utf8'));
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return; // none, or gone
  }
  const at = argv.indexOf('--dir');
  if (!argv[0]?.endsWith('berth-shim') || at < 0 || argv[at + 1] !== dir) return;
  abandonShim(dir);
}
