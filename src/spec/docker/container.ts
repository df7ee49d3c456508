// A Docker Engine API container (create body + image config) turned into the OCI runtime spec
// dockerd would hand its runtime (moby daemon/oci_linux.go createSpec), on top of Docker's
// defaults from defaults.ts. Pure: everything about the host (cgroup version, devices, the init
// binary, namespace paths of other containers, per-container files) comes in as data.
//
// The engine's sequence: validateCreate(body Config, HostConfig) at create, and store
// mergeImageConfig(Config, image) and adaptHostConfig(HostConfig); at start, resolveUser() on the
// root filesystem's /etc/passwd and /etc/group, gather the facts, then containerSpec().

import { conflict, internal, invalidArgument, notImplemented } from '../../common/errors.ts';
import type { LinuxDevice, LinuxDeviceCgroup, LinuxResources, Mount as OciMount, Spec } from '../oci.ts';
import type { ContainerConfig, HealthConfig, HostConfig, ImageRunConfig, StrSlice, Ulimit } from './api.ts';
import { containerMountPoints, ociMount, rejectVolumes, rootfsPropagationFor } from './container-mounts.ts';
import type { ResolvedUser } from './container-user.ts';
import {
  containerRef,
  parseDeviceCgroupRule,
  parseNetworkMode,
  parseSecurityOpt,
  ulimitsToRlimits,
} from './container-validate.ts';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  DEFAULT_SHM_SIZE,
  type DockerSpecOptions,
  dockerSpec,
  type NamespaceMode,
} from './defaults.ts';
import type { KernelVersion } from './seccomp.ts';

export type * from './api.ts';
export {
  type BindSource,
  bindSources,
  containerMountPoints,
  type MountPoint,
  mergeTmpfsOptions,
  parseBind,
  parseMount,
} from './container-mounts.ts';
export { parseGroup, parsePasswd, type ResolvedUser, resolveUser } from './container-user.ts';
export {
  type CreateFacts,
  isIP,
  type NetworkModeKind,
  parseCpuList,
  parseDeviceCgroupRule,
  parseDeviceMapping,
  parseNetworkMode,
  parseSecurityOpt,
  RLIM_INFINITY,
  type SecurityOptions,
  ulimitsToRlimits,
  validateCreate,
  validateExtraHost,
  validatePortBindings,
} from './container-validate.ts';
export { parseSignal, SIGNALS, signalName } from './signal.ts';

/** Where `--init` puts the init binary in the container. */
export const INIT_PATH_IN_CONTAINER = '/sbin/docker-init';

/** The runtime berthd runs containers with (`docker info`'s DefaultRuntime). */
export const DEFAULT_RUNTIME = 'berth';

// ---- config merging ---------------------------------------------------------------------------

/** A StrSlice as a fresh list (one string is one element); null/undefined stay null. */
export function strSlice(v: StrSlice | undefined): string[] | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? [v] : [...v];
}

const envKey = (kv: string) => kv.split('=')[0];

function mergeHealthcheck(user: HealthConfig | null | undefined, image: HealthConfig | null | undefined) {
  if (!user) return image ?? undefined;
  if (!image) return user;
  const out: HealthConfig = { ...user };
  if ((strSlice(user.Test) ?? []).length === 0) out.Test = image.Test;
  if (!user.Interval) out.Interval = image.Interval;
  if (!user.Timeout) out.Timeout = image.Timeout;
  if (!user.StartPeriod) out.StartPeriod = image.StartPeriod;
  if (!user.StartInterval) out.StartInterval = image.StartInterval;
  if (!user.Retries) out.Retries = image.Retries;
  return out;
}

/**
 * The create request's Config merged with the image's, as dockerd stores it (runconfig merge):
 * User, WorkingDir, StopSignal from the image when not given; Env: the request's variables, then
 * the image's that the request does not set; Labels, ExposedPorts, Volumes: unions (request wins);
 * Entrypoint/Cmd: an Entrypoint given at create replaces the image's and drops the image's Cmd;
 * without one, the image's Entrypoint is kept, and its Cmd too unless Cmd is given. An Entrypoint
 * of `[""]` (`--entrypoint ""`) clears it, and is stored as `[]` so that merging again is a no-op.
 * Throws `no command specified` when nothing is left to run.
 */
