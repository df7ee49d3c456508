// Host facts about cgroups: where the hierarchies are mounted (CgroupLayout, from
// /proc/self/mountinfo) and the files the planner cannot assume (CgroupHostFeatures).
// A hybrid host (v1 controllers plus a cgroup2 mount such as /sys/fs/cgroup/unified) is
// version 1 with `unified`; a host whose only cgroup mount is cgroup2 is version 2.

import { existsSync, readFileSync } from 'node:fs';
import { unavailable } from '../../common/errors.ts';
import { type CgroupHostFeatures, cgroupRelPath } from '../../plan/cgroups.ts';
import type { CgroupLayout } from '../../plan/facts.ts';
import { readOptional } from './files.ts';

const V1_CONTROLLERS = new Set([
  'cpu',
  'cpuacct',
  'cpuset',
  'memory',
  'devices',
  'freezer',
  'net_cls',
  'net_prio',
  'blkio',
  'perf_event',
  'hugetlb',
  'pids',
  'rdma',
  'misc',
]);

export interface CgroupMount {
  mountPoint: string;
  /** the hierarchy's directory that is mounted there (`/` unless bind-mounted from inside) */
  root: string;
  fstype: 'cgroup' | 'cgroup2';
  /** v1 only: controllers and `name=…` of the hierarchy */
  controllers: string[];
}

const unescapeOctal = (s: string): string =>
  s.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(Number.parseInt(oct, 8)));

/** The cgroup and cgroup2 mounts listed in a mountinfo text, in order. */
export function parseCgroupMounts(mountinfo: string): CgroupMount[] {
  const out: CgroupMount[] = [];
  for (const line of mountinfo.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const controllers =
      fstype === 'cgroup'
        ? superOpts.split(',').filter((o) => V1_CONTROLLERS.has(o) || o.startsWith('name='))
        : [];
    out.push({ mountPoint: unescapeOctal(left[4]), root: unescapeOctal(left[3]), fstype, controllers });
  }
  return out;
}

/**
 * The layout from mountinfo. `readControllers(mountPoint)` returns a cgroup2 root's
 * cgroup.controllers (injected so that this stays testable). Throws Unavailable when the host
 * has no cgroup mounts at all.
 */
export function layoutFromMountinfo(
  mountinfo: string,
  readControllers: (root: string) => string[],
): CgroupLayout {
  const mounts = parseCgroupMounts(mountinfo);
  // Prefer mounts of a hierarchy's root over bind mounts of a sub-directory.
  mounts.sort((a, b) => Number(b.root === '/') - Number(a.root === '/'));
  const v1: Record<string, string> = {};
  for (const m of mounts) {
    if (m.fstype !== 'cgroup') continue;
    for (const c of m.controllers) v1[c] ??= m.mountPoint;
  }
  const v2 = mounts.find((m) => m.fstype === 'cgroup2');
  if (Object.keys(v1).length > 0) {
    return v2 ? { version: 1, mounts: v1, unified: v2.mountPoint } : { version: 1, mounts: v1 };
  }
  if (v2) return { version: 2, root: v2.mountPoint, controllers: readControllers(v2.mountPoint) };
  throw unavailable('no cgroup file system is mounted (see /proc/self/mountinfo)');
}

const readControllersFile = (root: string): string[] => readWords(`${root}/cgroup.controllers`);

function readWords(path: string): string[] {
  try {
    return readFileSync(path, 'utf8').split(/\s+/).filter(Boolean);
  } catch {
    return [];
  }
}

let cached: CgroupLayout | undefined;

/** This host's layout, read once per process. */
export function detectCgroupLayout(): CgroupLayout {
  cached ??= layoutFromMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'), readControllersFile);
  return cached;
}

/** /proc/<pid>/cgroup as hierarchy -> path (`0::/a/b` becomes `''` -> `/a/b`; v1 lines are keyed by each controller). */
export function processCgroups(pid: number | 'self' = 'self'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    if (m[1] === '') out[''] = m[2];
    for (const c of m[1].split(',')) if (c) out[c] = m[2];
  }
  return out;
}

/**
 * The CPUs and memory nodes a container may ask for (`--cpuset-cpus`, `--cpuset-mems`), as
 * dockerd's sysinfo finds them: on v1 those of the nearest filled-in cpuset ancestor (the
 * `features` of its cgroups path), on v2 the root's effective ones. Undefined where the host
 * does not say.
 */
export function availableCpuset(
  layout: CgroupLayout,
  features: CgroupHostFeatures,
  read: (path: string) => string | undefined = readOptional,
): { cpus?: string; mems?: string } {
  if (layout.version === 1) {
    const parent = features.cpusetParent;
    return { cpus: parent?.cpus || undefined, mems: parent?.mems || undefined };
  }
  return {
    cpus: read(`${layout.root}/cpuset.cpus.effective`)?.trim() || undefined,
    mems: read(`${layout.root}/cpuset.mems.effective`)?.trim() || undefined,
  };
}

/** The files the planner needs to know about for cgroupsPath (see CgroupHostFeatures). */
export function cgroupHostFeatures(layout: CgroupLayout, cgroupsPath: string): CgroupHostFeatures {
  if (layout.version === 2) return {};
  const features: CgroupHostFeatures = {};
  const { memory, blkio, cpuset } = layout.mounts;
  if (memory) features.memsw = existsSync(`${memory}/memory.memsw.limit_in_bytes`);
  if (blkio) {
    features.blkioWeightFile = existsSync(`${blkio}/blkio.weight`)
      ? 'blkio.weight'
      : existsSync(`${blkio}/blkio.bfq.weight`)
        ? 'blkio.bfq.weight'
        : null;
  }
  if (cpuset) {
    // The nearest ancestor that is filled in: one that exists with empty cpus or mems is being
    // set up by a concurrent create (mkdir comes before its writes), so the plan fills it too.
    const read = (path: string, f: string) =>
      readOptional(`${path === '/' ? cpuset : cpuset + path}/${f}`)?.trim();
    let path = cgroupRelPath(cgroupsPath);
    for (;;) {
      const cpus = read(path, 'cpuset.cpus');
      const mems = cpus || path === '/' ? read(path, 'cpuset.mems') : undefined;
      if ((cpus && mems) || path === '/') {
        features.cpusetParent = { path, cpus: cpus ?? '', mems: mems ?? '' };
        if (read(path, 'cgroup.clone_children') === '1') features.cpusetParent.cloneChildren = true;
        break;
      }
      path = path.slice(0, path.lastIndexOf('/')) || '/';
    }
  }
  if (layout.unified) features.unifiedControllers = readControllersFile(layout.unified);
  return features;
}
