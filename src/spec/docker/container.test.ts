import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { assertGolden } from '../../../test/helpers/golden.ts';
import { BerthError, type ErrorKind } from '../../common/errors.ts';
import type { LinuxDevice, Mount, Spec } from '../oci.ts';
import { validateSpec } from '../oci.ts';
import type { HostConfig } from './api.ts';
import {
  adaptHostConfig,
  type ContainerFacts,
  type ContainerSpecInput,
  containerSpec,
  defaultHostname,
  entrypointAndArgs,
  INIT_PATH_IN_CONTAINER,
  mergeImageConfig,
  RLIM_INFINITY,
  resolveUser,
  strSlice,
  updateHostConfig,
} from './container.ts';
import { DEFAULT_MASKED_PATHS, DEFAULT_READONLY_PATHS, DOCKER_DEFAULT_CAPABILITIES } from './defaults.ts';

const ID = '0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef';
const MB = 1024 * 1024;

const FACTS: ContainerFacts = {
  arch: 'amd64',
  kernel: { major: 6, minor: 1 },
  cgroupVersion: 1,
  capLastCap: 40,
  hostnamePath: '/var/lib/berth/containers/x/hostname',
  hostsPath: '/var/lib/berth/containers/x/hosts',
  resolvConfPath: '/var/lib/berth/containers/x/resolv.conf',
};

const IMAGE = {
  Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'LANG=C.UTF-8'],
  Cmd: ['sh'],
  WorkingDir: '/srv',
};

function spec(over: Partial<ContainerSpecInput> = {}, facts: Partial<ContainerFacts> = {}): Spec {
  const s = containerSpec({
    id: ID,
    config: { Image: 'busybox', Cmd: ['echo', 'hi'] },
    hostConfig: { NetworkMode: 'none' },
    image: IMAGE,
    rootfs: '/var/lib/berth/containers/x/rootfs',
    user: { uid: 0, gid: 0, additionalGids: [], home: '/root' },
    ...over,
    facts: { ...FACTS, ...facts },
  });
  validateSpec(JSON.parse(JSON.stringify(s)));
  return s;
}

const hc = (h: ContainerSpecInput['hostConfig']) => ({ hostConfig: { NetworkMode: 'none', ...h } });
const mount = (s: Spec, dest: string): Mount | undefined => s.mounts?.find((m) => m.destination === dest);
const ns = (s: Spec) => Object.fromEntries((s.linux?.namespaces ?? []).map((n) => [n.type, n.path ?? '']));

function throwsKind(fn: () => unknown, kind: ErrorKind, message: string | RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof BerthError, String(err));
    assert.equal(err.kind, kind);
    if (typeof message === 'string') assert.equal(err.message, message);
    else assert.match(err.message, message);
    return true;
  });
}

// ---- merging --------------------------------------------------------------------------------

test('strSlice: one string is one element; null stays null', () => {
  assert.deepEqual(strSlice('echo hi'), ['echo hi']);
  assert.deepEqual(strSlice(['a', 'b']), ['a', 'b']);
  assert.equal(strSlice(null), null);
  assert.equal(strSlice(undefined), null);
});

test("Entrypoint and Cmd follow dockerd's merge", () => {
  const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve'] };
  const run = (c: Parameters<typeof mergeImageConfig>[0]) => {
    const m = mergeImageConfig(c, image);
    return [m.Entrypoint, m.Cmd];
  };
  assert.deepEqual(run({}), [['/entry.sh'], ['serve']]);
  assert.deepEqual(run({ Cmd: ['debug'] }), [['/entry.sh'], ['debug']]);
  assert.deepEqual(run({ Entrypoint: ['/bin/sh'] }), [['/bin/sh'], null], "the image's Cmd is dropped");
  assert.deepEqual(run({ Entrypoint: ['/bin/sh'], Cmd: ['-c', 'id'] }), [['/bin/sh'], ['-c', 'id']]);
  assert.deepEqual(run({ Entrypoint: '/bin/sh -c' }), [['/bin/sh -c'], null]);
  assert.deepEqual(run({ Entrypoint: [''], Cmd: ['ls'] }), [[], ['ls']], '--entrypoint "" clears it');
  assert.deepEqual(run({ Entrypoint: [], Cmd: ['ls'] }), [[], ['ls']]);
  assert.deepEqual(
    run({ Entrypoint: [] }),
    [[], ['serve']],
    'an empty list keeps the image Cmd, not its Entrypoint',
  );
  throwsKind(() => run({ Entrypoint: [''] }), 'InvalidArgument', 'no command specified');
  throwsKind(() => mergeImageConfig({}, {}), 'InvalidArgument', 'no command specified');
  assert.deepEqual(entrypointAndArgs(mergeImageConfig({ Cmd: ['a', 'b'] }, image)), {
    path: '/entry.sh',
    args: ['a', 'b'],
  });
});

