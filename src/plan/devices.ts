// /dev inside the container: the nodes runc always makes (null, zero, full, random, urandom,
// tty), those linux.devices asks for, and the standard symlinks. In a user namespace mknod is
// not allowed, so the host's nodes are bind-mounted instead.

import { posix } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import { DEV_SYMLINKS, OCI_DEFAULT_DEVICES } from '../spec/docker/defaults.ts';
import type { LinuxDevice, LinuxDeviceCgroup, Mount } from '../spec/oci.ts';
import type { ChildStep } from './types.ts';

/** Device cgroup rules every container gets after its own, as runc adds them. */
export const DEFAULT_DEVICE_RULES: LinuxDeviceCgroup[] = [
  { allow: true, type: 'c', access: 'm' },
  { allow: true, type: 'b', access: 'm' },
  ...OCI_DEFAULT_DEVICES.map(
    (d): LinuxDeviceCgroup => ({ allow: true, type: 'c', major: d.major, minor: d.minor, access: 'rwm' }),
  ),
  { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
  { allow: true, type: 'c', major: 136, access: 'rwm' },
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' },
];

/** /dev needs populating unless it is bind-mounted from somewhere. */
export function needsDevSetup(mounts: readonly Mount[]): boolean {
  return !mounts.some(
    (m) =>
      posix.normalize(m.destination) === '/dev' &&
      (m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind')),
  );
}

export function deviceSteps(
  devices: readonly LinuxDevice[],
  ctx: { rootfs: string; userns: boolean; mounts: readonly Mount[] },
): ChildStep[] {
  const byPath = new Map<string, LinuxDevice>();
  for (const d of [...OCI_DEFAULT_DEVICES, ...devices]) byPath.set(posix.normalize(d.path), d);
  const root = ctx.rootfs;
  const steps: ChildStep[] = [];
  for (const [path, d] of byPath) {
    if (!path.startsWith('/dev/')) throw invalidArgument(`linux.devices: ${d.path} is not under /dev`);
    if (ctx.userns) {
      steps.push({
        op: 'mount',
        root,
        dest: path,
        source: path,
        type: '',
        flags: ['bind'],
        data: '',
        mkdir: 'file',
      });
      continue;
    }
    const kind = d.type === 'u' ? 'c' : d.type;
    if (kind !== 'p' && (d.major === undefined || d.minor === undefined)) {
      throw invalidArgument(`linux.devices: ${d.path} needs major and minor numbers`);
    }
    steps.push({
      op: 'mknod',
      root,
      dest: path,
      kind,
      mode: ((d.fileMode ?? 0o666) & 0o7777).toString(8),
      major: d.major ?? 0,
      minor: d.minor ?? 0,
      uid: d.uid ?? 0,
      gid: d.gid ?? 0,
    });
  }
  // /dev/ptmx only with a devpts of the container's own; /dev/core is not made (as runc, only
  // where /proc/kcore exists, which the planner cannot see)
  const devpts = ctx.mounts.some((m) => posix.normalize(m.destination) === '/dev/pts');
  for (const [target, dest] of DEV_SYMLINKS) {
    if (dest === '/dev/core' || (dest === '/dev/ptmx' && !devpts)) continue;
    steps.push({ op: 'symlink', root, dest, target });
  }
  return steps;
}
