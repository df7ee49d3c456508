import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BerthError } from '../common/errors.ts';
import type { LinuxResources } from '../spec/oci.ts';
import { type CgroupHostFeatures, cgroupDirs, deviceRule, planCgroup, sharesToWeight } from './cgroups.ts';
import type { CgroupLayout } from './facts.ts';

const M = '/sys/fs/cgroup';
// A v1 host with cpu and cpuacct co-mounted (the usual systemd layout).
const v1: CgroupLayout = {
  version: 1,
  mounts: {
    cpu: `${M}/cpu,cpuacct`,
    cpuacct: `${M}/cpu,cpuacct`,
    cpuset: `${M}/cpuset`,
    memory: `${M}/memory`,
    devices: `${M}/devices`,
    freezer: `${M}/freezer`,
    blkio: `${M}/blkio`,
    pids: `${M}/pids`,
    'name=systemd': `${M}/systemd`,
  },
};
// This machine: cpu and cpuacct apart, hugetlb only in the hybrid cgroup2 mount.
const hybrid: CgroupLayout = {
  version: 1,
  mounts: {
    cpu: `${M}/cpu`,
    cpuacct: `${M}/cpuacct`,
    cpuset: `${M}/cpuset`,
    memory: `${M}/memory`,
    pids: `${M}/pids`,
  },
  unified: `${M}/unified`,
};
const v2: CgroupLayout = {
  version: 2,
  root: M,
  controllers: ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids'],
};
const root: CgroupHostFeatures = { cpusetParent: { path: '/', cpus: '0-3', mems: '0' } };

function fails(fn: () => unknown, kind: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BerthError, String(err));
    assert.equal(err.kind, kind);
    assert.match(err.message, message);
    return true;
  });
}

const docker: LinuxResources = {
  memory: { limit: 16777216, reservation: 8388608, swap: 33554432, swappiness: 60, disableOOMKiller: true },
  cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-1', mems: '0' },
  pids: { limit: 100 },
  blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }] },
  devices: [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rwm' },
  ],
};

