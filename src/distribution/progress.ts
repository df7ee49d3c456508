// Docker's JSON progress messages (jsonmessage.JSONMessage), as pull and push stream them:
//   {"status":"Downloading","progressDetail":{"current":1,"total":2},"progress":"[=>   ] 1B/2B","id":"abc123def456"}
// The docker CLI draws bars from progressDetail on a terminal and prints `progress` otherwise.
// Pure.

import { invalidArgument } from '../common/errors.ts';
import { hostPlatform, type Platform } from '../image/types.ts';

export interface ProgressMessage {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
}

export type OnProgress = (m: ProgressMessage) => void;

/** go-units HumanSize: 1.234MB (decimal, 4 significant digits), as progress lines show sizes. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

/**
 * The text of jsonmessage.JSONProgress.String as dockerd sends it: a bar of one `=` per 2 %,
 * then `>` and spaces to 51 columns, then `current/total` (sizes with 4 significant digits).
 */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current).padStart(8);
  const filled = Math.min(50, Math.floor(Math.floor((current / total) * 100) / 2));
  const bar = `${'='.repeat(filled)}>${' '.repeat(50 - filled)}`;
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** A progress message with detail and bar. */
export function progressMessage(status: string, id: string, current: number, total: number): ProgressMessage {
  return { status, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

/** The short id progress lines use for a blob: its first 12 hex digits. */
export const shortDigest = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

const KNOWN_OS = new Set(
  'aix android darwin dragonfly freebsd hurd illumos ios js linux nacl netbsd openbsd plan9 solaris windows zos'.split(
    ' ',
  ),
);
const KNOWN_ARCH = new Set(
  '386 amd64 amd64p32 arm armbe arm64 arm64be loong64 mips mipsle mips64 mips64le mips64p32 mips64p32le ppc ppc64 ppc64le riscv riscv64 s390 s390x sparc sparc64 wasm'.split(
    ' ',
  ),
);
const normaliseArch = (a: string) =>
  a === 'x86_64' || a === 'x86-64' ? 'amd64' : a === 'aarch64' ? 'arm64' : a === 'i386' ? '386' : a;

/**
 * `--platform os[/arch[/variant]]` or just an architecture, as containerd's platforms.Parse: a
 * lone OS gets the host's architecture, a lone architecture the host's OS.
 */
export function parsePlatform(s: string, host: Platform = hostPlatform()): Platform {
  const parts = s.toLowerCase().split('/');
  const bad = () => invalidArgument(`"${s}": unknown operating system or architecture: invalid argument`);
  if (parts.length > 3 || parts.some((p) => !p)) throw bad();
  if (parts.length === 1) {
    if (KNOWN_OS.has(parts[0])) return { os: parts[0], architecture: host.architecture };
    const arch = normaliseArch(parts[0]);
    if (KNOWN_ARCH.has(arch)) return { os: host.os, architecture: arch };
    throw bad();
  }
  const [os, architecture, variant] = parts;
  const arch = normaliseArch(architecture);
  return variant ? { os, architecture: arch, variant } : { os, architecture: arch };
}
