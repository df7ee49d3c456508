// The config.json `berth-runtime spec` writes: the same defaults as `runc spec` (a busybox-
// friendly shell with a terminal, three capabilities, a read-only rootfs, private namespaces),
// or the rootless variant with a user namespace mapping root to the caller.

import { OCI_VERSION, type Spec } from './oci.ts';

const CAPS = ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'];

export const MASKED_PATHS = [
  '/proc/acpi',
  '/proc/asound',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/sys/firmware',
  '/proc/scsi',
];
export const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

export function runtimeDefaultSpec(opts: { rootless?: { uid: number; gid: number } } = {}): Spec {
  const rootless = opts.rootless;
  const spec: Spec = {
    ociVersion: OCI_VERSION,
    process: {
      terminal: true,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: [...CAPS], effective: [...CAPS], permitted: [...CAPS], ambient: [...CAPS] },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'berth',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      {
        destination: '/dev',
        type: 'tmpfs',
        source: 'tmpfs',
        options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'],
      },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: [
          'nosuid',
          'noexec',
          'newinstance',
          'ptmxmode=0666',
          'mode=0620',
          ...(rootless ? [] : ['gid=5']),
        ],
      },
      {
        destination: '/dev/shm',
        type: 'tmpfs',
        source: 'shm',
        options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'],
      },
      {
        destination: '/dev/mqueue',
        type: 'mqueue',
        source: 'mqueue',
        options: ['nosuid', 'noexec', 'nodev'],
      },
      rootless
        ? {
            destination: '/sys',
            type: 'none',
            source: '/sys',
            options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'],
          }
        : {
            destination: '/sys',
            type: 'sysfs',
            source: 'sysfs',
            options: ['nosuid', 'noexec', 'nodev', 'ro'],
          },
      {
        destination: '/sys/fs/cgroup',
        type: 'cgroup',
        source: 'cgroup',
        options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'],
      },
    ],
    linux: {
      ...(rootless
        ? {
            uidMappings: [{ containerID: 0, hostID: rootless.uid, size: 1 }],
            gidMappings: [{ containerID: 0, hostID: rootless.gid, size: 1 }],
          }
        : { resources: { devices: [{ allow: false, access: 'rwm' }] } }),
      namespaces: [
        { type: 'pid' },
        ...(rootless ? [] : [{ type: 'network' as const }]),
        { type: 'ipc' },
        { type: 'uts' },
        { type: 'mount' },
        ...(rootless ? [{ type: 'user' as const }] : []),
      ],
      maskedPaths: [...MASKED_PATHS],
      readonlyPaths: [...READONLY_PATHS],
    },
  };
  return spec;
}
