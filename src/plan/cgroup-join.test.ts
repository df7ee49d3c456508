import assert from 'node:assert/strict';
import { test } from 'node:test';
import { joinSteps } from './cgroup-join.ts';

test('v1 hierarchies are entered from the child, the hybrid unified one through clone', () => {
  const layout = {
    version: 1 as const,
    mounts: { memory: '/sys/fs/cgroup/memory', pids: '/sys/fs/cgroup/pids' },
    unified: '/sys/fs/cgroup/unified',
  };
  const join = joinSteps(layout, [
    '/sys/fs/cgroup/memory/b/c',
    '/sys/fs/cgroup/pids/b/c',
    '/sys/fs/cgroup/unified/b/c',
  ]);
  assert.deepEqual(join.pre, [
    { op: 'cgroup-open', path: '/sys/fs/cgroup/memory/b/c/tasks' },
    { op: 'cgroup-open', path: '/sys/fs/cgroup/pids/b/c/tasks' },
  ]);
  assert.equal(join.cloneInto, '/sys/fs/cgroup/unified/b/c');
  assert.deepEqual(join.child, [{ op: 'cgroup-enter' }]);
});

test('on cgroup v2 the child is created in its cgroup and enters nothing', () => {
  const join = joinSteps({ version: 2, root: '/sys/fs/cgroup', controllers: ['memory'] }, [
    '/sys/fs/cgroup/b/c',
  ]);
  assert.deepEqual(join, { pre: [], cloneInto: '/sys/fs/cgroup/b/c', child: [] });
});

test('a v1 mount whose name starts like the unified one is still v1', () => {
  const join = joinSteps(
    { version: 1, mounts: { x: '/sys/fs/cgroup/unifiedx' }, unified: '/sys/fs/cgroup/unified' },
    ['/sys/fs/cgroup/unifiedx/c'],
  );
  assert.equal(join.cloneInto, undefined);
  assert.equal(join.pre.length, 1);
});
