import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../common/errors.ts';
import type { LinuxSeccomp, LinuxSyscall } from '../oci.ts';
import { validateSpec } from '../oci.ts';
import {
  architecturesFor,
  loadSeccompProfile,
  resolveCustomSeccomp,
  resolveDockerSeccomp,
  type SeccompContext,
} from './seccomp.ts';
import { CLONE_NAMESPACE_FLAGS, DEFAULT_ARCH_MAP, dockerDefaultProfile } from './seccomp-default.ts';

const KERNEL_5_10 = { major: 5, minor: 10 };
// Docker's default set, spelled out here so these tests stand apart from defaults.ts.
const DOCKER_DEFAULT_CAPABILITIES = [
  'CHOWN',
  'DAC_OVERRIDE',
  'FSETID',
  'FOWNER',
  'MKNOD',
  'NET_RAW',
  'SETGID',
  'SETUID',
  'SETFCAP',
  'SETPCAP',
  'NET_BIND_SERVICE',
  'SYS_CHROOT',
  'KILL',
  'AUDIT_WRITE',
].map((c) => `CAP_${c}`);

function ctx(over: Partial<SeccompContext> = {}): SeccompContext {
  return { capabilities: [...DOCKER_DEFAULT_CAPABILITIES], arch: 'amd64', kernel: KERNEL_5_10, ...over };
}

/** Rules that allow a syscall, with or without argument conditions. */
function rulesFor(s: LinuxSeccomp, name: string): LinuxSyscall[] {
  return (s.syscalls ?? []).filter((r) => r.names.includes(name));
}

/** True when the syscall is allowed with no argument condition. */
function allowedOutright(s: LinuxSeccomp, name: string): boolean {
  return rulesFor(s, name).some((r) => r.action === 'SCMP_ACT_ALLOW' && (r.args ?? []).length === 0);
}

