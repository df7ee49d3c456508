// cgroup v1: one hierarchy per controller (or per group of co-mounted controllers) under
// /sys/fs/cgroup/<controller>, plus the cgroup2 `unified` directory of a hybrid host.

import { existsSync } from 'node:fs';
import { notImplemented, unavailable } from '../../common/errors.ts';
import { type CgroupWrite, cgroupRelPath, planCgroup } from '../../plan/cgroups.ts';
import type { CgroupLayout } from '../../plan/facts.ts';
import { CgroupDriverBase, waitFor } from './base.ts';
import { cgroupHostFeatures } from './detect.ts';
import type { BlkioEntry, CgroupStats } from './driver.ts';
import { mkdirCgroup, readKeyed, readNumber, readOptional, writeCgroupFile } from './files.ts';

type V1Layout = Extract<CgroupLayout, { version: 1 }>;

const USER_HZ = 100;

export class CgroupV1Driver extends CgroupDriverBase {
  readonly version = 1 as const;
  readonly mounts: Record<string, string>;

  constructor(layout: V1Layout) {
    super(layout);
    this.mounts = layout.mounts;
  }

  override prepareParent(parentPath: string): boolean {
    const dir = this.dir('cpuset', parentPath);
    if (!dir) return true;
    try {
      // the nearest filled-in cpuset directory, parentPath itself when it exists and is filled
      const features = cgroupHostFeatures(this.layout, parentPath);
      if (features.cpusetParent?.path !== cgroupRelPath(parentPath)) {
        // missing or not filled in: made and filled the way a plan does it (its cpuset part only)
        const plan = planCgroup(this.layout, parentPath, {}, features);
        const cpuset = (path: string) => path.startsWith(`${this.mounts.cpuset}/`);
        for (const d of plan.mkdirs.filter(cpuset)) mkdirCgroup(d);
        for (const w of plan.writes.filter((w) => cpuset(w.path))) writeCgroupFile(w.path, w.value);
      }
      if (readOptional(`${dir}/cgroup.clone_children`)?.trim() !== '1')
        writeCgroupFile(`${dir}/cgroup.clone_children`, '1');
      return true;
    } catch {
      return false;
    }
  }

  /** The container's directory in a controller's hierarchy, or undefined when not mounted. */
  dir(controller: string, cgroupsPath: string): string | undefined {
    const mount = this.mounts[controller];
    return mount === undefined ? undefined : mount.replace(/\/+$/, '') + cgroupRelPath(cgroupsPath);
  }

  private freezerState(cgroupsPath: string): string {
    const dir = this.dir('freezer', cgroupsPath);
    if (!dir) throw notImplemented('the freezer cgroup controller is not mounted on this host');
    return (readOptional(`${dir}/freezer.state`) ?? '').trim();
  }

  protected canFreeze(cgroupsPath: string): boolean {
    const dir = this.dir('freezer', cgroupsPath);
    return dir !== undefined && existsSync(dir);
  }

  async freeze(cgroupsPath: string): Promise<void> {
    const file = `${this.dir('freezer', cgroupsPath) ?? ''}/freezer.state`;
    this.freezerState(cgroupsPath);
    writeCgroupFile(file, 'FROZEN');
    // FREEZING can stick while a task is busy in the kernel; writing FROZEN again retries.
    const ok = await waitFor(
      () => this.freezerState(cgroupsPath) === 'FROZEN',
      5000,
      () => writeCgroupFile(file, 'FROZEN'),
    );
    if (!ok) {
      writeCgroupFile(file, 'THAWED');
      throw unavailable(`cgroup ${cgroupsPath}: could not freeze (freezer.state stayed FREEZING)`);
    }
  }

  async thaw(cgroupsPath: string): Promise<void> {
    const file = `${this.dir('freezer', cgroupsPath) ?? ''}/freezer.state`;
    this.freezerState(cgroupsPath);
    writeCgroupFile(file, 'THAWED');
    if (!(await waitFor(() => this.freezerState(cgroupsPath) === 'THAWED', 5000))) {
      throw unavailable(`cgroup ${cgroupsPath}: could not thaw`);
    }
  }

  frozen(cgroupsPath: string): boolean {
    return this.canFreeze(cgroupsPath) && this.freezerState(cgroupsPath) === 'FROZEN';
  }

  protected killAtOnce(): boolean {
    return false;
  }

  oomKilled(cgroupsPath: string): number {
    const dir = this.dir('memory', cgroupsPath);
    return dir ? (readKeyed(`${dir}/memory.oom_control`).oom_kill ?? 0) : 0;
  }

