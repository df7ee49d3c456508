// Runs a plan through native/build/berth-exec: the plan goes in on fd 3, the interpreter
// reports `pid N`, `exit N` and `error …` lines on fd 4 (native/PLAN.md).

import { type ChildProcess, type IOType, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import type { Readable, Stream, Writable } from 'node:stream';
import { BerthError, internal } from '../common/errors.ts';
import { nativeBuild } from '../common/paths.ts';
import { decodeValue, encodePlan } from '../plan/encode.ts';
import type { Plan } from '../plan/types.ts';

export const REPORT_FD = 4;
const { errno } = constants;

/**
 * The interpreter's fds: preserved fds keep their numbers (3, 4, … as runc hands them over),
 * the plan and the report pipes come after them.
 */
export function interpreterFds(preserved: number): { plan: number; report: number } {
  return { plan: 3 + preserved, report: 4 + preserved };
}
export const BERTH_EXEC = process.env.BERTH_EXEC ?? nativeBuild('berth-exec');

export interface PlanError {
  step: number;
  op: string;
  errno: number;
  message: string;
}

/** A failure reported by the interpreter: names the step, the operation, and errno. */
export class PlanFailure extends BerthError {
  readonly detail: PlanError;

  constructor(detail: PlanError) {
    super(detail.errno === errno.ENOENT ? 'NotFound' : 'Internal', detail.message);
    this.detail = detail;
  }

  /** The status a shell (and dockerd) gives it: 127 the program is missing, 126 it cannot run. */
  get exitStatus(): number {
    const { op, errno: err } = this.detail;
    if (op !== 'exec' && op !== 'check-exec') return 128;
    return err === errno.ENOENT || err === errno.ENOTDIR ? 127 : 126;
  }
}

/**
 * A failure's message with the errno texts in lower case, as Go's error strings spell them:
 * the docker CLI picks its exit status from these words (127 for "no such file or directory",
 * 126 for "permission denied" or "is a directory").
 */
export function goErrnoWords(message: string): string {
  return message.replace(
    /\b(Permission denied|No such file or directory|Is a directory|Not a directory)\b/g,
    (w) => w.toLowerCase(),
  );
}

/** A plan being performed: what both runPlan (a spawned berth-exec) and the Launcher return. */
export interface PlanRun {
  /** resolves with the container (or exec'd) process's pid once set-up is complete */
  pid: Promise<number>;
  /** resolves with the exit status once the interpreter has ended (`wait-child`: the process's) */
  exit: Promise<number>;
}

export interface RunningPlan extends PlanRun {
  child: ChildProcess;
}

/** An `error STEP OP ERRNO MESSAGE` report line's fields after `error`. */
export function reportedFailure(fields: readonly string[]): PlanFailure {
  return new PlanFailure({
    step: Number(fields[0]),
    op: fields[1],
    errno: Number(fields[2]),
    message: decodeValue(fields.slice(3).join(' ')),
  });
}

/**
 * Folds an interpreter's report lines (`pid N`, `exit N`, `error …`) and its end into the
 * pid and exit promises. A failure is reported on both promises.
 */
export class PlanReport implements PlanRun {
  readonly pid: Promise<number>;
  readonly exit: Promise<number>;
  #resolvePid!: (pid: number) => void;
  #rejectPid!: (err: Error) => void;
  #resolveExit!: (status: number) => void;
  #rejectExit!: (err: Error) => void;
  #failure: PlanFailure | undefined;
  #exitCode: number | undefined;

  constructor() {
    this.pid = new Promise<number>((res, rej) => {
      this.#resolvePid = res;
      this.#rejectPid = rej;
    });
    this.exit = new Promise<number>((res, rej) => {
      this.#resolveExit = res;
      this.#rejectExit = rej;
    });
    // keep unobserved rejections quiet
    this.pid.catch(() => {});
    this.exit.catch(() => {});
  }

  /** One report line, without its newline. */
  line(line: string): void {
    const [kind, ...rest] = line.split(' ');
    if (kind === 'pid') this.#resolvePid(Number(rest[0]));
    else if (kind === 'exit') this.#exitCode = Number(rest[0]);
    else if (kind === 'error') {
      this.#failure = reportedFailure(rest);
      this.#rejectPid(this.#failure);
    }
  }

  /** The interpreter ended with `status` (`null` with `signal` when killed). */
  end(status: number | null, signal: NodeJS.Signals | null = null): void {
    if (this.#failure) {
      this.fail(this.#failure);
    } else if (status !== 0 && this.#exitCode === undefined) {
      this.fail(internal(`berth-exec failed (status ${status ?? signal})`));
    } else {
      this.#rejectPid(internal('berth-exec ended without reporting a pid'));
      this.#resolveExit(this.#exitCode ?? status ?? 128 + (signal ? 9 : 0));
    }
  }

  fail(err: Error): void {
    this.#rejectPid(err);
    this.#rejectExit(err);
  }
}

export type StdioItem = IOType | number | Stream;

export interface RunPlanOptions {
  /** stdin, stdout, stderr of the container process (default: inherit this process's) */
  stdio?: [StdioItem, StdioItem, StdioItem];
  /** extra fds handed to the container after stderr (for --preserve-fds) */
  extraFds?: number[];
}

export function runPlan(plan: Plan, opts: RunPlanOptions = {}): RunningPlan {
  if (!existsSync(BERTH_EXEC)) {
    throw internal(`${BERTH_EXEC} is missing: run scripts/setup.sh (make -C native)`);
  }
  const [stdin, stdout, stderr] = opts.stdio ?? ['inherit', 'inherit', 'inherit'];
  const extra = opts.extraFds ?? [];
  // preserved fds first (3 …), then the plan and the report pipes (the plan's report step and
  // close-fds keep= must match: interpreterFds)
  const fds = interpreterFds(extra.length);
  const child = spawn(BERTH_EXEC, [`/proc/self/fd/${fds.plan}`], {
    stdio: [stdin, stdout, stderr, ...extra, 'pipe', 'pipe'],
  });
  (child.stdio[fds.plan] as Writable).end(encodePlan(plan));
  const report = new PlanReport();
  let buffered = '';
  (child.stdio[fds.report] as Readable).setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      report.line(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.on('error', (err) => report.fail(internal(`cannot run ${BERTH_EXEC}: ${err.message}`, err)));
  child.on('close', (code, signal) => report.end(code, signal));
  return { child, pid: report.pid, exit: report.exit };
}