test('the default denies with EPERM and allows the everyday syscalls', () => {
  const s = resolveDockerSeccomp(ctx());
  assert.equal(s.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(s.defaultErrnoRet, 1);
  for (const name of ['read', 'write', 'openat', 'execve', 'futex', 'epoll_wait', 'exit_group', 'chown']) {
    assert.ok(allowedOutright(s, name), name);
  }
  for (const name of [
    'mount',
    'umount2',
    'unshare',
    'setns',
    'reboot',
    'init_module',
    'kexec_load',
    'add_key',
  ]) {
    assert.ok(!allowedOutright(s, name), name);
  }
  assert.ok(!allowedOutright(s, 'io_uring_setup'), 'io_uring stays blocked');
});

test('the result is a valid OCI linux.seccomp object', () => {
  const seccomp = resolveDockerSeccomp(ctx());
  assert.doesNotThrow(() =>
    validateSpec({ ociVersion: '1.2.0', root: { path: 'rootfs' }, linux: { seccomp } }),
  );
  for (const r of seccomp.syscalls ?? []) {
    assert.ok(!('includes' in r) && !('excludes' in r) && !('comment' in r));
  }
});

test('amd64 covers x86_64, x86 and x32 and allows arch_prctl; arm64 covers aarch64 and arm and does not', () => {
  const amd64 = resolveDockerSeccomp(ctx());
  assert.deepEqual(amd64.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.ok(allowedOutright(amd64, 'arch_prctl'));
  assert.ok(allowedOutright(amd64, 'modify_ldt'));
  assert.ok(!allowedOutright(amd64, 'set_tls'));

  const arm64 = resolveDockerSeccomp(ctx({ arch: 'arm64' }));
  assert.deepEqual(arm64.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.ok(!allowedOutright(arm64, 'arch_prctl'));
  assert.ok(!allowedOutright(arm64, 'modify_ldt'));
  assert.ok(allowedOutright(arm64, 'set_tls'));
  assert.ok(allowedOutright(arm64, 'cacheflush'));

  const x86 = resolveDockerSeccomp(ctx({ arch: '386' }));
  assert.ok(allowedOutright(x86, 'modify_ldt'));
  assert.ok(!allowedOutright(x86, 'arch_prctl'));
  assert.equal(x86.architectures, undefined, 'no archMap entry for x86: native only');
});

test('archMap lookups', () => {
  assert.deepEqual(architecturesFor('s390x', DEFAULT_ARCH_MAP), ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390']);
  assert.deepEqual(architecturesFor('riscv64', DEFAULT_ARCH_MAP), ['SCMP_ARCH_RISCV64']);
  assert.deepEqual(architecturesFor('loong64', DEFAULT_ARCH_MAP), ['SCMP_ARCH_LOONGARCH64']);
  assert.deepEqual(architecturesFor('ppc64le', DEFAULT_ARCH_MAP), []);
});

test('without CAP_SYS_ADMIN: clone carries the namespace-flag condition and clone3 gets ENOSYS', () => {
  const s = resolveDockerSeccomp(ctx());
  const clone = rulesFor(s, 'clone');
  assert.equal(clone.length, 1);
  assert.deepEqual(clone[0].args, [
    { index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' },
  ]);
  assert.equal(CLONE_NAMESPACE_FLAGS, 2114060288);
  assert.deepEqual(rulesFor(s, 'clone3'), [{ names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 }]);
  assert.ok(!allowedOutright(s, 'mount'));
  assert.ok(!allowedOutright(s, 'unshare'));
});

test('on s390x the clone flags are argument 1', () => {
  const s = resolveDockerSeccomp(ctx({ arch: 's390x' }));
  const clone = rulesFor(s, 'clone');
  assert.equal(clone.length, 1);
  assert.equal(clone[0].args?.[0].index, 1);
  assert.ok(allowedOutright(s, 's390_runtime_instr'));
});

test('CAP_SYS_ADMIN unlocks mount, unshare, setns and an unconditional clone/clone3', () => {
  const s = resolveDockerSeccomp(ctx({ capabilities: [...DOCKER_DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'] }));
  for (const name of ['mount', 'umount2', 'unshare', 'setns', 'sethostname', 'clone', 'clone3', 'bpf']) {
    assert.ok(allowedOutright(s, name), name);
  }
  assert.ok(rulesFor(s, 'clone').every((r) => r.args === undefined));
  assert.ok(rulesFor(s, 'clone3').every((r) => r.action === 'SCMP_ACT_ALLOW'));
});

test('other capabilities unlock their syscalls', () => {
  const cases: Array<[string, string[]]> = [
    ['CAP_SYS_PTRACE', ['kcmp', 'pidfd_getfd', 'process_madvise']],
    ['CAP_SYS_BOOT', ['reboot']],
    ['CAP_SYS_MODULE', ['init_module', 'finit_module', 'delete_module']],
    ['CAP_SYS_TIME', ['settimeofday', 'clock_settime']],
    ['CAP_SYS_NICE', ['mbind', 'set_mempolicy']],
    ['CAP_DAC_READ_SEARCH', ['open_by_handle_at']],
    ['CAP_SYSLOG', ['syslog']],
    ['CAP_BPF', ['bpf']],
    ['CAP_PERFMON', ['perf_event_open']],
  ];
  const base = resolveDockerSeccomp(ctx());
  for (const [cap, names] of cases) {
    const s = resolveDockerSeccomp(ctx({ capabilities: [...DOCKER_DEFAULT_CAPABILITIES, cap] }));
    for (const name of names) {
      assert.ok(allowedOutright(s, name), `${cap} -> ${name}`);
      assert.ok(!allowedOutright(base, name), `${name} without ${cap}`);
    }
  }
  // chroot needs CAP_SYS_CHROOT, which is in Docker's default set: dropping it removes chroot.
  assert.ok(allowedOutright(base, 'chroot'));
  const noChroot = DOCKER_DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT');
  assert.ok(!allowedOutright(resolveDockerSeccomp(ctx({ capabilities: noChroot })), 'chroot'));
});

test('ptrace is allowed from kernel 4.8 on, and dropped below it', () => {
  assert.ok(allowedOutright(resolveDockerSeccomp(ctx({ kernel: { major: 4, minor: 8 } })), 'ptrace'));
  assert.ok(allowedOutright(resolveDockerSeccomp(ctx({ kernel: { major: 6, minor: 1 } })), 'ptrace'));
  const old = resolveDockerSeccomp(ctx({ kernel: { major: 4, minor: 4 } }));
  assert.ok(!allowedOutright(old, 'ptrace'));
  assert.ok(!allowedOutright(old, 'process_vm_readv'));
  const oldWithPtraceCap = resolveDockerSeccomp(
    ctx({ kernel: { major: 3, minor: 10 }, capabilities: ['CAP_SYS_PTRACE'] }),
  );
  assert.ok(allowedOutright(oldWithPtraceCap, 'ptrace'));
});

test('personality is allowed only for the listed values and socket not for AF_VSOCK', () => {
  const s = resolveDockerSeccomp(ctx());
  const values = rulesFor(s, 'personality').map((r) => r.args?.[0].value);
  assert.deepEqual(values, [0, 8, 0x20000, 0x20008, 0xffffffff]);
  assert.ok(!allowedOutright(s, 'personality'));
  assert.deepEqual(rulesFor(s, 'socket'), [
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 40, op: 'SCMP_CMP_NE' }] },
  ]);
});

test('resolving does not mutate the profile and returns independent objects', () => {
  const a = resolveDockerSeccomp(ctx());
  a.syscalls![0].names.push('kexec_load');
  const b = resolveDockerSeccomp(ctx());
  assert.ok(!b.syscalls![0].names.includes('kexec_load'));
  assert.equal(dockerDefaultProfile().syscalls[0].names.includes('kexec_load'), false);
});

// ---- custom profiles ------------------------------------------------------------------------

function refuses(profile: unknown, message: string | RegExp): void {
  assert.throws(
    () => loadSeccompProfile(profile),
    (err: unknown) => {
      assert.ok(err instanceof BerthError);
      assert.equal(err.kind, 'InvalidArgument');
      if (typeof message === 'string') assert.equal(err.message, message);
      else assert.match(err.message, message);
      return true;
    },
  );
}

test('a custom profile resolves with its conditions, from JSON text', () => {
  const json = JSON.stringify({
    defaultAction: 'SCMP_ACT_ERRNO',
    archMap: [{ architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86'] }],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { name: 'mount', action: 'SCMP_ACT_ALLOW', includes: { caps: ['SYS_ADMIN'] } },
      { names: ['uname'], action: 'SCMP_ACT_ERRNO', errnoRet: 38, excludes: { minKernel: '5.4' } },
      { names: ['kill'], action: 'SCMP_ACT_LOG', comment: 'audit', includes: { arches: ['arm64'] } },
    ],
  });
  const s = resolveCustomSeccomp(json, ctx({ kernel: { major: 4, minor: 19 } }))!;
  assert.deepEqual(s, {
    defaultAction: 'SCMP_ACT_ERRNO',
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'],
    syscalls: [
      { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
      { names: ['uname'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
    ],
  });
  const admin = resolveCustomSeccomp(json, ctx({ capabilities: ['CAP_SYS_ADMIN'], arch: 'arm64' }))!;
  assert.deepEqual(
    admin.syscalls?.map((r) => r.names[0]),
    ['read', 'mount', 'kill'],
  );
});

test('a profile with no default action and no rules means no seccomp', () => {
  assert.equal(resolveCustomSeccomp('{}', ctx()), undefined);
});

test('custom profiles with mistakes are refused, naming the field', () => {
  refuses('{nope', /^seccomp profile: decoding failed: /);
  refuses([], 'seccomp profile: must be a JSON object');
  refuses(
    { defaultAction: 'SCMP_ACT_NOPE' },
    'seccomp profile: defaultAction: unknown action "SCMP_ACT_NOPE"',
  );
  refuses(
    {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [
        { names: ['read'], action: 'SCMP_ACT_ALLOW' },
        { names: ['x'], action: 'ALLOW' },
      ],
    },
    'seccomp profile: syscalls[1].action: unknown action "ALLOW"',
  );
  refuses(
    {
      defaultAction: 'SCMP_ACT_ERRNO',
      architectures: ['SCMP_ARCH_X86'],
      archMap: [{ architecture: 'SCMP_ARCH_X86_64' }],
    },
    "seccomp profile: both 'architectures' and 'archMap' are set, use either",
  );
  refuses(
    { defaultAction: 'SCMP_ACT_ERRNO', architectures: ['x86_64'] },
    'seccomp profile: architectures[0]: unknown architecture "x86_64"',
  );
  refuses(
    { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ name: 'a', names: ['b'], action: 'SCMP_ACT_ALLOW' }] },
    "seccomp profile: syscalls[0]: both 'name' and 'names' are set, use either",
  );
  refuses(
    {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 1, op: 'EQ' }] }],
    },
    'seccomp profile: syscalls[0].args[0].op: unknown operator "EQ"',
  );
  refuses(
    {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['a'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '4' } }],
    },
    'seccomp profile: syscalls[0].includes.minKernel: invalid kernel version "4", expected "<kernel>.<major>"',
  );
  refuses(
    { defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: [], action: 'SCMP_ACT_ALLOW' }] },
    'seccomp profile: syscalls[0].names: must list at least one syscall',
  );
  refuses(
    { defaultAction: 'SCMP_ACT_NOTIFY' },
    'seccomp profile: listenerPath: is required when an action is SCMP_ACT_NOTIFY',
  );
});

test("Docker's default profile round-trips through the custom loader unchanged", () => {
  const profile = dockerDefaultProfile();
  const viaJson = JSON.parse(
    JSON.stringify(profile, (k, v) =>
      k === 'minKernel' && v && typeof v === 'object' ? `${v.major}.${v.minor}` : v,
    ),
  );
  for (const c of [ctx(), ctx({ arch: 'arm64', capabilities: ['CAP_SYS_ADMIN'] })]) {
    assert.deepEqual(resolveCustomSeccomp(viaJson, c), resolveDockerSeccomp(c));
  }
});
