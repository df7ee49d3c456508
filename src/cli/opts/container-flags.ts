// The flags of `docker create` and `docker run` (docker/cli container.addFlags and AddRunFlags),
// with their value types and per-value checks; help texts as docker prints them.

import {
  memSwapBytes,
  nanoCpus,
  parseGoDuration,
  parseGoInt,
  parseGoUint,
  ramInBytes,
} from '../../common/govalues.ts';
import type { OptDef } from './flags.ts';
import type { Lookup } from './kvfile.ts';
import { validateEnv } from './kvfile.ts';
import { parseMount } from './mounts.ts';
import { parseNetworkOpt } from './network.ts';
import {
  parseThrottleBps,
  parseThrottleIops,
  parseUlimit,
  parseWeightDevice,
  validateAttach,
  validateDeviceCgroupRule,
  validateExtraHost,
  validateIPAddress,
  validateLabel,
  validateSysctl,
} from './validators.ts';

export interface FlagEnv {
  /** The CLI's environment, for `-e NAME` without a value. */
  lookup: Lookup;
  /** The directory relative paths are resolved against. */
  cwd: string;
}

const s = (name: string, description: string, extra: Partial<OptDef> = {}): OptDef => ({
  name,
  type: 'string',
  description,
  ...extra,
});
const b = (name: string, description: string, extra: Partial<OptDef> = {}): OptDef => ({
  name,
  type: 'bool',
  description,
  ...extra,
});
const l = (name: string, description: string, extra: Partial<OptDef> = {}): OptDef => ({
  name,
  type: 'list',
  description,
  typeName: 'list',
  ...extra,
});
const int = (name: string, description: string, extra: Partial<OptDef> = {}): OptDef => ({
  name,
  type: 'string',
  description,
  typeName: 'int',
  parse: (v) => parseGoInt(v),
  ...extra,
});
const bytes = (name: string, description: string, extra: Partial<OptDef> = {}): OptDef => ({
  name,
  type: 'string',
  description,
  typeName: 'bytes',
  parse: ramInBytes,
  ...extra,
});
const duration = (name: string, description: string): OptDef => ({
  name,
  type: 'string',
  description,
  typeName: 'duration',
  parse: parseGoDuration,
});

