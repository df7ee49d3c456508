import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { assertGolden } from '../../test/helpers/golden.ts';
import { BerthError } from '../common/errors.ts';
import { dockerSpec } from '../spec/docker/defaults.ts';
import type { Spec } from '../spec/oci.ts';
import { runtimeDefaultSpec } from '../spec/runtime-default.ts';
import { type CreateOptions, compileCreate } from './create.ts';
import { encodePlan } from './encode.ts';
import { compileExec } from './exec.ts';
import type { HostFacts } from './facts.ts';
import type { Plan } from './types.ts';

const testdata = join(import.meta.dirname, 'testdata');

export const FACTS: HostFacts = {
  arch: 'amd64',
  kernel: { major: 6, minor: 1 },
  capLastCap: 40,
  cgroup: {
    version: 1,
    mounts: {
      cpu: '/sys/fs/cgroup/cpu,cpuacct',
      cpuacct: '/sys/fs/cgroup/cpu,cpuacct',
      memory: '/sys/fs/cgroup/memory',
      pids: '/sys/fs/cgroup/pids',
      devices: '/sys/fs/cgroup/devices',
      freezer: '/sys/fs/cgroup/freezer',
    },
  },
  cgroupFeatures: { memsw: true },
};

function create(spec: Spec, extra: Partial<CreateOptions> = {}): Plan {
  return compileCreate({
    id: 'c1',
    bundle: '/run/bundles/c1',
    spec,
    facts: FACTS,
    execFifo: '/run/berth-runtime/c1/exec.fifo',
    reportFd: 4,
    ...extra,
  });
}

function steps(plan: Plan): string[] {
  return [...plan.pre, ...plan.parent, ...plan.child].map((s) => s.op);
}

describe('compileCreate', () => {
  it('compiles the runc-spec defaults', () => {
    const spec = runtimeDefaultSpec();
    spec.process!.terminal = false;
    assertGolden(join(testdata, 'runc-spec.plan'), encodePlan(create(spec)));
  });

  it('compiles Docker-like defaults (docker run busybox)', () => {
    const spec = dockerSpec({
      rootfs: 'rootfs',
      args: ['sh', '-c', 'echo hi'],
      hostname: '0123456789ab',
      cgroupsPath: '/berth/c1',
      cgroupVersion: 1,
      seccomp: 'default',
      arch: 'amd64',
      kernel: { major: 6, minor: 1 },
    });
    const plan = create(spec);
    assertGolden(join(testdata, 'docker-defaults.plan'), encodePlan(plan));
    assert.ok(steps(plan).includes('seccomp-load'), 'the default seccomp profile is loaded');
    const caps = plan.child.find((s) => s.op === 'caps');
    assert.equal(caps?.op === 'caps' && caps.effective, 'a80425fb');
  });

  it('compiles a terminal container with a console socket', () => {
    const plan = create(runtimeDefaultSpec(), { consoleSocket: '/tmp/console.sock' });
    assertGolden(join(testdata, 'terminal.plan'), encodePlan(plan));
    assert.deepEqual(plan.pre[1], { op: 'console-connect', path: '/tmp/console.sock' });
    assert.ok(steps(plan).includes('console-pty'));
  });

  it('compiles a user-namespaced container', () => {
    const spec = runtimeDefaultSpec();
    spec.process!.terminal = false;
    spec.linux!.namespaces!.push({ type: 'user' });
    spec.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    spec.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    const plan = create(spec);
    assertGolden(join(testdata, 'userns.plan'), encodePlan(plan));
    assert.equal(plan.parent[0].op, 'userns-map');
    assert.ok(!steps(plan).includes('mknod'), 'device nodes are bind-mounted in a user namespace');
  });

  it('puts sync pairs in step', () => {
    const spec = runtimeDefaultSpec();
    spec.process!.terminal = false;
    spec.hooks = { createRuntime: [{ path: '/bin/true' }], createContainer: [{ path: '/bin/true' }] };
    const plan = create(spec);
    const count = (list: { op: string }[]) => list.filter((s) => s.op === 'sync').length;
    assert.equal(count(plan.parent), count(plan.child));
    assert.equal(count(plan.parent), 4);
  });

  it('runs in the foreground without a fifo for `run`', () => {
    const spec = runtimeDefaultSpec();
    spec.process!.terminal = false;
    const plan = create(spec, { execFifo: undefined, foreground: true });
    assert.equal(plan.parent.at(-1)?.op, 'wait-child');
    assert.ok(!steps(plan).includes('wait-start'));
  });

  it('refuses bad input with errors naming the field', () => {
    const bad = (mutate: (s: Spec) => void, message: RegExp, extra: Partial<CreateOptions> = {}) => {
      const spec = runtimeDefaultSpec();
      spec.process!.terminal = false;
      mutate(spec);
      assert.throws(
        () => create(spec, extra),
        (err: unknown) => err instanceof BerthError && message.test(err.message),
      );
    };
    bad((s) => {
      s.process!.capabilities!.bounding = ['CAP_FOO'];
    }, /unknown capability "CAP_FOO"/);
    bad((s) => {
      s.process!.terminal = true;
    }, /--console-socket/);
    bad((s) => {
      s.mounts!.push({ destination: '/data', type: 'bind', source: '/nonexistent', options: ['bind'] });
    }, /bind source "\/nonexistent" does not exist/);
    bad(
      (s) => {
        s.mounts!.push({ destination: '/x', type: 'bogusfs', source: 'x' });
      },
      /unknown file system type "bogusfs"/,
      {
        facts: { ...FACTS, filesystems: ['proc', 'tmpfs', 'devpts', 'mqueue', 'sysfs', 'cgroup'] },
      },
    );
    bad((s) => {
      s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'uts');
    }, /UTS namespace/);
    bad((s) => {
      s.linux!.namespaces!.push({ type: 'user' });
    }, /uidMappings/);
    bad((s) => {
      s.process!.rlimits!.push({ type: 'RLIMIT_BOGUS', hard: 1, soft: 1 });
    }, /unknown rlimit type "RLIMIT_BOGUS"/);
    bad((s) => {
      s.linux!.sysctl = { 'vm.swappiness': '10' };
    }, /not namespaced/);
  });
});

describe('compileExec', () => {
  it('joins every namespace of the container, the mount namespace from the child', () => {
    const spec = runtimeDefaultSpec();
    spec.process!.terminal = false;
    const plan = compileExec({
      spec,
      process: { ...spec.process!, args: ['ps', 'aux'] },
      pid: 4242,
      pidStart: '123456',
      cgroupsPath: '/berth/c1',
      facts: FACTS,
      detach: false,
      reportFd: 4,
    });
    assertGolden(join(testdata, 'exec.plan'), encodePlan(plan));
    const joins = plan.pre.filter((s) => s.op === 'setns').map((s) => s.op === 'setns' && s.type);
    assert.deepEqual(joins, ['ipc', 'uts', 'net', 'pid']);
    assert.deepEqual(
      plan.child.find((s) => s.op === 'setns'),
      { op: 'setns', path: '/proc/4242/ns/mnt', type: 'mnt' },
    );
    assert.equal(plan.child[0].op, 'cgroup-enter', 'the child enters its v1 cgroups first');
  });
});
