// docker network create's --subnet, --ip-range, --gateway and --aux-address grouped into IPAM
// configs per subnet, with the docker CLI's checks and messages (consolidateIpam, subnetMatches).

import { isIPv4, isIPv6 } from 'node:net';
import { CliError } from '../container/common.ts';

export interface IpamConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

/** net.ParseIP: 4 bytes for dotted IPv4, 16 for IPv6 (an IPv4-mapped one reduced to 4). */
function parseIP(s: string): number[] | undefined {
  if (isIPv4(s)) return s.split('.').map(Number);
  if (!isIPv6(s) || s.includes('%')) return undefined;
  let text = s;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4[1].split('.').map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const words = (part: string) => (part ? part.split(':').map((w) => Number.parseInt(w, 16)) : []);
  const h = words(head);
  const t = tail === undefined ? [] : words(tail);
  const all = [...h, ...new Array(8 - h.length - t.length).fill(0), ...t];
  const bytes = all.flatMap((w) => [w >> 8, w & 255]);
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255)
    return bytes.slice(12);
  return bytes;
}

interface Net {
  ip: number[];
  bits: number;
}

/** net.ParseCIDR: the address (not masked) and the prefix length; `invalid CIDR address: s`. */
function parseCIDR(s: string): Net {
  const slash = s.indexOf('/');
  const addr = slash < 0 ? s : s.slice(0, slash);
  const mask = slash < 0 ? '' : s.slice(slash + 1);
  // netip.ParseAddr keeps an IPv4-mapped IPv6 address 16 bytes long.
  const ip = isIPv4(addr) ? parseIP(addr) : isIPv6(addr) && !addr.includes('%') ? ipv6Bytes(addr) : undefined;
  const bits = /^\d+$/.test(mask) ? Number(mask) : Number.NaN;
  if (!ip || !(bits <= ip.length * 8)) throw new CliError(`invalid CIDR address: ${s}`);
  return { ip, bits };
}

function ipv6Bytes(addr: string): number[] {
  const ip = parseIP(addr)!;
  return ip.length === 4 ? [...new Array(10).fill(0), 255, 255, ...ip] : ip;
}

/** IPNet.Contains for the network `net` (only its first `bits` bits count). */
function contains(net: Net, ip: number[] | undefined): boolean {
  let n = net.ip;
  let bits = net.bits;
  if (n.length === 16 && n.slice(0, 10).every((b) => b === 0) && n[10] === 255 && n[11] === 255) {
    n = n.slice(12);
    bits = Math.max(0, bits - 96);
  }
  if (!ip || ip.length !== n.length) return false;
  for (let i = 0; i < n.length; i++) {
    const take = Math.max(0, Math.min(8, bits - i * 8));
    const m = (0xff << (8 - take)) & 0xff;
    if ((n[i] & m) !== (ip[i] & m)) return false;
  }
  return true;
}

/** subnetMatches: whether `data` (an address, or the address of a CIDR) lies in `subnet`. */
export function subnetMatches(subnet: string, data: string): boolean {
  let net: Net;
  try {
    net = parseCIDR(subnet);
  } catch (err) {
    throw new CliError(`invalid subnet: ${(err as Error).message}`);
  }
  const ip = data.includes('/') ? parseCIDR(data).ip : parseIP(data);
  return contains(net, ip);
}

/** consolidateIpam: one config per subnet (in the order given), each with its range, gateway and aux addresses. */
export function consolidateIpam(
  subnets: readonly string[],
  ranges: readonly string[],
  gateways: readonly string[],
  aux: Record<string, string>,
): IpamConfig[] {
  if (subnets.length < ranges.length || subnets.length < gateways.length) {
    throw new CliError('every ip-range or gateway must have a corresponding subnet');
  }
  const configs = new Map<string, IpamConfig>();
  for (const s of subnets) {
    for (const k of configs.keys()) {
      if (subnetMatches(s, k) || subnetMatches(k, s)) {
        throw new CliError('multiple overlapping subnet configuration is not supported');
      }
    }
    configs.set(s, { Subnet: s });
  }
  const place = (value: string, what: string, field: 'IPRange' | 'Gateway', plural: string) => {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, value)) continue;
      const c = configs.get(s)!;
      if (c[field]) {
        throw new CliError(
          `cannot configure multiple ${plural} (${value}, ${c[field]}) ${field === 'IPRange' ? 'on' : 'for'} the same subnet (${s})`,
        );
      }
      c[field] = value;
      match = true;
    }
    if (!match) throw new CliError(`no matching subnet for ${what} ${value}`);
  };
  for (const r of ranges) place(r, 'range', 'IPRange', 'ranges');
  for (const g of gateways) place(g, 'gateway', 'Gateway', 'gateways');
  for (const [key, address] of Object.entries(aux)) {
    let match = false;
    for (const s of subnets) {
      if (!subnetMatches(s, address)) continue;
      const c = configs.get(s)!;
      c.AuxiliaryAddresses = { ...c.AuxiliaryAddresses, [key]: address };
      match = true;
    }
    if (!match) throw new CliError(`no matching subnet for aux-address ${address}`);
  }
  return [...configs.values()];
}
