import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../common/errors.ts';
import { validateSpec } from './oci.ts';

function minimal(): Record<string, unknown> {
  return {
    ociVersion: '1.2.0',
    root: { path: 'rootfs', readonly: true },
    process: { user: { uid: 0, gid: 0 }, args: ['sh'], cwd: '/', env: ['PATH=/bin'] },
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'network', path: '/proc/1/ns/net' }],
      resources: { memory: { limit: -1 }, devices: [{ allow: false, access: 'rwm' }] },
      seccomp: {
        defaultAction: 'SCMP_ACT_ERRNO',
        defaultErrnoRet: 1,
        architectures: ['SCMP_ARCH_X86_64'],
        syscalls: [
          { names: ['read'], action: 'SCMP_ACT_ALLOW' },
          {
            names: ['clone'],
            action: 'SCMP_ACT_ALLOW',
            args: [{ index: 0, value: 2114060288, op: 'SCMP_CMP_MASKED_EQ' }],
          },
        ],
      },
    },
  };
}

/** Sets `value` at a dotted path with [n] indexes, building nothing: the path must exist up to its parent. */
function withField(path: string, value: unknown): Record<string, unknown> {
  const spec = minimal();
  const keys = path.split(/\.|\[(\d+)\]/).filter((k) => k !== undefined && k !== '');
  let node = spec as Record<string, unknown>;
  for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = keys[keys.length - 1];
  if (value === undefined) delete node[last];
  else node[last] = value;
  return spec;
}

function refuses(spec: unknown, message: string): void {
  assert.throws(
    () => validateSpec(spec),
    (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.kind, 'InvalidArgument');
      assert.equal(err.message, message);
      return true;
    },
  );
}

test('a minimal valid spec passes and comes back as is', () => {
  const spec = minimal();
  assert.equal(validateSpec(spec), spec);
});

test('unknown fields are allowed, anywhere', () => {
  const spec = minimal();
  spec.windows = { layerFolders: [] };
  (spec.process as Record<string, unknown>).somethingNew = 42;
  assert.doesNotThrow(() => validateSpec(spec));
});

test('the top level must be an object with an ociVersion string and a root', () => {
  refuses([], 'config.json: must be a JSON object');
  refuses(withField('ociVersion', undefined), 'config.json: ociVersion: is required');
  refuses(withField('ociVersion', 1), 'config.json: ociVersion must be a string');
  refuses(withField('root', undefined), 'config.json: root: is required');
  refuses(withField('root.path', undefined), 'config.json: root.path: is required');
  refuses(withField('root.readonly', 'yes'), 'config.json: root.readonly must be a boolean');
});

test('process: args, cwd and user are checked', () => {
  refuses(withField('process.args', 'sh'), 'config.json: process.args must be an array of strings');
  refuses(withField('process.args', ['sh', 1]), 'config.json: process.args must be an array of strings');
  refuses(withField('process.args', []), 'config.json: process.args must be a non-empty array of strings');
  refuses(withField('process.cwd', 'tmp'), 'config.json: process.cwd must be an absolute path');
  refuses(withField('process.user', undefined), 'config.json: process.user: is required');
  refuses(withField('process.user.uid', -1), 'config.json: process.user.uid must be a non-negative integer');
  refuses(withField('process.user.gid', '0'), 'config.json: process.user.gid must be an integer');
  refuses(
    withField('process.user.additionalGids', [1, 'x']),
    'config.json: process.user.additionalGids[1] must be an integer',
  );
  refuses(withField('process.env', 'A=1'), 'config.json: process.env must be an array of strings');
  refuses(withField('process.terminal', 1), 'config.json: process.terminal must be a boolean');
  refuses(
    withField('process.capabilities', { bounding: 'CAP_KILL' }),
    'config.json: process.capabilities.bounding must be an array of strings',
  );
  refuses(
    withField('process.rlimits', [{ type: 'RLIMIT_NOFILE', hard: 10, soft: 'x' }]),
    'config.json: process.rlimits[0].soft must be an integer',
  );
  refuses(
    withField('process.oomScoreAdj', 2000),
    'config.json: process.oomScoreAdj must be an integer <= 1000',
  );
});

test('mounts need absolute destinations', () => {
  refuses(
    withField('mounts[0].destination', 'proc'),
    'config.json: mounts[0].destination must be an absolute path',
  );
  refuses(withField('mounts[0].destination', undefined), 'config.json: mounts[0].destination: is required');
  refuses(withField('mounts[0].options', 'ro'), 'config.json: mounts[0].options must be an array of strings');
  refuses(withField('mounts', {}), 'config.json: mounts must be an array');
});

test('namespaces must be known and not repeated', () => {
  const spec = withField('linux.namespaces[2].type', 'foo');
  refuses(spec, 'config.json: linux.namespaces[2].type: unknown namespace type "foo"');
  refuses(
    withField('linux.namespaces[1].type', 'pid'),
    'config.json: linux.namespaces[1].type: duplicate namespace type "pid"',
  );
  refuses(withField('linux.namespaces[0].path', 3), 'config.json: linux.namespaces[0].path must be a string');
});

test('resources: numbers where numbers are expected', () => {
  refuses(
    withField('linux.resources.memory.limit', '1g'),
    'config.json: linux.resources.memory.limit must be an integer',
  );
  refuses(
    withField('linux.resources.pids', { limit: 1.5 }),
    'config.json: linux.resources.pids.limit must be an integer',
  );
  refuses(
    withField('linux.resources.devices[0].access', 'rwx'),
    'config.json: linux.resources.devices[0].access: invalid device access "rwx" (want a combination of r, w, m)',
  );
  refuses(
    withField('linux.resources.devices[0].allow', undefined),
    'config.json: linux.resources.devices[0].allow: is required',
  );
  refuses(
    withField('linux.resources.unified', { 'memory.high': 5 }),
    'config.json: linux.resources.unified must be an object of strings',
  );
});

test('seccomp: actions, operators and architectures are known values', () => {
  refuses(
    withField('linux.seccomp.defaultAction', 'SCMP_ACT_NOPE'),
    'config.json: linux.seccomp.defaultAction: unknown seccomp action "SCMP_ACT_NOPE"',
  );
  refuses(
    withField('linux.seccomp.architectures', ['SCMP_ARCH_Z80']),
    'config.json: linux.seccomp.architectures[0]: unknown architecture "SCMP_ARCH_Z80"',
  );
  refuses(
    withField('linux.seccomp.syscalls[1].args[0].op', 'EQ'),
    'config.json: linux.seccomp.syscalls[1].args[0].op: unknown seccomp operator "EQ"',
  );
  refuses(
    withField('linux.seccomp.syscalls[1].args[0].index', 6),
    'config.json: linux.seccomp.syscalls[1].args[0].index must be an integer <= 5',
  );
  refuses(
    withField('linux.seccomp.syscalls[0].names', undefined),
    'config.json: linux.seccomp.syscalls[0].names: is required',
  );
});

test('devices: type and numbers', () => {
  const spec = minimal();
  (spec.linux as Record<string, unknown>).devices = [{ path: '/dev/fuse', type: 'c', major: 10 }];
  refuses(spec, 'config.json: linux.devices[0].minor: is required');
  (spec.linux as Record<string, unknown>).devices = [{ path: '/dev/fifo', type: 'p' }];
  assert.doesNotThrow(() => validateSpec(spec));
  (spec.linux as Record<string, unknown>).devices = [{ path: '/dev/x', type: 'z', major: 1, minor: 1 }];
  refuses(spec, 'config.json: linux.devices[0].type: unknown device type "z"');
});