export function mergeImageConfig(
  config: ContainerConfig,
  image: ImageRunConfig | undefined,
): ContainerConfig {
  const img = image ?? {};
  const out: ContainerConfig = { ...config };
  let entrypoint = strSlice(config.Entrypoint);
  let cmd = strSlice(config.Cmd);
  if (!entrypoint || entrypoint.length === 0) {
    if (!cmd || cmd.length === 0) {
      cmd = strSlice(img.Cmd);
      if (img.ArgsEscaped !== undefined) out.ArgsEscaped = img.ArgsEscaped;
    }
    if (!entrypoint) entrypoint = strSlice(img.Entrypoint);
  }
  if (entrypoint?.length === 1 && entrypoint[0] === '') entrypoint = [];
  if ((entrypoint ?? []).length === 0 && (cmd ?? []).length === 0)
    throw invalidArgument('no command specified');
  out.Entrypoint = entrypoint;
  out.Cmd = cmd;

  if (!out.User) out.User = img.User ?? '';
  if (!out.WorkingDir) out.WorkingDir = img.WorkingDir ?? '';
  if (!out.StopSignal && img.StopSignal) out.StopSignal = img.StopSignal;
  const env = [...(config.Env ?? [])];
  const userKeys = new Set(env.map(envKey));
  for (const e of img.Env ?? []) if (!userKeys.has(envKey(e))) env.push(e);
  // null when neither sets any, as dockerd stores it
  out.Env = env.length > 0 || img.Env ? env : null;
  out.Labels = { ...(img.Labels ?? {}), ...(config.Labels ?? {}) };
  const exposed = { ...(img.ExposedPorts ?? {}), ...(config.ExposedPorts ?? {}) };
  if (Object.keys(exposed).length > 0) out.ExposedPorts = exposed;
  const volumes = { ...(config.Volumes ?? {}), ...(img.Volumes ?? {}) };
  out.Volumes = Object.keys(volumes).length > 0 ? volumes : null;
  const health = mergeHealthcheck(config.Healthcheck, img.Healthcheck);
  if (health) out.Healthcheck = health;
  return out;
}

/** What the container runs: Path (the first word) and Args, from a merged config. */
export function entrypointAndArgs(config: ContainerConfig): { path: string; args: string[] } {
  const all = [...(strSlice(config.Entrypoint) ?? []), ...(strSlice(config.Cmd) ?? [])];
  if (all.length === 0) throw invalidArgument('no command specified');
  return { path: all[0], args: all.slice(1) };
}

/**
 * The hostname dockerd gives a container created without one: the host's with `--network host`,
 * else the first 12 characters of its ID (with `container:<id>` networking the other
 * container's name replaces it at start; containerSpec does that from `facts.netns.hostname`).
 */
export function defaultHostname(
  id: string,
  hostConfig: HostConfig | null | undefined,
  hostHostname = '',
): string {
  return parseNetworkMode(hostConfig?.NetworkMode).kind === 'host' ? hostHostname : id.slice(0, 12);
}

/**
 * The HostConfig dockerd stores (adaptContainerSettings and the create handler's defaults):
 * ShmSize 64 MiB when 0, MemorySwap twice Memory when 0 (unless the host has no swap accounting:
 * -1), MemorySwappiness -1 and PidsLimit 0 or less stored as unset (null), IpcMode `private`,
 * CgroupnsMode from the cgroup version, OomKillDisable false, NetworkMode `default`, the default
 * log driver (json-file) and runtime, the default masked and read-only paths for an unprivileged
 * container that names none, and `label=disable` for a privileged one or one sharing the host's
 * IPC or PID namespace that names no security options.
 */
