// The Linux capability table (include/uapi/linux/capability.h): names and bit numbers, and the
// masks built from them. Pure data; the host's highest capability (cap_last_cap) is an input.

import { invalidArgument } from '../common/errors.ts';

/** Every capability the kernel headers define up to Linux 5.9, in bit order (index = number). */
export const ALL_CAPABILITIES: readonly string[] = Object.freeze([
  'CAP_CHOWN', // 0
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL', // 5
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', // 10
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', // 15
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', // 20
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', // 25
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', // 30
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM', // 35
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE', // 40
]);

/** The highest capability number berth knows (CAP_CHECKPOINT_RESTORE). */
export const CAP_LAST_KNOWN = ALL_CAPABILITIES.length - 1;

const NUMBERS: ReadonlyMap<string, number> = new Map(ALL_CAPABILITIES.map((name, i) => [name, i]));

/** `chown`, `CHOWN`, `cap_chown` -> `CAP_CHOWN` (no check that it exists). */
export function normalizeCap(name: string): string {
  const upper = name.trim().toUpperCase();
  return upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
}

/** The bit number of a capability; throws InvalidArgument for names the kernel does not define. */
export function capNumber(name: string): number {
  const canonical = normalizeCap(name);
  const n = NUMBERS.get(canonical);
  if (n === undefined) throw invalidArgument(`unknown capability "${canonical}"`);
  return n;
}

/** True when `name` (in any accepted spelling) is a known capability. */
export function isCapability(name: string): boolean {
  return NUMBERS.has(normalizeCap(name));
}

/** Known capabilities numbered 0..lastCap, in bit order. */
export function capabilitiesUpTo(lastCap: number): string[] {
  return ALL_CAPABILITIES.slice(0, Math.max(0, lastCap + 1));
}

/**
 * The 64-bit capability set of `names` as lowercase hex without `0x` and without leading zeros
 * (`a80425fb` for Docker's default set; `0` for none), the way /proc/PID/status shows it once
 * leading zeros are stripped. Capabilities numbered above `lastCap` are left out, as the kernel
 * would refuse them. Unknown names throw.
 */
export function capMask(names: Iterable<string>, lastCap: number): string {
  let mask = 0n;
  for (const name of names) {
    const n = capNumber(name);
    if (n <= lastCap) mask |= 1n << BigInt(n);
  }
  return mask.toString(16);
}
