// Docker's defaults as data: what dockerd puts in config.json for `docker run IMAGE CMD` (moby
// daemon/pkg/oci/defaults.go and daemon/oci_linux.go, Docker 25-28), plus the implicit defaults an
// OCI runtime adds on top (the /dev nodes and device cgroup rules runc creates for every
// container). `dockerSpec` assembles the complete spec from plain inputs; everything the host must
// be asked about (kernel, arch, cap_last_cap, host devices …) comes in as data.

import { invalidArgument } from '../../common/errors.ts';
import {
  ALL_CAPABILITIES,
  CAP_LAST_KNOWN,
  capabilitiesUpTo,
  capNumber,
  isCapability,
  normalizeCap,
} from '../capabilities.ts';
import type {
  LinuxDevice,
  LinuxDeviceCgroup,
  LinuxIDMapping,
  LinuxNamespace,
  LinuxResources,
  LinuxSeccomp,
  Mount,
  POSIXRlimit,
  Spec,
} from '../oci.ts';
import { OCI_VERSION } from '../oci.ts';
import { type KernelVersion, resolveCustomSeccomp, resolveDockerSeccomp } from './seccomp.ts';

// ---- tables ---------------------------------------------------------------------------------

/** The 14 capabilities a container gets unless told otherwise, in Docker's order. */
export const DOCKER_DEFAULT_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
]);

/** PATH set for every container before the image's and the user's variables are applied. */
export const DEFAULT_PATH_ENV = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Paths hidden from unprivileged containers (a file under /dev/null, a directory under an empty ro tmpfs). */
export const DEFAULT_MASKED_PATHS: readonly string[] = Object.freeze([
  '/proc/acpi',
  '/proc/asound',
  '/proc/interrupts',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/sys/devices/virtual/powercap',
  '/sys/firmware',
]);

/**
 * Docker also masks /sys/devices/system/cpu/cpuN/thermal_throttle for every possible CPU whose
 * directory exists on the host; the caller finds those CPUs and passes them as `thermalThrottleCpus`.
 */
export const thermalThrottlePath = (cpu: number) => `/sys/devices/system/cpu/cpu${cpu}/thermal_throttle`;

/** Paths made read-only in unprivileged containers. */
export const DEFAULT_READONLY_PATHS: readonly string[] = Object.freeze([
  '/proc/bus',
  '/proc/fs',
  '/proc/irq',
  '/proc/sys',
  '/proc/sysrq-trigger',
]);

/** `--shm-size` default: 64 MiB. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

export const DEFAULT_APPARMOR_PROFILE = 'docker-default';

/** The mounts every container starts with (before /dev/shm gets its size). Fresh copies. */
export function defaultMounts(): Mount[] {
  const m = (destination: string, type: string, source: string, options: string[]): Mount => ({
    destination,
    type,
    source,
    options,
  });
  return [
    m('/proc', 'proc', 'proc', ['nosuid', 'noexec', 'nodev']),
    m('/dev', 'tmpfs', 'tmpfs', ['nosuid', 'strictatime', 'mode=755', 'size=65536k']),
    m('/dev/pts', 'devpts', 'devpts', [
      'nosuid',
      'noexec',
      'newinstance',
      'ptmxmode=0666',
      'mode=0620',
      'gid=5',
    ]),
    m('/sys', 'sysfs', 'sysfs', ['nosuid', 'noexec', 'nodev', 'ro']),
    m('/sys/fs/cgroup', 'cgroup', 'cgroup', ['ro', 'nosuid', 'noexec', 'nodev']),
    m('/dev/mqueue', 'mqueue', 'mqueue', ['nosuid', 'noexec', 'nodev']),
    m('/dev/shm', 'tmpfs', 'shm', ['nosuid', 'noexec', 'nodev', 'mode=1777']),
  ];
}

const dev = (path: string, major: number, minor: number): LinuxDevice => ({
  path,
  type: 'c',
  major,
  minor,
  fileMode: 0o666,
  uid: 0,
  gid: 0,
});

