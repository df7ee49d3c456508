// The kernel side of bridge networks: bridges, network namespaces, veth pairs, addresses and
// routes through iproute2 (`ip -batch`, one process per namespace touched), and nftables
// scripts through `nft -f`. Every call names what failed and why.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { internal } from '../common/errors.ts';
import { unmount } from '../storage/mount.ts';
import { fsops } from '../storage/native.ts';
import { type Prefix, parsePrefix } from './ipam.ts';
import { BRIDGE_GROUP } from './nft.ts';

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) {
        const why = stderr.trim() || err.message;
        reject(internal(`${cmd} ${args.join(' ')}: ${why}`));
      } else resolve(stdout);
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs iproute2 commands, one per line, in the host's namespace. */
function ipBatch(lines: string[]): Promise<string> {
  return run('ip', ['-batch', '-'], `${lines.join('\n')}\n`);
}

export function nft(script: string): Promise<string> {
  return run('nft', ['-f', '-'], script);
}

export function linkExists(name: string): boolean {
  return existsSync(`/sys/class/net/${name}`);
}

function writeSysctl(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (err) {
    throw internal(`setting ${path} to ${value}: ${(err as Error).message}`);
  }
}

/**
 * A Linux bridge `name` with the gateway addresses (CIDR), up. Existing ones are kept and given
 * any address they lack. Loopback-sourced packets may leave through it (route_localnet), so that
 * published ports answer on 127.0.0.1 without a proxy process; no other interface is changed.
 */
export async function ensureBridge(name: string, gateways: string[], mtu: number): Promise<void> {
  const lines: string[] = [];
  if (!linkExists(name)) lines.push(`link add name ${name} mtu ${mtu} type bridge`);
  // IPv6 addresses without duplicate address detection, usable at once (as dockerd does)
  const nodad = (cidr: string) => (cidr.includes(':') ? ' nodad' : '');
  for (const gw of gateways) lines.push(`addr replace ${gw} dev ${name}${nodad(gw)}`);
  lines.push(`link set ${name} group ${BRIDGE_GROUP} up`);
  await ipBatch(lines);
  writeSysctl(`/proc/sys/net/ipv4/conf/${name}/route_localnet`, '1');
}

/** The interfaces enslaved to bridge `name` (none when it does not exist). */
export function bridgePorts(name: string): string[] {
  try {
    return readdirSync(`/sys/class/net/${name}/brif`);
  } catch {
    return [];
  }
}

export async function deleteLink(name: string): Promise<void> {
  if (!linkExists(name)) return;
  await run('ip', ['link', 'del', name]).catch((err) => {
    if (linkExists(name)) throw err;
  });
}

/** Forwarding between interfaces, as dockerd turns it on for bridge networks. */
export function enableForwarding(ipv6: boolean): void {
  if (readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() !== '1')
    writeSysctl('/proc/sys/net/ipv4/ip_forward', '1');
  if (ipv6 && readFileSync('/proc/sys/net/ipv6/conf/all/forwarding', 'utf8').trim() !== '1')
    writeSysctl('/proc/sys/net/ipv6/conf/all/forwarding', '1');
}

export function removeNetns(path: string): void {
  try {
    unmount(path, { detach: true });
  } catch {
    // not mounted
  }
  rmSync(path, { force: true });
}

export interface EndpointLink {
  /** make the namespace (at `netns`, kept by a bind mount) with this endpoint in it */
  createNetns?: boolean;
  netns: string;
  bridge: string;
  /** the host end's name */
  hostIf: string;
  /** the name inside the namespace: eth0, eth1, … */
  ifname: string;
  mac: string;
  mtu: number;
  /** CIDR */
  addresses: string[];
  /** default routes through these, when the endpoint is the container's gateway */
  gateways: string[];
}

/**
 * A veth pair: one end in the namespace, configured (with loopback up), the other on the
 * bridge (hairpin on). Done by a thread of berthd's threadpool through rtnetlink
 * (native/fsops/netns.c), the namespace made first with `createNetns`: no process is spawned
 * (the `ip` processes this took cost ~15 ms per container start), and the event loop goes on.
 */
export async function addEndpoint(e: EndpointLink): Promise<void> {
  if (e.createNetns) writeFileSync(e.netns, '', { mode: 0o444 });
  try {
    await fsops().netEndpoint(
      e.netns,
      e.createNetns ? 1 : 0,
      e.ifname,
      e.hostIf,
      e.mac,
      e.mtu,
      e.bridge,
      e.addresses.join(' '),
      e.gateways.join(' '),
    );
  } catch (err) {
    await deleteLink(e.hostIf).catch(() => {});
    if (e.createNetns) removeNetns(e.netns);
    throw internal(`setting up ${e.ifname} in ${e.netns}: ${(err as Error).message}`);
  }
}

/** The prefixes the host routes to (its networks), which a new subnet must not overlap. */
export async function hostRoutes(): Promise<Prefix[]> {
  const out: Prefix[] = [];
  for (const family of ['-4', '-6']) {
    let routes: { dst: string }[] = [];
    try {
      routes = JSON.parse(await run('ip', ['-j', family, 'route', 'show', 'table', 'all'])) as {
        dst: string;
      }[];
    } catch {
      continue;
    }
    for (const r of routes) {
      if (!r.dst || r.dst === 'default' || !r.dst.includes('/')) continue;
      try {
        out.push(parsePrefix(r.dst, 'route'));
      } catch {
        // multicast, unreachable and other kinds without a plain prefix
      }
    }
  }
  return out;
}
