// What a crash of berthd can leave of a container's networking once its record is gone (berthd
// died between forgetting the container and detaching it): its network namespace under the exec
// root and the host ends of its veth pairs on the networks' bridges. Decided here as data, from
// what is on the host and the containers berthd knows; Networks.sweep() removes what this names.

import { createHash } from 'node:crypto';

/** The host end of a container's veth on a network: stable, so any later berthd can remove it. */
export function hostInterface(containerId: string, networkId: string): string {
  return `veth${createHash('sha256').update(`${containerId}/${networkId}`).digest('hex').slice(0, 7)}`;
}

const HOST_END = /^veth[0-9a-f]{7}$/;

export interface HostNetworking {
  /** the file names in the exec root's netns directory (each a container ID) */
  netns: string[];
  /** per network of this data root with a bridge on the host: its ID and the ports of its bridge */
  bridges: { networkId: string; ports: string[] }[];
}

/**
 * The namespaces and host veths of no container in `known` (the IDs of every container of this
 * data root, running or not). A known container's are never named, whatever its state or the
 * bridge its veth is on: its adoption or its next start settles them. Only berth's own names are considered: namespace
 * files named by a container ID, `veth` and 7 hex digits on the bridges of this data root's
 * networks; a port of another name on such a bridge is someone else's.
 */
export function strays(
  host: HostNetworking,
  known: ReadonlySet<string>,
): { netns: string[]; links: string[] } {
  const netns = host.netns.filter((f) => /^[0-9a-f]{64}$/.test(f) && !known.has(f));
  const candidates = host.bridges.flatMap((b) => b.ports.filter((p) => HOST_END.test(p)));
  if (!candidates.length) return { netns, links: [] };
  // the names of every known container's veths on any of these networks (worked out only when
  // there is a veth to judge)
  const theirs = new Set<string>();
  for (const id of known) for (const b of host.bridges) theirs.add(hostInterface(id, b.networkId));
  return { netns, links: candidates.filter((p) => !theirs.has(p)) };
}