export function adaptHostConfig(
  hostConfig: HostConfig | null | undefined,
  facts: { cgroupVersion: 1 | 2; swapLimit?: boolean; runtime?: string },
): HostConfig {
  const hc: HostConfig = { ...(hostConfig ?? {}) };
  if (!hc.ShmSize) hc.ShmSize = DEFAULT_SHM_SIZE;
  const memory = hc.Memory ?? 0;
  if (memory > 0 && facts.swapLimit === false) hc.MemorySwap = -1;
  else if (memory > 0 && !hc.MemorySwap) hc.MemorySwap = memory * 2;
  if (hc.MemorySwappiness === -1) hc.MemorySwappiness = null;
  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null && hc.PidsLimit <= 0) hc.PidsLimit = null;
  if (!hc.IpcMode) hc.IpcMode = 'private';
  if (!hc.CgroupnsMode) hc.CgroupnsMode = facts.cgroupVersion === 2 ? 'private' : 'host';
  if (hc.OomKillDisable === undefined || hc.OomKillDisable === null) hc.OomKillDisable = false;
  if (!hc.NetworkMode) hc.NetworkMode = 'default';
  if (!hc.LogConfig?.Type) hc.LogConfig = { Type: 'json-file', Config: hc.LogConfig?.Config ?? {} };
  if (!hc.Runtime) hc.Runtime = facts.runtime ?? DEFAULT_RUNTIME;
  if (!hc.Privileged) {
    hc.MaskedPaths ??= [...DEFAULT_MASKED_PATHS];
    hc.ReadonlyPaths ??= [...DEFAULT_READONLY_PATHS];
  }
  if (
    (hc.SecurityOpt === undefined || hc.SecurityOpt === null) &&
    (hc.Privileged || hc.IpcMode === 'host' || hc.PidMode === 'host')
  )
    hc.SecurityOpt = ['label=disable'];
  return hc;
}

/**
 * `docker update` (POST /containers/{id}/update) as dockerd applies it to a container's
 * HostConfig (UpdateContainer): only resources and the restart policy change; a zero or empty
 * value leaves a field as it is; PidsLimit changes whenever given (0 or less: unlimited, stored
 * as 0). A memory limit above the current memory+swap limit needs a new swap limit too; the CPU
 * limits by quota and by count (`--cpus`) exclude each other; an --rm container keeps "no"
 * restart policy. Throws Conflict with dockerd's messages (the caller names the container).
 */
export function updateHostConfig(current: HostConfig, update: HostConfig): HostConfig {
  const next: HostConfig = { ...current };
  const set = (v: number | string | undefined | null) => v !== undefined && v !== null && v !== 0 && v !== '';
  const refuse = (message: string) => conflict(`Conflicting options: ${message}`);
  if ((update.NanoCpus ?? 0) > 0 && (current.CpuPeriod ?? 0) > 0)
    throw refuse('Nano CPUs cannot be updated as CPU Period has already been set');
  if ((update.NanoCpus ?? 0) > 0 && (current.CpuQuota ?? 0) > 0)
    throw refuse('Nano CPUs cannot be updated as CPU Quota has already been set');
  if ((update.CpuPeriod ?? 0) > 0 && (current.NanoCpus ?? 0) > 0)
    throw refuse('CPU Period cannot be updated as NanoCPUs has already been set');
  if ((update.CpuQuota ?? 0) > 0 && (current.NanoCpus ?? 0) > 0)
    throw refuse('CPU Quota cannot be updated as NanoCPUs has already been set');
  for (const key of [
    'BlkioWeight',
    'CpuShares',
    'NanoCpus',
    'CpuPeriod',
    'CpuQuota',
    'CpusetCpus',
    'CpusetMems',
    'MemoryReservation',
    'KernelMemory',
    'CpuRealtimePeriod',
    'CpuRealtimeRuntime',
  ] as const) {
    if (set(update[key])) (next as Record<string, unknown>)[key] = update[key];
  }
  if (set(update.Memory)) {
    if ((update.Memory ?? 0) > (current.MemorySwap ?? 0) && !set(update.MemorySwap)) {
      throw conflict(
        'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
      );
    }
    next.Memory = update.Memory;
  }
  if (set(update.MemorySwap)) next.MemorySwap = update.MemorySwap;
  if (update.PidsLimit !== undefined && update.PidsLimit !== null)
    next.PidsLimit = Math.max(update.PidsLimit, 0);
  const policy = update.RestartPolicy;
  if (policy?.Name) {
    if (current.AutoRemove && policy.Name !== 'no')
      throw conflict('Restart policy cannot be updated because AutoRemove is enabled for the container');
    next.RestartPolicy = { Name: policy.Name, MaximumRetryCount: policy.MaximumRetryCount ?? 0 };
  }
  return next;
}