describe('planCgroup v1', () => {
  it('creates one directory per distinct mount and joins each', () => {
    const plan = planCgroup(v1, '/berth/abc', undefined, root);
    assert.deepEqual(plan.mkdirs, [
      `${M}/cpu,cpuacct/berth/abc`,
      `${M}/cpuset/berth/abc`,
      `${M}/memory/berth/abc`,
      `${M}/devices/berth/abc`,
      `${M}/freezer/berth/abc`,
      `${M}/blkio/berth/abc`,
      `${M}/pids/berth/abc`,
      `${M}/systemd/berth/abc`,
    ]);
    assert.deepEqual(
      plan.joins,
      plan.mkdirs.map((d) => `${d}/cgroup.procs`),
    );
    // A new cpuset directory (and the new /berth above it) is filled from the existing parent.
    assert.deepEqual(plan.writes, [
      { path: `${M}/cpuset/berth/cpuset.cpus`, value: '0-3' },
      { path: `${M}/cpuset/berth/cpuset.mems`, value: '0' },
      { path: `${M}/cpuset/berth/abc/cpuset.cpus`, value: '0-3' },
      { path: `${M}/cpuset/berth/abc/cpuset.mems`, value: '0' },
    ]);
    assert.deepEqual(plan.devices, []);
  });

  it('maps every resource to its file, in the order the kernel needs', () => {
    const plan = planCgroup(v1, 'berth/abc', docker, {
      ...root,
      cpusetParent: { path: '/berth', cpus: '0-7', mems: '0-1' },
    });
    const d = (c: string, f: string) => `${M}/${c}/berth/abc/${f}`;
    assert.deepEqual(plan.writes, [
      { path: d('cpuset', 'cpuset.cpus'), value: '0-1' },
      { path: d('cpuset', 'cpuset.mems'), value: '0' },
      { path: d('memory', 'memory.limit_in_bytes'), value: '16777216' },
      { path: d('memory', 'memory.soft_limit_in_bytes'), value: '8388608' },
      { path: d('memory', 'memory.memsw.limit_in_bytes'), value: '33554432' },
      { path: d('memory', 'memory.swappiness'), value: '60' },
      { path: d('memory', 'memory.oom_control'), value: '1' },
      { path: d('cpu,cpuacct', 'cpu.shares'), value: '512' },
      { path: d('cpu,cpuacct', 'cpu.cfs_period_us'), value: '100000' },
      { path: d('cpu,cpuacct', 'cpu.cfs_quota_us'), value: '50000' },
      { path: d('pids', 'pids.max'), value: '100' },
      { path: d('blkio', 'blkio.weight'), value: '500' },
      { path: d('blkio', 'blkio.throttle.read_bps_device'), value: '8:0 1048576' },
      { path: d('devices', 'devices.deny'), value: 'a' },
      { path: d('devices', 'devices.deny'), value: 'a *:* rwm' },
      { path: d('devices', 'devices.allow'), value: 'c 1:3 rwm' },
      { path: d('devices', 'devices.allow'), value: 'c 136:* rwm' },
    ]);
  });

  it('writes no cpuset values into a child the kernel fills from its parent (clone_children)', () => {
    const parent = { cpusetParent: { path: '/berth', cpus: '0-3', mems: '0', cloneChildren: true } };
    const cpusetWrites = (r: LinuxResources, rel = '/berth/abc', f: CgroupHostFeatures = parent) =>
      planCgroup(v1, rel, r, f).writes.filter((w) => w.path.includes('/cpuset/'));
    assert.deepEqual(cpusetWrites({}), []);
    assert.deepEqual(cpusetWrites({ cpu: { cpus: '1', mems: '0' } }), [
      { path: `${M}/cpuset/berth/abc/cpuset.cpus`, value: '1' },
      { path: `${M}/cpuset/berth/abc/cpuset.mems`, value: '0' },
    ]);
    // deeper: the directories between are made by the plan, so they are filled by it too
    assert.deepEqual(cpusetWrites({}, '/berth/x/abc'), [
      { path: `${M}/cpuset/berth/x/cpuset.cpus`, value: '0-3' },
      { path: `${M}/cpuset/berth/x/cpuset.mems`, value: '0' },
      { path: `${M}/cpuset/berth/x/abc/cpuset.cpus`, value: '0-3' },
      { path: `${M}/cpuset/berth/x/abc/cpuset.mems`, value: '0' },
    ]);
  });

  it('leaves an existing cpuset directory alone unless cpus or mems are asked for', () => {
    const existing = { cpusetParent: { path: '/berth/abc', cpus: '0', mems: '0' } };
    assert.deepEqual(planCgroup(v1, '/berth/abc', {}, existing).writes, []);
    assert.deepEqual(planCgroup(v1, '/berth/abc', { cpu: { cpus: '1' } }, existing).writes, [
      { path: `${M}/cpuset/berth/abc/cpuset.cpus`, value: '1' },
    ]);
  });

  it('writes pids.max "max" for 0 and -1, and realtime runtime after its period', () => {
    const w = (r: LinuxResources) =>
      planCgroup(v1, '/x', r, { cpusetParent: { path: '/x', cpus: '', mems: '' } }).writes;
    assert.deepEqual(w({ pids: { limit: 0 } }), [{ path: `${M}/pids/x/pids.max`, value: 'max' }]);
    assert.deepEqual(w({ pids: { limit: -1 } }), [{ path: `${M}/pids/x/pids.max`, value: 'max' }]);
    assert.deepEqual(w({ cpu: { realtimeRuntime: 950000, realtimePeriod: 1000000 } }), [
      { path: `${M}/cpu,cpuacct/x/cpu.rt_period_us`, value: '1000000' },
      { path: `${M}/cpu,cpuacct/x/cpu.rt_runtime_us`, value: '950000' },
    ]);
    assert.deepEqual(w({ memory: { limit: 0, swap: -1 } }), [
      { path: `${M}/memory/x/memory.memsw.limit_in_bytes`, value: '-1' },
    ]);
  });

  it('refuses what the host or the spec cannot do, naming the field', () => {
    const p =
      (r: LinuxResources, f: CgroupHostFeatures = root, l: CgroupLayout = v1) =>
      () =>
        planCgroup(l, '/x', r, f);
    fails(
      p({ memory: { limit: 2000, swap: 1000 } }),
      'InvalidArgument',
      /linux\.resources\.memory\.swap must be at least memory\.limit/,
    );
    fails(p({ memory: { swap: 1000 } }), 'InvalidArgument', /swap requires memory\.limit/);
    fails(
      p({ memory: { limit: 1000, swap: 2000 } }, { ...root, memsw: false }),
      'NotImplemented',
      /swapaccount=1/,
    );
    fails(p({ memory: { swappiness: 101 } }), 'InvalidArgument', /swappiness must be between 0 and 100/);
    fails(
      p({ blockIO: { weight: 300 } }, { ...root, blkioWeightFile: null }),
      'NotImplemented',
      /blockIO\.weight/,
    );
    fails(p({ blockIO: { weight: 5 } }), 'InvalidArgument', /blockIO\.weight must be between 10 and 1000/);
    fails(p({ unified: { 'memory.high': '1G' } }), 'NotImplemented', /unified requires cgroup v2/);
    fails(p({ cpu: { shares: 1 } }), 'InvalidArgument', /cpu\.shares must be between 2 and 262144/);
    fails(p({ cpu: { shares: 1 } }, root, hybrid), 'InvalidArgument', /cpu\.shares/);
  });

  it('refuses bad paths', () => {
    fails(() => planCgroup(v1, '/a/../b', undefined, root), 'InvalidArgument', /must not contain "\.\."/);
    fails(
      () => planCgroup(v1, '/', undefined, root),
      'InvalidArgument',
      /linux\.cgroupsPath must name a cgroup/,
    );
  });

  it('needs the cpuset parent facts when cpuset is mounted', () => {
    fails(() => planCgroup(v1, '/x', undefined), 'Internal', /cpusetParent/);
  });

  it('formats device rules', () => {
    assert.equal(deviceRule({ allow: true }), 'a *:* rwm');
    assert.equal(deviceRule({ allow: true, type: 'b', major: 8, minor: 0, access: 'r' }), 'b 8:0 r');
    fails(
      () => deviceRule({ allow: true, access: 'x' }),
      'InvalidArgument',
      /access must be made of r, w, m/,
    );
  });
});

