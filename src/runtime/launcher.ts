// The launcher: one long-lived `berth-exec --serve` (native/PLAN.md, "Serve mode") that forks
// an interpreter per plan, so a long-running process (berthd) pays for a fork in C instead of a
// child_process.spawn per container. The one-shot CLI keeps using runPlan (native.ts).

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { isAbsolute } from 'node:path';
import { internal, invalidArgument } from '../common/errors.ts';
import { encodePlan, encodeValue } from '../plan/encode.ts';
import type { Plan } from '../plan/types.ts';
import { BERTH_EXEC, type PlanFailure, PlanReport, type PlanRun, reportedFailure } from './native.ts';

/**
 * Where the container's stdin, stdout and stderr come from: absolute paths, opened by the forked
 * interpreter (stdin read-only, the others append/create), or 'inherit' (the default): this
 * process's own stdin, stdout, stderr.
 */
export interface LaunchStdio {
  stdin?: string;
  stdout?: string;
  stderr?: string;
}

/** What a request's reply lines go to: a PlanReport for `run`, a SpawnReply for `spawn`. */
interface Pending {
  line(line: string): void;
  end(status: number): void;
  fail(err: Error): void;
}

/** A `spawn` request's replies: an `error` line (it could not be exec'd), then `done STATUS`. */
class SpawnReply implements Pending {
  readonly status: Promise<number>;
  #resolve!: (status: number) => void;
  #reject!: (err: Error) => void;
  #failure: PlanFailure | undefined;

  constructor() {
    this.status = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.status.catch(() => {});
  }

  line(line: string): void {
    const [kind, ...rest] = line.split(' ');
    if (kind === 'error') this.#failure = reportedFailure(rest);
  }

  end(status: number): void {
    if (this.#failure) this.#reject(this.#failure);
    else this.#resolve(status);
  }

  fail(err: Error): void {
    this.#reject(err);
  }
}

interface Served {
  child: ChildProcess;
  requests: Socket;
  replies: Socket;
  pending: Map<string, Pending>;
  exited: Promise<void>;
}

function stdioField(name: string, value = 'inherit'): string {
  if (value === 'inherit') return '-';
  if (!isAbsolute(value)) throw invalidArgument(`launcher ${name}: \`${value}\` is not an absolute path`);
  return encodeValue(value);
}

export class Launcher {
  readonly #bin: string;
  #served: Served | undefined;
  #seq = 0;

  constructor(bin = BERTH_EXEC) {
    this.#bin = bin;
  }

  /** The launcher's pid while one is running. */
  get pid(): number | undefined {
    return this.#served?.child.pid;
  }

  /** Performs `plan` in a fresh interpreter forked by the launcher (started on first use). */
  run(plan: Plan, stdio: LaunchStdio = {}): PlanRun {
    const report = new PlanReport();
    this.#request('run', Buffer.from(encodePlan(plan)), stdio, report);
    return { pid: report.pid, exit: report.exit };
  }

  /**
   * Runs the program `argv[0]` (an absolute path) with `argv`, forked and exec'd by the launcher,
   * the child of no Node process (berthd's shims: a fork in C costs far less than
   * child_process.spawn, which also blocks the event loop). Resolves with its exit status (or
   * 128+signal) once it has ended; rejects when it could not be exec'd.
   */
  spawn(argv: readonly string[], stdio: LaunchStdio = {}): Promise<number> {
    if (!isAbsolute(argv[0] ?? ''))
      throw invalidArgument(`launcher spawn: \`${argv[0]}\` is not an absolute path`);
    if (argv.some((a) => a.includes('\0'))) throw invalidArgument('launcher spawn: an argument holds a NUL');
    const reply = new SpawnReply();
    this.#request('spawn', Buffer.from(argv.map((a) => `${a}\0`).join('')), stdio, reply);
    return reply.status;
  }

  #request(kind: 'run' | 'spawn', body: Buffer, stdio: LaunchStdio, reply: Pending): void {
    const fields = [
      stdioField('stdin', stdio.stdin),
      stdioField('stdout', stdio.stdout),
      stdioField('stderr', stdio.stderr),
    ].join(' ');
    const served = this.#served ?? this.#start();
    const id = String(++this.#seq);
    served.pending.set(id, reply);
    if (served.pending.size === 1) served.replies.ref();
    served.requests.write(Buffer.concat([Buffer.from(`${kind} ${id} ${body.length} ${fields}\n`), body]));
  }

  /** Ends the launcher: it takes no more requests and exits once its interpreters have. */
  async close(): Promise<void> {
    const served = this.#served;
    if (!served) return;
    this.#served = undefined;
    served.child.ref(); // wait for it here, even when nothing else keeps this process alive
    served.requests.end();
    await served.exited;
  }

  #start(): Served {
    if (!existsSync(this.#bin)) {
      throw internal(`${this.#bin} is missing: run scripts/setup.sh (make -C native)`);
    }
    // fds 3 and 4: this process's stdin and stdout, for containers that inherit them
    const child = spawn(this.#bin, ['--serve'], {
      stdio: ['pipe', 'pipe', 'inherit', 0, 1],
      // its own process group: a Ctrl-C meant for berthd must not reach interpreters or containers
      detached: true,
    });
    const served: Served = {
      child,
      requests: child.stdin as Socket,
      replies: child.stdout as Socket,
      pending: new Map(),
      exited: new Promise((resolve) => child.once('exit', () => resolve())),
    };
    this.#served = served;
    // Idle, the launcher must not keep this process alive; replies are ref'd while requests wait.
    child.unref();
    served.requests.unref();
    served.replies.unref();
    served.requests.on('error', () => {}); // EPIPE when it died: 'exit' reports that
    let buffered = '';
    served.replies.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        this.#reply(served, buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    const ended = (why: string) => {
      if (this.#served === served) this.#served = undefined;
      // Lines it wrote before it ended may still be unread: give them a moment.
      const timer = setTimeout(() => {
        for (const [id, report] of served.pending) {
          report.fail(internal(`berth-exec --serve (pid ${child.pid}) ${why} before request ${id} finished`));
        }
        served.pending.clear();
        served.replies.destroy();
      }, 20);
      if (served.pending.size === 0) timer.unref();
    };
    child.on('error', (err) => ended(`failed: ${err.message}`));
    child.on('exit', (code, signal) =>
      ended(signal ? `was killed by ${signal}` : `exited with status ${code}`),
    );
    return served;
  }

  /** `<id> pid N`, `<id> exit N`, `<id> error …`, `<id> done STATUS`; `- …` lines are not ours. */
  #reply(served: Served, line: string): void {
    const space = line.indexOf(' ');
    const report = served.pending.get(line.slice(0, space));
    if (!report) return;
    const rest = line.slice(space + 1);
    if (!rest.startsWith('done ')) {
      report.line(rest);
      return;
    }
    served.pending.delete(line.slice(0, space));
    if (served.pending.size === 0) served.replies.unref();
    report.end(Number(rest.slice(5)));
  }
}
