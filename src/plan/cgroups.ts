// Cgroups as data: which directories a container gets, which files to write before its first
// process exists, and which cgroup.procs files that process joins. Pure (HABITS.md 3): what
// the host has is passed in as CgroupLayout (mount points) and CgroupHostFeatures (files that
// only exist on some kernels); src/runtime/cgroups reads both.
//
// Decisions worth knowing:
// - cgroupsPath is taken relative to every hierarchy's mount point, absolute or not (a relative
//   path gets a leading `/`); `..` segments are refused.
// - v1 cpuset: a new cpuset directory starts with empty cpuset.cpus/mems and no process can join
//   it. The planner cannot read the parent's values, so the caller passes the nearest existing
//   ancestor's values (features.cpusetParent); the planner writes them into every directory
//   below that ancestor, top-down, the leaf getting the requested cpus/mems instead when set.
//   Existing directories are never rewritten, so an administrator's narrower ancestor stays.
//   When that ancestor is the leaf's parent and has cgroup.clone_children set (berthd sets it
//   on its /berth), the kernel fills the new leaf at mkdir: nothing is written (a write of
//   cpuset.cpus rebuilds the scheduler domains, 0.25-1 ms here) unless cpus or mems are asked.
// - v1 on a hybrid host: a directory in the cgroup2 `unified` mount is created and joined too
//   (as runc does); hugepage limits go there when hugetlb lives in the unified hierarchy.
// - v2 devices: the cgroup2 device controller is an eBPF program, not files. planCgroup does
//   not enforce linux.resources.devices on v2; it returns the rules untouched in `devices` for
//   whoever attaches a program (nobody yet).
// - Values of 0 for memory limits, cpu shares/quota/period mean "not set" (as in runc); -1 means
//   unlimited where the OCI spec says so.
// - kernel / kernelTCP memory limits are ignored (deprecated; recent kernels refuse them, and
//   runc ignores them too).

import { internal, invalidArgument, notImplemented } from '../common/errors.ts';
import type { LinuxDeviceCgroup, LinuxResources, LinuxThrottleDevice } from '../spec/oci.ts';
import type { CgroupLayout } from './facts.ts';

/** Facts about cgroup files that exist only on some hosts; read by src/runtime/cgroups. */
export interface CgroupHostFeatures {
  /** v1: memory.memsw.limit_in_bytes exists (swap accounting on). Default true. */
  memsw?: boolean;
  /** v1: the blkio weight file (`blkio.weight`, or `blkio.bfq.weight` with BFQ), or null when the I/O scheduler has none. Default `blkio.weight`. */
  blkioWeightFile?: string | null;
  /**
   * v1: the nearest existing ancestor of cgroupsPath in the cpuset hierarchy (a path relative
   * to the mount, `/` for the root, the leaf itself when it exists) and its cpuset.cpus/mems.
   * Required when the layout has a cpuset hierarchy.
   */
  cpusetParent?: { path: string; cpus: string; mems: string; cloneChildren?: boolean };
  /** v1 hybrid: the controllers available in the unified mount (its cgroup.controllers). Default none. */
  unifiedControllers?: string[];
}

export interface CgroupWrite {
  path: string;
  value: string;
}

export interface CgroupPlan {
  /** Directories to create (mkdir -p), one per distinct hierarchy. */
  mkdirs: string[];
  /** Files to write, in order, before any process joins. */
  writes: CgroupWrite[];
  /** cgroup.procs files the container's first process is written to. */
  joins: string[];
  /** v2 only: device rules that files cannot express (see the header); empty otherwise. */
  devices: LinuxDeviceCgroup[];
}

const V2_CONTROLLER_ORDER = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma', 'misc'];

