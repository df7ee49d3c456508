// Host facts for the planner, read from this machine (once per process).

import { readFileSync } from 'node:fs';
import { release } from 'node:os';
import { goArch } from '../common/platform.ts';
import type { HostFacts } from '../plan/facts.ts';
import { cgroupHostFeatures, detectCgroupLayout } from './cgroups/detect.ts';

let base: Omit<HostFacts, 'cgroupFeatures'> | undefined;

function readBase(): Omit<HostFacts, 'cgroupFeatures'> {
  const [major, minor] = release()
    .split('.')
    .map((n) => Number.parseInt(n, 10));
  const filesystems = readFileSync('/proc/filesystems', 'utf8')
    .split('\n')
    .map((line) => line.split('\t').at(-1)!.trim())
    .filter(Boolean);
  return {
    arch: goArch(),
    kernel: { major, minor },
    capLastCap: Number.parseInt(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8'), 10),
    cgroup: detectCgroupLayout(),
    // mount(2) also takes these pseudo types; `none` is how runc's rootless spec spells a bind.
    filesystems: [...filesystems, 'none', 'bind'],
  };
}

/** Facts for a container whose cgroup is cgroupsPath. */
export function hostFacts(cgroupsPath: string): HostFacts {
  base ??= readBase();
  return { ...base, cgroupFeatures: cgroupHostFeatures(base.cgroup, cgroupsPath) };
}
