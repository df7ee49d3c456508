// `GET /containers/{id}/stats` (API 1.45 shape). A sample is what the cgroup driver reads plus
// the host's CPU time (/proc/stat) and the container's interfaces (/proc/<pid>/net/dev);
// statsResponse shapes one or two samples into Docker's JSON, as dockerd does for cgroup v1 and
// v2; containerStats produces the one-shot, stream=0 (primed by a sample a second earlier) and
// streamed responses. summarizeStats is the docker CLI's own arithmetic (CPU %, memory without
// the inactive page cache), pure, for `berth stats`.

import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlkioEntry, CgroupDriver, CgroupStats } from '../../runtime/cgroups/driver.ts';

// ---- Docker's JSON --------------------------------------------------------------------------

export interface BlkioStatEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface CpuStats {
  cpu_usage: {
    total_usage: number;
    /** cgroup v1 only */
    percpu_usage?: number[];
    usage_in_kernelmode: number;
    usage_in_usermode: number;
  };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface MemoryStats {
  usage?: number;
  /** cgroup v1 only */
  max_usage?: number;
  stats?: Record<string, number>;
  failcnt?: number;
  limit?: number;
}

export interface NetworkStats {
  rx_bytes: number;
  rx_packets: number;
  rx_errors: number;
  rx_dropped: number;
  tx_bytes: number;
  tx_packets: number;
  tx_errors: number;
  tx_dropped: number;
}

type BlkioList = BlkioStatEntry[] | null;

/** The body of a stats response (dockerd's StatsJSON; zero-valued fields dockerd omits are absent). */
export interface ContainerStats {
  read: string;
  preread: string;
  pids_stats: { current?: number; limit?: number };
  blkio_stats: {
    io_service_bytes_recursive: BlkioList;
    io_serviced_recursive: BlkioList;
    io_queue_recursive: BlkioList;
    io_service_time_recursive: BlkioList;
    io_wait_time_recursive: BlkioList;
    io_merged_recursive: BlkioList;
    io_time_recursive: BlkioList;
    sectors_recursive: BlkioList;
  };
  num_procs: number;
  storage_stats: Record<string, never>;
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: MemoryStats;
  name: string;
  id: string;
  networks?: Record<string, NetworkStats>;
}

// ---- samples --------------------------------------------------------------------------------

export interface StatsTarget {
  id: string;
  /** the container's name; the response has it with a leading slash, as dockerd's */
  name: string;
  /** the OCI cgroupsPath the container was created with */
  cgroupsPath: string;
  /** a process in the container's network namespace (its init); absent: no `networks` (host network) */
  netnsPid?: number;
}

/** One reading of a running container. */
export interface StatsSample {
  /** when it was taken, in nanoseconds since the epoch */
  read: bigint;
  cgroupVersion: 1 | 2;
  cgroup: CgroupStats;
  /** the host's CPU time, nanoseconds (see parseProcStat) */
  systemCpuUsage: number;
  onlineCpus: number;
  /** the host's memory, bytes: the limit shown when the container's is higher */
  hostMemory: number;
  /** by interface, lo excluded */
  networks?: Record<string, NetworkStats>;
}

const CLK_TCK = 100n;
const NS_PER_S = 1_000_000_000n;

/**
 * The host's CPU time as dockerd computes it: the first seven fields of /proc/stat's `cpu` line
 * (user nice system idle iowait irq softirq) in clock ticks × 1e9 / 100; online CPUs are the
 * `cpuN` lines.
 */
export function parseProcStat(text: string): { systemCpuUsage: number; onlineCpus: number } {
  let ticks = 0n;
  let onlineCpus = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith('cpu')) break; // the cpu lines come first
    const fields = line.trim().split(/\s+/);
    if (fields[0] === 'cpu') ticks = fields.slice(1, 8).reduce((sum, f) => sum + BigInt(f), 0n);
    else if (/^cpu\d+$/.test(fields[0])) onlineCpus++;
  }
  return { systemCpuUsage: Number((ticks * NS_PER_S) / CLK_TCK), onlineCpus };
}

