// `berth-runtime features`: what this runtime supports, in the runtime-spec features format.

import { ALL_CAPABILITIES } from '../../spec/capabilities.ts';
import {
  NAMESPACE_TYPES,
  SECCOMP_ACTIONS,
  SECCOMP_ARCHES,
  SECCOMP_FLAGS,
  SECCOMP_OPERATORS,
} from '../../spec/oci.ts';
import { detectCgroupLayout } from '../cgroups/detect.ts';

export function features() {
  const layout = detectCgroupLayout();
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.2.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [
      'async',
      'atime',
      'bind',
      'defaults',
      'dev',
      'diratime',
      'dirsync',
      'exec',
      'lazytime',
      'loud',
      'mand',
      'noatime',
      'nodev',
      'nodiratime',
      'noexec',
      'nolazytime',
      'nomand',
      'norelatime',
      'nostrictatime',
      'nosuid',
      'private',
      'rbind',
      'relatime',
      'ro',
      'rprivate',
      'rshared',
      'rslave',
      'runbindable',
      'rw',
      'shared',
      'silent',
      'slave',
      'strictatime',
      'suid',
      'sync',
      'unbindable',
    ],
    linux: {
      namespaces: NAMESPACE_TYPES.filter((n) => n !== 'time'),
      capabilities: ALL_CAPABILITIES,
      cgroup: {
        v1: layout.version === 1,
        v2: layout.version === 2,
        systemd: false,
        systemdUser: false,
        rdma: false,
      },
      seccomp: {
        enabled: true,
        actions: SECCOMP_ACTIONS.filter((a) => a !== 'SCMP_ACT_NOTIFY'),
        operators: SECCOMP_OPERATORS,
        archs: SECCOMP_ARCHES,
        knownFlags: SECCOMP_FLAGS,
        supportedFlags: [
          'SECCOMP_FILTER_FLAG_TSYNC',
          'SECCOMP_FILTER_FLAG_LOG',
          'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
        ],
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
      intelRdt: { enabled: false },
    },
    annotations: { 'org.opencontainers.runc.checkpoint.enabled': 'false' },
  };
}
