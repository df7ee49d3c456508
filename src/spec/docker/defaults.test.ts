import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError } from '../../common/errors.ts';
import { ALL_CAPABILITIES, capMask } from '../capabilities.ts';
import type { Mount, Spec } from '../oci.ts';
import { validateSpec } from '../oci.ts';
import {
  DEFAULT_MASKED_PATHS,
  DEFAULT_READONLY_PATHS,
  DOCKER_DEFAULT_CAPABILITIES,
  type DockerSpecOptions,
  defaultMounts,
  dockerEnv,
  dockerSpec,
  runtimeDefaultDeviceRules,
  tweakCapabilities,
} from './defaults.ts';

function opts(over: Partial<DockerSpecOptions> = {}): DockerSpecOptions {
  return {
    rootfs: '/var/lib/berth/containers/abc/rootfs',
    args: ['sh', '-c', 'echo hi'],
    env: ['PATH=/usr/bin:/bin', 'FOO=bar'],
    hostname: 'abc123',
    arch: 'amd64',
    kernel: { major: 5, minor: 10 },
    cgroupsPath: '/docker/abc',
    ...over,
  };
}

const mount = (s: Spec, dest: string): Mount | undefined => s.mounts?.find((m) => m.destination === dest);

test("Docker's default capability set is the 14 capabilities, mask a80425fb", () => {
  assert.equal(DOCKER_DEFAULT_CAPABILITIES.length, 14);
  assert.equal(capMask(DOCKER_DEFAULT_CAPABILITIES, 40), 'a80425fb');
  assert.deepEqual(tweakCapabilities({}), DOCKER_DEFAULT_CAPABILITIES);
});

test('tweakCapabilities follows --cap-add / --cap-drop / --privileged', () => {
  const withAdmin = tweakCapabilities({ capAdd: ['sys_admin'], capDrop: ['NET_RAW', 'cap_mknod'] });
  assert.ok(withAdmin.includes('CAP_SYS_ADMIN'));
  assert.ok(!withAdmin.includes('CAP_NET_RAW') && !withAdmin.includes('CAP_MKNOD'));
  assert.equal(withAdmin.length, 13);
  assert.deepEqual(tweakCapabilities({ capDrop: ['ALL'], capAdd: ['chown', 'kill'] }), [
    'CAP_CHOWN',
    'CAP_KILL',
  ]);
  const allButOne = tweakCapabilities({ capAdd: ['all'], capDrop: ['SYS_ADMIN'] });
  assert.equal(allButOne.length, 40);
  assert.ok(!allButOne.includes('CAP_SYS_ADMIN'));
  assert.deepEqual(tweakCapabilities({ privileged: true }), [...ALL_CAPABILITIES]);
  assert.equal(tweakCapabilities({ privileged: true }, 37).length, 38);
  assert.deepEqual(tweakCapabilities({ capAdd: ['CHOWN'] }), DOCKER_DEFAULT_CAPABILITIES, 'no duplicates');
  assert.throws(() => tweakCapabilities({ capAdd: ['FOO'] }), /unknown capability: "CAP_FOO"/);
  assert.throws(() => tweakCapabilities({ capAdd: ['BPF'] }, 37), /unknown capability: "CAP_BPF"/);
});

test('dockerEnv puts PATH, HOSTNAME and TERM first, then replaces, appends and unsets', () => {
  assert.deepEqual(dockerEnv(['FOO=1'], { hostname: 'h' }), [
    'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    'HOSTNAME=h',
    'FOO=1',
  ]);
  assert.deepEqual(dockerEnv(['PATH=/bin', 'A=1', 'A=2', 'HOSTNAME'], { hostname: 'h', terminal: true }), [
    'PATH=/bin',
    'TERM=xterm',
    'A=2',
  ]);
});