/**
 * The device nodes an OCI runtime creates in every container's /dev whatever `linux.devices`
 * says (runtime-spec "Default Devices"). dockerd leaves `linux.devices` empty and relies on them.
 * /dev/console (5:1) is not a node: with a terminal the runtime bind-mounts the pty slave there.
 */
export const OCI_DEFAULT_DEVICES: readonly LinuxDevice[] = Object.freeze([
  dev('/dev/null', 1, 3),
  dev('/dev/zero', 1, 5),
  dev('/dev/full', 1, 7),
  dev('/dev/random', 1, 8),
  dev('/dev/urandom', 1, 9),
  dev('/dev/tty', 5, 0),
]);

/** Symlinks runc makes in /dev: [target, link]. /dev/core only where /proc/kcore exists. */
export const DEV_SYMLINKS: ReadonlyArray<readonly [target: string, link: string]> = Object.freeze([
  ['/proc/self/fd', '/dev/fd'],
  ['/proc/self/fd/0', '/dev/stdin'],
  ['/proc/self/fd/1', '/dev/stdout'],
  ['/proc/self/fd/2', '/dev/stderr'],
  ['pts/ptmx', '/dev/ptmx'],
  ['/proc/kcore', '/dev/core'],
]);

const rule = (allow: boolean, type: 'a' | 'c' | 'b', major?: number, minor?: number, access = 'rwm') => {
  const r: LinuxDeviceCgroup = { allow, type, access };
  if (major !== undefined) r.major = major;
  if (minor !== undefined) r.minor = minor;
  return r;
};

/**
 * The device cgroup rules dockerd writes into config.json: deny everything, allow the default
 * character devices (zero, null, urandom, random, tty, console), and deny fuse (10:229) explicitly.
 */
export function dockerDeviceCgroupRules(): LinuxDeviceCgroup[] {
  return [
    { allow: false, access: 'rwm' },
    rule(true, 'c', 1, 5),
    rule(true, 'c', 1, 3),
    rule(true, 'c', 1, 9),
    rule(true, 'c', 1, 8),
    rule(true, 'c', 5, 0),
    rule(true, 'c', 5, 1),
    rule(false, 'c', 10, 229),
  ];
}

/**
 * The rules runc allows on top of any spec (its AllowedDevices): mknod of any device, the default
 * nodes, /dev/pts/* (136:*), /dev/ptmx (5:2) and /dev/net/tun (10:200). A runtime that behaves
 * like runc applies these before the spec's own rules; a major/minor of undefined means "any".
 */
export function runtimeDefaultDeviceRules(): LinuxDeviceCgroup[] {
  return [
    rule(true, 'c', undefined, undefined, 'm'),
    rule(true, 'b', undefined, undefined, 'm'),
    rule(true, 'c', 1, 3),
    rule(true, 'c', 1, 8),
    rule(true, 'c', 1, 7),
    rule(true, 'c', 5, 0),
    rule(true, 'c', 1, 5),
    rule(true, 'c', 1, 9),
    rule(true, 'c', 136),
    rule(true, 'c', 5, 2),
    rule(true, 'c', 10, 200),
  ];
}

// ---- capabilities and environment -------------------------------------------------------------

/** Normalized names; like dockerd, a capability the host kernel does not know is an error. */
function normalizeCapList(names: readonly string[], lastCap: number): string[] {
  return names.map((n) => {
    if (n.trim().toUpperCase() === 'ALL') return 'ALL';
    const c = normalizeCap(n);
    if (!isCapability(c) || capNumber(c) > lastCap) throw invalidArgument(`unknown capability: "${c}"`);
    return c;
  });
}

/**
 * The container's capability set from `--cap-add`/`--cap-drop`/`--privileged`, as dockerd
 * computes it: privileged gets every capability the host knows (0..lastCap); `--cap-add ALL`
 * gets every capability minus the drops; `--cap-drop ALL` gets exactly the adds; otherwise the
 * defaults minus the drops plus the adds. Names are accepted in any case with or without `CAP_`.
 */