  stats(cgroupsPath: string): CgroupStats {
    const mem = this.dir('memory', cgroupsPath);
    const acct = this.dir('cpuacct', cgroupsPath);
    const cpu = this.dir('cpu', cgroupsPath);
    const pids = this.dir('pids', cgroupsPath);
    const blkio = this.dir('blkio', cgroupsPath);
    const stats: CgroupStats = {
      cpu: {
        usageTotal: 0,
        usageUser: 0,
        usageSystem: 0,
        perCpu: [],
        throttling: { periods: 0, throttledPeriods: 0, throttledTime: 0 },
      },
      blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [] },
      oomKills: this.oomKilled(cgroupsPath),
      cpuQuota: -1,
      cpuPeriod: 0,
    };
    if (mem && existsSync(mem)) {
      const s = readKeyed(`${mem}/memory.stat`);
      const usage = readNumber(`${mem}/memory.usage_in_bytes`) ?? 0;
      const memsw = readNumber(`${mem}/memory.memsw.usage_in_bytes`);
      stats.memory = {
        usage,
        limit: readNumber(`${mem}/memory.limit_in_bytes`) ?? 0,
        maxUsage: readNumber(`${mem}/memory.max_usage_in_bytes`) ?? 0,
        cache: s.cache ?? 0,
        rss: s.rss ?? 0,
        inactiveFile: s.inactive_file ?? 0,
        activeFile: s.active_file ?? 0,
        totalInactiveFile: s.total_inactive_file ?? 0,
        ...(memsw === undefined ? {} : { swap: Math.max(0, memsw - usage) }),
        stat: s,
        failcnt: readNumber(`${mem}/memory.failcnt`) ?? 0,
      };
    }
    if (acct) {
      const total = readNumber(`${acct}/cpuacct.usage`) ?? 0;
      let user = readNumber(`${acct}/cpuacct.usage_user`);
      let system = readNumber(`${acct}/cpuacct.usage_sys`);
      if (user === undefined || system === undefined) {
        const ticks = readKeyed(`${acct}/cpuacct.stat`);
        user = ((ticks.user ?? 0) * 1e9) / USER_HZ;
        system = ((ticks.system ?? 0) * 1e9) / USER_HZ;
      }
      const perCpu = (readOptional(`${acct}/cpuacct.usage_percpu`) ?? '')
        .split(/\s+/)
        .filter(Boolean)
        .map(Number);
      stats.cpu = { ...stats.cpu, usageTotal: total, usageUser: user, usageSystem: system, perCpu };
    }
    if (cpu) {
      const s = readKeyed(`${cpu}/cpu.stat`);
      stats.cpu.throttling = {
        periods: s.nr_periods ?? 0,
        throttledPeriods: s.nr_throttled ?? 0,
        throttledTime: s.throttled_time ?? 0,
      };
      stats.cpuQuota = readNumber(`${cpu}/cpu.cfs_quota_us`) ?? -1;
      stats.cpuPeriod = readNumber(`${cpu}/cpu.cfs_period_us`) ?? 0;
    }
    if (pids && existsSync(pids)) {
      const limit = readNumber(`${pids}/pids.max`) ?? 0;
      stats.pids = {
        current: readNumber(`${pids}/pids.current`) ?? 0,
        limit: Number.isFinite(limit) ? limit : 0,
      };
    }
    if (blkio) {
      const pick = (name: string) => {
        const cfq = parseBlkio(readOptional(`${blkio}/blkio.${name}`));
        return cfq.length > 0 ? cfq : parseBlkio(readOptional(`${blkio}/blkio.throttle.${name}`));
      };
      stats.blkio = {
        ioServiceBytesRecursive: pick('io_service_bytes_recursive'),
        ioServicedRecursive: pick('io_serviced_recursive'),
      };
    }
    return stats;
  }

  protected orderUpdate(cgroupsPath: string, writes: CgroupWrite[]): CgroupWrite[] {
    // memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes at every step: when the new
    // memsw is above the current one, raise it first.
    const limit = writes.find((w) => w.path.endsWith('/memory.limit_in_bytes'));
    const memsw = writes.find((w) => w.path.endsWith('/memory.memsw.limit_in_bytes'));
    if (!limit || !memsw) return writes;
    const current = readNumber(`${this.dir('memory', cgroupsPath)}/memory.memsw.limit_in_bytes`) ?? 0;
    const wanted = Number(memsw.value);
    if (wanted !== -1 && wanted <= current) return writes;
    return [memsw, ...writes.filter((w) => w !== memsw)];
  }
}

/** `8:0 Read 4096` lines; the trailing `Total 1234` line is dropped. */
function parseBlkio(text: string | undefined): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const m = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: Number(m[4]) });
  }
  return out;
}
