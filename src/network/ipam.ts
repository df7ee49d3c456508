// IP address management: CIDR arithmetic, choosing a subnet that collides with nothing, and
// handing out addresses inside one. Pure: the host's routes and the addresses in use are
// passed in. IPv4 and IPv6 share one code path on bigints.

import { invalidArgument } from '../common/errors.ts';

export interface Prefix {
  family: 4 | 6;
  /** the network address (host bits zero) */
  base: bigint;
  bits: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** An address as a number, or undefined when it is not one. */
export function parseAddress(text: string): { family: 4 | 6; value: bigint } | undefined {
  const m = V4.exec(text);
  if (m) {
    const parts = m.slice(1).map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { family: 4, value: parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n) };
  }
  if (!text.includes(':') || !/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const words = s.split(':');
    for (const [i, w] of words.entries()) {
      if (i === words.length - 1 && w.includes('.')) {
        const v4 = parseAddress(w);
        if (v4?.family !== 4) return undefined;
        out.push(Number(v4.value >> 16n), Number(v4.value & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(w)) out.push(Number.parseInt(w, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < (halves.length === 2 ? 1 : 0)) return undefined;
  const all = [...head, ...Array<number>(fill).fill(0), ...tail];
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n) };
}

export function formatAddress(family: 4 | 6, value: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  // the longest run of zero groups (two or more) becomes "::" (RFC 5952)
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`;
}

const width = (family: 4 | 6) => (family === 4 ? 32 : 128);
const mask = (family: 4 | 6, bits: number) =>
  ((1n << BigInt(width(family))) - 1n) ^ ((1n << BigInt(width(family) - bits)) - 1n);

/** `10.1.0.0/16` → a prefix. Host bits set are an error, as in dockerd ("invalid subnet"). */
export function parsePrefix(text: string, what = 'subnet'): Prefix {
  const slash = text.lastIndexOf('/');
  const addr = slash < 0 ? undefined : parseAddress(text.slice(0, slash));
  const bits = slash < 0 ? Number.NaN : Number(text.slice(slash + 1));
  if (!addr || !/^\d{1,3}$/.test(text.slice(slash + 1)) || bits > width(addr.family))
    throw invalidArgument(`invalid CIDR address: ${text}`);
  const base = addr.value & mask(addr.family, bits);
  if (base !== addr.value && what === 'subnet')
    throw invalidArgument(`invalid ${what} ${text}: it should be ${formatPrefix({ ...addr, base, bits })}`);
  return { family: addr.family, base, bits };
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p.family, p.base)}/${p.bits}`;
}

export function contains(p: Prefix, family: 4 | 6, value: bigint): boolean {
  return family === p.family && (value & mask(p.family, p.bits)) === p.base;
}

export function overlaps(a: Prefix, b: Prefix): boolean {
  if (a.family !== b.family) return false;
  const bits = Math.min(a.bits, b.bits);
  return (a.base & mask(a.family, bits)) === (b.base & mask(b.family, bits));
}

export const lastAddress = (p: Prefix) => p.base | ((1n << BigInt(width(p.family) - p.bits)) - 1n);

/**
 * The first subnet of the pools, carved to `size` bits, that overlaps none of `taken` (the
 * host's routes and the other networks' subnets).
 */
export function chooseSubnet(pools: { base: string; size: number }[], taken: Prefix[]): Prefix | undefined {
  for (const pool of pools) {
    const p = parsePrefix(pool.base);
    if (pool.size < p.bits || pool.size > width(p.family)) continue;
    const step = 1n << BigInt(width(p.family) - pool.size);
    for (let base = p.base; base <= lastAddress(p); base += step) {
      const candidate: Prefix = { family: p.family, base, bits: pool.size };
      if (!taken.some((t) => overlaps(t, candidate))) return candidate;
    }
  }
  return undefined;
}

/** Docker's default address pools: 172.17-31.0.0/16, then 192.168.0-240.0/20. */
export const DEFAULT_POOLS = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/15', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/13', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
];

/**
 * The next free address of `range` (default the whole subnet), skipping the network address, the
 * broadcast (IPv4) and every address in `used`, starting after `last` and wrapping around (as
 * libnetwork does, so a released address is not handed out again at once).
 */
export function allocate(
  subnet: Prefix,
  used: Set<bigint>,
  range?: Prefix,
  last?: bigint,
): bigint | undefined {
  const r = range ?? subnet;
  let lo = r.base;
  let hi = lastAddress(r);
  if (lo === subnet.base) lo += 1n;
  if (subnet.family === 4 && hi === lastAddress(subnet)) hi -= 1n;
  if (hi < lo) return undefined;
  const start = last !== undefined && last >= lo && last < hi ? last + 1n : lo;
  for (let v = start; v <= hi; v++) if (!used.has(v)) return v;
  for (let v = lo; v < start; v++) if (!used.has(v)) return v;
  return undefined;
}

/** A MAC address derived from an IPv4 address, as dockerd does: 02:42:<a>:<b>:<c>:<d>. */
export function macFor(family: 4 | 6, value: bigint): string {
  const v = family === 4 ? value : value & 0xffffffffn;
  const bytes = [24n, 16n, 8n, 0n].map((s) => Number((v >> s) & 0xffn));
  return ['02', '42', ...bytes.map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