export function tweakCapabilities(
  opts: {
    capAdd?: readonly string[];
    capDrop?: readonly string[];
    privileged?: boolean;
    heldCapabilities?: readonly string[];
  },
  lastCap: number = CAP_LAST_KNOWN,
): string[] {
  const known = capabilitiesUpTo(Math.min(lastCap, ALL_CAPABILITIES.length - 1));
  const all = opts.heldCapabilities ? known.filter((c) => opts.heldCapabilities!.includes(c)) : known;
  if (opts.privileged) return all;
  const adds = normalizeCapList(opts.capAdd ?? [], lastCap);
  const drops = normalizeCapList(opts.capDrop ?? [], lastCap);
  let caps: string[];
  if (adds.includes('ALL')) caps = all.filter((c) => !drops.includes(c));
  else if (drops.includes('ALL')) caps = adds;
  else caps = [...DOCKER_DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c)), ...adds];
  return [...new Set(caps)];
}

const envKey = (kv: string) => {
  const i = kv.indexOf('=');
  return i < 0 ? kv : kv.slice(0, i);
};

/**
 * The process environment dockerd builds: PATH, HOSTNAME and (with a tty) TERM=xterm first, then
 * `env` (the image's variables followed by `-e` ones) replacing same-named entries in place or
 * appended in order; an entry without `=` unsets the variable.
 */
export function dockerEnv(
  env: readonly string[],
  opts: { hostname?: string; terminal?: boolean } = {},
): string[] {
  const out = [`PATH=${DEFAULT_PATH_ENV}`, `HOSTNAME=${opts.hostname ?? ''}`];
  if (opts.terminal) out.push('TERM=xterm');
  for (const kv of env) {
    const key = envKey(kv);
    const at = out.findIndex((e) => envKey(e) === key);
    if (!kv.includes('=')) {
      if (at >= 0) out.splice(at, 1);
    } else if (at >= 0) out[at] = kv;
    else out.push(kv);
  }
  return out;
}

// ---- the whole spec ---------------------------------------------------------------------------

/** A namespace: a new one, the host's (none created), or joining the one at `path`. */
export type NamespaceMode = 'private' | 'host' | { path: string };

export interface DockerSpecOptions {
  /** Root filesystem path (absolute, or relative to the bundle). */
  rootfs: string;
  /** Entrypoint + command, already resolved. */
  args: string[];
  /** The image's Env followed by `-e` values. */
  env?: string[];
  /** WorkingDir; `/` when empty. */
  cwd?: string;
  hostname?: string;
  domainname?: string;
  /** Resolved numeric user; additionalGids are the user's supplementary groups plus `--group-add`. */
  user?: { uid: number; gid: number; additionalGids?: number[] };
  terminal?: boolean;
  readonlyRootfs?: boolean;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  namespaces?: {
    pid?: NamespaceMode;
    network?: NamespaceMode;
    /** `none`: a private IPC namespace without /dev/shm. */
    ipc?: NamespaceMode | 'none';
    uts?: 'private' | 'host';
    /** Docker's default: private on cgroup v2 hosts, host on v1. */
    cgroup?: 'private' | 'host';
    /** `host` (default) or a private user namespace with these mappings. */
    user?: 'host' | { uidMappings: LinuxIDMapping[]; gidMappings: LinuxIDMapping[] };
  };
  /** Host directory bind-mounted at /dev/shm when IPC is the host's or another container's. */
  shmPath?: string;
  /** Bytes, default 64 MiB. */
  shmSize?: number;
  cgroupVersion?: 1 | 2;
  cgroupsPath?: string;
  /** memory, cpu, pids, blockIO … (device rules are computed here and merged with deviceCgroupRules). */
  resources?: Omit<LinuxResources, 'devices'>;
  /** `--device` nodes and `--device-cgroup-rule` rules. */
  devices?: LinuxDevice[];
  deviceCgroupRules?: LinuxDeviceCgroup[];
  /** Every device node of the host, for privileged containers (gathered by the caller). */
  hostDevices?: LinuxDevice[];
  /** default: Docker's profile; unconfined: none; or a Docker-format profile (JSON text or value). */
  seccomp?: 'default' | 'unconfined' | { profile: unknown };
  noNewPrivileges?: boolean;
  /** Host architecture in Go naming (amd64, arm64 …) and kernel version, for seccomp and sysctls. */
  arch: string;
  kernel: KernelVersion;
  /** /proc/sys/kernel/cap_last_cap; default 40. */
  capLastCap?: number;
  /**
   * The capabilities the engine itself holds: what "all" means for --privileged and
   * --cap-add ALL (as dockerd), since no process can grant more. Default: every one up to capLastCap.
   */
  heldCapabilities?: readonly string[];
  /** Extra mounts (volumes, binds, tmpfs, /etc/hosts …); they override default mounts by destination. */
  mounts?: Mount[];
  sysctl?: Record<string, string>;
  rlimits?: POSIXRlimit[];
  oomScoreAdj?: number;
  /** The host has AppArmor: set `apparmorProfile` (default docker-default, unconfined if privileged). */
  apparmor?: boolean;
  apparmorProfile?: string;
  annotations?: Record<string, string>;
  /** CPUs whose thermal_throttle directory exists on the host. */
  thermalThrottleCpus?: number[];
}