// ---- the spec ---------------------------------------------------------------------------------

type IpcNamespace = NonNullable<DockerSpecOptions['namespaces']>['ipc'];

/** A namespace of another container (or, for networks, one prepared for this container). */
export interface JoinedNamespace {
  /** `/proc/<pid>/ns/net` … */
  path: string;
}

/** What containerSpec needs to know about the host, gathered by the engine. */
export interface ContainerFacts {
  /** Go architecture name (amd64, arm64 …) and kernel version (seccomp, default sysctls). */
  arch: string;
  kernel: KernelVersion;
  cgroupVersion: 1 | 2;
  /** /proc/sys/kernel/cap_last_cap. */
  capLastCap?: number;
  /** The capabilities the engine holds (--privileged gets these; default: all up to capLastCap). */
  heldCapabilities?: readonly string[];
  /** The daemon's data root (binds of it get rslave propagation, as dockerd gives them). */
  daemonRoot?: string;
  /** Swap accounting available; when false MemorySwap is not applied. Default true. */
  swapLimit?: boolean;
  /** Full cgroups path; default `<CgroupParent or cgroupParent or /berth>/<id>`. */
  cgroupsPath?: string;
  cgroupParent?: string;
  /** Every device node of the host (`--privileged`). */
  hostDevices?: LinuxDevice[];
  /**
   * For each `HostConfig.Devices[].PathOnHost`: the device nodes found there (one for a device
   * file, every node below it for a directory), with their host paths. Missing = does not exist.
   */
  devices?: Record<string, LinuxDevice[]>;
  /** The daemon's default for `Init: null` (daemon.json `init`). */
  init?: boolean;
  /** Host path of the init binary (docker-init / tini), bind-mounted read-only at /sbin/docker-init. */
  initPath?: string;
  /** The daemon's default for no-new-privileges. */
  noNewPrivileges?: boolean;
  /** The daemon's default-ulimits; the container's Ulimits replace same-named ones. */
  defaultUlimits?: Ulimit[];
  /** Per-container files bind-mounted at /etc/hostname, /etc/hosts, /etc/resolv.conf. */
  hostnamePath?: string;
  hostsPath?: string;
  resolvConfPath?: string;
  /** The host's hostname (the default hostname with `--network host`). */
  hostHostname?: string;
  /**
   * The network namespace to join: the other container's for `container:<id>` (with its hostname
   * and domainname, which this container takes), or one prepared for bridge / user networks.
   */
  netns?: JoinedNamespace & { hostname?: string; domainname?: string };
  /** The other container's IPC namespace for `IpcMode: container:<id>`, and its /dev/shm directory. */
  ipcns?: JoinedNamespace & { shmPath?: string };
  /** The other container's PID namespace for `PidMode: container:<id>`. */
  pidns?: JoinedNamespace;
  /** This container's own /dev/shm directory on the host, for `IpcMode: shareable`. */
  shmPath?: string;
  /** The host runs AppArmor: set the profile (docker-default, or `--security-opt apparmor=`). */
  apparmor?: boolean;
  /** CPUs whose thermal_throttle directory exists on the host (masked like Docker does). */
  thermalThrottleCpus?: number[];
}

export interface ContainerSpecInput {
  id: string;
  /** The create body's Config, or the stored merged one (merging again changes nothing). */
  config: ContainerConfig;
  hostConfig?: HostConfig | null;
  /** The image's config (`config` of the image JSON). */
  image?: ImageRunConfig;
  /** Root filesystem path (absolute, or relative to the bundle). */
  rootfs: string;
  /** From resolveUser() on the container's /etc/passwd and /etc/group. */
  user: ResolvedUser | { uid: number; gid: number; additionalGids?: number[]; home?: string };
  facts: ContainerFacts;
}

