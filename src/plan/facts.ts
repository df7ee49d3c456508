// Host facts: what the planner needs to know about the machine, gathered by src/runtime
// (I/O) and passed in as data so that compiling stays pure.

import type { CgroupHostFeatures } from './cgroups.ts';

/** Where the cgroup hierarchies are mounted. */
export type CgroupLayout =
  | {
      version: 1;
      /** controller name -> mount point, e.g. memory -> /sys/fs/cgroup/memory, cpu -> /sys/fs/cgroup/cpu,cpuacct */
      mounts: Record<string, string>;
      /** the cgroup2 mount of a hybrid host (e.g. /sys/fs/cgroup/unified), if any */
      unified?: string;
    }
  | {
      version: 2;
      /** the cgroup2 mount point, e.g. /sys/fs/cgroup */
      root: string;
      /** controllers enabled at the root (cgroup.controllers) */
      controllers: string[];
    };

export interface HostFacts {
  /** OCI/Go architecture name: amd64, arm64, 386, arm, ppc64le, s390x, riscv64 … */
  arch: string;
  kernel: { major: number; minor: number };
  /** /proc/sys/kernel/cap_last_cap */
  capLastCap: number;
  cgroup: CgroupLayout;
  /** cgroup files that exist only on some hosts (see CgroupHostFeatures) */
  cgroupFeatures?: CgroupHostFeatures;
  /** file system types the kernel knows (/proc/filesystems); when given, mount types are checked */
  filesystems?: string[];
}