/** Normalises an OCI cgroupsPath to `/a/b`; refuses empty paths and `..`. */
export function cgroupRelPath(cgroupsPath: string): string {
  const parts = cgroupsPath.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0)
    throw invalidArgument(`linux.cgroupsPath must name a cgroup, got ${JSON.stringify(cgroupsPath)}`);
  if (parts.includes('..')) throw invalidArgument(`linux.cgroupsPath must not contain "..": ${cgroupsPath}`);
  return `/${parts.join('/')}`;
}

/** Every directory of the container, one per distinct mount (co-mounted controllers share one). */
export function cgroupDirs(layout: CgroupLayout, cgroupsPath: string): string[] {
  const rel = cgroupRelPath(cgroupsPath);
  if (layout.version === 2) return [join(layout.root, rel)];
  const dirs = [...new Set(Object.values(layout.mounts))].map((m) => join(m, rel));
  if (layout.unified) dirs.push(join(layout.unified, rel));
  return dirs;
}

export function planCgroup(
  layout: CgroupLayout,
  cgroupsPath: string,
  resources: LinuxResources | undefined,
  features: CgroupHostFeatures = {},
): CgroupPlan {
  const rel = cgroupRelPath(cgroupsPath);
  const r = resources ?? {};
  const mkdirs = cgroupDirs(layout, rel);
  const joins = mkdirs.map((d) => join(d, 'cgroup.procs'));
  if (layout.version === 2) {
    return {
      mkdirs,
      joins,
      writes: planV2(layout.root, layout.controllers, rel, r),
      devices: r.devices ?? [],
    };
  }
  return { mkdirs, joins, writes: planV1(layout, rel, r, features), devices: [] };
}

function join(base: string, rel: string): string {
  const b = base.replace(/\/+$/, '');
  const r = rel.replace(/^\/+/, '');
  if (!r) return b || '/';
  return `${b}/${r}`;
}

function ancestors(rel: string): string[] {
  // '/a/b/c' -> ['/', '/a', '/a/b']
  const parts = rel.split('/').filter(Boolean);
  const out = ['/'];
  for (let i = 1; i < parts.length; i++) out.push(`/${parts.slice(0, i).join('/')}`);
  return out;
}

// ---- v1 -------------------------------------------------------------------------------------

