// Per-value checks of the run/create flags (docker/cli opts.Validate*, go-units ParseUlimit),
// each returning the value to store and throwing docker's message when it is wrong.

import { isIP } from 'node:net';
import { parseGoInt, parseGoUint, ramInBytes } from '../../common/govalues.ts';
import { IPC_SYSCTLS, ULIMIT_NAMES } from '../../spec/docker/container-validate.ts';

/** -a: stdin, stdout or stderr, any case. */
export function validateAttach(v: string): string {
  const s = v.toLowerCase();
  if (['stdin', 'stdout', 'stderr'].includes(s)) return s;
  throw new Error('valid streams are STDIN, STDOUT and STDERR');
}

/** net.ParseIP(...).String() for the forms users write. */
export function canonicalIP(ip: string): string | undefined {
  const v = isIP(ip);
  if (v === 4)
    return ip
      .split('.')
      .map((o) => String(Number(o)))
      .join('.');
  if (v === 6) {
    const host = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
    const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(host);
    if (mapped) {
      const a = Number.parseInt(mapped[1], 16);
      const b = Number.parseInt(mapped[2], 16);
      return `${a >> 8}.${a & 255}.${b >> 8}.${b & 255}`;
    }
    return host;
  }
  return undefined;
}

/** --dns: an IP address, written canonically. */
export function validateIPAddress(v: string): string {
  const ip = canonicalIP(v.trim());
  if (ip === undefined) throw new Error(`IP address is not correctly formatted: ${v}`);
  return ip;
}

