import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BerthError, type ErrorKind } from '../../common/errors.ts';
import type { ContainerConfig, HostConfig } from './api.ts';
import {
  type CreateFacts,
  isIP,
  parseCpuList,
  parseDeviceCgroupRule,
  parseDeviceMapping,
  parseNetworkMode,
  parseSecurityOpt,
  RLIM_INFINITY,
  ulimitsToRlimits,
  validateCreate,
  validateExtraHost,
} from './container-validate.ts';

const MB = 1024 * 1024;
const FACTS: CreateFacts = { ncpu: 2 };

function rejects(
  hc: HostConfig,
  message: string,
  config: ContainerConfig = {},
  facts: CreateFacts = FACTS,
  kind: ErrorKind = 'InvalidArgument',
) {
  assert.throws(
    () =>
      validateCreate({ Image: 'busybox', Cmd: ['true'], ...config }, { NetworkMode: 'none', ...hc }, facts),
    (err: unknown) => {
      assert.ok(err instanceof BerthError, String(err));
      assert.equal(err.message, message);
      assert.equal(err.kind, kind);
      return true;
    },
    message,
  );
}

const accepts = (hc: HostConfig, config: ContainerConfig = {}, facts: CreateFacts = FACTS) =>
  validateCreate({ Image: 'busybox', Cmd: ['true'], ...config }, { NetworkMode: 'none', ...hc }, facts);

test('a plain request passes with no warnings', () => {
  assert.deepEqual(accepts({}), []);
  assert.deepEqual(validateCreate({ Image: 'busybox' }, undefined), []);
  assert.deepEqual(validateCreate({ Image: 'busybox' }, null, { ncpu: 1 }), []);
});

test('memory limits', () => {
  rejects({ Memory: 4 * MB }, 'Minimum memory limit allowed is 6MB');
  rejects({ Memory: -5 }, 'Minimum memory limit allowed is 6MB');
  accepts({ Memory: 6 * MB });
  rejects(
    { Memory: 64 * MB, MemorySwap: 32 * MB },
    'Minimum memoryswap limit should be larger than memory limit, see usage',
  );
  accepts({ Memory: 64 * MB, MemorySwap: 64 * MB });
  accepts({ Memory: 64 * MB, MemorySwap: -1 });
  rejects(
    { MemorySwap: 64 * MB },
    'You should always set the Memory limit when using Memoryswap limit, see usage',
  );
  rejects({ MemoryReservation: MB }, 'Minimum memory reservation allowed is 6MB');
  rejects(
    { Memory: 10 * MB, MemoryReservation: 20 * MB },
    'Minimum memory limit can not be less than memory reservation limit, see usage',
  );
  rejects({ MemorySwappiness: 101 }, 'Invalid value: 101, valid memory swappiness range is 0-100');
  accepts({ MemorySwappiness: -1 });
  accepts({ MemorySwappiness: 0 });
  accepts({ MemorySwappiness: null });
});

test('warnings: OOM killer without a limit, no swap accounting, published ports on the host network', () => {
  assert.deepEqual(accepts({ OomKillDisable: true }), [
    'OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.',
  ]);
  assert.deepEqual(accepts({ OomKillDisable: true, Memory: 64 * MB }), []);
  assert.deepEqual(accepts({ Memory: 64 * MB, MemorySwap: 32 * MB }, {}, { swapLimit: false }), [
    'Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.',
  ]);
  assert.deepEqual(accepts({ NetworkMode: 'host', PortBindings: { '80/tcp': [{ HostPort: '8080' }] } }), [
    'Published ports are discarded when using host network mode',
  ]);
  assert.deepEqual(accepts({ CpuPercent: 50 }), ['linux does not support CPU percent. Percent discarded.']);
  assert.deepEqual(accepts({ OomKillDisable: true, MemorySwappiness: 500 }, {}, { cgroupVersion: 2 }), [
    'Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded.',
    'Your kernel does not support OomKillDisable. OomKillDisable discarded.',
  ]);
});

