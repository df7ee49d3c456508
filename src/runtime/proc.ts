// Small /proc readers: process start times (to tell a live container from a reused pid),
// liveness, signals by name.

import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { invalidArgument } from '../common/errors.ts';

/**
 * The fields of /proc/PATH/stat (PATH a pid, `self`, `self/task/TID`) from field 3, the state,
 * on: counted after the comm's last `)`, as a comm may hold spaces and parentheses.
 */
export function statFields(path: number | string): string[] {
  const text = readFileSync(`/proc/${path}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 (starttime) and field 3 (state) of /proc/PID/stat, or undefined when gone. */
export function procStat(pid: number): { start: string; state: string } | undefined {
  let fields: string[];
  try {
    fields = statFields(pid);
  } catch {
    return undefined;
  }
  return { state: fields[0], start: fields[19] };
}

/** True while pid is the process that started at `start` and has not exited. */
export function isAlive(pid: number, start: string): boolean {
  if (pid <= 0) return false;
  const stat = procStat(pid);
  return stat !== undefined && stat.start === start && stat.state !== 'Z' && stat.state !== 'X';
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
export function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/** `KILL`, `SIGKILL`, `kill`, `9` -> 9. */
export function signalNumber(name: string): number {
  if (/^\d+$/.test(name)) {
    const n = Number(name);
    if (n > 0 && n <= 64) return n;
  } else {
    const upper = name.toUpperCase();
    const key = (upper.startsWith('SIG') ? upper : `SIG${upper}`) as keyof typeof constants.signals;
    const n = constants.signals[key];
    if (n !== undefined) return n;
    const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(upper.startsWith('SIG') ? upper : `SIG${upper}`);
    if (rt) return 34 + Number(rt[1] ?? 0);
  }
  throw invalidArgument(`unknown signal "${name}"`);
}
