// The steps that turn the interpreter's child into the configured process: terminal, limits,
// seccomp, capabilities, user, working directory, and the final execve. Shared by create and exec.

import { invalidArgument, notImplemented } from '../common/errors.ts';
import { capMask } from '../spec/capabilities.ts';
import type { LinuxSeccomp, POSIXRlimit, Process } from '../spec/oci.ts';
import type { HostFacts } from './facts.ts';
import type { ChildStep } from './types.ts';

const RLIMITS = new Set([
  'RLIMIT_AS',
  'RLIMIT_CORE',
  'RLIMIT_CPU',
  'RLIMIT_DATA',
  'RLIMIT_FSIZE',
  'RLIMIT_LOCKS',
  'RLIMIT_MEMLOCK',
  'RLIMIT_MSGQUEUE',
  'RLIMIT_NICE',
  'RLIMIT_NOFILE',
  'RLIMIT_NPROC',
  'RLIMIT_RSS',
  'RLIMIT_RTPRIO',
  'RLIMIT_RTTIME',
  'RLIMIT_SIGPENDING',
  'RLIMIT_STACK',
]);
const EPERM = 1;
const UNLIMITED = 2 ** 63;

function rlimitValue(n: number): string {
  return n >= UNLIMITED ? 'unlimited' : String(n);
}

export function rlimitSteps(rlimits: readonly POSIXRlimit[] | undefined): ChildStep[] {
  const seen = new Set<string>();
  return (rlimits ?? []).map((r, i) => {
    if (!RLIMITS.has(r.type)) throw invalidArgument(`process.rlimits[${i}]: unknown rlimit type "${r.type}"`);
    if (seen.has(r.type)) throw invalidArgument(`process.rlimits[${i}]: duplicate rlimit type "${r.type}"`);
    if (r.soft > r.hard)
      throw invalidArgument(`process.rlimits[${i}]: ${r.type} soft limit exceeds hard limit`);
    seen.add(r.type);
    return { op: 'rlimit', resource: r.type, soft: rlimitValue(r.soft), hard: rlimitValue(r.hard) };
  });
}

export function seccompSteps(seccomp: LinuxSeccomp, cache?: string): ChildStep[] {
  if (seccomp.defaultAction === 'SCMP_ACT_NOTIFY' || seccomp.listenerPath) {
    throw notImplemented('linux.seccomp: SCMP_ACT_NOTIFY and listenerPath are not supported');
  }
  const steps: ChildStep[] = [
    {
      op: 'seccomp',
      'default-action': seccomp.defaultAction,
      'default-errno': seccomp.defaultErrnoRet ?? EPERM,
      arch: seccomp.architectures ?? [],
      flag: seccomp.flags ?? [],
      ...(cache ? { cache } : {}),
    },
  ];
  for (const [i, rule] of (seccomp.syscalls ?? []).entries()) {
    if (rule.action === 'SCMP_ACT_NOTIFY') {
      throw notImplemented(`linux.seccomp.syscalls[${i}]: SCMP_ACT_NOTIFY is not supported`);
    }
    if (rule.names.length === 0) continue;
    steps.push({
      op: 'seccomp-rule',
      action: rule.action,
      errno: rule.errnoRet ?? EPERM,
      name: rule.names,
      arg: (rule.args ?? []).map((a) => `${a.index}:${a.op}:${a.value}:${a.valueTwo ?? 0}`),
    });
  }
  steps.push({ op: 'seccomp-load' });
  return steps;
}

export interface ProcessPlanOptions {
  facts: HostFacts;
  seccomp?: LinuxSeccomp;
  /** where berth-exec keeps compiled seccomp filters (native/PLAN.md) */
  seccompCache?: string;
  /** a pty is sent to the console socket connected in @pre */
  console: boolean;
  preserveFds: number;
  /** the sync that tells the parent the process is ready, placed before wait-start */
  ready: ChildStep[];
  /** steps between ready and the seccomp/exec tail: wait-start, startContainer hooks */
  afterReady: ChildStep[];
}

/** Everything from the terminal to execve, in runc's order (seccomp first unless no_new_privs). */
export function processSteps(proc: Process, opts: ProcessPlanOptions): ChildStep[] {
  const steps: ChildStep[] = [];
  if (opts.console) {
    steps.push({
      op: 'console-pty',
      rows: proc.consoleSize?.height ?? 0,
      cols: proc.consoleSize?.width ?? 0,
    });
  }
  if (proc.oomScoreAdj !== undefined) steps.push({ op: 'oom-score-adj', value: proc.oomScoreAdj });
  steps.push(...rlimitSteps(proc.rlimits));
  const nnp = proc.noNewPrivileges === true;
  if (opts.seccomp && !nnp) steps.push(...seccompSteps(opts.seccomp, opts.seccompCache));
  steps.push({ op: 'close-fds', keep: opts.preserveFds });
  const caps = proc.capabilities;
  const last = opts.facts.capLastCap;
  if (caps) steps.push({ op: 'caps-bounding', keep: capMask(caps.bounding ?? [], last) });
  steps.push({
    op: 'user',
    uid: proc.user.uid,
    gid: proc.user.gid,
    group: proc.user.additionalGids ?? [],
    setgroups: 1,
  });
  steps.push({ op: 'umask', value: (proc.user.umask ?? 0o022).toString(8).padStart(4, '0') });
  if (caps) {
    steps.push({
      op: 'caps',
      effective: capMask(caps.effective ?? [], last),
      permitted: capMask(caps.permitted ?? [], last),
      inheritable: capMask(caps.inheritable ?? [], last),
      // the kernel raises an ambient capability only if it is permitted and inheritable (runc
      // warns and goes on; berth leaves the others out)
      ambient: capMask(
        (caps.ambient ?? []).filter((c) => caps.permitted?.includes(c) && caps.inheritable?.includes(c)),
        last,
      ),
    });
  }
  steps.push({ op: 'chdir', path: proc.cwd });
  if (nnp) steps.push({ op: 'no-new-privs' });
  // a program that is missing or not executable fails here, while the parent still listens
  steps.push({ op: 'check-exec', arg: (proc.args ?? []).slice(0, 1), env: proc.env ?? [] });
  steps.push(...opts.ready, ...opts.afterReady);
  if (opts.seccomp && nnp) steps.push(...seccompSteps(opts.seccomp, opts.seccompCache));
  steps.push({ op: 'exec', arg: proc.args ?? [], env: proc.env ?? [] });
  return steps;
}

/** Fields of process that berth cannot honour on this kernel or at all: refused, never ignored. */
export function refuseUnsupported(proc: Process): void {
  if (proc.scheduler) throw notImplemented('process.scheduler is not supported');
  if (proc.ioPriority) throw notImplemented('process.ioPriority is not supported');
  if (proc.execCPUAffinity) throw notImplemented('process.execCPUAffinity is not supported');
  if (!proc.args || proc.args.length === 0) throw invalidArgument('process.args must not be empty');
  if (!proc.cwd.startsWith('/')) throw invalidArgument(`process.cwd must be an absolute path: "${proc.cwd}"`);
}