function namespaceOf(
  kind: 'network' | 'IPC' | 'PID',
  ref: string,
  joined: JoinedNamespace | undefined,
): { path: string } {
  if (!joined?.path) throw conflict(`cannot join ${kind} of a non running container: ${ref}`);
  return { path: joined.path };
}

function networkNamespace(c: ContainerConfig, hc: HostConfig, facts: ContainerFacts): NamespaceMode {
  if (c.NetworkDisabled) return 'private';
  const net = parseNetworkMode(hc.NetworkMode);
  switch (net.kind) {
    case 'none':
      return 'private';
    case 'host':
      return 'host';
    case 'container':
      return namespaceOf('network', net.name, facts.netns);
    default:
      if (facts.netns?.path) return { path: facts.netns.path };
      throw notImplemented(
        `${net.kind === 'bridge' ? 'bridge' : `user-defined (${net.name})`} networks are not supported yet: use --network none or --network host`,
      );
  }
}

function resources(hc: HostConfig, facts: ContainerFacts): Omit<LinuxResources, 'devices'> {
  const out: Omit<LinuxResources, 'devices'> = {};
  const memory: NonNullable<LinuxResources['memory']> = {};
  const mem = hc.Memory ?? 0;
  if (mem > 0) memory.limit = mem;
  if ((hc.MemoryReservation ?? 0) > 0) memory.reservation = hc.MemoryReservation;
  if (mem > 0 && facts.swapLimit !== false) {
    const swap = hc.MemorySwap ?? 0;
    if (swap > 0) memory.swap = swap;
    else if (swap === 0) memory.swap = mem * 2;
  }
  // cgroup v2 has neither (dockerd discards them there with a warning at create).
  const swappiness = hc.MemorySwappiness;
  const v1 = facts.cgroupVersion === 1;
  if (v1 && swappiness !== undefined && swappiness !== null && swappiness >= 0)
    memory.swappiness = swappiness;
  if (v1 && hc.OomKillDisable) memory.disableOOMKiller = true;
  if (Object.keys(memory).length > 0) out.memory = memory;

  const cpu: NonNullable<LinuxResources['cpu']> = {};
  if ((hc.CpuShares ?? 0) > 0) cpu.shares = hc.CpuShares;
  if (hc.CpusetCpus) cpu.cpus = hc.CpusetCpus;
  if (hc.CpusetMems) cpu.mems = hc.CpusetMems;
  if ((hc.NanoCpus ?? 0) > 0) {
    cpu.period = 100000;
    cpu.quota = Math.floor(((hc.NanoCpus as number) * 100000) / 1e9);
  }
  if (hc.CpuPeriod) cpu.period = hc.CpuPeriod;
  if (hc.CpuQuota) cpu.quota = hc.CpuQuota;
  if (Object.keys(cpu).length > 0) out.cpu = cpu;

  if (hc.PidsLimit !== undefined && hc.PidsLimit !== null) {
    out.pids = { limit: hc.PidsLimit > 0 ? hc.PidsLimit : -1 };
  }
  if ((hc.BlkioWeight ?? 0) > 0) out.blockIO = { weight: hc.BlkioWeight };
  return out;
}

/** `Devices` -> device nodes and their cgroup rules (dockerd's DevicesFromPath on gathered nodes). */
function devices(hc: HostConfig, facts: ContainerFacts, privileged: boolean) {
  const nodes: LinuxDevice[] = [];
  const rules: LinuxDeviceCgroup[] = [];
  for (const d of hc.Devices ?? []) {
    const inContainer = d.PathInContainer || d.PathOnHost;
    if (privileged && inContainer === d.PathOnHost) continue; // already there with the host's /dev
    const found = facts.devices?.[d.PathOnHost];
    if (!found || found.length === 0) {
      throw invalidArgument(
        `error gathering device information while adding custom device ${JSON.stringify(d.PathOnHost)}: no such file or directory`,
      );
    }
    for (const node of found) {
      const rel = node.path === d.PathOnHost ? '' : node.path.slice(d.PathOnHost.replace(/\/+$/, '').length);
      nodes.push({ ...node, path: inContainer.replace(/\/+$/, '') + rel || inContainer });
      if (!privileged) {
        const rule: LinuxDeviceCgroup = {
          allow: true,
          type: node.type as 'c' | 'b',
          access: d.CgroupPermissions || 'rwm',
        };
        if (node.major !== undefined) rule.major = node.major;
        if (node.minor !== undefined) rule.minor = node.minor;
        rules.push(rule);
      }
    }
  }
  if (!privileged) for (const r of hc.DeviceCgroupRules ?? []) rules.push(parseDeviceCgroupRule(r));
  return { nodes, rules };
}

