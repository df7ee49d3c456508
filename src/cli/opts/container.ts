// The body of POST /containers/create (Config + HostConfig + NetworkingConfig) from the parsed
// flags of `create`/`run`, field for field as the docker CLI 28 sends it to API ≥ 1.44; errors
// carry docker's messages (printed `berth: <message>` by the commands).

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Parsed } from './flags.ts';
import { goFsError } from './fsutil.ts';
import { kvMap, type Lookup, mergeEnv, readEnv, readLabels } from './kvfile.ts';
import { type Mount, parseTmpfs, parseVolumes } from './mounts.ts';
import { type EndpointSettings, type NetworkAttachment, parseNetworks } from './network.ts';
import { parsePorts } from './ports.ts';
import { effectiveCaps, isMACAddress, parseRestartPolicy, type Ulimit } from './validators.ts';

export interface BuildEnv {
  lookup: Lookup;
  cwd: string;
  /** [height, width] of the terminal when stdout is one (ConsoleSize with -t). */
  consoleSize?: [number, number];
}

export interface CreateRequest {
  name: string;
  platform: string;
  pull: string;
  body: CreateBody;
}

export type CreateBody = Record<string, unknown> & {
  HostConfig: Record<string, unknown>;
  NetworkingConfig: { EndpointsConfig: Record<string, EndpointSettings> };
};

export const PULL_OPTIONS = ['always', 'missing', 'never'];

/** validatePullOpt. */
export function validatePull(pull: string): void {
  if (!PULL_OPTIONS.includes(pull)) {
    throw new Error(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
}

const DEVICE_MODE = /^(?!.*(.).*\1)[rwm]{1,3}$/;

function cleanPath(p: string): string {
  const abs = p.startsWith('/');
  const parts: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length && parts[parts.length - 1] !== '..') parts.pop();
      else if (!abs) parts.push('..');
    } else parts.push(part);
  }
  const joined = parts.join('/');
  return abs ? `/${joined}` : joined || '.';
}

/** validateLinuxPath then parseLinuxDevice: `/dev/x[:/dev/y][:rwm]`. */
export function parseDevice(
  spec: string,
): { PathOnHost: string; PathInContainer: string; CgroupPermissions: string }[] {
  if ((spec.match(/:/g) ?? []).length > 2) throw new Error(`bad format for path: ${spec}`);
  const split = spec.split(':');
  if (split[0] === '') throw new Error(`bad format for path: ${spec}`);
  let containerPath: string;
  let value: string;
  if (split.length === 1) {
    containerPath = split[0];
    value = cleanPath(containerPath);
  } else if (split.length === 2) {
    if (DEVICE_MODE.test(split[1])) {
      containerPath = split[0];
      value = `${cleanPath(containerPath)}:${split[1]}`;
    } else {
      containerPath = split[1];
      value = `${split[0]}:${cleanPath(containerPath)}`;
    }
  } else {
    containerPath = split[1];
    if (!DEVICE_MODE.test(split[2])) throw new Error(`bad mode specified: ${split[2]}`);
    value = spec;
  }
  if (!containerPath.startsWith('/')) throw new Error(`${containerPath} is not an absolute path`);
  const arr = value.split(':');
  let src = arr[0];
  let dst = '';
  let perms = 'rwm';
  if (arr.length === 3) perms = arr[2];
  if (arr.length >= 2) {
    if (DEVICE_MODE.test(arr[1])) perms = arr[1];
    else dst = arr[1];
  }
  src = arr[0];
  if (src.endsWith('*')) {
    if (dst !== '') throw new Error(`device with * suffix can't have dst: ${spec}`);
    return [];
  }
  return [{ PathOnHost: src, PathInContainer: dst || src, CgroupPermissions: perms }];
}

/** Go's json.Compact: the same JSON without insignificant whitespace. */
export function compactJSON(text: string): string {
  JSON.parse(text);
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i];
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (!' \t\n\r'.includes(c)) out += c;
  }
  return out;
}

