// What the v1 and v2 drivers share: directories, process lists, signalling and removal.
// Each subclass says how to freeze, thaw, read stats and order writes.

import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { notFound, unavailable } from '../../common/errors.ts';
import { type CgroupWrite, cgroupDirs, planCgroup } from '../../plan/cgroups.ts';
import type { CgroupLayout } from '../../plan/facts.ts';
import type { LinuxResources } from '../../spec/oci.ts';
import { cgroupHostFeatures } from './detect.ts';
import type { CgroupDriver, CgroupStats } from './driver.ts';
import { errnoOf, procsRecursive, removeTree, sleep, tryRmdir, writeCgroupFile } from './files.ts';

export abstract class CgroupDriverBase implements CgroupDriver {
  abstract readonly version: 1 | 2;
  readonly layout: CgroupLayout;

  constructor(layout: CgroupLayout) {
    this.layout = layout;
  }

  abstract freeze(cgroupsPath: string): Promise<void>;
  abstract thaw(cgroupsPath: string): Promise<void>;
  abstract frozen(cgroupsPath: string): boolean;
  abstract stats(cgroupsPath: string): CgroupStats;
  abstract oomKilled(cgroupsPath: string): number;
  /** Whether freeze() can work for this cgroup. */
  protected abstract canFreeze(cgroupsPath: string): boolean;
  /** Kills every process in one step if the kernel can (v2 cgroup.kill); false otherwise. */
  protected abstract killAtOnce(cgroupsPath: string, signal: number): boolean;
  /** The writes of an update, in an order the kernel accepts for an existing cgroup. */
  protected abstract orderUpdate(cgroupsPath: string, writes: CgroupWrite[]): CgroupWrite[];

  prepareParent(_parentPath: string): boolean {
    return true;
  }

  paths(cgroupsPath: string): string[] {
    return cgroupDirs(this.layout, cgroupsPath);
  }

  exists(cgroupsPath: string): boolean {
    return this.paths(cgroupsPath).some((dir) => existsSync(dir));
  }

  pids(cgroupsPath: string): number[] {
    const all = new Set<number>();
    for (const dir of this.paths(cgroupsPath)) procsRecursive(dir, all);
    return [...all].sort((a, b) => a - b);
  }

  async killAll(cgroupsPath: string, signal: NodeJS.Signals | number): Promise<void> {
    const sig = typeof signal === 'number' ? signal : constants.signals[signal];
    if (sig === undefined) throw notFound(`unknown signal ${String(signal)}`);
    if (!this.killAtOnce(cgroupsPath, sig)) {
      const freeze = this.canFreeze(cgroupsPath) && this.pids(cgroupsPath).length > 0;
      if (freeze) await this.freeze(cgroupsPath);
      try {
        for (const pid of this.pids(cgroupsPath)) signalPid(pid, sig);
      } finally {
        if (freeze) await this.thaw(cgroupsPath);
      }
    }
    if (sig !== constants.signals.SIGKILL) return;
    for (let i = 0; i < 1000; i++) {
      const left = this.pids(cgroupsPath);
      if (left.length === 0) return;
      // Without a freezer a fork can race the first pass: signal again.
      if (i % 20 === 19) for (const pid of left) signalPid(pid, sig);
      await sleep(10);
    }
    throw unavailable(
      `cgroup ${cgroupsPath}: processes ${this.pids(cgroupsPath).join(' ')} survived SIGKILL`,
    );
  }

  async destroy(cgroupsPath: string): Promise<void> {
    for (const dir of this.paths(cgroupsPath)) await removeTree(dir);
  }

  removeEmpty(cgroupsPath: string): boolean {
    return this.paths(cgroupsPath).every((dir) => tryRmdir(dir));
  }

  apply(cgroupsPath: string, resources: LinuxResources): void {
    if (!this.exists(cgroupsPath)) throw notFound(`no such cgroup: ${cgroupsPath}`);
    const { devices: _ignored, ...rest } = resources;
    const plan = planCgroup(this.layout, cgroupsPath, rest, cgroupHostFeatures(this.layout, cgroupsPath));
    for (const w of this.orderUpdate(cgroupsPath, plan.writes)) writeCgroupFile(w.path, w.value);
  }
}

function signalPid(pid: number, sig: number): void {
  try {
    process.kill(pid, sig);
  } catch (err) {
    if (errnoOf(err) !== 'ESRCH') throw err;
  }
}

/** Polls until check() is true; false after about `ms`. */
export async function waitFor(check: () => boolean, ms: number, kick?: () => void): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (let i = 0; ; i++) {
    if (check()) return true;
    if (Date.now() > deadline) return false;
    if (kick && i % 50 === 49) kick();
    await sleep(i < 20 ? 1 : 10);
  }
}
