// OCI spec + host facts -> the plan that creates a container (native/PLAN.md). Pure: whatever
// needs a look at the host (bind-source kinds, cgroup files) arrives in the options.

import { posix } from 'node:path';
import { invalidArgument, notImplemented } from '../common/errors.ts';
import type { LinuxNamespaceType, Spec } from '../spec/oci.ts';
import { joinSteps } from './cgroup-join.ts';
import { planCgroup } from './cgroups.ts';
import { DEFAULT_DEVICE_RULES, deviceSteps, needsDevSetup } from './devices.ts';
import type { HostFacts } from './facts.ts';
import { hookSteps, type StateInfo } from './hooks.ts';
import { mountSteps, propagationSteps } from './mounts.ts';
import { processSteps, refuseUnsupported } from './process.ts';
import type { ChildStep, Namespace, ParentStep, Plan, PreStep } from './types.ts';

export const NS_NAME: Record<LinuxNamespaceType, Namespace> = {
  user: 'user',
  mount: 'mnt',
  pid: 'pid',
  network: 'net',
  ipc: 'ipc',
  uts: 'uts',
  cgroup: 'cgroup',
  time: 'time',
};
/** setns order: the user namespace first, the mount namespace last (it changes what paths mean). */
export const JOIN_ORDER: LinuxNamespaceType[] = [
  'user',
  'ipc',
  'uts',
  'network',
  'pid',
  'cgroup',
  'time',
  'mount',
];

export interface CreateOptions {
  id: string;
  /** absolute bundle directory; root.path is relative to it */
  bundle: string;
  spec: Spec;
  facts: HostFacts;
  /** `create`: the process waits on this fifo until `start`. Absent: it runs at once. */
  execFifo?: string;
  /** `run` in the foreground: the interpreter waits for the container and exits with its status */
  foreground?: boolean;
  consoleSocket?: string;
  pidFile?: string;
  reportFd?: number;
  noPivot?: boolean;
  preserveFds?: number;
  /** the kind of each bind-mount source (the planner cannot stat); missing ones are refused */
  sources?: Record<string, 'dir' | 'file'>;
  /** where berth-exec keeps compiled seccomp filters */
  seccompCache?: string;
  /** used when linux.cgroupsPath is empty */
  defaultCgroupsPath?: string;
}

/**
 * A terminal goes to the console socket when there is one; otherwise (a foreground run or
 * exec) the interpreter keeps the master and relays it to its own stdio (`wait-child`).
 */
export function consoleSteps(terminal: boolean, socket: string | undefined): PreStep[] {
  if (!terminal) return [];
  return socket ? [{ op: 'console-connect', path: socket }] : [{ op: 'console-pair' }];
}

export function cgroupsPathOf(spec: Spec, id: string, fallback?: string): string {
  return spec.linux?.cgroupsPath || fallback || `/berth/${id}`;
}