/** parseSecurityOpts + parseSystemPaths: a seccomp profile file is sent as its JSON. */
function securityOpts(
  opts: readonly string[],
  cwd: string,
): { security: string[]; masked?: string[]; readonly?: string[] } {
  const out: string[] = [];
  let unconfined = false;
  for (const opt of opts) {
    let sep = opt.indexOf('=');
    if (sep < 0 && opt !== 'no-new-privileges') sep = opt.indexOf(':');
    const key = sep >= 0 ? opt.slice(0, sep) : opt;
    const value = sep >= 0 ? opt.slice(sep + 1) : '';
    if ((sep < 0 || value === '') && key !== 'no-new-privileges') {
      throw new Error(`Invalid --security-opt: ${JSON.stringify(opt)}`);
    }
    if (key === 'seccomp' && value !== 'unconfined' && value !== 'builtin') {
      let text: string;
      try {
        text = readFileSync(resolve(cwd, value), 'utf8');
      } catch (err) {
        throw new Error(
          `opening seccomp profile (${value}) failed: ${goFsError('open', value, err).message}`,
        );
      }
      let compact: string;
      try {
        compact = compactJSON(text);
      } catch (err) {
        throw new Error(`compacting json for seccomp profile (${value}) failed: ${(err as Error).message}`);
      }
      out.push(`seccomp=${compact}`);
    } else if (opt === 'systempaths=unconfined') unconfined = true;
    else out.push(opt);
  }
  return unconfined ? { security: out, masked: [], readonly: [] } : { security: out };
}

const validPid = (m: string) => m === '' || m === 'host' || /^container:.+/.test(m);
const validUts = (m: string) => m === '' || m === 'host';
const validUserns = (m: string) => m === '' || m.split(':')[0] === 'host';
const validCgroupns = (m: string) => m === '' || m === 'host' || m === 'private';