/** The flags `create` and `run` share. */
export function containerFlags(env: FlagEnv): OptDef[] {
  return [
    l('add-host', 'Add a custom host-to-IP mapping (host:ip)', { parse: validateExtraHost }),
    l('annotation', 'Add an annotation to the container (passed through to the OCI runtime)', {
      hidden: true,
    }),
    l('attach', 'Attach to STDIN, STDOUT or STDERR', { short: 'a', parse: validateAttach }),
    s('blkio-weight', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', {
      typeName: 'uint16',
      parse: (v) => parseGoUint(v, 16),
    }),
    l('blkio-weight-device', 'Block IO weight (relative device weight)', { parse: parseWeightDevice }),
    l('cap-add', 'Add Linux capabilities'),
    l('cap-drop', 'Drop Linux capabilities'),
    s('cgroup-parent', 'Optional parent cgroup for the container'),
    s('cgroupns', 'Cgroup namespace to use (host|private)'),
    s('cidfile', 'Write the container ID to the file'),
    int('cpu-period', 'Limit CPU CFS (Completely Fair Scheduler) period'),
    int('cpu-quota', 'Limit CPU CFS (Completely Fair Scheduler) quota'),
    int('cpu-rt-period', 'Limit CPU real-time period in microseconds'),
    int('cpu-rt-runtime', 'Limit CPU real-time runtime in microseconds'),
    int('cpu-shares', 'CPU shares (relative weight)', { short: 'c' }),
    s('cpus', 'Number of CPUs', { typeName: 'decimal', parse: nanoCpus }),
    s('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
    s('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
    l('device', 'Add a host device to the container'),
    l('device-cgroup-rule', 'Add a rule to the cgroup allowed devices list', {
      parse: validateDeviceCgroupRule,
    }),
    l('device-read-bps', 'Limit read rate (bytes per second) from a device', { parse: parseThrottleBps }),
    l('device-read-iops', 'Limit read rate (IO per second) from a device', { parse: parseThrottleIops }),
    l('device-write-bps', 'Limit write rate (bytes per second) to a device', { parse: parseThrottleBps }),
    l('device-write-iops', 'Limit write rate (IO per second) to a device', { parse: parseThrottleIops }),
    b('disable-content-trust', 'Skip image verification', { default: true }),
    l('dns', 'Set custom DNS servers', { parse: validateIPAddress }),
    l('dns-option', 'Set DNS options', { aliases: ['dns-opt'] }),
    l('dns-search', 'Set custom DNS search domains'),
    s('domainname', 'Container NIS domain name'),
    s('entrypoint', 'Overwrite the default ENTRYPOINT of the image'),
    l('env', 'Set environment variables', { short: 'e', parse: (v) => validateEnv(v, env.lookup) }),
    l('env-file', 'Read in a file of environment variables'),
    l('expose', 'Expose a port or a range of ports'),
    l('group-add', 'Add additional groups to join'),
    s('health-cmd', 'Command to run to check health'),
    duration('health-interval', 'Time between running the check (ms|s|m|h) (default 0s)'),
    int('health-retries', 'Consecutive failures needed to report unhealthy'),
    duration(
      'health-start-interval',
      'Time between running the check during the start period (ms|s|m|h) (default 0s)',
    ),
    duration(
      'health-start-period',
      'Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)',
    ),
    duration('health-timeout', 'Maximum time to allow one check to run (ms|s|m|h) (default 0s)'),
    b('help', 'Print usage'),
    s('hostname', 'Container host name', { short: 'h' }),
    b('init', 'Run an init inside the container that forwards signals and reaps processes'),
    b('interactive', 'Keep STDIN open even if not attached', { short: 'i' }),
    s('ip', 'IPv4 address (e.g., 172.30.100.104)'),
    s('ip6', 'IPv6 address (e.g., 2001:db8::33)'),
    s('ipc', 'IPC mode to use'),
    s('isolation', 'Container isolation technology'),
    bytes('kernel-memory', 'Kernel memory limit'),
    l('label', 'Set meta data on a container', { short: 'l', parse: validateLabel }),
    l('label-file', 'Read in a line delimited file of labels'),
    l('link', 'Add link to another container'),
    l('link-local-ip', 'Container IPv4/IPv6 link-local addresses'),
    s('log-driver', 'Logging driver for the container'),
    l('log-opt', 'Log driver options'),
    s('mac-address', 'Container MAC address (e.g., 92:d0:c6:0a:29:33)'),
    bytes('memory', 'Memory limit', { short: 'm' }),
    bytes('memory-reservation', 'Memory soft limit'),
    s('memory-swap', "Swap limit equal to memory plus swap: '-1' to enable unlimited swap", {
      typeName: 'bytes',
      parse: memSwapBytes,
    }),
    int('memory-swappiness', 'Tune container memory swappiness (0 to 100)', { default: -1 }),
    l('mount', 'Attach a filesystem mount to the container', {
      typeName: 'mount',
      parse: (v) => parseMount(v, env.cwd),
    }),
    s('name', 'Assign a name to the container'),
    l('network', 'Connect a container to a network', {
      typeName: 'network',
      aliases: ['net'],
      parse: parseNetworkOpt,
    }),
    l('network-alias', 'Add network-scoped alias for the container', { aliases: ['net-alias'] }),
    b('no-healthcheck', 'Disable any container-specified HEALTHCHECK'),
    b('oom-kill-disable', 'Disable OOM Killer'),
    int('oom-score-adj', "Tune host's OOM preferences (-1000 to 1000)"),
    s('pid', 'PID namespace to use'),
    int('pids-limit', 'Tune container pids limit (set -1 for unlimited)'),
    s('platform', 'Set platform if server is multi-platform capable'),
    b('privileged', 'Give extended privileges to this container'),
    l('publish', "Publish a container's port(s) to the host", { short: 'p' }),
    b('publish-all', 'Publish all exposed ports to random ports', { short: 'P' }),
    s('pull', 'Pull image before running ("always", "missing", "never")', { default: 'missing' }),
    b('quiet', 'Suppress the pull output', { short: 'q' }),
    b('read-only', "Mount the container's root filesystem as read only"),
    s('restart', 'Restart policy to apply when a container exits', { default: 'no' }),
    b('rm', 'Automatically remove the container and its associated anonymous volumes when it exits'),
    s('runtime', 'Runtime to use for this container'),
    l('security-opt', 'Security Options'),
    bytes('shm-size', 'Size of /dev/shm'),
    s('stop-signal', 'Signal to stop the container'),
    int('stop-timeout', 'Timeout (in seconds) to stop a container'),
    l('storage-opt', 'Storage driver options for the container'),
    l('sysctl', 'Sysctl options', { typeName: 'map', parse: validateSysctl }),
    l('tmpfs', 'Mount a tmpfs directory'),
    b('tty', 'Allocate a pseudo-TTY', { short: 't' }),
    l('ulimit', 'Ulimit options', { typeName: 'ulimit', parse: parseUlimit }),
    s('user', 'Username or UID (format: <name|uid>[:<group|gid>])', { short: 'u' }),
    s('userns', 'User namespace to use'),
    s('uts', 'UTS namespace to use'),
    l('volume', 'Bind mount a volume', { short: 'v' }),
    s('volume-driver', 'Optional volume driver for the container'),
    l('volumes-from', 'Mount volumes from the specified container(s)'),
    s('workdir', 'Working directory inside the container', { short: 'w' }),
  ];
}

/** The flags only `run` has. */
export const RUN_ONLY_FLAGS: OptDef[] = [
  b('detach', 'Run container in background and print container ID', { short: 'd' }),
  s('detach-keys', 'Override the key sequence for detaching a container'),
  b('sig-proxy', 'Proxy received signals to the process', { default: true }),
];

/** run's flags: create's and its own, sorted as docker's help lists them. */
export function runFlags(env: FlagEnv): OptDef[] {
  return [...containerFlags(env), ...RUN_ONLY_FLAGS].sort((x, y) => (x.name < y.name ? -1 : 1));
}
