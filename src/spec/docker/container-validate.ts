// dockerd's checks of a container-create request (runconfig's network-mode checks, daemon
// verifyContainerSettings and verifyPlatformContainerResources, the mount parser), with its error
// texts, plus the checks runc and the docker CLI would make later or earlier (ulimits, sysctls,
// devices) so that a bad request fails at create with a 400 rather than at start. Every error is a
// BerthError: InvalidArgument (HTTP 400), or NotImplemented (501) for what berth lacks.

import { invalidArgument, notImplemented } from '../../common/errors.ts';
import { ALL_CAPABILITIES, CAP_LAST_KNOWN, normalizeCap } from '../capabilities.ts';
import type { LinuxDeviceCgroup, POSIXRlimit } from '../oci.ts';
import type { ContainerConfig, DeviceMapping, HostConfig, Resources, Ulimit } from './api.ts';
import { containerMountPoints, rejectVolumes } from './container-mounts.ts';
import { parseSignal } from './signal.ts';

/** What the checks need to know about the host. */
export interface CreateFacts {
  /** Online CPUs (bounds NanoCpus and the default cpuset). */
  ncpu?: number;
  /** CPUs and memory nodes available for cpusets (`0-7`); default `0-(ncpu-1)` and no check. */
  cpus?: string;
  mems?: string;
  /** /proc/sys/kernel/cap_last_cap (default: the last capability berth knows). */
  capLastCap?: number;
  /** Swap accounting available (v1 memory.memsw.*, v2 memory.swap.max); default true. */
  swapLimit?: boolean;
  /** cgroup v2 has no OOM-killer switch and no swappiness: they are discarded with a warning. */
  cgroupVersion?: 1 | 2;
  /** The daemon's data root: binds of it, in it or above it follow dockerd's propagation rule. */
  daemonRoot?: string;
  /** false: the I/O scheduler has no blkio weight: BlkioWeight is discarded with a warning. */
  blkioWeight?: boolean;
  /** The runtimes containers may name (HostConfig.Runtime); default: any. */
  runtimes?: readonly string[];
  /**
   * false: bridge and user-defined networks are refused at create with NotImplemented. Left out
   * (or true), they are not checked here; containerSpec still refuses them without `facts.netns`.
   */
  networks?: boolean;
}

const MIN_MEMORY = 6 * 1024 * 1024;
const MIN_DURATION_NS = 1_000_000;
const MAX_RETRY_POLICIES = new Set(['', 'no', 'always', 'unless-stopped']);

// ---- namespace modes --------------------------------------------------------------------------

export type NetworkModeKind = 'bridge' | 'host' | 'none' | 'container' | 'network';

/** `NetworkMode` -> its kind and the container or network it names. `''`/`default` is bridge. */
export function parseNetworkMode(mode: string | undefined): { kind: NetworkModeKind; name: string } {
  const m = mode ?? '';
  if (m === '' || m === 'default' || m === 'bridge') return { kind: 'bridge', name: 'bridge' };
  if (m === 'host' || m === 'none') return { kind: m, name: m };
  if (m.startsWith('container:')) return { kind: 'container', name: m.slice('container:'.length) };
  return { kind: 'network', name: m };
}

/** `container:<ref>` -> ref, else undefined. */
export function containerRef(mode: string | undefined): string | undefined {
  return mode?.startsWith('container:') ? mode.slice('container:'.length) : undefined;
}

const validIpc = (m: string) =>
  ['', 'none', 'private', 'shareable', 'host'].includes(m) || (containerRef(m) ?? '') !== '';
const validPid = (m: string) => m === '' || m === 'host' || (containerRef(m) ?? '') !== '';

// ---- small parsers ----------------------------------------------------------------------------

/** `0-3,7` -> [0,1,2,3,7]; undefined when malformed. */
export function parseCpuList(list: string): number[] | undefined {
  const out: number[] = [];
  if (list.trim() === '') return [];
  for (const part of list.split(',')) {
    const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(part.trim());
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return undefined;
    for (let i = lo; i <= hi; i++) out.push(i);
  }
  return out;
}