/** /etc/hostname, /etc/hosts, /etc/resolv.conf (read-only with a read-only root), unless the user mounts there. */
function networkFileMounts(facts: ContainerFacts, readonly: boolean, taken: Set<string>): OciMount[] {
  const out: OciMount[] = [];
  for (const [dest, source] of [
    ['/etc/resolv.conf', facts.resolvConfPath],
    ['/etc/hostname', facts.hostnamePath],
    ['/etc/hosts', facts.hostsPath],
  ] as const) {
    if (!source || taken.has(dest)) continue;
    out.push({
      destination: dest,
      type: 'bind',
      source,
      options: readonly ? ['rbind', 'ro', 'rprivate'] : ['rbind', 'rprivate'],
    });
  }
  return out;
}

/**
 * The OCI spec for starting this container, as dockerd builds it: Docker's defaults, the merged
 * command and environment, hostname, user, resources, rlimits, sysctls, capabilities, seccomp,
 * namespaces (none/host/container:<id>; bridge and user networks need `facts.netns`, else
 * NotImplemented), devices, binds, --mount, --tmpfs, --init and the network files. Named and
 * anonymous volumes (`-v name:/x`, `--mount type=volume`) are NotImplemented; the image's VOLUMEs
 * are not mounted (the directories stay part of the container's root filesystem). The request is
 * assumed to have passed validateCreate at create.
 */