describe('planCgroup on a hybrid host', () => {
  const features: CgroupHostFeatures = { ...root, unifiedControllers: ['hugetlb'] };

  it('creates and joins the unified directory too', () => {
    const plan = planCgroup(hybrid, '/berth/abc', undefined, features);
    assert.deepEqual(plan.mkdirs, [
      `${M}/cpu/berth/abc`,
      `${M}/cpuacct/berth/abc`,
      `${M}/cpuset/berth/abc`,
      `${M}/memory/berth/abc`,
      `${M}/pids/berth/abc`,
      `${M}/unified/berth/abc`,
    ]);
    assert.equal(plan.joins.at(-1), `${M}/unified/berth/abc/cgroup.procs`);
    assert.deepEqual(cgroupDirs(hybrid, '/berth/abc'), plan.mkdirs);
  });

  it('puts hugepage limits in the unified hierarchy when hugetlb lives there', () => {
    const plan = planCgroup(
      hybrid,
      '/berth/abc',
      { hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] },
      features,
    );
    assert.deepEqual(plan.writes.slice(4), [
      { path: `${M}/unified/cgroup.subtree_control`, value: '+hugetlb' },
      { path: `${M}/unified/berth/cgroup.subtree_control`, value: '+hugetlb' },
      { path: `${M}/unified/berth/abc/hugetlb.2MB.max`, value: '4194304' },
    ]);
    fails(
      () => planCgroup(hybrid, '/x', { hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }, root),
      'NotImplemented',
      /hugepageLimits: the hugetlb cgroup controller is not available/,
    );
  });

  it('refuses controllers that are not mounted', () => {
    fails(
      () => planCgroup(hybrid, '/x', { devices: [] }, root),
      'NotImplemented',
      /linux\.resources\.devices: the devices cgroup controller is not mounted/,
    );
  });
});

