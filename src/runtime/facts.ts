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

/**
 * What does not change while the machine runs (architecture, kernel, cap_last_cap, where the
 * cgroup hierarchies are mounted, file system types), read once per process: enough for the
 * checks at create and for the container's spec.
 */
export function hostBaseFacts(): Omit<HostFacts, 'cgroupFeatures'> {
  base ??= readBase();
  return base;
}

/**
 * Facts for a container whose cgroup is cgroupsPath: the base and the cgroup files around that
 * path (cpuset values of its parent, swap accounting…), read afresh on each call.
 */
export function hostFacts(cgroupsPath: string): HostFacts {
  const b = hostBaseFacts();
  return { ...b, cgroupFeatures: cgroupHostFeatures(b.cgroup, cgroupsPath) };
}