export function containerSpec(input: ContainerSpecInput): Spec {
  const { id, facts } = input;
  const hc: HostConfig = input.hostConfig ?? {};
  const config = mergeImageConfig(input.config, input.image);
  const { path, args: rest } = entrypointAndArgs(config);
  let args = [path, ...rest];
  const privileged = !!hc.Privileged;
  const readonly = !!hc.ReadonlyRootfs;
  const net = parseNetworkMode(hc.NetworkMode);
  const sec = parseSecurityOpt(hc.SecurityOpt ?? []);

  // namespaces
  const network = networkNamespace(config, hc, facts);
  const pidRef = containerRef(hc.PidMode);
  const pid: NamespaceMode =
    pidRef !== undefined
      ? namespaceOf('PID', pidRef, facts.pidns)
      : hc.PidMode === 'host'
        ? 'host'
        : 'private';
  const ipcRef = containerRef(hc.IpcMode);
  const ipc: IpcNamespace =
    ipcRef !== undefined
      ? namespaceOf('IPC', ipcRef, facts.ipcns)
      : hc.IpcMode === 'host'
        ? 'host'
        : hc.IpcMode === 'none'
          ? 'none'
          : 'private';
  const cgroupns = hc.CgroupnsMode === 'host' || hc.CgroupnsMode === 'private' ? hc.CgroupnsMode : undefined;

  // hostname
  let hostname = config.Hostname || '';
  let domainname = config.Domainname || '';
  if (net.kind === 'container' && !config.NetworkDisabled) {
    hostname = facts.netns?.hostname || hostname;
    domainname = facts.netns?.domainname || domainname;
  }
  if (!hostname) hostname = defaultHostname(id, hc, facts.hostHostname);

  // mounts
  const points = containerMountPoints(hc, facts.daemonRoot);
  rejectVolumes(points);
  const mounts: OciMount[] = points.map(ociMount);
  const taken = new Set(points.map((p) => p.destination));
  mounts.push(...networkFileMounts(facts, readonly, taken));
  if (hc.IpcMode === 'shareable' && facts.shmPath && !taken.has('/dev/shm')) {
    mounts.push({
      destination: '/dev/shm',
      type: 'bind',
      source: facts.shmPath,
      options: ['rbind', 'rprivate'],
    });
  }
  if ((hc.Init ?? facts.init ?? false) && pid === 'private') {
    if (!facts.initPath) {
      throw internal(
        '--init: no init binary on the host (set "init-path" in daemon.json or install docker-init or tini)',
      );
    }
    args = [INIT_PATH_IN_CONTAINER, '--', ...args];
    mounts.push({
      destination: INIT_PATH_IN_CONTAINER,
      type: 'bind',
      source: facts.initPath,
      options: ['bind', 'ro'],
    });
  }

  const { nodes, rules } = devices(hc, facts, privileged);
  const rlimits = ulimitsToRlimits([...(facts.defaultUlimits ?? []), ...(hc.Ulimits ?? [])]);
  const user = input.user;
  const env = [...(config.Env ?? [])];

  const spec = dockerSpec({
    rootfs: input.rootfs,
    args,
    env,
    cwd: config.WorkingDir || '/',
    hostname,
    domainname,
    user: { uid: user.uid, gid: user.gid, additionalGids: [...(user.additionalGids ?? [])] },
    terminal: !!config.Tty,
    readonlyRootfs: readonly,
    privileged,
    capAdd: hc.CapAdd ?? [],
    capDrop: hc.CapDrop ?? [],
    namespaces: {
      network,
      pid,
      ipc,
      uts: hc.UTSMode === 'host' ? 'host' : 'private',
      ...(cgroupns ? { cgroup: cgroupns } : {}),
    },
    shmPath: ipcRef !== undefined ? facts.ipcns?.shmPath : undefined,
    shmSize: hc.ShmSize || DEFAULT_SHM_SIZE,
    cgroupVersion: facts.cgroupVersion,
    cgroupsPath:
      facts.cgroupsPath ?? `${(hc.CgroupParent || facts.cgroupParent || '/berth').replace(/\/+$/, '')}/${id}`,
    resources: resources(hc, facts),
    devices: nodes,
    deviceCgroupRules: rules,
    hostDevices: facts.hostDevices,
    seccomp:
      sec.seccomp === 'unconfined'
        ? 'unconfined'
        : !sec.seccomp || sec.seccomp === 'builtin'
          ? 'default'
          : { profile: sec.seccomp },
    noNewPrivileges: sec.noNewPrivileges ?? facts.noNewPrivileges ?? false,
    arch: facts.arch,
    kernel: facts.kernel,
    capLastCap: facts.capLastCap,
    heldCapabilities: facts.heldCapabilities,
    mounts,
    sysctl: { ...(hc.Sysctls ?? {}) },
    rlimits,
    oomScoreAdj: hc.OomScoreAdj ?? 0,
    apparmor: facts.apparmor,
    apparmorProfile: sec.apparmor || undefined,
    annotations: hc.Annotations ?? undefined,
    thermalThrottleCpus: facts.thermalThrottleCpus,
  });

  const proc = spec.process!;
  const linux = spec.linux!;
  if (!proc.env!.some((e) => envKey(e) === 'HOME')) proc.env!.push(`HOME=${user.home || '/'}`);
  const size = hc.ConsoleSize;
  if (config.Tty && size && size[0] > 0 && size[1] > 0)
    proc.consoleSize = { height: size[0], width: size[1] };
  if (!privileged) {
    if (hc.MaskedPaths) linux.maskedPaths = [...hc.MaskedPaths];
    if (hc.ReadonlyPaths) linux.readonlyPaths = [...hc.ReadonlyPaths];
  }
  if (sec.writableCgroups !== undefined) {
    for (const m of spec.mounts ?? []) {
      if (m.type !== 'cgroup') continue;
      m.options = (m.options ?? []).filter((o) => o !== 'ro' && o !== 'rw');
      m.options.push(sec.writableCgroups ? 'rw' : 'ro');
    }
  }
  const propagation = rootfsPropagationFor(points);
  if (propagation) linux.rootfsPropagation = propagation;
  return spec;
}
