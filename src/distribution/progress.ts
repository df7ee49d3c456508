// Docker's JSON progress messages (jsonmessage.JSONMessage), as pull and push stream them:
//   {"status":"Downloading","progressDetail":{"current":1,"total":2},"progress":"[=>   ] 1B/2B","id":"abc123def456"}
// The docker CLI draws bars from progressDetail on a terminal and prints `progress` otherwise.
// Pure.

import { invalidArgument } from '../common/errors.ts';
import type { Platform } from '../image/types.ts';

export interface ProgressMessage {
  status: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
}

export type OnProgress = (m: ProgressMessage) => void;

/** go-units HumanSize: 1.23MB (decimal, 3 significant digits). */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(3))}${units[i]}`;
}

/** The text bar of jsonmessage.JSONProgress.String (50 columns wide). */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return humanSize(current);
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = filled >= width ? '='.repeat(width) : `${'='.repeat(filled)}>${' '.repeat(width - filled - 1)}`;
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

/** A progress message with detail and bar. */
export function progressMessage(status: string, id: string, current: number, total: number): ProgressMessage {
  return { status, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

/** The short id progress lines use for a blob: its first 12 hex digits. */
export const shortDigest = (digest: string) => digest.replace(/^sha256:/, '').slice(0, 12);

/** `--platform os/arch[/variant]`. */
export function parsePlatform(s: string): Platform {
  const parts = s.toLowerCase().split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p))
    throw invalidArgument(`"${s}": unknown operating system or architecture: invalid argument`);
  const [os, architecture, variant] = parts;
  const arch =
    architecture === 'x86_64' || architecture === 'x86-64'
      ? 'amd64'
      : architecture === 'aarch64'
        ? 'arm64'
        : architecture;
  return variant ? { os, architecture: arch, variant } : { os, architecture: arch };
}