test('merging the stored config with the image again changes nothing', () => {
  const image = { Entrypoint: ['/entry.sh'], Cmd: ['serve'], Env: ['A=1', 'B=2'], Labels: { a: '1' } };
  for (const c of [
    { Entrypoint: [''], Cmd: ['ls'] },
    { Entrypoint: ['/bin/sh'] },
    { Cmd: ['x'], Env: ['B=3'] },
    { Labels: { a: '2', b: '1' } },
  ]) {
    const once = mergeImageConfig(c, image);
    assert.deepEqual(mergeImageConfig(once, image), once, JSON.stringify(c));
  }
});

test('Env, Labels, ExposedPorts, Volumes, User, WorkingDir, StopSignal and Healthcheck merge like dockerd', () => {
  const m = mergeImageConfig(
    {
      Cmd: ['x'],
      Env: ['B=user', 'C=3'],
      Labels: { a: 'user' },
      ExposedPorts: { '80/tcp': {} },
      Healthcheck: { Interval: 5e9 },
    },
    {
      Env: ['A=1', 'B=image'],
      Labels: { a: 'image', b: 'image' },
      ExposedPorts: { '443/tcp': {} },
      Volumes: { '/data': {} },
      User: 'app',
      WorkingDir: '/app',
      StopSignal: 'SIGQUIT',
      Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Retries: 3 },
    },
  );
  assert.deepEqual(m.Env, ['B=user', 'C=3', 'A=1']);
  assert.deepEqual(m.Labels, { a: 'user', b: 'image' });
  assert.deepEqual(m.ExposedPorts, { '443/tcp': {}, '80/tcp': {} });
  assert.deepEqual(m.Volumes, { '/data': {} });
  assert.equal(m.User, 'app');
  assert.equal(m.WorkingDir, '/app');
  assert.equal(m.StopSignal, 'SIGQUIT');
  assert.deepEqual(m.Healthcheck, {
    Test: ['CMD', 'true'],
    Interval: 5e9,
    Retries: 3,
    Timeout: undefined,
    StartPeriod: undefined,
    StartInterval: undefined,
  });
  const own = mergeImageConfig(
    { Cmd: ['x'], User: '1000', WorkingDir: '/w', StopSignal: 'SIGINT' },
    { User: 'app', WorkingDir: '/app' },
  );
  assert.deepEqual([own.User, own.WorkingDir, own.StopSignal], ['1000', '/w', 'SIGINT']);
});

test('defaultHostname and adaptHostConfig', () => {
  assert.equal(defaultHostname(ID, {}), '0123456789ab');
  assert.equal(defaultHostname(ID, { NetworkMode: 'host' }, 'myhost'), 'myhost');
  assert.equal(defaultHostname(ID, { NetworkMode: 'container:x' }), '0123456789ab');
  assert.deepEqual(adaptHostConfig({ Memory: 64 * MB }, { cgroupVersion: 1 }), {
    Memory: 64 * MB,
    MemorySwap: 128 * MB,
    ShmSize: 64 * MB,
    IpcMode: 'private',
    CgroupnsMode: 'host',
    OomKillDisable: false,
    NetworkMode: 'default',
    LogConfig: { Type: 'json-file', Config: {} },
    Runtime: 'berth',
    MaskedPaths: [...DEFAULT_MASKED_PATHS],
    ReadonlyPaths: [...DEFAULT_READONLY_PATHS],
  });
  // what the docker CLI sends for "not set", as dockerd stores it
  const cli = adaptHostConfig(
    { MemorySwappiness: -1, PidsLimit: 0, LogConfig: { Type: '', Config: { 'max-size': '1m' } } },
    { cgroupVersion: 1, runtime: 'runc' },
  );
  assert.deepEqual(
    [cli.MemorySwappiness, cli.PidsLimit, cli.LogConfig, cli.Runtime, cli.SecurityOpt],
    [null, null, { Type: 'json-file', Config: { 'max-size': '1m' } }, 'runc', undefined],
  );
  assert.equal(adaptHostConfig({ PidsLimit: -1, MemorySwappiness: 0 }, { cgroupVersion: 1 }).PidsLimit, null);
  assert.equal(adaptHostConfig({ MemorySwappiness: 0 }, { cgroupVersion: 1 }).MemorySwappiness, 0);
  // privileged: no masked or read-only paths, and SELinux labelling off, as dockerd stores it
  const priv = adaptHostConfig({ Privileged: true }, { cgroupVersion: 1 });
  assert.deepEqual(
    [priv.MaskedPaths, priv.ReadonlyPaths, priv.SecurityOpt],
    [undefined, undefined, ['label=disable']],
  );
  assert.deepEqual(adaptHostConfig({ PidMode: 'host' }, { cgroupVersion: 1 }).SecurityOpt, ['label=disable']);
  assert.deepEqual(
    adaptHostConfig({ IpcMode: 'host', SecurityOpt: [] }, { cgroupVersion: 1 }).SecurityOpt,
    [],
  );
  // --security-opt systempaths=unconfined: the CLI sends empty lists, kept
  assert.deepEqual(
    adaptHostConfig({ MaskedPaths: [], ReadonlyPaths: [] }, { cgroupVersion: 1 }).MaskedPaths,
    [],
  );
  const v2 = adaptHostConfig(
    { Memory: 64 * MB, MemorySwap: 100 * MB, ShmSize: MB, NetworkMode: 'none' },
    { cgroupVersion: 2 },
  );
  assert.deepEqual(
    [v2.MemorySwap, v2.ShmSize, v2.CgroupnsMode, v2.NetworkMode],
    [100 * MB, MB, 'private', 'none'],
  );
  assert.equal(adaptHostConfig({ Memory: 64 * MB }, { cgroupVersion: 1, swapLimit: false }).MemorySwap, -1);
});