const depth = (p: string) => p.split('/').filter((s) => s !== '').length;

function namespaces(o: DockerSpecOptions): { list: LinuxNamespace[]; userns: boolean } {
  const ns = o.namespaces ?? {};
  const list: LinuxNamespace[] = [{ type: 'mount' }];
  const add = (type: LinuxNamespace['type'], mode: NamespaceMode | 'none' | undefined) => {
    if (mode === 'host') return;
    list.push(typeof mode === 'object' ? { type, path: mode.path } : { type });
  };
  add('network', ns.network);
  add('uts', ns.uts);
  add('pid', ns.pid);
  add('ipc', ns.ipc);
  const userns = typeof ns.user === 'object';
  if (userns) list.push({ type: 'user' });
  const cgroup = ns.cgroup ?? (o.cgroupVersion === 2 ? 'private' : 'host');
  if (cgroup === 'private') list.push({ type: 'cgroup' });
  return { list, userns };
}

function mounts(o: DockerSpecOptions, userns: boolean): Mount[] {
  const ipc = o.namespaces?.ipc ?? 'private';
  const extra = [...(o.mounts ?? [])];
  if (ipc === 'host' || typeof ipc === 'object') {
    if (ipc === 'host' || o.shmPath) {
      extra.push({
        destination: '/dev/shm',
        type: 'bind',
        source: o.shmPath ?? '/dev/shm',
        options: ['rbind', 'rprivate'],
      });
    }
  }
  // Stable sort by depth, so /a is mounted before /a/b.
  const user = extra
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i);
  const userDest = new Set(user.map((u) => u.m.destination));
  const devMounted = userDest.has('/dev');
  const out: Mount[] = [];
  for (const m of defaultMounts()) {
    if (userDest.has(m.destination)) continue;
    if (devMounted && m.destination.startsWith('/dev/')) continue;
    if (m.destination === '/dev/shm') {
      if (ipc === 'none') continue;
      m.options!.push(`size=${o.shmSize ?? DEFAULT_SHM_SIZE}`);
    }
    if (
      o.readonlyRootfs &&
      !['/proc', '/dev/pts', '/dev/shm', '/dev/mqueue', '/dev'].includes(m.destination)
    ) {
      if (!m.options!.includes('ro')) m.options!.push('ro');
    }
    out.push(m);
  }
  out.push(...user.map((u) => u.m));
  const clearRo = (m: Mount) => {
    m.options = m.options?.filter((x) => x !== 'ro');
  };
  for (const m of out) {
    if (o.privileged && m.destination === '/sys' && !userDest.has('/sys')) clearRo(m);
    if ((o.privileged || userns) && m.type === 'cgroup') clearRo(m);
  }
  return out;
}

function sysctls(o: DockerSpecOptions, userns: boolean): Record<string, string> {
  const out: Record<string, string> = {};
  const net = o.namespaces?.network ?? 'private';
  if (net === 'private') {
    // Ping sockets for everyone (no CAP_NET_RAW needed), except inside a user namespace.
    if (!userns) out['net.ipv4.ping_group_range'] = '0 2147483647';
    // Any port below 1024 without CAP_NET_BIND_SERVICE; the sysctl exists from Linux 4.11.
    if (o.kernel.major > 4 || (o.kernel.major === 4 && o.kernel.minor >= 11)) {
      out['net.ipv4.ip_unprivileged_port_start'] = '0';
    }
  }
  return { ...out, ...o.sysctl };
}

