// How the container's first process enters its cgroups. A parent writing the child's pid to
// cgroup.procs makes the kernel take its global threadgroup lock (an RCU grace period, ~7 ms on
// an idle host: native/PLAN.md "Joining cgroups"), so berth avoids it: on v1 hierarchies the
// child writes 0 to `tasks` files opened before clone; on cgroup2 (a v2 host, or the unified
// mount of a hybrid one) the child is created in its cgroup (clone3 CLONE_INTO_CGROUP).

import type { CgroupLayout } from './facts.ts';
import type { ChildStep, PreStep } from './types.ts';

export interface JoinSteps {
  /** cgroup-open steps, before clone */
  pre: PreStep[];
  /** the cgroup2 directory to create the child in, if any */
  cloneInto?: string;
  /** cgroup-enter, the child's first step, when there are v1 hierarchies */
  child: ChildStep[];
}

/** dirs: the container's cgroup directories (cgroupDirs), which must exist by clone time. */
export function joinSteps(layout: CgroupLayout, dirs: readonly string[]): JoinSteps {
  const v2Root = layout.version === 2 ? layout.root : layout.unified;
  const isV2 = (dir: string) => v2Root !== undefined && (dir === v2Root || dir.startsWith(`${v2Root}/`));
  const v1 = dirs.filter((d) => !isV2(d));
  return {
    pre: v1.map((dir): PreStep => ({ op: 'cgroup-open', path: `${dir}/tasks` })),
    cloneInto: dirs.find(isV2),
    child: v1.length > 0 ? [{ op: 'cgroup-enter' }] : [],
  };
}
