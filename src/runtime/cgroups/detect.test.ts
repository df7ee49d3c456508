import assert from 'node:assert/strict';
import { mkdirSync, rmdirSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  availableCpuset,
  cgroupHostFeatures,
  detectCgroupLayout,
  layoutFromMountinfo,
  parseCgroupMounts,
} from './detect.ts';

const hybrid = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw,nsdelegate
90 80 0:32 /docker/abc /mnt/mem\\040x rw,relatime - cgroup cgroup rw,memory
`;
const pure = `30 23 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
22 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw
`;

describe('cgroup layout detection', () => {
  it('reads a hybrid host as v1 with unified, co-mounted controllers sharing a mount', () => {
    assert.deepEqual(
      layoutFromMountinfo(hybrid, () => ['hugetlb']),
      {
        version: 1,
        mounts: {
          cpu: '/sys/fs/cgroup/cpu,cpuacct',
          cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
          memory: '/sys/fs/cgroup/memory',
          'name=systemd': '/sys/fs/cgroup/systemd',
        },
        unified: '/sys/fs/cgroup/unified',
      },
    );
    assert.deepEqual(parseCgroupMounts(hybrid).at(-1), {
      mountPoint: '/mnt/mem x',
      root: '/docker/abc',
      fstype: 'cgroup',
      controllers: ['memory'],
    });
  });

  it('reads a pure cgroup2 host as v2 with the root controllers', () => {
    assert.deepEqual(
      layoutFromMountinfo(pure, (root) => (root === '/sys/fs/cgroup' ? ['cpu', 'memory', 'pids'] : [])),
      { version: 2, root: '/sys/fs/cgroup', controllers: ['cpu', 'memory', 'pids'] },
    );
  });

  it('fails clearly without cgroups', () => {
    assert.throws(
      () => layoutFromMountinfo('22 1 8:1 / / rw - ext4 /dev/sda1 rw\n', () => []),
      /no cgroup file system/,
    );
  });

  it('detects this host and its features', () => {
    const layout = detectCgroupLayout();
    const features = cgroupHostFeatures(layout, `/berth-detect-${process.pid}/x`);
    if (layout.version === 1 && layout.mounts.cpuset) {
      assert.equal(features.cpusetParent?.path, '/');
      assert.match(features.cpusetParent?.cpus ?? '', /^[0-9]/);
    }
  });

  it("the cpuset a container may ask for: on v2 the root cgroup's effective CPUs and memory nodes", () => {
    const files: Record<string, string> = {
      '/sys/fs/cgroup/cpuset.cpus.effective': '0-3\n',
      '/sys/fs/cgroup/cpuset.mems.effective': '0\n',
    };
    const v2 = { version: 2 as const, root: '/sys/fs/cgroup', controllers: ['cpuset'] };
    assert.deepEqual(
      availableCpuset(v2, {}, (p) => files[p]),
      { cpus: '0-3', mems: '0' },
    );
    // a host that does not say: nothing to check against
    assert.deepEqual(
      availableCpuset(v2, {}, () => undefined),
      { cpus: undefined, mems: undefined },
    );
  });

  it('takes a cpuset ancestor that exists but is not filled in yet (a concurrent create) as one to fill', (t) => {
    const layout = detectCgroupLayout();
    if (layout.version !== 1 || !layout.mounts.cpuset) return t.skip('needs a v1 cpuset hierarchy');
    const parent = `/berth-detect-empty-${process.pid}`;
    mkdirSync(layout.mounts.cpuset + parent); // what a concurrent create's cgroup-mkdir has done so far
    t.after(() => rmdirSync(layout.mounts.cpuset + parent));
    const features = cgroupHostFeatures(layout, `${parent}/x`);
    assert.equal(features.cpusetParent?.path, '/');
    assert.match(features.cpusetParent?.cpus ?? '', /^[0-9]/);
  });
});
