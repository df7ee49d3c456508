// spec.mounts -> mount steps performed inside the rootfs before pivot_root. cgroup mounts are
// expanded for the host's layout; bind mounts get a separate remount for ro/nosuid/…;
// propagation options are applied after pivot_root, on paths inside the container.

import { posix } from 'node:path';
import { invalidArgument } from '../common/errors.ts';
import type { Mount } from '../spec/oci.ts';
import { cgroupDirs } from './cgroups.ts';
import type { HostFacts } from './facts.ts';
import { parseMountOptions } from './mount-options.ts';
import type { ChildStep } from './types.ts';

export interface MountContext {
  rootfs: string;
  facts: HostFacts;
  cgroupsPath: string;
  sources: Record<string, 'dir' | 'file'>;
  userns: boolean;
}

function where(i: number, m: Mount): string {
  return `mounts[${i}] (${m.destination})`;
}

export function mountSteps(mounts: readonly Mount[], ctx: MountContext): ChildStep[] {
  return mounts.flatMap((m, i) => mountStep(m, i, ctx));
}

function mountStep(m: Mount, i: number, ctx: MountContext): ChildStep[] {
  const at = where(i, m);
  if (!m.destination.startsWith('/')) throw invalidArgument(`${at}: destination must be an absolute path`);
  const o = parseMountOptions(m.options, at);
  const type = m.type ?? '';
  if (type === 'cgroup' || type === 'cgroup2') return cgroupMount(m, ctx);
  const root = ctx.rootfs;
  const dest = posix.normalize(m.destination);
  if (o.bind || type === 'bind') {
    const source = m.source ?? '';
    if (!source.startsWith('/')) throw invalidArgument(`${at}: a bind mount needs an absolute source path`);
    const kind = ctx.sources[source];
    if (!kind) throw invalidArgument(`${at}: bind source "${source}" does not exist`);
    const steps: ChildStep[] = [
      {
        op: 'mount',
        root,
        dest,
        source,
        type: '',
        flags: o.recursive ? ['bind', 'rec'] : ['bind'],
        data: o.data.join(','),
        mkdir: kind,
      },
    ];
    if (o.flags.length > 0) steps.push({ op: 'remount', root, dest, flags: ['bind', ...o.flags] });
    return steps;
  }
  if (type === '') throw invalidArgument(`${at}: type is required unless the mount is a bind mount`);
  const known = ctx.facts.filesystems;
  if (known && !known.includes(type)) {
    throw invalidArgument(`${at}: unknown file system type "${type}"`);
  }
  return [
    {
      op: 'mount',
      root,
      dest,
      source: m.source ?? type,
      type,
      flags: o.flags,
      data: o.data.join(','),
      mkdir: 'dir',
    },
  ];
}

/** cgroup v1: a tmpfs with one bind of the container's directory per hierarchy; v2: cgroup2. */
function cgroupMount(m: Mount, ctx: MountContext): ChildStep[] {
  const root = ctx.rootfs;
  const dest = posix.normalize(m.destination);
  const o = parseMountOptions(m.options, `mount ${m.destination}`);
  const layout = ctx.facts.cgroup;
  if (layout.version === 2) {
    return [
      { op: 'mount', root, dest, source: 'cgroup', type: 'cgroup2', flags: o.flags, data: '', mkdir: 'dir' },
    ];
  }
  const ro = o.flags.includes('ro');
  const base = o.flags.filter((f) => f !== 'ro');
  const steps: ChildStep[] = [
    { op: 'mount', root, dest, source: 'tmpfs', type: 'tmpfs', flags: base, data: 'mode=755', mkdir: 'dir' },
  ];
  const dirs = cgroupDirs(layout, ctx.cgroupsPath);
  const mountPoints = [...new Set(Object.values(layout.mounts))];
  for (const [j, mountPoint] of mountPoints.entries()) {
    const name = posix.basename(mountPoint);
    const target = posix.join(dest, name);
    steps.push({
      op: 'mount',
      root,
      dest: target,
      source: dirs[j],
      type: '',
      flags: ['bind'],
      data: '',
      mkdir: 'dir',
    });
    if (name.includes(',')) {
      for (const part of name.split(',')) {
        steps.push({ op: 'symlink', root, dest: posix.join(dest, part), target: name });
      }
    }
  }
  // one mount_setattr for the tmpfs and every bind below it, instead of a remount each
  const attrs = base.filter((f) => f === 'nosuid' || f === 'nodev' || f === 'noexec');
  if (ro || attrs.length > 0) {
    steps.push({ op: 'setattr', root, dest, flags: [...attrs, ...(ro ? ['ro'] : []), 'rec'] });
  }
  return steps;
}

/** Propagation options of spec mounts, applied after pivot_root. */
export function propagationSteps(mounts: readonly Mount[]): ChildStep[] {
  return mounts.flatMap((m, i) =>
    parseMountOptions(m.options, where(i, m)).propagation.map(
      (mode): ChildStep => ({ op: 'propagate', path: posix.normalize(m.destination), mode }),
    ),
  );
}
