// The OCI spec a container starts with: its stored (merged) Docker config turned into a spec by
// src/spec/docker/container.ts, with the host facts gathered here and the user resolved from
// the container's own /etc/passwd and /etc/group.

import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { nativeBuild } from '../../common/paths.ts';
import { hostBaseFacts } from '../../runtime/facts.ts';
import { ALL_CAPABILITIES } from '../../spec/capabilities.ts';
import {
  type ContainerFacts,
  containerSpec,
  type ResolvedUser,
  resolveUser,
} from '../../spec/docker/container.ts';
import type { Spec } from '../../spec/oci.ts';
import type { ContainerRecord } from './record.ts';

/** A file of the container's root, or undefined when it is missing. */
function readInRoot(rootfs: string, path: string): string | undefined {
  try {
    return readFileSync(join(rootfs, path), 'utf8');
  } catch {
    return undefined;
  }
}

export function resolveUserIn(rootfs: string, user: string, groupAdd: readonly string[] = []): ResolvedUser {
  return resolveUser(user, readInRoot(rootfs, 'etc/passwd'), readInRoot(rootfs, 'etc/group'), groupAdd);
}

/** `--init`'s binary (native/INIT.md); BERTH_INIT overrides it, as daemon.json `init-path` does. */
export const BERTH_INIT = process.env.BERTH_INIT ?? nativeBuild('berth-init');

export interface SpecContext {
  rootfs: string;
  /** the daemon's data root (dockerd's propagation rule for binds of it) */
  daemonRoot?: string;
  /** daemon.json `init`: --init for containers that do not say */
  init?: boolean;
  /** daemon.json `init-path` (default BERTH_INIT, when built) */
  initPath?: string;
  /** namespaces of other containers, for container:<id> modes */
  netns?: ContainerFacts['netns'];
  ipcns?: ContainerFacts['ipcns'];
  pidns?: ContainerFacts['pidns'];
}

let held: Set<string> | undefined;

/** The capabilities berthd itself holds (CapPrm): more cannot be granted, even when privileged. */
export function heldCapabilities(): Set<string> {
  if (held) return held;
  const hex = /^CapPrm:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  const mask = BigInt(`0x${hex}`);
  held = new Set(ALL_CAPABILITIES.filter((_name, bit) => (mask >> BigInt(bit)) & 1n));
  return held;
}

export function buildSpec(rec: ContainerRecord, ctx: SpecContext): Spec {
  const facts = hostBaseFacts();
  const user = resolveUserIn(ctx.rootfs, rec.Config.User ?? '', rec.HostConfig.GroupAdd ?? []);
  return containerSpec({
    id: rec.ID,
    config: rec.Config,
    hostConfig: rec.HostConfig,
    rootfs: ctx.rootfs,
    user,
    facts: {
      arch: facts.arch,
      kernel: facts.kernel,
      cgroupVersion: facts.cgroup.version === 2 ? 2 : 1,
      capLastCap: facts.capLastCap,
      heldCapabilities: [...heldCapabilities()],
      cgroupsPath: rec.CgroupsPath,
      daemonRoot: ctx.daemonRoot,
      hostnamePath: rec.HostnamePath,
      hostsPath: rec.HostsPath,
      resolvConfPath: rec.ResolvConfPath,
      hostHostname: hostname(),
      netns: ctx.netns,
      ipcns: ctx.ipcns,
      pidns: ctx.pidns,
      init: ctx.init,
      initPath: ctx.initPath ?? (existsSync(BERTH_INIT) ? BERTH_INIT : undefined),
    },
  });
}
