// cgroup v2: one directory under the unified root. Freezing is cgroup.freeze (watched through
// cgroup.events), killing is cgroup.kill where the kernel has it (5.14+).

import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { notImplemented, unavailable } from '../../common/errors.ts';
import { type CgroupWrite, cgroupRelPath } from '../../plan/cgroups.ts';
import type { CgroupLayout } from '../../plan/facts.ts';
import { CgroupDriverBase, waitFor } from './base.ts';
import type { BlkioEntry, CgroupStats } from './driver.ts';
import { readKeyed, readNumber, readOptional, writeCgroupFile } from './files.ts';

type V2Layout = Extract<CgroupLayout, { version: 2 }>;

const IO_OPS: Record<string, [string, 'bytes' | 'ios']> = {
  rbytes: ['Read', 'bytes'],
  wbytes: ['Write', 'bytes'],
  dbytes: ['Discard', 'bytes'],
  rios: ['Read', 'ios'],
  wios: ['Write', 'ios'],
  dios: ['Discard', 'ios'],
};

export class CgroupV2Driver extends CgroupDriverBase {
  readonly version = 2 as const;
  readonly root: string;

  constructor(layout: V2Layout) {
    super(layout);
    this.root = layout.root.replace(/\/+$/, '');
  }

  dir(cgroupsPath: string): string {
    return this.root + cgroupRelPath(cgroupsPath);
  }

  protected canFreeze(cgroupsPath: string): boolean {
    return existsSync(`${this.dir(cgroupsPath)}/cgroup.freeze`);
  }

  private events(cgroupsPath: string): Record<string, number> {
    return readKeyed(`${this.dir(cgroupsPath)}/cgroup.events`);
  }

  private async setFrozen(cgroupsPath: string, frozen: boolean): Promise<void> {
    if (!this.canFreeze(cgroupsPath))
      throw notImplemented(`cgroup ${cgroupsPath}: no cgroup.freeze (kernel before 5.2?)`);
    writeCgroupFile(`${this.dir(cgroupsPath)}/cgroup.freeze`, frozen ? '1' : '0');
    if (!(await waitFor(() => this.frozen(cgroupsPath) === frozen, 5000))) {
      if (frozen) writeCgroupFile(`${this.dir(cgroupsPath)}/cgroup.freeze`, '0');
      throw unavailable(`cgroup ${cgroupsPath}: could not ${frozen ? 'freeze' : 'thaw'}`);
    }
  }

  freeze(cgroupsPath: string): Promise<void> {
    return this.setFrozen(cgroupsPath, true);
  }

  thaw(cgroupsPath: string): Promise<void> {
    return this.setFrozen(cgroupsPath, false);
  }

  frozen(cgroupsPath: string): boolean {
    return this.events(cgroupsPath).frozen === 1;
  }

  protected killAtOnce(cgroupsPath: string, signal: number): boolean {
    const file = `${this.dir(cgroupsPath)}/cgroup.kill`;
    if (signal !== constants.signals.SIGKILL || !existsSync(file)) return false;
    writeCgroupFile(file, '1');
    return true;
  }

  oomKilled(cgroupsPath: string): number {
    return readKeyed(`${this.dir(cgroupsPath)}/memory.events`).oom_kill ?? 0;
  }

  stats(cgroupsPath: string): CgroupStats {
    const d = this.dir(cgroupsPath);
    const cpu = readKeyed(`${d}/cpu.stat`);
    const [quota, period] = (readOptional(`${d}/cpu.max`) ?? '').trim().split(/\s+/);
    const stats: CgroupStats = {
      cpu: {
        usageTotal: (cpu.usage_usec ?? 0) * 1000,
        usageUser: (cpu.user_usec ?? 0) * 1000,
        usageSystem: (cpu.system_usec ?? 0) * 1000,
        perCpu: [],
        throttling: {
          periods: cpu.nr_periods ?? 0,
          throttledPeriods: cpu.nr_throttled ?? 0,
          throttledTime: (cpu.throttled_usec ?? 0) * 1000,
        },
      },
      blkio: parseIoStat(readOptional(`${d}/io.stat`)),
      oomKills: this.oomKilled(cgroupsPath),
      cpuQuota: quota === undefined || quota === '' || quota === 'max' ? -1 : Number(quota),
      cpuPeriod: Number(period ?? 0) || 0,
    };
    const usage = readNumber(`${d}/memory.current`);
    if (usage !== undefined) {
      const s = readKeyed(`${d}/memory.stat`);
      const swap = readNumber(`${d}/memory.swap.current`);
      stats.memory = {
        usage,
        limit: readNumber(`${d}/memory.max`) ?? Number.POSITIVE_INFINITY,
        maxUsage: readNumber(`${d}/memory.peak`) ?? 0,
        cache: s.file ?? 0,
        rss: s.anon ?? 0,
        inactiveFile: s.inactive_file ?? 0,
        activeFile: s.active_file ?? 0,
        totalInactiveFile: s.inactive_file ?? 0,
        ...(swap === undefined ? {} : { swap }),
        stat: s,
        failcnt: readKeyed(`${d}/memory.events`).oom ?? 0,
      };
    }
    const current = readNumber(`${d}/pids.current`);
    if (current !== undefined) {
      const limit = readNumber(`${d}/pids.max`) ?? 0;
      stats.pids = { current, limit: Number.isFinite(limit) ? limit : 0 };
    }
    return stats;
  }

  protected orderUpdate(_cgroupsPath: string, writes: CgroupWrite[]): CgroupWrite[] {
    // memory.max and memory.swap.max are independent on v2; the planner's order is fine.
    return writes;
  }
}

/** io.stat: `8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=5 dios=6` per device. */
function parseIoStat(text: string | undefined): CgroupStats['blkio'] {
  const bytes: BlkioEntry[] = [];
  const ios: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const [dev, ...fields] = line.trim().split(/\s+/);
    const m = /^(\d+):(\d+)$/.exec(dev ?? '');
    if (!m) continue;
    for (const field of fields) {
      const [key, value] = field.split('=');
      const op = IO_OPS[key];
      if (!op) continue;
      (op[1] === 'bytes' ? bytes : ios).push({
        major: Number(m[1]),
        minor: Number(m[2]),
        op: op[0],
        value: Number(value),
      });
    }
  }
  return { ioServiceBytesRecursive: bytes, ioServicedRecursive: ios };
}