/** /proc/<pid>/net/dev as dockerd's per-interface counters; lo is left out. */
export function parseNetDev(text: string): Record<string, NetworkStats> {
  const out: Record<string, NetworkStats> = {};
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const name = line.slice(0, colon).trim();
    const f = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .map(Number);
    if (name === 'lo' || f.length < 16) continue;
    out[name] = {
      rx_bytes: f[0],
      rx_packets: f[1],
      rx_errors: f[2],
      rx_dropped: f[3],
      tx_bytes: f[8],
      tx_packets: f[9],
      tx_errors: f[10],
      tx_dropped: f[11],
    };
  }
  return out;
}

function readNetworks(pid: number | undefined): Record<string, NetworkStats> | undefined {
  if (pid === undefined) return undefined;
  try {
    const networks = parseNetDev(readFileSync(`/proc/${pid}/net/dev`, 'utf8'));
    return Object.keys(networks).length > 0 ? networks : undefined;
  } catch {
    return undefined; // the process has just exited
  }
}

/** Now, in nanoseconds since the epoch (microsecond resolution). */
const nowNs = (): bigint => BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;

/** Reads one sample of a running container. */
export function sampleStats(driver: CgroupDriver, target: StatsTarget): StatsSample {
  const cgroup = driver.stats(target.cgroupsPath);
  const host = parseProcStat(readFileSync('/proc/stat', 'utf8'));
  return {
    read: nowNs(),
    cgroupVersion: driver.version,
    cgroup,
    ...host,
    hostMemory: totalmem(),
    networks: readNetworks(target.netnsPid),
  };
}

// ---- shaping --------------------------------------------------------------------------------