test('the default spec for `docker run IMAGE CMD` is valid and looks like dockerd', () => {
  const s = dockerSpec(opts());
  assert.equal(validateSpec(JSON.parse(JSON.stringify(s))).ociVersion, s.ociVersion);
  assert.deepEqual(s.process?.args, ['sh', '-c', 'echo hi']);
  assert.deepEqual(s.process?.env, ['PATH=/usr/bin:/bin', 'HOSTNAME=abc123', 'FOO=bar']);
  assert.equal(s.process?.cwd, '/');
  assert.equal(s.process?.terminal, false);
  assert.deepEqual(s.process?.user, { uid: 0, gid: 0, additionalGids: [0] });
  assert.deepEqual(s.process?.capabilities?.bounding, DOCKER_DEFAULT_CAPABILITIES);
  assert.deepEqual(s.process?.capabilities?.effective, DOCKER_DEFAULT_CAPABILITIES);
  assert.equal(s.process?.capabilities?.inheritable, undefined);
  assert.equal(s.process?.oomScoreAdj, 0);
  assert.equal(s.process?.noNewPrivileges, undefined);
  assert.deepEqual(s.root, { path: '/var/lib/berth/containers/abc/rootfs' });
  assert.equal(s.hostname, 'abc123');
  assert.deepEqual(
    s.linux?.namespaces?.map((n) => n.type),
    ['mount', 'network', 'uts', 'pid', 'ipc'],
  );
  assert.equal(s.linux?.cgroupsPath, '/docker/abc');
  assert.deepEqual(s.linux?.maskedPaths, DEFAULT_MASKED_PATHS);
  assert.ok(s.linux?.maskedPaths?.includes('/sys/devices/virtual/powercap'));
  assert.deepEqual(s.linux?.readonlyPaths, DEFAULT_READONLY_PATHS);
  assert.deepEqual(s.linux?.devices, []);
  assert.deepEqual(s.linux?.resources?.devices?.[0], { allow: false, access: 'rwm' });
  assert.deepEqual(s.linux?.resources?.devices?.at(-1), {
    allow: false,
    type: 'c',
    major: 10,
    minor: 229,
    access: 'rwm',
  });
  assert.deepEqual(s.linux?.sysctl, {
    'net.ipv4.ping_group_range': '0 2147483647',
    'net.ipv4.ip_unprivileged_port_start': '0',
  });
  assert.equal(s.linux?.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.ok(s.linux?.seccomp?.syscalls?.some((r) => r.names.includes('arch_prctl')));
});

test('default mounts: /dev/pts options, /sys and cgroup read-only, /dev/shm sized 64m', () => {
  const s = dockerSpec(opts());
  assert.deepEqual(
    s.mounts?.map((m) => m.destination),
    ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm'],
  );
  assert.deepEqual(mount(s, '/dev/pts')?.options, [
    'nosuid',
    'noexec',
    'newinstance',
    'ptmxmode=0666',
    'mode=0620',
    'gid=5',
  ]);
  assert.ok(mount(s, '/sys')?.options?.includes('ro'));
  assert.ok(mount(s, '/sys/fs/cgroup')?.options?.includes('ro'));
  assert.deepEqual(mount(s, '/dev/shm'), {
    destination: '/dev/shm',
    type: 'tmpfs',
    source: 'shm',
    options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=67108864'],
  });
  assert.equal(
    dockerSpec(opts({ shmSize: 1024 }))
      .mounts?.at(-1)
      ?.options?.at(-1),
    'size=1024',
  );
  // defaultMounts hands out copies
  defaultMounts()[0].options?.push('x');
  assert.ok(!defaultMounts()[0].options?.includes('x'));
});

test('privileged differs as Docker does', () => {
  const p = dockerSpec(
    opts({ privileged: true, hostDevices: [{ path: '/dev/sda', type: 'b', major: 8, minor: 0 }] }),
  );
  assert.deepEqual(p.process?.capabilities?.bounding, [...ALL_CAPABILITIES]);
  assert.equal(p.linux?.seccomp, undefined);
  assert.equal(p.linux?.maskedPaths, undefined);
  assert.equal(p.linux?.readonlyPaths, undefined);
  assert.deepEqual(p.linux?.resources?.devices, [{ allow: true, access: 'rwm' }]);
  assert.deepEqual(p.linux?.devices, [{ path: '/dev/sda', type: 'b', major: 8, minor: 0 }]);
  assert.ok(!mount(p, '/sys')?.options?.includes('ro'));
  assert.ok(!mount(p, '/sys/fs/cgroup')?.options?.includes('ro'));
  // The same namespaces as an unprivileged container.
  assert.deepEqual(p.linux?.namespaces, dockerSpec(opts()).linux?.namespaces);
  // Privileged overrides a custom seccomp profile too.
  assert.equal(
    dockerSpec(opts({ privileged: true, seccomp: { profile: '{"defaultAction":"SCMP_ACT_KILL"}' } })).linux
      ?.seccomp,
    undefined,
  );
});

test('capabilities reach the seccomp filter: --cap-add SYS_ADMIN allows mount', () => {
  const allows = (s: Spec, name: string) =>
    s.linux?.seccomp?.syscalls?.some(
      (r) => r.names.includes(name) && r.action === 'SCMP_ACT_ALLOW' && !r.args,
    );
  assert.ok(!allows(dockerSpec(opts()), 'mount'));
  const admin = dockerSpec(opts({ capAdd: ['SYS_ADMIN'] }));
  assert.ok(allows(admin, 'mount'));
  assert.ok(admin.process?.capabilities?.bounding?.includes('CAP_SYS_ADMIN'));
});

test('seccomp: unconfined leaves it out, a custom profile is resolved, a bad one refused', () => {
  assert.equal(dockerSpec(opts({ seccomp: 'unconfined' })).linux?.seccomp, undefined);
  const custom = dockerSpec(
    opts({
      seccomp: {
        profile: {
          defaultAction: 'SCMP_ACT_ALLOW',
          syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
        },
      },
    }),
  );
  assert.deepEqual(custom.linux?.seccomp, {
    defaultAction: 'SCMP_ACT_ALLOW',
    syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }],
  });
  assert.throws(
    () => dockerSpec(opts({ seccomp: { profile: { defaultAction: 'SCMP_ACT_BOGUS' } } })),
    (e: unknown) => e instanceof BerthError && e.kind === 'InvalidArgument',
  );
});

