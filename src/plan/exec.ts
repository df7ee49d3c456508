// The plan that runs another process in a running container: join its namespaces (the user
// namespace first; the mount namespace from the child, so the parent can still reach the
// host's cgroup files), join its cgroups, then become the configured process.

import { invalidArgument } from '../common/errors.ts';
import type { Process, Spec } from '../spec/oci.ts';
import { joinSteps } from './cgroup-join.ts';
import { cgroupDirs } from './cgroups.ts';
import { consoleSteps, JOIN_ORDER, NS_NAME } from './create.ts';
import type { HostFacts } from './facts.ts';
import { processSteps, refuseUnsupported } from './process.ts';
import type { ChildStep, ParentStep, Plan, PreStep } from './types.ts';

export interface ExecOptions {
  /** the container's spec, as created */
  spec: Spec;
  /** the process to run (runc's --process, or the container's process with other args) */
  process: Process;
  /** host pid of the container's first process */
  pid: number;
  /** its start time (field 22 of /proc/PID/stat): the interpreter refuses a reused pid */
  pidStart?: string;
  cgroupsPath: string;
  facts: HostFacts;
  detach: boolean;
  consoleSocket?: string;
  pidFile?: string;
  reportFd?: number;
  preserveFds?: number;
  /** where berth-exec keeps compiled seccomp filters */
  seccompCache?: string;
}

export function compileExec(opts: ExecOptions): Plan {
  const proc = opts.process;
  refuseUnsupported(proc);
  if (proc.terminal && !opts.consoleSocket && opts.detach) {
    throw invalidArgument('a detached terminal process needs --console-socket');
  }
  const namespaces = opts.spec.linux?.namespaces ?? [];
  const nsPath = (type: keyof typeof NS_NAME, path?: string) =>
    path || `/proc/${opts.pid}/ns/${NS_NAME[type]}`;

  // the cgroup files are opened on the host side, before any namespace is joined
  const join = joinSteps(opts.facts.cgroup, cgroupDirs(opts.facts.cgroup, opts.cgroupsPath));
  const pre: PreStep[] = [];
  if (opts.reportFd !== undefined) pre.push({ op: 'report', fd: opts.reportFd });
  pre.push(...consoleSteps(proc.terminal === true, opts.consoleSocket), ...join.pre);
  if (opts.pidStart) pre.push({ op: 'pin-pid', pid: opts.pid, start: opts.pidStart });
  const child: ChildStep[] = [...join.child, { op: 'sync' }];
  for (const type of JOIN_ORDER) {
    const ns = namespaces.find((n) => n.type === type);
    if (!ns || type === 'time') continue;
    const step = { op: 'setns' as const, path: nsPath(type, ns.path), type: NS_NAME[type] };
    if (type === 'mount') child.push(step);
    else pre.push(step);
  }
  pre.push({ op: 'clone', flags: [], ...(join.cloneInto ? { cgroup: join.cloneInto } : {}) });

  const parent: ParentStep[] = [];
  parent.push({ op: 'sync' }, { op: 'sync' });
  // its own session, so that a terminal can become its controlling tty
  child.push({ op: 'setsid' });
  child.push(
    ...processSteps(proc, {
      facts: opts.facts,
      seccomp: opts.spec.linux?.seccomp,
      seccompCache: opts.seccompCache,
      console: proc.terminal === true,
      preserveFds: opts.preserveFds ?? 0,
      ready: [{ op: 'sync' }],
      afterReady: [],
    }),
  );
  if (opts.pidFile) parent.push({ op: 'pidfile', path: opts.pidFile });
  parent.push({ op: 'report-pid' });
  if (!opts.detach) parent.push({ op: 'wait-child' });
  return { version: 1, pre, parent, child };
}
