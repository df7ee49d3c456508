// The driver suite on cgroup v2: the host's own layout on a cgroup2-only host; on a hybrid
// host, a test-only layout over its unified mount (usually only hugetlb there, so the memory,
// cpu and pids parts skip while create, join, freeze, kill and destroy run for real).

import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import type { CgroupLayout } from '../../plan/facts.ts';
import { detectCgroupLayout } from './detect.ts';
import { cgroupDriverSuite } from './driver.suite.ts';

function v2Layout(): CgroupLayout | undefined {
  const host = detectCgroupLayout();
  if (host.version === 2) return host;
  if (!host.unified) return undefined;
  const controllers = readFileSync(`${host.unified}/cgroup.controllers`, 'utf8').split(/\s+/).filter(Boolean);
  return { version: 2, root: host.unified, controllers };
}

const layout = v2Layout();
if (!layout || process.getuid?.() !== 0) {
  describe('cgroup driver: v2', () => {
    it('needs root and a cgroup2 mount', (t) =>
      t.skip(layout ? 'not root' : 'no cgroup2 mount on this host'));
  });
} else {
  const root = layout.version === 2 ? layout.root : '';
  cgroupDriverSuite(root === '/sys/fs/cgroup' ? 'v2' : `v2 (test layout on ${root})`, layout);
}