test('CPU limits', () => {
  rejects(
    { NanoCpus: 1e9, CpuPeriod: 100000 },
    'Conflicting options: Nano CPUs and CPU Period cannot both be set',
  );
  rejects(
    { NanoCpus: 1e9, CpuQuota: 50000 },
    'Conflicting options: Nano CPUs and CPU Quota cannot both be set',
  );
  rejects({ NanoCpus: 3e9 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  rejects({ NanoCpus: -1 }, 'Range of CPUs is from 0.01 to 2.00, as there are only 2 CPUs available');
  rejects(
    { NanoCpus: 9e9 },
    'Range of CPUs is from 0.01 to 8.00, as there are only 8 CPUs available',
    {},
    { ncpu: 8 },
  );
  accepts({ NanoCpus: 2e9 });
  accepts({ NanoCpus: 64e9 }, {}, {});
  rejects({ CpuShares: -1 }, 'shares: invalid argument');
  accepts({ CpuShares: 1 });
  rejects(
    { CpuPeriod: 999 },
    'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
  );
  rejects(
    { CpuPeriod: 1000001 },
    'CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)',
  );
  rejects({ CpuQuota: 999 }, 'CPU cfs quota can not be less than 1ms (i.e. 1000)');
  accepts({ CpuQuota: -1, CpuPeriod: 100000 });
});

test('cpusets', () => {
  accepts({ CpusetCpus: '0-1', CpusetMems: '0' });
  rejects({ CpusetCpus: '0-3' }, 'Requested CPUs are not available - requested 0-3, available: 0-1');
  rejects({ CpusetCpus: '1-x' }, 'Invalid value 1-x for cpuset cpus: invalid format: 1-x');
  rejects(
    { CpusetMems: '1' },
    'Requested memory nodes are not available - requested 1, available: 0',
    {},
    { mems: '0' },
  );
  accepts({ CpusetMems: '1' });
  assert.deepEqual(parseCpuList('0-2,5'), [0, 1, 2, 5]);
  assert.equal(parseCpuList('3-1'), undefined);
});

test('blkio weight, OOM score, shm size, QoS', () => {
  rejects({ BlkioWeight: 5 }, 'Range of blkio weight is from 10 to 1000');
  rejects({ BlkioWeight: 1001 }, 'Range of blkio weight is from 10 to 1000');
  accepts({ BlkioWeight: 10 });
  accepts({ BlkioWeight: 0 });
  // a host whose I/O scheduler has no weight: discarded with dockerd's warning, before the range check
  const hc: HostConfig = { NetworkMode: 'none', BlkioWeight: 5 };
  assert.deepEqual(validateCreate({ Image: 'busybox' }, hc, { ...FACTS, blkioWeight: false }), [
    'Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.',
  ]);
  assert.equal(hc.BlkioWeight, 0);
  rejects({ OomScoreAdj: 1001 }, 'Invalid value 1001, range for oom score adj is [-1000, 1000]');
  rejects({ OomScoreAdj: -1001 }, 'Invalid value -1001, range for oom score adj is [-1000, 1000]');
  rejects({ ShmSize: -1 }, 'SHM size can not be less than 0');
  rejects(
    { IOMaximumBandwidth: 10 },
    'Invalid QoS settings: linux does not support Maximum IO Bandwidth or Maximum IO IOps',
  );
});

test('restart policies and AutoRemove', () => {
  for (const Name of ['', 'no', 'always', 'unless-stopped', 'on-failure'])
    accepts({ RestartPolicy: { Name } });
  accepts({ RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } });
  accepts({ RestartPolicy: { MaximumRetryCount: 3 } });
  rejects(
    { RestartPolicy: { Name: 'bogus' } },
    "invalid restart policy: unknown policy 'bogus'; use one of 'no', 'always', 'on-failure', or 'unless-stopped'",
  );
  rejects(
    { RestartPolicy: { Name: 'always', MaximumRetryCount: 2 } },
    "invalid restart policy: maximum retry count can only be used with 'on-failure'",
  );
  rejects(
    { RestartPolicy: { Name: 'no', MaximumRetryCount: -1 } },
    "invalid restart policy: maximum retry count can only be used with 'on-failure'",
  );
  rejects(
    { RestartPolicy: { Name: 'on-failure', MaximumRetryCount: -2 } },
    'invalid restart policy: maximum retry count cannot be negative',
  );
  rejects(
    { AutoRemove: true, RestartPolicy: { Name: 'always' } },
    "can't create 'AutoRemove' container with restart policy",
  );
  accepts({ AutoRemove: true, RestartPolicy: { Name: 'no' } });
});

test('capabilities: with or without CAP_, any case, ALL; unknown ones and ones the kernel lacks', () => {
  accepts({ CapAdd: ['sys_admin', 'CAP_NET_ADMIN', 'all'], CapDrop: ['ALL', 'chown'] });
  rejects({ CapAdd: ['foo'] }, 'invalid CapAdd: unknown capability: "CAP_FOO"');
  rejects({ CapDrop: ['CAP_BAR'] }, 'invalid CapDrop: unknown capability: "CAP_BAR"');
  rejects(
    { CapAdd: ['bpf'] },
    'invalid CapAdd: capability not supported by your kernel or not available in the current environment: "CAP_BPF"',
    {},
    { capLastCap: 37 },
  );
});

test('network modes and the options they conflict with', () => {
  assert.deepEqual(parseNetworkMode(undefined), { kind: 'bridge', name: 'bridge' });
  assert.deepEqual(parseNetworkMode('default'), { kind: 'bridge', name: 'bridge' });
  assert.deepEqual(parseNetworkMode('container:abc'), { kind: 'container', name: 'abc' });
  assert.deepEqual(parseNetworkMode('mynet'), { kind: 'network', name: 'mynet' });
  const c = 'container:other';
  rejects(
    { NetworkMode: 'container:' },
    'Invalid network mode: invalid container format container:<name|id>',
  );
  rejects({ NetworkMode: c }, 'conflicting options: hostname and the network mode', { Hostname: 'h' });
  accepts({ NetworkMode: 'host' }, { Hostname: 'h' });
  rejects({ NetworkMode: c, Dns: ['1.1.1.1'] }, 'conflicting options: dns and the network mode');
  rejects(
    { NetworkMode: c, ExtraHosts: ['a:1.2.3.4'] },
    'conflicting options: custom host-to-IP mapping and the network mode',
  );
  rejects({ NetworkMode: 'host' }, 'conflicting options: mac-address and the network mode', {
    MacAddress: '02:42:ac:11:00:02',
  });
  rejects(
    { NetworkMode: c, PortBindings: { '80/tcp': [] } },
    'conflicting options: port publishing and the container type network mode',
  );
  rejects(
    { NetworkMode: c, PublishAllPorts: true },
    'conflicting options: port publishing and the container type network mode',
  );
  rejects({ NetworkMode: c }, 'conflicting options: port exposing and the container type network mode', {
    ExposedPorts: { '80/tcp': {} },
  });
  rejects(
    { NetworkMode: c, Links: ['db:db'] },
    "conflicting options: container type network can't be used with links. This would result in undefined behavior",
  );
  rejects(
    { NetworkMode: 'host', Links: ['db:db'] },
    "conflicting options: host type networking can't be used with links. This would result in undefined behavior",
  );
  rejects({ UTSMode: 'host' }, 'conflicting options: hostname and the UTS mode', { Hostname: 'h' });
});

test('bridge and user-defined networks are NotImplemented only when the caller says networks are unavailable', () => {
  const noNets = { ...FACTS, networks: false };
  rejects(
    { NetworkMode: 'default' },
    'bridge networks are not supported yet: use --network none or --network host',
    {},
    noNets,
    'NotImplemented',
  );
  rejects(
    { NetworkMode: 'mynet' },
    'user-defined (mynet) networks are not supported yet: use --network none or --network host',
    {},
    noNets,
    'NotImplemented',
  );
  accepts({ NetworkMode: 'bridge' }, { NetworkDisabled: true }, noNets);
  accepts({ NetworkMode: 'host' }, {}, noNets);
  accepts({ NetworkMode: 'bridge' });
});

test('namespace modes', () => {
  for (const IpcMode of ['', 'none', 'private', 'shareable', 'host', 'container:x']) accepts({ IpcMode });
  rejects({ IpcMode: 'bogus' }, 'invalid IPC mode: bogus');
  rejects({ IpcMode: 'container:' }, 'invalid IPC mode: container:');
  for (const PidMode of ['', 'host', 'container:x']) accepts({ PidMode });
  rejects({ PidMode: 'private' }, 'invalid PID mode: private');
  accepts({ UTSMode: 'host' });
  rejects({ UTSMode: 'private' }, 'invalid UTS mode: private');
  accepts({ UsernsMode: 'host' });
  rejects({ UsernsMode: 'private' }, 'invalid USERNS mode: private');
  for (const CgroupnsMode of ['', 'host', 'private']) accepts({ CgroupnsMode });
  rejects({ CgroupnsMode: 'shared' }, 'invalid cgroup namespace mode: shared');
  rejects({ Isolation: 'hyperv' }, "invalid isolation 'hyperv' on linux");
  accepts({ Isolation: 'default' });
});

test('Config checks: working directory, stop signal, environment, health check', () => {
  rejects({}, "the working directory 'app' is invalid, it needs to be an absolute path", {
    WorkingDir: 'app',
  });
  accepts({}, { WorkingDir: '/app' });
  rejects({}, 'Invalid signal: SIGFOO', { StopSignal: 'SIGFOO' });
  accepts({}, { StopSignal: 'SIGUSR1' });
  accepts({}, { StopSignal: '9' });
  rejects({}, 'invalid environment variable: =foo', { Env: ['A=1', '=foo'] });
  accepts({}, { Env: ['A=1', 'B', 'C='] });
  rejects({}, 'Interval in Healthcheck cannot be less than 1ms', { Healthcheck: { Interval: 1000 } });
  rejects({}, 'Timeout in Healthcheck cannot be less than 1ms', { Healthcheck: { Timeout: 1 } });
  rejects({}, 'Retries in Healthcheck cannot be negative', { Healthcheck: { Retries: -1 } });
  rejects({}, 'StartPeriod in Healthcheck cannot be less than 1ms', { Healthcheck: { StartPeriod: 5 } });
  rejects({}, 'StartInterval in Healthcheck cannot be less than 1ms', { Healthcheck: { StartInterval: 5 } });
  accepts({}, { Healthcheck: { Test: ['CMD', 'true'], Interval: 1e9, Timeout: 0, Retries: 3 } });
});

test('extra hosts and port bindings', () => {
  assert.deepEqual(validateExtraHost('db:10.0.0.2'), { name: 'db', ip: '10.0.0.2' });
  assert.deepEqual(validateExtraHost('db=10.0.0.2'), { name: 'db', ip: '10.0.0.2' });
  assert.deepEqual(validateExtraHost('v6:::1'), { name: 'v6', ip: '::1' });
  assert.deepEqual(validateExtraHost('v6=[fe80::1]'), { name: 'v6', ip: 'fe80::1' });
  assert.deepEqual(validateExtraHost('gw:host-gateway'), { name: 'gw', ip: 'host-gateway' });
  rejects({ ExtraHosts: ['nohost'] }, 'bad format for add-host: "nohost"');
  rejects({ ExtraHosts: [':1.2.3.4'] }, 'bad format for add-host: ":1.2.3.4"');
  rejects({ ExtraHosts: ['db:300.1.1.1'] }, 'invalid IP address in add-host: "300.1.1.1"');
  accepts({ NetworkMode: 'host', PortBindings: {} });
  accepts({
    NetworkMode: 'none',
    PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8000-8010' }], '53/udp': null },
  });
  rejects({ PortBindings: { 'x/tcp': [] } }, 'invalid port specification: "x"');
  rejects({ PortBindings: { '70000/tcp': [] } }, 'invalid port specification: "70000"');
  rejects({ PortBindings: { '80/tcp': [{ HostPort: 'http' }] } }, 'invalid port specification: "http"');
  for (const ip of [
    '1.2.3.4',
    '::',
    '::1',
    'fe80::1:2',
    '2001:db8::8a2e:370:7334',
    '::ffff:10.0.0.1',
    '1:2:3:4:5:6:7:8',
  ]) {
    assert.ok(isIP(ip), ip);
  }
  for (const ip of ['1.2.3', '1.2.3.4.5', '01.2.3.4x', ':::', '1::2::3', '1:2:3:4:5:6:7:8:9', 'g::1', '']) {
    assert.ok(!isIP(ip), ip);
  }
});

test('ulimits: names, soft <= hard, -1 unlimited', () => {
  assert.deepEqual(
    ulimitsToRlimits([
      { Name: 'nofile', Soft: 1024, Hard: 2048 },
      { Name: 'CORE', Soft: -1, Hard: -1 },
      { Name: 'nofile', Soft: 10, Hard: 20 },
    ]),
    [
      { type: 'RLIMIT_NOFILE', soft: 10, hard: 20 },
      { type: 'RLIMIT_CORE', soft: RLIM_INFINITY, hard: RLIM_INFINITY },
    ],
  );
  rejects({ Ulimits: [{ Name: 'bogus', Soft: 1, Hard: 1 }] }, 'invalid ulimit type: bogus');
  rejects(
    { Ulimits: [{ Name: 'nproc', Soft: 20, Hard: 10 }] },
    'ulimit soft limit must be less than or equal to hard limit: 20 > 10',
  );
  rejects(
    { Ulimits: [{ Name: 'nproc', Soft: -1, Hard: 10 }] },
    'ulimit soft limit must be less than or equal to hard limit: -1 > 10',
  );
  accepts({ Ulimits: [{ Name: 'nproc', Soft: 10, Hard: -1 }] });
});

test('sysctls: only namespaced ones, only in namespaces of the container', () => {
  accepts({ Sysctls: { 'net.ipv4.ip_forward': '1', 'kernel.shmmax': '1', 'fs.mqueue.msg_max': '10' } });
  accepts({ Sysctls: { 'kernel.domainname': 'example.com' } });
  rejects({ Sysctls: { 'kernel.pid_max': '10' } }, "sysctl 'kernel.pid_max=10' is not allowed");
  rejects({ Sysctls: { 'vm.swappiness': '1' } }, "sysctl 'vm.swappiness=1' is not allowed");
  rejects(
    { NetworkMode: 'host', Sysctls: { 'net.ipv4.ip_forward': '1' } },
    'sysctl "net.ipv4.ip_forward" not allowed in host network namespace',
  );
  rejects(
    { IpcMode: 'host', Sysctls: { 'kernel.sem': '1' } },
    'sysctl "kernel.sem" not allowed in host ipc namespace',
  );
  rejects(
    { Sysctls: { 'kernel.hostname': 'x' } },
    'sysctl "kernel.hostname" is not allowed as it conflicts with the OCI "hostname" field',
  );
  rejects(
    { UTSMode: 'host', Sysctls: { 'kernel.domainname': 'x' } },
    "sysctl 'kernel.domainname=x' is not allowed",
  );
});

test('security options', () => {
  assert.deepEqual(parseSecurityOpt([]), { labels: [] });
  assert.deepEqual(
    parseSecurityOpt([
      'no-new-privileges',
      'seccomp=unconfined',
      'apparmor=unconfined',
      'label=disable',
      'label:type:svirt_t',
    ]),
    {
      noNewPrivileges: true,
      seccomp: 'unconfined',
      apparmor: 'unconfined',
      labels: ['disable', 'type:svirt_t'],
    },
  );
  assert.equal(
    parseSecurityOpt(['no-new-privileges:true', 'no-new-privileges=false']).noNewPrivileges,
    false,
  );
  assert.equal(parseSecurityOpt(['no-new-privileges=1']).noNewPrivileges, true);
  assert.equal(parseSecurityOpt(['writable-cgroups=true']).writableCgroups, true);
  rejects({ SecurityOpt: ['bogus'] }, 'invalid --security-opt 1: "bogus"');
  rejects({ SecurityOpt: ['foo=bar'] }, 'invalid --security-opt 2: "foo=bar"');
  rejects(
    { SecurityOpt: ['no-new-privileges=maybe'] },
    'invalid --security-opt 2: "no-new-privileges=maybe"',
  );
  accepts({ SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW"}', 'seccomp=builtin'] });
  assert.throws(
    () => accepts({ SecurityOpt: ['seccomp={bad json'] }),
    /^BerthError: Decoding seccomp profile failed: /,
  );
});

test('devices and device cgroup rules', () => {
  accepts({ Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: '/dev/fuse', CgroupPermissions: 'rwm' }] });
  accepts({ Devices: [{ PathOnHost: '/dev/fuse' }] });
  rejects({ Devices: [{ PathOnHost: 'dev/fuse' }] }, 'bad format for path: dev/fuse');
  rejects({ Devices: [{ PathOnHost: '/dev/fuse', PathInContainer: 'fuse' }] }, 'bad format for path: fuse');
  rejects({ Devices: [{ PathOnHost: '/dev/fuse', CgroupPermissions: 'rwx' }] }, 'bad mode specified: rwx');
  rejects({ Devices: [{ PathOnHost: '/dev/fuse', CgroupPermissions: 'rr' }] }, 'bad mode specified: rr');
  assert.deepEqual(parseDeviceCgroupRule('c 1:3 rwm'), {
    allow: true,
    type: 'c',
    major: 1,
    minor: 3,
    access: 'rwm',
  });
  assert.deepEqual(parseDeviceCgroupRule('b *:* m'), { allow: true, type: 'b', access: 'm' });
  assert.deepEqual(parseDeviceCgroupRule('a'), { allow: true, type: 'a', access: 'rwm' });
  assert.deepEqual(parseDeviceCgroupRule('c 189:* rw'), { allow: true, type: 'c', major: 189, access: 'rw' });
  const dev = (PathOnHost: string, PathInContainer: string, CgroupPermissions: string) => ({
    PathOnHost,
    PathInContainer,
    CgroupPermissions,
  });
  assert.deepEqual(parseDeviceMapping('/dev/fuse'), dev('/dev/fuse', '/dev/fuse', 'rwm'));
  assert.deepEqual(parseDeviceMapping('/dev/fuse:rw'), dev('/dev/fuse', '/dev/fuse', 'rw'));
  assert.deepEqual(parseDeviceMapping('/dev/fuse:/dev/f'), dev('/dev/fuse', '/dev/f', 'rwm'));
  assert.deepEqual(parseDeviceMapping('/dev/fuse:/dev/f:r'), dev('/dev/fuse', '/dev/f', 'r'));
  assert.throws(
    () => parseDeviceMapping('/a:/b:r:x'),
    /^BerthError: invalid device specification: \/a:\/b:r:x$/,
  );
  assert.throws(() => parseDeviceMapping('/a:b'), /^BerthError: bad format for path: b$/);
  assert.throws(() => parseDeviceMapping('/a:/b:rwx'), /^BerthError: bad mode specified: rwx$/);
  rejects({ DeviceCgroupRules: ['c 1:3'] }, "invalid device cgroup rule format: 'c 1:3'");
  rejects({ DeviceCgroupRules: ['x 1:3 rwm'] }, "invalid device cgroup rule format: 'x 1:3 rwm'");
});

test('mounts are checked at create', () => {
  rejects(
    { Binds: ['/a:b'] },
    `invalid volume specification: '/a:b': invalid mount config for type "bind": invalid mount path: 'b' mount path must be absolute`,
  );
  rejects(
    { Mounts: [{ Type: 'bind', Target: '/x' }] },
    'invalid mount config for type "bind": field Source must not be empty',
  );
  rejects({ Binds: ['/a:/x'], Tmpfs: { '/x': '' } }, 'Duplicate mount point: /x');
  accepts({ Binds: ['/a:/x:ro'], Mounts: [{ Type: 'tmpfs', Target: '/t' }], Tmpfs: { '/run': 'size=1m' } });
});

test("what berth lacks is NotImplemented, after the request's own errors", () => {
  const ni = (hc: HostConfig, message: string, config: ContainerConfig = {}) =>
    rejects(hc, message, config, FACTS, 'NotImplemented');
  ni(
    { Binds: ['data:/data'] },
    'named volumes are not supported yet: -v data:/data (bind a host directory with an absolute path instead)',
  );
  ni(
    { Mounts: [{ Type: 'volume', Target: '/v' }] },
    'volume mounts are not supported yet: --mount type=volume,target=/v',
  );
  ni({}, 'anonymous volumes are not supported yet: -v /data', { Volumes: { '/data': {} } });
  ni({ VolumesFrom: ['other'] }, '--volumes-from is not supported yet');
  ni({ DeviceRequests: [{ Count: -1 }] }, 'device requests (--gpus) are not supported');
  ni(
    { BlkioDeviceReadBps: [{ Path: '/dev/sda', Rate: 1 }] },
    'per-device block I/O weights and limits are not supported yet',
  );
  ni({ CpuRealtimeRuntime: 1000 }, 'CPU real-time period and runtime are not supported');
  ni(
    { StorageOpt: { size: '1G' } },
    '--storage-opt is not supported: berth sets no per-container storage quota',
  );
  rejects({ Binds: ['data:/data'], Memory: 1 }, 'Minimum memory limit allowed is 6MB');
});

test('annotations may not have an empty key', () => {
  rejects(
    { Annotations: { '': 'x' } },
    'invalid Annotations: the empty string is not permitted as an annotation key',
  );
  accepts({ Annotations: { 'org.example': 'x' } });
});

test('log drivers and options, runtimes: as dockerd refuses them at create', () => {
  rejects(
    { LogConfig: { Type: 'foo', Config: {} } },
    'error looking up logging plugin foo: plugin "foo" not found',
  );
  rejects(
    { LogConfig: { Type: 'json-file', Config: { foo: '1' } } },
    "unknown log opt 'foo' for json-file log driver",
  );
  rejects(
    { LogConfig: { Type: '', Config: { 'max-sise': '1m' } } },
    "unknown log opt 'max-sise' for json-file log driver",
  );
  accepts({ LogConfig: { Type: '', Config: { 'max-size': '1m', 'max-file': '2', tag: 'x' } } });
  accepts({ LogConfig: { Type: 'none', Config: {} } });
  const runtimes = { ...FACTS, runtimes: ['berth', 'runc'] };
  rejects({ Runtime: 'foo' }, 'unknown or invalid runtime name: foo', {}, runtimes);
  accepts({ Runtime: 'runc' }, {}, runtimes);
  accepts({ Runtime: '' }, {}, runtimes);
});