function planV1(
  layout: Extract<CgroupLayout, { version: 1 }>,
  rel: string,
  r: LinuxResources,
  features: CgroupHostFeatures,
): CgroupWrite[] {
  const writes: CgroupWrite[] = [];
  const dirOf = (controller: string, field: string): string => {
    const mount = layout.mounts[controller];
    if (!mount)
      throw notImplemented(`${field}: the ${controller} cgroup controller is not mounted on this host`);
    return join(mount, rel);
  };
  const w = (dir: string, file: string, value: string | number) =>
    writes.push({ path: `${dir}/${file}`, value: String(value) });

  if (r.unified && Object.keys(r.unified).length > 0) {
    throw notImplemented('linux.resources.unified requires cgroup v2; this host uses cgroup v1');
  }
  if (r.rdma && Object.keys(r.rdma).length > 0) throw notImplemented('linux.resources.rdma is not supported');

  // cpuset first: its directories must be filled before anything can join them.
  if (layout.mounts.cpuset) {
    const cpu = r.cpu ?? {};
    const parent = features.cpusetParent;
    if (!parent) throw internal('planCgroup: host facts lack cpusetParent for the cpuset hierarchy');
    const levels = [...ancestors(rel), rel].filter((p) => isBelow(p, parent.path));
    // the kernel copies the parent's values into a new child (see the header)
    const copied = parent.cloneChildren === true && levels.length === 1;
    for (const level of copied ? [] : levels) {
      const dir = join(layout.mounts.cpuset, level);
      const leaf = level === rel;
      w(dir, 'cpuset.cpus', leaf && cpu.cpus ? cpu.cpus : parent.cpus);
      w(dir, 'cpuset.mems', leaf && cpu.mems ? cpu.mems : parent.mems);
    }
    if (parent.path === rel || copied) {
      if (cpu.cpus) w(join(layout.mounts.cpuset, rel), 'cpuset.cpus', cpu.cpus);
      if (cpu.mems) w(join(layout.mounts.cpuset, rel), 'cpuset.mems', cpu.mems);
    }
  } else if (r.cpu?.cpus || r.cpu?.mems) {
    dirOf('cpuset', 'linux.resources.cpu.cpus');
  }

  const mem = r.memory;
  if (mem) {
    const limit = mem.limit ?? 0;
    const swap = mem.swap ?? 0;
    const set =
      limit !== 0 ||
      (mem.reservation ?? 0) !== 0 ||
      swap !== 0 ||
      mem.swappiness !== undefined ||
      mem.disableOOMKiller;
    if (set) {
      const dir = dirOf('memory', 'linux.resources.memory');
      checkSwap(limit, swap);
      if (limit !== 0) w(dir, 'memory.limit_in_bytes', limit);
      if ((mem.reservation ?? 0) !== 0) w(dir, 'memory.soft_limit_in_bytes', mem.reservation as number);
      if (swap !== 0) {
        if (features.memsw === false) {
          throw notImplemented(
            'linux.resources.memory.swap: this kernel has no swap accounting (memory.memsw.limit_in_bytes is missing; boot with swapaccount=1)',
          );
        }
        w(dir, 'memory.memsw.limit_in_bytes', swap);
      }
      if (mem.swappiness !== undefined && mem.swappiness !== null) {
        if (!Number.isInteger(mem.swappiness) || mem.swappiness < 0 || mem.swappiness > 100) {
          throw invalidArgument(
            `linux.resources.memory.swappiness must be between 0 and 100, got ${mem.swappiness}`,
          );
        }
        w(dir, 'memory.swappiness', mem.swappiness);
      }
      if (mem.disableOOMKiller) w(dir, 'memory.oom_control', 1);
    }
  }

  const cpu = r.cpu;
  if (cpu) {
    const needCpu =
      (cpu.shares ?? 0) !== 0 ||
      (cpu.quota ?? 0) !== 0 ||
      (cpu.period ?? 0) !== 0 ||
      (cpu.burst ?? 0) !== 0 ||
      cpu.idle !== undefined;
    const needRt = (cpu.realtimeRuntime ?? 0) !== 0 || (cpu.realtimePeriod ?? 0) !== 0;
    if (needCpu || needRt) {
      const dir = dirOf('cpu', 'linux.resources.cpu');
      if (cpu.shares) w(dir, 'cpu.shares', checkShares(cpu.shares));
      if (cpu.period) w(dir, 'cpu.cfs_period_us', cpu.period);
      if (cpu.quota) w(dir, 'cpu.cfs_quota_us', cpu.quota);
      if (cpu.burst) w(dir, 'cpu.cfs_burst_us', cpu.burst);
      if (cpu.idle !== undefined) w(dir, 'cpu.idle', cpu.idle);
      if (cpu.realtimePeriod) w(dir, 'cpu.rt_period_us', cpu.realtimePeriod);
      if (cpu.realtimeRuntime) w(dir, 'cpu.rt_runtime_us', cpu.realtimeRuntime);
    }
  }

  if (r.pids) w(dirOf('pids', 'linux.resources.pids'), 'pids.max', pidsMax(r.pids.limit));

  const bio = r.blockIO;
  if (bio) {
    const weights = bio.weight || bio.leafWeight || (bio.weightDevice ?? []).length > 0;
    const throttles: [string, LinuxThrottleDevice[] | undefined][] = [
      ['blkio.throttle.read_bps_device', bio.throttleReadBpsDevice],
      ['blkio.throttle.write_bps_device', bio.throttleWriteBpsDevice],
      ['blkio.throttle.read_iops_device', bio.throttleReadIOPSDevice],
      ['blkio.throttle.write_iops_device', bio.throttleWriteIOPSDevice],
    ];
    if (weights || throttles.some(([, list]) => list?.length)) {
      const dir = dirOf('blkio', 'linux.resources.blockIO');
      if (weights) {
        const file = features.blkioWeightFile === undefined ? 'blkio.weight' : features.blkioWeightFile;
        if (!file) {
          throw notImplemented(
            'linux.resources.blockIO.weight: the I/O scheduler offers no blkio weight (no blkio.weight or blkio.bfq.weight file)',
          );
        }
        if (bio.weight) w(dir, file, checkBlkioWeight(bio.weight, 'weight'));
        if (bio.leafWeight) {
          if (file !== 'blkio.weight')
            throw notImplemented('linux.resources.blockIO.leafWeight is not supported with BFQ');
          w(dir, 'blkio.leaf_weight', checkBlkioWeight(bio.leafWeight, 'leafWeight'));
        }
        for (const d of bio.weightDevice ?? []) {
          if (d.weight)
            w(
              dir,
              `${file}_device`,
              `${d.major}:${d.minor} ${checkBlkioWeight(d.weight, 'weightDevice.weight')}`,
            );
          if (d.leafWeight) w(dir, 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
        }
      }
      for (const [file, list] of throttles)
        for (const d of list ?? []) w(dir, file, `${d.major}:${d.minor} ${d.rate}`);
    }
  }

  const huge = r.hugepageLimits ?? [];
  if (huge.length > 0) {
    if (layout.mounts.hugetlb) {
      for (const h of huge)
        w(join(layout.mounts.hugetlb, rel), `hugetlb.${checkPageSize(h.pageSize)}.limit_in_bytes`, h.limit);
    } else if (layout.unified && features.unifiedControllers?.includes('hugetlb')) {
      for (const a of ancestors(rel)) w(join(layout.unified, a), 'cgroup.subtree_control', '+hugetlb');
      for (const h of huge) w(join(layout.unified, rel), `hugetlb.${checkPageSize(h.pageSize)}.max`, h.limit);
    } else {
      throw notImplemented(
        'linux.resources.hugepageLimits: the hugetlb cgroup controller is not available on this host',
      );
    }
  }

  const net = r.network;
  if (net?.classID) w(dirOf('net_cls', 'linux.resources.network.classID'), 'net_cls.classid', net.classID);
  for (const p of net?.priorities ?? []) {
    w(
      dirOf('net_prio', 'linux.resources.network.priorities'),
      'net_prio.ifpriomap',
      `${p.name} ${p.priority}`,
    );
  }

  if (r.devices) {
    const dir = dirOf('devices', 'linux.resources.devices');
    w(dir, 'devices.deny', 'a');
    for (const d of r.devices) w(dir, d.allow ? 'devices.allow' : 'devices.deny', deviceRule(d));
  }
  return writes;
}

function isBelow(path: string, ancestor: string): boolean {
  if (ancestor === '/') return path !== '/';
  return path.startsWith(`${ancestor}/`);
}

/** `c 1:3 rwm`, `a *:* rwm` — the v1 devices.allow/deny syntax. */
export function deviceRule(d: LinuxDeviceCgroup): string {
  const type = d.type ?? 'a';
  if (!['a', 'b', 'c'].includes(type))
    throw invalidArgument(`linux.resources.devices: unknown device type ${JSON.stringify(type)}`);
  const num = (n: number | undefined) => (n === undefined || n === null || n < 0 ? '*' : String(n));
  const access = d.access || 'rwm';
  if (!/^[rwm]{1,3}$/.test(access))
    throw invalidArgument(
      `linux.resources.devices: access must be made of r, w, m, got ${JSON.stringify(access)}`,
    );
  return `${type} ${num(d.major)}:${num(d.minor)} ${access}`;
}

// ---- v2 -------------------------------------------------------------------------------------

function planV2(root: string, available: string[], rel: string, r: LinuxResources): CgroupWrite[] {
  const files: CgroupWrite[] = [];
  const dir = join(root, rel);
  const w = (controller: string, file: string, value: string | number) => {
    if (!available.includes(controller)) {
      throw notImplemented(
        `${fieldFor(controller)}: the ${controller} cgroup controller is not available on this host`,
      );
    }
    files.push({ path: `${dir}/${file}`, value: String(value) });
  };

  const mem = r.memory;
  if (mem) {
    const limit = mem.limit ?? 0;
    const swap = mem.swap ?? 0;
    checkSwap(limit, swap);
    if (mem.disableOOMKiller)
      throw notImplemented('linux.resources.memory.disableOOMKiller is not supported on cgroup v2');
    if (mem.swappiness !== undefined && mem.swappiness !== null) {
      throw notImplemented('linux.resources.memory.swappiness is not supported on cgroup v2');
    }
    if ((mem.reservation ?? 0) !== 0) w('memory', 'memory.low', maxOr(mem.reservation as number));
    if (limit !== 0) w('memory', 'memory.max', maxOr(limit));
    if (swap !== 0) w('memory', 'memory.swap.max', swap === -1 || limit === -1 ? 'max' : swap - limit);
  }

  const cpu = r.cpu;
  if (cpu) {
    if (cpu.realtimeRuntime || cpu.realtimePeriod) {
      throw notImplemented(
        'linux.resources.cpu.realtimeRuntime and realtimePeriod are not supported on cgroup v2',
      );
    }
    if (cpu.shares) w('cpu', 'cpu.weight', sharesToWeight(checkShares(cpu.shares)));
    if (cpu.idle !== undefined) w('cpu', 'cpu.idle', cpu.idle);
    if (cpu.quota || cpu.period) {
      const quota = cpu.quota && cpu.quota > 0 ? String(cpu.quota) : 'max';
      w('cpu', 'cpu.max', cpu.period ? `${quota} ${cpu.period}` : quota);
    }
    if (cpu.burst) w('cpu', 'cpu.max.burst', cpu.burst);
    if (cpu.cpus) w('cpuset', 'cpuset.cpus', cpu.cpus);
    if (cpu.mems) w('cpuset', 'cpuset.mems', cpu.mems);
  }

  if (r.pids) w('pids', 'pids.max', pidsMax(r.pids.limit));

  const bio = r.blockIO;
  if (bio) {
    if (bio.weight) w('io', 'io.weight', blkioToIoWeight(checkBlkioWeight(bio.weight, 'weight')));
    if (bio.leafWeight)
      throw notImplemented('linux.resources.blockIO.leafWeight is not supported on cgroup v2');
    for (const d of bio.weightDevice ?? []) {
      if (d.weight)
        w(
          'io',
          'io.weight',
          `${d.major}:${d.minor} ${blkioToIoWeight(checkBlkioWeight(d.weight, 'weightDevice.weight'))}`,
        );
    }
    const throttles: [string, LinuxThrottleDevice[] | undefined][] = [
      ['rbps', bio.throttleReadBpsDevice],
      ['wbps', bio.throttleWriteBpsDevice],
      ['riops', bio.throttleReadIOPSDevice],
      ['wiops', bio.throttleWriteIOPSDevice],
    ];
    for (const [key, list] of throttles)
      for (const d of list ?? []) w('io', 'io.max', `${d.major}:${d.minor} ${key}=${d.rate}`);
  }

  for (const h of r.hugepageLimits ?? []) w('hugetlb', `hugetlb.${checkPageSize(h.pageSize)}.max`, h.limit);

  if (r.network && (r.network.classID || r.network.priorities?.length)) {
    throw notImplemented(
      'linux.resources.network is not supported on cgroup v2 (net_cls and net_prio are v1 only)',
    );
  }
  if (r.rdma && Object.keys(r.rdma).length > 0) {
    for (const [dev, l] of Object.entries(r.rdma)) {
      const parts = [
        l.hcaHandles !== undefined ? `hca_handle=${l.hcaHandles}` : '',
        l.hcaObjects !== undefined ? `hca_object=${l.hcaObjects}` : '',
      ];
      w('rdma', 'rdma.max', `${dev} ${parts.filter(Boolean).join(' ')}`);
    }
  }

  for (const [key, value] of Object.entries(r.unified ?? {})) {
    if (key.includes('/') || key === '.' || key === '..' || !key.includes('.')) {
      throw invalidArgument(`linux.resources.unified: ${JSON.stringify(key)} is not a cgroup file name`);
    }
    const controller = key.slice(0, key.indexOf('.'));
    if (controller !== 'cgroup' && !available.includes(controller)) {
      throw notImplemented(
        `linux.resources.unified.${key}: the ${controller} cgroup controller is not available on this host`,
      );
    }
    files.push({ path: `${dir}/${key}`, value });
  }

  // Enable every available controller on the way down (as runc does), so that stats can be read
  // even without limits; the writes above have checked that the ones they need are available.
  const enable = V2_CONTROLLER_ORDER.filter((c) => available.includes(c));
  for (const c of available) if (!enable.includes(c)) enable.push(c);
  const subtree: CgroupWrite[] =
    enable.length === 0
      ? []
      : ancestors(rel).map((a) => ({
          path: `${join(root, a)}/cgroup.subtree_control`,
          value: enable.map((c) => `+${c}`).join(' '),
        }));
  return [...subtree, ...files];
}

function fieldFor(controller: string): string {
  const fields: Record<string, string> = {
    memory: 'linux.resources.memory',
    cpu: 'linux.resources.cpu',
    cpuset: 'linux.resources.cpu.cpus',
    pids: 'linux.resources.pids',
    io: 'linux.resources.blockIO',
    hugetlb: 'linux.resources.hugepageLimits',
    rdma: 'linux.resources.rdma',
  };
  return fields[controller] ?? `linux.resources (${controller})`;
}

// ---- shared checks and conversions ---------------------------------------------------------

function checkSwap(limit: number, swap: number): void {
  if (swap === 0 || swap === -1) return;
  if (limit === 0 || limit === -1) {
    throw invalidArgument(
      'linux.resources.memory.swap requires memory.limit (swap is the memory+swap limit)',
    );
  }
  if (swap < limit) {
    throw invalidArgument(
      `linux.resources.memory.swap must be at least memory.limit (swap ${swap} < limit ${limit})`,
    );
  }
}

function checkShares(shares: number): number {
  if (!Number.isInteger(shares) || shares < 2 || shares > 262144) {
    throw invalidArgument(`linux.resources.cpu.shares must be between 2 and 262144, got ${shares}`);
  }
  return shares;
}

function checkBlkioWeight(weight: number, field: string): number {
  if (!Number.isInteger(weight) || weight < 10 || weight > 1000) {
    throw invalidArgument(`linux.resources.blockIO.${field} must be between 10 and 1000, got ${weight}`);
  }
  return weight;
}

function checkPageSize(size: string): string {
  if (!/^[0-9]+[KMG]B$/.test(size)) {
    throw invalidArgument(
      `linux.resources.hugepageLimits: pageSize must look like 2MB or 1GB, got ${JSON.stringify(size)}`,
    );
  }
  return size;
}

const maxOr = (n: number): string => (n < 0 ? 'max' : String(n));

/** pids.max for an OCI pids.limit: "max" for 0 or negative (unlimited), as runc does. */
export const pidsMax = (limit: number): string => (limit > 0 ? String(limit) : 'max');

/** cpu.shares (2..262144) -> cpu.weight (1..10000), runc's formula. */
export const sharesToWeight = (shares: number): number => 1 + Math.floor(((shares - 2) * 9999) / 262142);

/** blkio.weight (10..1000) -> io.weight (1..10000), runc's formula. */
export const blkioToIoWeight = (weight: number): number => 1 + Math.floor(((weight - 10) * 9999) / 990);