function seccompFor(o: DockerSpecOptions, bounding: string[]): LinuxSeccomp | undefined {
  const choice = o.seccomp ?? 'default';
  if (o.privileged || choice === 'unconfined') return undefined;
  const ctx = { capabilities: bounding, arch: o.arch, kernel: o.kernel };
  return choice === 'default' ? resolveDockerSeccomp(ctx) : resolveCustomSeccomp(choice.profile, ctx);
}

/**
 * The OCI spec dockerd hands the runtime for `docker run` with these settings. Privileged
 * containers get every capability, no seccomp filter, no masked or read-only paths, a writable
 * /sys and cgroup mount, the host's devices and an allow-all device cgroup.
 */
export function dockerSpec(o: DockerSpecOptions): Spec {
  if (o.args.length === 0) throw invalidArgument('no command specified');
  const lastCap = o.capLastCap ?? CAP_LAST_KNOWN;
  const caps = tweakCapabilities(o, lastCap);
  const { list: nsList, userns } = namespaces(o);
  const utsHost = o.namespaces?.uts === 'host';
  const user = o.user ?? { uid: 0, gid: 0 };

  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: o.terminal ?? false,
      user: { uid: user.uid, gid: user.gid, additionalGids: [user.gid, ...(user.additionalGids ?? [])] },
      args: [...o.args],
      env: dockerEnv(o.env ?? [], { hostname: o.hostname, terminal: o.terminal }),
      cwd: o.cwd || '/',
      capabilities: { bounding: [...caps], effective: [...caps], permitted: [...caps] },
      oomScoreAdj: o.oomScoreAdj ?? 0,
    },
    root: o.readonlyRootfs ? { path: o.rootfs, readonly: true } : { path: o.rootfs },
    mounts: mounts(o, userns),
    linux: {
      sysctl: sysctls(o, userns),
      resources: { ...structuredClone(o.resources ?? {}) },
      namespaces: nsList,
    },
  };
  const proc = spec.process!;
  const linux = spec.linux!;
  if (o.noNewPrivileges) proc.noNewPrivileges = true;
  if (o.rlimits && o.rlimits.length > 0) proc.rlimits = o.rlimits.map((r) => ({ ...r }));
  if (o.apparmor)
    proc.apparmorProfile = o.apparmorProfile ?? (o.privileged ? 'unconfined' : DEFAULT_APPARMOR_PROFILE);
  if (!utsHost && o.hostname) spec.hostname = o.hostname;
  if (!utsHost && o.domainname) spec.domainname = o.domainname;
  if (o.annotations && Object.keys(o.annotations).length > 0) spec.annotations = { ...o.annotations };
  if (o.cgroupsPath) linux.cgroupsPath = o.cgroupsPath;
  if (typeof o.namespaces?.user === 'object') {
    linux.uidMappings = o.namespaces.user.uidMappings.map((m) => ({ ...m }));
    linux.gidMappings = o.namespaces.user.gidMappings.map((m) => ({ ...m }));
  }

  if (o.privileged) {
    linux.devices = [...(o.hostDevices ?? []), ...(o.devices ?? [])].map((d) => ({ ...d }));
    linux.resources!.devices = [{ allow: true, access: 'rwm' }];
  } else {
    linux.devices = (o.devices ?? []).map((d) => ({ ...d }));
    linux.resources!.devices = [
      ...dockerDeviceCgroupRules(),
      ...(o.deviceCgroupRules ?? []).map((r) => ({ ...r })),
    ];
    linux.maskedPaths = [...DEFAULT_MASKED_PATHS, ...(o.thermalThrottleCpus ?? []).map(thermalThrottlePath)];
    linux.readonlyPaths = [...DEFAULT_READONLY_PATHS];
  }
  const seccomp = seccompFor(o, caps);
  if (seccomp) linux.seccomp = seccomp;
  return spec;
}