test('host namespaces: no namespace, no hostname for uts=host, no net sysctls for net=host', () => {
  const s = dockerSpec(opts({ namespaces: { pid: 'host', network: 'host', ipc: 'host', uts: 'host' } }));
  assert.deepEqual(
    s.linux?.namespaces?.map((n) => n.type),
    ['mount'],
  );
  assert.equal(s.hostname, undefined);
  assert.deepEqual(s.linux?.sysctl, {});
  assert.deepEqual(mount(s, '/dev/shm'), {
    destination: '/dev/shm',
    type: 'bind',
    source: '/dev/shm',
    options: ['rbind', 'rprivate'],
  });
});

test('joining another container, ipc none, cgroup namespace, user namespace', () => {
  const s = dockerSpec(
    opts({
      namespaces: { network: { path: '/proc/42/ns/net' }, ipc: 'none', cgroup: 'private' },
    }),
  );
  assert.deepEqual(s.linux?.namespaces?.[1], { type: 'network', path: '/proc/42/ns/net' });
  assert.ok(s.linux?.namespaces?.some((n) => n.type === 'cgroup'));
  assert.equal(mount(s, '/dev/shm'), undefined);
  assert.deepEqual(s.linux?.sysctl, {});

  assert.ok(dockerSpec(opts({ cgroupVersion: 2 })).linux?.namespaces?.some((n) => n.type === 'cgroup'));
  assert.ok(!dockerSpec(opts({ cgroupVersion: 1 })).linux?.namespaces?.some((n) => n.type === 'cgroup'));

  const map = [{ containerID: 0, hostID: 100000, size: 65536 }];
  const u = dockerSpec(opts({ namespaces: { user: { uidMappings: map, gidMappings: map } } }));
  assert.ok(u.linux?.namespaces?.some((n) => n.type === 'user'));
  assert.deepEqual(u.linux?.uidMappings, map);
  assert.equal(u.linux?.sysctl?.['net.ipv4.ping_group_range'], undefined);
  assert.ok(!mount(u, '/sys/fs/cgroup')?.options?.includes('ro'));
});