test('updateHostConfig: what docker update changes, as dockerd applies it', () => {
  const cur = { Memory: 64 * MB, MemorySwap: 128 * MB, NanoCpus: 1e9, RestartPolicy: { Name: 'no' } };
  // zero leaves a field alone; swap stays as it was when memory changes within it
  assert.deepEqual(updateHostConfig(cur, { Memory: 100 * MB, MemorySwap: 0, CpuShares: 0, CpusetCpus: '' }), {
    ...cur,
    Memory: 100 * MB,
  });
  const conflictOf = (current: HostConfig, update: HostConfig, message: string) =>
    assert.throws(
      () => updateHostConfig(current, update),
      (err: unknown) => err instanceof BerthError && err.kind === 'Conflict' && err.message === message,
    );
  conflictOf(
    cur,
    { Memory: 256 * MB },
    'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
  );
  // no limits yet: swap 0, so a memory limit needs a swap limit too (dockerd 20.10 to 29)
  conflictOf(
    {},
    { Memory: 64 * MB },
    'Memory limit should be smaller than already set memoryswap limit, update the memoryswap at the same time',
  );
  assert.equal(updateHostConfig({}, { Memory: 64 * MB, MemorySwap: -1 }).MemorySwap, -1);
  conflictOf(
    cur,
    { CpuQuota: 50000 },
    'Conflicting options: CPU Quota cannot be updated as NanoCPUs has already been set',
  );
  conflictOf(
    cur,
    { CpuPeriod: 50000 },
    'Conflicting options: CPU Period cannot be updated as NanoCPUs has already been set',
  );
  conflictOf(
    { CpuQuota: 50000 },
    { NanoCpus: 1e9 },
    'Conflicting options: Nano CPUs cannot be updated as CPU Quota has already been set',
  );
  // the restart policy changes only when named; an --rm container keeps "no"
  assert.deepEqual(
    updateHostConfig(cur, { RestartPolicy: { Name: '', MaximumRetryCount: 0 } }).RestartPolicy,
    {
      Name: 'no',
    },
  );
  assert.deepEqual(
    updateHostConfig(cur, { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 } }).RestartPolicy,
    {
      Name: 'on-failure',
      MaximumRetryCount: 2,
    },
  );
  conflictOf(
    { AutoRemove: true },
    { RestartPolicy: { Name: 'always' } },
    'Restart policy cannot be updated because AutoRemove is enabled for the container',
  );
  // pids: any value given counts, unlimited (0 or less) stored as 0; fields update does not take stay
  assert.equal(updateHostConfig({ PidsLimit: 50 }, { PidsLimit: -1 }).PidsLimit, 0);
  assert.equal(updateHostConfig({ PidsLimit: 50 }, { PidsLimit: null }).PidsLimit, 50);
  assert.equal(updateHostConfig({ Privileged: false }, { Privileged: true }).Privileged, false);
});

// ---- the spec: process ----------------------------------------------------------------------

