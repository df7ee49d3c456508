// The plan: what src/plan compiles from an OCI spec plus host facts and what native/berth-exec
// performs. native/PLAN.md documents every operation; keep the two in step.

import type { RootfsPropagation } from '../spec/oci.ts';

export const PLAN_VERSION = 1;

export type Namespace = 'user' | 'mnt' | 'pid' | 'net' | 'ipc' | 'uts' | 'cgroup' | 'time';

/** mount(2) propagation modes, spelled as OCI's rootfsPropagation. */
export type PropagationMode = RootfsPropagation;

export interface HookStep {
  op: 'hook';
  name: string;
  path: string;
  arg: string[];
  env: string[];
  timeout: number;
  'state-prefix': string;
  'state-suffix': string;
}

export type PreStep =
  | { op: 'report'; fd: number }
  | { op: 'cgroup-mkdir'; path: string }
  | { op: 'cgroup-write'; path: string; value: string }
  | { op: 'console-connect'; path: string }
  | { op: 'console-pair' }
  | { op: 'exec-fifo'; path: string }
  | { op: 'pin-pid'; pid: number; start: string }
  | { op: 'setns'; path: string; type: Namespace }
  | { op: 'cgroup-open'; path: string }
  | { op: 'clone'; flags: Namespace[]; cgroup?: string };

export type ParentStep =
  | { op: 'userns-map'; uid: string; gid: string; setgroups: 'deny' | 'allow' | '' }
  | { op: 'cgroup-join'; path: string }
  | { op: 'sync' }
  | HookStep
  | { op: 'pidfile'; path: string }
  | { op: 'report-pid' }
  | { op: 'wait-child' };

export type ChildStep =
  | { op: 'sync' }
  | { op: 'cgroup-enter' }
  | { op: 'setns'; path: string; type: Namespace }
  | { op: 'become-root' }
  | { op: 'setsid' }
  | { op: 'loopback' }
  | { op: 'hostname'; value: string }
  | { op: 'domainname'; value: string }
  | { op: 'propagate'; path: string; mode: PropagationMode }
  | {
      op: 'mount';
      root: string;
      dest: string;
      source: string;
      type: string;
      flags: string[];
      data: string;
      mkdir: 'dir' | 'file' | 'none';
    }
  | { op: 'remount'; root: string; dest: string; flags: string[] }
  | { op: 'setattr'; root: string; dest: string; flags: string[] }
  | {
      op: 'mknod';
      root: string;
      dest: string;
      kind: 'c' | 'b' | 'p';
      mode: string;
      major: number;
      minor: number;
      uid: number;
      gid: number;
    }
  | { op: 'symlink'; root: string; dest: string; target: string }
  | { op: 'pivot-root'; path: string; mode: 'pivot' | 'move' }
  | { op: 'mask'; path: string }
  | { op: 'readonly'; path: string }
  | { op: 'remount-root-ro' }
  | { op: 'sysctl'; key: string; value: string }
  | { op: 'rlimit'; resource: string; soft: string; hard: string }
  | { op: 'oom-score-adj'; value: number }
  | { op: 'umask'; value: string }
  | { op: 'chdir'; path: string }
  | { op: 'console-pty'; rows: number; cols: number }
  | { op: 'close-fds'; keep: number }
  | { op: 'wait-start' }
  | HookStep
  | { op: 'caps-bounding'; keep: string }
  | { op: 'user'; uid: number; gid: number; group: number[]; setgroups: 0 | 1 }
  | { op: 'caps'; effective: string; permitted: string; inheritable: string; ambient: string }
  | { op: 'no-new-privs' }
  | {
      op: 'seccomp';
      'default-action': string;
      'default-errno': number;
      arch: string[];
      flag: string[];
      /** a root-owned directory where compiled filters are kept */
      cache?: string;
    }
  | { op: 'seccomp-rule'; action: string; errno: number; name: string[]; arg: string[] }
  | { op: 'seccomp-load' }
  | { op: 'check-exec'; arg: string[]; env: string[] }
  | { op: 'exec'; arg: string[]; env: string[] };

export interface Plan {
  version: typeof PLAN_VERSION;
  pre: PreStep[];
  parent: ParentStep[];
  child: ChildStep[];
}

export type AnyStep = PreStep | ParentStep | ChildStep;
