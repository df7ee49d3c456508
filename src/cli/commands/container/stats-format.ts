// `docker stats` numbers and table (docker/cli stats_helpers.go and formatter_stats.go): CPU %
// from the change in the container's and the system's CPU time between two readings, memory as
// usage minus inactive file pages (total_inactive_file on cgroup v1, inactive_file on v2).

import { renderFormat, TABLE_FORMAT_KEY } from '../../format/format.ts';
import { formatFloat } from '../../format/gofloat.ts';
import { Row } from '../../format/lists/row.ts';
import { bytesSize, humanSizeWithPrecision, truncateID } from '../../format/units.ts';

/** The parts of GET /containers/{id}/stats that docker's table uses. */
export interface StatsJSON {
  name?: string;
  id?: string;
  pids_stats?: { current?: number };
  blkio_stats?: { io_service_bytes_recursive?: { op: string; value: number }[] | null };
  cpu_stats?: CPUStats;
  precpu_stats?: CPUStats;
  memory_stats?: { usage?: number; limit?: number; stats?: Record<string, number> };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}

interface CPUStats {
  cpu_usage?: { total_usage?: number; percpu_usage?: number[] | null };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export interface StatsEntry {
  /** The name or ID the user gave (or the list's ID). */
  Container: string;
  Name: string;
  ID: string;
  CPUPercentage: number;
  Memory: number;
  MemoryLimit: number;
  MemoryPercentage: number;
  NetworkRx: number;
  NetworkTx: number;
  BlockRead: number;
  BlockWrite: number;
  PidsCurrent: number;
  IsInvalid: boolean;
}

export function cpuPercent(v: StatsJSON): number {
  const cur = v.cpu_stats ?? {};
  const pre = v.precpu_stats ?? {};
  const cpuDelta = (cur.cpu_usage?.total_usage ?? 0) - (pre.cpu_usage?.total_usage ?? 0);
  const systemDelta = (cur.system_cpu_usage ?? 0) - (pre.system_cpu_usage ?? 0);
  let online = cur.online_cpus ?? 0;
  if (online === 0) online = cur.cpu_usage?.percpu_usage?.length ?? 0;
  return systemDelta > 0 && cpuDelta > 0 ? (cpuDelta / systemDelta) * online * 100 : 0;
}

/** Memory in use without the page cache that could be dropped. */
export function memoryUsage(mem: NonNullable<StatsJSON['memory_stats']>): number {
  const usage = mem.usage ?? 0;
  const stats = mem.stats ?? {};
  if ('total_inactive_file' in stats && stats.total_inactive_file < usage)
    return usage - stats.total_inactive_file;
  const inactive = stats.inactive_file ?? 0;
  if (inactive < usage) return usage - inactive;
  return usage;
}

export function statsEntry(container: string, v: StatsJSON): StatsEntry {
  const mem = v.memory_stats ?? {};
  const used = memoryUsage(mem);
  const limit = mem.limit ?? 0;
  let read = 0;
  let write = 0;
  for (const e of v.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op?.[0];
    if (op === 'r' || op === 'R') read += e.value;
    else if (op === 'w' || op === 'W') write += e.value;
  }
  let rx = 0;
  let tx = 0;
  for (const n of Object.values(v.networks ?? {})) {
    rx += n.rx_bytes;
    tx += n.tx_bytes;
  }
  return {
    Container: container,
    Name: v.name ?? '',
    ID: v.id ?? '',
    CPUPercentage: cpuPercent(v),
    Memory: used,
    MemoryLimit: limit,
    MemoryPercentage: limit !== 0 ? (used / limit) * 100 : 0,
    NetworkRx: rx,
    NetworkTx: tx,
    BlockRead: read,
    BlockWrite: write,
    PidsCurrent: v.pids_stats?.current ?? 0,
    IsInvalid: false,
  };
}

/** An entry for a container whose stats could not be read: `--` in every column. */
export function invalidEntry(container: string): StatsEntry {
  return { ...statsEntry(container, {}), IsInvalid: true };
}

const percent = (x: number) => `${formatFloat(x, 'f', 2)}%`;

export class StatsContext extends Row {
  static override goName = 'container.statsContext';
  readonly #s: StatsEntry;
  readonly #trunc: boolean;

  constructor(s: StatsEntry, trunc: boolean) {
    super();
    this.#s = s;
    this.#trunc = trunc;
  }
  get Container(): string {
    return this.#s.Container;
  }
  get Name(): string {
    return this.#s.Name.length > 1 ? this.#s.Name.slice(1) : '--';
  }
  get ID(): string {
    return this.#trunc ? truncateID(this.#s.ID) : this.#s.ID;
  }
  get CPUPerc(): string {
    return this.#s.IsInvalid ? '--' : percent(this.#s.CPUPercentage);
  }
  get MemUsage(): string {
    if (this.#s.IsInvalid) return '-- / --';
    return `${bytesSize(this.#s.Memory)} / ${bytesSize(this.#s.MemoryLimit)}`;
  }
  get MemPerc(): string {
    return this.#s.IsInvalid ? '--' : percent(this.#s.MemoryPercentage);
  }
  get NetIO(): string {
    if (this.#s.IsInvalid) return '--';
    return `${humanSizeWithPrecision(this.#s.NetworkRx, 3)} / ${humanSizeWithPrecision(this.#s.NetworkTx, 3)}`;
  }
  get BlockIO(): string {
    if (this.#s.IsInvalid) return '--';
    return `${humanSizeWithPrecision(this.#s.BlockRead, 3)} / ${humanSizeWithPrecision(this.#s.BlockWrite, 3)}`;
  }
  get PIDs(): string {
    return this.#s.IsInvalid ? '--' : String(this.#s.PidsCurrent);
  }
}

export const DEFAULT_STATS_FORMAT =
  'table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}';

const HEADERS: Record<string, string> = {
  Container: 'CONTAINER',
  ID: 'CONTAINER ID',
  Name: 'NAME',
  CPUPerc: 'CPU %',
  MemUsage: 'MEM USAGE / LIMIT',
  MemPerc: 'MEM %',
  NetIO: 'NET I/O',
  BlockIO: 'BLOCK I/O',
  PIDs: 'PIDS',
};

/** One rendering of the stats table (or --format) for these entries. */
export function formatStats(entries: readonly StatsEntry[], format: string, noTrunc: boolean): string {
  const f = format === '' || format === TABLE_FORMAT_KEY ? DEFAULT_STATS_FORMAT : format;
  return renderFormat(
    f,
    entries.map((e) => new StatsContext(e, !noTrunc)),
    HEADERS,
  );
}
