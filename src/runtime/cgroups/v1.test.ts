// The driver suite on this host's cgroup v1 hierarchies (with the unified directory of a
// hybrid host). Needs root; skipped on a cgroup2-only host or without root.

import { describe, it } from 'node:test';
import { detectCgroupLayout } from './detect.ts';
import { cgroupDriverSuite } from './driver.suite.ts';

const layout = detectCgroupLayout();
if (layout.version !== 1 || process.getuid?.() !== 0) {
  describe('cgroup driver: v1', () => {
    it('needs root on a cgroup v1 host', (t) =>
      t.skip(`cgroup v${layout.version}, uid ${process.getuid?.()}`));
  });
} else {
  cgroupDriverSuite('v1', layout);
}