test('docker run busybox echo hi --network none: the defaults', () => {
  const s = spec();
  const p = s.process!;
  assert.deepEqual(p.args, ['echo', 'hi']);
  assert.deepEqual(p.env, [
    'PATH=/usr/local/bin:/usr/bin:/bin',
    'HOSTNAME=0123456789ab',
    'LANG=C.UTF-8',
    'HOME=/root',
  ]);
  assert.equal(p.cwd, '/srv');
  assert.equal(p.terminal, false);
  assert.deepEqual(p.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(p.capabilities?.bounding, [...DOCKER_DEFAULT_CAPABILITIES]);
  assert.equal(p.noNewPrivileges, undefined);
  assert.equal(p.rlimits, undefined);
  assert.equal(s.hostname, '0123456789ab');
  assert.equal(s.root?.path, '/var/lib/berth/containers/x/rootfs');
  assert.equal(s.root?.readonly, undefined);
  assert.equal(s.linux?.cgroupsPath, `/berth/${ID}`);
  assert.deepEqual(ns(s), { mount: '', network: '', uts: '', pid: '', ipc: '' });
  assert.deepEqual(s.linux?.maskedPaths, [...DEFAULT_MASKED_PATHS]);
  assert.deepEqual(s.linux?.readonlyPaths, [...DEFAULT_READONLY_PATHS]);
  assert.ok(s.linux?.seccomp, 'the default seccomp profile');
  assert.deepEqual(s.linux?.resources?.memory, undefined);
  assert.deepEqual(
    s.mounts?.map((m) => m.destination),
    [
      '/proc',
      '/dev',
      '/dev/pts',
      '/sys',
      '/sys/fs/cgroup',
      '/dev/mqueue',
      '/dev/shm',
      '/etc/resolv.conf',
      '/etc/hostname',
      '/etc/hosts',
    ],
  );
  assert.deepEqual(mount(s, '/etc/hosts'), {
    destination: '/etc/hosts',
    type: 'bind',
    source: FACTS.hostsPath,
    options: ['rbind', 'rprivate'],
  });
});

test('env: -e first, then the image; PATH and HOSTNAME first, TERM with a tty; HOME unless set', () => {
  const s = spec({ config: { Cmd: ['x'], Env: ['LANG=en', 'FOO=1', 'PATH=/mine'], Tty: true } });
  assert.deepEqual(s.process?.env, [
    'PATH=/mine',
    'HOSTNAME=0123456789ab',
    'TERM=xterm',
    'LANG=en',
    'FOO=1',
    'HOME=/root',
  ]);
  assert.equal(s.process?.terminal, true);
  const noPath = spec({ config: { Cmd: ['x'], Env: ['HOME=/h', 'UNSET'] }, image: {} });
  assert.deepEqual(noPath.process?.env, [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOSTNAME=0123456789ab',
    'HOME=/h',
  ]);
  assert.deepEqual(
    spec({ user: { uid: 5, gid: 5 } }).process?.env?.at(-1),
    'HOME=/',
    'no home from passwd: /',
  );
});

test('working directory, hostname and domainname, console size', () => {
  const s = spec({
    config: { Cmd: ['x'], WorkingDir: '/work', Hostname: 'web', Domainname: 'example.com', Tty: true },
    hostConfig: { NetworkMode: 'none', ConsoleSize: [40, 120] },
  });
  assert.equal(s.process?.cwd, '/work');
  assert.equal(s.hostname, 'web');
  assert.equal(s.domainname, 'example.com');
  assert.ok(s.process?.env?.includes('HOSTNAME=web'));
  assert.deepEqual(s.process?.consoleSize, { height: 40, width: 120 });
  assert.equal(spec({ image: { Cmd: ['sh'] } }).process?.cwd, '/');
  assert.equal(spec(hc({ ConsoleSize: [40, 120] })).process?.consoleSize, undefined, 'only with a tty');
});

test('the user from resolveUser: gid first in additionalGids, then the groups', () => {
  const user = resolveUser('app', 'app:x:1000:1000::/home/app:/bin/sh\n', 'users:x:100:app\n', ['50']);
  const s = spec({ user });
  assert.deepEqual(s.process?.user, { uid: 1000, gid: 1000, additionalGids: [1000, 100, 50] });
  assert.equal(s.process?.env?.at(-1), 'HOME=/home/app');
});

test('--init wraps the command and binds the init binary read-only; not in a shared PID namespace', () => {
  const withInit = spec(hc({ Init: true }), { initPath: '/usr/libexec/docker-init' });
  assert.deepEqual(withInit.process?.args, [INIT_PATH_IN_CONTAINER, '--', 'echo', 'hi']);
  assert.deepEqual(mount(withInit, INIT_PATH_IN_CONTAINER), {
    destination: '/sbin/docker-init',
    type: 'bind',
    source: '/usr/libexec/docker-init',
    options: ['bind', 'ro'],
  });
  assert.deepEqual(
    spec(hc({}), { init: true, initPath: '/i' }).process?.args?.[0],
    '/sbin/docker-init',
    'daemon default',
  );
  assert.deepEqual(spec(hc({ Init: false }), { init: true, initPath: '/i' }).process?.args, ['echo', 'hi']);
  assert.deepEqual(spec(hc({ Init: true, PidMode: 'host' }), { initPath: '/i' }).process?.args, [
    'echo',
    'hi',
  ]);
  throwsKind(() => spec(hc({ Init: true })), 'Internal', /^--init: no init binary on the host/);
});

// ---- resources ------------------------------------------------------------------------------

test('memory: limit, swap (twice the limit by default, -1 unlimited), reservation, swappiness, OOM killer', () => {
  const r = (h: ContainerSpecInput['hostConfig'], f: Partial<ContainerFacts> = {}) =>
    spec(hc(h), f).linux?.resources?.memory;
  assert.deepEqual(r({ Memory: 64 * MB }), { limit: 64 * MB, swap: 128 * MB });
  assert.deepEqual(r({ Memory: 64 * MB, MemorySwap: 100 * MB }), { limit: 64 * MB, swap: 100 * MB });
  assert.deepEqual(r({ Memory: 64 * MB, MemorySwap: -1 }), { limit: 64 * MB });
  assert.deepEqual(r({ Memory: 64 * MB }, { swapLimit: false }), { limit: 64 * MB });
  assert.deepEqual(r({ MemoryReservation: 32 * MB, MemorySwappiness: 10, OomKillDisable: true }), {
    reservation: 32 * MB,
    swappiness: 10,
    disableOOMKiller: true,
  });
  assert.deepEqual(r({ MemorySwappiness: -1, OomKillDisable: false }), undefined);
  assert.equal(
    r({ MemorySwappiness: 10, OomKillDisable: true }, { cgroupVersion: 2 }),
    undefined,
    'not on cgroup v2',
  );
});

test('cpu: NanoCpus as quota over a 100ms period, shares, explicit quota/period, cpusets', () => {
  const r = (h: ContainerSpecInput['hostConfig']) => spec(hc(h)).linux?.resources?.cpu;
  assert.deepEqual(r({ NanoCpus: 1.5e9 }), { period: 100000, quota: 150000 });
  assert.deepEqual(r({ NanoCpus: 1e7 }), { period: 100000, quota: 1000 });
  assert.deepEqual(r({ CpuShares: 512, CpuPeriod: 50000, CpuQuota: 25000 }), {
    shares: 512,
    period: 50000,
    quota: 25000,
  });
  assert.deepEqual(r({ CpusetCpus: '0-1', CpusetMems: '0' }), { cpus: '0-1', mems: '0' });
  assert.deepEqual(r({ CpuShares: 0 }), undefined);
});

test('pids (0 and -1 unlimited) and blkio weight', () => {
  const r = (h: ContainerSpecInput['hostConfig']) => spec(hc(h)).linux?.resources;
  assert.deepEqual(r({ PidsLimit: 100 })?.pids, { limit: 100 });
  assert.deepEqual(r({ PidsLimit: 0 })?.pids, { limit: -1 });
  assert.deepEqual(r({ PidsLimit: -1 })?.pids, { limit: -1 });
  assert.equal(r({ PidsLimit: null })?.pids, undefined);
  assert.deepEqual(r({ BlkioWeight: 300 })?.blockIO, { weight: 300 });
  assert.equal(r({})?.blockIO, undefined);
});

test('ulimits become rlimits; the daemon defaults are overridden by name', () => {
  const s = spec(
    hc({
      Ulimits: [
        { Name: 'nofile', Soft: 1024, Hard: 4096 },
        { Name: 'core', Soft: -1, Hard: -1 },
      ],
    }),
    {
      defaultUlimits: [
        { Name: 'nofile', Soft: 65536, Hard: 65536 },
        { Name: 'nproc', Soft: 100, Hard: 200 },
      ],
    },
  );
  assert.deepEqual(s.process?.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
    { type: 'RLIMIT_NPROC', soft: 100, hard: 200 },
    { type: 'RLIMIT_CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY },
  ]);
});

test('sysctls are added over the defaults; cgroup parent and oom score', () => {
  const s = spec(
    hc({
      Sysctls: { 'net.ipv4.ip_forward': '1', 'net.ipv4.ip_unprivileged_port_start': '1024' },
      CgroupParent: '/mine/',
      OomScoreAdj: 500,
    }),
  );
  assert.deepEqual(s.linux?.sysctl, {
    'net.ipv4.ping_group_range': '0 2147483647',
    'net.ipv4.ip_unprivileged_port_start': '1024',
    'net.ipv4.ip_forward': '1',
  });
  assert.equal(s.linux?.cgroupsPath, `/mine/${ID}`);
  assert.equal(s.process?.oomScoreAdj, 500);
  assert.equal(spec({}, { cgroupsPath: '/x/y' }).linux?.cgroupsPath, '/x/y');
  assert.equal(spec({}, { cgroupParent: 'berth.slice' }).linux?.cgroupsPath, `berth.slice/${ID}`);
});

// ---- security -------------------------------------------------------------------------------

test('capabilities: add, drop, ALL, any spelling', () => {
  const caps = (h: ContainerSpecInput['hostConfig']) => spec(hc(h)).process?.capabilities?.bounding ?? [];
  const admin = caps({ CapAdd: ['sys_admin'], CapDrop: ['NET_RAW', 'cap_mknod'] });
  assert.ok(
    admin.includes('CAP_SYS_ADMIN') && !admin.includes('CAP_NET_RAW') && !admin.includes('CAP_MKNOD'),
  );
  assert.deepEqual(caps({ CapDrop: ['all'], CapAdd: ['CAP_CHOWN'] }), ['CAP_CHOWN']);
  assert.equal(caps({ CapAdd: ['ALL'] }).length, 41);
});

test('--privileged: all capabilities, no seccomp, no masked paths, host devices, writable /sys and cgroup', () => {
  const hostDevices: LinuxDevice[] = [
    { path: '/dev/sda', type: 'b', major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6 },
  ];
  const s = spec(hc({ Privileged: true, SecurityOpt: ['seccomp=unconfined'] }), { hostDevices });
  assert.equal(s.process?.capabilities?.bounding?.length, 41);
  assert.equal(s.linux?.seccomp, undefined);
  assert.equal(s.linux?.maskedPaths, undefined);
  assert.equal(s.linux?.readonlyPaths, undefined);
  assert.deepEqual(s.linux?.devices, hostDevices);
  assert.deepEqual(s.linux?.resources?.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(!mount(s, '/sys')?.options?.includes('ro'));
  assert.ok(!mount(s, '/sys/fs/cgroup')?.options?.includes('ro'));
});

test('security options: seccomp unconfined / custom profile, no-new-privileges, apparmor, writable cgroups', () => {
  assert.equal(spec(hc({ SecurityOpt: ['seccomp=unconfined'] })).linux?.seccomp, undefined);
  const custom = spec(
    hc({
      SecurityOpt: [
        `seccomp=${JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }] })}`,
      ],
    }),
  );
  assert.equal(custom.linux?.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.deepEqual(custom.linux?.seccomp?.syscalls?.[0].names, ['read', 'write']);
  assert.equal(spec(hc({ SecurityOpt: ['no-new-privileges'] })).process?.noNewPrivileges, true);
  assert.equal(
    spec(hc({ SecurityOpt: ['no-new-privileges=false'] }), { noNewPrivileges: true }).process
      ?.noNewPrivileges,
    undefined,
  );
  assert.equal(spec(hc({}), { noNewPrivileges: true }).process?.noNewPrivileges, true);
  const labels = spec(hc({ SecurityOpt: ['label=disable', 'apparmor=unconfined'] }));
  assert.equal(labels.process?.apparmorProfile, undefined, 'ignored on a host without AppArmor');
  assert.equal(
    spec(hc({ SecurityOpt: ['apparmor=mine'] }), { apparmor: true }).process?.apparmorProfile,
    'mine',
  );
  assert.equal(spec(hc({}), { apparmor: true }).process?.apparmorProfile, 'docker-default');
  assert.deepEqual(mount(spec(hc({ SecurityOpt: ['writable-cgroups=true'] })), '/sys/fs/cgroup')?.options, [
    'nosuid',
    'noexec',
    'nodev',
    'rw',
  ]);
});

test('MaskedPaths and ReadonlyPaths replace the defaults (systempaths=unconfined sends empty lists)', () => {
  const s = spec(hc({ MaskedPaths: [], ReadonlyPaths: ['/proc/sys'] }));
  assert.deepEqual(s.linux?.maskedPaths, []);
  assert.deepEqual(s.linux?.readonlyPaths, ['/proc/sys']);
});

test('--read-only: a read-only root, read-only network files, writable /dev/shm and user mounts', () => {
  const s = spec(hc({ ReadonlyRootfs: true, Binds: ['/data:/data'] }));
  assert.equal(s.root?.readonly, true);
  assert.deepEqual(mount(s, '/etc/hosts')?.options, ['rbind', 'ro', 'rprivate']);
  assert.deepEqual(mount(s, '/data')?.options, ['rbind', 'rprivate']);
  assert.ok(!mount(s, '/dev/shm')?.options?.includes('ro'));
  assert.ok(mount(s, '/sys')?.options?.includes('ro'));
});

// ---- devices --------------------------------------------------------------------------------

test('--device: the gathered nodes at their container paths, with cgroup rules; --device-cgroup-rule', () => {
  const devices: Record<string, LinuxDevice[]> = {
    '/dev/fuse': [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o666, uid: 0, gid: 0 }],
    '/dev/snd': [
      { path: '/dev/snd/pcmC0D0p', type: 'c', major: 116, minor: 16, fileMode: 0o660, uid: 0, gid: 29 },
      { path: '/dev/snd/timer', type: 'c', major: 116, minor: 33, fileMode: 0o660, uid: 0, gid: 29 },
    ],
  };
  const s = spec(
    hc({
      Devices: [
        { PathOnHost: '/dev/fuse', PathInContainer: '/dev/myfuse', CgroupPermissions: 'rw' },
        { PathOnHost: '/dev/snd', PathInContainer: '/dev/sound' },
      ],
      DeviceCgroupRules: ['c 189:* rwm'],
    }),
    { devices },
  );
  assert.deepEqual(
    s.linux?.devices?.map((d) => [d.path, d.major, d.minor, d.gid]),
    [
      ['/dev/myfuse', 10, 229, 0],
      ['/dev/sound/pcmC0D0p', 116, 16, 29],
      ['/dev/sound/timer', 116, 33, 29],
    ],
  );
  assert.deepEqual(s.linux?.resources?.devices?.slice(-4), [
    { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' },
    { allow: true, type: 'c', major: 116, minor: 16, access: 'rwm' },
    { allow: true, type: 'c', major: 116, minor: 33, access: 'rwm' },
    { allow: true, type: 'c', major: 189, access: 'rwm' },
  ]);
  assert.equal(
    spec(hc({ Devices: [{ PathOnHost: '/dev/fuse' }] }), { devices }).linux?.devices?.[0].path,
    '/dev/fuse',
  );
  throwsKind(
    () => spec(hc({ Devices: [{ PathOnHost: '/dev/nope' }] }), { devices }),
    'InvalidArgument',
    'error gathering device information while adding custom device "/dev/nope": no such file or directory',
  );
});

test('--device with --privileged: only devices mapped to another path are added', () => {
  const devices = { '/dev/fuse': [{ path: '/dev/fuse', type: 'c' as const, major: 10, minor: 229 }] };
  const s = spec(
    hc({
      Privileged: true,
      Devices: [
        { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse' },
        { PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse2' },
      ],
    }),
    { devices, hostDevices: [] },
  );
  assert.deepEqual(
    s.linux?.devices?.map((d) => d.path),
    ['/dev/fuse2'],
  );
});

// ---- namespaces -----------------------------------------------------------------------------

test('network modes: none, host, container:<id>; bridge and user networks need a prepared netns', () => {
  assert.deepEqual(ns(spec(hc({ NetworkMode: 'none' }))).network, '');
  const host = spec(hc({ NetworkMode: 'host' }), { hostHostname: 'myhost' });
  assert.equal(ns(host).network, undefined);
  assert.equal(host.hostname, 'myhost');
  assert.deepEqual(host.linux?.sysctl, {}, 'no network sysctls in the host namespace');
  const joined = spec(hc({ NetworkMode: 'container:db' }), {
    netns: { path: '/proc/42/ns/net', hostname: 'dbhost', domainname: 'example' },
  });
  assert.equal(ns(joined).network, '/proc/42/ns/net');
  assert.equal(joined.hostname, 'dbhost');
  assert.equal(joined.domainname, 'example');
  throwsKind(
    () => spec(hc({ NetworkMode: 'container:db' })),
    'Conflict',
    'cannot join network of a non running container: db',
  );
  throwsKind(
    () => spec(hc({ NetworkMode: 'default' })),
    'NotImplemented',
    'bridge networks are not supported yet: use --network none or --network host',
  );
  throwsKind(
    () => spec(hc({ NetworkMode: 'backend' })),
    'NotImplemented',
    'user-defined (backend) networks are not supported yet: use --network none or --network host',
  );
  assert.equal(
    ns(spec(hc({ NetworkMode: 'bridge' }), { netns: { path: '/run/netns/c1' } })).network,
    '/run/netns/c1',
  );
  assert.equal(
    ns(spec({ config: { Cmd: ['x'], NetworkDisabled: true }, hostConfig: { NetworkMode: 'bridge' } }))
      .network,
    '',
  );
});

test('IPC modes: private, shareable, none, host, container:<id>', () => {
  const shm = (s: Spec) => mount(s, '/dev/shm');
  assert.deepEqual(shm(spec(hc({ ShmSize: 128 * MB })))?.options, [
    'nosuid',
    'noexec',
    'nodev',
    'mode=1777',
    `size=${128 * MB}`,
  ]);
  assert.equal(shm(spec(hc({ IpcMode: 'none' }))), undefined);
  assert.equal(ns(spec(hc({ IpcMode: 'host' }))).ipc, undefined);
  assert.deepEqual(shm(spec(hc({ IpcMode: 'host' }))), {
    destination: '/dev/shm',
    type: 'bind',
    source: '/dev/shm',
    options: ['rbind', 'rprivate'],
  });
  const shareable = spec(hc({ IpcMode: 'shareable' }), { shmPath: '/var/lib/berth/containers/x/shm' });
  assert.equal(ns(shareable).ipc, '');
  assert.equal(shm(shareable)?.source, '/var/lib/berth/containers/x/shm');
  const joined = spec(hc({ IpcMode: 'container:db' }), {
    ipcns: { path: '/proc/42/ns/ipc', shmPath: '/db/shm' },
  });
  assert.equal(ns(joined).ipc, '/proc/42/ns/ipc');
  assert.equal(shm(joined)?.source, '/db/shm');
  throwsKind(
    () => spec(hc({ IpcMode: 'container:db' })),
    'Conflict',
    'cannot join IPC of a non running container: db',
  );
});

test('PID, UTS, cgroup and user namespace modes', () => {
  assert.equal(ns(spec(hc({ PidMode: 'host' }))).pid, undefined);
  assert.equal(
    ns(spec(hc({ PidMode: 'container:db' }), { pidns: { path: '/proc/42/ns/pid' } })).pid,
    '/proc/42/ns/pid',
  );
  throwsKind(
    () => spec(hc({ PidMode: 'container:db' })),
    'Conflict',
    'cannot join PID of a non running container: db',
  );
  const uts = spec(hc({ UTSMode: 'host' }));
  assert.equal(ns(uts).uts, undefined);
  assert.equal(uts.hostname, undefined);
  assert.equal(ns(spec(hc({}), { cgroupVersion: 2 })).cgroup, '');
  assert.equal(ns(spec(hc({}), { cgroupVersion: 1 })).cgroup, undefined);
  assert.equal(ns(spec(hc({ CgroupnsMode: 'private' }))).cgroup, '');
  assert.equal(ns(spec(hc({ CgroupnsMode: 'host' }), { cgroupVersion: 2 })).cgroup, undefined);
  assert.equal(ns(spec(hc({ UsernsMode: 'host' }))).user, undefined);
});

// ---- mounts ---------------------------------------------------------------------------------

test('binds, --mount and --tmpfs come after the defaults, sorted by depth; network files yield to user mounts', () => {
  const s = spec(
    hc({
      Binds: ['/srv/conf:/etc/app/conf:ro', '/srv/hosts:/etc/hosts'],
      Mounts: [
        { Type: 'bind', Source: '/srv/data', Target: '/data', BindOptions: { Propagation: 'rslave' } },
      ],
      Tmpfs: { '/run': 'size=65536k' },
    }),
  );
  const user = s.mounts?.slice(7);
  assert.deepEqual(
    user?.map((m) => [m.destination, m.type, m.source, m.options?.join(',')]),
    [
      ['/data', 'bind', '/srv/data', 'rbind,rslave'],
      ['/run', 'tmpfs', 'tmpfs', 'noexec,nosuid,nodev,rprivate,size=65536k'],
      ['/etc/hosts', 'bind', '/srv/hosts', 'rbind,rprivate'],
      ['/etc/resolv.conf', 'bind', FACTS.resolvConfPath, 'rbind,rprivate'],
      ['/etc/hostname', 'bind', FACTS.hostnamePath, 'rbind,rprivate'],
      ['/etc/app/conf', 'bind', '/srv/conf', 'rbind,ro,rprivate'],
    ],
  );
  assert.equal(s.linux?.rootfsPropagation, 'rslave');
  assert.equal(spec().linux?.rootfsPropagation, undefined);
});

test('a user mount at /dev/shm replaces the default one', () => {
  const s = spec(hc({ Tmpfs: { '/dev/shm': 'size=1g' } }));
  assert.deepEqual(
    s.mounts?.filter((m) => m.destination === '/dev/shm').map((m) => m.options),
    [['noexec', 'nosuid', 'nodev', 'rprivate', 'size=1g']],
  );
});

test('volumes are NotImplemented; mount errors surface', () => {
  throwsKind(
    () => spec(hc({ Binds: ['data:/data'] })),
    'NotImplemented',
    /^named volumes are not supported yet/,
  );
  throwsKind(
    () => spec(hc({ Mounts: [{ Type: 'volume', Source: 'v', Target: '/v' }] })),
    'NotImplemented',
    /^volume mounts/,
  );
  throwsKind(() => spec(hc({ Binds: ['/a:/x', '/b:/x'] })), 'InvalidArgument', 'Duplicate mount point: /x');
  // the image's VOLUMEs are not mounted: they stay in the root filesystem
  assert.equal(
    mount(spec({ image: { Cmd: ['sh'], Volumes: { '/var/lib/db': {} } } }), '/var/lib/db'),
    undefined,
  );
});

test('annotations pass through', () => {
  assert.deepEqual(spec(hc({ Annotations: { 'org.example.a': 'b' } })).annotations, { 'org.example.a': 'b' });
});

test('a full docker run, as a golden file (seccomp left out)', () => {
  const hostConfig: ContainerSpecInput['hostConfig'] = {
    NetworkMode: 'host',
    Memory: 256 * MB,
    NanoCpus: 5e8,
    PidsLimit: 64,
    CapDrop: ['ALL'],
    CapAdd: ['NET_BIND_SERVICE'],
    SecurityOpt: ['no-new-privileges'],
    ReadonlyRootfs: true,
    Binds: ['/srv/app:/app:ro'],
    Tmpfs: { '/tmp': 'size=64m' },
    Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 1024 }],
    Init: true,
    GroupAdd: ['50'],
  };
  const passwd = 'root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n';
  const user = resolveUser('app', passwd, 'users:x:100:app\n', hostConfig.GroupAdd ?? []);
  const s = spec(
    {
      config: {
        Image: 'app',
        Cmd: ['--port', '8080'],
        Env: ['MODE=prod'],
        Tty: true,
        OpenStdin: true,
        Hostname: 'web',
        Labels: { a: 'b' },
        StopSignal: 'SIGQUIT',
      },
      hostConfig,
      image: {
        Entrypoint: ['/usr/bin/app'],
        Cmd: ['--help'],
        Env: ['PATH=/usr/bin:/bin'],
        WorkingDir: '/app',
      },
      user,
    },
    { initPath: '/usr/bin/docker-init' },
  );
  delete s.linux?.seccomp;
  assertGolden(
    join(import.meta.dirname, 'testdata', 'container-spec.golden'),
    `${JSON.stringify(s, null, 2)}\n`,
  );
});
