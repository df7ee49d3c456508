// A client for berth-shim's attach socket (native/SHIM.md) for the tests: starts a shim,
// connects, sends frames and collects what the shim sends back.

import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { FrameParser, encodeFrame as frame } from '../../src/common/frames.ts';
import type { ExitRecord } from '../../src/engine/containers/shim.ts';

export const SHIM = join(import.meta.dirname, '..', '..', 'native', 'build', 'berth-shim');

export const STDIN = 0;
export const STDOUT = 1;
export const STDERR = 2;
export const CLOSE_STDIN = 3;
export const RESIZE = 4;
export const START = 5;
export const PID = 6;
export const ERROR = 7;
export const EXIT = 8;

export interface ShimOptions {
  tty?: boolean;
  stdin?: boolean;
  log?: string;
  logMaxSize?: number;
  logMaxFiles?: number;
  oom?: string;
}

export function shimArgs(dir: string, plan: string, o: ShimOptions = {}): string[] {
  const args = ['--dir', dir, '--plan', plan];
  if (o.tty) args.push('--tty');
  if (o.stdin) args.push('--stdin');
  if (o.log) args.push('--log', o.log);
  if (o.logMaxSize !== undefined) args.push('--log-max-size', String(o.logMaxSize));
  if (o.logMaxFiles !== undefined) args.push('--log-max-files', String(o.logMaxFiles));
  if (o.oom) args.push('--oom', o.oom);
  return args;
}

/** Runs berth-shim; resolves once the first process has exited (the shim is ready, or failed). */
export function startShim(args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(SHIM, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

export interface Frame {
  type: number;
  payload: Buffer;
}

export { frame };

export class ShimClient {
  readonly socket: Socket;
  readonly frames: Frame[] = [];
  /** resolves when the connection has closed */
  readonly closed: Promise<void>;
  readonly #parser = new FrameParser();
  #listeners: (() => void)[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d) => this.#onData(d));
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('close', () => this.#notify());
    socket.on('error', () => {});
  }

  static connect(path: string): Promise<ShimClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      socket.once('connect', () => resolve(new ShimClient(socket)));
      socket.once('error', reject);
    });
  }

  #onData(d: Buffer): void {
    for (const f of this.#parser.push(d)) this.frames.push({ type: f.stream, payload: f.payload });
    this.#notify();
  }

  #notify(): void {
    for (const l of this.#listeners.splice(0)) l();
  }

  send(type: number, payload: string | Buffer = ''): void {
    this.socket.write(frame(type, payload));
  }

  /** Everything received in frames of `type`, concatenated. */
  output(type: number = STDOUT): string {
    return Buffer.concat(this.frames.filter((f) => f.type === type).map((f) => f.payload)).toString();
  }

  /** Resolves once `cond` holds (checked on every frame); rejects after `ms`. */
  async until<T>(what: string, cond: () => T | undefined | false, ms = 20_000): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const v = cond();
      if (v) return v;
      if (this.socket.destroyed && !this.socket.readable)
        throw new Error(`connection closed before ${what}; frames: ${this.describe()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; frames: ${this.describe()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#listeners.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  frameOf(type: number): Frame | undefined {
    return this.frames.find((f) => f.type === type);
  }

  async pid(): Promise<number> {
    const f = await this.until('PID', () => this.frameOf(PID));
    return Number(f.payload.toString());
  }

  async exit(): Promise<ExitRecord> {
    const f = await this.until('EXIT', () => this.frameOf(EXIT));
    return JSON.parse(f.payload.toString());
  }

  describe(): string {
    return this.frames
      .map((f) => `${f.type}:${JSON.stringify(f.payload.toString().slice(0, 200))}`)
      .join(' ')
      .slice(0, 2000);
  }

  close(): void {
    this.socket.destroy();
  }
}

export type { ExitRecord };

export interface LogEntry {
  log: string;
  stream: 'stdout' | 'stderr';
  time: string;
}

export function parseLog(text: string): LogEntry[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}