/** The create request for parsed `create`/`run` flags; `args` are IMAGE [COMMAND] [ARG...]. */
export function buildCreateRequest(parsed: Parsed, env: BuildEnv): CreateRequest {
  const o = parsed.opts;
  const str = (k: string) => (o[k] as string | undefined) ?? '';
  const num = (k: string) => (o[k] as number | undefined) ?? 0;
  const bool = (k: string) => o[k] === true;
  const list = <T = string>(k: string) => (o[k] as T[] | undefined) ?? [];
  const [image, ...cmd] = parsed.args;

  validatePull(str('pull'));
  const attach = list('attach');
  let attachStdin = attach.includes('stdin');
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  const mac = str('mac-address');
  if (mac !== '' && !isMACAddress(mac)) throw new Error(`${mac} is not a valid mac address`);
  if (bool('interactive')) attachStdin = true;
  if (attach.length === 0) {
    attachStdout = true;
    attachStderr = true;
  }
  const swappiness = num('memory-swappiness');
  if (swappiness !== -1 && (swappiness < 0 || swappiness > 100)) {
    throw new Error(`invalid value: ${swappiness}. Valid memory swappiness range is 0-100`);
  }
  const { binds, volumes } = parseVolumes(list('volume'), env.cwd);
  const tmpfs = parseTmpfs(list('tmpfs'));
  const { exposed, bindings } = parsePorts(list('publish'), list('expose'));
  const devices = list('device').flatMap(parseDevice);
  const envVars = readEnv(list('env-file'), mergeEnv(list('env')), env.cwd, env.lookup);
  const labels = readLabels(list('label-file'), list('label'), env.cwd);
  if (!validPid(str('pid'))) throw new Error('--pid: invalid PID mode');
  if (!validUts(str('uts'))) throw new Error('--uts: invalid UTS mode');
  if (!validUserns(str('userns'))) throw new Error('--userns: invalid USER mode');
  if (!validCgroupns(str('cgroupns'))) throw new Error('--cgroupns: invalid CGROUP mode');
  const restart = parseRestartPolicy(str('restart'));
  const logOpts = list('log-opt');
  if (str('log-driver') === 'none' && logOpts.length > 0) {
    throw new Error(`invalid logging opts for driver ${str('log-driver')}`);
  }
  const security = securityOpts(list('security-opt'), env.cwd);
  const storageOpt: Record<string, string> = {};
  for (const opt of list('storage-opt')) {
    const eq = opt.indexOf('=');
    if (eq < 0) throw new Error('invalid storage option');
    storageOpt[opt.slice(0, eq)] = opt.slice(eq + 1);
  }

  let healthcheck: Record<string, unknown> | undefined;
  const health = {
    cmd: str('health-cmd'),
    interval: num('health-interval'),
    timeout: num('health-timeout'),
    startPeriod: num('health-start-period'),
    startInterval: num('health-start-interval'),
    retries: num('health-retries'),
  };
  const haveHealth =
    health.cmd !== '' ||
    health.interval !== 0 ||
    health.timeout !== 0 ||
    health.startPeriod !== 0 ||
    health.retries !== 0 ||
    health.startInterval !== 0;
  if (bool('no-healthcheck')) {
    if (haveHealth) throw new Error('--no-healthcheck conflicts with --health-* options');
    healthcheck = { Test: ['NONE'] };
  } else if (haveHealth) {
    if (health.interval < 0) throw new Error('--health-interval cannot be negative');
    if (health.timeout < 0) throw new Error('--health-timeout cannot be negative');
    if (health.retries < 0) throw new Error('--health-retries cannot be negative');
    if (health.startPeriod < 0) throw new Error('--health-start-period cannot be negative');
    if (health.startInterval < 0) throw new Error('--health-start-interval cannot be negative');
    healthcheck = {};
    if (health.cmd) healthcheck.Test = ['CMD-SHELL', health.cmd];
    if (health.interval) healthcheck.Interval = health.interval;
    if (health.timeout) healthcheck.Timeout = health.timeout;
    if (health.startPeriod) healthcheck.StartPeriod = health.startPeriod;
    if (health.startInterval) healthcheck.StartInterval = health.startInterval;
    if (health.retries) healthcheck.Retries = health.retries;
  }

  const mounts = list<Mount>('mount');
  const sysctls = list('sysctl');
  const [capAdd, capDrop] = effectiveCaps(list('cap-add'), list('cap-drop'));
  const entrypoint =
    str('entrypoint') !== '' ? [str('entrypoint')] : parsed.changed.has('entrypoint') ? [''] : null;
  const ulimits = [...new Map(list<Ulimit>('ulimit').map((u) => [u.Name, u])).values()].sort((a, b) =>
    a.Name < b.Name ? -1 : 1,
  );

  const tty = bool('tty');
  const openStdin = bool('interactive');
  const config: Record<string, unknown> = {
    Hostname: str('hostname'),
    Domainname: str('domainname'),
    User: str('user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    Tty: tty,
    OpenStdin: openStdin,
    StdinOnce: openStdin && attachStdin,
    Env: envVars.length ? envVars : null,
    Cmd: cmd.length ? cmd : null,
    ...(healthcheck ? { Healthcheck: healthcheck } : {}),
    Image: image,
    Volumes: volumes,
    WorkingDir: str('workdir'),
    Entrypoint: entrypoint,
    OnBuild: null,
    Labels: kvMap(labels),
    ...(parsed.changed.has('stop-signal') ? { StopSignal: str('stop-signal') } : {}),
    ...(parsed.changed.has('stop-timeout') ? { StopTimeout: num('stop-timeout') } : {}),
  };

  const hostConfig: Record<string, unknown> = {
    Binds: binds.length ? binds : null,
    ContainerIDFile: str('cidfile'),
    LogConfig: { Type: str('log-driver'), Config: kvMap(logOpts) },
    NetworkMode: 'default',
    PortBindings: bindings,
    RestartPolicy: restart,
    AutoRemove: bool('rm'),
    VolumeDriver: str('volume-driver'),
    VolumesFrom: list('volumes-from').length ? list('volumes-from') : null,
    ConsoleSize: tty && env.consoleSize ? env.consoleSize : [0, 0],
    ...(list('annotation').length ? { Annotations: kvMap(list('annotation')) } : {}),
    CapAdd: capAdd,
    CapDrop: capDrop,
    CgroupnsMode: str('cgroupns'),
    Dns: list('dns'),
    DnsOptions: list('dns-option'),
    DnsSearch: list('dns-search'),
    ExtraHosts: list('add-host').length ? list('add-host') : null,
    GroupAdd: list('group-add').length ? list('group-add') : null,
    IpcMode: str('ipc'),
    Cgroup: '',
    Links: list('link').length ? list('link') : null,
    OomScoreAdj: num('oom-score-adj'),
    PidMode: str('pid'),
    Privileged: bool('privileged'),
    PublishAllPorts: bool('publish-all'),
    ReadonlyRootfs: bool('read-only'),
    SecurityOpt: list('security-opt').length ? security.security : null,
    ...(Object.keys(storageOpt).length ? { StorageOpt: storageOpt } : {}),
    ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
    UTSMode: str('uts'),
    UsernsMode: str('userns'),
    ShmSize: num('shm-size'),
    ...(sysctls.length ? { Sysctls: kvMap(sysctls) } : {}),
    ...(str('runtime') ? { Runtime: str('runtime') } : {}),
    Isolation: str('isolation'),
    CpuShares: num('cpu-shares'),
    Memory: num('memory'),
    NanoCpus: num('cpus'),
    CgroupParent: str('cgroup-parent'),
    BlkioWeight: num('blkio-weight'),
    BlkioWeightDevice: list('blkio-weight-device'),
    BlkioDeviceReadBps: list('device-read-bps'),
    BlkioDeviceWriteBps: list('device-write-bps'),
    BlkioDeviceReadIOps: list('device-read-iops'),
    BlkioDeviceWriteIOps: list('device-write-iops'),
    CpuPeriod: num('cpu-period'),
    CpuQuota: num('cpu-quota'),
    CpuRealtimePeriod: num('cpu-rt-period'),
    CpuRealtimeRuntime: num('cpu-rt-runtime'),
    CpusetCpus: str('cpuset-cpus'),
    CpusetMems: str('cpuset-mems'),
    Devices: devices,
    DeviceCgroupRules: list('device-cgroup-rule').length ? list('device-cgroup-rule') : null,
    DeviceRequests: null,
    ...(num('kernel-memory') ? { KernelMemory: num('kernel-memory') } : {}),
    MemoryReservation: num('memory-reservation'),
    MemorySwap: num('memory-swap'),
    MemorySwappiness: swappiness,
    OomKillDisable: bool('oom-kill-disable'),
    PidsLimit: num('pids-limit'),
    Ulimits: ulimits,
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    ...(mounts.length ? { Mounts: mounts } : {}),
    MaskedPaths: security.masked ?? null,
    ReadonlyPaths: security.readonly ?? null,
    ...(parsed.changed.has('init') ? { Init: bool('init') } : {}),
  };

  if (bool('rm') && restart.Name !== 'no' && restart.Name !== '') {
    throw new Error('conflicting options: cannot specify both --restart and --rm');
  }
  const network = parseNetworks({
    networks: list<NetworkAttachment>('network'),
    aliases: list('network-alias'),
    links: list('link'),
    ipv4: str('ip'),
    ipv6: str('ip6'),
    linkLocalIPs: list('link-local-ip'),
    macAddress: mac,
  });
  hostConfig.NetworkMode = network.mode;
  return {
    name: str('name'),
    platform: str('platform'),
    pull: str('pull'),
    body: { ...config, HostConfig: hostConfig, NetworkingConfig: { EndpointsConfig: network.endpoints } },
  };
}

/** `run -d`: nothing attached (docker's runContainer). */
export function detachBody(body: CreateBody): void {
  body.AttachStdin = false;
  body.AttachStdout = false;
  body.AttachStderr = false;
  body.StdinOnce = false;
}