const IPV4 =
  /^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;

/** An IPv4 or IPv6 address in text form (no zone, no prefix length). */
export function isIP(s: string): boolean {
  if (IPV4.test(s)) return true;
  if (!s.includes(':')) return false;
  let text = s;
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    // An embedded IPv4 tail (::ffff:1.2.3.4) counts as two groups.
    if (!IPV4.test(tail)) return false;
    text = `${text.slice(0, text.length - tail.length)}0:0`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? groups.length < 8 : groups.length === 8;
}

/** `name:ip`, `name=ip`, `name:[ipv6]`, `name:host-gateway` (dockerd's ValidateExtraHost). */
export function validateExtraHost(val: string): { name: string; ip: string } {
  let sep = val.indexOf('=');
  if (sep < 0) sep = val.indexOf(':');
  const name = sep < 0 ? '' : val.slice(0, sep);
  if (sep < 0 || name === '' || name.includes(':')) {
    throw invalidArgument(`bad format for add-host: ${JSON.stringify(val)}`);
  }
  let ip = val.slice(sep + 1);
  if (ip === 'host-gateway') return { name, ip };
  if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  if (!isIP(ip.trim())) throw invalidArgument(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  return { name, ip };
}

function validPort(p: string): boolean {
  if (p === '') return true;
  const m = /^([0-9]+)(?:-([0-9]+))?$/.exec(p);
  if (!m) return false;
  const lo = Number(m[1]);
  const hi = m[2] === undefined ? lo : Number(m[2]);
  return lo <= 65535 && hi <= 65535 && lo <= hi;
}

/** `80/tcp` keys and HostPort values: a port or a range, 0-65535. */
export function validatePortBindings(ports: HostConfig['PortBindings']): void {
  for (const [key, bindings] of Object.entries(ports ?? {})) {
    const port = key.split('/')[0];
    if (!validPort(port)) throw invalidArgument(`invalid port specification: ${JSON.stringify(port)}`);
    for (const b of bindings ?? []) {
      const hostPort = (b.HostPort ?? '').split('/')[0];
      if (!validPort(hostPort))
        throw invalidArgument(`invalid port specification: ${JSON.stringify(b.HostPort)}`);
    }
  }
}

/** The names `--ulimit` takes (go-units' ulimit table). */
export const ULIMIT_NAMES: ReadonlySet<string> = new Set([
  'core',
  'cpu',
  'data',
  'fsize',
  'locks',
  'memlock',
  'msgqueue',
  'nice',
  'nofile',
  'nproc',
  'rss',
  'rtprio',
  'rttime',
  'sigpending',
  'stack',
]);
/** RLIM_INFINITY as the plan reads it (anything >= 2^63 is unlimited). */
export const RLIM_INFINITY = 2 ** 64;

/** `Ulimits` -> rlimits (`nofile` -> RLIMIT_NOFILE, -1 -> unlimited); a later entry replaces an earlier one. */
export function ulimitsToRlimits(ulimits: readonly Ulimit[]): POSIXRlimit[] {
  const byType = new Map<string, POSIXRlimit>();
  for (const u of ulimits) {
    const name = (u.Name ?? '').toLowerCase();
    if (!ULIMIT_NAMES.has(name)) throw invalidArgument(`invalid ulimit type: ${u.Name}`);
    const value = (n: number) => (n < 0 ? RLIM_INFINITY : n);
    if (!Number.isInteger(u.Soft) || !Number.isInteger(u.Hard)) {
      throw invalidArgument(`invalid ulimit ${u.Name}: soft and hard limits must be integers`);
    }
    if (value(u.Soft) > value(u.Hard)) {
      throw invalidArgument(
        `ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`,
      );
    }
    byType.set(name, { type: `RLIMIT_${name.toUpperCase()}`, soft: value(u.Soft), hard: value(u.Hard) });
  }
  return [...byType.values()];
}

const DEVICE_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

/** `c 1:3 rwm`, `b *:* m`, `a` -> an allow rule (`*` -> any major/minor). */
export function parseDeviceCgroupRule(rule: string): LinuxDeviceCgroup {
  const text = rule === 'a' ? 'a *:* rwm' : rule;
  const m = DEVICE_RULE.exec(text);
  if (!m) throw invalidArgument(`invalid device cgroup rule format: '${rule}'`);
  const out: LinuxDeviceCgroup = { allow: true, type: m[1] as 'a' | 'b' | 'c', access: m[4] };
  if (m[2] !== '*') out.major = Number(m[2]);
  if (m[3] !== '*') out.minor = Number(m[3]);
  return out;
}

/** `rwm`, `r`, `mw` …: each of r, w, m at most once. */
export const validDeviceMode = (mode: string) =>
  mode.length > 0 &&
  mode.length <= 3 &&
  [...mode].every((c, i) => 'rwm'.includes(c) && mode.indexOf(c) === i);

/**
 * The docker CLI's `--device` syntax, `host[:container][:perms]` -> a DeviceMapping (the API
 * itself takes objects). `/dev/fuse:rw` means the same path with permissions rw.
 */
export function parseDeviceMapping(spec: string): DeviceMapping {
  const parts = spec.split(':');
  if (parts.length > 3) throw invalidArgument(`invalid device specification: ${spec}`);
  const [src, second, third] = parts;
  let dst = '';
  let perms = third ?? 'rwm';
  if (second !== undefined) {
    if (validDeviceMode(second)) perms = second;
    else dst = second;
  }
  const out: DeviceMapping = { PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: perms };
  validateDevices({ Devices: [out] });
  return out;
}

/** Parsed `SecurityOpt` (dockerd's parseSecurityOpt). */
export interface SecurityOptions {
  noNewPrivileges?: boolean;
  /** '' (default), `unconfined`, `builtin`, or a profile's JSON text. */
  seccomp?: string;
  apparmor?: string;
  labels: string[];
  writableCgroups?: boolean;
}

const parseBool = (v: string): boolean | undefined =>
  ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(v)
    ? true
    : ['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v)
      ? false
      : undefined;

export function parseSecurityOpt(opts: readonly string[]): SecurityOptions {
  const out: SecurityOptions = { labels: [] };
  for (const opt of opts) {
    if (opt === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    if (opt === 'writable-cgroups') {
      out.writableCgroups = true;
      continue;
    }
    if (opt === 'disable') {
      out.labels.push('disable');
      continue;
    }
    const sep = opt.includes('=') ? opt.indexOf('=') : opt.indexOf(':');
    if (sep < 0) throw invalidArgument(`invalid --security-opt 1: ${JSON.stringify(opt)}`);
    const k = opt.slice(0, sep);
    const v = opt.slice(sep + 1);
    const bad = () => invalidArgument(`invalid --security-opt 2: ${JSON.stringify(opt)}`);
    switch (k) {
      case 'label':
        out.labels.push(v);
        break;
      case 'apparmor':
        out.apparmor = v;
        break;
      case 'seccomp':
        out.seccomp = v;
        break;
      case 'no-new-privileges':
      case 'writable-cgroups': {
        const b = parseBool(v);
        if (b === undefined) throw bad();
        if (k === 'no-new-privileges') out.noNewPrivileges = b;
        else out.writableCgroups = b;
        break;
      }
      default:
        throw bad();
    }
  }
  return out;
}

// ---- the checks -------------------------------------------------------------------------------

function validateNetMode(c: ContainerConfig, hc: HostConfig): void {
  const net = parseNetworkMode(hc.NetworkMode);
  const isContainer = net.kind === 'container';
  if (isContainer && net.name === '') {
    throw invalidArgument('Invalid network mode: invalid container format container:<name|id>');
  }
  if (isContainer && c.Hostname) throw invalidArgument('conflicting options: hostname and the network mode');
  if (isContainer && (hc.Links ?? []).length > 0) {
    throw invalidArgument(
      "conflicting options: container type network can't be used with links. This would result in undefined behavior",
    );
  }
  if (isContainer && (hc.Dns ?? []).length > 0)
    throw invalidArgument('conflicting options: dns and the network mode');
  if (isContainer && (hc.ExtraHosts ?? []).length > 0) {
    throw invalidArgument('conflicting options: custom host-to-IP mapping and the network mode');
  }
  if ((isContainer || net.kind === 'host') && c.MacAddress) {
    throw invalidArgument('conflicting options: mac-address and the network mode');
  }
  if (isContainer && (Object.keys(hc.PortBindings ?? {}).length > 0 || hc.PublishAllPorts)) {
    throw invalidArgument('conflicting options: port publishing and the container type network mode');
  }
  if (isContainer && Object.keys(c.ExposedPorts ?? {}).length > 0) {
    throw invalidArgument('conflicting options: port exposing and the container type network mode');
  }
  if (hc.UTSMode === 'host' && c.Hostname)
    throw invalidArgument('conflicting options: hostname and the UTS mode');
  if (net.kind === 'host' && (hc.Links ?? []).length > 0) {
    throw invalidArgument(
      "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
    );
  }
}

function validateConfig(c: ContainerConfig): void {
  if (c.WorkingDir && !c.WorkingDir.startsWith('/')) {
    throw invalidArgument(
      `the working directory '${c.WorkingDir}' is invalid, it needs to be an absolute path`,
    );
  }
  if (c.StopSignal) parseSignal(c.StopSignal);
  for (const env of c.Env ?? []) {
    if (env.split('=')[0] === '') throw invalidArgument(`invalid environment variable: ${env}`);
  }
  const h = c.Healthcheck;
  if (!h) return;
  const tooShort = (field: string, v: number | undefined) => {
    if (v && v < MIN_DURATION_NS) throw invalidArgument(`${field} in Healthcheck cannot be less than 1ms`);
  };
  tooShort('Interval', h.Interval);
  tooShort('Timeout', h.Timeout);
  if ((h.Retries ?? 0) < 0) throw invalidArgument('Retries in Healthcheck cannot be negative');
  tooShort('StartPeriod', h.StartPeriod);
  tooShort('StartInterval', h.StartInterval);
}

function validateRestartPolicy(hc: HostConfig): void {
  const p = hc.RestartPolicy ?? {};
  const name = p.Name ?? '';
  const retries = p.MaximumRetryCount ?? 0;
  if (hc.AutoRemove && name !== '' && name !== 'no') {
    throw invalidArgument("can't create 'AutoRemove' container with restart policy");
  }
  if (MAX_RETRY_POLICIES.has(name)) {
    if (retries !== 0 && name !== '') {
      throw invalidArgument("invalid restart policy: maximum retry count can only be used with 'on-failure'");
    }
  } else if (name === 'on-failure') {
    if (retries < 0) throw invalidArgument('invalid restart policy: maximum retry count cannot be negative');
  } else {
    throw invalidArgument(
      `invalid restart policy: unknown policy '${name}'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'`,
    );
  }
}

function validateCapabilities(hc: HostConfig, lastCap: number): void {
  for (const [field, list] of [
    ['CapAdd', hc.CapAdd],
    ['CapDrop', hc.CapDrop],
  ] as const) {
    for (const raw of list ?? []) {
      if (raw.trim().toUpperCase() === 'ALL') continue;
      const cap = normalizeCap(raw);
      const n = ALL_CAPABILITIES.indexOf(cap);
      if (n < 0) throw invalidArgument(`invalid ${field}: unknown capability: ${JSON.stringify(cap)}`);
      if (n > lastCap) {
        throw invalidArgument(
          `invalid ${field}: capability not supported by your kernel or not available in the current environment: ${JSON.stringify(cap)}`,
        );
      }
    }
  }
}

function validateResources(r: Resources, facts: CreateFacts, warnings: string[]): void {
  const memory = r.Memory ?? 0;
  const swap = r.MemorySwap ?? 0;
  const reservation = r.MemoryReservation ?? 0;
  if (memory !== 0 && memory < MIN_MEMORY) throw invalidArgument('Minimum memory limit allowed is 6MB');
  if (memory > 0 && swap !== -1 && facts.swapLimit === false) {
    warnings.push(
      'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
    );
  } else {
    if (memory > 0 && swap > 0 && swap < memory) {
      throw invalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
    }
    if (memory === 0 && swap > 0) {
      throw invalidArgument('You should always set the Memory limit when using Memoryswap limit, see usage');
    }
  }
  const swappiness = r.MemorySwappiness;
  const hasSwappiness = swappiness !== undefined && swappiness !== null && swappiness !== -1;
  if (hasSwappiness && facts.cgroupVersion === 2) {
    warnings.push(
      'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
    );
  } else if (hasSwappiness && (swappiness < 0 || swappiness > 100)) {
    throw invalidArgument(`Invalid value: ${swappiness}, valid memory swappiness range is 0-100`);
  }
  if (reservation > 0 && reservation < MIN_MEMORY)
    throw invalidArgument('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && reservation > 0 && memory < reservation) {
    throw invalidArgument('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (r.OomKillDisable && facts.cgroupVersion === 2) {
    warnings.push('Your kernel does not support OomKillDisable. OomKillDisable discarded.');
  } else if (r.OomKillDisable && memory === 0) {
    warnings.push(
      'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
    );
  }

  const nano = r.NanoCpus ?? 0;
  const period = r.CpuPeriod ?? 0;
  const quota = r.CpuQuota ?? 0;
  if (nano > 0 && period > 0)
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano > 0 && quota > 0)
    throw invalidArgument('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
  if (nano < 0 || (facts.ncpu !== undefined && nano > facts.ncpu * 1e9)) {
    const n = facts.ncpu ?? 0;
    throw invalidArgument(`Range of CPUs is from 0.01 to ${n}.00, as there are only ${n} CPUs available`);
  }
  if ((r.CpuShares ?? 0) < 0) throw invalidArgument('shares: invalid argument');
  if (period !== 0 && (period < 1000 || period > 1000000)) {
    throw invalidArgument(
      'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
    );
  }
  if (quota > 0 && quota < 1000) throw invalidArgument('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  if ((r.CpuPercent ?? 0) > 0) warnings.push('linux does not support CPU percent. Percent discarded.');

  for (const [what, value, avail, label] of [
    ['cpus', r.CpusetCpus, facts.cpus ?? (facts.ncpu ? `0-${facts.ncpu - 1}` : undefined), 'CPUs'],
    ['mems', r.CpusetMems, facts.mems, 'memory nodes'],
  ] as const) {
    if (!value) continue;
    const list = parseCpuList(value);
    if (!list) throw invalidArgument(`Invalid value ${value} for cpuset ${what}: invalid format: ${value}`);
    const available = avail === undefined ? undefined : parseCpuList(avail);
    if (available && !list.every((n) => available.includes(n))) {
      throw invalidArgument(`Requested ${label} are not available - requested ${value}, available: ${avail}`);
    }
  }

  if ((r.BlkioWeight ?? 0) > 0 && facts.blkioWeight === false) {
    // as dockerd: discarded (the request is changed), not refused
    warnings.push(
      'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
    );
    r.BlkioWeight = 0;
  }
  const weight = r.BlkioWeight ?? 0;
  if (weight > 0 && (weight < 10 || weight > 1000))
    throw invalidArgument('Range of blkio weight is from 10 to 1000');
  if ((r.IOMaximumBandwidth ?? 0) !== 0 || (r.IOMaximumIOps ?? 0) !== 0) {
    throw invalidArgument(
      'Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps',
    );
  }
}

function validateDevices(hc: HostConfig): void {
  for (const d of hc.Devices ?? []) {
    if (!d.PathOnHost?.startsWith('/')) throw invalidArgument(`bad format for path: ${d.PathOnHost ?? ''}`);
    if (d.PathInContainer && !d.PathInContainer.startsWith('/')) {
      throw invalidArgument(`bad format for path: ${d.PathInContainer}`);
    }
    if (d.CgroupPermissions && !validDeviceMode(d.CgroupPermissions)) {
      throw invalidArgument(`bad mode specified: ${d.CgroupPermissions}`);
    }
  }
  for (const rule of hc.DeviceCgroupRules ?? []) parseDeviceCgroupRule(rule);
}

/** The kernel.* sysctls that belong to the IPC namespace. */
export const IPC_SYSCTLS: ReadonlySet<string> = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

/** Only namespaced sysctls, and only in namespaces of the container's own (runc's rules). */
function validateSysctls(hc: HostConfig): void {
  for (const [key, value] of Object.entries(hc.Sysctls ?? {})) {
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (hc.IpcMode === 'host') throw invalidArgument(`sysctl "${key}" not allowed in host ipc namespace`);
      continue;
    }
    if (key.startsWith('net.')) {
      if (parseNetworkMode(hc.NetworkMode).kind === 'host') {
        throw invalidArgument(`sysctl "${key}" not allowed in host network namespace`);
      }
      continue;
    }
    if (key === 'kernel.domainname' && hc.UTSMode !== 'host') continue;
    if (key === 'kernel.hostname' && hc.UTSMode !== 'host') {
      throw invalidArgument(`sysctl "${key}" is not allowed as it conflicts with the OCI "hostname" field`);
    }
    throw invalidArgument(`sysctl '${key}=${value}' is not allowed`);
  }
}

function validateSeccomp(sec: SecurityOptions): void {
  const p = sec.seccomp;
  if (!p || p === 'unconfined' || p === 'builtin') return;
  try {
    JSON.parse(p);
  } catch (err) {
    throw invalidArgument(`Decoding seccomp profile failed: ${(err as Error).message}`);
  }
}

/** dockerd's logging drivers (the plugins it finds without a plugin store). */
const LOG_DRIVERS = new Set([
  'json-file',
  'local',
  'none',
  'syslog',
  'journald',
  'gelf',
  'fluentd',
  'awslogs',
  'splunk',
  'etwlogs',
  'gcplogs',
  'logentries',
]);
/** The options json-file takes (its ValidateLogOpt). */
const JSON_FILE_OPTS = new Set([
  'max-file',
  'max-size',
  'compress',
  'labels',
  'labels-regex',
  'env',
  'env-regex',
  'tag',
]);

function validateLogConfig(hc: HostConfig): void {
  const type = hc.LogConfig?.Type || 'json-file';
  if (!LOG_DRIVERS.has(type))
    throw invalidArgument(`error looking up logging plugin ${type}: plugin "${type}" not found`);
  if (type !== 'json-file') return;
  for (const key of Object.keys(hc.LogConfig?.Config ?? {}))
    if (!JSON_FILE_OPTS.has(key)) throw invalidArgument(`unknown log opt '${key}' for json-file log driver`);
}

/** Features berth does not have yet: a clear 501, never a silent fallback. */
function rejectUnsupported(c: ContainerConfig, hc: HostConfig, facts: CreateFacts): void {
  const net = parseNetworkMode(hc.NetworkMode);
  if (facts.networks === false && !c.NetworkDisabled && (net.kind === 'bridge' || net.kind === 'network')) {
    throw notImplemented(
      `${net.kind === 'bridge' ? 'bridge' : `user-defined (${net.name})`} networks are not supported yet: use --network none or --network host`,
    );
  }
  if ((hc.VolumesFrom ?? []).length > 0) throw notImplemented('--volumes-from is not supported yet');
  if ((hc.DeviceRequests ?? []).length > 0)
    throw notImplemented('device requests (--gpus) are not supported');
  const throttles = [
    hc.BlkioWeightDevice,
    hc.BlkioDeviceReadBps,
    hc.BlkioDeviceWriteBps,
    hc.BlkioDeviceReadIOps,
    hc.BlkioDeviceWriteIOps,
  ];
  if (throttles.some((l) => (l ?? []).length > 0)) {
    throw notImplemented('per-device block I/O weights and limits are not supported yet');
  }
  if ((hc.CpuRealtimePeriod ?? 0) !== 0 || (hc.CpuRealtimeRuntime ?? 0) !== 0) {
    throw notImplemented('CPU real-time period and runtime are not supported');
  }
  if (Object.keys(hc.StorageOpt ?? {}).length > 0)
    throw notImplemented('--storage-opt is not supported: berth sets no per-container storage quota');
  const anonymous = Object.keys(c.Volumes ?? {});
  if (anonymous.length > 0)
    throw notImplemented(`anonymous volumes are not supported yet: -v ${anonymous[0]}`);
}

/**
 * dockerd's checks of `POST /containers/create` on the request's own `Config` (before the image's
 * config is merged in) and `HostConfig`. Returns the warnings dockerd would return; throws the
 * first error.
 */
export function validateCreate(
  config: ContainerConfig,
  hostConfig: HostConfig | null | undefined,
  facts: CreateFacts = {},
): string[] {
  const hc = hostConfig ?? {};
  const warnings: string[] = [];
  validateNetMode(config, hc);
  if (hc.Isolation && hc.Isolation !== 'default') {
    throw invalidArgument(`invalid isolation '${hc.Isolation}' on linux`);
  }
  validateConfig(config);

  validateRestartPolicy(hc);
  validateLogConfig(hc);
  if (hc.Runtime && facts.runtimes && !facts.runtimes.includes(hc.Runtime))
    throw invalidArgument(`unknown or invalid runtime name: ${hc.Runtime}`);
  const points = containerMountPoints(hc, facts.daemonRoot);
  for (const h of hc.ExtraHosts ?? []) validateExtraHost(h);
  validatePortBindings(hc.PortBindings);
  validateCapabilities(hc, facts.capLastCap ?? CAP_LAST_KNOWN);
  for (const k of Object.keys(hc.Annotations ?? {})) {
    if (k === '') {
      throw invalidArgument('invalid Annotations: the empty string is not permitted as an annotation key');
    }
  }

  validateResources(hc, facts, warnings);
  if (!validIpc(hc.IpcMode ?? '')) throw invalidArgument(`invalid IPC mode: ${hc.IpcMode}`);
  if (!validPid(hc.PidMode ?? '')) throw invalidArgument(`invalid PID mode: ${hc.PidMode}`);
  if ((hc.ShmSize ?? 0) < 0) throw invalidArgument('SHM size can not be less than 0');
  if (hc.UTSMode && hc.UTSMode !== 'host') throw invalidArgument(`invalid UTS mode: ${hc.UTSMode}`);
  if (hc.UsernsMode && hc.UsernsMode !== 'host')
    throw invalidArgument(`invalid USERNS mode: ${hc.UsernsMode}`);
  const oom = hc.OomScoreAdj ?? 0;
  if (oom < -1000 || oom > 1000) {
    throw invalidArgument(`Invalid value ${oom}, range for oom score adj is [-1000, 1000]`);
  }
  if (parseNetworkMode(hc.NetworkMode).kind === 'host' && Object.keys(hc.PortBindings ?? {}).length > 0) {
    warnings.push('Published ports are discarded when using host network mode');
  }
  if (hc.CgroupnsMode && hc.CgroupnsMode !== 'host' && hc.CgroupnsMode !== 'private') {
    throw invalidArgument(`invalid cgroup namespace mode: ${hc.CgroupnsMode}`);
  }

  ulimitsToRlimits(hc.Ulimits ?? []);
  validateSysctls(hc);
  validateSeccomp(parseSecurityOpt(hc.SecurityOpt ?? []));
  validateDevices(hc);

  rejectVolumes(points);
  rejectUnsupported(config, hc, facts);
  return warnings;
}