/** Go's time.Time in RFC3339Nano (UTC; trailing zeros of the fraction trimmed). */
export function rfc3339Nano(ns: bigint | undefined): string {
  if (ns === undefined) return '0001-01-01T00:00:00Z';
  const seconds = ns / NS_PER_S;
  const frac = (ns % NS_PER_S).toString().padStart(9, '0').replace(/0+$/, '');
  const date = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${date}${frac ? `.${frac}` : ''}Z`;
}

const emptyCpu = (): CpuStats => ({
  cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 },
  throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 },
});

function cpuStats(sample: StatsSample | undefined): CpuStats {
  if (!sample) return emptyCpu();
  const { cpu } = sample.cgroup;
  const out: CpuStats = {
    cpu_usage: {
      total_usage: cpu.usageTotal,
      ...(sample.cgroupVersion === 1 && cpu.perCpu.length > 0 ? { percpu_usage: cpu.perCpu } : {}),
      usage_in_kernelmode: cpu.usageSystem,
      usage_in_usermode: cpu.usageUser,
    },
    throttling_data: {
      periods: cpu.throttling.periods,
      throttled_periods: cpu.throttling.throttledPeriods,
      throttled_time: cpu.throttling.throttledTime,
    },
  };
  if (sample.systemCpuUsage) out.system_cpu_usage = sample.systemCpuUsage;
  if (sample.onlineCpus) out.online_cpus = sample.onlineCpus;
  return out;
}

/** Sets key to value unless it is 0 or absent (Go's omitempty). */
function setNonZero<T extends object, K extends keyof T>(o: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined && value !== 0) o[key] = value;
}

function memoryStats(sample: StatsSample): MemoryStats {
  const mem = sample.cgroup.memory;
  if (!mem) return {};
  const out: MemoryStats = {};
  setNonZero(out, 'usage', mem.usage);
  if (sample.cgroupVersion === 1) setNonZero(out, 'max_usage', mem.maxUsage);
  if (Object.keys(mem.stat).length > 0) out.stats = { ...mem.stat };
  setNonZero(out, 'failcnt', mem.failcnt);
  // no limit (v2 `max`, v1's huge number) or one above the host's memory: the host's memory
  const limit = Number.isFinite(mem.limit) && mem.limit <= sample.hostMemory ? mem.limit : sample.hostMemory;
  setNonZero(out, 'limit', limit);
  return out;
}

function blkioStats(sample: StatsSample | undefined): ContainerStats['blkio_stats'] {
  const none = {
    io_service_bytes_recursive: null,
    io_serviced_recursive: null,
    io_queue_recursive: null,
    io_service_time_recursive: null,
    io_wait_time_recursive: null,
    io_merged_recursive: null,
    io_time_recursive: null,
    sectors_recursive: null,
  };
  if (!sample) return none;
  const entry = (e: BlkioEntry, op = e.op): BlkioStatEntry => ({
    major: e.major,
    minor: e.minor,
    op,
    value: e.value,
  });
  const { blkio } = sample.cgroup;
  if (sample.cgroupVersion === 2) {
    // dockerd reports only bytes read and written on v2, ops in lower case
    const bytes = blkio.ioServiceBytesRecursive
      .filter((e) => e.op === 'Read' || e.op === 'Write')
      .map((e) => entry(e, e.op.toLowerCase()));
    return { ...none, io_service_bytes_recursive: bytes.length > 0 ? bytes : null };
  }
  return {
    io_service_bytes_recursive: blkio.ioServiceBytesRecursive.map((e) => entry(e)),
    io_serviced_recursive: blkio.ioServicedRecursive.map((e) => entry(e)),
    io_queue_recursive: [],
    io_service_time_recursive: [],
    io_wait_time_recursive: [],
    io_merged_recursive: [],
    io_time_recursive: [],
    sectors_recursive: [],
  };
}

/**
 * The response for sample `cur` with `prev` as its precpu/preread (absent: zero, as in dockerd's
 * first streamed frame and one-shot answers). Without `cur` (the container is not running) only
 * name and id are filled in, as dockerd answers then.
 */
export function statsResponse(
  target: Pick<StatsTarget, 'id' | 'name'>,
  cur: StatsSample | undefined,
  prev?: StatsSample,
): ContainerStats {
  const pids: ContainerStats['pids_stats'] = {};
  if (cur?.cgroup.pids) {
    setNonZero(pids, 'current', cur.cgroup.pids.current);
    setNonZero(pids, 'limit', cur.cgroup.pids.limit);
  }
  const out: ContainerStats = {
    read: rfc3339Nano(cur?.read),
    preread: rfc3339Nano(prev?.read),
    pids_stats: pids,
    blkio_stats: blkioStats(cur),
    num_procs: 0,
    storage_stats: {},
    cpu_stats: cpuStats(cur),
    precpu_stats: cpuStats(prev),
    memory_stats: cur ? memoryStats(cur) : {},
    name: target.name.startsWith('/') ? target.name : `/${target.name}`,
    id: target.id,
  };
  if (cur?.networks) out.networks = cur.networks;
  return out;
}

/**
 * JSON text of a response with integers above 2^53 written exactly (memory.stat's
 * hierarchical_memory_limit is 2^63 − 4096 on v1 without a limit; JSON.stringify would round it).
 */
export function encodeStats(stats: ContainerStats): string {
  const raw = (JSON as unknown as { rawJSON?: (text: string) => unknown }).rawJSON;
  return JSON.stringify(stats, (_key, value: unknown) =>
    raw && typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value)
      ? raw(BigInt(value).toString())
      : value,
  );
}

// ---- producing responses --------------------------------------------------------------------

export interface StatsOptions {
  /** stream=1: a response every interval until the signal aborts */
  stream: boolean;
  /** with stream=0: answer at once, precpu left empty (one-shot=1) */
  oneShot?: boolean;
  signal?: AbortSignal;
  /** between samples, ms (default 1000, dockerd's collector interval) */
  intervalMs?: number;
  /** false while the container is not running (default: it runs while its cgroup exists) */
  running?: () => boolean;
}

/**
 * The responses of a stats request. stream=0 takes a sample, waits an interval and answers with
 * a second one, the first as precpu (one-shot: the first alone). stream=1 answers every interval
 * with the previous sample as precpu, the first with none. A container that is not running gets
 * responses with only name and id. Ends quietly when the signal aborts.
 */
export async function* containerStats(
  driver: CgroupDriver,
  target: StatsTarget,
  options: StatsOptions,
): AsyncGenerator<ContainerStats> {
  const interval = options.intervalMs ?? 1000;
  const take = (): StatsSample | undefined =>
    (options.running?.() ?? true) && driver.exists(target.cgroupsPath)
      ? sampleStats(driver, target)
      : undefined;
  const pause = async (): Promise<boolean> => {
    try {
      await sleep(interval, undefined, { signal: options.signal });
      return true;
    } catch {
      return false; // aborted
    }
  };
  if (options.signal?.aborted) return;
  if (!options.stream) {
    const first = take();
    if (!first || options.oneShot) {
      yield statsResponse(target, first);
      return;
    }
    if (!(await pause())) return;
    yield statsResponse(target, take(), first);
    return;
  }
  let prev: StatsSample | undefined;
  for (;;) {
    const cur = take();
    yield statsResponse(target, cur, prev);
    prev = cur;
    if (!(await pause())) return;
  }
}

// ---- the docker CLI's arithmetic ------------------------------------------------------------

export interface StatsSummary {
  /** percent of one CPU (100 per fully used CPU) */
  cpuPercent: number;
  /** bytes in use without the inactive page cache */
  memoryUsage: number;
  memoryLimit: number;
  memoryPercent: number;
  networkRx: number;
  networkTx: number;
  blockRead: number;
  blockWrite: number;
  pids: number;
}

/**
 * What `docker stats` shows for one response (a Linux daemon): CPU % = Δtotal_usage /
 * Δsystem_cpu_usage × online CPUs × 100 against precpu (0 when either delta is not positive;
 * online CPUs falls back to the number of per-CPU values); memory = usage − total_inactive_file
 * (v1) or − inactive_file (v2) when smaller than usage; block I/O sums the bytes of ops starting with r and w.
 */
export function summarizeStats(s: ContainerStats): StatsSummary {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - s.precpu_stats.cpu_usage.total_usage;
  const systemDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats.system_cpu_usage ?? 0);
  const cpus = s.cpu_stats.online_cpus || (s.cpu_stats.cpu_usage.percpu_usage?.length ?? 0);
  const cpuPercent = cpuDelta > 0 && systemDelta > 0 ? (cpuDelta / systemDelta) * cpus * 100 : 0;

  const usage = s.memory_stats.usage ?? 0;
  const stats = s.memory_stats.stats ?? {};
  // v1 has total_inactive_file; when it is not below usage the CLI falls through to the v2 key
  let memoryUsage = usage;
  if (stats.total_inactive_file !== undefined && stats.total_inactive_file < usage)
    memoryUsage = usage - stats.total_inactive_file;
  else if ((stats.inactive_file ?? 0) < usage) memoryUsage = usage - (stats.inactive_file ?? 0);
  const memoryLimit = s.memory_stats.limit ?? 0;

  let blockRead = 0;
  let blockWrite = 0;
  for (const e of s.blkio_stats.io_service_bytes_recursive ?? []) {
    const op = e.op[0]?.toLowerCase();
    if (op === 'r') blockRead += e.value;
    else if (op === 'w') blockWrite += e.value;
  }
  let networkRx = 0;
  let networkTx = 0;
  for (const n of Object.values(s.networks ?? {})) {
    networkRx += n.rx_bytes;
    networkTx += n.tx_bytes;
  }
  return {
    cpuPercent,
    memoryUsage,
    memoryLimit,
    memoryPercent: memoryLimit !== 0 ? (memoryUsage / memoryLimit) * 100 : 0,
    networkRx,
    networkTx,
    blockRead,
    blockWrite,
    pids: s.pids_stats.current ?? 0,
  };
}