test('user mounts override defaults by destination and come after them, shallow first', () => {
  const s = dockerSpec(
    opts({
      mounts: [
        { destination: '/data/sub', type: 'bind', source: '/srv/b', options: ['rbind'] },
        { destination: '/data', type: 'bind', source: '/srv/a', options: ['rbind'] },
        { destination: '/dev/shm', type: 'tmpfs', source: 'tmpfs', options: ['size=1g'] },
      ],
    }),
  );
  assert.deepEqual(
    s.mounts?.map((m) => m.destination),
    ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/data', '/data/sub', '/dev/shm'],
  );
  assert.deepEqual(mount(s, '/dev/shm')?.options, ['size=1g']);
  const dev = dockerSpec(
    opts({ mounts: [{ destination: '/dev', type: 'bind', source: '/dev', options: ['rbind'] }] }),
  );
  assert.deepEqual(
    dev.mounts?.map((m) => m.destination),
    ['/proc', '/sys', '/sys/fs/cgroup', '/dev'],
  );
});

test('user, tty, workdir, read-only root, no-new-privileges, rlimits, apparmor', () => {
  const s = dockerSpec(
    opts({
      user: { uid: 1000, gid: 1000, additionalGids: [27] },
      terminal: true,
      cwd: '/work',
      readonlyRootfs: true,
      noNewPrivileges: true,
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }],
      apparmor: true,
      thermalThrottleCpus: [0, 1],
    }),
  );
  assert.deepEqual(s.process?.user, { uid: 1000, gid: 1000, additionalGids: [1000, 27] });
  assert.ok(s.process?.env?.includes('TERM=xterm'));
  assert.equal(s.process?.terminal, true);
  assert.equal(s.process?.cwd, '/work');
  assert.deepEqual(s.root, { path: '/var/lib/berth/containers/abc/rootfs', readonly: true });
  assert.equal(s.process?.noNewPrivileges, true);
  assert.deepEqual(s.process?.rlimits, [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 }]);
  assert.equal(s.process?.apparmorProfile, 'docker-default');
  assert.equal(dockerSpec(opts({ apparmor: true, privileged: true })).process?.apparmorProfile, 'unconfined');
  assert.deepEqual(s.linux?.maskedPaths?.slice(-2), [
    '/sys/devices/system/cpu/cpu0/thermal_throttle',
    '/sys/devices/system/cpu/cpu1/thermal_throttle',
  ]);
  assert.ok(!mount(s, '/proc')?.options?.includes('ro'));
  assert.ok(mount(s, '/sys')?.options?.includes('ro'));
});

test('resources pass through and device rules are appended', () => {
  const s = dockerSpec(
    opts({
      resources: { memory: { limit: 64 << 20 }, pids: { limit: 100 } },
      devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }],
      deviceCgroupRules: [{ allow: true, type: 'c', major: 10, minor: 229, access: 'rwm' }],
    }),
  );
  assert.equal(s.linux?.resources?.memory?.limit, 64 << 20);
  assert.equal(s.linux?.resources?.pids?.limit, 100);
  assert.equal(s.linux?.resources?.devices?.length, 9);
  assert.deepEqual(s.linux?.devices, [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }]);
});

test('kernels before 4.11 get no ip_unprivileged_port_start; no command is refused', () => {
  assert.equal(
    dockerSpec(opts({ kernel: { major: 4, minor: 9 } })).linux?.sysctl?.[
      'net.ipv4.ip_unprivileged_port_start'
    ],
    undefined,
  );
  assert.throws(() => dockerSpec(opts({ args: [] })), /no command specified/);
});

test("runc's implicit device rules include pts, ptmx and tun", () => {
  const rules = runtimeDefaultDeviceRules();
  assert.ok(rules.some((r) => r.type === 'c' && r.major === 136 && r.minor === undefined));
  assert.ok(rules.some((r) => r.major === 5 && r.minor === 2));
  assert.ok(rules.some((r) => r.major === 10 && r.minor === 200));
  assert.deepEqual(rules[0], { allow: true, type: 'c', access: 'm' });
});

test('privileged and --cap-add ALL mean the capabilities the engine holds', () => {
  const held = ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN'];
  assert.deepEqual(tweakCapabilities({ privileged: true, heldCapabilities: held }), held);
  assert.deepEqual(tweakCapabilities({ capAdd: ['ALL'], capDrop: ['KILL'], heldCapabilities: held }), [
    'CAP_CHOWN',
    'CAP_SYS_ADMIN',
  ]);
});
