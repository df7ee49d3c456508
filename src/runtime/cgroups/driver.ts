// The cgroup driver: everything berth does to a container's cgroup after the plan created it
// (list, freeze, stats, kill, destroy, update). One interface, a v1 and a v2 implementation,
// one shared test suite (driver.suite.ts). Creating and joining is done by the plan interpreter
// (cgroup-mkdir / cgroup-write / cgroup-join); createCgroup and joinCgroup below do the same
// from Node for tests and for callers without the interpreter.
//
// cgroupsPath everywhere is the OCI linux.cgroupsPath, relative to each hierarchy's mount.

import type { CgroupPlan } from '../../plan/cgroups.ts';
import type { CgroupLayout } from '../../plan/facts.ts';
import type { LinuxResources } from '../../spec/oci.ts';
import { mkdirCgroup, writeCgroupFile } from './files.ts';
import { CgroupV1Driver } from './v1.ts';
import { CgroupV2Driver } from './v2.ts';

export interface BlkioEntry {
  major: number;
  minor: number;
  /** Read, Write, Sync, Async, Discard, Total (v1 names; v2 maps rbytes → Read …) */
  op: string;
  value: number;
}

/** A snapshot for `stats` and `top`. Sections are absent when the controller is not there. Values above 2^53 are approximate. */
export interface CgroupStats {
  memory?: {
    /** bytes in use, page cache included */
    usage: number;
    /** bytes; Infinity when unlimited on v2, the kernel's huge number on v1 */
    limit: number;
    /** peak usage (v1 max_usage_in_bytes, v2 memory.peak; 0 when the kernel lacks it) */
    maxUsage: number;
    cache: number;
    rss: number;
    inactiveFile: number;
    activeFile: number;
    totalInactiveFile: number;
    /** swap in use, bytes, when swap is accounted */
    swap?: number;
    /** every key of memory.stat, as the kernel lists them (for the stats API's memory_stats.stats) */
    stat: Record<string, number>;
    /** times the limit was hit: v1 memory.failcnt, v2 the `oom` count of memory.events */
    failcnt: number;
  };
  cpu: {
    /** nanoseconds */
    usageTotal: number;
    usageUser: number;
    usageSystem: number;
    /** nanoseconds per cpu (v1 only; empty on v2) */
    perCpu: number[];
    throttling: { periods: number; throttledPeriods: number; throttledTime: number };
  };
  pids?: { current: number; limit: number };
  blkio: { ioServiceBytesRecursive: BlkioEntry[]; ioServicedRecursive: BlkioEntry[] };
  oomKills: number;
  /** cpu quota and period in microseconds, for display; quota -1 when unlimited */
  cpuQuota: number;
  cpuPeriod: number;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Every directory the container has (one per distinct hierarchy), whether it exists or not. */
  paths(cgroupsPath: string): string[];
  /** True when any of the container's directories exists. */
  exists(cgroupsPath: string): boolean;
  /** Every process in the container's cgroups and their descendants, sorted, without duplicates; [] when missing. */
  pids(cgroupsPath: string): number[];
  /**
   * Freezes every process; resolves once the kernel reports the cgroup frozen (v1 freezer.state
   * FROZEN, v2 cgroup.events `frozen 1`). Rejects with Unavailable after a few seconds (and
   * thaws again), with NotImplemented when there is no freezer.
   */
  freeze(cgroupsPath: string): Promise<void>;
  /** Thaws; resolves once the cgroup is no longer frozen. */
  thaw(cgroupsPath: string): Promise<void>;
  /** True when the kernel reports the cgroup frozen. */
  frozen(cgroupsPath: string): boolean;
  /** Current usage and limits; missing files read as 0. */
  stats(cgroupsPath: string): CgroupStats;
  /** How many processes the OOM killer has killed in this cgroup (0 when unknown). */
  oomKilled(cgroupsPath: string): number;
  /**
   * Sends signal to every process (v2 SIGKILL: cgroup.kill; otherwise freeze, signal each pid,
   * thaw, so that forks cannot escape). For SIGKILL, resolves once the cgroup is empty.
   */
  killAll(cgroupsPath: string, signal: NodeJS.Signals | number): Promise<void>;
  /**
   * Removes the container's directories and any child cgroups, deepest first, retrying EBUSY
   * briefly; missing directories are fine. Ancestors (e.g. /berth) are left alone. Fails when
   * processes remain.
   */
  destroy(cgroupsPath: string): Promise<void>;
  /**
   * Removes the container's directories if they are empty, one rmdir each and nothing else (no
   * listing, no waiting): true when all are gone; false at the first that still holds processes
   * or child cgroups (those before it are removed, the rest are left for killAll and destroy).
   */
  removeEmpty(cgroupsPath: string): boolean;
  /**
   * Applies new limits to an existing cgroup (`update`): the planner's writes, ordered so the
   * kernel accepts them (v1 memsw is raised before the memory limit). Device rules are fixed at
   * creation and ignored here. NotFound when the cgroup does not exist.
   */
  apply(cgroupsPath: string, resources: LinuxResources): void;
  /**
   * Readies a parent under which many containers' cgroups are made (berthd's /berth): v1, it
   * exists in the cpuset hierarchy with cpus and mems filled from its nearest filled ancestor
   * and cgroup.clone_children set, so each new child gets them from the kernel at mkdir and the
   * plan writes nothing there (src/plan/cgroups.ts). v2: nothing. Best effort: false when it
   * could not (the plans then fill each child as before).
   */
  prepareParent(parentPath: string): boolean;
}

export function cgroupDriver(layout: CgroupLayout): CgroupDriver {
  return layout.version === 1 ? new CgroupV1Driver(layout) : new CgroupV2Driver(layout);
}

/** Does what the plan's cgroup-mkdir and cgroup-write steps do. */
export function createCgroup(plan: CgroupPlan): void {
  for (const dir of plan.mkdirs) mkdirCgroup(dir);
  for (const w of plan.writes) writeCgroupFile(w.path, w.value);
}

/** Does what the plan's cgroup-join steps do, for one process. */
export function joinCgroup(plan: CgroupPlan, pid: number): void {
  for (const procs of plan.joins) writeCgroupFile(procs, String(pid));
}
