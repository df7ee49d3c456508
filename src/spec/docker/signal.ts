// Linux signal names and numbers as Docker reads them (moby/sys/signal ParseSignal): a name with
// or without `SIG`, in any case (`SIGKILL`, `kill`, `RTMIN+3`), or a number. Used for
// `Config.StopSignal`, `kill?signal=` and `stop?signal=`.

import { invalidArgument } from '../../common/errors.ts';

const BASE: ReadonlyArray<readonly [string, number]> = [
  ['HUP', 1],
  ['INT', 2],
  ['QUIT', 3],
  ['ILL', 4],
  ['TRAP', 5],
  ['ABRT', 6],
  ['IOT', 6],
  ['BUS', 7],
  ['FPE', 8],
  ['KILL', 9],
  ['USR1', 10],
  ['SEGV', 11],
  ['USR2', 12],
  ['PIPE', 13],
  ['ALRM', 14],
  ['TERM', 15],
  ['STKFLT', 16],
  ['CHLD', 17],
  ['CLD', 17],
  ['CONT', 18],
  ['STOP', 19],
  ['TSTP', 20],
  ['TTIN', 21],
  ['TTOU', 22],
  ['URG', 23],
  ['XCPU', 24],
  ['XFSZ', 25],
  ['VTALRM', 26],
  ['PROF', 27],
  ['WINCH', 28],
  ['IO', 29],
  ['POLL', 29],
  ['PWR', 30],
  ['SYS', 31],
  ['UNUSED', 31],
];

const RTMIN = 34;
const RTMAX = 64;

/** Name (without SIG) -> number, including RTMIN, RTMIN+1 … RTMIN+15, RTMAX-14 … RTMAX-1, RTMAX. */
export const SIGNALS: ReadonlyMap<string, number> = new Map([
  ...BASE,
  ['RTMIN', RTMIN],
  ...Array.from({ length: 15 }, (_, i) => [`RTMIN+${i + 1}`, RTMIN + i + 1] as [string, number]),
  ...Array.from({ length: 14 }, (_, i) => [`RTMAX-${14 - i}`, RTMAX - 14 + i] as [string, number]),
  ['RTMAX', RTMAX],
]);

/**
 * `SIGKILL`, `KILL`, `kill`, `9` -> 9. Numbers must be 1..64 (Docker accepts any non-zero
 * number, which the kernel then refuses). Throws InvalidArgument `Invalid signal: X` (moby's wording).
 */
export function parseSignal(raw: string | number): number {
  const text = String(raw).trim();
  if (/^[0-9]+$/.test(text)) {
    const n = Number(text);
    if (n >= 1 && n <= RTMAX) return n;
    throw invalidArgument(`Invalid signal: ${raw}`);
  }
  const upper = text.toUpperCase();
  const n = SIGNALS.get(upper.startsWith('SIG') ? upper.slice(3) : upper);
  if (n === undefined) throw invalidArgument(`Invalid signal: ${raw}`);
  return n;
}

/** 9 -> `SIGKILL`; the first name of a number (SIGABRT for 6, SIGCHLD for 17); `SIG<n>` if unnamed. */
export function signalName(n: number): string {
  for (const [name, num] of SIGNALS) if (num === n) return `SIG${name}`;
  return `SIG${n}`;
}