function idMap(maps: { containerID: number; hostID: number; size: number }[] | undefined): string {
  return (maps ?? []).map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

const NET_SYSCTL = /^net\./;
const IPC_SYSCTL = /^(kernel\.(msgmax|msgmnb|msgmni|sem|shmall|shmmax|shmmni|shm_rmid_forced)|fs\.mqueue\.)/;

function checkSysctls(spec: Spec, newNs: Set<LinuxNamespaceType>): void {
  for (const key of Object.keys(spec.linux?.sysctl ?? {})) {
    if (NET_SYSCTL.test(key) && !newNs.has('network') && !joined(spec, 'network')) {
      throw invalidArgument(`linux.sysctl: ${key} needs a network namespace of the container's own`);
    }
    if (IPC_SYSCTL.test(key) && !newNs.has('ipc') && !joined(spec, 'ipc')) {
      throw invalidArgument(`linux.sysctl: ${key} needs an IPC namespace of the container's own`);
    }
    if ((key === 'kernel.hostname' || key === 'kernel.domainname') && !newNs.has('uts')) {
      throw invalidArgument(`linux.sysctl: ${key} needs a UTS namespace of the container's own`);
    }
    if (!NET_SYSCTL.test(key) && !IPC_SYSCTL.test(key) && !/^kernel\.(hostname|domainname)$/.test(key)) {
      throw invalidArgument(`linux.sysctl: ${key} is not namespaced and cannot be set for a container`);
    }
  }
}

function joined(spec: Spec, type: LinuxNamespaceType): boolean {
  return (spec.linux?.namespaces ?? []).some((n) => n.type === type && n.path);
}

export function compileCreate(opts: CreateOptions): Plan {
  const { spec, facts } = opts;
  const proc = spec.process;
  if (!proc) throw invalidArgument('config.json: process is required');
  if (!spec.root?.path) throw invalidArgument('config.json: root.path is required');
  refuseUnsupported(proc);
  const linux = spec.linux ?? {};
  if (linux.personality) throw notImplemented('linux.personality is not supported');
  if (linux.intelRdt) throw notImplemented('linux.intelRdt is not supported');
  if (linux.timeOffsets) throw notImplemented('linux.timeOffsets is not supported');
  if (proc.terminal && !opts.consoleSocket && !opts.foreground) {
    throw invalidArgument('a terminal container needs --console-socket unless it runs in the foreground');
  }

  const rootfs = posix.resolve(opts.bundle, spec.root.path);
  const namespaces = linux.namespaces ?? [];
  const newNs = new Set(namespaces.filter((n) => !n.path).map((n) => n.type));
  const userns = newNs.has('user');
  if (!newNs.has('mount') && !joined(spec, 'mount')) {
    throw invalidArgument('linux.namespaces must include a mount namespace');
  }
  if (userns && (!linux.uidMappings?.length || !linux.gidMappings?.length)) {
    throw invalidArgument('a user namespace needs linux.uidMappings and linux.gidMappings');
  }
  if ((spec.hostname || spec.domainname) && !newNs.has('uts')) {
    throw invalidArgument("setting the hostname needs a UTS namespace of the container's own");
  }
  checkSysctls(spec, newNs);

  const cgroupsPath = cgroupsPathOf(spec, opts.id, opts.defaultCgroupsPath);
  const resources = linux.resources?.devices
    ? { ...linux.resources, devices: [...linux.resources.devices, ...DEFAULT_DEVICE_RULES] }
    : linux.resources;
  const cgroup = planCgroup(facts.cgroup, cgroupsPath, resources, facts.cgroupFeatures);
  const info: StateInfo = {
    id: opts.id,
    bundle: opts.bundle,
    ociVersion: spec.ociVersion,
    annotations: spec.annotations,
  };

  // @pre: report fd, console, fifo, cgroups, joined namespaces, clone.
  const pre: PreStep[] = [];
  if (opts.reportFd !== undefined) pre.push({ op: 'report', fd: opts.reportFd });
  pre.push(...consoleSteps(proc.terminal === true, opts.consoleSocket));
  if (opts.execFifo) pre.push({ op: 'exec-fifo', path: opts.execFifo });
  for (const path of cgroup.mkdirs) pre.push({ op: 'cgroup-mkdir', path });
  for (const w of cgroup.writes) pre.push({ op: 'cgroup-write', path: w.path, value: w.value });
  const joins = JOIN_ORDER.flatMap((type) => namespaces.filter((n) => n.type === type && n.path));
  for (const ns of joins) {
    if (ns.type !== 'mount') pre.push({ op: 'setns', path: ns.path!, type: NS_NAME[ns.type] });
  }
  const join = joinSteps(facts.cgroup, cgroup.mkdirs);
  pre.push(...join.pre);
  pre.push({
    op: 'clone',
    flags: [...newNs].map((t) => NS_NAME[t]).sort(),
    ...(join.cloneInto ? { cgroup: join.cloneInto } : {}),
  });

  // @parent and @child, in step with each other through sync.
  const parent: ParentStep[] = [];
  const child: ChildStep[] = [];
  if (userns) {
    parent.push({
      op: 'userns-map',
      uid: idMap(linux.uidMappings),
      gid: idMap(linux.gidMappings),
      setgroups: '',
    });
  }
  parent.push({ op: 'sync' });
  child.push(...join.child, { op: 'sync' });
  const mntJoin = joins.find((n) => n.type === 'mount');
  if (mntJoin) child.push({ op: 'setns', path: mntJoin.path!, type: 'mnt' });
  if (userns) child.push({ op: 'become-root' });
  child.push({ op: 'setsid' });
  if (newNs.has('network')) child.push({ op: 'loopback' });
  if (spec.hostname) child.push({ op: 'hostname', value: spec.hostname });
  if (spec.domainname) child.push({ op: 'domainname', value: spec.domainname });

  const requested = linux.rootfsPropagation;
  const shared = requested === 'shared' || requested === 'rshared';
  child.push({ op: 'propagate', path: '/', mode: requested && !shared ? requested : 'rslave' });
  child.push({
    op: 'mount',
    root: '',
    dest: rootfs,
    source: rootfs,
    type: '',
    flags: ['bind', 'rec'],
    data: '',
    mkdir: 'none',
  });
  const mounts = spec.mounts ?? [];
  child.push(...mountSteps(mounts, { rootfs, facts, cgroupsPath, sources: opts.sources ?? {}, userns }));
  if (needsDevSetup(mounts)) child.push(...deviceSteps(linux.devices ?? [], { rootfs, userns, mounts }));

  const createRuntime = [
    ...hookSteps(spec, 'prestart', info, 'created'),
    ...hookSteps(spec, 'createRuntime', info, 'created'),
  ];
  if (createRuntime.length > 0) {
    parent.push({ op: 'sync' }, ...createRuntime, { op: 'sync' });
    child.push({ op: 'sync' }, { op: 'sync' });
  }
  child.push(...hookSteps(spec, 'createContainer', info, 'created'));
  child.push({ op: 'pivot-root', path: rootfs, mode: opts.noPivot ? 'move' : 'pivot' });
  child.push(...propagationSteps(mounts));
  for (const [key, value] of Object.entries(linux.sysctl ?? {})) child.push({ op: 'sysctl', key, value });
  for (const path of linux.maskedPaths ?? []) child.push({ op: 'mask', path });
  for (const path of linux.readonlyPaths ?? []) child.push({ op: 'readonly', path });
  if (spec.root.readonly) child.push({ op: 'remount-root-ro' });
  if (shared) child.push({ op: 'propagate', path: '/', mode: requested });

  parent.push({ op: 'sync' });
  const afterReady: ChildStep[] = [];
  if (opts.execFifo) afterReady.push({ op: 'wait-start' });
  afterReady.push(...hookSteps(spec, 'startContainer', info, 'running'));
  child.push(
    ...processSteps(proc, {
      facts,
      seccomp: linux.seccomp,
      seccompCache: opts.seccompCache,
      console: proc.terminal === true,
      preserveFds: opts.preserveFds ?? 0,
      ready: [{ op: 'sync' }],
      afterReady,
    }),
  );
  if (opts.pidFile) parent.push({ op: 'pidfile', path: opts.pidFile });
  parent.push({ op: 'report-pid' });
  if (opts.foreground) parent.push({ op: 'wait-child' });
  return { version: 1, pre, parent, child };
}