describe('planCgroup v2', () => {
  it('enables controllers on every ancestor, then writes the files', () => {
    const r: LinuxResources = {
      ...docker,
      memory: { limit: 16777216, reservation: 8388608, swap: 33554432 },
    };
    const plan = planCgroup(v2, '/berth/abc', r);
    const d = (f: string) => `${M}/berth/abc/${f}`;
    const enable = '+cpuset +cpu +io +memory +hugetlb +pids';
    assert.deepEqual(plan.mkdirs, [`${M}/berth/abc`]);
    assert.deepEqual(plan.joins, [`${M}/berth/abc/cgroup.procs`]);
    assert.deepEqual(plan.writes, [
      { path: `${M}/cgroup.subtree_control`, value: enable },
      { path: `${M}/berth/cgroup.subtree_control`, value: enable },
      { path: d('memory.low'), value: '8388608' },
      { path: d('memory.max'), value: '16777216' },
      { path: d('memory.swap.max'), value: '16777216' },
      { path: d('cpu.weight'), value: '20' },
      { path: d('cpu.max'), value: '50000 100000' },
      { path: d('cpuset.cpus'), value: '0-1' },
      { path: d('cpuset.mems'), value: '0' },
      { path: d('pids.max'), value: '100' },
      { path: d('io.weight'), value: '4950' },
      { path: d('io.max'), value: '8:0 rbps=1048576' },
    ]);
    // eBPF territory: the rules come back untouched.
    assert.deepEqual(plan.devices, docker.devices);
  });

  it('converts shares like runc and writes "max" for unlimited', () => {
    assert.equal(sharesToWeight(2), 1);
    assert.equal(sharesToWeight(1024), 39);
    assert.equal(sharesToWeight(262144), 10000);
    const w = (r: LinuxResources) =>
      planCgroup({ ...v2, controllers: ['memory', 'cpu'] }, '/x', r).writes.slice(1);
    assert.deepEqual(w({ cpu: { quota: -1, period: 50000 } }), [
      { path: `${M}/x/cpu.max`, value: 'max 50000' },
    ]);
    assert.deepEqual(w({ memory: { limit: -1, swap: -1 } }), [
      { path: `${M}/x/memory.max`, value: 'max' },
      { path: `${M}/x/memory.swap.max`, value: 'max' },
    ]);
    assert.deepEqual(w({ memory: { limit: 1000, swap: 1000 } }), [
      { path: `${M}/x/memory.max`, value: '1000' },
      { path: `${M}/x/memory.swap.max`, value: '0' },
    ]);
  });

  it('passes unified keys through and refuses what v2 cannot do', () => {
    const plan = planCgroup(v2, '/x', { unified: { 'memory.high': '1G', 'cgroup.max.depth': '3' } });
    assert.deepEqual(plan.writes.slice(1), [
      { path: `${M}/x/memory.high`, value: '1G' },
      { path: `${M}/x/cgroup.max.depth`, value: '3' },
    ]);
    const p =
      (r: LinuxResources, l: CgroupLayout = v2) =>
      () =>
        planCgroup(l, '/x', r);
    fails(p({ unified: { '../memory.max': '1' } }), 'InvalidArgument', /not a cgroup file name/);
    fails(p({ unified: { 'rdma.max': '1' } }), 'NotImplemented', /rdma cgroup controller is not available/);
    fails(
      p({ memory: { disableOOMKiller: true } }),
      'NotImplemented',
      /disableOOMKiller is not supported on cgroup v2/,
    );
    fails(
      p({ memory: { limit: 1 } }, { ...v2, controllers: ['hugetlb'] }),
      'NotImplemented',
      /linux\.resources\.memory: the memory cgroup controller is not available/,
    );
    fails(
      p({ memory: { limit: 2000, swap: 1000 } }),
      'InvalidArgument',
      /swap must be at least memory\.limit/,
    );
  });

  it('writes no subtree_control when the root offers no controllers', () => {
    assert.deepEqual(planCgroup({ ...v2, controllers: [] }, '/a/b', {}).writes, []);
  });
});