/** --add-host `name:ip` or `name=ip` (ip may be `[v6]` or host-gateway) → `name:ip`. */
export function validateExtraHost(v: string): string {
  let sep = v.indexOf('=');
  if (sep < 0) sep = v.indexOf(':');
  const name = sep >= 0 ? v.slice(0, sep) : v;
  let ip = sep >= 0 ? v.slice(sep + 1) : '';
  if (sep < 0 || name === '' || name.includes(':'))
    throw new Error(`bad format for add-host: ${JSON.stringify(v)}`);
  if (ip !== 'host-gateway') {
    if (ip.length > 2 && ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
    if (canonicalIP(ip) === undefined)
      throw new Error(`invalid IP address in add-host: ${JSON.stringify(ip)}`);
  }
  return `${name}:${ip}`;
}

/** --sysctl: namespaced sysctls only (kernel IPC ones, net.*, fs.mqueue.*). */
export function validateSysctl(v: string): string {
  const name = v.split('=')[0];
  if (v.includes('=') && (IPC_SYSCTLS.has(name) || name.startsWith('net.') || name.startsWith('fs.mqueue.')))
    return v;
  throw new Error(`sysctl '${v}' is not allowed`);
}

const DEVICE_CGROUP_RULE = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/;

export function validateDeviceCgroupRule(v: string): string {
  if (DEVICE_CGROUP_RULE.test(v)) return v;
  throw new Error(`invalid device cgroup format '${v}'`);
}

/** -l: any `key[=value]` with a non-empty key. */
export function validateLabel(v: string): string {
  const key = v.split('=')[0];
  if (key.trim() === '') throw new Error(`invalid label '${v}': empty name`);
  return v;
}

export interface Ulimit {
  Name: string;
  Hard: number;
  Soft: number;
}

/** go-units ParseUlimit: `nofile=1024[:2048]`. */
export function parseUlimit(v: string): Ulimit {
  const eq = v.indexOf('=');
  if (eq < 0) throw new Error(`invalid ulimit argument: ${v}`);
  const name = v.slice(0, eq);
  if (!ULIMIT_NAMES.has(name)) throw new Error(`invalid ulimit type: ${name}`);
  const limits = v.slice(eq + 1).split(':');
  if (limits.length > 2) {
    throw new Error(
      `too many limit value arguments - ${v.slice(eq + 1)}, can only have up to two, \`soft[:hard]\``,
    );
  }
  const hard = limits.length === 2 ? parseGoInt(limits[1], 64, 10) : undefined;
  const soft = parseGoInt(limits[0], 64, 10);
  const h = hard ?? soft;
  if (h !== -1 && soft > h) {
    throw new Error(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${h}`);
  }
  return { Name: name, Hard: h, Soft: soft };
}

/** --blkio-weight-device `/dev/sda:200`. */
export function parseWeightDevice(v: string): { Path: string; Weight: number } {
  const parts = v.split(':');
  if (parts.length !== 2 || !parts[0].startsWith('/dev/')) throw new Error(`bad format: ${v}`);
  let weight: number;
  try {
    weight = parseGoUint(parts[1], 16, 10);
  } catch {
    throw new Error(`invalid weight for device: ${v}`);
  }
  if (weight > 0 && (weight < 10 || weight > 1000)) throw new Error(`invalid weight for device: ${v}`);
  return { Path: parts[0], Weight: weight };
}

/** --device-read-bps / --device-write-bps `/dev/sda:1mb`. */
export function parseThrottleBps(v: string): { Path: string; Rate: number } {
  const parts = v.split(':');
  if (parts.length !== 2) throw new Error(`bad format: ${v}`);
  if (!parts[0].startsWith('/dev/')) throw new Error(`bad format for device path: ${v}`);
  let rate: number;
  try {
    rate = ramInBytes(parts[1]);
  } catch {
    rate = -1;
  }
  if (rate < 0) {
    throw new Error(
      `invalid rate for device: ${v}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`,
    );
  }
  return { Path: parts[0], Rate: rate };
}

/** --device-read-iops / --device-write-iops `/dev/sda:1000`. */
export function parseThrottleIops(v: string): { Path: string; Rate: number } {
  const parts = v.split(':');
  if (parts.length !== 2) throw new Error(`bad format: ${v}`);
  if (!parts[0].startsWith('/dev/')) throw new Error(`bad format for device path: ${v}`);
  try {
    return { Path: parts[0], Rate: parseGoUint(parts[1], 64, 10) };
  } catch {
    throw new Error(
      `invalid rate for device: ${v}. The correct format is <device-path>:<number>. Number must be a positive integer`,
    );
  }
}

/** opts.ParseRestartPolicy: `no`, `always`, `on-failure[:n]`, `unless-stopped`. */
export function parseRestartPolicy(policy: string): { Name: string; MaximumRetryCount: number } {
  if (policy === '') return { Name: '', MaximumRetryCount: 0 };
  const colon = policy.indexOf(':');
  const name = colon >= 0 ? policy.slice(0, colon) : policy;
  const count = colon >= 0 ? policy.slice(colon + 1) : '';
  if (colon >= 0 && name === '') {
    throw new Error('invalid restart policy format: no policy provided before colon');
  }
  let max = 0;
  if (count !== '') {
    if (!/^[+-]?\d+$/.test(count)) {
      throw new Error('invalid restart policy format: maximum retry count must be an integer');
    }
    max = Number(count);
  }
  return { Name: name, MaximumRetryCount: max };
}

/** net.ParseMAC for the 6-byte colon or dash forms. */
export function isMACAddress(v: string): boolean {
  return /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(v) || /^([0-9a-fA-F]{4}\.){2}[0-9a-fA-F]{4}$/.test(v);
}

/** Capability names as the daemon takes them: upper case with a CAP_ prefix (but `ALL`). */
export function normalizeCap(cap: string): string {
  const c = cap.trim().toUpperCase();
  if (c === 'ALL' || c.startsWith('CAP_')) return c;
  return `CAP_${c}`;
}

/** opts.EffectiveCapAddCapDrop: normalised, sorted, a cap in both lists cancels out. */
export function effectiveCaps(
  add: readonly string[],
  drop: readonly string[],
): [string[] | null, string[] | null] {
  const a = new Set(add.map(normalizeCap));
  const d = new Set(drop.map(normalizeCap));
  const capAdd = a.has('ALL') ? ['ALL'] : [...a].filter((c) => !d.has(c));
  const capDrop = d.has('ALL') ? ['ALL'] : [...d].filter((c) => !a.has(c));
  return [capAdd.length ? capAdd.sort() : null, capDrop.length ? capDrop.sort() : null];
}
