// Runs a plan through native/build/berth-exec: the plan goes in on fd 3, the interpreter
// reports `pid N`, `exit N` and `error …` lines on fd 4 (native/PLAN.md).

import { type ChildProcess, type IOType, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable, Stream, Writable } from 'node:stream';
import { BerthError, internal } from '../common/errors.ts';
import { decodeValue, encodePlan } from '../plan/encode.ts';
import type { Plan } from '../plan/types.ts';

export const REPORT_FD = 4;
const ROOT = join(import.meta.dirname, '..', '..');
export const BERTH_EXEC = process.env.BERTH_EXEC ?? join(ROOT, 'native', 'build', 'berth-exec');

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
    super(detail.errno === 2 ? 'NotFound' : 'Internal', detail.message);
    this.detail = detail;
  }
}

export interface RunningPlan {
  child: ChildProcess;
  /** resolves with the container (or exec'd) process's pid once set-up is complete */
  pid: Promise<number>;
  /** resolves with the exit status once the interpreter has ended (`wait-child`: the process's) */
  exit: Promise<number>;
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
  // fds 3 and 4 carry the plan and the report; preserved fds follow from 5 (the plan's
  // close-fds keeps 3+keep fds, so the caller shifts them, see runtime/cli).
  const child = spawn(BERTH_EXEC, ['/proc/self/fd/3'], {
    stdio: [stdin, stdout, stderr, 'pipe', 'pipe', ...extra],
  });
  (child.stdio[3] as Writable).end(encodePlan(plan));
  const report = child.stdio[4] as Readable;

  let resolvePid!: (pid: number) => void;
  let rejectPid!: (err: Error) => void;
  const pid = new Promise<number>((res, rej) => {
    resolvePid = res;
    rejectPid = rej;
  });
  let failure: PlanFailure | undefined;
  let exitCode: number | undefined;
  let buffered = '';
  report.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl = buffered.indexOf('\n');
    while (nl >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const [kind, ...rest] = line.split(' ');
      if (kind === 'pid') resolvePid(Number(rest[0]));
      else if (kind === 'exit') exitCode = Number(rest[0]);
      else if (kind === 'error') {
        failure = new PlanFailure({
          step: Number(rest[0]),
          op: rest[1],
          errno: Number(rest[2]),
          message: decodeValue(rest.slice(3).join(' ')),
        });
        rejectPid(failure);
      }
      nl = buffered.indexOf('\n');
    }
  });
  const exit = new Promise<number>((res, rej) => {
    child.on('error', (err) => rej(internal(`cannot run ${BERTH_EXEC}: ${err.message}`, err)));
    child.on('close', (code, signal) => {
      const status = exitCode ?? code ?? 128 + (signal ? 9 : 0);
      if (failure) {
        rej(failure);
        return;
      }
      if (code !== 0 && exitCode === undefined) {
        const err = internal(`berth-exec failed (status ${code ?? signal})`);
        rejectPid(err);
        rej(err);
        return;
      }
      rejectPid(internal('berth-exec ended without reporting a pid'));
      res(status);
    });
  });
  // A failure is reported on both promises; keep unobserved rejections quiet.
  pid.catch(() => {});
  exit.catch(() => {});
  return { child, pid, exit };
}
